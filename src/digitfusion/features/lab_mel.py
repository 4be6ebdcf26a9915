"""The seed lab's audio features, reproduced without torchaudio.

The lab padded every file to 48000 samples and applied `torchaudio.transforms.MelSpectrogram()` then
`AmplitudeToDB()`, all with their defaults. It never passed the real rate (8 kHz for FSDD), so torchaudio
assumed 16 kHz: 400-sample windows (50 ms at 8 kHz, not 25 ms), a 200-sample hop, 128 HTK mel bands up to
"8000 Hz" (really 4 kHz), no mel normalisation, reflect padding, no top_db floor. Those are the numbers
below; only the meaning of the axis labels is off, the arrays are what the seed computed.
Unlike mel.py this module imports torch: the seed pipeline only ever runs with torch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from digitfusion.features.audio import power_to_db


@dataclass(frozen=True)
class LabMelParams:
    """torchaudio's MelSpectrogram/AmplitudeToDB defaults on 8 kHz audio padded to 48000 samples: [128, 241]."""

    sample_rate: int = 8000  # the real decode rate (load_audio)
    assumed_rate: int = 16000  # what torchaudio believed: it sets the filterbank's frequency axis
    clip_samples: int = 48000  # the seed's pad length (1 s of 48 kHz AudioMNIST; 6 s of 8 kHz FSDD)
    n_fft: int = 400
    win_length: int = 400
    hop_length: int = 200
    n_mels: int = 128
    f_min: float = 0.0
    f_max: float = 8000.0  # assumed_rate / 2
    amin: float = 1e-10

    store_waves = False  # 48000-sample clips are 6x the features' size and nothing augments them

    @property
    def n_freqs(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def n_frames(self) -> int:
        return 1 + self.clip_samples // self.hop_length

    def digest(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def prepare(self, wave: np.ndarray) -> np.ndarray:
        """A decoded 8 kHz waveform -> [clip_samples]: zeros on the right, or cut (no trimming, no centring)."""
        return pad_right(wave, self.clip_samples)

    def frontend(self) -> LabMelSpectrogram:
        return LabMelSpectrogram(self)


def pad_right(wave: np.ndarray, length: int) -> np.ndarray:
    """The seed's `audio_padded[0, :len] = audio`, made safe for files longer than `length` (they are cut)."""
    out = np.zeros(length, dtype=np.float32)
    kept = wave[:length]
    out[:len(kept)] = kept
    return out


def hz_to_mel_htk(freqs: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(freqs, dtype=np.float64) / 700.0)


def mel_to_hz_htk(mels: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mels, dtype=np.float64) / 2595.0) - 1.0)


def lab_filterbank(params: LabMelParams | None = None) -> np.ndarray:
    """torchaudio's melscale_fbanks(norm=None, mel_scale="htk") transposed: [n_mels, n_freqs], peak 1 per filter.

    Computed in float64 then cast, as librosa does (torchaudio works in float32: the weights differ by
    ~1e-5, the set of all-zero filters does not, see the tests)."""
    p = params or LabMelParams()
    all_freqs = np.linspace(0, p.assumed_rate // 2, p.n_freqs)  # torchaudio: sample_rate // 2, not f_max
    mels = np.linspace(hz_to_mel_htk(p.f_min), hz_to_mel_htk(p.f_max), p.n_mels + 2)
    f_pts = mel_to_hz_htk(mels)
    f_diff = np.diff(f_pts)
    slopes = f_pts[:, None] - all_freqs[None, :]  # [n_mels + 2, n_freqs]
    down = -slopes[:-2] / f_diff[:-1, None]
    up = slopes[2:] / f_diff[1:, None]
    return np.maximum(0.0, np.minimum(down, up)).astype(np.float32)


def zero_filters(params: LabMelParams | None = None) -> int:
    """How many mel filters hold no FFT bin at all (torchaudio's "mel filterbank has all zero values").

    Low HTK bands are ~14 Hz apart while the bins are assumed_rate / n_fft = 40 Hz apart, so a triangle
    can fall between two bins; those bands are constant -100 dB in every spectrogram."""
    return int((lab_filterbank(params).max(axis=1) == 0).sum())


class LabMelSpectrogram(nn.Module):
    """Clips [B, 48000] -> seed features in dB [B, 1, 128, 241] (MelSpectrogram() then AmplitudeToDB())."""

    def __init__(self, params: LabMelParams | None = None):
        super().__init__()
        self.params = params or LabMelParams()
        p = self.params
        self.register_buffer("window", torch.hann_window(p.win_length, periodic=True), persistent=False)
        self.register_buffer("filterbank", torch.from_numpy(lab_filterbank(p)), persistent=False)

    def power_mel(self, waves: torch.Tensor) -> torch.Tensor:
        """Mel power [B, n_mels, T]: centred STFT with reflect padding (torchaudio's default, not librosa's)."""
        p = self.params
        spec = torch.stft(waves, n_fft=p.n_fft, hop_length=p.hop_length, win_length=p.win_length,
                          window=self.window, center=True, pad_mode="reflect", return_complex=True)
        return torch.matmul(self.filterbank, spec.abs() ** 2)

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        # AmplitudeToDB(stype="power", top_db=None) with ref 1: 10 log10(max(x, amin)), nothing floored per clip
        return power_to_db(self.power_mel(waves), top_db=None, amin=self.params.amin).unsqueeze(1)
