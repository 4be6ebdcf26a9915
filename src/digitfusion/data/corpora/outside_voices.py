"""outside-voices: two speakers recorded on a phone, each digit once: `giulio/giulio_{dd}.wav` (male, Italian
accent) and `sheila/sheila_{dd}.wav` (female, German accent), dd = the digit 00-09, 48 kHz 24-bit.
For judging a model on people it never met: official = everything is test."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus, all_test
from digitfusion.data.fetching import fetch_files, read_checksums
from digitfusion.errors import DigitfusionError

CLIP = re.compile(r"^(?P<speaker>[a-z]+)_(?P<digit>\d\d)\.wav$")
# The files of the source repository's predict_data/ folder, pinned one by one (sha256 of known-good copies).
BASE_URL = "https://raw.githubusercontent.com/inspektral/audioMNIST-classifier/main/predict_data"
CHECKSUMS = Path(__file__).with_name("outside_voices.sha256")


@dataclass(frozen=True)
class OutsideVoices(SpeechCorpus):
    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        root, folder = Path(root), self.folder(root)
        found = [Recording(wav.relative_to(root).as_posix(), int(m["digit"]), self.speaker(m["speaker"]), 0, self.name)
                 for wav in folder.glob("*/*.wav") if (m := CLIP.match(wav.name)) and int(m["digit"]) <= 9]
        if not found:
            raise DigitfusionError(folder, "holds no {speaker}/{speaker}_{dd}.wav files")
        return sorted(found)

    def official(self, recordings: list[Recording]) -> Sides:
        return all_test(recordings)

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        return fetch_files(BASE_URL, read_checksums(CHECKSUMS), self.folder(root), progress)


CORPUS = OutsideVoices(
    name="outside-voices", licence="MIT",
    citation="inspektral/audioMNIST-classifier, predict_data/ (two phone recordings)",
    url="https://github.com/inspektral/audioMNIST-classifier")
