import pytest

from digitfusion.data.corpora import CORPORA, list_recordings

FSDD = CORPORA["fsdd"]


def test_tiny_fsdd_recordings_are_namespaced(tiny_root):
    recs = FSDD.recordings(tiny_root)
    assert len(recs) == 480 and recs[0].path.startswith("fsdd/recordings/")
    assert {r.speaker for r in recs} == {"fsdd.alice", "fsdd.bob", "fsdd.carol", "fsdd.dan"}
    assert {r.corpus for r in recs} == {"fsdd"} and all(r.start is None and r.key == r.path for r in recs)


def test_official_is_takes_0_4_test_5_9_val(tiny_root):
    train, val, test = FSDD.official(FSDD.recordings(tiny_root))
    assert {r.take for r in test} == set(range(5)) and {r.take for r in val} == set(range(5, 10))
    assert {r.take for r in train} == {10, 11}


def test_missing_folder_is_reported(tmp_path):
    assert FSDD.verify(tmp_path)["problems"] and not FSDD.present(tmp_path)


@pytest.mark.integration
def test_real_fsdd(real_root):
    recs = list_recordings(real_root, "fsdd")
    assert len(recs) == 3000 and len({r.speaker for r in recs}) == 6
    assert FSDD.verify(real_root) == {"name": "fsdd", "kind": "speech", "clips": 3000, "speakers": 6, "digits": 10,
                                      "problems": []}
    assert [len(side) for side in FSDD.official(recs)] == [2400, 300, 300]
