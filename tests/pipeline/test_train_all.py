"""train_protocol's bookkeeping, with training replaced by a recorder (the real training is tested elsewhere)."""

import dataclasses

import pytest

from digitfusion.models.registry import fusion, fusion_names
from digitfusion.pipeline import train_all
from digitfusion.pipeline.configs import get_config
from digitfusion.training.recipe import resolve


class Calls(list):
    """(run folder, forced?) per ensure_run call, and the last config asked for each run folder name."""

    configs: dict


@pytest.fixture
def recorded(monkeypatch):
    """Replaces ensure_run: records (run folder name, forced?) and returns a summary."""
    calls = Calls()
    calls.configs = configs = {}

    def fake_ensure_run(config, root, run_dir, bundle, force, progress, train=True, hardware=None):
        calls.append((run_dir, force))
        configs[run_dir.name] = config
        calls.hardware = hardware
        return {"config_hash": config.digest()}

    monkeypatch.setattr(train_all, "ensure_run", fake_ensure_run)
    return calls


def test_force_retrains_a_model_shared_by_protocols_once(tiny_root, tmp_path, recorded):
    config, retrained = get_config("tiny"), set()
    for protocol in ("official", "speaker:bob"):
        train_all.train_protocol(config, tiny_root, tmp_path, protocol, 0, force=True, retrained=retrained)
    image = [force for run_dir, force in recorded if run_dir.name == "image-cnn"]
    audio = [force for run_dir, force in recorded if run_dir.name == "audio-cnn"]
    assert image == [True, False]  # the second protocol reuses the image model the first one retrained
    assert audio == [True, True]  # one audio model per protocol, each retrained
    assert all(force for run_dir, force in recorded if run_dir.name != "image-cnn")


def test_without_force_nothing_is_forced(tiny_root, tmp_path, recorded):
    train_all.train_protocol(get_config("tiny"), tiny_root, tmp_path, "official", 0)
    assert recorded and not any(force for _, force in recorded)


def test_lab_cnn_only_for_its_seeds(tiny_root, tmp_path, recorded):
    config = dataclasses.replace(get_config("tiny"), baseline_seeds=[0])
    first = train_all.train_protocol(config, tiny_root, tmp_path, "official", 0)
    second = train_all.train_protocol(config, tiny_root, tmp_path, "official", 1)
    assert "lab-cnn" in first.runs and first.lab_test_audio is not None
    assert "lab-cnn" not in second.runs and second.lab_test_audio is None
    assert {"image-cnn", "audio-cnn", *fusion_names(trained=True)} <= set(second.runs)


def test_full_config_reuses_the_unimodal_full_runs():
    """`demo --config full` and `unimodal --config full` must ask for the same unimodal models, or the
    hour of unimodal training is redone."""
    from digitfusion.pipeline.unimodal import UNIMODAL_CONFIGS

    full, unimodal = get_config("full"), UNIMODAL_CONFIGS["full"]
    assert full.name == unimodal.size and full.baseline_seeds == unimodal.baseline_seeds


def test_modality_head_weight_reaches_intermediate_fusions_only(tiny_root, tmp_path, recorded):
    config = get_config("tiny")
    train_all.train_protocol(config, tiny_root, tmp_path, "official", 0)
    configs = recorded.configs
    weights = {name: fusion(name).settings.get("modality_loss_weight", 0.0) for name in fusion_names(trained=True)}
    assert sorted(weights.values()) == [0.0, 0.0, 1.0, 1.0]  # two use their heads' loss; gated (chosen on
    # validation) and early (it has no per-modality heads: the setting stays at its default) do not
    for name, weight in weights.items():
        assert configs[name].modality_loss_weight == weight


def test_fusions_start_from_this_protocols_unimodal_runs(tiny_root, tmp_path, recorded):
    runs = train_all.train_protocol(get_config("tiny"), tiny_root, tmp_path, "speaker:bob", 0).runs
    for name in fusion_names(family="intermediate"):
        init = recorded.configs[name].init_from
        assert init["image"] == str(runs["image-cnn"]) and init["audio"] == str(runs["audio-cnn"])
        assert init["audio_config"] == recorded.configs["audio-cnn"].digest()
    assert not recorded.configs[fusion_names(family="input")[0]].init_from


def test_hardware_reaches_every_training(tiny_root, tmp_path, recorded):
    hardware = {"accelerator": "cpu", "devices": 1, "precision": "bf16-mixed", "logger": "csv"}
    train_all.train_protocol(get_config("tiny"), tiny_root, tmp_path, "official", 0, hardware=hardware)
    assert recorded.hardware == hardware


def test_ensure_run_trains_with_the_hardware_given(tiny_root, tmp_path):
    from digitfusion.data.bundle import load_bundle
    from digitfusion.training.config import TrainConfig

    config = resolve("image-cnn", size="tiny")
    bundle = load_bundle(tiny_root, "official")
    train_all.ensure_run(config, tiny_root, tmp_path / "run", bundle, False, False,
                         hardware={"accelerator": "cpu", "precision": "bf16-mixed"})
    saved = TrainConfig.load(tmp_path / "run" / "config.json")
    assert (saved.accelerator, saved.precision) == ("cpu", "bf16-mixed")
    assert train_all.is_current(tmp_path / "run", config)  # the default-hardware config still finds it current


def test_speaker_folds_of_one_corpus(tiny_root):
    every = train_all.expand_protocols(["speaker:*"], tiny_root)
    assert train_all.expand_protocols(["speaker:fsdd.*", "official"], tiny_root) == [*every, "official"]
    assert train_all.expand_protocols(["speaker:fsdd-jason.*"], tiny_root, ("fsdd",)) == []
