import math

import pytest
import torch

from digitfusion.evaluation.metrics import confusion, format_mean_std, mean_std, scores


def probs_for(preds: list[int], confidence: list[float]) -> torch.Tensor:
    """[N, 10]: `confidence` on the predicted digit, the rest spread evenly over the other nine."""
    rest = torch.tensor([(1 - c) / 9 for c in confidence]).unsqueeze(1)
    probs = rest.repeat(1, 10)
    probs[torch.arange(len(preds)), torch.tensor(preds)] = torch.tensor(confidence)
    return probs


def test_perfect_predictions():
    labels = torch.tensor([0, 1, 2, 3, 9, 9])
    result = scores(torch.nn.functional.one_hot(labels, 10).float(), labels)
    assert result["acc"] == 1.0
    assert result["macro_f1"] == 1.0
    assert result["nll"] == pytest.approx(0.0, abs=1e-6)
    assert result["ece"] == pytest.approx(0.0, abs=1e-6)


def test_hand_computed_scores():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    preds = [0, 1, 1, 1, 2, 2]
    conf = [0.7, 0.7, 0.7, 0.7, 0.9, 0.9]
    result = scores(probs_for(preds, conf), labels)
    assert result["acc"] == pytest.approx(5 / 6)
    # per class (P, R): 0 -> (1, 1/2), 1 -> (2/3, 1), 2 -> (1, 1); digits 3-9 absent from both sides are left out
    f1 = [2 * p * r / (p + r) for p, r in ((1, 0.5), (2 / 3, 1), (1, 1))]
    assert result["macro_f1"] == pytest.approx(sum(f1) / 3, abs=1e-6)
    # bin around 0.7: 4 samples, 3 right -> |0.75 - 0.7|; bin around 0.9: 2 samples, both right -> |1 - 0.9|
    assert result["ece"] == pytest.approx(4 / 6 * 0.05 + 2 / 6 * 0.1, abs=1e-6)
    # the one mistake gives the true digit (1 - 0.7) / 9
    expected_nll = -(3 * math.log(0.7) + math.log(0.3 / 9) + 2 * math.log(0.9)) / 6
    assert result["nll"] == pytest.approx(expected_nll, rel=1e-5)


def test_nll_is_finite_for_a_zero_probability():
    labels = torch.tensor([3])
    result = scores(torch.nn.functional.one_hot(torch.tensor([5]), 10).float(), labels)
    assert result["nll"] == pytest.approx(-math.log(1e-12))


def test_confusion_counts():
    labels = torch.tensor([0, 0, 1, 1, 2, 9])
    matrix = confusion(probs_for([0, 1, 1, 1, 2, 4], [0.8] * 6), labels)
    assert matrix.shape == (10, 10) and matrix.dtype == torch.int64
    expected = torch.zeros(10, 10, dtype=torch.int64)
    for true, pred in ((0, 0), (0, 1), (1, 1), (1, 1), (2, 2), (9, 4)):
        expected[true, pred] += 1
    assert torch.equal(matrix, expected)


def test_mean_std_and_format():
    assert mean_std([1.0, 2.0, 3.0]) == pytest.approx((2.0, 1.0))
    assert mean_std([0.5]) == (0.5, 0.0)
    assert format_mean_std([0.9907, 0.9912, 0.9917]) == "99.12 ± 0.05"
    assert format_mean_std([0.9912]) == "99.12"
    assert format_mean_std([0.25, 0.75], scale=1, digits=3) == "0.500 ± 0.354"
