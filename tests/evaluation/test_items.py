import pytest
import torch

from digitfusion.evaluation.items import accuracy_by


def test_accuracy_by_weighs_each_item_once_per_group():
    correct = torch.tensor([True, False, True, True, False])
    groups = ["a", "a", "b", "b", "b"]
    speakers = ["a.x", "a.y", "b.z", "b.z", "b.z"]
    scores = accuracy_by(groups, correct, speakers)
    assert scores == {"a": {"acc": 0.5, "n": 2, "speakers": 2},
                      "b": {"acc": pytest.approx(2 / 3), "n": 3, "speakers": 1}}
    assert "speakers" not in accuracy_by(groups, correct)["a"]
