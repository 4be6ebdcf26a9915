"""A fusion whose audio encoder reads the pretrained speech embedding: trained through `train`, exported with the
embedding inside model.onnx (predict needs nothing else), and checked against PyTorch."""

import json

import numpy as np
import pytest
import torch

from digitfusion.cli import main
from digitfusion.export.runtime import ExportedRunner
from digitfusion.features.speech_embedding_torch import pretrained_top
from digitfusion.training.checkpoint import load_run


@pytest.mark.parametrize("encoder,features", [("audio-embed", "speech-embedding"),
                                              ("audio-embed-tuned", "speech-embedding-stem")])
def test_concat_over_the_speech_embedding_trains_exports_and_predicts(tiny_root, tmp_path, encoder, features):
    runs = tmp_path / "runs"
    assert main(["train", "--model", "concat", "--audio-encoder", encoder, "--size", "tiny",
                 "--data", str(tiny_root), "--out", str(runs)]) == 0
    config = json.loads((runs / "seed0" / "official" / "concat" / "config.json").read_text())
    assert config["features"] == features and config["encoders"] == {"audio": encoder}
    audio_run = json.loads((runs / "seed0" / "official" / encoder / "config.json").read_text())
    # its clips are augmented into cached copies once (training/feature_copies.py), never per batch
    assert audio_run["features"] == features and audio_run["feature_copies"] == 4
    assert audio_run["augment_audio"] == ["shift", "gain", "noise", "speed"]
    if encoder == "audio-embed-tuned":  # the embedding's last blocks learnt (at their own rate)
        pretrained = pretrained_top(2).state_dict()
        tuned = load_run(runs / "seed0" / "official" / encoder)[0].encoder.blocks.state_dict()
        assert any(not torch.equal(pretrained[k], tuned[k]) for k in pretrained)

    from digitfusion.export.build import export_model

    result = export_model(runs, tmp_path / "model", tiny_root, fusion="concat")
    assert max(result["max_abs_diff"].values()) < 1e-4, result
    preprocessing = json.loads((tmp_path / "model" / "preprocessing.json").read_text())
    assert preprocessing["front_end"] == features
    assert "speech_embedding" in (tmp_path / "model" / "model_card.md").read_text()
    runner = ExportedRunner(tmp_path / "model")
    out = runner.run(np.zeros((2, 1, 28, 28), np.float32), np.random.default_rng(0).normal(0, 0.1, (2, 8000))
                     .astype(np.float32), np.zeros(2, np.float32), np.ones(2, np.float32))
    assert out["audio_logits"].shape == (2, 10) and np.isfinite(out["audio_embedding"]).all()
