import hashlib
import json
from pathlib import Path

import pytest

from digitfusion.data.corpora import Recording, list_recordings
from digitfusion.data.splits import make_split, read_split_csv, write_split
from digitfusion.errors import DigitfusionError

# Recorded with the pre-corpora implementation (data/splits.py at main 933d348): for every protocol, holdout and
# seed, the count and a digest of the path list of each side, the split's name and its validation speaker.
BASELINE = json.loads((Path(__file__).parent / "splits_baseline.json").read_text())


@pytest.fixture(scope="module")
def recs(tiny_root):
    return list_recordings(tiny_root)


def _paths(records):
    return {r.path for r in records}


def _digest(records):
    return hashlib.sha256("\n".join(r.path for r in records).encode()).hexdigest()[:16]


def _bare(speaker):
    return None if speaker is None else speaker.split(".", 1)[1]


def _check_against_baseline(recordings, baseline):
    for case, expected in baseline.items():
        protocol, holdout, seed = case.split("|")
        split = make_split(recordings, protocol, holdout=None if holdout == "None" else holdout, seed=int(seed))
        got = {side: [len(split.side(side)), _digest(split.side(side))] for side in ("train", "val", "test")}
        assert got == {side: expected[side] for side in got}, case
        assert (split.name, _bare(split.val_speaker), _bare(split.holdout)) == (
            expected["name"], expected["val_speaker"], expected["holdout"]), case


def test_tiny_splits_are_the_pre_corpora_ones(recs):
    _check_against_baseline(recs, BASELINE["tiny"])


@pytest.mark.integration
def test_real_fsdd_splits_are_the_pre_corpora_ones(real_root):
    _check_against_baseline(list_recordings(real_root), BASELINE["real"])


@pytest.mark.parametrize("protocol", ["random", "official", "speaker", "speaker-kfold:4"])
def test_sides_are_disjoint_and_cover_everything(recs, protocol):
    split = make_split(recs, protocol, seed=3)
    train, val, test = _paths(split.train), _paths(split.val), _paths(split.test)
    assert not (train & val) and not (train & test) and not (val & test)
    assert train | val | test == _paths(recs)


def test_random_is_75_25_and_shares_every_speaker(recs):
    split = make_split(recs, "random", seed=0)
    assert len(split.test) == len(recs) // 4
    assert split.overlap() == sorted({r.speaker for r in recs})


def test_random_is_reproducible_and_seed_dependent(recs):
    assert make_split(recs, "random", seed=1).test == make_split(recs, "random", seed=1).test
    assert make_split(recs, "random", seed=1).test != make_split(recs, "random", seed=2).test


def test_official_uses_the_take(recs):
    split = make_split(recs, "official")
    assert {r.take for r in split.test} == set(range(5)) and {r.take for r in split.val} == set(range(5, 10))


def test_speaker_holdout_accepts_bare_and_namespaced_names(recs):
    bare, full = make_split(recs, "speaker", holdout="bob", seed=0), make_split(recs, "speaker", holdout="fsdd.bob")
    assert {r.speaker for r in bare.test} == {"fsdd.bob"} and bare.test == full.test and bare.name == "speaker-bob"
    assert {r.speaker for r in bare.val} == {bare.val_speaker} and bare.val_speaker != "fsdd.bob"
    assert bare.overlap() == []


def _two_corpora(recs):
    other = [Recording(r.path.replace("fsdd/", "other/"), r.digit, r.speaker.replace("fsdd.", "other."), r.take,
                       "fsdd-jason", None, None) for r in recs if r.speaker in ("fsdd.bob", "fsdd.carol")]
    return recs + other


def test_ambiguous_bare_speaker_is_refused(recs):
    with pytest.raises(DigitfusionError, match="ambiguous speaker"):
        make_split(_two_corpora(recs), "speaker", holdout="bob")
    split = make_split(_two_corpora(recs), "speaker", holdout="other.bob")
    assert split.name == "speaker-other.bob" and {r.corpus for r in split.test} == {"fsdd-jason"}


def test_speaker_kfold_deals_speakers_into_folds(recs):
    folds = [make_split(recs, "speaker-kfold:4", holdout=str(f), seed=0) for f in range(4)]
    assert [len({r.speaker for r in s.test}) for s in folds] == [1, 1, 1, 1]
    assert set().union(*({r.speaker for r in s.test} for s in folds)) == {r.speaker for r in recs}
    assert all(not s.overlap() and not ({r.speaker for r in s.val} & {r.speaker for r in s.test}) for s in folds)
    assert folds[2].name == "speaker-kfold4-fold2"
    assert make_split(recs, "speaker-kfold", k=4, holdout="2").test == folds[2].test


def test_leave_corpus_out_tests_on_the_held_out_corpus(recs):
    split = make_split(_two_corpora(recs), "leave-corpus-out", holdout="fsdd-jason", seed=0)
    assert {r.corpus for r in split.test} == {"fsdd-jason"} and {r.corpus for r in split.train + split.val} == {"fsdd"}
    assert split.val and not ({r.speaker for r in split.val} & {r.speaker for r in split.train})
    assert split.name == "leave-corpus-out-fsdd-jason"


@pytest.mark.parametrize(("protocol", "holdout", "message"), [
    ("speaker", "zoe", "unknown speaker"), ("kfold", None, "unknown split protocol"),
    ("speaker-kfold:x", None, "fold count"), ("speaker-kfold:4", "9", "fold index"),
    ("leave-corpus-out", "fsdd-jason", "one of the corpora"), ("leave-corpus-out", "fsdd", "at least two corpora")])
def test_bad_protocols_and_holdouts(recs, protocol, holdout, message):
    with pytest.raises(DigitfusionError, match=message):
        make_split(recs, protocol, holdout=holdout)


def test_csv_round_trip_with_corpus_and_speaker_columns(recs, tmp_path):
    split = make_split(recs, "official")
    write_split(split, tmp_path)
    assert read_split_csv(tmp_path / "test.csv") == [(r.path, r.digit) for r in split.test]
    lines = (tmp_path / "test.csv").read_text().splitlines()
    assert lines[0] == "path,label,corpus,speaker,start,end" and lines[1].endswith(",fsdd,fsdd.alice,,")
    assert json.loads((tmp_path / "split.json").read_text())["corpora"]["test"] == {"fsdd": len(split.test)}


@pytest.mark.integration
def test_real_random_split_overlaps_all_six_speakers(real_root):
    split = make_split(list_recordings(real_root), "random", seed=0)
    assert (len(split.train) + len(split.val), len(split.test)) == (2250, 750)
    assert len(split.overlap()) == 6


def test_with_several_corpora_validation_hears_speakers_of_each(recs):
    mixed = _two_corpora(recs)
    by_corpus = {c: {r.speaker for r in mixed if r.corpus == c} for c in {r.corpus for r in mixed}}
    split = make_split(mixed, "speaker", holdout="fsdd.bob" if "fsdd.bob" in by_corpus["fsdd"] else None, seed=0)
    val = {r.speaker for r in split.val}
    for corpus, speakers in by_corpus.items():
        if len(speakers - {split.holdout}) >= 2:
            assert val & speakers, corpus
    assert not val & {r.speaker for r in split.train} and split.holdout not in val
    split = make_split(_two_corpora(recs), "leave-corpus-out", holdout="fsdd-jason", seed=0)
    assert {r.corpus for r in split.val} == {"fsdd"}  # the one corpus left with two or more speakers
