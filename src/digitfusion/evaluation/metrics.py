"""Classification scores of predicted probabilities, and mean ± std over seeds."""

from __future__ import annotations

import statistics

import torch
from torch import Tensor
from torchmetrics.functional.classification import (
    multiclass_accuracy,
    multiclass_calibration_error,
    multiclass_confusion_matrix,
    multiclass_f1_score,
)

NUM_CLASSES = 10
ECE_BINS = 15


def scores(probs: Tensor, labels: Tensor) -> dict[str, float]:
    """Accuracy, macro-F1, NLL and ECE (15 equal-width bins, L1) of probs [N, 10] against labels [N].

    Macro-F1 follows torchmetrics: a class that is neither present nor predicted is left out of the mean."""
    labels = labels.long()
    p_true = probs.gather(1, labels.view(-1, 1)).squeeze(1)
    return {
        "acc": float(multiclass_accuracy(probs, labels, NUM_CLASSES, average="micro")),
        "macro_f1": float(multiclass_f1_score(probs, labels, NUM_CLASSES, average="macro")),
        # clamp: a confident mistake (p = 0 after float rounding) would otherwise make the mean infinite
        "nll": float(-p_true.clamp(min=1e-12).log().mean()),
        "ece": float(multiclass_calibration_error(probs, labels, NUM_CLASSES, n_bins=ECE_BINS, norm="l1")),
    }


def confusion(probs: Tensor, labels: Tensor) -> Tensor:
    """Confusion counts [10, 10] int64 of probs [N, 10] (argmax) against labels [N]: rows true, columns predicted."""
    return multiclass_confusion_matrix(probs, labels.long(), NUM_CLASSES).to(torch.int64)


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof 1) of per-seed values; std 0.0 for a single value."""
    if not values:
        raise ValueError("mean_std needs at least one value")
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), std


def format_mean_std(values: list[float], scale: float = 100, digits: int = 2) -> str:
    """'99.12 ± 0.05' (values x scale); just '99.12' for a single value."""
    mean, std = mean_std(values)
    text = f"{mean * scale:.{digits}f}"
    return text if len(values) == 1 else f"{text} ± {std * scale:.{digits}f}"
