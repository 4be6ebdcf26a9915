import numpy as np
import torch

from digitfusion.training.augment.scanned_form import _even_strokes, form_bitmap, scanned_form, scanned_forms
from tests.training.augment.signals import digits, gen


def bar(width: int = 2, height: int = 20) -> np.ndarray:
    """A hand-written 1 as MNIST draws it: a narrow vertical bar, uint8 [28, 28]."""
    image = np.zeros((28, 28), np.uint8)
    image[14 - height // 2:14 + height // 2, 14 - width // 2:14 - width // 2 + width] = 255
    return image


def ink_box(bitmap: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(bitmap.any(axis=1)), np.flatnonzero(bitmap.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_the_ink_box_is_stretched_to_20_by_32_whatever_its_aspect():
    # NIST's normalisation does not keep the aspect: a 2-px-wide 1 fills the same 20 x 32 box as a 0; the solid
    # block (640 ink pixels) then loses 2 px a side to the stroke normalisation's double erosion.
    assert ink_box(form_bitmap(bar())) == (28, 16)
    assert form_bitmap(bar()).shape == (32, 32) and set(np.unique(form_bitmap(bar()))) <= {0, 1}


def test_strokes_are_evened_by_ink_count():
    def box(side: int) -> np.ndarray:
        bitmap = np.zeros((32, 32), bool)
        bitmap[16 - side // 2:16 - side // 2 + side, 16 - side // 2:16 - side // 2 + side] = True
        return bitmap

    assert _even_strokes(box(26)).sum() == 22 * 22  # 676 ink pixels: eroded twice
    assert _even_strokes(box(21)).sum() == 19 * 19  # 441: eroded once
    assert _even_strokes(box(18)).sum() == 18 * 18  # 324: kept
    assert _even_strokes(box(12)).sum() == 14 * 14 - 4  # 144: dilated once (the cross rounds the corners)
    assert _even_strokes(box(8)).sum() == 12 * 12 - 4 * 3  # 64: dilated twice


def test_scanned_forms_come_back_as_mnist_digits():
    out = scanned_forms(np.stack([bar(), bar(4)]))
    assert out.shape == (2, 28, 28) and out.dtype == np.uint8
    height, width = ink_box(out[0] > 0)
    assert height <= 21 and 11 <= width <= 14  # the 20 x 32 box fitted to 20 px high, centred the MNIST way


def test_a_share_of_the_batch_is_redrawn_and_the_draws_come_from_the_generator():
    x = digits(16)
    out = scanned_form(x, gen(0), share=0.5)
    changed = (out != x).flatten(1).any(dim=1)
    assert 0 < int(changed.sum()) < 16
    assert torch.equal(out, scanned_form(x, gen(0), share=0.5))
    assert not torch.equal(out, scanned_form(x, gen(1), share=0.5))
    assert torch.equal(scanned_form(x, gen(0), share=0.0), x)
    assert out.shape == x.shape and out.dtype == x.dtype
