"""Decode any audio file the FSDD way: soundfile, mono mix, resample to 8 kHz (scipy), float32 in [-1, 1]."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from digitfusion.errors import DigitfusionError

TARGET_RATE = 8000
MAX_SECONDS = 60.0  # a spoken digit lasts about a second; a longer file is not one


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DigitfusionError(path, "no such file")
    if path.is_dir():
        raise DigitfusionError(path, "is a directory, expected an audio file")
    if not os.access(path, os.R_OK):
        raise DigitfusionError(path, "cannot be read (permission denied)")
    if path.stat().st_size == 0:
        raise DigitfusionError(path, "is empty")


def resample(wave: np.ndarray, rate: int, target_rate: int = TARGET_RATE) -> np.ndarray:
    """Polyphase resampling (scipy) from `rate` to `target_rate`."""
    if rate == target_rate:
        return wave
    g = math.gcd(int(rate), int(target_rate))
    return resample_poly(wave, target_rate // g, int(rate) // g).astype(np.float32)


def load_audio(path: str | os.PathLike, target_rate: int = TARGET_RATE, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Return a mono float32 waveform [N] at `target_rate`, or raise DigitfusionError naming the problem."""
    path = Path(path)
    _check_file(path)
    return _decode(str(path), path, target_rate, max_seconds)


def load_audio_bytes(data: bytes, name: str, target_rate: int = TARGET_RATE,
                     max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """The same, from bytes held in memory (web uploads): no path is ever opened."""
    if not data:
        raise DigitfusionError(name, "is empty")
    return _decode(io.BytesIO(data), name, target_rate, max_seconds)


def _decode(source, path, target_rate: int, max_seconds: float) -> np.ndarray:
    try:
        info = sf.info(source)
        if hasattr(source, "seek"):
            source.seek(0)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise DigitfusionError(path, f"not a readable audio file ({_short(err)})") from None
    if info.samplerate <= 0 or info.channels <= 0:
        raise DigitfusionError(path, "audio header has no sample rate or channels")
    seconds = info.frames / info.samplerate
    if seconds > max_seconds:
        raise DigitfusionError(path, f"recording is {seconds:.0f} s long, the limit is {max_seconds:.0f} s")
    try:
        data, rate = sf.read(source, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        raise DigitfusionError(path, f"audio data cannot be decoded ({_short(err)})") from None
    if data.size == 0:
        raise DigitfusionError(path, "holds no audio samples")
    if not np.isfinite(data).all():
        raise DigitfusionError(path, "holds NaN or infinite samples")
    mono = data.mean(axis=1)
    wave = resample(mono, rate, target_rate)
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


def _short(err: Exception) -> str:
    return str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
