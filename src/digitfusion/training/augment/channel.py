"""Waveform ops for the room and the channel on 8 kHz clips [B, N]: reverberation, telephone band,
laptop microphone, G.711 codec.

Filters are designed with scipy (Butterworth, resonators), their responses evaluated for the whole batch at
once, and applied as zero-phase magnitude responses in the FFT domain (zero-padded to 2N: no wrap-around), one
response per clip, so the whole batch is one FFT.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from scipy import signal
from torch import Tensor

from digitfusion.training.augment.draws import uniform

RATE = 8000  # Hz: the features' sample rate (LogMelParams.sample_rate)


def apply_responses(waves: Tensor, responses: Tensor) -> Tensor:
    """Multiply each clip's spectrum by its real response [B, N + 1] (sampled at rfft(n=2N)'s bins).
    [B, N] -> [B, N]."""
    n = waves.shape[-1]
    return torch.fft.irfft(torch.fft.rfft(waves, n=2 * n) * responses.to(waves.dtype), n=2 * n)[:, :n]


def sos_gain(sos: np.ndarray, n: int, like: Tensor) -> Tensor:
    """|H| of a batch of second-order-section filters `sos` [B, S, 6] (scipy's layout) at rfft(n=2N)'s bins, for
    the whole batch at once: |b0 + b1 z^-1 + b2 z^-2|^2 = b0^2 + b1^2 + b2^2 + 2 (b0 b1 + b1 b2) cos w
    + 2 b0 b2 cos 2w on the unit circle, likewise for a. -> [B, N + 1], float64 on `like`'s device."""
    c = torch.from_numpy(np.ascontiguousarray(sos)).to(like.device, torch.float64).unsqueeze(-1)  # [B, S, 6, 1]
    omega = torch.linspace(0.0, math.pi, n + 1, device=like.device, dtype=torch.float64)
    cos1, cos2 = torch.cos(omega), torch.cos(2 * omega)

    def power(k: int) -> Tensor:  # [B, S, F]; the coefficients combined first, on [B, S, 1]
        b0, b1, b2 = c[:, :, k], c[:, :, k + 1], c[:, :, k + 2]
        constant, first, second = b0**2 + b1**2 + b2**2, 2 * (b0 * b1 + b1 * b2), 2 * b0 * b2
        # clamped: at a zero of the filter (DC, Nyquist) rounding can leave a tiny negative power
        return torch.addcmul(torch.addcmul(constant, first, cos1), second, cos2).clamp(min=0)

    return (power(0) / power(3)).prod(dim=1).sqrt()


@lru_cache(maxsize=4096)
def _design(kind: str, edges: tuple[int, ...], rate: int) -> np.ndarray:
    """scipy designs as sos [S, 6], cached: edges are whole Hz, so a design is reused across batches."""
    if kind == "band":
        return signal.butter(4, edges, btype="bandpass", fs=rate, output="sos")
    if kind == "high":
        return signal.butter(2, edges[0], btype="highpass", fs=rate, output="sos")
    return signal.tf2sos(*signal.iirpeak(edges[0], 2.0, fs=rate))  # resonator, gain 1 at its peak


def telephone(waves: Tensor, gen: torch.Generator, low_hz: tuple[float, float] = (250.0, 400.0),
              high_hz: tuple[float, float] = (3000.0, 3500.0), rate: int = RATE) -> Tensor:
    """The telephone band (ITU 300-3400 Hz): a 4th-order Butterworth band-pass per clip, its edges drawn in
    `low_hz` and `high_hz` (handsets and networks differ), to the nearest Hz. [B, N] -> [B, N]."""
    b, n = waves.shape
    lows = uniform(gen, (b,), low_hz[0], low_hz[1], waves).round().int().tolist()
    highs = uniform(gen, (b,), high_hz[0], high_hz[1], waves).round().int().tolist()
    sos = np.stack([_design("band", (lo, hi), rate) for lo, hi in zip(lows, highs, strict=True)])
    return apply_responses(waves, sos_gain(sos, n, waves))


def laptop_mic(waves: Tensor, gen: torch.Generator, cutoff_hz: tuple[float, float] = (100.0, 300.0),
               peak_hz: tuple[float, float] = (1500.0, 3500.0), peak_db: tuple[float, float] = (3.0, 9.0),
               rate: int = RATE) -> Tensor:
    """A small built-in microphone: little bass (2nd-order Butterworth high-pass at a cutoff in `cutoff_hz`) and
    a broad presence peak of its capsule and casing (a Q = 2 resonator at `peak_hz`, +`peak_db` at its centre,
    rising from about 300 Hz). [B, N] -> [B, N]."""
    b, n = waves.shape
    cutoffs = uniform(gen, (b,), cutoff_hz[0], cutoff_hz[1], waves).round().int().tolist()
    peaks = uniform(gen, (b,), peak_hz[0], peak_hz[1], waves).round().int().tolist()
    boosts = torch.pow(10.0, uniform(gen, (b,), peak_db[0], peak_db[1], waves) / 20).to(torch.float64)
    high_pass = np.stack([_design("high", (cutoff,), rate) for cutoff in cutoffs])
    resonators = np.stack([_design("peak", (peak,), rate) for peak in peaks])
    gains = sos_gain(high_pass, n, waves) * (1 + (boosts.unsqueeze(-1) - 1) * sos_gain(resonators, n, waves))
    return apply_responses(waves, gains)


def reverb(waves: Tensor, gen: torch.Generator, rt60: tuple[float, float] = (0.15, 0.8),
           direct_to_reverberant_db: tuple[float, float] = (0.0, 10.0), ir_seconds: float = 0.5,
           rate: int = RATE) -> Tensor:
    """A room: each clip convolved with a synthetic impulse response, a direct path of 1 then Gaussian noise
    decaying exponentially to -60 dB after RT60 (drawn in `rt60` s: 0.15 a furnished small room, 0.8 a bare
    hall), its energy `direct_to_reverberant_db` below the direct path's; cut after `ir_seconds`. The output
    keeps the input's energy. [B, N] -> [B, N]."""
    b, n = waves.shape
    length = int(ir_seconds * rate)
    times = torch.arange(length, device=waves.device, dtype=waves.dtype) / rate
    decay_time = uniform(gen, (b, 1), rt60[0], rt60[1], waves)
    drr = uniform(gen, (b, 1), direct_to_reverberant_db[0], direct_to_reverberant_db[1], waves)
    tail = torch.randn((b, length), generator=gen, device=gen.device, dtype=waves.dtype).to(waves.device)
    tail = tail * torch.pow(10.0, -3 * times / decay_time)  # amplitude: -60 dB of energy at t = RT60
    tail[:, 0] = 0
    tail = tail * torch.sqrt(torch.pow(10.0, -drr / 10) / tail.square().sum(dim=-1, keepdim=True))
    tail[:, 0] = 1  # the direct path
    size = n + length
    wet = torch.fft.irfft(torch.fft.rfft(waves, n=size) * torch.fft.rfft(tail, n=size), n=size)[:, :n]
    scale = torch.sqrt(waves.square().sum(-1, keepdim=True) / wet.square().sum(-1, keepdim=True).clamp(min=1e-20))
    return wet * scale


MU = 255  # G.711 mu-law


def mu_law_codec(waves: Tensor, gen: torch.Generator, bits: int = 8) -> Tensor:
    """A telephone codec's quantisation (G.711 mu-law, 8 bits): compand, quantise to 2^bits levels, expand.
    Quiet passages get coarse steps, as on a phone line; deterministic (`gen` unused, kept for the op
    signature). [B, N] -> [B, N]."""
    x = waves.clamp(-1.0, 1.0)
    companded = torch.sign(x) * torch.log1p(MU * x.abs()) / math.log1p(MU)
    steps = 2 ** (bits - 1) - 0.5  # 2^bits levels over [-1, 1], as G.711's 256 codes
    quantised = (torch.floor(companded * steps) + 0.5) / steps
    return torch.sign(quantised) * ((1 + MU) ** quantised.abs() - 1) / MU
