import contextlib
import os

import numpy as np

from digitfusion.data.fsdd import list_recordings
from digitfusion.features import cache as cache_module
from digitfusion.features.cache import load_features


def test_second_run_reads_the_cache(tiny_root, tmp_path):
    paths = [r.path for r in list_recordings(tiny_root)][:20]
    first = load_features(tiny_root, paths, cache=tmp_path)
    second = load_features(tiny_root, paths, cache=tmp_path)
    assert not first.from_cache and second.from_cache
    assert np.array_equal(first.logmel, second.logmel) and first.logmel.shape == (20, 1, 64, 101)


def test_changed_file_or_params_gives_a_new_entry(tiny_root, tmp_path):
    import dataclasses

    paths = [r.path for r in list_recordings(tiny_root)][:5]
    load_features(tiny_root, paths, cache=tmp_path)
    params = dataclasses.replace(cache_module.LogMelParams(), n_mels=32)
    other = load_features(tiny_root, paths, params=params, cache=tmp_path)
    assert not other.from_cache and other.logmel.shape[2] == 32
    assert len(list((tmp_path / "features").iterdir())) == 2


def test_killed_build_leaves_no_entry(tiny_root, tmp_path, monkeypatch):
    paths = [r.path for r in list_recordings(tiny_root)][:5]

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_module.np, "save", crash)
    with contextlib.suppress(KeyboardInterrupt):
        load_features(tiny_root, paths, cache=tmp_path)
    assert os.listdir(tmp_path / "features") == []
    monkeypatch.undo()
    assert not load_features(tiny_root, paths, cache=tmp_path).from_cache


def test_sigkill_during_a_cache_build_leaves_no_entry(tiny_root, tmp_path):
    """A real SIGKILL between the two array writes: no entry appears, and the next run builds a whole one."""
    import signal
    import subprocess
    import sys

    code = f"""
import os, signal, numpy as np
from pathlib import Path
from digitfusion.data.fsdd import list_recordings
from digitfusion.features import cache
real_save = np.save
def save_then_die(path, array):
    real_save(path, array)
    os.kill(os.getpid(), signal.SIGKILL)
cache.np.save = save_then_die
root = Path({str(tiny_root)!r})
cache.load_features(root, [r.path for r in list_recordings(root)][:5], cache=Path({str(tmp_path)!r}))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert run.returncode == -signal.SIGKILL
    entries = [p for p in (tmp_path / "features").iterdir() if not p.name.endswith(".part")]
    assert entries == []
    paths = [r.path for r in list_recordings(tiny_root)][:5]
    rebuilt = load_features(tiny_root, paths, cache=tmp_path)
    assert not rebuilt.from_cache and load_features(tiny_root, paths, cache=tmp_path).from_cache
