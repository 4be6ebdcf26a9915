"""The seed lab's audio model (the Kaggle "pytorch-study-audio" CNN of its Block 11) and its per-item data
pipeline, kept as the baseline that the cached features and the project's own models are measured against."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset

from digitfusion.audio_io import load_audio
from digitfusion.features.lab_mel import LabMelParams

# Block 13: SGD, lr 0.001, momentum 0.9; Block 15: 30 epochs. The lab never states a batch size: 32 is assumed.
LAB_OPTIMIZER = dict(name="sgd", lr=1e-3, momentum=0.9)
LAB_EPOCHS = 30
LAB_BATCH_SIZE = 32

LAB_INPUT_SHAPE = (1, 128, 241)  # LabMelParams on 48000 samples


def conv_out(size: int, kernel: int, stride: int) -> int:
    """Output length of an unpadded convolution."""
    return (size - kernel) // stride + 1


def lab_flat_size(height: int, width: int) -> int:
    """Length of the flattened conv output for a [1, height, width] input.

    [1, 128, 241] gives 10 * 19 * 38 = 7220. The lab quotes 381910 = 10 * 181 * 211 (181 and 211 are prime),
    which needs an input of 1099..1104 x 1279..1284 (either way round), e.g. [1, 1100, 1280]: that is not a
    128-band mel spectrogram at any clip length (19, the height after the convs, does not divide 38191), so the
    Kaggle notebook it comes from fed another representation. We follow the lab's own features instead."""
    return 10 * conv_out(conv_out(height, 7, 3), 5, 2) * conv_out(conv_out(width, 7, 3), 5, 2)


class LabAudioCNN(nn.Module):
    """Seed features [B, 1, 128, 241] (dB, unnormalised) -> logits [B, 10].

    Conv(1->10, 7x7, stride 3) [B, 10, 41, 79] -> ReLU -> Conv(10->10, 5x5, stride 2) [B, 10, 19, 38] -> ReLU
    -> Flatten [B, 7220] -> Linear(7220, 10). No pooling, no normalisation layer: exactly the lab's model.
    """

    def __init__(self, input_shape: tuple[int, int, int] = LAB_INPUT_SHAPE, n_classes: int = 10):
        super().__init__()
        self.feature_dim = lab_flat_size(input_shape[1], input_shape[2])
        self.body = nn.Sequential(
            nn.Conv2d(1, 10, kernel_size=7, stride=3), nn.ReLU(),
            nn.Conv2d(10, 10, kernel_size=5, stride=2), nn.ReLU(),
            nn.Flatten(),
        )
        self.head = nn.Linear(self.feature_dim, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """[B, 1, 128, 241] -> the flattened conv output [B, feature_dim] (what fusion code concatenates)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def read_split_csv(path: str | os.PathLike) -> list[tuple[str, int]]:
    """`path,label` rows; a first row whose label is not an integer is a header and is skipped."""
    with open(path, newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if rows and not rows[0][1].strip().lstrip("-").isdigit():
        rows = rows[1:]
    return [(row[0].strip(), int(row[1])) for row in rows]


class LabStyleDataset(Dataset):
    """The seed's AudioDatasetSpectrogram: every __getitem__ decodes the file, pads it to 48000 samples and
    computes the mel spectrogram in dB again, every epoch. Deliberately uncached: it is the slow baseline.

    Items are (features [1, 128, 241], label). Decoding goes through load_audio (soundfile, mono, 8 kHz), so an
    item equals the matching row of load_features(root, paths, LabMelParams()).
    """

    def __init__(self, csv_path: str | os.PathLike, root: str | os.PathLike, params: LabMelParams | None = None):
        self.root = Path(root)
        self.items = read_split_csv(csv_path)
        self.params = params or LabMelParams()
        self.frontend = self.params.frontend()  # built once, like the seed's ToSpectrogram / ToDB

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        rel, label = self.items[index]
        clip = self.params.prepare(load_audio(self.root / rel, self.params.sample_rate))
        with torch.no_grad():
            return self.frontend(torch.from_numpy(clip)[None])[0], label
