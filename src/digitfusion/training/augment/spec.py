"""Log-mel ops on features [B, 1, F, T] in dB: masking and frequency warping."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from digitfusion.features.mel import LogMelParams, hz_to_mel, mel_to_hz
from digitfusion.training.augment.draws import randint, resample, uniform


def spec_augment(feats: Tensor, gen: torch.Generator, freq_masks: int = 2, freq_width: int = 8, time_masks: int = 2,
                 time_width: int = 12) -> Tensor:
    """SpecAugment masking (Park et al. 2019): per example, `freq_masks` bands of 0..freq_width mel rows and
    `time_masks` spans of 0..time_width frames, set to the example's minimum (its dB floor; 0 dB would be loud).
    [B, 1, F, T] -> [B, 1, F, T]."""
    b, _, f, t = feats.shape
    rows = _band_mask(gen, b, f, freq_masks, freq_width, feats).view(b, 1, f, 1)
    cols = _band_mask(gen, b, t, time_masks, time_width, feats).view(b, 1, 1, t)
    floor = feats.amin(dim=(1, 2, 3), keepdim=True)
    return torch.where(rows | cols, floor, feats)


def _band_mask(gen: torch.Generator, b: int, size: int, count: int, max_width: int, like: Tensor) -> Tensor:
    """`count` random bands of width 0..max_width per example, as a mask [B, size]."""
    if count == 0:
        return torch.zeros((b, size), dtype=torch.bool, device=like.device)
    width = randint(gen, (b, count), 0, min(max_width, size), like)
    start = torch.floor(uniform(gen, (b, count), 0.0, 1.0, like).double() * (size - width + 1)).long()
    index = torch.arange(size, device=like.device).view(1, 1, size)
    inside = (index >= start.unsqueeze(-1)) & (index < (start + width).unsqueeze(-1))
    return inside.any(dim=1)


@lru_cache(maxsize=8)
def mel_centres_hz(n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """Centre frequencies of the mel filterbank's bands [n_mels] (as features/mel.py builds them)."""
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array([f_min]))[0], hz_to_mel(np.array([f_max]))[0], n_mels + 2))
    return edges[1:-1]


def _interp(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """Piecewise-linear interpolation of (xp, fp) at x (xp increasing), extrapolating linearly past the ends."""
    upper = torch.searchsorted(xp, x.contiguous()).clamp(1, len(xp) - 1)
    lower = upper - 1
    frac = (x - xp[lower]) / (xp[upper] - xp[lower])
    return fp[lower] + frac * (fp[upper] - fp[lower])


def vtlp(feats: Tensor, gen: torch.Generator, alpha: tuple[float, float] = (0.9, 1.1), boundary: float = 0.8,
         params: LogMelParams | None = None) -> Tensor:
    """Vocal-tract-length perturbation (Jaitly & Hinton 2013) on log-mel features: each example's frequency axis is
    warped by a factor in `alpha` (> 1 moves formants up, like a shorter vocal tract), linearly in Hz up to
    `boundary` x Nyquist and piecewise-linearly above so Nyquist stays put; band centres come from `params`
    (F from the input). Bands read from beyond the first or last band repeat it. [B, 1, F, T] -> [B, 1, F, T]."""
    params = params or LogMelParams()
    b, _, f, t = feats.shape
    centres = torch.from_numpy(mel_centres_hz(f, params.f_min, params.f_max)).to(feats.device)
    factor = uniform(gen, (b,), alpha[0], alpha[1], feats).to(torch.float64).unsqueeze(-1)
    nyquist, cut = params.sample_rate / 2, boundary * params.sample_rate / 2
    # Output band at g Hz reads input frequency warp^-1(g): g / alpha below the break, a straight line to Nyquist above.
    break_out = cut * factor.clamp(max=1.0)
    break_in = break_out / factor
    g = centres.unsqueeze(0).expand(b, f)
    source = torch.where(g <= break_out, g / factor,
                         nyquist - (nyquist - g) * (nyquist - break_in) / (nyquist - break_out))
    band = _interp(source, centres, torch.arange(f, device=feats.device, dtype=torch.float64))
    y = ((2 * band + 1) / f - 1).view(b, f, 1).expand(b, f, t)
    x = ((2 * torch.arange(t, device=feats.device, dtype=torch.float64) + 1) / t - 1).view(1, 1, t).expand(b, f, t)
    return resample(feats, torch.stack([x, y], dim=-1), 0.0, padding_mode="border")


# Women's formants sit about 15-20 % above men's and children's (10-12 years) 25-35 % above (Peterson & Barney
# 1952; Hillenbrand et al. 1995): 1.35 reaches children from FSDD's men; 0.85 covers deeper men's voices.
FORMANT_RANGE = (0.85, 1.35)


def formant_warp(feats: Tensor, gen: torch.Generator, alpha: tuple[float, float] = FORMANT_RANGE,
                 params: LogMelParams | None = None) -> Tensor:
    """VTLP (`vtlp`) over the range from deep men's to children's vocal tracts, `FORMANT_RANGE`.
    [B, 1, F, T] -> [B, 1, F, T]."""
    return vtlp(feats, gen, alpha=alpha, params=params)
