"""Decode any audio file the FSDD way: soundfile, mono mix, resample to 8 kHz (scipy), float32 in [-1, 1]."""

from __future__ import annotations

import io
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf

from digitfusion.errors import DigitfusionError
from digitfusion.files import check_readable_file, short_reason

TARGET_RATE = 8000
MAX_SECONDS = 60.0  # a spoken digit lasts about a second; a longer file is not one
MIN_RATE, MAX_RATE = 1000, 768_000  # sample rates outside this range are a broken header, not a recording
MAX_CHANNELS = 64  # more channels than this is a broken header, not a recording
MAX_FACTOR = 1000  # largest polyphase up/down factor (an odd rate is approximated to within ~1e-6)
BLOCK = 1 << 16  # frames decoded at a time (memory stays at one mono copy of the recording)


def resample(wave: np.ndarray, rate: int, target_rate: int = TARGET_RATE) -> np.ndarray:
    """Polyphase resampling (scipy) from `rate` to `target_rate`.

    Exact when the reduced ratio's factors are at most MAX_FACTOR (every common rate); otherwise the
    nearest such ratio is used, so an odd rate (e.g. 44101 Hz) cannot ask for a filter of millions of taps.
    """
    if rate == target_rate:
        return wave
    from scipy.signal import resample_poly  # imported here: scipy.signal alone takes ~0.7 s to import

    ratio = Fraction(int(target_rate), int(rate)).limit_denominator(MAX_FACTOR)
    return resample_poly(wave, ratio.numerator, ratio.denominator).astype(np.float32)


def load_audio(path: str | os.PathLike, target_rate: int = TARGET_RATE, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Return a mono float32 waveform [N] at `target_rate`, or raise DigitfusionError naming the problem."""
    path = Path(path)
    check_readable_file(path, "audio")
    return _decode(str(path), path, target_rate, max_seconds)


def load_audio_bytes(data: bytes, name: str, target_rate: int = TARGET_RATE,
                     max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """The same, from bytes held in memory (web uploads): no path is ever opened."""
    if not data:
        raise DigitfusionError(name, "is empty")
    return _decode(io.BytesIO(data), name, target_rate, max_seconds)


def _decode(source, path, target_rate: int, max_seconds: float) -> np.ndarray:
    """Header checks (rate, channels, length: before any sample is decoded), then a block-wise mono mix."""
    try:
        handle = sf.SoundFile(source)
    except Exception as err:  # libsndfile and soundfile raise several types for a file they cannot parse
        raise DigitfusionError(path, f"not a readable audio file ({short_reason(err)})") from None
    with handle:
        rate, channels, frames = handle.samplerate, handle.channels, handle.frames
        if rate <= 0 or channels <= 0:
            raise DigitfusionError(path, "audio header has no sample rate or channels")
        if not MIN_RATE <= rate <= MAX_RATE:
            raise DigitfusionError(path, f"unsupported sample rate {rate} Hz (expected {MIN_RATE}-{MAX_RATE} Hz)")
        if channels > MAX_CHANNELS:
            raise DigitfusionError(path, f"has {channels} channels (at most {MAX_CHANNELS} are supported)")
        seconds = frames / rate
        if seconds > max_seconds:
            raise DigitfusionError(path, f"recording is {seconds:.0f} s long, the limit is {max_seconds:.0f} s")
        mono = _read_mono(handle, path, limit=int(max_seconds * rate) + 1)
    if mono.size == 0:
        raise DigitfusionError(path, "holds no audio samples")
    wave = resample(mono, rate, target_rate)
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


def _read_mono(handle: sf.SoundFile, path, limit: int) -> np.ndarray:
    """Decode block by block, refusing non-finite samples and more than `limit` frames (a header that
    understated the length), and mix the channels down to mono."""
    blocks, total = [], 0
    try:
        while True:
            block = handle.read(BLOCK, dtype="float32", always_2d=True)
            if block.shape[0] == 0:
                break
            if not np.isfinite(block).all():
                raise DigitfusionError(path, "holds NaN or infinite samples")
            total += block.shape[0]
            if total > limit:
                raise DigitfusionError(path, f"recording is longer than the limit of {limit / handle.samplerate:.0f} s")
            # float files may hold samples far beyond full scale (up to 3e38): mix in float64 (a float32
            # sum would overflow to inf, then NaN after resampling) and clip to full scale, as a DAC would
            blocks.append(np.clip(block.mean(axis=1, dtype=np.float64), -1.0, 1.0).astype(np.float32))
    except DigitfusionError:
        raise
    except Exception as err:  # a corrupt data chunk: libsndfile, soundfile or numpy errors
        raise DigitfusionError(path, f"audio data cannot be decoded ({short_reason(err)})") from None
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


