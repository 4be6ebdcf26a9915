"""folder: a user's own recordings, `--corpus folder:PATH`. Either `{digit}_{speaker}_{take}.wav` files
anywhere under PATH, or `{digit}/*.wav` (speaker = the file name's part before its last `_`, else `user`;
take = the file's position in its folder). Paths are absolute (the folder need not be under the data root).
Official split: everything is test (a user's recordings judge a model); `random`/`speaker` can train on them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus, all_test, parse_name
from digitfusion.errors import DigitfusionError

SPEAKER = re.compile(r"^(?P<speaker>[A-Za-z0-9]+)_[^_]+$")


@dataclass(frozen=True)
class Folder(SpeechCorpus):
    location: Path | None = None

    def folder(self, root: str | os.PathLike) -> Path:
        if self.location is None:
            raise DigitfusionError("folder", "needs a path: --corpus folder:PATH")
        return self.location

    def present(self, root: str | os.PathLike) -> bool:
        return self.location is not None and self.location.is_dir()

    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        folder = self.folder(root)
        if not folder.is_dir():
            raise DigitfusionError(folder, "is not a folder of recordings")
        found = []
        for wav in sorted(folder.rglob("*.wav")):
            if parsed := parse_name(wav.name):
                digit, speaker, take = parsed
                found.append(Recording(wav.as_posix(), digit, self.speaker(speaker), take, self.name))
        for digit in range(10):
            for take, wav in enumerate(sorted((folder / str(digit)).glob("*.wav"))):
                if not parse_name(wav.name):
                    match = SPEAKER.match(wav.stem)
                    found.append(Recording(wav.as_posix(), digit, self.speaker(match["speaker"] if match else "user"),
                                           take, self.name))
        if not found:
            raise DigitfusionError(folder, "holds no {digit}_{speaker}_{take}.wav or {digit}/*.wav files")
        return sorted(found)

    def official(self, recordings: list[Recording]) -> Sides:
        return all_test(recordings)


CORPUS = Folder(name="folder", licence="the user's own", citation="-", url="-")
