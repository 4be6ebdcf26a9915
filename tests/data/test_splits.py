import pytest

from digitfusion.data.fsdd import list_recordings
from digitfusion.data.splits import make_split, read_split_csv, write_split
from digitfusion.errors import DigitfusionError


@pytest.fixture(scope="module")
def recs(tiny_root):
    return list_recordings(tiny_root)


def _paths(records):
    return {r.path for r in records}


@pytest.mark.parametrize("strategy", ["random", "official", "speaker"])
def test_sides_are_disjoint_and_cover_everything(recs, strategy):
    split = make_split(recs, strategy, seed=3)
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


def test_official_uses_repetition_index(recs):
    split = make_split(recs, "official")
    assert {r.index for r in split.test} == set(range(5)) and {r.index for r in split.val} == set(range(5, 10))


def test_speaker_split_holds_out_test_and_validation_speakers(recs):
    split = make_split(recs, "speaker", holdout="bob", seed=0)
    assert {r.speaker for r in split.test} == {"bob"}
    assert {r.speaker for r in split.val} == {split.val_speaker} and split.val_speaker != "bob"
    assert split.overlap() == []


def test_unknown_speaker_and_strategy(recs):
    with pytest.raises(DigitfusionError, match="unknown speaker"):
        make_split(recs, "speaker", holdout="zoe")
    with pytest.raises(DigitfusionError, match="unknown split strategy"):
        make_split(recs, "kfold")


def test_csv_round_trip(recs, tmp_path):
    split = make_split(recs, "official")
    write_split(split, tmp_path)
    rows = read_split_csv(tmp_path / "test.csv")
    assert rows == [(r.path, r.digit) for r in split.test]
    assert (tmp_path / "test.csv").read_text().startswith("path,label\n")


def test_real_random_split_overlaps_all_six_speakers(real_root):
    split = make_split(list_recordings(real_root), "random", seed=0)
    assert (len(split.train) + len(split.val), len(split.test)) == (2250, 750)
    assert len(split.overlap()) == 6
