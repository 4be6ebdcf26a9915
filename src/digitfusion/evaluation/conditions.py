"""Degradations of the test side, for the robustness protocol. Each is deterministic given its seed and never
changes its input in place (a condition that degrades nothing returns the input itself).

Images are MNIST-normalised [N, 1, 28, 28]; waveforms are [M, N] at the FSDD rate.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from digitfusion.features.image import MNIST_MEAN, MNIST_STD
from digitfusion.training.augment import IMAGE_BACKGROUND, add_noise

SNRS_DB: tuple[float | None, ...] = (None, 20, 10, 5, 0, -5)  # None = clean audio
IMAGE_NOISE_SIGMAS = (0.0, 0.25, 0.5, 0.75, 1.0)  # std of pixel noise, in [0, 1] pixel units
OCCLUSION_FRACTIONS = (0.0, 0.25, 0.4, 0.55, 0.7)  # fraction of the image area hidden


def _generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with `seed` (draws are moved to the data's device, so results match across devices)."""
    return torch.Generator().manual_seed(seed)


def image_noise(images: Tensor, sigma: float, seed: int) -> Tensor:
    """Gaussian pixel noise of std `sigma` in [0, 1] pixel units on normalised images [N, 1, H, W]: de-normalise,
    add, clip to [0, 1] (a real pixel cannot leave that range), re-normalise. sigma 0 returns the input."""
    if sigma == 0:
        return images
    noise = torch.randn(images.shape, generator=_generator(seed), dtype=images.dtype).to(images.device)
    pixels = (images * MNIST_STD + MNIST_MEAN + sigma * noise).clamp(0.0, 1.0)
    return (pixels - MNIST_MEAN) / MNIST_STD


def occlude(images: Tensor, fraction: float, seed: int) -> Tensor:
    """One random axis-aligned square per image covering `fraction` of its area (side rounded to whole pixels),
    set to the background (black). [N, 1, H, W] -> [N, 1, H, W]; fraction 0 returns the input."""
    n, _, h, w = images.shape
    side = min(h, w, round(math.sqrt(fraction * h * w)))
    if side == 0:
        return images
    gen = _generator(seed)
    top = torch.randint(0, h - side + 1, (n, 1, 1), generator=gen).to(images.device)
    left = torch.randint(0, w - side + 1, (n, 1, 1), generator=gen).to(images.device)
    rows = torch.arange(h, device=images.device).view(1, h, 1)
    cols = torch.arange(w, device=images.device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)
    return images.masked_fill(inside.unsqueeze(1), IMAGE_BACKGROUND)


def noisy_waves(waves: Tensor, snr_db: float | None, seed: int) -> Tensor:
    """White noise at `snr_db` over each clip's active power ([M, N] -> [M, N]); None returns the input."""
    if snr_db is None:
        return waves
    return add_noise(waves, snr_db, _generator(seed))
