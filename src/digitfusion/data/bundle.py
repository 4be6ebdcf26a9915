"""Everything one experiment reads, as tensors: images and audio features per side, fixed pairs.

Images: MNIST train is cut into train/validation (stratified, seeded); MNIST test is the test side.
Audio: one cached feature table for the whole corpus, rows picked per side by the split.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digitfusion.data.fsdd import list_recordings
from digitfusion.data.mnist import load_mnist
from digitfusion.data.pairs import fixed_pairs, split_images
from digitfusion.data.splits import SIDES, Split, make_split
from digitfusion.features.cache import load_features
from digitfusion.features.image import normalise
from digitfusion.features.mel import LogMelParams


@dataclass
class Side:
    """One side (train/val/test) of both modalities."""

    images: torch.Tensor  # [N, 1, 28, 28] normalised
    image_labels: torch.Tensor  # [N]
    image_index: np.ndarray  # row in the MNIST file the image came from
    audio: torch.Tensor  # [M, 1, n_mels, T] log-mel dB
    audio_labels: torch.Tensor  # [M]
    audio_paths: list[str]
    waves: np.ndarray | None  # [M, clip_samples] the clips the features came from (None for the seed front end)

    def pairs(self, seed: int) -> np.ndarray:
        """Fixed evaluation pairs [N, 2] (image row, audio row) of this side."""
        return fixed_pairs(self.image_labels.numpy(), self.audio_labels.numpy(), seed)


@dataclass
class Bundle:
    split: Split
    sides: dict[str, Side]
    params: LogMelParams
    features_from_cache: bool

    def __getitem__(self, side: str) -> Side:
        return self.sides[side]


def load_bundle(root: str | os.PathLike, strategy: str = "official", holdout: str | None = None, seed: int = 0,
                params: LogMelParams | None = None, corpora=("fsdd",), images=("mnist",)) -> Bundle:
    from digitfusion.errors import DigitfusionError

    if len(corpora) != 1 or list(images) != ["mnist"]:
        raise DigitfusionError(",".join(corpora), "mixtures of corpora are not supported yet")
    root, params = Path(root), params or LogMelParams()
    recordings = list_recordings(root, corpora[0])
    split = make_split(recordings, strategy, holdout=holdout, seed=seed)
    feats = load_features(root, [r.path for r in recordings], params)
    train_images, train_labels = load_mnist(root, "train")
    test_images, test_labels = load_mnist(root, "test")
    train_rows, val_rows = split_images(train_labels, seed=seed)
    image_sets = {"train": (train_images, train_labels, train_rows), "val": (train_images, train_labels, val_rows),
                  "test": (test_images, test_labels, np.arange(len(test_labels)))}
    sides = {}
    for name in SIDES:
        images, labels, rows = image_sets[name]
        recs = split.side(name)
        audio_rows = feats.rows([r.path for r in recs])
        sides[name] = Side(
            images=torch.from_numpy(normalise(images[rows])), image_labels=torch.from_numpy(labels[rows]),
            image_index=rows, audio=torch.from_numpy(feats.logmel[audio_rows]),
            audio_labels=torch.tensor([r.digit for r in recs], dtype=torch.int64),
            audio_paths=[r.path for r in recs], waves=None if feats.waves is None else feats.waves[audio_rows])
    return Bundle(split, sides, params, feats.from_cache)
