"""Audio features computed once per (clips, parameters) and kept on disk.

An entry is a folder `.cache/features/<key>/` holding the features (`logmel.npy`, [N, 1, n_mels, T]),
the fixed-length clips they came from when the spec keeps them (`waves.npy`, [N, samples]) and
`index.json` (the parameters, the clip ids and their corpora). A spec is any frozen dataclass with
`sample_rate`, `store_waves`, `prepare(wave) -> clip` and `frontend() -> nn.Module` (LogMelParams, LabMelParams).

The clips come from a ClipSource: plain paths (relative to the data root, whole files) by default, or
the data layer's corpus-aware source (segments of longer recordings, joined takes). A segment is cut
from the decoded, resampled signal before the spec trims and centres it. The key hashes the spec's class
and parameters, every clip's corpus and id, and the path, size and mtime of every file the clips are read
from (size + mtime rather than a hash of the bytes: statting 3,000 files costs milliseconds, hashing
them a decode's worth of reading), so editing a file, a parameter or the corpus set makes a new entry.
The folder is built under a temporary name and renamed into place: a killed build leaves no entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from digitfusion.audio_io import load_audio
from digitfusion.features.mel import LogMelParams
from digitfusion.paths import cache_dir


class ClipSource(Protocol):
    """Where the cache gets each clip's audio (features never imports the data layer: it is handed one)."""

    def key(self, item) -> str: ...  # unique id of the clip
    def corpus(self, item) -> str: ...
    def files(self, item) -> list[Path]: ...  # the files its audio is read from
    def decode(self, item, rate: int) -> np.ndarray: ...  # mono float32 [N] at `rate`


@dataclass(frozen=True)
class FileSource:
    """Items are paths relative to `root`; each clip is the whole decoded file."""

    root: Path

    def key(self, item: str) -> str:
        return item

    def corpus(self, item: str) -> str:
        return Path(item).parts[0] if Path(item).parts else ""

    def files(self, item: str) -> list[Path]:
        return [self.root / item]

    def decode(self, item: str, rate: int) -> np.ndarray:
        return load_audio(self.root / item, rate)


@dataclass
class AudioFeatures:
    """Log-mel [N, 1, n_mels, T] of the clips `paths` (their ids) row for row, and their clips [N, samples]."""

    paths: list[str]
    waves: np.ndarray | None
    logmel: np.ndarray
    from_cache: bool

    def rows(self, keys: list[str]) -> np.ndarray:
        """Row numbers of the clips `keys` in this table."""
        where = {p: i for i, p in enumerate(self.paths)}
        return np.array([where[p] for p in keys], dtype=np.int64)


def cache_key(source: ClipSource, items: list, params) -> str:
    digest = hashlib.sha1(f"{type(params).__name__}{json.dumps(asdict(params), sort_keys=True)}".encode())
    files: dict[Path, None] = {}
    for item in items:
        digest.update(f"{source.corpus(item)}\0{source.key(item)}\n".encode())
        files.update(dict.fromkeys(source.files(item)))
    for path in files:
        stat = path.stat()
        digest.update(f"{path.as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def extract(source: ClipSource, items: list, params, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Decode (and cut) every clip, prepare it, then compute its features in batches (no cache)."""
    waves = np.stack([params.prepare(source.decode(item, params.sample_rate)) for item in items])
    frontend = params.frontend()
    with torch.no_grad():
        feats = torch.cat([frontend(torch.from_numpy(chunk)) for chunk in np.array_split(
            waves, max(1, int(np.ceil(len(waves) / batch_size))))]).numpy()
    return waves, feats


def load_features(root: str | os.PathLike, items: list, params=None, cache: Path | None = None,
                  force: bool = False, source: ClipSource | None = None) -> AudioFeatures:
    """Features of `items` (paths relative to root, or whatever `source` understands), from the cache when
    an entry exists, else computed and stored."""
    params, source = params or LogMelParams(), source or FileSource(Path(root))
    keys = [source.key(item) for item in items]
    entry = (cache or cache_dir()) / "features" / cache_key(source, items, params)
    if entry.is_dir() and not force:
        waves = np.load(entry / "waves.npy") if params.store_waves else None
        return AudioFeatures(keys, waves, np.load(entry / "logmel.npy"), from_cache=True)
    waves, feats = extract(source, items, params)
    waves = waves if params.store_waves else None
    _store(entry, {"params": asdict(params), "paths": keys, "corpora": [source.corpus(i) for i in items]}, waves, feats)
    return AudioFeatures(keys, waves, feats, from_cache=False)


def _store(entry: Path, index: dict, waves: np.ndarray | None, feats: np.ndarray) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{entry.name}.", suffix=".part"))
    try:
        if waves is not None:
            np.save(tmp / "waves.npy", waves)
        np.save(tmp / "logmel.npy", feats)
        (tmp / "index.json").write_text(json.dumps(index))
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
