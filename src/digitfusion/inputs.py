"""THE input pipeline: a user's image and recording -> what the model reads, or one refusal.

CLI, batch, web app and the Python API (api.Recognizer) call `prepare_inputs`, whether the input arrives as a
path, as uploaded bytes or as an array in memory, so every refusal (unreadable, wrong format, too long, silent,
blank image...) is raised here, by the same checks, with the same text. Errors name the path as given, the
uploaded file's name, or "image array" / "audio array". No torch: the predict path stays light.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from digitfusion.audio_io import MAX_SECONDS, load_audio, load_audio_bytes, resample
from digitfusion.errors import DigitfusionError
from digitfusion.features.image import (
    MAX_PIXELS,
    MIN_SIDE,
    load_user_image,
    load_user_image_bytes,
    normalise,
    to_mnist,
)
from digitfusion.features.mel import LogMelParams, prepare_waveform

SILENT_PEAK = 1e-4  # a recording whose loudest sample is below this holds no sound at all (digital silence)
SILENT = "is silent: no speech found"
IMAGE_ARRAY, AUDIO_ARRAY = "image array", "audio array"


@dataclass(frozen=True)
class Upload:
    """A file that arrived as bytes (web upload, API call): `name` is what errors call it."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Samples:
    """A recording already in memory (API): samples [N] mono or [N, C], in [-1, 1], at `sample_rate` Hz."""

    wave: np.ndarray
    sample_rate: int | None


Source = str | os.PathLike | Upload
ImageSource = Source | np.ndarray | Image.Image
AudioSource = Source | Samples


def prepare_inputs(image: ImageSource | None, audio: AudioSource | None, params: LogMelParams
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(image, audio) sources -> (MNIST-normalised [1, 28, 28] | None, trimmed centred clip [clip_samples] | None).

    Raises DigitfusionError(file, problem) for the first input that is refused.
    """
    if image is None and audio is None:
        raise DigitfusionError("input", "give an image, a recording, or both")
    return (None if image is None else prepare_image(image),
            None if audio is None else prepare_audio(audio, params))


def prepare_image(source: ImageSource) -> np.ndarray:
    """One image (path, upload, PIL image or pixel array) -> MNIST-normalised [1, 28, 28]."""
    if isinstance(source, Upload):
        pixels = load_user_image_bytes(source.data, source.name)
    elif isinstance(source, np.ndarray | Image.Image):
        picture = source if isinstance(source, Image.Image) else array_image(source)
        pixels = to_mnist(picture, name=IMAGE_ARRAY)
    else:
        pixels = load_user_image(source)
    return normalise(pixels[None])[0]


def prepare_audio(source: AudioSource, params: LogMelParams) -> np.ndarray:
    """One recording (path, upload or samples) -> the trimmed, centred clip the model reads [clip_samples]."""
    if isinstance(source, Upload):
        name, wave = source.name, load_audio_bytes(source.data, source.name, params.sample_rate, MAX_SECONDS)
    elif isinstance(source, Samples):
        name, wave = AUDIO_ARRAY, samples_wave(source, params.sample_rate)
    else:
        name, wave = Path(source), load_audio(source, params.sample_rate, MAX_SECONDS)
    return prepare_decoded(wave, params, name)


def prepare_decoded(wave: np.ndarray, params: LogMelParams, name: object = "audio") -> np.ndarray:
    """A decoded mono waveform at the model's rate [N] -> the clip the model reads [clip_samples]; silence refused."""
    if wave.size == 0 or np.abs(wave).max() < SILENT_PEAK:
        raise DigitfusionError(name, SILENT)
    return prepare_waveform(wave, params)


def samples_wave(samples: Samples, target_rate: int) -> np.ndarray:
    """Samples [N] or [N, C] at their rate -> mono float32 [M] at `target_rate`, with a file's length limit."""
    if samples.sample_rate is None:
        raise DigitfusionError(AUDIO_ARRAY, "give its sample_rate (e.g. sample_rate=16000)")
    wave = np.asarray(samples.wave, dtype=np.float32)
    if wave.ndim == 2:
        wave = wave.mean(axis=1)  # [N, C] -> mono, as files are mixed
    if wave.ndim != 1:
        raise DigitfusionError(AUDIO_ARRAY, f"expected [N] or [N, channels] samples, got shape {wave.shape}")
    if len(wave) > MAX_SECONDS * int(samples.sample_rate):
        raise DigitfusionError(AUDIO_ARRAY, f"recording is longer than the limit of {MAX_SECONDS:.0f} s")
    return resample(np.nan_to_num(wave), int(samples.sample_rate), target_rate)


def array_image(pixels: np.ndarray) -> Image.Image:
    """[H, W] or [H, W, 3|4] uint8 / float-in-[0, 1] pixels -> a PIL image."""
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
        raise DigitfusionError(IMAGE_ARRAY, f"expected [H, W] or [H, W, 3|4] pixels, got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    if min(height, width) < MIN_SIDE or height * width > MAX_PIXELS:
        raise DigitfusionError(IMAGE_ARRAY, f"size {width}x{height} is outside {MIN_SIDE} px a side .. "
                                            f"{MAX_PIXELS:,} pixels")
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.nan_to_num(pixels.astype(np.float64)) * 255.0, 0, 255).round().astype(np.uint8)
    return Image.fromarray(pixels)
