import contextlib
import dataclasses
import hashlib
import os

import numpy as np
import pytest

from digitfusion.audio_io import load_audio
from digitfusion.data.clips import CorpusClips
from digitfusion.data.corpora import list_recordings
from digitfusion.features import cache as cache_module
from digitfusion.features.cache import load_features
from digitfusion.features.mel import LogMelParams


def test_second_run_reads_the_cache(tiny_root, tmp_path):
    paths = [r.path for r in list_recordings(tiny_root)][:20]
    first = load_features(tiny_root, paths, cache=tmp_path)
    second = load_features(tiny_root, paths, cache=tmp_path)
    assert not first.from_cache and second.from_cache
    assert np.array_equal(first.logmel, second.logmel) and first.logmel.shape == (20, 1, 64, 101)


def test_changed_file_or_params_gives_a_new_entry(tiny_root, tmp_path):
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
from digitfusion.data.corpora import list_recordings
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


def test_corpus_and_segment_are_part_of_the_key(tiny_root, tmp_path):
    """The same file under another corpus, or a segment of it, is another clip: another entry."""
    rec = list_recordings(tiny_root)[0]
    clips = CorpusClips(tiny_root)
    whole = load_features(tiny_root, [rec], cache=tmp_path, source=clips)
    renamed = dataclasses.replace(rec, corpus="fsdd-jason")
    assert cache_module.cache_key(clips, [rec], LogMelParams()) != cache_module.cache_key(clips, [renamed],
                                                                                          LogMelParams())
    segment = dataclasses.replace(rec, start=0.05, end=0.2)
    cut = load_features(tiny_root, [segment], cache=tmp_path, source=clips)
    assert not cut.from_cache and cut.paths == [f"{rec.path}#0.050-0.200"]
    assert not np.array_equal(cut.waves, whole.waves)
    assert len(list((tmp_path / "features").iterdir())) == 2


def test_a_segment_is_cut_before_trimming_and_centring(tiny_root, tmp_path):
    rec = list_recordings(tiny_root)[0]
    segment = dataclasses.replace(rec, start=0.1, end=0.25)
    wave = load_audio(tiny_root / rec.path)[800:2000]
    expected = LogMelParams().prepare(wave)
    got = load_features(tiny_root, [segment], cache=tmp_path, source=CorpusClips(tiny_root)).waves[0]
    assert np.array_equal(got, expected)


def test_plain_paths_and_recordings_give_the_same_features(tiny_root, tmp_path):
    recs = list_recordings(tiny_root)[:6]
    by_path = load_features(tiny_root, [r.path for r in recs], cache=tmp_path)
    by_recording = load_features(tiny_root, recs, cache=tmp_path, source=CorpusClips(tiny_root))
    assert np.array_equal(by_path.logmel, by_recording.logmel) and by_path.paths == by_recording.paths
    assert by_recording.from_cache  # one cache entry: the pipeline's plain-path callers and load_bundle share it


# The FSDD cache arrays (all 3,000 recordings, default LogMelParams) of the pre-corpora code (main 933d348): the
# demo's inputs must not move. The waves are pinned bit for bit; the log-mels by statistics to a relative 1e-5,
# since their last bits follow the numerical libraries' versions (a fresh venv of 2026-12-04 moved the hash, not
# the values), while any change of the front end moves these figures far more.
FSDD_WAVES_SHA256 = "1d3887d05044ec6fe95e33bd1be77f45e8fccd0716b88812feda81f9b9ca8f9c"
FSDD_LOGMEL_SHAPE = (3000, 1, 64, 101)
FSDD_LOGMEL_MEAN_STD = (-67.80606696410982, 24.413100248767392)
FSDD_LOGMEL_CLIP_MEANS = {0: -63.06923, 1: -56.136661, 1500: -54.920833, 2999: -79.363565}


@pytest.mark.integration
def test_fsdd_features_are_those_of_the_pre_corpora_cache(real_root, tmp_path):
    recs = list_recordings(real_root, "fsdd")
    feats = load_features(real_root, recs, cache=tmp_path, source=CorpusClips(real_root))
    assert hashlib.sha256(feats.waves.tobytes()).hexdigest() == FSDD_WAVES_SHA256
    logmel = feats.logmel.astype(np.float64)
    assert logmel.shape == FSDD_LOGMEL_SHAPE
    assert (logmel.mean(), logmel.std()) == pytest.approx(FSDD_LOGMEL_MEAN_STD, rel=1e-5)
    clip_means = logmel.reshape(len(logmel), -1).mean(axis=1)
    assert {i: clip_means[i] for i in FSDD_LOGMEL_CLIP_MEANS} == pytest.approx(FSDD_LOGMEL_CLIP_MEANS, rel=1e-5)
