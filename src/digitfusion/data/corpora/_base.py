"""What every speech corpus shares: the Recording, the SpeechCorpus base, and the helpers most corpora use.

A corpus is a module of this package defining a module-level `CORPUS` (an instance of a SpeechCorpus
subclass); the registry (`digitfusion.data.corpora`) finds it by itself. Paths are relative to the data root.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitfusion.audio_io import load_audio
from digitfusion.errors import DigitfusionError

FILE_NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[A-Za-z0-9]+)_(?P<take>\d+)\.wav$")
Sides = tuple[list["Recording"], list["Recording"], list["Recording"]]


@dataclass(frozen=True, order=True)
class Recording:
    """One spoken digit. `speaker` is namespaced `{corpus}.{name}`; `start`/`end` are seconds into the
    decoded signal (None = the whole file), for corpora whose words are cut out of longer recordings."""

    path: str
    digit: int
    speaker: str
    take: int
    corpus: str
    start: float | None = None
    end: float | None = None

    @property
    def key(self) -> str:
        """Unique id of the clip: the path, plus the segment when there is one."""
        return self.path if self.start is None else f"{self.path}#{self.start:.3f}-{self.end:.3f}"

    @property
    def speaker_name(self) -> str:
        """The speaker without the corpus prefix."""
        return self.speaker.split(".", 1)[1] if "." in self.speaker else self.speaker


def parse_name(name: str) -> tuple[int, str, int] | None:
    """`{digit}_{speaker}_{take}.wav` -> (digit, speaker, take), else None."""
    match = FILE_NAME.match(name)
    return (int(match["digit"]), match["speaker"], int(match["take"])) if match else None


@dataclass(frozen=True)
class SpeechCorpus:
    """Base of every corpus. Subclasses set the class fields and implement `recordings` and `official`."""

    name: str
    licence: str
    citation: str
    url: str
    subdir: str = ""  # folder under the data root (default: the corpus name)
    tags: tuple[str, ...] = field(default=())
    train_only: bool = False  # extra training speakers only (synthetic voices): never validation or test

    def folder(self, root: str | os.PathLike) -> Path:
        return Path(root) / (self.subdir or self.name)

    def present(self, root: str | os.PathLike) -> bool:
        return self.folder(root).is_dir()

    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        raise NotImplementedError

    def official(self, recordings: list[Recording]) -> Sides:
        raise NotImplementedError

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        raise DigitfusionError(self.name, "has no public download; put its files under the data root by hand")

    def sources(self, root: Path, recording: Recording) -> list[Path]:
        """The files a recording's audio is read from (their content keys the feature cache)."""
        return [root / recording.path]

    def load(self, root: Path, recording: Recording, rate: int) -> np.ndarray:
        """Mono float32 audio [N] of the recording at `rate`: the file decoded, then its segment cut out."""
        if recording.start is None:
            return load_audio(root / recording.path, rate)
        from digitfusion.data.corpora._segments import decode  # kept decoded: one file holds several words

        return cut(decode(root / recording.path, rate), recording, rate)

    def verify(self, root: str | os.PathLike) -> dict:
        """Counts of clips, speakers and digits, and the problems found (reads names, not audio, where it can)."""
        if not self.present(root):
            return summary(self.name, [], [f"{self.folder(root)} not found"])
        try:
            return summary(self.name, self.recordings(root), [])
        except DigitfusionError as err:
            return summary(self.name, [], [str(err)])

    def speaker(self, name: str) -> str:
        return f"{self.name}.{name}"


def cut(wave: np.ndarray, recording: Recording, rate: int) -> np.ndarray:
    """The [start, end) seconds of `wave` [N] (all of it when the recording has no segment)."""
    if recording.start is None:
        return wave
    return wave[int(round(recording.start * rate)):int(round(recording.end * rate))]


def summary(name: str, recordings: list[Recording], problems: list[str]) -> dict:
    digits = Counter(r.digit for r in recordings)
    missing = [str(d) for d in range(10) if d not in digits]
    if recordings and missing:
        problems = [*problems, f"digits missing: {', '.join(missing)}"]
    return {"name": name, "kind": "speech", "clips": len(recordings), "speakers": len({r.speaker for r in recordings}),
            "digits": len(digits), "problems": problems}


def scan_named(corpus: SpeechCorpus, root: Path, folder: Path) -> list[Recording]:
    """Every `{digit}_{speaker}_{take}.wav` under `folder`, sorted; a folder without any is an error."""
    if not folder.is_dir():
        raise DigitfusionError(folder, "missing audio folder (run `digitfusion data fetch`)")
    found = []
    for wav in folder.rglob("*.wav"):
        parsed = parse_name(wav.name)
        if parsed:
            digit, speaker, take = parsed
            found.append(Recording(wav.relative_to(root).as_posix(), digit, corpus.speaker(speaker), take, corpus.name))
    if not found:
        raise DigitfusionError(folder, "holds no {digit}_{speaker}_{take}.wav files")
    return sorted(found)


def by_take(recordings: list[Recording], test_below: int = 5, val_below: int = 10) -> Sides:
    """FSDD's rule: takes 0-4 test, 5-9 validation, the rest train (speaker-dependent)."""
    return ([r for r in recordings if r.take >= val_below], [r for r in recordings if test_below <= r.take < val_below],
            [r for r in recordings if r.take < test_below])


def speaker_disjoint(recordings: list[Recording], test_share: float = 0.2, val_share: float = 0.1) -> Sides:
    """A deterministic speaker-disjoint split: speakers ordered by the sha1 of their id (independent of which
    other speakers are present), the first `test_share` of them test, the next `val_share` validation."""
    speakers = sorted({r.speaker for r in recordings}, key=lambda s: hashlib.sha1(s.encode()).hexdigest())
    n_test = max(1, round(len(speakers) * test_share))
    n_val = max(1, round(len(speakers) * val_share)) if len(speakers) > 2 else 0
    test, val = set(speakers[:n_test]), set(speakers[n_test:n_test + n_val])
    return ([r for r in recordings if r.speaker not in test | val], [r for r in recordings if r.speaker in val],
            [r for r in recordings if r.speaker in test])


def all_test(recordings: list[Recording]) -> Sides:
    """For corpora meant only to judge a model on people it never met."""
    return [], [], list(recordings)
