"""Word boundaries of long recordings, cached on disk: they cost a decode, and verify/stats/splits need them.

An entry `.cache/segments/<corpus>-<key>.json` is keyed by the sha256 of the source files' bytes and the
segmentation parameters, so a changed file or parameter gives a new entry.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from digitfusion.atomic import write_text
from digitfusion.audio_io import load_audio
from digitfusion.data.fetching import sha256sum
from digitfusion.data.segment import SegmentParams
from digitfusion.paths import cache_dir

Bounds = list[tuple[float, float]]


def cached_bounds(corpus: str, files: list[Path], params: SegmentParams, compute: Callable[[], Bounds]) -> Bounds:
    """`compute()` once per (file contents, params); later calls read the stored boundaries."""
    digest = hashlib.sha256(json.dumps(asdict(params), sort_keys=True).encode())
    for path in files:
        digest.update(sha256sum(path).encode())
    entry = cache_dir() / "segments" / f"{corpus}-{digest.hexdigest()[:20]}.json"
    if entry.is_file():
        return [tuple(b) for b in json.loads(entry.read_text(encoding="utf-8"))]
    bounds = compute()
    write_text(entry, json.dumps(bounds))
    return bounds


@functools.lru_cache(maxsize=16)
def decoded(path: str, mtime_ns: int, rate: int) -> np.ndarray:
    """A decoded file, kept while its segments are cut (a recording of ten digits is decoded once, not ten
    times). The mtime is part of the key so an edited file is decoded again."""
    wave = load_audio(path, rate)
    wave.setflags(write=False)
    return wave


def decode(path: Path, rate: int) -> np.ndarray:
    return decoded(str(path), path.stat().st_mtime_ns, rate)
