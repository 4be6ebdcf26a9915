"""MNIST in its original IDX format (gzipped or not). The image count is read from the header."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from digitfusion.errors import DigitfusionError

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4")}
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (magic 0x0000TTDD: type, number of dims) into an array of the header's shape."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise DigitfusionError(path, f"corrupt gzip data ({err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise DigitfusionError(path, "not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(IDX_DTYPES[raw[2]]), raw[3]
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise DigitfusionError(path, "IDX header is truncated")
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header_end], dtype=">u4"))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header_end != expected:
        raise DigitfusionError(path, f"IDX body holds {len(raw) - header_end} bytes, header says {expected}")
    return np.frombuffer(raw[header_end:], dtype=dtype).reshape(shape)


def find_idx(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DigitfusionError(folder / (stem + ".gz"), "missing MNIST file (run `digitfusion data fetch`)")


def load_mnist(root: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [N, 28, 28] and labels int64 [N] of `split` ('train' or 'test') under root/mnist."""
    folder = Path(root) / "mnist"
    images_stem, labels_stem = FILES[split]
    images = read_idx(find_idx(folder, images_stem))
    labels = read_idx(find_idx(folder, labels_stem)).astype(np.int64)
    if images.ndim != 3 or len(images) != len(labels):
        raise DigitfusionError(folder, f"MNIST {split}: {images.shape} images vs {labels.shape} labels")
    return images, labels
