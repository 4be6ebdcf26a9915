"""`train` options: --augment names checked per model, device options checked, a missing [train] extra named."""

import argparse

import pytest

from digitfusion.cli import build_parser, main, missing_train_extra
from digitfusion.cli.train_cmds import recipe_from_args, split_ops
from digitfusion.errors import DigitfusionError


def train_config(*argv: str):
    args: argparse.Namespace = build_parser().parse_args(["train", *argv])
    return recipe_from_args(args, args.model)


def test_augment_ops_are_split_by_modality_with_every_registered_name():
    image, audio = split_ops("affine, user-path,pitch,stroke,phone,,formant", "pair")
    assert image == ["affine", "user-path", "stroke"] and audio == ["pitch", "phone", "formant"]
    assert split_ops("", "audio") == ([], [])
    assert split_ops("lowrank,erasing", "pair") == (["lowrank", "erasing"], [])  # a fused model's image ops


def test_an_unknown_augment_op_is_one_line_naming_it_and_listing_the_known_ones():
    with pytest.raises(DigitfusionError, match=r"^--augment warble: not an augmentation of a pair model \(it takes"):
        split_ops("affine,warble", "pair")


def test_lowrank_goes_to_the_image_side_of_a_fused_model():
    config = train_config("--model", "attention", "--augment", "lowrank,noise")
    assert config.augment_image == ["lowrank"] and config.augment_audio == ["noise"]


@pytest.mark.parametrize(("model", "ops", "named"), [
    ("image-cnn", "affine,vtlp", "vtlp"),
    ("audio-cnn", "lowrank", "lowrank"),
    ("attention", "rotate", "rotate"),
    ("lab-cnn", "noise", "noise"),
])
def test_an_augmentation_the_model_does_not_take_is_one_line(model, ops, named, capsys):
    with pytest.raises(DigitfusionError, match=f"--augment {named}: not an augmentation of {model}"):
        train_config("--model", model, "--augment", ops)
    assert main(["train", "--model", model, "--augment", ops, "--data", "/nonexistent"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1


def test_device_options_reach_the_config_and_stay_out_of_its_hash():
    plain = train_config("--model", "audio-cnn")
    config = train_config("--model", "audio-cnn", "--accelerator", "cpu", "--precision", "bf16-mixed",
                          "--devices", "2", "--lightning-strategy", "ddp")
    assert (config.accelerator, config.precision, config.devices, config.lightning_strategy) == (
        "cpu", "bf16-mixed", 2, "ddp")
    assert config.digest() == plain.digest()


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
        train_config(*argv)


def test_a_pipeline_refuses_several_devices():
    from digitfusion.cli.common import device_settings

    args = build_parser().parse_args(["demo", "--devices", "2"])
    with pytest.raises(DigitfusionError, match="--devices 2: a pipeline trains on one device"):
        device_settings(args)


def test_tensorboard_logger_needs_tensorboard():
    import importlib.util

    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        assert train_config("--logger", "tensorboard").logger == "tensorboard"
    else:
        with pytest.raises(DigitfusionError, match="tensorboard is not installed"):
            train_config("--logger", "tensorboard")


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
