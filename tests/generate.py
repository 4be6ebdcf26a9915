"""Tiny generated data for unit tests: IDX files, synthetic digit images and tones, PCA-shaped images."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

SPEAKERS = ("alice", "bob", "carol", "dan")


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file (gzipped) holding a uint8 array."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def digit_image(digit: int, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 uint8 image whose ink pattern depends on the digit (learnable, not MNIST)."""
    image = np.zeros((28, 28), dtype=np.uint8)
    row = 4 + 2 * digit
    image[row:row + 3, 4:24] = 255
    image[4:24, 4 + 2 * digit:7 + 2 * digit] = 200
    noise = rng.integers(0, 40, size=(28, 28))
    return np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)


def tone(digit: int, speaker: int, index: int, rate: int = 8000) -> np.ndarray:
    """A short tone whose pitch tells the digit; speaker and repetition shift it slightly."""
    n = int(rate * (0.3 + 0.05 * (index % 3)))
    t = np.arange(n) / rate
    freq = 300 + 250 * digit + 15 * speaker + 3 * index
    return (0.5 * np.sin(2 * np.pi * freq * t) * np.hanning(n)).astype(np.float32)


def make_tiny_root(root: Path, repetitions: int = 12, images_per_digit: int = 12) -> Path:
    rng = np.random.default_rng(0)
    (root / "mnist").mkdir(parents=True)
    for split, per_digit in (("train", images_per_digit), ("t10k", images_per_digit // 2)):
        labels = np.repeat(np.arange(10), per_digit)
        images = np.stack([digit_image(d, rng) for d in labels])
        write_idx(root / "mnist" / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(root / "mnist" / f"{split}-labels-idx1-ubyte.gz", labels)
    recordings = root / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    for s, speaker in enumerate(SPEAKERS):
        for digit in range(10):
            for index in range(repetitions):
                sf.write(recordings / f"{digit}_{speaker}_{index}.wav", tone(digit, s, index), 8000, subtype="PCM_16")
    return root


def blobs(n: int, seed: int) -> torch.Tensor:
    """[n, 1, 28, 28] images with structure (a few smooth patterns mixed) plus pixel noise, as PCA sees digits."""
    seeds = torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    patterns = torch.nn.functional.avg_pool2d(seeds, 5, stride=1, padding=2).view(8, 784)  # shared by all sets
    gen = torch.Generator().manual_seed(seed)
    mixed = torch.randn(n, 8, generator=gen) @ patterns + 0.1 * torch.randn(n, 784, generator=gen)
    return mixed.view(n, 1, 28, 28)
