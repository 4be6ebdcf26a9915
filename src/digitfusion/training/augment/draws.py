"""Random draws and resampling shared by every op.

Every random op takes an explicit `torch.Generator` and draws the randomness for the whole batch at once, so a
generator seeded the same way gives the same batch back (on one device). Randomness is drawn on the generator's
device and moved to the data's device, so a CPU generator works for CUDA data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def uniform(gen: torch.Generator, shape: tuple[int, ...], low: float, high: float, like: Tensor) -> Tensor:
    """U(low, high) of `shape`, drawn on the generator's device, returned with `like`'s dtype and device."""
    draw = torch.rand(shape, generator=gen, device=gen.device, dtype=like.dtype)
    return (low + (high - low) * draw).to(like.device)


def randint(gen: torch.Generator, shape: tuple[int, ...], low: int, high: int, like: Tensor) -> Tensor:
    """Integers in [low, high] (inclusive) of `shape`, on `like`'s device."""
    return torch.randint(low, high + 1, shape, generator=gen, device=gen.device).to(like.device)


def per_sample(values: Tensor, ndim: int) -> Tensor:
    """[B] -> [B, 1, ..., 1] with `ndim` dimensions in all, to broadcast against a batch."""
    return values.view(-1, *([1] * (ndim - 1)))


def select(mask: Tensor, new: Tensor, old: Tensor) -> Tensor:
    """Per-sample choice: mask [B] bool, new/old [B, ...] -> new where mask else old."""
    return torch.where(per_sample(mask, new.dim()), new, old)


def resample(x: Tensor, grid: Tensor, fill: float, padding_mode: str = "zeros") -> Tensor:
    """grid_sample with `fill` outside the input: grid_sample pads with zeros, so shift the background to 0."""
    out = F.grid_sample(x - fill, grid.to(x.dtype), mode="bilinear", padding_mode=padding_mode, align_corners=False)
    return out + fill
