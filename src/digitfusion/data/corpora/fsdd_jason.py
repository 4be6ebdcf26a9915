"""fsdd-jason: FSDD's seventh speaker (added 2017-10-30, removed 2018-01-06: FSDD issue #15). Most of its
takes are 3 s windows cut at fixed steps from one continuous recording per digit, so a take starts inside one
word and ends inside the next. Repair: join a digit's takes 0..49 in order (that rebuilds the recording) and
cut it again at the silences (data/segment.py). Each word is a Recording whose path is the pattern of the
joined takes, `fsdd-jason/recordings/{digit}_jason_*.wav`, with start/end in seconds into the joined signal;
the feature cache decodes it through this corpus's `load` and keys it by the bytes of all fifty takes.
Words longer than MAX_WORD_S (two words the cut could not part) are dropped.
Official split: FSDD's rule on the word's position (words 0-4 test, 5-9 validation, the rest train).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.audio_io import TARGET_RATE, load_audio
from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus, by_take, cut
from digitfusion.data.corpora._segments import cached_bounds
from digitfusion.data.fetching import fetch_archive
from digitfusion.data.segment import SegmentParams, segments
from digitfusion.errors import DigitfusionError

COMMIT = "9b8dcea61c6d41b9d2688bb5d289209cd06c31e9"
ARCHIVE = f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/{COMMIT}.zip"
RECORDINGS_SHA256 = "3d6bc5d6e875bec6018f00ffd094b82bc8bc67d7f844fc25748742aa356e6d7d"  # content_digest of the 500
TAKE = re.compile(r"^(\d)_jason_(\d+)\.wav$")
MAX_WORD_S = 1.5
PARAMS = SegmentParams(min_gap_s=0.25, min_word_s=0.2)  # isolated words, seconds apart: bridge the stop in "six"


@dataclass(frozen=True)
class FsddJason(SpeechCorpus):
    def takes(self, root: Path, digit: int) -> list[Path]:
        """The digit's takes in recording order."""
        found = [(int(m[2]), p) for p in (self.folder(root) / "recordings").glob(f"{digit}_jason_*.wav")
                 if (m := TAKE.match(p.name))]
        return [p for _, p in sorted(found)]

    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        root = Path(root)
        if not (self.folder(root) / "recordings").is_dir():
            raise DigitfusionError(self.folder(root) / "recordings", "missing audio folder")
        found = []
        for digit in range(10):
            takes = self.takes(root, digit)
            if not takes:
                continue
            bounds = cached_bounds(self.name, takes, PARAMS, lambda t=takes: segments(_join(t), TARGET_RATE, PARAMS))
            words = [(s, e) for s, e in bounds if e - s <= MAX_WORD_S]
            path = f"{self.folder(root).relative_to(root).as_posix()}/recordings/{digit}_jason_*.wav"
            found += [Recording(path, digit, self.speaker("jason"), i, self.name, start, end)
                      for i, (start, end) in enumerate(words)]
        return sorted(found)

    def official(self, recordings: list[Recording]) -> Sides:
        return by_take(recordings)

    def sources(self, root: Path, recording: Recording) -> list[Path]:
        return self.takes(root, recording.digit)

    def load(self, root: Path, recording: Recording, rate: int) -> np.ndarray:
        takes = self.takes(root, recording.digit)
        return cut(_joined(tuple(str(p) for p in takes), tuple(p.stat().st_mtime_ns for p in takes), rate),
                   recording, rate)

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        folder = self.folder(root)
        if any((folder / "recordings").glob("*_jason_*.wav")):
            return folder
        return fetch_archive(ARCHIVE, None, folder, _select, progress, content_sha256=RECORDINGS_SHA256)


def _join(takes: list[Path], rate: int = TARGET_RATE) -> np.ndarray:
    return np.concatenate([load_audio(p, rate) for p in takes])


@functools.lru_cache(maxsize=10)
def _joined(paths: tuple[str, ...], mtimes: tuple[int, ...], rate: int) -> np.ndarray:
    """The joined takes of one digit [N], decoded once per process while its words are cut."""
    return _join([Path(p) for p in paths], rate)


def _select(member: str) -> str | None:
    parts = [p for p in member.split("/") if p]
    ok = len(parts) == 3 and parts[1] == "recordings" and TAKE.match(parts[2])
    return f"recordings/{parts[2]}" if ok else None


CORPUS = FsddJason(
    name="fsdd-jason", licence="CC BY-SA 4.0",
    citation=f"Z. Jackson et al., Free Spoken Digit Dataset, commit {COMMIT[:7]} (speaker jason, later removed)",
    url=f"https://github.com/Jakobovski/free-spoken-digit-dataset/tree/{COMMIT}")
