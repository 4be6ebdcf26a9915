"""The synthetic espeak-ng speakers: generated deterministically into the cache, training side only."""

import dataclasses
import hashlib

import numpy as np
import pytest

from digitfusion.data.corpora import CORPORA, Recording
from digitfusion.data.corpora.synthetic import CORPUS
from digitfusion.data.splits import make_split
from digitfusion.errors import DigitfusionError
from digitfusion.evaluation.synthetic import VOICES as CHECK_INPUTS_VOICES

TINY = dataclasses.replace(CORPUS, voices=("en-us", "en-gb-scotland"), variants=("f1", "m1"), takes=1)


def digests(corpus) -> dict[str, str]:
    return {r.key.rsplit("/", 2)[-2] + "/" + r.key.rsplit("/", 1)[-1]:
            hashlib.sha256(open(r.path, "rb").read()).hexdigest() for r in corpus.recordings(None)}


def test_generates_every_digit_for_every_speaker_into_the_cache(tmp_path):
    assert CORPORA["synthetic"] is CORPUS and CORPUS.train_only and not CORPORA["fsdd"].train_only
    with pytest.raises(DigitfusionError, match="^synthetic: not generated yet"):
        TINY.recordings(None)
    folder = TINY.fetch(None, progress=False)
    assert folder.is_relative_to(tmp_path / "cache" / "synthetic") and TINY.present(None)
    recs = TINY.recordings(None)
    assert len(recs) == 40 and {r.corpus for r in recs} == {"synthetic"}
    assert {r.speaker for r in recs} == {"synthetic.en-us+f1", "synthetic.en-us+m1", "synthetic.en-gb-scotland+f1",
                                         "synthetic.en-gb-scotland+m1"}
    assert sorted(r.digit for r in recs) == sorted(list(range(10)) * 4)
    assert TINY.official(recs) == (recs, [], [])
    assert TINY.verify(None)["clips"] == 40 and not TINY.verify(None)["problems"]
    for rec in recs[:3]:
        wave = TINY.load(tmp_path, rec, 8000)  # absolute paths: the data root plays no part
        assert wave.dtype == np.float32 and 0.2 < len(wave) / 8000 < 1.5 and np.abs(wave).max() > 0.05


def test_generation_is_deterministic_given_the_seed(tmp_path, monkeypatch):
    TINY.fetch(None, progress=False)
    first = digests(TINY)
    monkeypatch.setenv("DIGITFUSION_CACHE", str(tmp_path / "again"))
    TINY.fetch(None, progress=False)
    assert digests(TINY) == first
    other = dataclasses.replace(TINY, seed=1)
    assert other.folder(None) != TINY.folder(None)
    assert [(i["pitch"], i["rate"]) for i in other.plan()] != [(i["pitch"], i["rate"]) for i in TINY.plan()]


def test_full_voice_set_is_large_and_leaves_check_inputs_voices_out():
    plan = CORPUS.plan()
    speakers = {(i["voice"], i["variant"]) for i in plan}
    assert len(plan) == 8 * 35 * 10 * 2 and len(speakers) == 280
    assert len({i["pitch"] for i in plan}) > 50 and len({i["rate"] for i in plan}) > 50
    check_variants = {v.split("+")[1] for v in CHECK_INPUTS_VOICES if "+" in v}
    assert check_variants == {"f2", "f4", "m3", "klatt"} and not check_variants & set(CORPUS.variants)
    assert all(i["variant"] for i in plan)  # never a plain voice (check-inputs speaks some of those)
    assert {"f1", "f3", "f5", "grandma", "m1", "grandpa"} <= set(CORPUS.variants)


def fabricated() -> tuple[list[Recording], list[Recording]]:
    """Recordings (no files needed to split) of two real corpora and of the synthetic one."""
    real = [Recording(f"{c}/{d}_{s}_{t}.wav", d, f"{c}.s{s}", t, c) for c in ("fsdd", "fsdd-jason")
            for s in range(4) for d in range(10) for t in range(12)]
    synthetic = [Recording(f"/cache/synthetic/v{s}/{d}_0.wav", d, f"synthetic.v{s}", 0, "synthetic")
                 for s in range(5) for d in range(10)]
    return real, synthetic


@pytest.mark.parametrize(("protocol", "holdout"), [("official", None), ("random", None), ("speaker", "fsdd.s1"),
                                                   ("speaker-kfold:4", "0"), ("leave-corpus-out", "fsdd-jason")])
def test_every_protocol_keeps_synthetic_voices_on_the_training_side(protocol, holdout):
    real, synthetic = fabricated()
    with_extra = make_split(real + synthetic, protocol, holdout, seed=3)
    alone = make_split(real, protocol, holdout, seed=3)
    assert not any(r.corpus == "synthetic" for r in with_extra.val + with_extra.test)
    assert sorted(with_extra.train) == sorted(alone.train + synthetic)
    assert with_extra.val == alone.val and with_extra.test == alone.test  # the others split exactly as before


def test_leave_corpus_out_refuses_a_training_only_corpus():
    real, synthetic = fabricated()
    with pytest.raises(DigitfusionError, match="^synthetic: is a training-only corpus"):
        make_split(real + synthetic, "leave-corpus-out", "synthetic")
    with pytest.raises(DigitfusionError, match="need another corpus"):
        make_split(synthetic, "official")
