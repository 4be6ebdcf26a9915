import pytest

from digitfusion.data.corpora import CORPORA
from digitfusion.errors import DigitfusionError
from tests.generate import tone
from tests.generate_corpora import write

SC = CORPORA["speech-commands"]


def test_generated_layout_and_its_lists(tmp_path):
    folder = tmp_path / "speech-commands"
    for word, digit in (("three", 3), ("nine", 9), ("bed", 0)):
        for speaker in ("0a1b2c3d", "ffff0000"):
            write(folder / word / f"{speaker}_nohash_0.wav", tone(digit, 0, 0, 16000), 16000)
    (folder / "testing_list.txt").write_text("three/0a1b2c3d_nohash_0.wav\nbed/0a1b2c3d_nohash_0.wav\n")
    (folder / "validation_list.txt").write_text("nine/ffff0000_nohash_0.wav\n")
    recs = SC.recordings(tmp_path)
    assert [(r.digit, r.speaker) for r in recs][:2] == [(9, "speech-commands.0a1b2c3d"),
                                                         (9, "speech-commands.ffff0000")]
    assert len(recs) == 4  # "bed" is not a digit word
    train, val, test = SC.official(recs)
    assert [r.path for r in test] == ["speech-commands/three/0a1b2c3d_nohash_0.wav"]
    assert [r.path for r in val] == ["speech-commands/nine/ffff0000_nohash_0.wav"] and len(train) == 2


def test_missing_list_is_named(tmp_path):
    write(tmp_path / "speech-commands" / "one" / "abcd_nohash_1.wav", tone(1, 0, 0, 16000), 16000)
    with pytest.raises(DigitfusionError, match="validation_list.txt: missing: the official split"):
        SC.recordings(tmp_path)


@pytest.mark.integration
def test_real_subset(real_root):
    recs = SC.recordings(real_root)
    row = SC.verify(real_root)
    assert (len(recs), row["speakers"], row["digits"]) == (100, 22, 10)
    train, val, test = SC.official(recs)
    assert (len(train), len(val), len(test)) == (62, 16, 22)
