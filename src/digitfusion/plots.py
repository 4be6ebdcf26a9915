"""Matplotlib figures (Agg backend: no screen needed)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from digitfusion.atomic import atomic_path  # noqa: E402


def save(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Write the figure as PNG atomically and free it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def audio_figure(wave: np.ndarray, rate: int, logmel_db: np.ndarray, title: str) -> plt.Figure:
    """Waveform on top, log-mel spectrogram (dB) below with a colour bar (the lab's ShowAudioFile)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), constrained_layout=True)
    top.plot(np.arange(len(wave)) / rate, wave, linewidth=0.7)
    top.set(title=f"Waveform - {title}", xlabel="time (s)", ylabel="amplitude", xlim=(0, len(wave) / rate))
    top.grid(True, alpha=0.3)
    image = bottom.imshow(logmel_db, origin="lower", aspect="auto", cmap="inferno")
    bottom.set(title=f"Log-mel spectrogram (dB) - {title}", xlabel="frame (10 ms)", ylabel="mel band")
    fig.colorbar(image, ax=bottom, orientation="horizontal", label="power (dB)", fraction=0.08, pad=0.15)
    return fig


def curves_figure(history: dict[str, list[float]], title: str) -> plt.Figure:
    """Train/validation loss and accuracy per epoch (the lab's block 16). `history` maps
    'train_loss', 'val_loss', 'train_acc', 'val_acc' to one value per epoch."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    for stage, style in (("train", "-"), ("val", "--")):
        for ax, metric in ((loss_ax, "loss"), (acc_ax, "acc")):
            values = history.get(f"{stage}_{metric}", [])
            if values:
                ax.plot(range(1, len(values) + 1), values, style, marker="o", markersize=3, label=stage)
    loss_ax.set(title=f"Loss - {title}", xlabel="epoch", ylabel="cross-entropy")
    acc_ax.set(title=f"Accuracy - {title}", xlabel="epoch", ylabel="accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(True, alpha=0.3)
        ax.legend()
    return fig
