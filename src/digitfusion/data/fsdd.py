"""Spoken-digit corpora: FSDD (`recordings/{digit}_{speaker}_{index}.wav`, 8 kHz) and the
AudioMNIST layout (`data/{NN}/{digit}_{NN}_{index}.wav`, 48 kHz). Both share the file-name scheme."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from digitfusion.errors import DigitfusionError

NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[A-Za-z0-9]+)_(?P<index>\d+)\.wav$")
CORPORA = ("fsdd", "audiomnist")


@dataclass(frozen=True, order=True)
class Recording:
    """One spoken digit: where it is (relative to the data root) and what its name says."""

    path: str
    digit: int
    speaker: str
    index: int


def parse_name(name: str) -> tuple[int, str, int] | None:
    match = NAME.match(name)
    if not match:
        return None
    return int(match["digit"]), match["speaker"], int(match["index"])


def corpus_dir(root: str | os.PathLike, corpus: str = "fsdd") -> Path:
    if corpus not in CORPORA:
        raise DigitfusionError(corpus, f"unknown audio corpus (choose from {', '.join(CORPORA)})")
    return Path(root) / corpus


def list_recordings(root: str | os.PathLike, corpus: str = "fsdd") -> list[Recording]:
    """Every well-named wav of the corpus, sorted by path. Paths are relative to the data root."""
    root = Path(root)
    folder = corpus_dir(root, corpus)
    sub = folder / ("recordings" if corpus == "fsdd" else "data")
    if not sub.is_dir():
        raise DigitfusionError(sub, "missing audio folder (run `digitfusion data fetch`)")
    found = []
    for wav in sub.rglob("*.wav"):
        parsed = parse_name(wav.name)
        if parsed:
            found.append(Recording(wav.relative_to(root).as_posix(), *parsed))
    if not found:
        raise DigitfusionError(sub, "holds no {digit}_{speaker}_{index}.wav files")
    return sorted(found)
