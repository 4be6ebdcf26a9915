"""Audio train/validation/test splits. The protocol decides what a test score means.

- random: a shuffled 75/25 over every recording (10 % of the rest validation). Every speaker is on both
  sides, so its test score is optimistic.
- official: each corpus's own split (FSDD: takes 0-4 test, 5-9 validation), concatenated.
- speaker: one speaker held out for test, another (drawn by the seed) for validation, the rest train; with
  several corpora, validation is 10 % of each corpus's other speakers (as leave-corpus-out's).
- speaker-kfold:K: the speakers dealt into K folds (sorted, then shuffled by the seed); fold `holdout`
  (an index) is test, the next fold validation, the rest train.
- leave-corpus-out: test = every recording of the held-out corpus; train/validation = the other corpora,
  validation speaker-disjoint from train (10 % of each corpus's speakers, at least one of a corpus with two).
  The holdout may name a speech corpus, an image source, or one of each joined by `+`
  (`speech-commands+optdigits`: voices and writers no model of the split has met, so even the pairs are outside).
Validation always comes from the training side and follows the same protocol as the test side.
Corpora marked `train_only` (synthetic voices) are added to the training side after the split, whatever the
protocol: they are never validation or test, and leave-corpus-out refuses to hold one out.
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
from digitfusion.data.corpora import Recording, get_corpus
from digitfusion.data.protocols import PROTOCOLS
from digitfusion.errors import DigitfusionError

SIDES = ("train", "val", "test")


@dataclass
class Split:
    protocol: str
    seed: int
    train: list[Recording]
    val: list[Recording]
    test: list[Recording]
    holdout: str | None = None
    val_speaker: str | None = None
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = _name(self)

    def side(self, name: str) -> list[Recording]:
        return getattr(self, name)

    def speakers(self) -> dict[str, list[str]]:
        return {s: sorted({r.speaker for r in self.side(s)}) for s in SIDES}

    def corpora(self) -> dict[str, dict[str, int]]:
        """Clips of each corpus on each side."""
        return {s: {c: sum(r.corpus == c for r in self.side(s)) for c in sorted({r.corpus for r in self.side(s)})}
                for s in SIDES}

    def overlap(self) -> list[str]:
        """Speakers heard in training and in test: a test score on them is speaker-dependent."""
        return sorted({r.speaker for r in self.train} & {r.speaker for r in self.test})


def _name(split: Split) -> str:
    if split.protocol == "random":
        return f"random-seed{split.seed}"
    if split.protocol == "speaker":
        corpora = {r.corpus for s in SIDES for r in split.side(s)}
        bare = split.holdout.split(".", 1)[1] if len(corpora) == 1 and "." in split.holdout else split.holdout
        return f"speaker-{bare}"
    if split.protocol.startswith("speaker-kfold"):
        return f"{split.protocol.replace(':', '')}-fold{split.holdout}"
    if split.protocol == "leave-corpus-out":
        return f"leave-corpus-out-{split.holdout}"
    return split.protocol


def parse_protocol(protocol: str) -> tuple[str, int | None]:
    """'speaker-kfold:5' -> ('speaker-kfold', 5); other names -> (name, None). Unknown -> DigitfusionError."""
    base, _, k = protocol.partition(":")
    if base == "speaker-kfold":
        if not k.isdigit() or int(k) < 3:
            raise DigitfusionError(protocol, "speaker-kfold needs a fold count of at least 3 (speaker-kfold:K)")
        return base, int(k)
    if protocol not in PROTOCOLS:
        raise DigitfusionError(protocol, f"unknown split protocol (choose from {', '.join(PROTOCOLS)})")
    return protocol, None


def make_split(recordings: list[Recording], protocol: str, holdout: str | None = None, seed: int = 0,
               k: int | None = None, val_fraction: float = 0.1) -> Split:
    """Split `recordings` (of one corpus or several) by `protocol`; `k` may also come as 'speaker-kfold:K'."""
    base, parsed_k = parse_protocol(protocol if k is None or ":" in protocol else f"{protocol}:{k}")
    recordings = sorted(recordings)
    extra = [r for r in recordings if get_corpus(r.corpus).train_only]
    if extra:
        return _with_training_only(recordings, extra, protocol, holdout, seed, k, val_fraction)
    rng = np.random.default_rng(seed)
    if base == "random":
        return _random(recordings, rng, seed, val_fraction)
    if base == "official":
        return _official(recordings, seed)
    if base == "speaker":
        return _by_speaker(recordings, holdout, rng, seed)
    if base == "speaker-kfold":
        return _speaker_kfold(recordings, parsed_k, holdout, rng, seed)
    return _leave_corpus_out(recordings, holdout, rng, seed, val_fraction)


def _with_training_only(recordings: list[Recording], extra: list[Recording], protocol: str, holdout: str | None,
                        seed: int, k: int | None, val_fraction: float) -> Split:
    """Training-only corpora (synthetic voices) join the training side after the protocol has split the others,
    so they never judge a model and the others split exactly as they would without them."""
    extra_corpora = sorted({r.corpus for r in extra})
    if protocol.startswith("leave-corpus-out") and holdout in extra_corpora:
        raise DigitfusionError(holdout, "is a training-only corpus: it is never held out for test")
    kept = set(extra)
    judged = [r for r in recordings if r not in kept]
    if not judged:
        raise DigitfusionError(",".join(extra_corpora), "training-only corpora need another corpus to validate "
                                                        "and test on")
    split = make_split(judged, protocol, holdout, seed, k, val_fraction)
    split.train = sorted(split.train + extra)
    split.name = _name(split)
    return split


def _random(recordings: list[Recording], rng: np.random.Generator, seed: int, val_fraction: float) -> Split:
    order = rng.permutation(len(recordings))
    n_test = len(recordings) // 4
    test = [recordings[i] for i in order[:n_test]]
    rest = [recordings[i] for i in order[n_test:]]
    n_val = int(round(len(rest) * val_fraction))
    return Split("random", seed, sorted(rest[n_val:]), sorted(rest[:n_val]), sorted(test))


def _official(recordings: list[Recording], seed: int) -> Split:
    sides: tuple[list, list, list] = ([], [], [])
    for corpus in sorted({r.corpus for r in recordings}):
        for side, part in zip(sides, get_corpus(corpus).official([r for r in recordings if r.corpus == corpus]),
                              strict=True):
            side.extend(part)
    return Split("official", seed, *(sorted(side) for side in sides))


def resolve_speaker(name: str, speakers: list[str]) -> str:
    """`fsdd.george`, or `george` when exactly one corpus has a speaker of that name."""
    if name in speakers:
        return name
    matches = [s for s in speakers if s.split(".", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise DigitfusionError(name, f"ambiguous speaker (say which: {', '.join(matches)})")
    shown = ", ".join(speakers[:12]) + (f", ... ({len(speakers)} in all)" if len(speakers) > 12 else "")
    raise DigitfusionError(name, f"unknown speaker (choose from {shown})")


def _by_speaker(recordings: list[Recording], holdout: str | None, rng: np.random.Generator, seed: int) -> Split:
    speakers = sorted({r.speaker for r in recordings})
    if len(speakers) < 3:
        raise DigitfusionError("speaker split", f"needs at least 3 speakers, the corpus has {len(speakers)}")
    holdout = resolve_speaker(holdout, speakers) if holdout else speakers[seed % len(speakers)]
    others = [s for s in speakers if s != holdout]
    if len({r.corpus for r in recordings}) > 1:
        # Several corpora: validation hears some speakers of each (one drawn speaker could be a 5-clip one).
        val = validation_speakers([r for r in recordings if r.speaker != holdout], rng, 0.1)
    else:
        val = {others[int(rng.integers(len(others)))]}
    train = [r for r in recordings if r.speaker != holdout and r.speaker not in val]
    test = [r for r in recordings if r.speaker == holdout]
    return Split("speaker", seed, train, [r for r in recordings if r.speaker in val], test, holdout=holdout,
                 val_speaker=",".join(sorted(val)))


def _speaker_kfold(recordings: list[Recording], k: int, holdout: str | None, rng: np.random.Generator,
                   seed: int) -> Split:
    speakers = sorted({r.speaker for r in recordings})
    if len(speakers) < k:
        raise DigitfusionError(f"speaker-kfold:{k}", f"needs at least {k} speakers, the corpora have {len(speakers)}")
    fold = int(holdout) if holdout is not None and str(holdout).isdigit() else None
    if holdout is not None and (fold is None or fold >= k):
        raise DigitfusionError(holdout, f"the holdout of speaker-kfold:{k} is a fold index 0-{k - 1}")
    fold = seed % k if fold is None else fold
    folds = np.array_split(np.array(speakers, dtype=object)[rng.permutation(len(speakers))], k)
    test, val = set(folds[fold]), set(folds[(fold + 1) % k])
    return Split(f"speaker-kfold:{k}", seed, [r for r in recordings if r.speaker not in test | val],
                 [r for r in recordings if r.speaker in val], [r for r in recordings if r.speaker in test],
                 holdout=str(fold))


def _leave_corpus_out(recordings: list[Recording], holdout: str | None, rng: np.random.Generator, seed: int,
                      val_fraction: float) -> Split:
    corpora = sorted({r.corpus for r in recordings})
    if holdout not in corpora:
        raise DigitfusionError(holdout or "--holdout", f"leave-corpus-out holds out one of the corpora given "
                                                       f"({', '.join(corpora)})")
    if len(corpora) < 2:
        raise DigitfusionError("leave-corpus-out", "needs at least two corpora (--corpus a,b)")
    rest = [r for r in recordings if r.corpus != holdout]
    if len({r.speaker for r in rest}) < 2:
        raise DigitfusionError("leave-corpus-out", "the training corpora need at least 2 speakers")
    val = validation_speakers(rest, rng, val_fraction)
    return Split("leave-corpus-out", seed, [r for r in rest if r.speaker not in val],
                 [r for r in rest if r.speaker in val], [r for r in recordings if r.corpus == holdout],
                 holdout=holdout, val_speaker=",".join(sorted(val)))


def validation_speakers(recordings: list[Recording], rng: np.random.Generator, fraction: float) -> set[str]:
    """`fraction` of each corpus's speakers (at least one of a corpus with two or more), so validation hears every
    kind of voice the training side has, none of them in training; a one-speaker corpus stays in training."""
    val: set[str] = set()
    for corpus in sorted({r.corpus for r in recordings}):
        speakers = sorted({r.speaker for r in recordings if r.corpus == corpus})
        if len(speakers) >= 2:
            n_val = max(1, int(round(len(speakers) * fraction)))
            val |= {speakers[i] for i in rng.permutation(len(speakers))[:n_val]}
    if not val:  # one-speaker corpora only: one of those speakers validates
        speakers = sorted({r.speaker for r in recordings})
        val = {speakers[int(rng.integers(len(speakers)))]}
    return val


def to_csv(recordings: list[Recording]) -> str:
    """`path,label,corpus,speaker,start,end` rows (start/end empty for whole files)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", "label", "corpus", "speaker", "start", "end"])
    writer.writerows((r.path, r.digit, r.corpus, r.speaker, "" if r.start is None else r.start,
                      "" if r.end is None else r.end) for r in recordings)
    return buffer.getvalue()


def speaker_table(split: Split, limit: int = 40) -> str:
    """A text table: for every speaker (the first `limit`), how many recordings each side holds."""
    speakers = sorted({r.speaker for s in SIDES for r in split.side(s)})
    width = max([12, *(len(s) + 2 for s in speakers[:limit])])
    lines = [f"{'speaker':<{width}}" + "".join(f"{s:>8}" for s in SIDES)]
    for spk in speakers[:limit]:
        counts = [sum(r.speaker == spk for r in split.side(s)) for s in SIDES]
        lines.append(f"{spk:<{width}}" + "".join(f"{c:>8}" for c in counts))
    if len(speakers) > limit:
        lines.append(f"... and {len(speakers) - limit} more speakers")
    overlap = split.overlap()
    lines.append(f"speakers in both train and test: {', '.join(overlap) if overlap else 'none'}")
    return "\n".join(lines)


def write_split(split: Split, out_dir: str | os.PathLike) -> Path:
    """train.csv / val.csv / test.csv, speakers.txt and split.json, each written atomically."""
    out = Path(out_dir)
    for side in SIDES:
        write_text(out / f"{side}.csv", to_csv(split.side(side)))
    write_text(out / "speakers.txt", speaker_table(split) + "\n")
    meta = {"protocol": split.protocol, "name": split.name, "seed": split.seed, "holdout": split.holdout,
            "val_speaker": split.val_speaker, "corpora": split.corpora(), "speakers": split.speakers(),
            "overlap": split.overlap(), "counts": {s: len(split.side(s)) for s in SIDES}}
    write_text(out / "split.json", json.dumps(meta, indent=2) + "\n")
    return out


def read_split_csv(path: str | os.PathLike) -> list[tuple[str, int]]:
    """Rows (path, label) of a split CSV (with or without its header; extra columns are ignored)."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line_no, row in enumerate(csv.reader(handle), start=1):
            if line_no == 1 and row[:2] == ["path", "label"]:
                continue
            if len(row) < 2 or not row[1].strip().isdigit():
                raise DigitfusionError(f"{path}:{line_no}", "expected `path,label` with an integer label")
            rows.append((row[0], int(row[1])))
    return rows
