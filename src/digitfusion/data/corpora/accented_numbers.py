"""accented-numbers: 70 speakers (mostly non-native English) reading a phone number digit by digit,
`audio_data/Numbers/{Response_ID}.wav` (22.05-48 kHz, some stereo); `metadata.csv` gives the digits read.

The words are connected, so each recording is cut at its silences (data/segment.py). A recording is kept only
when the cut gives exactly as many words as digits were read; the words are then labelled in order. The cut is
tried with a few thresholds (LADDER, in order) and the first that gives the right count is used: this uses only
the count, never which digit is where. `yield_report` says how many recordings and digits were kept.
Boundaries are cached by file content. Official split: deterministic speaker-disjoint (20 % test, 10 % val).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, replace
from pathlib import Path

from digitfusion.audio_io import TARGET_RATE
from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus, speaker_disjoint, summary
from digitfusion.data.corpora._segments import cached_bounds, decode
from digitfusion.data.fetching import fetch_files, read_checksums
from digitfusion.data.segment import SegmentParams, segments
from digitfusion.errors import DigitfusionError

BASE_URL = "https://raw.githubusercontent.com/Sakshee5/alphanumeric-audio-dataset/main"
CHECKSUMS = Path(__file__).with_name("accented_numbers.sha256")
LADDER = tuple(replace(SegmentParams(), rise=rise, min_gap_s=gap) for rise in (0.4, 0.3, 0.5) for gap in (0.10, 0.06))


@dataclass(frozen=True)
class AccentedNumbers(SpeechCorpus):
    def numbers(self, root: str | os.PathLike) -> dict[str, tuple[str, str]]:
        """Recording path (relative to the corpus folder) -> (speaker id, digits read), from metadata.csv."""
        path = self.folder(root) / "metadata.csv"
        if not path.is_file():
            raise DigitfusionError(path, "missing (it says which digits each recording reads)")
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if rows and not {"Response_ID", "file_name", "Number"} <= set(rows[0]):
            raise DigitfusionError(path, "lacks the Response_ID, file_name or Number column")
        return {r["file_name"]: (r["Response_ID"], "".join(c for c in r["Number"] if c.isdigit()))
                for r in rows if r["file_name"].startswith("audio_data/Numbers/")}

    def cut_words(self, root: Path, rel: str, digits: str) -> list[tuple[float, float]] | None:
        """The words of one recording, or None when no setting of LADDER cuts it into len(digits) words."""
        path = self.folder(root) / rel
        for params in LADDER:
            bounds = cached_bounds(self.name, [path], params, lambda p=params: segments(decode(path, TARGET_RATE),
                                                                                       TARGET_RATE, p))
            if len(bounds) == len(digits):
                return bounds
        return None

    def yield_report(self, root: str | os.PathLike) -> dict:
        """How many recordings (and digits) the segmentation kept."""
        root, numbers = Path(root), self.numbers(root)
        present = {rel: n for rel, n in numbers.items() if (self.folder(root) / rel).is_file()}
        kept = {rel: n for rel, (_, n) in present.items() if self.cut_words(root, rel, n) is not None}
        return {"recordings": len(present), "recordings_kept": len(kept),
                "digits_read": sum(len(n) for _, n in present.values()),
                "digits_kept": sum(len(n) for n in kept.values())}

    def recordings(self, root: str | os.PathLike) -> list[Recording]:
        root, folder = Path(root), self.folder(root)
        found = []
        for rel, (speaker, digits) in sorted(self.numbers(root).items()):
            if not (folder / rel).is_file():
                continue
            words = self.cut_words(root, rel, digits)
            path = (folder / rel).relative_to(root).as_posix()
            found += [Recording(path, int(d), self.speaker(speaker), i, self.name, s, e)
                      for i, (d, (s, e)) in enumerate(zip(digits, words or [], strict=False))]
        return sorted(found)

    def official(self, recordings: list[Recording]) -> Sides:
        return speaker_disjoint(recordings)

    def verify(self, root: str | os.PathLike) -> dict:
        if not self.present(root):
            return summary(self.name, [], [f"{self.folder(root)} not found"])
        try:
            report = self.yield_report(root)
            row = summary(self.name, self.recordings(root), [])
        except DigitfusionError as err:
            return summary(self.name, [], [str(err)])
        share = report["recordings_kept"] / max(1, report["recordings"])
        row["note"] = (f"segmentation kept {report['recordings_kept']}/{report['recordings']} recordings "
                       f"({share:.0%}), {report['digits_kept']}/{report['digits_read']} digits")
        return {**row, **report}

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        return fetch_files(BASE_URL, read_checksums(CHECKSUMS), self.folder(root), progress)


CORPUS = AccentedNumbers(
    name="accented-numbers", licence="MIT",
    citation="Sakshee5, Alphanumeric Audio Dataset (accented English: names, numbers, addresses), 2024",
    url="https://github.com/Sakshee5/alphanumeric-audio-dataset")
