"""The speech corpora, found by themselves: every module of this package that defines a module-level `CORPUS`
(a SpeechCorpus) is registered under `CORPUS.name`. Adding a corpus = adding one module (and its test).

`--corpus` specs are registry names, or `folder:PATH` for a user's own tree of recordings.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
from pathlib import Path

from digitfusion.data.corpora._base import Recording, SpeechCorpus, parse_name
from digitfusion.errors import DigitfusionError

__all__ = ["CORPORA", "Recording", "SpeechCorpus", "corpus_of", "get_corpus", "list_recordings", "parse_corpora",
           "parse_name", "register"]


def _discover() -> dict[str, SpeechCorpus]:
    found: dict[str, SpeechCorpus] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        corpus = getattr(importlib.import_module(f"{__name__}.{info.name}"), "CORPUS", None)
        if isinstance(corpus, SpeechCorpus):
            found[corpus.name] = corpus
    return dict(sorted(found.items()))


CORPORA: dict[str, SpeechCorpus] = _discover()


def register(corpus: SpeechCorpus) -> SpeechCorpus:
    """Add a corpus defined outside this package (a plugin, or a test's example)."""
    CORPORA[corpus.name] = corpus
    return corpus


def get_corpus(spec: str) -> SpeechCorpus:
    """A registry name, or `folder:PATH` (the folder corpus pointed at PATH)."""
    name, _, location = spec.partition(":")
    if name == "folder" and location:
        return dataclasses.replace(CORPORA["folder"], location=Path(location).expanduser().resolve())
    if spec not in CORPORA:
        raise DigitfusionError(spec, f"unknown corpus (choose from {', '.join(CORPORA)}, or folder:PATH)")
    return CORPORA[spec]


def parse_corpora(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """`fsdd,speech-commands` (or a sequence) -> validated specs, in order, without repeats."""
    specs = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    if not specs:
        raise DigitfusionError("--corpus", "names no corpus")
    for spec in specs:
        get_corpus(spec)
    return tuple(dict.fromkeys(specs))


def corpus_of(recording: Recording) -> SpeechCorpus:
    return CORPORA[recording.corpus]


def list_recordings(root: str | os.PathLike, corpora: str | tuple[str, ...] | list[str] = ("fsdd",)) -> list[Recording]:
    """Every recording of the given corpora under `root`, sorted (by path first)."""
    specs = (corpora,) if isinstance(corpora, str) else corpora
    return sorted(r for spec in parse_corpora(list(specs)) for r in get_corpus(spec).recordings(Path(root)))
