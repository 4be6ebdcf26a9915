"""Epoch time of the seed lab's pipeline (per item: load, pad to 48000, mel in __getitem__) against
ours (features computed once, cached, batches gathered from memory) — same model architecture (the
seed's CNN), same optimiser (SGD lr 1e-3 momentum 0.9), same batch size, same official training split.

Two "ours" rows separate the two gains: caching the seed's own features (its 6 s of padding at
torchaudio's 16 kHz defaults, [1, 128, 241]) and our features (1 s clips, 8 kHz parameters, [1, 64, 101]),
on which the same conv-conv-linear architecture does ~6x less arithmetic.

Each pipeline trains its model for EPOCHS consecutive epochs and the table gives the median epoch: a training
runs many epochs, and the first one of a fresh model also pays one-off costs (kernel selection and memory
for new shapes) that are not the pipeline's per-epoch cost. A second column times the same epochs with the
model left out (batches only): what the pipeline itself costs, and so how much of an epoch is left to the
model's own forward and backward passes, which no data pipeline can remove."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from common import table, timed
from torch.utils.data import DataLoader

from digitfusion.data.bundle import load_bundle
from digitfusion.data.splits import write_split
from digitfusion.features.lab_mel import LabMelParams
from digitfusion.models.lab_cnn import LAB_BATCH_SIZE, LAB_OPTIMIZER, LabAudioCNN, LabStyleDataset
from digitfusion.training.data import ArrayDataset, batch_collate

EPOCHS = 3


def median_epoch(model: torch.nn.Module, batches: Callable[[], Iterable]) -> float:
    """Median wall time of EPOCHS epochs of SGD (the seed's optimiser) over `batches()`, data loading included."""
    optimizer = torch.optim.SGD(model.parameters(), lr=LAB_OPTIMIZER["lr"], momentum=LAB_OPTIMIZER["momentum"])
    model.train()

    def epoch() -> None:
        for features, labels in batches():
            loss = torch.nn.functional.cross_entropy(model(features), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return statistics.median(timed(epoch) for _ in range(EPOCHS))


def median_data_epoch(batches: Callable[[], Iterable]) -> float:
    """Median wall time of EPOCHS passes over `batches()` with no model: the data pipeline alone."""
    return statistics.median(timed(lambda: sum(1 for _ in batches())) for _ in range(EPOCHS))


def cached_epoch(audio: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(epoch, data-only epoch) in seconds for cached features [N, 1, F, T]."""
    data = DataLoader(ArrayDataset(audio=audio, label=labels), batch_size=LAB_BATCH_SIZE, shuffle=True,
                      collate_fn=batch_collate, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model = LabAudioCNN(input_shape=tuple(audio.shape[1:]))

    def batches() -> Iterable:
        return ((b["audio"], b["label"]) for b in data)

    return median_epoch(model, batches), median_data_epoch(batches)


def run(root: Path) -> tuple[str, dict]:
    bundle = load_bundle(root, "official", params=LabMelParams())  # builds the feature cache if needed
    train = bundle["train"]
    ours_train = load_bundle(root, "official")["train"]
    with tempfile.TemporaryDirectory() as tmp:
        write_split(bundle.split, tmp)
        lab_style = DataLoader(LabStyleDataset(Path(tmp) / "train.csv", root), batch_size=LAB_BATCH_SIZE,
                                shuffle=True, generator=torch.Generator().manual_seed(0))
        torch.manual_seed(0)
        seed = median_epoch(LabAudioCNN(), lambda: lab_style), median_data_epoch(lambda: lab_style)
    cached_seed = cached_epoch(train.audio, train.audio_labels)
    ours = cached_epoch(ours_train.audio, ours_train.audio_labels)

    def row(name: str, times: tuple[float, float], bold: bool = False) -> list[str]:
        mark = "**" if bold else ""
        return [name, f"{times[0]:.2f} s", f"{mark}{seed[0] / times[0]:.1f}x{mark}", f"{times[1]:.3f} s",
                f"{seed[1] / times[1]:.0f}x", f"{100 * (times[0] - times[1]) / times[0]:.0f} %"]

    text = table(["pipeline (seed CNN architecture)",
                  f"epoch: median of {EPOCHS}, {len(train.audio)} clips, batch {LAB_BATCH_SIZE}", "epoch ratio",
                  "data only (no model)", "data ratio", "share of the epoch in the model"],
                 [row("seed lab: load + pad 48000 + torchaudio-default mel per item, [1,128,241]", seed),
                  row("cached, the seed's own features [1,128,241]", cached_seed),
                  row("**digitfusion**: cached 8 kHz log-mel of 1 s clips [1,64,101]", ours, bold=True)])
    return text, {"seed_epoch_s": seed[0], "seed_data_s": seed[1], "cached_seed_s": cached_seed[0],
                  "ours_epoch_s": ours[0], "ours_data_s": ours[1], "ratio": seed[0] / ours[0],
                  "data_ratio": seed[1] / ours[1]}
