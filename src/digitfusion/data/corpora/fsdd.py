"""FSDD, the Free Spoken Digit Dataset: `recordings/{digit}_{speaker}_{take}.wav`, 8 kHz, 6 speakers x 50 takes.
Official split (the dataset's README): takes 0-4 test; here 5-9 validation and 10-49 train."""

from __future__ import annotations

import ast
import json
import os
from dataclasses import dataclass
from pathlib import Path

from digitfusion.atomic import write_text
from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus, by_take, scan_named
from digitfusion.data.fetching import fetch_archive

TAG = "v1.0.10"
ARCHIVE = f"https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/{TAG}.tar.gz"
# No sha256 of the tag's archive could be computed offline: the unpacked recordings are pinned instead
# (content_digest of recordings/*.wav of the v1.0.10 data, unchanged since; computed from a known-good copy).
RECORDINGS_SHA256 = "1971de6d210a657fc0b609a5bb473095188386d232f7540824707d103ddfcd5d"


@dataclass(frozen=True)
class Fsdd(SpeechCorpus):
    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        return scan_named(self, Path(root), self.folder(root) / "recordings")

    def official(self, recordings: list[Recording]) -> Sides:
        return by_take(recordings)

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        folder = self.folder(root)
        if (folder / "recordings").is_dir() and any((folder / "recordings").glob("*.wav")):
            return folder
        fetch_archive(ARCHIVE, None, folder, _select, progress, content_sha256=RECORDINGS_SHA256)
        metadata = folder / "metadata.py"
        if metadata.is_file():
            speakers = parse_metadata(metadata.read_bytes())
            if speakers:
                write_text(folder / "speakers.json", json.dumps(speakers, indent=2) + "\n")
            metadata.unlink()
        return folder


def _select(member: str) -> str | None:
    """`top/recordings/X.wav` -> `recordings/X.wav`, `top/metadata.py` -> `metadata.py`, else skip."""
    parts = [p for p in member.split("/") if p]
    if len(parts) == 3 and parts[1] == "recordings" and parts[2].endswith(".wav"):
        return f"recordings/{parts[2]}"
    return "metadata.py" if len(parts) == 2 and parts[1] == "metadata.py" else None


def parse_metadata(source: bytes) -> dict | None:
    """The `metadata = {...}` literal of FSDD's metadata.py, read with ast.literal_eval (never executed)."""
    try:
        tree = ast.parse(source.decode("utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "metadata" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError):
                return None
            return value if isinstance(value, dict) else None
    return None


CORPUS = Fsdd(
    name="fsdd", licence="CC BY-SA 4.0",
    citation="Z. Jackson et al., Free Spoken Digit Dataset (FSDD), v1.0.10, doi:10.5281/zenodo.1342401",
    url="https://github.com/Jakobovski/free-spoken-digit-dataset")
