"""AudioMNIST (Becker et al.): `data/{NN}/{digit}_{NN}_{take}.wav`, 60 speakers x 10 digits x 50 takes, 48 kHz;
`data/audioMNIST_meta.txt` (a JSON object per speaker: gender, age, accent, ...).
The release has no split of its own: `official` is a deterministic speaker-disjoint cut (speakers ordered by
the sha1 of their id: the first 20 % test, the next 10 % validation, the rest train).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus, scan_named, speaker_disjoint
from digitfusion.data.fetching import fetch_archive
from digitfusion.errors import DigitfusionError

# The repository publishes no tagged release: its default branch's archive is the public download,
# so no sha256 can be pinned; `fetch` checks the layout it unpacks instead (60 speakers, 30,000 files).
ARCHIVE = "https://github.com/soerenab/AudioMNIST/archive/refs/heads/master.zip"
MEMBER = re.compile(r"^[^/]+/data/(\d\d/\d_\d\d_\d+\.wav|audioMNIST_meta\.txt)$")


@dataclass(frozen=True)
class AudioMnist(SpeechCorpus):
    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        return scan_named(self, Path(root), self.folder(root) / "data")

    def official(self, recordings: list[Recording]) -> Sides:
        return speaker_disjoint(recordings)

    def metadata(self, root: str | os.PathLike) -> dict[str, dict]:
        """Speaker id ('01'..'60') -> its metadata (gender, age, accent, ...); {} when the file is absent."""
        path = self.folder(root) / "data" / "audioMNIST_meta.txt"
        if not path.is_file():
            return {}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as err:
            raise DigitfusionError(path, f"not a JSON object ({err})") from None

    def verify(self, root: str | os.PathLike) -> dict:
        row = super().verify(root)
        try:
            meta = self.metadata(root)
        except DigitfusionError as err:
            return {**row, "problems": [*row["problems"], str(err)]}
        if not meta and self.present(root):
            row["problems"].append("audioMNIST_meta.txt missing")
        return row

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        folder = self.folder(root)
        if (folder / "data").is_dir():
            return folder
        fetch_archive(ARCHIVE, None, folder, _select, progress)
        row = self.verify(root)
        if row["speakers"] != 60 or row["problems"]:
            raise DigitfusionError(folder, f"unpacked {row['clips']} clips of {row['speakers']} speakers, "
                                           f"expected 60 speakers ({'; '.join(row['problems']) or 'wrong layout'})")
        return folder


def _select(member: str) -> str | None:
    match = MEMBER.match(member)
    return f"data/{match[1]}" if match else None


CORPUS = AudioMnist(
    name="audiomnist", licence="MIT",
    citation="S. Becker et al., AudioMNIST: Exploring Explainable Artificial Intelligence for Audio Analysis "
             "on a Simple Benchmark, J. Franklin Inst. 2023",
    url="https://github.com/soerenab/AudioMNIST")
