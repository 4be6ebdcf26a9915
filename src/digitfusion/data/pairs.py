"""Pairs (image, audio, label) of the same digit.

Training pairs are re-drawn every epoch from training images x training audio (free augmentation).
Evaluation pairs are fixed by a seed and written to a manifest (`image_index,audio_path,label`):
every model is scored on the same pairs. Each evaluation image is paired with one recording of its
digit, so the 10,000 MNIST test images give 10,000 test pairs (the 300 test recordings recur).
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from digitfusion.atomic import write_text
from digitfusion.errors import DigitfusionError


def split_images(labels: np.ndarray, val_fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/validation indices of the MNIST training images."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for digit in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == digit))
        n_val = int(round(len(rows) * val_fraction))
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def draw_partners(anchor_labels: np.ndarray, pool_labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For every anchor, the index of a random pool item with the same label."""
    partners = np.empty(len(anchor_labels), dtype=np.int64)
    for digit in np.unique(anchor_labels):
        anchors = np.flatnonzero(anchor_labels == digit)
        pool = np.flatnonzero(pool_labels == digit)
        if len(pool) == 0:
            raise DigitfusionError("pairs", f"digit {digit} has images but no recordings to pair with")
        partners[anchors] = pool[rng.integers(len(pool), size=len(anchors))]
    return partners


def train_pairs(image_labels: np.ndarray, audio_labels: np.ndarray, seed: int, epoch: int) -> np.ndarray:
    """Pairs [N, 2] of (image row, audio row) for one epoch: the larger side is walked once, its partner drawn."""
    rng = np.random.default_rng([seed, epoch])
    if len(image_labels) >= len(audio_labels):
        images = rng.permutation(len(image_labels))
        return np.stack([images, draw_partners(image_labels[images], audio_labels, rng)], axis=1)
    audio = rng.permutation(len(audio_labels))
    return np.stack([draw_partners(audio_labels[audio], image_labels, rng), audio], axis=1)


def fixed_pairs(image_labels: np.ndarray, audio_labels: np.ndarray, seed: int) -> np.ndarray:
    """Evaluation pairs [N_images, 2]: every image with one recording of its digit, fixed by `seed`."""
    rng = np.random.default_rng([seed, 10_000])
    return np.stack([np.arange(len(image_labels)), draw_partners(image_labels, audio_labels, rng)], axis=1)


def manifest_csv(image_indices: np.ndarray, audio_paths: list[str], labels: np.ndarray) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["image_index", "audio_path", "label"])
    writer.writerows(zip(image_indices.tolist(), audio_paths, labels.tolist(), strict=True))
    return buffer.getvalue()


def write_manifest(path: str | os.PathLike, image_indices: np.ndarray, audio_paths: list[str],
                   labels: np.ndarray) -> None:
    write_text(path, manifest_csv(image_indices, audio_paths, labels))


def read_manifest(path: str | os.PathLike) -> tuple[np.ndarray, list[str], np.ndarray]:
    indices, paths, labels = [], [], []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            indices.append(int(row["image_index"]))
            paths.append(row["audio_path"])
            labels.append(int(row["label"]))
    return np.array(indices, dtype=np.int64), paths, np.array(labels, dtype=np.int64)
