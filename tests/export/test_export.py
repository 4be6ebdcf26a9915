"""ONNX export: parity with PyTorch on real pairs, checksums, and predict without torch."""

import dataclasses
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner
from digitfusion.models.registry import fusion_names


def test_export_writes_a_checked_folder(tiny_model):
    assert {p.name for p in tiny_model.iterdir()} == {"model.onnx", "preprocessing.json", "model_card.md",
                                                      "checksums.json"}
    card = (tiny_model / "model_card.md").read_text()
    assert "Limits" in card and "max |logit difference|" in card
    assert "- fsdd: " in card and "- mnist: " in card and "licence CC BY-SA 4.0" in card
    assert "| head | temperature | ECE % before | ECE % after |" in card


def test_parity_with_pytorch_on_real_pairs(tiny_pipeline, real_root, tmp_path):
    from digitfusion.export.build import export_model

    # every trained fusion exports with ONNX parity; the last in the registry's order is checked here (the shared
    # tiny_model fixture exports the default, attention)
    result = export_model(tiny_pipeline, tmp_path / "m", real_root, fusion=fusion_names(trained=True)[-1])
    assert result["pairs"] == 256
    assert all(diff < 1e-4 for diff in result["max_abs_diff"].values()), result


def test_head_embeddings_are_the_features_under_the_unimodal_logits(tiny_pipeline, real_root):
    """image_head_embedding / audio_head_embedding: the unimodal models' features, which their heads turn into
    image_logits / audio_logits (what the typicality test judges a modality alone by)."""
    import torch

    from digitfusion.export.build import load_parts
    from digitfusion.export.graph import OUTPUTS

    model, _, _ = load_parts(tiny_pipeline, "official", 0, "attention")
    images, waves = torch.randn(3, 1, 28, 28), torch.randn(3, model.frontend.params.clip_samples)
    with torch.no_grad():
        out = dict(zip(OUTPUTS, model(images, waves, torch.ones(3), torch.ones(3)), strict=True))
        assert torch.allclose(model.image_model.head(out["image_head_embedding"]), out["image_logits"])
        assert torch.allclose(model.audio_model.head(out["audio_head_embedding"]), out["audio_logits"])
        assert torch.allclose(out["image_logits"], model.image_model({"image": images})["logits"])


def test_an_outlier_detector_is_exported_beside_the_model_and_calibrated_with_it(tiny_pipeline, real_root, tmp_path,
                                                                                capsys):
    """A detector (any unimodal run of that modality, over its own front end; here the unimodal models themselves,
    so their logits must equal image_logits and audio_logits) becomes the graph output {modality}_detector_logits;
    its config hash is recorded, and the calibration chooses its energy threshold among the typicality test's
    quantiles. Several runs of one modality are an ensemble: here two identical ones."""
    from digitfusion.cli import main
    from digitfusion.evaluation.abstention import DETECTOR_SCORES, TYPICAL_QUANTILES
    from digitfusion.export.build import export_model
    from digitfusion.training.config import TrainConfig

    runs = {"image": tiny_pipeline / "seed0" / "image-cnn", "audio": tiny_pipeline / "seed0" / "official" / "audio-cnn"}
    command = ["export", "--run", str(tiny_pipeline), "--data", str(real_root)]
    for bad, problem in ((["image"], "expected MODALITY=DIR"), (["speech=x"], "unknown modality"),
                         ([f"image={runs['image']}", f"image={runs['image']}"], "the same image run twice")):
        options = [part for value in bad for part in ("--detector", value)]
        assert main([*command, "--out", str(tmp_path / "n"), *options]) == 2
        err = capsys.readouterr().err
        assert problem in err and err.count("\n") == 1, err
    assert main([*command, "--pretrained", "--detector", f"image={runs['image']}"]) == 2
    assert "come from its recipe" in capsys.readouterr().err
    assert not (tmp_path / "n").exists()
    member = tmp_path / "image-member"  # an ensemble of two identical members answers what each does
    shutil.copytree(runs["image"], member)
    given = [*(f"--detector={m}={r}" for m, r in runs.items()), f"--detector=image={member}"]
    assert main([*command, "--out", str(tmp_path / "m"), *given]) == 0
    runner = ExportedRunner(tmp_path / "m")
    rng = np.random.default_rng(0)
    images = rng.normal(size=(2, 1, 28, 28)).astype(np.float32)
    waves = (0.1 * rng.normal(size=(2, runner.clip_samples))).astype(np.float32)
    out = runner.run_graph(images, waves, np.ones(2, np.float32), np.ones(2, np.float32))
    for modality in ("image", "audio"):
        assert np.allclose(out[f"{modality}_detector_logits"], out[f"{modality}_logits"], atol=1e-4)
        detector = runner.preprocessing["abstention"]["typical"][modality]["detector"]
        assert detector["output"] == f"{modality}_detector_logits" and detector["quantile"] in TYPICAL_QUANTILES
        assert detector["score"] in DETECTOR_SCORES
        assert (detector["threshold"] is None) == (detector["quantile"] == 1.0)
    digests = {m: TrainConfig.load(r / "config.json").digest() for m, r in runs.items()}
    assert runner.preprocessing["detectors"] == {"image": [digests["image"]] * 2, "audio": [digests["audio"]]}
    card = (tmp_path / "m" / "model_card.md").read_text()
    assert "it never answers, it only flags" in card and "2 more image models" in card
    assert "they never answer, they only flag" in card
    for run in runs.values():  # each detector's validation accuracy, so that a failed training is seen
        val_acc = json.loads((run / "summary.json").read_text())["val_acc"]
        assert f"validation accuracy {100 * val_acc:.1f} %" in card
    with pytest.raises(DigitfusionError, match="no audio outlier detector run here"):
        export_model(tiny_pipeline, tmp_path / "n", real_root, detectors={"audio": [tmp_path / "nothing"]})
    assert not (tmp_path / "n").exists()


def test_the_card_says_how_each_detector_learnt_and_how_well():
    import torch.nn as nn

    from digitfusion.export.build import detector_card
    from digitfusion.export.graph import Detector
    from digitfusion.training.config import TrainConfig

    image = TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5, outlier_augment=True,
                        outlier_mix="mixup")
    audio = TrainConfig(model="audio-cnn", modality="audio", outlier_exposure=1.0, outlier_copies=2)
    card = detector_card({"image": Detector([nn.Identity()], "image", None, [image], [0.99]),
                          "audio": Detector([nn.Identity()], "audio", None, [audio], [0.096])}, None)
    assert ("(weight 0.5, the non-digits augmented as the digits are, digits mixed with non-digits by mixup toward "
            "an even answer (MixOE), validation accuracy 99.0 %)") in card
    assert "(weight 1, 2 augmented copies of each non-digit, validation accuracy 9.6 %)" in card
    assert f"A second audio model (audio-cnn at seed 0, config `{audio.digest()}`)" in card
    assert card.count("not used (no calibration chose a threshold for it)") == 2
    second = dataclasses.replace(image, seed=1, split_seed=0)
    card = detector_card({"image": Detector([nn.Identity()] * 2, "image", None, [image, second], [0.99, 0.98])}, None)
    assert (f"2 more image models (image-cnn at seeds 0, 1, configs `{image.digest()}`, `{second.digest()}`, their "
            "logits averaged)") in card
    assert "validation accuracy 99.0 %, 98.0 %)" in card


def test_an_ensemble_detector_answers_its_members_mean_logits():
    import torch
    import torch.nn as nn

    from digitfusion.export.graph import Detector

    class Constant(nn.Module):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def forward(self, inputs):
            return {"logits": torch.full((len(inputs["image"]), 10), self.value)}

    detector = Detector([Constant(1.0), Constant(4.0)], "image")
    assert torch.equal(detector(torch.zeros(3, 1, 28, 28)), torch.full((3, 10), 2.5))


def test_tampered_model_is_refused(tiny_model, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(tiny_model, copy)
    with open(copy / "model.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(DigitfusionError, match="checksum mismatch"):
        ExportedRunner(copy)
    (copy / "checksums.json").unlink()
    with pytest.raises(DigitfusionError, match="not a digitfusion model folder"):
        ExportedRunner(copy)


def test_predict_json_contract_without_torch(tiny_model, real_root):
    wav = real_root / "fsdd" / "recordings" / "4_theo_3.wav"
    code = ("import sys, json; from digitfusion.cli import main; rc = main(sys.argv[1:]); "
            "assert 'torch' not in sys.modules, 'torch was imported'; sys.exit(rc)")
    run = subprocess.run([sys.executable, "-c", code, "predict", "--model", str(tiny_model), "--audio", str(wav),
                          "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    old = {"digit", "confidence", "probabilities", "modalities", "weights", "strategy"}
    assert set(answer) == old | {"status", "reason", "calibrated_confidence", "disagreement"}
    assert len(answer["probabilities"]) == 10 and abs(sum(answer["probabilities"]) - 1) < 1e-4
    assert answer["modalities"]["image"] is None and answer["weights"] == {"image": 0.0, "audio": 1.0}


def test_batch_reports_bad_rows_and_answers_the_others(tiny_model, real_root, tmp_path, capsys):
    from digitfusion.cli import main
    from tests.generate import digit_image

    image = tmp_path / "seven.png"
    from PIL import Image

    Image.fromarray(255 - digit_image(7, np.random.default_rng(0))).resize((140, 140)).save(image)
    (tmp_path / "bad.wav").write_text("not audio")
    wav = real_root / "fsdd" / "recordings" / "7_jackson_1.wav"
    (tmp_path / "batch.csv").write_text(f"image,audio\n{image},{wav}\n,bad.wav\nseven.png,\n")
    assert main(["predict", "--model", str(tiny_model), "--batch", str(tmp_path / "batch.csv")]) == 2
    captured = capsys.readouterr()
    answers = [json.loads(line) for line in captured.out.splitlines()]
    assert [a["line"] for a in answers] == [2, 4]
    assert answers[1]["modalities"]["audio"] is None
    assert "batch.csv:3" in captured.err and "bad.wav" in captured.err and captured.err.count("\n") == 1


def test_missing_shipped_model_is_a_clear_message(tmp_path, monkeypatch, capsys):
    from digitfusion.cli import main

    absent = tmp_path / "pretrained"  # an install whose package lost its model folder
    monkeypatch.setattr("digitfusion.export.pretrained.PRETRAINED_DIR", absent)
    monkeypatch.setattr("digitfusion.export.runtime.PRETRAINED_DIR", absent)
    assert main(["predict", "--audio", "x.wav"]) == 2
    err = capsys.readouterr().err
    assert "no model folder here" in err and "make model" in err and err.count("\n") == 1


def test_export_command(tiny_pipeline, real_root, tmp_path, capsys):
    from digitfusion.cli import main

    assert main(["export", "--run", str(tiny_pipeline), "--out", str(tmp_path / "m"), "--data", str(real_root),
                 "--fusion", fusion_names(family="intermediate")[0]]) == 0
    assert "parity" in capsys.readouterr().out
    exported = json.loads((tmp_path / "m" / "preprocessing.json").read_text())["strategy"]
    assert exported == fusion_names(family="intermediate")[0]
    assert main(["export", "--run", str(tmp_path / "nowhere"), "--out", str(tmp_path / "n")]) == 2
    assert not (tmp_path / "n").exists()


def test_export_stores_the_abstention_calibration(tiny_model):
    """Chosen at export (validation + the threshold half of the non-digit set); the old fields stay as they were."""
    preprocessing = json.loads((tiny_model / "preprocessing.json").read_text())
    assert {"audio", "image", "strategy", "protocol", "seed"} <= set(preprocessing)
    cal = preprocessing["abstention"]
    cases = {"image", "audio", "both", "image only", "audio only"}
    assert set(cal["temperature"]) == cases and set(cal["unsure"]) == cases
    assert all(0.05 <= t <= 20.0 for t in cal["temperature"].values())
    assert all(0.0 <= u <= 1.0 + 1e-6 for u in cal["unsure"].values())
    assert set(cal["reject"]) == {"image_energy", "audio_energy", "audio_voiced", "audio_voiced_confidence"}
    assert all(np.isfinite(v) for v in cal["reject"].values())
    assert cal["chosen_on"]["non-digit images"] > 50 and cal["chosen_on"]["non-digit recordings"] > 50
    assert set(cal["ece"]) == cases and all(0.0 <= e[k] <= 1.0 for e in cal["ece"].values() for k in e)
    assert cal["chosen_on"]["corpora"] == ["fsdd"] and set(cal["chosen_on"]["validation recordings"]) == {"fsdd"}


def test_the_card_says_which_model_learnt_from_outliers(tmp_path):
    from digitfusion.export.build import exposure_card
    from digitfusion.training.config import TrainConfig

    for modality, weight in (("image", 0.0), ("audio", 1.0)):
        (tmp_path / modality).mkdir()
        (tmp_path / modality / "config.json").write_text(
            TrainConfig(model=f"{modality}-cnn", modality=modality, outlier_exposure=weight).to_json())
    fused = TrainConfig(model="concat", modality="pair",
                        init_from={"image": str(tmp_path / "image"), "audio": str(tmp_path / "audio")})
    card = exposure_card(fused)
    assert "The audio model" in card and "weight 1" in card and "image model" not in card
    assert exposure_card(TrainConfig(model="concat", modality="pair")) == ""
