import numpy as np
import pytest

from digitfusion.data.clips import CorpusClips
from digitfusion.data.corpora import CORPORA
from tests.generate import tone
from tests.generate_corpora import write

JASON = CORPORA["fsdd-jason"]


@pytest.fixture
def root(tmp_path):
    """Digit 4 said 5 times in one recording with 1 s pauses, then cut into 0.7 s takes at fixed steps
    (the words straddle the cuts, as in the real corpus)."""
    rng = np.random.default_rng(0)
    parts = []
    for i in range(5):
        parts += [0.001 * rng.standard_normal(8000).astype(np.float32), tone(4, 0, i)]
    joined = np.concatenate(parts + [0.001 * rng.standard_normal(8000).astype(np.float32)])
    step = 5600
    for take, start in enumerate(range(0, len(joined), step)):
        write(tmp_path / "fsdd-jason" / "recordings" / f"4_jason_{take}.wav", joined[start:start + step], 8000)
    return tmp_path


def test_joined_takes_are_recut_at_the_silences(root):
    recs = JASON.recordings(root)
    assert len(recs) == 5 and {r.digit for r in recs} == {4} and {r.speaker for r in recs} == {"fsdd-jason.jason"}
    assert recs[0].path == "fsdd-jason/recordings/4_jason_*.wav" and all(r.start is not None for r in recs)
    starts = sorted(r.start for r in recs)
    # words begin about every 1.3 s (1 s pause + 0.3-0.4 s tone), 50 ms margin before each
    assert np.allclose(np.diff(starts), np.diff(starts).mean(), atol=0.06) and 1.25 < np.diff(starts).mean() < 1.4


def test_a_word_decodes_from_across_two_takes(root):
    recs = sorted(JASON.recordings(root), key=lambda r: r.start)
    wave = CorpusClips(root).decode(recs[1], 8000)
    assert abs(len(wave) / 8000 - (recs[1].end - recs[1].start)) < 0.01
    assert np.abs(wave).max() > 0.3  # the tone is inside, not the silence
    assert len(CorpusClips(root).files(recs[1])) == len(list((root / "fsdd-jason" / "recordings").glob("*.wav")))


@pytest.mark.integration
def test_real_jason_words_per_digit(real_root):
    recs = JASON.recordings(real_root)
    per_digit = np.bincount([r.digit for r in recs], minlength=10)
    assert per_digit.min() >= 40 and per_digit.max() <= 52, per_digit  # the README: about 41-50 clean words
    assert all(0.2 <= r.end - r.start <= 1.5 for r in recs)
    train, val, test = JASON.official(recs)
    assert (len(val), len(test)) == (50, 50)
