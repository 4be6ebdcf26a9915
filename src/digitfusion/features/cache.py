"""Audio features computed once per (files, parameters) and kept on disk.

An entry is a folder `.cache/features/<key>/` holding the features (`logmel.npy`, [N, 1, n_mels, T]),
the fixed-length clips they came from when the spec keeps them (`waves.npy`, [N, samples]) and
`index.json` (the parameters and the file list). A spec is any frozen dataclass with `sample_rate`,
`store_waves`, `prepare(wave) -> clip` and `frontend() -> nn.Module` (LogMelParams, SeedMelParams). The key hashes the
parameters and every file's path, size and mtime, so editing a file or a parameter makes a new entry.
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

import numpy as np
import torch

from digitfusion.data.audio_io import load_audio
from digitfusion.features.mel import LogMelParams
from digitfusion.paths import cache_dir


@dataclass
class AudioFeatures:
    """Log-mel [N, 1, n_mels, T] of `paths` row for row, and their clips [N, samples] (or None)."""

    paths: list[str]
    waves: np.ndarray | None
    logmel: np.ndarray
    from_cache: bool

    def rows(self, paths: list[str]) -> np.ndarray:
        """Row numbers of `paths` in this table."""
        where = {p: i for i, p in enumerate(self.paths)}
        return np.array([where[p] for p in paths], dtype=np.int64)


def cache_key(root: Path, paths: list[str], params) -> str:
    digest = hashlib.sha1(f"{type(params).__name__}{json.dumps(asdict(params), sort_keys=True)}".encode())
    for rel in paths:
        stat = (root / rel).stat()
        digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def extract(root: Path, paths: list[str], params, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Decode and prepare every file, then compute its features in batches (no cache)."""
    waves = np.stack([params.prepare(load_audio(root / rel, params.sample_rate)) for rel in paths])
    frontend = params.frontend()
    with torch.no_grad():
        feats = torch.cat([frontend(torch.from_numpy(chunk)) for chunk in np.array_split(
            waves, max(1, int(np.ceil(len(waves) / batch_size))))]).numpy()
    return waves, feats


def load_features(root: str | os.PathLike, paths: list[str], params=None,
                  cache: Path | None = None, force: bool = False) -> AudioFeatures:
    """Features of `paths` (relative to root), from the cache when an entry exists, else computed and stored."""
    root, params = Path(root), params or LogMelParams()
    entry = (cache or cache_dir()) / "features" / cache_key(root, paths, params)
    if entry.is_dir() and not force:
        waves = np.load(entry / "waves.npy") if params.store_waves else None
        return AudioFeatures(list(paths), waves, np.load(entry / "logmel.npy"), from_cache=True)
    waves, feats = extract(root, paths, params)
    waves = waves if params.store_waves else None
    _store(entry, paths, params, waves, feats)
    return AudioFeatures(list(paths), waves, feats, from_cache=False)


def _store(entry: Path, paths: list[str], params, waves: np.ndarray | None, feats: np.ndarray) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{entry.name}.", suffix=".part"))
    try:
        if waves is not None:
            np.save(tmp / "waves.npy", waves)
        np.save(tmp / "logmel.npy", feats)
        (tmp / "index.json").write_text(json.dumps({"params": asdict(params), "paths": paths}))
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
