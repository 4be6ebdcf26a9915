"""Audio train/validation/test splits. The protocol decides what a test score means.

- random: the seed's shuffled 75/25. Every speaker is on both sides, so its test score is optimistic.
- official: FSDD's own split, repetitions 0-4 are test (speaker-dependent); validation = repetitions 5-9.
- speaker: one speaker held out for test, another for validation, the rest train (speaker-independent).
Validation always comes from the training side and follows the same protocol as the test side.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitfusion.atomic import write_text
from digitfusion.data.fsdd import Recording
from digitfusion.errors import DigitfusionError

STRATEGIES = ("random", "official", "speaker")
SIDES = ("train", "val", "test")


@dataclass
class Split:
    strategy: str
    seed: int
    train: list[Recording]
    val: list[Recording]
    test: list[Recording]
    holdout: str | None = None
    val_speaker: str | None = None
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.strategy if self.strategy != "speaker" else f"speaker-{self.holdout}"
        if self.strategy == "random":
            self.name = f"random-seed{self.seed}"

    def side(self, name: str) -> list[Recording]:
        return getattr(self, name)

    def speakers(self) -> dict[str, list[str]]:
        return {s: sorted({r.speaker for r in self.side(s)}) for s in SIDES}

    def overlap(self) -> list[str]:
        """Speakers heard in training and in test: a test score on them is speaker-dependent."""
        return sorted({r.speaker for r in self.train} & {r.speaker for r in self.test})


def make_split(recordings: list[Recording], strategy: str, holdout: str | None = None, seed: int = 0,
               val_fraction: float = 0.1) -> Split:
    if strategy not in STRATEGIES:
        raise DigitfusionError(strategy, f"unknown split strategy (choose from {', '.join(STRATEGIES)})")
    recordings = sorted(recordings)
    rng = np.random.default_rng(seed)
    if strategy == "random":
        return _random(recordings, rng, seed, val_fraction)
    if strategy == "official":
        return Split("official", seed, [r for r in recordings if r.index >= 10],
                     [r for r in recordings if 5 <= r.index < 10], [r for r in recordings if r.index < 5])
    return _by_speaker(recordings, holdout, rng, seed)


def _random(recordings: list[Recording], rng: np.random.Generator, seed: int, val_fraction: float) -> Split:
    order = rng.permutation(len(recordings))
    n_test = len(recordings) // 4
    test = [recordings[i] for i in order[:n_test]]
    rest = [recordings[i] for i in order[n_test:]]
    n_val = int(round(len(rest) * val_fraction))
    return Split("random", seed, sorted(rest[n_val:]), sorted(rest[:n_val]), sorted(test))


def _by_speaker(recordings: list[Recording], holdout: str | None, rng: np.random.Generator, seed: int) -> Split:
    speakers = sorted({r.speaker for r in recordings})
    if len(speakers) < 3:
        raise DigitfusionError("speaker split", f"needs at least 3 speakers, the corpus has {len(speakers)}")
    holdout = holdout or speakers[seed % len(speakers)]
    if holdout not in speakers:
        raise DigitfusionError(holdout, f"unknown speaker (choose from {', '.join(speakers)})")
    others = [s for s in speakers if s != holdout]
    val_speaker = others[int(rng.integers(len(others)))]
    train = [r for r in recordings if r.speaker not in (holdout, val_speaker)]
    val = [r for r in recordings if r.speaker == val_speaker]
    test = [r for r in recordings if r.speaker == holdout]
    return Split("speaker", seed, train, val, test, holdout=holdout, val_speaker=val_speaker)


def to_csv(recordings: list[Recording]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "label"])
    writer.writerows((r.path, r.digit) for r in recordings)
    return buffer.getvalue()


def speaker_table(split: Split) -> str:
    """A text table: for every speaker, how many recordings each side holds."""
    speakers = sorted({r.speaker for s in SIDES for r in split.side(s)})
    lines = [f"{'speaker':<12}" + "".join(f"{s:>8}" for s in SIDES)]
    for spk in speakers:
        counts = [sum(r.speaker == spk for r in split.side(s)) for s in SIDES]
        lines.append(f"{spk:<12}" + "".join(f"{c:>8}" for c in counts))
    overlap = split.overlap()
    lines.append(f"speakers in both train and test: {', '.join(overlap) if overlap else 'none'}")
    return "\n".join(lines)


def write_split(split: Split, out_dir: str | os.PathLike) -> Path:
    """train.csv / val.csv / test.csv (`path,label`), speakers.txt and split.json, each written atomically."""
    out = Path(out_dir)
    for side in SIDES:
        write_text(out / f"{side}.csv", to_csv(split.side(side)))
    write_text(out / "speakers.txt", speaker_table(split) + "\n")
    meta = {"strategy": split.strategy, "seed": split.seed, "holdout": split.holdout,
            "val_speaker": split.val_speaker, "speakers": split.speakers(), "overlap": split.overlap(),
            "counts": {s: len(split.side(s)) for s in SIDES}}
    write_text(out / "split.json", json.dumps(meta, indent=2) + "\n")
    return out


def read_split_csv(path: str | os.PathLike) -> list[tuple[str, int]]:
    """Rows (path, label) of a split CSV (with or without the `path,label` header)."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line_no, row in enumerate(csv.reader(handle), start=1):
            if line_no == 1 and row[:2] == ["path", "label"]:
                continue
            if len(row) < 2 or not row[1].strip().isdigit():
                raise DigitfusionError(f"{path}:{line_no}", "expected `path,label` with an integer label")
            rows.append((row[0], int(row[1])))
    return rows
