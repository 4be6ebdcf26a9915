"""UCI optdigits, the original 32x32 binary bitmaps (`optdigits-orig.tra`: a count line, then per digit 32
lines of 32 `0`/`1` and a label line), the 30 training writers. Converted the MNIST way by features/image.py's
`to_mnist` (crop to the ink, fit in 20x20, centre of mass at the centre of 28x28); the conversion is cached
under .cache/images/, keyed by the file's sha256. The file holds no writer ids, and only one part ("train")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.atomic import atomic_path
from digitfusion.data.fetching import download, sha256sum
from digitfusion.data.images._base import Images, ImageSource
from digitfusion.errors import DigitfusionError
from digitfusion.paths import cache_dir

FILE = "optdigits-orig.tra"
FILE_SHA256 = "6f1012a107d37856f83cb332b26d54738647c1d197278f8ff74c5f55312124ca"
# UCI's per-file download of the original bitmaps (the file above, pinned by its sha256).
URL = f"https://archive.ics.uci.edu/ml/machine-learning-databases/optdigits/{FILE}"


def parse_bitmaps(text: str, name: str = FILE) -> tuple[np.ndarray, np.ndarray]:
    """-> bitmaps uint8 [N, 32, 32] (1 = ink) and labels int64 [N]; the count comes from the first line."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    try:
        count = int(lines[0].split()[0])
    except (IndexError, ValueError):
        raise DigitfusionError(name, "first line must be the number of digits") from None
    body = lines[1:]
    # header lines (if any) precede the first 32-character bitmap row
    start = next((i for i, line in enumerate(body) if len(line) == 32 and set(line) <= {"0", "1"}), None)
    if start is None or len(body) - start < count * 33:
        raise DigitfusionError(name, f"holds fewer than the {count} bitmaps its first line announces")
    bitmaps, labels = np.zeros((count, 32, 32), np.uint8), np.zeros(count, np.int64)
    for i in range(count):
        rows, label = body[start + 33 * i:start + 33 * i + 32], body[start + 33 * i + 32]
        if any(len(r) != 32 or set(r) - {"0", "1"} for r in rows) or not label.isdigit() or int(label) > 9:
            raise DigitfusionError(name, f"digit {i + 1}: expected 32 rows of 32 0/1 characters and a label 0-9")
        bitmaps[i] = np.array([[c == "1" for c in r] for r in rows], np.uint8)
        labels[i] = int(label)
    return bitmaps, labels


def to_mnist_images(bitmaps: np.ndarray) -> np.ndarray:
    """Binary bitmaps [N, H, W] -> MNIST-convention uint8 [N, 28, 28] through features/image.py."""
    from PIL import Image

    from digitfusion.features.image import to_mnist

    return np.stack([to_mnist(Image.fromarray((255 * (1 - b)).astype(np.uint8), "L"), f"bitmap {i}")
                     for i, b in enumerate(bitmaps)])


@dataclass(frozen=True)
class Optdigits(ImageSource):
    def load(self, root: str | os.PathLike, part: str) -> Images:
        self.check_part(part)
        path = self.folder(root) / FILE
        if not path.is_file():
            raise DigitfusionError(path, "missing optdigits file (run `digitfusion data fetch --corpus optdigits`)")
        entry = cache_dir() / "images" / f"optdigits-{sha256sum(path)[:20]}.npz"
        if entry.is_file():
            stored = np.load(entry)
            return stored["images"], stored["labels"], None
        bitmaps, labels = parse_bitmaps(path.read_text(encoding="ascii", errors="replace"), str(path))
        images = to_mnist_images(bitmaps)
        with atomic_path(entry) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, images=images, labels=labels)
        return images, labels, None

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        download(URL, FILE_SHA256, self.folder(root) / FILE, progress)
        return self.folder(root)


SOURCE = Optdigits(
    name="optdigits", licence="CC BY 4.0", parts=("train",),
    citation="E. Alpaydin, C. Kaynak, Optical Recognition of Handwritten Digits, UCI ML Repository, 1998",
    url="https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits")
