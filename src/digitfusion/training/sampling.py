"""Corpus weights: how much of each speech corpus one training epoch sees.

Mixing corpora by concatenation lets the largest one set the balance: 5,600 espeak-ng clips against 2,400 FSDD
clips and a few hundred of each outside corpus. A config's `corpus_weights` ({corpus: w}) changes that per epoch:
w < 1 keeps a fresh random share w of that corpus's training clips (re-drawn each epoch, so every clip is still
seen over the run), w > 1 repeats its clips floor(w) times plus a random share of the rest; unlisted corpora
count once. The draw is fixed by (seed, epoch), like the shuffle, so a resumed run sees what an uninterrupted
one saw, and each epoch has the same length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitfusion.errors import DigitfusionError


def check_weights(weights: dict, corpora: Sequence[str]) -> None:
    """Refuse weights of corpora the config does not read, and negative or non-numeric weights."""
    for name, weight in weights.items():
        if name not in corpora:
            raise DigitfusionError("corpus_weights", f"{name!r} is not one of the config's corpora "
                                                     f"({', '.join(corpora)})")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise DigitfusionError("corpus_weights", f"the weight of {name!r} must be a number >= 0, got {weight!r}")


def epoch_rows(groups: Sequence[str], weights: dict[str, float], seed: int, epoch: int) -> np.ndarray:
    """The rows [M] of one epoch (sorted), where `groups` [N] names each training clip's corpus."""
    groups = np.asarray(groups)
    rng = np.random.default_rng([seed, epoch, 7919])
    kept = []
    for name in sorted(set(groups.tolist())):  # a fixed order: the draw does not depend on the rows' order
        rows = np.flatnonzero(groups == name)
        weight = float(weights.get(name, 1.0))
        whole, share = int(weight), weight - int(weight)
        kept.extend([rows] * whole)
        kept.append(rng.choice(rows, size=int(round(share * len(rows))), replace=False))
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, np.int64)


def epoch_sampler(groups: Sequence[str], weights: dict[str, float], seed: int):
    """epoch -> rows, or None when no weight changes anything (the plain shuffle then, bit-identical runs)."""
    if all(float(w) == 1.0 for w in weights.values()):
        return None
    return lambda epoch: epoch_rows(groups, weights, seed, epoch)
