"""Augmented copies of the training clips, for a head over a frozen front end (the pretrained speech embedding).

Wave augmentation per batch recomputes the front end every batch: for the speech embedding that is minutes an
epoch on 2 cores, so its head learnt from clean clips only and read noisy ones worse than the log-mel CNN. Instead,
each training clip goes through the config's wave ops `feature_copies` times, once, with seeds fixed by (seed,
copy); the copies' features are kept on disk (.cache/features/copies-<key>.npy) beside the clean ones. Each epoch
every training row reads one of its versions (the clean clip or one copy), drawn by (seed, epoch): an epoch has
the same length and rows as without copies, and a resumed run draws what an uninterrupted one drew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import numpy as np
import torch
from torch.utils.data import Dataset

from digitfusion.atomic import atomic_path
from digitfusion.data.bundle import Side
from digitfusion.errors import DigitfusionError
from digitfusion.features.audio import clip_features
from digitfusion.paths import cache_dir
from digitfusion.training.augment import BatchAugmenter, epoch_seed

COPY_EPOCHS = 1_000_000  # copy c is drawn as "epoch" COPY_EPOCHS + c: never an epoch a run trains
BATCH = 256


class VersionedAudio(Dataset):
    """Training rows {audio, label} whose audio is, each epoch, one of V versions [V, N, ...] of the row (version 0
    the clean clip's features), drawn uniformly per row by (seed, epoch)."""

    def __init__(self, versions: torch.Tensor, labels: torch.Tensor, seed: int):
        if versions.shape[1] != len(labels):
            raise ValueError(f"{versions.shape[1]} rows of features for {len(labels)} labels")
        self.versions, self.labels, self.seed = versions, labels, seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        generator = torch.Generator().manual_seed(epoch_seed(self.seed, epoch))
        self.chosen = torch.randint(len(self.versions), (len(self.labels),), generator=generator)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitems__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        rows = torch.as_tensor(indices, dtype=torch.long)
        return {"audio": self.versions[self.chosen[rows], rows], "label": self.labels[rows]}

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {key: value[0] for key, value in self.__getitems__([index]).items()}


def copy_features(waves: np.ndarray, augmenter: BatchAugmenter, params, copy: int) -> torch.Tensor:
    """Features of the clips [N, samples] after the augmenter's wave ops, drawn as copy `copy` (no cache)."""
    augmenter.set_epoch(COPY_EPOCHS + copy)
    clips = torch.from_numpy(waves)
    augmented = [augmenter.waves(chunk) for chunk in clips.split(BATCH)]
    return clip_features(torch.cat(augmented), params)


def clips_digest(waves: np.ndarray) -> str:
    """sha1 of the clips [N, samples] (hundreds of MB for a training side: computed once for all its copies)."""
    return hashlib.sha1(np.ascontiguousarray(waves).tobytes()).hexdigest()


def copies_key(clips: str, augmenter: BatchAugmenter, params, copy: int) -> str:
    """Everything a copy's features depend on: the clips (their `clips_digest`), the ops and their settings, the
    seed, the front end."""
    digest = hashlib.sha1(clips.encode())
    digest.update(json.dumps({"front_end": [type(params).__name__, asdict(params)], "seed": augmenter.seed,
                              "copy": copy, "ops": asdict(augmenter.config)}, sort_keys=True).encode())
    return digest.hexdigest()[:20]


def cached_copy(waves: np.ndarray, augmenter: BatchAugmenter, params, copy: int,
                clips: str | None = None) -> torch.Tensor:
    """copy_features from the cache, computed and stored when absent; `clips`: the waves' clips_digest if known."""
    key = copies_key(clips or clips_digest(waves), augmenter, params, copy)
    entry = cache_dir() / "features" / f"copies-{key}.npy"
    if entry.is_file():
        return torch.from_numpy(np.load(entry))
    feats = copy_features(waves, augmenter, params, copy)
    entry.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(entry) as tmp, open(tmp, "wb") as handle:
        np.save(handle, feats.numpy())
    return feats


def copies_dataset(side: Side, augmenter: BatchAugmenter | None, params, config) -> VersionedAudio:
    """The training dataset of an audio model (TrainConfig `config`) with `config.feature_copies` augmented copies
    of every clip of `side`."""
    if config.modality != "audio":
        raise DigitfusionError("feature_copies", f"is for audio models; {config.model} is a {config.modality} model")
    if augmenter is None or not augmenter.config.needs_waves:
        raise DigitfusionError("feature_copies", "needs wave augmentation ops (augment_audio) to copy the clips with")
    if side.waves is None:
        raise DigitfusionError("feature_copies", "needs the clips themselves (this front end keeps no waves)")
    copies = range(1, config.feature_copies + 1)
    clips = clips_digest(side.waves)
    versions = [side.audio] + [cached_copy(side.waves, augmenter, params, c, clips) for c in copies]
    return VersionedAudio(torch.stack(versions), side.audio_labels, config.seed)
