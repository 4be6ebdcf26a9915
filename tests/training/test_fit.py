import json
import subprocess
import sys

import pytest
import torch

from digitfusion.data.bundle import load_bundle
from digitfusion.errors import DigitfusionError
from digitfusion.training.checkpoint import load_run
from digitfusion.training.config import TrainConfig
from digitfusion.training.fit import build_model, fit
from digitfusion.training.module import modality_heads_loss


def tiny(model: str, modality: str, **overrides) -> TrainConfig:
    config = TrainConfig(model=model, modality=modality, epochs=2, batch_size=32, limit_train_batches=3,
                         limit_val_batches=2, model_kwargs={"width": 8} if model != "audio-gru" else {})
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.mark.parametrize("model,modality", [("image-cnn", "image"), ("audio-cnn", "audio")])
def test_fit_writes_a_complete_run_folder(tiny_root, tmp_path, model, modality):
    summary = fit(tiny(model, modality), tiny_root, tmp_path / "run", progress=False)
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"model.safetensors", "config.json", "summary.json", "curves.png", "logs", "checkpoints"} <= files
    assert summary["epochs_run"] == 2 and 0.0 <= summary["val_acc"] <= 1.0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["config_hash"] == summary["config_hash"]


def test_checkpoint_round_trip_gives_identical_logits(tiny_root, tmp_path):
    config = tiny("audio-cnn", "audio")
    fit(config, tiny_root, tmp_path / "run", progress=False)
    model, loaded_config = load_run(tmp_path / "run")
    assert loaded_config == config
    audio = load_bundle(tiny_root, "official")["test"].audio[:8]
    again, _ = load_run(tmp_path / "run")
    assert torch.equal(model({"audio": audio})["logits"], again({"audio": audio})["logits"])


def test_tampered_or_foreign_weights_are_refused(tiny_root, tmp_path):
    fit(tiny("image-cnn", "image"), tiny_root, tmp_path / "run", progress=False)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["model_kwargs"] = {"width": 12}  # a config that no longer matches the weights
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    with pytest.raises(DigitfusionError, match="shape"):
        load_run(tmp_path / "run")
    (tmp_path / "run" / "model.safetensors").write_bytes(b"\x80\x04 pickle, not safetensors")
    with pytest.raises(DigitfusionError, match="safetensors"):
        load_run(tmp_path / "run")


def test_same_seed_same_metrics(tiny_root, tmp_path):
    first = fit(tiny("image-cnn", "image"), tiny_root, tmp_path / "a", progress=False)
    second = fit(tiny("image-cnn", "image"), tiny_root, tmp_path / "b", progress=False)
    assert first["val_loss"] == second["val_loss"]
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()


def test_retraining_into_a_used_folder_starts_clean(tiny_root, tmp_path):
    """A forced retrain must not read the old run's history nor leave versioned checkpoints beside the old ones."""
    fit(tiny("image-cnn", "image", epochs=3), tiny_root, tmp_path / "run", progress=False)
    (tmp_path / "run" / "logs" / "metrics-before-resume.csv").write_text("epoch,step,val_loss\n7,1,9.0\n")
    summary = fit(tiny("image-cnn", "image", epochs=2), tiny_root, tmp_path / "run", progress=False)
    assert summary["epochs_run"] == 2
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]


def test_ddp_two_cpu_processes_make_a_valid_checkpoint(tiny_root, tmp_path):
    """The same train command with --devices 2 --strategy ddp (gloo on CPU) for a few steps."""
    out = tmp_path / "ddp"
    run = subprocess.run([sys.executable, "-m", "digitfusion", "train", "--data", str(tiny_root), "--model",
                          "image-cnn", "--tiny", "--devices", "2", "--lightning-strategy", "ddp", "--out", str(out)],
                         capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "DIGITFUSION_CACHE": str(tmp_path / "cache")})
    assert run.returncode == 0, run.stderr[-2000:]
    model, config = load_run(out / "seed0" / "image-cnn")
    assert config.devices == 2 and config.lightning_strategy == "ddp"
    logits = model({"image": torch.zeros(2, 1, 28, 28)})["logits"]
    assert logits.shape == (2, 10) and torch.isfinite(logits).all()


def test_fused_model_starts_from_the_unimodal_encoders_and_heads(tiny_root, tmp_path):
    runs = {"image": tmp_path / "image", "audio": tmp_path / "audio"}
    fit(tiny("image-cnn", "image"), tiny_root, runs["image"], progress=False)
    fit(tiny("audio-cnn", "audio"), tiny_root, runs["audio"], progress=False)
    config = tiny("attention", "pair", model_kwargs={"image": {"width": 8}, "audio": {"width": 8}},
                  init_from={m: str(p) for m, p in runs.items()})
    fused = build_model(config, initialise=True).eval()
    test = load_bundle(tiny_root, "official")["test"]
    inputs = {"image": test.images[:8], "audio": test.audio[:8]}
    with torch.no_grad():
        for modality, other in (("image", "audio"), ("audio", "image")):
            unimodal, _ = load_run(runs[modality])
            alone = fused({**inputs, other: None})["logits"]
            assert torch.allclose(alone, unimodal.eval()({modality: inputs[modality]})["logits"], atol=1e-5)


def test_modality_heads_loss_is_each_present_heads_cross_entropy():
    torch.manual_seed(0)
    labels = torch.randint(0, 10, (6,))
    out = {"modality_logits": torch.randn(6, 2, 10), "presence": torch.tensor([[1.0, 1], [1, 0], [0, 1]] * 2)}
    expected = sum(torch.nn.functional.cross_entropy(out["modality_logits"][out["presence"][:, i] > 0, i],
                                                     labels[out["presence"][:, i] > 0]) for i in range(2))
    assert torch.allclose(modality_heads_loss(out, labels, smoothing=0.0), expected)


def test_config_digest_knows_unimodal_runs_by_hash_not_by_folder():
    def fused(init: dict) -> TrainConfig:
        return TrainConfig(model="attention", modality="pair", init_from=init)

    here = fused({"image": "runs/a/image-cnn", "audio": "runs/a/audio-cnn", "image_config": "1", "audio_config": "2"})
    moved = fused({"image": "/elsewhere/image-cnn", "audio": "/elsewhere/audio-cnn", "image_config": "1",
                   "audio_config": "2"})
    retrained = fused({"image": "runs/a/image-cnn", "audio": "runs/a/audio-cnn", "image_config": "1",
                       "audio_config": "3"})
    assert here.digest() == moved.digest() and here.digest() != retrained.digest()
    # Without a hash, the folder is all that names the source run: it counts.
    assert fused({"image": "runs/a/image-cnn"}).digest() != fused({"image": "runs/b/image-cnn"}).digest()


def test_accelerator_cpu_and_auto_give_identical_weights_on_this_cpu_machine(tiny_root, tmp_path):
    """--accelerator auto picks the CPU when torch sees no GPU; the weights are then byte-identical to cpu's."""
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: auto would train on it (compare on a CPU-only machine)")
    cpu = fit(tiny("audio-cnn", "audio", accelerator="cpu"), tiny_root, tmp_path / "cpu", progress=False)
    auto = fit(tiny("audio-cnn", "audio", accelerator="auto"), tiny_root, tmp_path / "auto", progress=False)
    assert cpu["config_hash"] == auto["config_hash"]  # where a run is computed is not part of its hash
    weights = [(tmp_path / name / "model.safetensors").read_bytes() for name in ("cpu", "auto")]
    assert weights[0] == weights[1]


def test_hardware_fields_stay_out_of_the_config_hash():
    base = tiny("image-cnn", "image")
    moved = tiny("image-cnn", "image", accelerator="gpu", devices=4, precision="bf16-mixed", logger="tensorboard")
    assert base.digest() == moved.digest()
    assert base.digest() != tiny("image-cnn", "image", lr=1e-4).digest()


def test_bf16_mixed_precision_trains_on_cpu(tiny_root, tmp_path):
    summary = fit(tiny("image-cnn", "image", epochs=1, precision="bf16-mixed"), tiny_root, tmp_path / "bf16",
                  progress=False)
    assert 0.0 <= summary["val_acc"] <= 1.0
    assert TrainConfig.load(tmp_path / "bf16" / "config.json").precision == "bf16-mixed"


@pytest.mark.parametrize("audio_encoder", ["audio-embed", "audio-embed-tuned"])
def test_a_fusion_over_the_speech_embedding_keeps_only_the_clips_augmentations(audio_encoder):
    """Log-mel ops (VTLP, SpecAugment) would corrupt embeddings: the augmenter keeps the wave ops, then the
    embedding (or its stem) is recomputed from the augmented clips."""
    from digitfusion.training.augment.registry import ops_in
    from digitfusion.training.config import front_end_params
    from digitfusion.training.fit import build_augmenter
    from digitfusion.training.recipe import resolve

    config = resolve("concat", encoders={"audio": audio_encoder})
    assert {"vtlp", "specaugment"} & set(config.augment_audio)  # the fusion's default list has them
    augmenter = build_augmenter(config, front_end_params(config.features), torch.zeros(4, 1, 28, 28))
    assert augmenter.config.audio and set(augmenter.config.audio) <= set(ops_in("wave"))


def test_fit_refuses_data_of_another_audio_front_end(tiny_root, tmp_path):
    """A log-mel model handed the speech embedding's bundle would train on waves and validate on the other
    features (stop 33's audio detector: validation at chance, its first epoch kept)."""
    from types import SimpleNamespace

    from digitfusion.features.speech_embedding import SpeechEmbeddingParams

    bundle = SimpleNamespace(params=SpeechEmbeddingParams())
    with pytest.raises(DigitfusionError, match="audio-cnn: reads logmel features, but the data given holds "
                                               "SpeechEmbeddingParams's"):
        fit(TrainConfig(model="audio-cnn", modality="audio", epochs=1), tiny_root, tmp_path / "run", bundle=bundle)
