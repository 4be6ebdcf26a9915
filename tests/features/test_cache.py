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
