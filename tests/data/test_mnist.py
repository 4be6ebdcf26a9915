import gzip

import numpy as np
import pytest

from digitfusion.data.mnist import load_mnist, read_idx
from digitfusion.errors import DigitfusionError
from tests.generate import write_idx


def test_read_idx_gz_and_plain_agree(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array)
    (tmp_path / "a").write_bytes(gzip.decompress((tmp_path / "a.gz").read_bytes()))
    assert np.array_equal(read_idx(tmp_path / "a.gz"), array)
    assert np.array_equal(read_idx(tmp_path / "a"), array)


def test_count_comes_from_header(tiny_root):
    images, labels = load_mnist(tiny_root, "train")
    assert images.shape == (120, 28, 28) and labels.shape == (120,)


@pytest.mark.parametrize("payload", [b"", b"hello world", b"\x00\x00\x08\x03\x00\x00\x00\x02"])
def test_bad_idx_is_a_user_error(tmp_path, payload):
    (tmp_path / "bad").write_bytes(payload)
    with pytest.raises(DigitfusionError, match="bad"):
        read_idx(tmp_path / "bad")


def test_missing_mnist_names_the_file(tmp_path):
    (tmp_path / "mnist").mkdir()
    with pytest.raises(DigitfusionError, match="train-images"):
        load_mnist(tmp_path, "train")


def test_real_mnist_counts(real_root):
    train_images, train_labels = load_mnist(real_root, "train")
    test_images, _ = load_mnist(real_root, "test")
    assert train_images.shape == (5000, 28, 28) and test_images.shape == (10000, 28, 28)
    assert np.bincount(train_labels).tolist() == [500] * 10
