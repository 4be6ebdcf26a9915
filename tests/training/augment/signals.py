"""Small generated inputs for the augmentation tests: digit-like images and tone bursts."""

from __future__ import annotations

import math

import torch

from digitfusion.training.augment import IMAGE_BACKGROUND, IMAGE_INK

RATE, N = 8000, 8000


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def digits(b: int = 8) -> torch.Tensor:
    """A '0'-like ring (outer radius 7, 2.5 px stroke) with a vertical bar, MNIST-normalised [B, 1, 28, 28]."""
    rows = torch.arange(28, dtype=torch.float32).view(28, 1)
    cols = torch.arange(28, dtype=torch.float32).view(1, 28)
    radius = torch.sqrt((rows - 14) ** 2 + ((cols - 14) * 1.4) ** 2)
    ring = ((radius - 6).abs() <= 1.25).float()
    ink = torch.maximum(ring, ((cols - 14).abs() <= 1) & ((rows - 14).abs() <= 3)).float()
    return (IMAGE_BACKGROUND + ink * (IMAGE_INK - IMAGE_BACKGROUND)).expand(b, 1, 28, 28).clone()


def ink(images: torch.Tensor) -> torch.Tensor:
    """Ink per image (sum of the values above background) [B]."""
    return (images - IMAGE_BACKGROUND).clamp(min=0).sum(dim=(1, 2, 3))


def burst(freq: float, b: int = 4, start: float = 0.3, end: float = 0.7, amplitude: float = 0.5) -> torch.Tensor:
    """A Hann-windowed tone from `start` to `end` s in a 1 s clip [B, N]."""
    wave = torch.zeros(N, dtype=torch.float64)
    first, last = int(start * RATE), int(end * RATE)
    t = torch.arange(last - first, dtype=torch.float64) / RATE
    window = torch.hann_window(last - first, periodic=False, dtype=torch.float64)
    wave[first:last] = amplitude * torch.sin(2 * math.pi * freq * t) * window
    return wave.float().repeat(b, 1)


def peak_hz(waves: torch.Tensor) -> torch.Tensor:
    """Frequency of each clip's strongest FFT bin [B]."""
    return torch.fft.rfft(waves).abs().argmax(dim=-1).float() * RATE / waves.shape[-1]


def band_gain_db(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """Energy ratio after / before in dB, per clip [B]."""
    return 10 * torch.log10(after.double().square().sum(-1) / before.double().square().sum(-1))


def time_spread(waves: torch.Tensor) -> torch.Tensor:
    """Energy-weighted standard deviation of time (s) per clip [B]: how long the sound lasts."""
    energy = waves.double().square()
    t = torch.arange(waves.shape[-1], dtype=torch.float64) / RATE
    mean = (energy * t).sum(-1) / energy.sum(-1)
    return torch.sqrt((energy * (t - mean.unsqueeze(-1)) ** 2).sum(-1) / energy.sum(-1))


def assert_shape_and_seeding(op) -> None:
    """A wave op keeps shape and dtype, gives finite values, the same output for the same generator seed and another
    for another seed (checked on a noisy 400 Hz burst [4, 8000])."""
    x = burst(400.0) + 0.01 * torch.randn(4, 8000, generator=gen(4))
    out = op(x, gen(0))
    assert out.shape == x.shape and out.dtype == x.dtype and torch.isfinite(out).all()
    assert torch.equal(out, op(x, gen(0)))
    assert not torch.equal(out, op(x, gen(1)))
