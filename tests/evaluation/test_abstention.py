"""Choosing the calibration: temperature fit, the unsure threshold's two aims, and the generated non-digit set."""

import numpy as np
import soundfile as sf

from digitfusion.evaluation.abstention import ACCEPTED_ACCURACY, NON_DIGIT_CAUGHT, fit_temperature, unsure_threshold
from digitfusion.evaluation.coverage import curve, shares
from digitfusion.evaluation.nondigit import GLYPHS, SYLLABLES, VOICES, WORDS, make_audio, make_images
from digitfusion.features.mel import LogMelParams
from digitfusion.inputs import prepare_audio, prepare_image


def test_fit_temperature_recovers_the_generating_one():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 10))
    scaled = logits / 2.0
    probs = np.exp(scaled - scaled.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in probs])
    assert abs(fit_temperature(logits, labels) - 2.0) < 0.2


def test_unsure_threshold_meets_the_accuracy_aim():
    conf = np.linspace(0.5, 1.0, 10_000)
    right = np.ones(10_000, bool)
    right[:40] = False  # the 40 least confident answers are wrong
    threshold = unsure_threshold(conf, right, np.array([]), 100)
    kept = conf >= threshold
    assert right[kept].mean() >= ACCEPTED_ACCURACY and kept.mean() > 0.99


def test_unsure_threshold_meets_the_non_digit_aim():
    conf_in, right_in = np.full(100, 0.999), np.ones(100, bool)
    conf_out = np.linspace(0.1, 0.99, 50)  # 50 accepted non-digits of 100: 47 must be caught
    threshold = unsure_threshold(conf_in, right_in, conf_out, 100)
    assert np.sum(conf_out >= threshold) <= round((1 - NON_DIGIT_CAUGHT) * 100)
    assert np.sum(conf_out >= threshold) == 3 and threshold < 0.999


def test_curve_and_shares():
    c = curve(np.array([0.9, 0.8, 0.7, 0.6]), np.array([True, True, False, True]), points=4)
    assert c["coverage"] == [0.25, 0.5, 0.75, 1.0] and c["accuracy"] == [1.0, 1.0, 2 / 3, 0.75]
    row = shares(np.array(["ok", "ok", "unsure", "rejected"]), np.array([1, 2, 3, -1]), np.array([1, 0, 3, 4]))
    assert (row["ok"], row["unsure"], row["rejected"], row["accepted_acc"], row["accepted_errors"]) == (
        0.5, 0.25, 0.25, 0.5, 1)


def test_halves_share_no_word_letter_or_voice():
    for table in (GLYPHS, WORDS, SYLLABLES, VOICES):
        assert not set(table["threshold"]) & set(table["held-out"])


def test_non_digit_set_goes_through_the_input_pipeline(tmp_path):
    images = make_images(tmp_path, "held-out", per_kind=2)
    audio = make_audio(tmp_path, "held-out", per_kind=2)
    assert {i.kind for i in images} == {"letter", "scribble", "specks", "texture"}
    assert {a.kind for a in audio} == {"word", "syllable", "fragment", "noise", "tone", "empty"}
    for item in images:
        assert prepare_image(item.path).shape == (1, 28, 28), item.description
    for item in audio:
        assert sf.info(str(item.path)).samplerate == 16000
        assert prepare_audio(item.path, LogMelParams()).shape == (8000,), item.description
