"""Everything one experiment reads, as tensors: images and audio features per side, fixed pairs.

Audio: the recordings of every corpus asked for, split by the protocol; one cached feature table for all of
them, rows picked per side. Images: each source's train part cut into train/validation (stratified, seeded),
its test part the test side; a source without a test part (optdigits) only adds to train/validation.
Under leave-corpus-out with an image source in the holdout, that source is the whole image test side (the
audio side then follows each corpus's official split, unless a speech corpus is held out too: `a+b`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digitfusion.data.clips import CorpusClips
from digitfusion.data.corpora import list_recordings, parse_corpora
from digitfusion.data.images import get_source, parse_sources
from digitfusion.data.pairs import fixed_pairs, split_images
from digitfusion.data.protocols import holdout_parts
from digitfusion.data.splits import SIDES, Split, make_split
from digitfusion.features.cache import load_features
from digitfusion.features.image import normalise
from digitfusion.features.mel import LogMelParams


@dataclass
class Side:
    """One side (train/val/test) of both modalities."""

    images: torch.Tensor  # [N, 1, 28, 28] normalised
    image_labels: torch.Tensor  # [N]
    image_index: np.ndarray  # [N] row in its source's file (of `image_source`)
    audio: torch.Tensor  # [M, 1, n_mels, T] log-mel dB
    audio_labels: torch.Tensor  # [M]
    audio_paths: list[str]  # [M] clip ids (the path, plus `#start-end` for a segment)
    waves: np.ndarray | None  # [M, clip_samples] the clips the features came from (None for the seed front end)
    audio_corpus: list[str]  # [M] the corpus of each clip
    speakers: list[str]  # [M] namespaced speaker of each clip (`fsdd.george`)
    image_source: list[str]  # [N] the image source of each image (`mnist`, `optdigits`)

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


def load_bundle(root: str | os.PathLike, protocol: str = "official", holdout: str | None = None, seed: int = 0,
                params: LogMelParams | None = None, corpora: str | tuple[str, ...] = ("fsdd",),
                images: str | tuple[str, ...] = ("mnist",)) -> Bundle:
    root, params = Path(root), params or LogMelParams()
    corpora, images = parse_corpora(corpora), parse_sources(images)
    speech_holdout, image_holdout = holdout, None
    if protocol == "leave-corpus-out":
        speech_holdout, image_holdout = holdout_parts(holdout, images)
    recordings = list_recordings(root, corpora)
    split = make_split(recordings, protocol if speech_holdout or not image_holdout else "official",
                       holdout=speech_holdout, seed=seed)
    if image_holdout:  # named after the whole holdout: its folder is not the official split's
        split.name = f"leave-corpus-out-{holdout}"
    feats = load_features(root, recordings, params, source=CorpusClips(root))
    image_sides = _image_sides(root, images, image_holdout, seed)
    sides = {}
    for name in SIDES:
        recs = split.side(name)
        audio_rows = feats.rows([r.key for r in recs])
        pixels, labels, rows, sources = image_sides[name]
        sides[name] = Side(
            images=torch.from_numpy(normalise(pixels)), image_labels=torch.from_numpy(labels), image_index=rows,
            audio=torch.from_numpy(feats.logmel[audio_rows]),
            audio_labels=torch.tensor([r.digit for r in recs], dtype=torch.int64), audio_paths=[r.key for r in recs],
            waves=None if feats.waves is None else feats.waves[audio_rows],
            audio_corpus=[r.corpus for r in recs], speakers=[r.speaker for r in recs], image_source=sources)
    return Bundle(split, sides, params, feats.from_cache)


def _image_sides(root: Path, names: tuple[str, ...], holdout: str | None, seed: int) -> dict[str, tuple]:
    """side -> (uint8 images [N, 28, 28], labels [N], rows in their source [N], source names [N])."""
    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, str]]] = {s: [] for s in SIDES}
    for name in names:
        source = get_source(name)
        if name == holdout:
            for part in source.parts:
                pixels, labels, _ = source.load(root, part)
                parts["test"].append((pixels, labels, np.arange(len(labels)), name))
            continue
        pixels, labels, _ = source.load(root, "train")
        train_rows, val_rows = split_images(labels, seed=seed)
        parts["train"].append((pixels[train_rows], labels[train_rows], train_rows, name))
        parts["val"].append((pixels[val_rows], labels[val_rows], val_rows, name))
        if "test" in source.parts and holdout is None:
            pixels, labels, _ = source.load(root, "test")
            parts["test"].append((pixels, labels, np.arange(len(labels)), name))
    return {side: _concat(chunks) for side, chunks in parts.items()}


def _concat(chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]]) -> tuple:
    if not chunks:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64), []
    return (np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks]),
            np.concatenate([c[2] for c in chunks]), [c[3] for c in chunks for _ in range(len(c[1]))])
