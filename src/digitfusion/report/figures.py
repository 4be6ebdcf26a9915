"""Evaluation figures: robustness curves, confusion matrices, example galleries, bar charts.

Each function returns a matplotlib Figure; callers write it with `plots.save(fig, path)` (which also closes it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from digitfusion import plots  # noqa: F401  (importing it selects the Agg backend)
from digitfusion.evaluation.aggregate import SINGLE_MODALITY
from digitfusion.models.registry import fusion_names

# Markers as well as colours, so lines stay apart in grey print and when more than 10 strategies share a plot.
MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*", "h", "<", ">", "p")
DIGITS = list(range(10))


def line_style(name: str) -> str:
    """Solid for trained fusions, dashed for late rules, dotted for single-modality models: the families stay
    apart at a glance when 14 lines share a plot."""
    if name in fusion_names(family="late"):
        return "--"
    return ":" if name in SINGLE_MODALITY else "-"


def _numeric(x: Sequence) -> bool:
    """Whether every x value can sit on a numeric axis (None, e.g. clean audio, cannot)."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x)


def curve_figure(x: list, series: dict[str, list[float]], xlabel: str, ylabel: str, title: str,
                 x_labels: list[str] | None = None) -> Figure:
    """One line per strategy: `series` maps a name to one value per x (None or NaN leaves a gap).

    With `x_labels` (or an x that is not all numbers, such as SNRs with None for clean) the points are evenly
    spaced and labelled, in the given order; otherwise x is a numeric axis. Legend outside on the right."""
    if x_labels is None and not _numeric(x):
        x_labels = ["clean" if v is None else str(v) for v in x]
    positions = list(range(len(x))) if x_labels is not None else list(x)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    for i, (name, values) in enumerate(series.items()):
        y = [math.nan if v is None else float(v) for v in values]
        ax.plot(positions, y, line_style(name), marker=MARKERS[i % len(MARKERS)], markersize=5, linewidth=1.4,
                label=name)
    if x_labels is not None:
        ax.set_xticks(positions, x_labels)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(True, alpha=0.3)
    if series:
        fig.legend(loc="outside right upper", fontsize="small")
    return fig


def confusion_figure(matrix: Tensor | np.ndarray, title: str) -> Figure:
    """Heatmap of confusion counts [10, 10] (rows true digit, columns predicted) with the count in each cell."""
    counts = matrix.detach().cpu().numpy() if isinstance(matrix, Tensor) else np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(6.2, 5.4), layout="constrained")
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8, label="count")
    n = counts.shape[0]
    threshold = counts.max() / 2 if counts.size else 0
    for true, predicted in np.ndindex(counts.shape):
        value = counts[true, predicted]
        # white on the dark cells, black on the light ones, so every count stays legible
        ax.text(predicted, true, f"{value:g}", ha="center", va="center", fontsize=8,
                color="white" if value > threshold else "black")
    ax.set_xticks(range(n), [str(d) for d in range(n)])
    ax.set_yticks(range(n), [str(d) for d in range(n)])
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return fig


def gallery_figure(items: list[dict], title: str) -> Figure:
    """One row per example: image | log-mel spectrogram | grouped bars of each model's probabilities.

    Each item holds `image` [28, 28], `logmel` [64, T] in dB, `probs` (name -> [10]), `label` (int) and
    `caption` (str). The true digit's bars sit on a green band. Meant for up to ~8 rows."""
    rows = max(1, len(items))
    fig, axes = plt.subplots(rows, 3, figsize=(12, 1.9 * rows + 0.6), squeeze=False, layout="constrained",
                             gridspec_kw={"width_ratios": [1, 2.2, 3]})
    fig.suptitle(title)
    for i, item in enumerate(items):
        _gallery_row(axes[i], item, legend=i == 0)
    for ax in axes[len(items):].ravel():  # no items: an empty, labelled figure rather than an error
        ax.set_axis_off()
    return fig


def _gallery_row(axes: Sequence[Axes], item: dict, legend: bool) -> None:
    """Fill one gallery row (three axes) from one item."""
    image_ax, spec_ax, bar_ax = axes
    image_ax.imshow(np.asarray(item["image"]), cmap="gray")
    image_ax.set_axis_off()
    image_ax.set_title(f"true {item['label']}", fontsize=9)

    spec_ax.imshow(np.asarray(item["logmel"]), origin="lower", aspect="auto", cmap="inferno")
    spec_ax.set_title(item.get("caption", ""), fontsize=9, loc="left")
    spec_ax.set_ylabel("mel band", fontsize=8)
    spec_ax.tick_params(labelsize=7)

    probs = item["probs"]
    width = 0.8 / max(1, len(probs))
    bar_ax.axvspan(item["label"] - 0.45, item["label"] + 0.45, color="tab:green", alpha=0.15, linewidth=0)
    for i, (name, p) in enumerate(probs.items()):
        offset = (i - (len(probs) - 1) / 2) * width
        bar_ax.bar(np.arange(10) + offset, np.asarray(p, dtype=float), width, label=name)
    bar_ax.set_xticks(DIGITS)
    bar_ax.set_ylim(0, 1.02)
    bar_ax.set_ylabel("probability", fontsize=8)
    bar_ax.tick_params(labelsize=7)
    bar_ax.grid(True, axis="y", alpha=0.3)
    if legend and probs:
        bar_ax.legend(fontsize=7, ncols=len(probs), loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)


def bar_figure(labels: list[str], values: list[float], errors: list[float] | None, ylabel: str,
               title: str) -> Figure:
    """Horizontal bars, first label on top, with error bars when `errors` is given and the value at each bar's end.
    `ylabel` names the value axis (the horizontal one)."""
    fig, ax = plt.subplots(figsize=(7, 0.38 * len(labels) + 1.3), layout="constrained")
    bars = ax.barh(labels, values, xerr=errors, capsize=3, color="tab:blue", alpha=0.85)
    ax.bar_label(bars, fmt="%.4g", padding=4, fontsize=8)
    ax.invert_yaxis()  # reading order: first label on top
    ax.set(xlabel=ylabel, title=title)
    ax.grid(True, axis="x", alpha=0.3)
    ax.margins(x=0.15)  # room for the value labels
    return fig
