import numpy as np
import pytest
from scipy import ndimage

from digitfusion.data.images import SOURCES
from digitfusion.data.images.optdigits import parse_bitmaps
from digitfusion.errors import DigitfusionError
from tests.generate_corpora import make_optdigits, optdigits_text

OPT = SOURCES["optdigits"]


def test_bitmaps_are_parsed_with_the_count_from_the_first_line():
    bitmaps, labels = parse_bitmaps(optdigits_text(2))
    assert bitmaps.shape == (20, 32, 32) and set(np.unique(bitmaps)) == {0, 1} and list(labels[:3]) == [0, 0, 1]
    with pytest.raises(DigitfusionError, match="fewer than the 21 bitmaps"):
        parse_bitmaps("21" + optdigits_text(2)[2:])
    with pytest.raises(DigitfusionError, match="first line"):
        parse_bitmaps("x\n")


def test_converted_the_mnist_way_and_cached(tmp_path):
    make_optdigits(tmp_path)
    images, labels, writers = OPT.load(tmp_path, "train")
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8 and writers is None
    ink = images[0] > 0
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == 20  # the ink fits a 20 px box
    assert np.allclose(ndimage.center_of_mass(images[0].astype(float)), (13.5, 13.5), atol=1.0)
    again, _, _ = OPT.load(tmp_path, "train")
    assert np.array_equal(images, again)
    with pytest.raises(DigitfusionError, match="no such part"):
        OPT.load(tmp_path, "test")


@pytest.mark.integration
def test_real_optdigits(real_root):
    row = OPT.verify(real_root)
    assert (row["images"], row["digits"], row["problems"]) == (1934, 10, [])
