import pytest

from digitfusion.audio_io import load_audio
from digitfusion.data.corpora import CORPORA
from tests.generate_corpora import make_audiomnist

AUDIOMNIST = CORPORA["audiomnist"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_audiomnist(tmp_path_factory.mktemp("audiomnist"))


def test_layout_is_read_with_namespaced_speakers(root):
    recs = AUDIOMNIST.recordings(root)
    assert len(recs) == 200 and recs[0].path == "audiomnist/data/01/0_01_0.wav"
    assert (recs[0].digit, recs[0].speaker, recs[0].take) == (0, "audiomnist.01", 0)
    assert len(load_audio(root / recs[0].path)) == len(load_audio(root / recs[0].path, 48000)) // 6


def test_metadata_and_verify(root):
    assert AUDIOMNIST.metadata(root)["03"]["gender"] == "female"
    row = AUDIOMNIST.verify(root)
    assert (row["clips"], row["speakers"], row["digits"], row["problems"]) == (200, 10, 10, [])


def test_official_is_speaker_disjoint(root):
    train, val, test = AUDIOMNIST.official(AUDIOMNIST.recordings(root))
    speakers = [{r.speaker for r in side} for side in (train, val, test)]
    assert [len(s) for s in speakers] == [7, 1, 2] and not (speakers[0] & speakers[2])


def test_broken_metadata_is_a_problem(tmp_path):
    make_audiomnist(tmp_path, speakers=1, takes=1)
    (tmp_path / "audiomnist" / "data" / "audioMNIST_meta.txt").write_text("{not json")
    assert "not a JSON object" in AUDIOMNIST.verify(tmp_path)["problems"][0]
