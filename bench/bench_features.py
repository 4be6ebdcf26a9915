"""Cold feature extraction of every FSDD file, the warm cache read, and image preprocessing throughput."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from common import table, timed
from PIL import Image, ImageDraw

from digitfusion.data.corpora import list_recordings
from digitfusion.features.cache import load_features
from digitfusion.features.image import load_user_image_bytes


def drawings(n: int) -> list[bytes]:
    """PNG drawings of digits at several sizes (dark ink on white), like user uploads."""
    rng = np.random.default_rng(0)
    out = []
    for _i in range(n):
        size = int(rng.choice([64, 300, 800]))
        image = Image.new("RGB", (size, size), "white")
        ImageDraw.Draw(image).line([(size * 0.3, size * 0.2), (size * 0.7, size * 0.2), (size * 0.4, size * 0.85)],
                                   fill="black", width=max(2, size // 12))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out.append(buffer.getvalue())
    return out


def run(root: Path) -> tuple[str, dict]:
    paths = [r.path for r in list_recordings(root)]
    with tempfile.TemporaryDirectory() as tmp:
        cold = timed(lambda: load_features(root, paths, cache=Path(tmp), force=True))
        warm = timed(lambda: load_features(root, paths, cache=Path(tmp)), repeat=3)
    pngs = drawings(200)
    images = timed(lambda: [load_user_image_bytes(data, "drawing.png") for data in pngs])
    text = table(["step", "items", "time", "throughput"],
                 [["log-mel, cold (decode + resample + trim + STFT + cache write)", len(paths), f"{cold:.2f} s",
                   f"{len(paths) / cold:.0f} files/s"],
                  ["log-mel, warm (cache read)", len(paths), f"{warm:.2f} s", f"{cold / warm:.0f}x faster than cold"],
                  ["user image -> MNIST 28x28 (PNG decode, invert, crop, centre)", len(pngs), f"{images:.2f} s",
                   f"{len(pngs) / images:.0f} images/s"]])
    return text, {"cold_s": cold, "warm_s": warm, "images_per_s": len(pngs) / images}
