"""`train` options: --augment names checked per model, device options checked, a missing [train] extra named."""

import argparse

import pytest

from digitfusion.cli import build_parser, main, missing_train_extra
from digitfusion.cli.train_cmds import config_from_args
from digitfusion.errors import DigitfusionError


def train_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["train", *argv])


def test_lowrank_goes_to_the_image_side_of_a_fused_model():
    config = config_from_args(train_args("--model", "attention", "--augment", "lowrank,noise"))
    assert config.augment_image == ["lowrank"] and config.augment_audio == ["noise"]


@pytest.mark.parametrize(("model", "ops", "named"), [
    ("image-cnn", "affine,vtlp", "vtlp"),
    ("audio-cnn", "lowrank", "lowrank"),
    ("attention", "rotate", "rotate"),
    ("seed-cnn", "noise", "noise"),
])
def test_an_augmentation_the_model_does_not_take_is_one_line(model, ops, named, capsys):
    with pytest.raises(DigitfusionError, match=f"--augment {named}: not an augmentation of {model}"):
        config_from_args(train_args("--model", model, "--augment", ops))
    assert main(["train", "--model", model, "--augment", ops, "--data", "/nonexistent"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1


def test_device_options_reach_the_config():
    config = config_from_args(train_args("--accelerator", "cpu", "--precision", "bf16-mixed", "--devices", "2"))
    assert (config.accelerator, config.precision, config.devices) == ("cpu", "bf16-mixed", 2)


@pytest.mark.parametrize(("argv", "named"), [
    (("--accelerator", "gpu"), "--accelerator gpu"),
    (("--precision", "16-mixed"), "--precision 16-mixed"),
    (("--devices", "0"), "--devices 0"),
])
def test_impossible_device_options_are_refused_on_this_cpu_machine(argv, named):
    import torch

    if torch.cuda.is_available() and named != "--devices 0":
        pytest.skip("a GPU is visible")
    with pytest.raises(DigitfusionError, match=named):
        config_from_args(train_args(*argv))


def test_a_pipeline_refuses_several_devices():
    from digitfusion.cli.common import device_settings

    args = build_parser().parse_args(["demo", "--devices", "2"])
    with pytest.raises(DigitfusionError, match="--devices 2: a pipeline trains on one device"):
        device_settings(args)


def test_tensorboard_logger_needs_tensorboard():
    import importlib.util

    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        assert config_from_args(train_args("--logger", "tensorboard")).logger == "tensorboard"
    else:
        with pytest.raises(DigitfusionError, match="tensorboard is not installed"):
            config_from_args(train_args("--logger", "tensorboard"))


def test_a_missing_training_package_names_the_extra(monkeypatch, capsys):
    error = missing_train_extra(ModuleNotFoundError("No module named 'lightning'", name="lightning"), "train")
    assert error is not None and "pip install 'digitfusion[train]'" in str(error)
    assert missing_train_extra(ModuleNotFoundError("x", name="yaml"), "train") is None

    def no_torch(args):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    parser = build_parser()
    monkeypatch.setattr("digitfusion.cli.build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["train"].set_defaults(run=no_torch)
    assert main(["train"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["digitfusion: error: train: needs the training packages (torch is not installed): "
                   "pip install 'digitfusion[train]'"]
