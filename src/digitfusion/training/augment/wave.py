"""Waveform ops on 8 kHz clips [B, N]: the speaker (pitch, speed), timing, level and background noise.

Silence comes in from outside the input. Clips are trimmed and centred in 1 s, so warping about the centre
keeps the word inside the clip.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from digitfusion.training.augment.draws import randint, resample, uniform


def active_power(waves: Tensor, rel_threshold: float = 1e-4) -> Tensor:
    """Mean power of each clip over its non-silent span [B, N] -> [B].

    The span runs from the first to the last sample louder than rel_threshold x the clip's peak (-80 dB): clips
    are trimmed and zero-padded to 1 s, so the whole-clip power would depend on how long the word is, not on how
    loud. A silent clip has power 0."""
    n = waves.shape[-1]
    loud = waves.abs() > rel_threshold * waves.abs().amax(dim=-1, keepdim=True)
    first = loud.int().argmax(dim=-1)
    last = n - 1 - loud.flip(-1).int().argmax(dim=-1)
    index = torch.arange(n, device=waves.device)
    span = (index >= first.unsqueeze(-1)) & (index <= last.unsqueeze(-1)) & loud.any(dim=-1, keepdim=True)
    return (waves.square() * span).sum(dim=-1) / span.sum(dim=-1).clamp(min=1)


def add_noise(waves: Tensor, snr_db: float | Tensor, gen: torch.Generator) -> Tensor:
    """White Gaussian noise over the whole clip at exactly `snr_db` (a float, or one per clip [B]) with respect to
    `active_power`: the noise draw is rescaled to its exact target power, so
    10 log10(active_power(waves) / mean((out - waves)^2)) == snr_db up to rounding. [B, N] -> [B, N].
    Used by training and by the evaluation's degraded protocol."""
    noise = torch.randn(waves.shape, generator=gen, device=gen.device, dtype=waves.dtype).to(waves.device)
    noise = noise / noise.square().mean(dim=-1, keepdim=True).sqrt()  # unit power exactly, not just on average
    snr = torch.as_tensor(snr_db, dtype=waves.dtype, device=waves.device).expand(waves.shape[0])
    noise_power = active_power(waves) / torch.pow(10.0, snr / 10)
    return waves + noise * noise_power.sqrt().unsqueeze(-1)


def random_gain(waves: Tensor, gen: torch.Generator, db: tuple[float, float] = (-6.0, 6.0)) -> Tensor:
    """Per-clip gain, uniform in dB. [B, N] -> [B, N]."""
    gain_db = uniform(gen, (waves.shape[0],), db[0], db[1], waves)
    return waves * torch.pow(10.0, gain_db / 20).unsqueeze(-1)


def level(waves: Tensor, gen: torch.Generator, db: tuple[float, float] = (-30.0, 12.0)) -> Tensor:
    """Recording level: a gain uniform in `db`, then clipping at full scale [-1, 1] like a saturated microphone or
    a loud voice memo (FSDD peaks around 0.3-0.9: +12 dB clips most words). Log-mel features are
    level-invariant up to their floor, so what this teaches is clipping, and quiet input for the codec.
    [B, N] -> [B, N]."""
    gain_db = uniform(gen, (waves.shape[0],), db[0], db[1], waves)
    return (waves * torch.pow(10.0, gain_db / 20).unsqueeze(-1)).clamp(-1.0, 1.0)


def time_shift(waves: Tensor, gen: torch.Generator, max_shift: int = 800) -> Tensor:
    """Per-clip shift by an integer in [-max_shift, max_shift] samples (positive = later), zeros shifted in and
    what passes the ends dropped (no wrap-around). [B, N] -> [B, N]."""
    b, n = waves.shape
    shift = randint(gen, (b,), -max_shift, max_shift, waves)
    source = torch.arange(n, device=waves.device).unsqueeze(0) - shift.unsqueeze(-1)
    inside = (source >= 0) & (source < n)
    return waves.gather(1, source.clamp(0, n - 1)).masked_fill(~inside, 0.0)


def change_speed(waves: Tensor, factor: Tensor) -> Tensor:
    """Each clip resampled by its `factor` [B] (1.1 = 10 % faster and higher) about the clip's centre, keeping N
    samples, zeros where a slowed clip runs out. Linear interpolation. [B, N] -> [B, N]."""
    b, n = waves.shape
    centres = (2 * torch.arange(n, device=waves.device, dtype=torch.float64) + 1) / n - 1  # grid_sample's x of samples
    x = factor.to(torch.float64).unsqueeze(-1) * centres  # output sample i reads input time factor x t_i
    grid = torch.stack([x, torch.zeros_like(x)], dim=-1).view(b, 1, n, 2)
    return resample(waves.view(b, 1, 1, n), grid, 0.0).view(b, n)


def speed_perturb(waves: Tensor, gen: torch.Generator, factors: tuple[float, float] = (0.9, 1.1)) -> Tensor:
    """Kaldi-style speed perturbation: each clip resampled by a factor in `factors` (`change_speed`). No
    anti-aliasing filter: speeding up by 10 % folds only content above 0.9 x Nyquist. [B, N] -> [B, N]."""
    factor = uniform(gen, (waves.shape[0],), factors[0], factors[1], waves)
    return change_speed(waves, factor)


def low_pass(waves: Tensor, cutoff: Tensor) -> Tensor:
    """Zero-phase low-pass at `cutoff` [B] (fraction of Nyquist, <= 1: no change), a 10 %-wide raised-cosine
    edge in the FFT domain, zero-padded to 2N so nothing wraps around. [B, N] -> [B, N]."""
    n = waves.shape[-1]
    spectrum = torch.fft.rfft(waves, n=2 * n)
    freq = torch.linspace(0.0, 1.0, spectrum.shape[-1], device=waves.device, dtype=waves.dtype).unsqueeze(0)
    edge = ((freq - 0.9 * cutoff.unsqueeze(-1)) / (0.1 * cutoff.unsqueeze(-1))).clamp(0.0, 1.0)
    response = torch.where(cutoff.unsqueeze(-1) >= 1, 1.0, 0.5 * (1 + torch.cos(math.pi * edge)))
    return torch.fft.irfft(spectrum * response, n=2 * n)[:, :n]


def time_stretch(waves: Tensor, rate: Tensor, n_fft: int = 256, hop: int = 64) -> Tensor:
    """Phase-vocoder time stretch (as torchaudio's phase_vocoder, with one rate per clip): each clip lasts `rate`
    [B] times as long (pitch unchanged), about the centre, N samples kept. Output frame j reads input frame
    c + (j - c) / rate (magnitudes interpolated, phases advanced by the instantaneous frequency there).
    [B, N] -> [B, N]."""
    b, n = waves.shape
    window = torch.hann_window(n_fft, dtype=waves.dtype, device=waves.device)
    spec = torch.stft(waves, n_fft, hop, window=window, return_complex=True)  # [B, F, T]
    frames = spec.shape[-1]
    centre = (frames - 1) / 2
    position = centre + (torch.arange(frames, device=waves.device, dtype=waves.dtype) - centre) / rate.unsqueeze(-1)
    inside = (position >= 0) & (position <= frames - 1)  # [B, T]
    start = position.floor().clamp(0, frames - 2).long()
    frac = (position - start).clamp(0, 1).unsqueeze(1)  # [B, 1, T]
    index = start.unsqueeze(1).expand(b, spec.shape[1], frames)
    magnitude, phase = spec.abs(), spec.angle()
    mag = (1 - frac) * magnitude.gather(2, index) + frac * magnitude.gather(2, index + 1)
    expected = (2 * math.pi * hop / n_fft) * torch.arange(spec.shape[1], device=waves.device, dtype=waves.dtype)
    advance = phase.gather(2, index + 1) - phase.gather(2, index) - expected.view(1, -1, 1)
    advance = advance - 2 * math.pi * torch.round(advance / (2 * math.pi)) + expected.view(1, -1, 1)
    accumulated = phase.gather(2, index[:, :, :1]) + torch.cumsum(advance, dim=2) - advance
    stretched = torch.polar(mag * inside.unsqueeze(1), accumulated)
    return torch.istft(stretched, n_fft, hop, window=window, length=n)


def pitch_shift(waves: Tensor, gen: torch.Generator, semitones: tuple[float, float] = (-3.0, 9.0)) -> Tensor:
    """Pitch and spectrum shift at constant duration: each clip resampled by 2^(s/12), s uniform in `semitones`
    (low-passed first when sped up, so nothing folds over Nyquist), then phase-vocoder stretched back to its
    length. FSDD's men (F0 about 100-130 Hz) reach 85-220 Hz: down to deep voices, up to the typical woman's
    F0 (about 210 Hz); children's formants come from the `formant` op. [B, N] -> [B, N]."""
    ratio = torch.pow(2.0, uniform(gen, (waves.shape[0],), semitones[0], semitones[1], waves) / 12)
    faster = change_speed(low_pass(waves, 1 / ratio), ratio)
    return time_stretch(faster, ratio)
