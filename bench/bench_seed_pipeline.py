"""Epoch time of the seed lab's pipeline (per item: load, pad to 48000, mel in __getitem__) against
ours (features computed once, cached, batches gathered from memory) — same model architecture (the
seed's CNN), same optimiser (SGD lr 1e-3 momentum 0.9), same batch size, same official training split.

Two "ours" rows separate the two gains: caching the seed's own features (its 6 s of padding at
torchaudio's 16 kHz defaults, [1, 128, 241]) and our features (1 s clips, 8 kHz parameters, [1, 64, 101]),
on which the same conv-conv-linear architecture does ~6x less arithmetic.

Each pipeline trains its model for EPOCHS consecutive epochs and the table gives the median epoch: a training
runs many epochs, and the first one of a fresh model also pays one-off costs (kernel selection and memory
for new shapes) that are not the pipeline's per-epoch cost."""

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
from digitfusion.features.seed import SeedMelParams
from digitfusion.models.seed import SEED_BATCH_SIZE, SEED_OPTIMIZER, SeedAudioCNN, SeedStyleDataset
from digitfusion.training.data import ArrayDataset, batch_collate

EPOCHS = 3


def median_epoch(model: torch.nn.Module, batches: Callable[[], Iterable]) -> float:
    """Median wall time of EPOCHS epochs of SGD (the seed's optimiser) over `batches()`, data loading included."""
    optimizer = torch.optim.SGD(model.parameters(), lr=SEED_OPTIMIZER["lr"], momentum=SEED_OPTIMIZER["momentum"])
    model.train()

    def epoch() -> None:
        for features, labels in batches():
            loss = torch.nn.functional.cross_entropy(model(features), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return statistics.median(timed(epoch) for _ in range(EPOCHS))


def cached_epoch(audio: torch.Tensor, labels: torch.Tensor) -> float:
    data = DataLoader(ArrayDataset(audio=audio, label=labels), batch_size=SEED_BATCH_SIZE, shuffle=True,
                      collate_fn=batch_collate, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model = SeedAudioCNN(input_shape=tuple(audio.shape[1:]))
    return median_epoch(model, lambda: ((b["audio"], b["label"]) for b in data))


def run(root: Path) -> tuple[str, dict]:
    bundle = load_bundle(root, "official", params=SeedMelParams())  # builds the feature cache if needed
    train = bundle["train"]
    ours = load_bundle(root, "official")["train"]
    with tempfile.TemporaryDirectory() as tmp:
        write_split(bundle.split, tmp)
        seed_style = DataLoader(SeedStyleDataset(Path(tmp) / "train.csv", root), batch_size=SEED_BATCH_SIZE,
                                shuffle=True, generator=torch.Generator().manual_seed(0))
        torch.manual_seed(0)
        seed_seconds = median_epoch(SeedAudioCNN(), lambda: seed_style)
    cached_seed = cached_epoch(train.audio, train.audio_labels)
    cached_ours = cached_epoch(ours.audio, ours.audio_labels)
    text = table(["pipeline (seed CNN architecture)", f"median of {EPOCHS} epochs, {len(train.audio)} clips, "
                  f"batch {SEED_BATCH_SIZE}",
                  "ratio to the seed"],
                 [["seed lab: load + pad 48000 + torchaudio-default mel per item, [1,128,241]",
                   f"{seed_seconds:.2f} s", "1x"],
                  ["cached, the seed's own features [1,128,241]", f"{cached_seed:.2f} s",
                   f"{seed_seconds / cached_seed:.1f}x"],
                  ["**digitfusion**: cached 8 kHz log-mel of 1 s clips [1,64,101]", f"{cached_ours:.2f} s",
                   f"**{seed_seconds / cached_ours:.1f}x**"]])
    return text, {"seed_epoch_s": seed_seconds, "cached_seed_s": cached_seed, "ours_epoch_s": cached_ours,
                  "ratio": seed_seconds / cached_ours}
