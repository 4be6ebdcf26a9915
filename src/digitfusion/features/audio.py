"""Log-mel spectrogram in torch (stft + mel filterbank matrix), as a function and as an nn.Module."""

from __future__ import annotations

import torch
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
        self.register_buffer("window", torch.hann_window(self.params.win_length, periodic=True), persistent=False)
        self.register_buffer("filterbank", torch.from_numpy(mel_filterbank(self.params)), persistent=False)

    def power_mel(self, waves: torch.Tensor) -> torch.Tensor:
        """Mel power spectrogram [B, n_mels, T] (librosa.feature.melspectrogram, centred, zero padding)."""
        p = self.params
        spec = torch.stft(waves, n_fft=p.n_fft, hop_length=p.hop_length, win_length=p.win_length,
                          window=self.window, center=True, pad_mode="constant", return_complex=True)
        return torch.matmul(self.filterbank, spec.abs() ** 2)

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        return power_to_db(self.power_mel(waves), self.params.top_db).unsqueeze(1)


def log_mel(waves: torch.Tensor, params: LogMelParams | None = None, batch_size: int = 512) -> torch.Tensor:
    """Functional form, batched to bound memory: [B, N] -> [B, 1, n_mels, T]."""
    module = LogMel(params)
    with torch.no_grad():
        return torch.cat([module(chunk) for chunk in waves.split(batch_size)]) if len(waves) else waves.new_zeros(
            (0, 1, module.params.n_mels, module.params.n_frames))
