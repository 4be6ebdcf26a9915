import numpy as np

from digitfusion.data.segment import SegmentParams, segments
from tests.generate_corpora import word_train


def test_words_separated_by_pauses_are_found_in_order():
    wave = word_train("3141", 8000, gap_s=0.4)
    words = segments(wave, 8000)
    assert len(words) == 4 and all(a[1] <= b[0] for a, b in zip(words, words[1:], strict=False))
    assert all(0.3 <= end - start <= 0.6 for start, end in words)  # 0.3-0.4 s tones + 2 x 50 ms margin


def test_short_gaps_are_bridged_and_blips_dropped():
    silence = np.zeros(4000, np.float32)
    tone_a = np.sin(np.arange(2400) * 0.3).astype(np.float32) * 0.5
    wave = np.concatenate([silence, tone_a, np.zeros(400, np.float32), tone_a, silence,
                           np.sin(np.arange(400) * 0.3).astype(np.float32) * 0.5, silence])  # 50 ms gap; 50 ms blip
    assert len(segments(wave, 8000)) == 1
    assert len(segments(wave, 8000, SegmentParams(min_gap_s=0.02, min_word_s=0.04))) == 3
