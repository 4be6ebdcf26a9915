"""Choosing the calibration: temperature fit, the unsure threshold's budget, the speech check, the non-digit set."""

import numpy as np
import pytest

from digitfusion.decision import voiced_seconds
from digitfusion.evaluation.abstention import (
    FLAGGED_RIGHT,
    VOICING_GRID,
    expected_calibration_error,
    fit_temperature,
    unsure_threshold,
    validation_side,
    voicing,
)
from digitfusion.evaluation.coverage import curve, shares
from digitfusion.training.config import TrainConfig


def test_fit_temperature_recovers_the_generating_one():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 10))
    scaled = logits / 2.0
    probs = np.exp(scaled - scaled.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in probs])
    assert abs(fit_temperature(logits, labels) - 2.0) < 0.2


def test_unsure_threshold_flags_at_most_half_a_percent_of_right_answers():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 10_000)
    right = conf > 0.52  # the least confident answers are wrong
    threshold = unsure_threshold(conf, right, 0, 10_000)
    flagged_right = np.sum(right & (conf < threshold))
    assert flagged_right == FLAGGED_RIGHT * 10_000 and np.all(conf[~right] < threshold)


def test_the_fitted_temperature_lowers_the_calibration_error_of_overconfident_logits():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 4000)
    noisy = rng.normal(size=(4000, 10)) * 2 + 3 * np.eye(10)[labels]  # right ~80 % of the time
    overconfident = 5 * noisy
    before = expected_calibration_error(overconfident, labels)
    after = expected_calibration_error(overconfident, labels, fit_temperature(overconfident, labels))
    assert before > 0.1 and after < before / 3
    certain = 100 * np.eye(10)[labels]
    assert expected_calibration_error(certain, labels) < 1e-6  # always right at confidence 1
    assert expected_calibration_error(certain, (labels + 1) % 10) > 0.99  # always wrong at confidence 1


def test_unsure_threshold_counts_the_right_answers_already_flagged():
    conf, right = np.linspace(0.9, 1.0, 1000), np.ones(1000, bool)
    assert unsure_threshold(conf, right, 2, 1000) == conf[3]  # budget 5, 2 spent elsewhere: 3 more
    assert unsure_threshold(conf, right, 6, 1000) == 0.0  # over budget already: flag nothing more


@pytest.mark.integration
def test_voicing_keeps_noisy_validation_speech_and_rejects_noise(real_root):
    rng = np.random.default_rng(1)
    odd = np.stack([rng.normal(0, 0.1, 8000), np.cumsum(rng.normal(size=8000)) / 300, np.full(8000, 1e-3)])
    val = validation_side(real_root, TrainConfig(model="concat", modality="pair"))
    chosen = voicing(val, 0, odd, np.array(["noise", "noise", "empty"]))
    assert chosen["correlation"] in VOICING_GRID
    assert chosen["threshold"] > voiced_seconds(odd, correlation=chosen["correlation"]).max()
    assert chosen["validation speech kept"]["0"] >= 0.9, chosen  # the 0 dB degraded protocol


def test_curve_and_shares():
    c = curve(np.array([0.9, 0.8, 0.7, 0.6]), np.array([True, True, False, True]), points=4)
    assert c["coverage"] == [0.25, 0.5, 0.75, 1.0] and c["accuracy"] == [1.0, 1.0, 2 / 3, 0.75]
    row = shares(np.array(["ok", "ok", "unsure", "rejected"]), np.array([1, 2, 3, -1]), np.array([1, 0, 3, 4]))
    assert (row["ok"], row["unsure"], row["rejected"], row["accepted_acc"], row["accepted_errors"]) == (
        0.5, 0.25, 0.25, 0.5, 1)
