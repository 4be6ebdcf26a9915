"""Which head answers one modality alone: the rule (per-corpus mean, a tie keeps the fusion's head), the runner
applying it row by row, and the exported folder recording it."""

import json
import shutil

import numpy as np
import pytest

from digitfusion.errors import DigitfusionError
from digitfusion.evaluation.alone import per_source_accuracy
from digitfusion.export.runtime import ExportedRunner, answer_alone


def one_hot(digits):
    return np.eye(10, dtype=np.float32)[digits]


def test_per_source_accuracy_weighs_each_source_alone():
    labels = np.array([0, 1, 2, 3])
    logits = one_hot([0, 1, 2, 9])
    assert per_source_accuracy(logits, labels, ["a", "a", "a", "b"]) == {"a": 1.0, "b": 0.0}


def test_answer_alone_replaces_only_rows_with_one_modality():
    out = {"fused_logits": one_hot([1, 1, 1, 1]), "image_logits": one_hot([2, 2, 2, 2]),
           "audio_logits": one_hot([3, 3, 3, 3])}
    image_present, audio_present = np.array([1, 1, 0, 0], np.float32), np.array([1, 0, 1, 0], np.float32)
    got = answer_alone(out, image_present, audio_present, {"image": "image_logits", "audio": "audio_logits"})
    assert got["fused_logits"].argmax(1).tolist() == [1, 2, 3, 1]
    kept = answer_alone(out, image_present, audio_present, {"image": "fused_logits"})
    assert kept["fused_logits"].argmax(1).tolist() == [1, 1, 1, 1]
    assert out["fused_logits"].argmax(1).tolist() == [1, 1, 1, 1]  # the graph's own outputs are not changed


def test_exported_folder_records_the_choice_and_the_runner_applies_it(tiny_model, real_root):
    preprocessing = json.loads((tiny_model / "preprocessing.json").read_text())
    alone = preprocessing["alone"]
    for modality, key in (("image", "image_logits"), ("audio", "audio_logits")):
        scores = alone["validation"][modality]
        better = scores[key]["mean"] > scores["fused_logits"]["mean"]
        assert alone[modality] == (key if better else "fused_logits")
        assert set(scores[key]["by source"]) == ({"mnist", "font-drawn"} if modality == "image" else {"fsdd"})
    runner = ExportedRunner(tiny_model)
    images = np.random.default_rng(0).normal(size=(3, 1, 28, 28)).astype(np.float32)
    waves = np.zeros((3, runner.clip_samples), np.float32)
    ones, zeros = np.ones(3, np.float32), np.zeros(3, np.float32)
    raw, chosen = runner.run_graph(images, waves, ones, zeros), runner.run(images, waves, ones, zeros)
    np.testing.assert_array_equal(chosen["fused_logits"], raw[alone["image"]])


def test_an_unknown_head_is_refused(tiny_model, tmp_path):
    from digitfusion.export.build import write_checksums

    copy = tmp_path / "m"
    shutil.copytree(tiny_model, copy)
    preprocessing = json.loads((copy / "preprocessing.json").read_text())
    preprocessing["alone"]["image"] = "audio_logits"
    (copy / "preprocessing.json").write_text(json.dumps(preprocessing))
    write_checksums(copy)
    with pytest.raises(DigitfusionError, match="unknown head 'audio_logits' for 'image' alone"):
        ExportedRunner(copy)
