"""Speech Commands (Warden 2018), the ten digit words: `{zero..nine}/{hash}_nohash_{n}.wav`, 16 kHz, 1 s.
Speaker = the hash before `_nohash_`. Official split = the release's own `testing_list.txt` and
`validation_list.txt` (files in neither are train). `fetch` downloads the full v0.02 release (2.3 GB)
and keeps the digit words, the lists, LICENSE and README.md."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus
from digitfusion.data.fetching import fetch_archive
from digitfusion.errors import DigitfusionError

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
CLIP = re.compile(r"^(?P<speaker>[0-9a-f]+)_nohash_(?P<take>\d+)\.wav$")
ARCHIVE = "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"
ARCHIVE_SHA256 = "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58"
KEPT_FILES = ("testing_list.txt", "validation_list.txt", "LICENSE", "README.md")
_LISTED_SIDE: dict[str, str] = {}  # clip path -> "train" | "val" | "test", filled by recordings(root)


@dataclass(frozen=True)
class SpeechCommands(SpeechCorpus):
    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        root, folder = Path(root), self.folder(root)
        found = []
        for digit, word in enumerate(WORDS):
            for wav in (folder / word).glob("*.wav"):
                if match := CLIP.match(wav.name):
                    found.append(Recording(wav.relative_to(root).as_posix(), digit, self.speaker(match["speaker"]),
                                           int(match["take"]), self.name))
        if not found:
            raise DigitfusionError(folder, "holds no {zero..nine}/{hash}_nohash_{n}.wav files")
        _LISTED_SIDE.update((r.path, "train") for r in found)
        self.read_lists(root)
        return sorted(found)

    def official(self, recordings: list[Recording]) -> Sides:
        unknown = [r.path for r in recordings if r.path not in _LISTED_SIDE]
        if unknown:
            raise DigitfusionError(unknown[0], "not listed by recordings(root), which reads the release's lists")
        return tuple([r for r in recordings if _LISTED_SIDE[r.path] == side] for side in ("train", "val", "test"))

    def read_lists(self, root: Path) -> None:
        """Remember each clip's side from testing_list.txt / validation_list.txt (official() has no root)."""
        folder = self.folder(root)
        rel = folder.relative_to(root).as_posix()
        for name, side in (("validation_list.txt", "val"), ("testing_list.txt", "test")):
            path = folder / name
            if not path.is_file():
                raise DigitfusionError(path, "missing: the official split needs the release's own list")
            _LISTED_SIDE.update((f"{rel}/{line}", side) for line in path.read_text(encoding="utf-8").split())

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        folder = self.folder(root)
        if (folder / "testing_list.txt").is_file() and (folder / "zero").is_dir():
            return folder
        return fetch_archive(ARCHIVE, ARCHIVE_SHA256, folder, _select, progress)


def _select(member: str) -> str | None:
    name = member.removeprefix("./")
    word, _, rest = name.partition("/")
    if word in WORDS and CLIP.match(rest):
        return name
    return name if name in KEPT_FILES else None


CORPUS = SpeechCommands(
    name="speech-commands", licence="CC BY 4.0",
    citation="P. Warden, Speech Commands: A Dataset for Limited-Vocabulary Speech Recognition, arXiv:1804.03209",
    url="https://www.tensorflow.org/datasets/catalog/speech_commands")
