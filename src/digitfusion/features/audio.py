"""Log-mel spectrogram in torch (STFT + mel filterbank matrix), as a function and as an nn.Module.

The STFT is a strided conv1d with a fixed windowed-DFT basis: the same numbers as torch.stft
(centred frames, zero padding), but real-valued, so the whole front end exports to ONNX and the
exported model computes its features exactly as training did.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from digitfusion.features.mel import LogMelParams, mel_filterbank


def power_to_db(power: torch.Tensor, top_db: float | None = 80.0, amin: float = 1e-10) -> torch.Tensor:
    """10 log10(power), floored at (per-example maximum - top_db), as librosa.power_to_db(ref=1.0)."""
    db = 10.0 * torch.log10(torch.clamp(power, min=amin))
    if top_db is not None:
        peak = db.amax(dim=(-2, -1), keepdim=True)
        db = torch.maximum(db, peak - top_db)
    return db


class LogMel(nn.Module):
    """Waveforms [B, N] (8 kHz, float) -> log-mel in dB [B, 1, n_mels, 1 + N // hop]."""

    def __init__(self, params: LogMelParams | None = None):
        super().__init__()
        self.params = params or LogMelParams()
        self.register_buffer("basis", dft_basis(self.params.n_fft, self.params.win_length), persistent=False)
        self.register_buffer("filterbank", torch.from_numpy(mel_filterbank(self.params)), persistent=False)

    def power_mel(self, waves: torch.Tensor) -> torch.Tensor:
        """Mel power spectrogram [B, n_mels, T] (librosa.feature.melspectrogram, centred, zero padding)."""
        p = self.params
        padded = F.pad(waves.unsqueeze(1), (p.n_fft // 2, p.n_fft // 2))  # [B, 1, N + n_fft]
        spec = F.conv1d(padded, self.basis, stride=p.hop_length)  # [B, 2 * n_freq, T]: real parts, then imaginary
        real, imag = spec.chunk(2, dim=1)
        return torch.matmul(self.filterbank, real**2 + imag**2)

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        return power_to_db(self.power_mel(waves), self.params.top_db).unsqueeze(1)


def dft_basis(n_fft: int, win_length: int) -> torch.Tensor:
    """Windowed DFT kernels [2 * (n_fft // 2 + 1), 1, n_fft]: cos rows then -sin rows. The periodic Hann
    window of `win_length` sits centred in the n_fft frame, as torch.stft and librosa place it."""
    window = torch.zeros(n_fft, dtype=torch.float64)
    left = (n_fft - win_length) // 2
    window[left:left + win_length] = torch.hann_window(win_length, periodic=True, dtype=torch.float64)
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64)[:, None]
    angle = 2 * math.pi * freqs * torch.arange(n_fft, dtype=torch.float64)[None, :] / n_fft
    return torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window]).float().unsqueeze(1)


def clip_features(waves: torch.Tensor, params, batch_size: int = 512) -> torch.Tensor:
    """Any front end's features of clips [B, N] (`params.frontend()`: log-mel, the lab's, the speech embedding),
    batched to bound memory, without gradients."""
    module = params.frontend()
    with torch.no_grad():
        return torch.cat([module(chunk) for chunk in waves.split(batch_size)])


def log_mel(waves: torch.Tensor, params: LogMelParams | None = None, batch_size: int = 512) -> torch.Tensor:
    """Functional form, batched to bound memory: [B, N] -> [B, 1, n_mels, T]."""
    module = LogMel(params)
    with torch.no_grad():
        return torch.cat([module(chunk) for chunk in waves.split(batch_size)]) if len(waves) else waves.new_zeros(
            (0, 1, module.params.n_mels, module.params.n_frames))
