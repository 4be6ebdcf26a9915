"""Log-mel parameters, the mel filterbank and waveform framing, in numpy (shared by torch and the
torch-free predict path). The filterbank follows librosa's defaults: Slaney mel scale, Slaney norm."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class LogMelParams:
    """Chosen for 8 kHz speech: 25 ms windows, 10 ms hop, 64 mel bands up to Nyquist, 1 s clips."""

    sample_rate: int = 8000
    n_fft: int = 256
    win_length: int = 200
    hop_length: int = 80
    n_mels: int = 64
    f_min: float = 20.0
    f_max: float = 4000.0
    top_db: float = 80.0
    clip_samples: int = 8000  # every clip is trimmed of silence then centred in 1 s: fixed [64, 101]
    trim_db: float = 35.0  # frames quieter than peak - trim_db at either end are silence
    stft: str = "dft-conv1d"  # how the STFT is computed (part of the cache key)

    @property
    def n_frames(self) -> int:
        return 1 + self.clip_samples // self.hop_length

    store_waves = True  # the clips are kept beside the features: noise and speed are applied to them

    def digest(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    @property
    def clip(self) -> LogMelParams:
        """How a recording becomes the clip (trimming, length): these parameters; the speech embedding's `clip`
        is a LogMelParams too, so every path prepares recordings with `params.clip`."""
        return self

    def prepare(self, wave: np.ndarray) -> np.ndarray:
        """A decoded 8 kHz waveform -> the fixed-length clip the features are computed on."""
        return prepare_waveform(wave, self)

    def frontend(self):
        """The torch module computing features from clips (imported lazily: this module stays torch-free)."""
        from digitfusion.features.audio import LogMel

        return LogMel(self)


def hz_to_mel(freqs: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (as librosa with htk=False)."""
    freqs = np.asarray(freqs, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    mels = freqs / f_sp
    high = freqs >= min_log_hz
    mels[high] = min_log_mel + np.log(freqs[high] / min_log_hz) / logstep
    return mels


def mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    freqs = f_sp * mels
    high = mels >= min_log_mel
    freqs[high] = min_log_hz * np.exp(logstep * (mels[high] - min_log_mel))
    return freqs


def mel_filterbank(params: LogMelParams) -> np.ndarray:
    """Triangular filters [n_mels, n_fft // 2 + 1], area-normalised (Slaney)."""
    fft_freqs = np.linspace(0, params.sample_rate / 2, 1 + params.n_fft // 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array([params.f_min]))[0],
                                  hz_to_mel(np.array([params.f_max]))[0], params.n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def trim_silence(wave: np.ndarray, params: LogMelParams) -> np.ndarray:
    """Drop leading and trailing frames quieter than (loudest frame - trim_db); keep 50 ms margins."""
    frame, hop = params.win_length, params.hop_length
    if len(wave) < frame:
        return wave
    n = 1 + (len(wave) - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    rms_db = 10 * np.log10(np.mean(wave[idx].astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(rms_db > rms_db.max() - params.trim_db)
    margin = params.sample_rate // 20
    start = max(0, loud[0] * hop - margin)
    end = min(len(wave), loud[-1] * hop + frame + margin)
    return wave[start:end]


def fit_length(wave: np.ndarray, length: int) -> np.ndarray:
    """Centre `wave` in `length` samples: zero-pad both sides, or keep the central part."""
    if len(wave) >= length:
        start = (len(wave) - length) // 2
        return wave[start:start + length].astype(np.float32)
    out = np.zeros(length, dtype=np.float32)
    start = (length - len(wave)) // 2
    out[start:start + len(wave)] = wave
    return out


def prepare_waveform(wave: np.ndarray, params: LogMelParams) -> np.ndarray:
    """A decoded 8 kHz waveform -> the fixed-length clip the features are computed on [clip_samples].
    Samples are first held to the decoder's contract (finite, in [-1, 1]) so no input can overflow."""
    wave = np.clip(np.nan_to_num(np.asarray(wave, dtype=np.float64), posinf=1.0, neginf=-1.0), -1.0, 1.0)
    return fit_length(trim_silence(wave.astype(np.float32), params), params.clip_samples)
