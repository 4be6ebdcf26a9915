import pytest
import torch

from digitfusion.training.augment import (
    IMAGE_BACKGROUND,
    IMAGE_INK,
    binarise,
    broken_strokes,
    low_resolution,
    slant,
    stroke_width,
)
from tests.training.augment.signals import digits, gen, ink

OPS = [stroke_width, slant, broken_strokes, low_resolution, binarise]


@pytest.mark.parametrize("op", OPS)
def test_shape_and_seeding(op):
    x = torch.nn.functional.avg_pool2d(digits(), 3, stride=1, padding=1, count_include_pad=False)  # grey edges
    out = op(x, gen(0))
    assert out.shape == x.shape and out.dtype == x.dtype and torch.isfinite(out).all()
    assert torch.equal(out, op(x, gen(0)))
    assert not torch.equal(out, op(x, gen(1)))


def test_stroke_width_dilation_adds_ink_and_erosion_removes_it():
    x = digits(32)
    out = stroke_width(x, gen(0), strength=(1.0, 1.0))
    change = ink(out) / ink(x)
    thicker, thinner = change > 1, change < 1
    assert thicker.sum() > 5 and thinner.sum() > 5 and (thicker | thinner).all()
    assert change[thicker].min() > 1.3 and change[thinner].max() < 0.7  # a 3x3 step on a 2.5 px stroke
    assert torch.equal(out[:, :, :3], x[:, :, :3])  # far from the ink: untouched


def test_slant_shears_the_top_against_the_bottom_and_changes_aspect():
    x = digits(2)
    def top_minus_bottom_x(images):
        weights = (images - IMAGE_BACKGROUND).clamp(min=0)[:, 0]
        cols = torch.arange(28.0)
        def com(part):
            return (part.sum(1) * cols).sum(-1) / part.sum(dim=(1, 2))
        return com(weights[:, :14]) - com(weights[:, 14:])
    assert torch.allclose(top_minus_bottom_x(x), torch.zeros(2), atol=1e-4)
    leaning = slant(x, gen(0), degrees=(20.0, 20.0), aspect=(1.0, 1.0))
    assert (top_minus_bottom_x(leaning) < -1.0).all()  # x-shear: lower rows move right
    wide = slant(x, gen(0), degrees=(0.0, 0.0), aspect=(1.4, 1.4))
    def extent(images, dim):
        return ((images > 0).any(dim=dim).float().sum(-1))[:, 0]
    assert (extent(wide, 2) > extent(x, 2)).all() and (extent(wide, 3) < extent(x, 3)).all()


def test_broken_strokes_only_remove_ink():
    x = digits(32)
    out = broken_strokes(x, gen(0))
    background = x == IMAGE_BACKGROUND
    assert torch.equal(out[background], x[background])
    changed = (out != x).flatten(1).sum(1).float()
    ink_pixels = (~background).flatten(1).sum(1).float()
    assert (changed > 0).all() and (changed / ink_pixels < 0.4).all()
    assert torch.all(out[out != x] == IMAGE_BACKGROUND)


def test_low_resolution_smooths_and_keeps_the_ink():
    x = digits(16)
    out = low_resolution(x, gen(0))
    def variation(images):
        return (images.diff(dim=-1).abs().sum(dim=(1, 2, 3)) + images.diff(dim=-2).abs().sum(dim=(1, 2, 3)))
    assert (variation(out) < 0.8 * variation(x)).all()
    assert torch.allclose(ink(out), ink(x), rtol=0.15)
    assert torch.allclose(low_resolution(x, gen(0), sides=(28,)), x)  # at full size: nothing lost
    coarse = low_resolution(x, gen(0), sides=(8,))
    assert (variation(coarse) < variation(low_resolution(x, gen(0), sides=(16,)))).all()


def test_binarise_leaves_two_values_split_at_the_threshold():
    x = digits(4) * 0.5 + 0.5 * torch.rand(4, 1, 28, 28, generator=gen(2))  # grey levels everywhere
    out = binarise(x, gen(0), threshold=(0.4, 0.4))
    assert torch.equal(out.unique(), torch.tensor([IMAGE_BACKGROUND, IMAGE_INK]))
    assert torch.equal(out == IMAGE_INK, x * 0.3081 + 0.1307 > 0.4)
