"""The split protocols' names and what a leave-corpus-out holdout names, in a module of their own: the CLI lists
the protocols in its help, and the recipe resolves a holdout, without importing the corpora (every command builds
the whole parser, `predict` included). data/splits.py makes the splits."""

from __future__ import annotations

from digitfusion.errors import DigitfusionError

PROTOCOLS = ("random", "official", "speaker", "speaker-kfold:K", "leave-corpus-out")


def holdout_parts(holdout: str | None, images) -> tuple[str | None, str | None]:
    """A leave-corpus-out holdout -> (speech corpus or None, image source or None): `a+b` names one of each."""
    parts = [p for p in (holdout or "").split("+") if p]
    image = [p for p in parts if p in images]
    speech = [p for p in parts if p not in images]
    if len(image) > 1 or len(speech) > 1:
        raise DigitfusionError(holdout, "holds out at most one speech corpus and one image source (a+b)")
    return (speech[0] if speech else None), (image[0] if image else None)
