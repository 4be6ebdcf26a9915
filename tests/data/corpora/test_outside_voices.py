import pytest

from digitfusion.audio_io import load_audio
from digitfusion.data.corpora import CORPORA, outside_voices
from digitfusion.data.fetching import read_checksums

OUTSIDE = CORPORA["outside-voices"]


@pytest.mark.integration
def test_real_two_phone_speakers_all_test(real_root):
    recs = OUTSIDE.recordings(real_root)
    assert len(recs) == 20 and {r.speaker for r in recs} == {"outside-voices.giulio", "outside-voices.sheila"}
    assert sorted(r.digit for r in recs if r.speaker.endswith("giulio")) == list(range(10))
    assert OUTSIDE.official(recs) == ([], [], recs)
    wave = load_audio(real_root / recs[0].path)  # 48 kHz 24-bit, decoded at 8 kHz
    assert wave.dtype.name == "float32" and 0 < len(wave) < 8000 * 10


def test_every_file_is_pinned_by_sha256():
    sums = read_checksums(outside_voices.CHECKSUMS)
    assert len(sums) == 21 and all(len(h) == 64 for h in sums.values())
