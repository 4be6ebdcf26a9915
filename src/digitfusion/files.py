"""Checks shared by every reader of user files: one-line reasons for a path that cannot be read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from digitfusion.errors import DigitfusionError


def short_reason(err: BaseException) -> str:
    """An exception in one short line (a library's own message when there is one)."""
    text = str(getattr(err, "error_string", "") or err).strip()
    return text.splitlines()[0][:120] if text else type(err).__name__


def os_reason(err: BaseException) -> str:
    """Why a path cannot be opened, in words (OSError's strerror, else the message)."""
    return getattr(err, "strerror", None) or short_reason(err)


def check_readable_file(path: Path, kind: str) -> None:
    """Refuse what is not a readable, non-empty regular file, naming the reason (`kind`: "audio", "image")."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise DigitfusionError(path, "no such file") from None
    except (OSError, ValueError) as err:  # a parent that is not a folder, a NUL byte, a path too long...
        raise DigitfusionError(path, f"cannot be read ({os_reason(err)})") from None
    if stat.S_ISDIR(status.st_mode):
        raise DigitfusionError(path, f"is a directory, expected an {kind} file")
    if not stat.S_ISREG(status.st_mode):
        raise DigitfusionError(path, f"is not a regular file (a device, pipe or socket), expected an {kind} file")
    if not os.access(path, os.R_OK):
        raise DigitfusionError(path, "cannot be read (permission denied)")
    if status.st_size == 0:
        raise DigitfusionError(path, "is empty")
