"""Property tests: the decoders either return a well-formed result or raise DigitfusionError, never anything else.

Inputs are arbitrary bytes and valid WAV / PNG / GIF / JPEG files mutated by hypothesis (bytes flipped,
inserted, overwritten with integers at header offsets, the file cut short).
"""

from __future__ import annotations

import io
import os
import struct

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw

from digitfusion.audio_io import load_audio_bytes
from digitfusion.errors import DigitfusionError
from digitfusion.features.image import load_user_image_bytes
from digitfusion.features.mel import LogMelParams, prepare_waveform

# DIGITFUSION_FUZZ_EXAMPLES=5000 for a longer hunt; 150 keeps the suite fast.
FUZZ = settings(max_examples=int(os.environ.get("DIGITFUSION_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------- seeds


def _wav(subtype: str, channels: int = 1, rate: int = 8000) -> bytes:
    t = np.arange(400) / rate
    wave = 0.6 * np.sin(2 * np.pi * 440 * t) * np.hanning(400)
    buffer = io.BytesIO()
    sf.write(buffer, np.repeat(wave[:, None], channels, axis=1), rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def _image(fmt: str) -> bytes:
    canvas = Image.new("L", (40, 40), 255)
    ImageDraw.Draw(canvas).line([(10, 8), (30, 8), (16, 34)], fill=0, width=4)
    buffer = io.BytesIO()
    if fmt == "GIF":
        frames = [canvas.convert("P"), Image.new("P", (40, 40), 0)]
        frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    else:
        canvas.convert("RGB" if fmt == "JPEG" else "L").save(buffer, fmt)
    return buffer.getvalue()


WAVS = [_wav("PCM_16"), _wav("FLOAT", 2, 11025), _wav("PCM_24", 1, 44100), _wav("PCM_U8", 6, 16000)]
IMAGES = [_image("PNG"), _image("GIF"), _image("JPEG")]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed file with 1-4 mutations; header offsets (the first 64 bytes) are hit often."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "int32"]))
        limit = max(len(data) - 1, 0)
        at = draw(st.one_of(st.integers(0, min(63, limit)), st.integers(0, limit)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "int32" and len(data) >= at + 4:
            value = draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 8000, 96000]) | st.integers(0, 2**32 - 1))
            struct.pack_into("<I", data, at, value)
    return bytes(data)


# ----------------------------------------------------------------------------- checks


def _decoded_or_refused(decode, data: bytes, name: str):
    """decode(data, name), or None when it raised the documented one-line error naming `name`."""
    try:
        return decode(data, name)
    except DigitfusionError as err:
        assert name in str(err) and "\n" not in str(err)
        return None


def _audio_ok(data: bytes) -> None:
    wave = _decoded_or_refused(load_audio_bytes, data, "fuzz.wav")
    if wave is not None:
        assert isinstance(wave, np.ndarray) and wave.dtype == np.float32 and wave.ndim == 1 and wave.size > 0
        assert np.isfinite(wave).all() and float(np.abs(wave).max()) <= 1.0


def _image_ok(data: bytes) -> None:
    pixels = _decoded_or_refused(load_user_image_bytes, data, "fuzz.png")
    if pixels is not None:
        assert isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8 and pixels.shape == (28, 28)


def test_seeds_are_valid():
    for seed in WAVS:
        assert load_audio_bytes(seed, "seed.wav").size > 0
    for seed in IMAGES:
        assert load_user_image_bytes(seed, "seed").max() == 255


@FUZZ
@given(st.binary(max_size=4096))
def test_audio_arbitrary_bytes(data):
    _audio_ok(data)


@FUZZ
@given(st.binary(max_size=64).map(lambda tail: b"RIFF\x24\x00\x00\x00WAVEfmt " + tail))
def test_audio_riff_prefixed_bytes(data):
    _audio_ok(data)


@FUZZ
@given(mutated(WAVS))
def test_audio_mutated_wav(data):
    _audio_ok(data)


@FUZZ
@given(st.binary(max_size=4096))
def test_image_arbitrary_bytes(data):
    _image_ok(data)


@FUZZ
@given(mutated(IMAGES))
def test_image_mutated_files(data):
    _image_ok(data)


PARAMS = LogMelParams()


def _clip_ok(wave: np.ndarray) -> None:
    clip = prepare_waveform(wave, PARAMS)
    assert clip.shape == (PARAMS.clip_samples,) and np.isfinite(clip).all()


@FUZZ
@given(arrays(np.float32, st.integers(0, 20000),
              elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
              fill=st.floats(width=32, allow_nan=False, allow_infinity=False)))
def test_prepare_waveform_float32(wave):
    _clip_ok(wave)


@FUZZ
@given(st.integers(0, 20000), st.integers(0, 2**32 - 1), st.floats(0, 1e30),
       st.sampled_from(["noise", "burst", "constant", "zeros"]))
def test_prepare_waveform_signals(length, seed, scale, shape):
    """Realistic shapes at any scale whose samples stay finite in float32 (the clip's type)."""
    rng = np.random.default_rng(seed)
    wave = rng.standard_normal(length) * scale
    if shape == "burst" and length:
        wave[: rng.integers(0, length)] *= 1e-6
    elif shape == "constant":
        wave = np.full(length, scale)
    elif shape == "zeros":
        wave = np.zeros(length)
    _clip_ok(wave)


def test_prepare_waveform_float64_overflow():
    """Samples far out of range (float64 ~1e160 would square to inf) are held to [-1, 1] first."""
    _clip_ok(np.full(2000, 1e160))
