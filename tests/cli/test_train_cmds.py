import pytest

from digitfusion.cli import main
from digitfusion.cli.train_cmds import split_ops
from digitfusion.errors import DigitfusionError


def test_augment_ops_are_split_by_modality_with_every_registered_name():
    image, audio = split_ops("affine, user-path,pitch,stroke,phone,,formant", "pair")
    assert image == ["affine", "user-path", "stroke"] and audio == ["pitch", "phone", "formant"]
    assert split_ops("", "audio") == ([], [])
    assert split_ops("lowrank,erasing", "pair") == (["lowrank", "erasing"], [])  # a fused model's image ops


def test_an_unknown_augment_op_is_one_line_naming_it_and_listing_the_known_ones():
    with pytest.raises(DigitfusionError, match=r"^--augment warble: not an augmentation of a pair model \(choose"):
        split_ops("affine,warble", "pair")


def test_an_op_of_the_other_modality_is_refused(tiny_root, capsys):
    assert main(["train", "--data", str(tiny_root), "--model", "image-cnn", "--augment", "pitch", "--tiny"]) == 2
    err = capsys.readouterr().err
    assert "--augment pitch: not an augmentation of a image model" in err and err.count("\n") == 1
