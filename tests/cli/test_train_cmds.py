import pytest

from digitfusion.cli.train_cmds import split_augment_ops
from digitfusion.errors import DigitfusionError


def test_augment_ops_are_split_by_modality_with_every_registered_name():
    image, audio = split_augment_ops("affine, user-path,pitch,stroke,phone,,formant")
    assert image == ["affine", "user-path", "stroke"] and audio == ["pitch", "phone", "formant"]
    assert split_augment_ops("") == ([], [])


def test_an_unknown_augment_op_is_one_line_naming_it_and_listing_the_known_ones():
    with pytest.raises(DigitfusionError, match=r"^--augment: unknown op\(s\) warble \(image: stroke, slant, affine"):
        split_augment_ops("affine,warble")
