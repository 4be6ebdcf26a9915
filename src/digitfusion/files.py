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


def read_user_text(path: Path, kind: str) -> str:
    """A user's UTF-8 text file (a byte-order mark allowed); every problem is one DigitfusionError naming it."""
    article = "an" if kind[0] in "aeiou" else "a"
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DigitfusionError(path, f"no such {kind}") from None
    except IsADirectoryError:
        raise DigitfusionError(path, f"is a directory, expected {article} {kind}") from None
    except UnicodeDecodeError as err:
        raise DigitfusionError(path, f"{kind} is not UTF-8 text (byte {err.start})") from None
    except (OSError, ValueError) as err:  # permission denied, a parent that is not a folder, a NUL byte...
        raise DigitfusionError(path, f"{kind} cannot be read ({os_reason(err)})") from None


def csv_rows(path: Path, kind: str, columns: tuple[str, ...], empty_hint: str):
    """(line number, header [names], row [cells]) of a user's CSV with the `columns` in its header, blank lines
    skipped. Header names are matched case- and space-insensitively; line numbers are the CSV's own (blank lines
    and quoted line breaks counted). A generator: errors of a row come in the order the rows are read."""
    import csv
    import io

    content = read_user_text(path, kind)
    if not content.strip():
        raise DigitfusionError(path, f"{kind} is empty ({empty_hint})")
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
        if not set(columns) <= set(header):
            named = [f"`{name}`" for name in columns]
            raise DigitfusionError(path, f"{kind} needs a header with {', '.join(named[:-1])} and {named[-1]} "
                                         "columns")
        for row in reader:
            if any(cell.strip() for cell in row) or len(row) > 1:  # a blank line is skipped
                yield reader.line_num, header, row
    except csv.Error as err:
        raise DigitfusionError(f"{path}:{reader.line_num}", f"not a valid CSV line ({err})") from None


def resolve_relative(value: str | None, base: Path) -> str | None:
    """A path cell of a user's CSV: relative to the CSV's folder; empty -> None."""
    if value is None or not value.strip():
        return None
    path = Path(value.strip())
    return str(path if path.is_absolute() else base / path)
