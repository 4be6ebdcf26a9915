"""Datasets over in-memory tensors. `__getitems__` returns a whole batch with one index per key,
so an epoch costs a few tensor gathers, never a per-item file read or feature computation."""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from digitfusion.data.bundle import Side
from digitfusion.data.pairs import train_pairs


def batch_collate(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The dataset already returns a batch: nothing to collate."""
    return batch


class ArrayDataset(Dataset):
    """Rows of named tensors of equal length: dict(image=[N,1,28,28], label=[N]) and the like."""

    def __init__(self, **arrays: torch.Tensor):
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) != 1:
            raise ValueError(f"arrays of different lengths: { {k: len(a) for k, a in arrays.items()} }")
        self.arrays = arrays

    def __len__(self) -> int:
        return len(next(iter(self.arrays.values())))

    def __getitems__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        rows = torch.as_tensor(indices, dtype=torch.long)
        return {key: array[rows] for key, array in self.arrays.items()}

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {key: array[index] for key, array in self.arrays.items()}


class PairDataset(Dataset):
    """(image, audio, label) pairs of one side. Fixed `pairs` [N, 2] for evaluation; without them, the
    pairs are re-drawn at every `set_epoch` from this side's images x recordings of the same digit."""

    def __init__(self, side: Side, seed: int, pairs: np.ndarray | None = None, with_waves: bool = False,
                 audio_rows=None):
        self.side, self.seed, self.with_waves = side, seed, with_waves
        self.audio_rows = audio_rows  # epoch -> the recordings this epoch pairs from (training/sampling.py)
        self.fixed = pairs is not None
        self.pairs = torch.as_tensor(pairs if self.fixed else self._draw(0), dtype=torch.long)

    def _draw(self, epoch: int) -> np.ndarray:
        audio_labels = self.side.audio_labels.numpy()
        if self.audio_rows is None:
            return train_pairs(self.side.image_labels.numpy(), audio_labels, self.seed, epoch)
        kept = self.audio_rows(epoch)
        pairs = train_pairs(self.side.image_labels.numpy(), audio_labels[kept], self.seed, epoch)
        pairs[:, 1] = kept[pairs[:, 1]]
        return pairs

    def set_epoch(self, epoch: int) -> None:
        if not self.fixed:
            self.pairs = torch.as_tensor(self._draw(epoch), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitems__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        chosen = self.pairs[torch.as_tensor(indices, dtype=torch.long)]
        batch = {"image": self.side.images[chosen[:, 0]], "audio": self.side.audio[chosen[:, 1]],
                 "label": self.side.image_labels[chosen[:, 0]]}
        if self.with_waves and self.side.waves is not None:
            batch["wave"] = torch.from_numpy(self.side.waves[chosen[:, 1].numpy()])
        return batch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {key: value[0] for key, value in self.__getitems__([index]).items()}


def side_dataset(side: Side, modality: str, seed: int, train: bool, with_waves: bool = False,
                 audio_rows=None) -> Dataset:
    """The dataset a model of `modality` (image | audio | pair) reads from one side; `audio_rows` (epoch -> rows,
    training pairs only) restricts the recordings an epoch pairs from."""
    if modality == "image":
        return ArrayDataset(image=side.images, label=side.image_labels)
    if modality == "audio":
        arrays = {"audio": side.audio, "label": side.audio_labels}
        if with_waves and side.waves is not None:
            arrays["wave"] = torch.from_numpy(side.waves)
        return ArrayDataset(**arrays)
    return PairDataset(side, seed, pairs=None if train else side.pairs(seed), with_waves=with_waves,
                       audio_rows=audio_rows if train else None)


class EpochShuffle(Sampler[int]):
    """A shuffle fixed by (seed, epoch), not by how many epochs this process has run: Lightning calls
    `set_epoch` before each epoch, so a run resumed at epoch k sees the order an uninterrupted run saw. With `rows`
    (epoch -> dataset rows, training/sampling.py) an epoch walks those rows instead of all of them."""

    def __init__(self, size: int, seed: int, rows=None):
        self.size, self.seed, self.epoch, self.rows = size, seed, 0, rows

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        if self.rows is None:
            return iter(torch.randperm(self.size, generator=generator).tolist())
        rows = self.rows(self.epoch)
        return iter(rows[torch.randperm(len(rows), generator=generator).numpy()].tolist())

    def __len__(self) -> int:
        return self.size if self.rows is None else len(self.rows(0))


def loader(dataset: Dataset, batch_size: int, shuffle: bool, seed: int, on_gpu: bool = False,
           rows=None) -> DataLoader:
    """Batches in the main process on CPU (bit-identical runs); on a GPU, pinned memory (asynchronous copies to the
    device) and worker processes. A dataset re-drawn at every epoch (training pairs) stays in the main process: a
    worker holds a copy made when the epoch's iterator starts, which may predate `set_epoch`. `rows`: see
    EpochShuffle."""
    sampler = EpochShuffle(len(dataset), seed, rows) if shuffle else None
    workers = min(4, os.cpu_count() or 1) if on_gpu and not hasattr(dataset, "set_epoch") else 0
    # An own generator: without one, every new iterator draws its base seed from the global RNG, and after a
    # resume the iterator is created at another moment than in an uninterrupted run (dropout would differ).
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=batch_collate, num_workers=workers,
                      pin_memory=on_gpu, persistent_workers=workers > 0, generator=torch.Generator().manual_seed(seed))
