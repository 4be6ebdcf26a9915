"""THE input pipeline: a user's image and recording -> what the model reads, or one refusal.

CLI, batch, web app and any API call `prepare_inputs`, whether the file arrives as a path or as uploaded
bytes, so every refusal (unreadable, wrong format, too long, silent, blank image...) is raised here, by the
same checks, with the same text. Errors name the path as given, or the uploaded file's name.
No torch: the predict path stays light.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.audio_io import MAX_SECONDS, load_audio, load_audio_bytes
from digitfusion.errors import DigitfusionError
from digitfusion.features.image import load_user_image, load_user_image_bytes, normalise
from digitfusion.features.mel import LogMelParams, prepare_waveform

SILENT_PEAK = 1e-4  # a recording whose loudest sample is below this holds no sound at all (digital silence)
SILENT = "is silent: no speech found"


@dataclass(frozen=True)
class Upload:
    """A file that arrived as bytes (web upload, API call): `name` is what errors call it."""

    name: str
    data: bytes


Source = str | os.PathLike | Upload


def prepare_inputs(image: Source | None, audio: Source | None, params: LogMelParams
                   ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(image, audio) sources -> (MNIST-normalised [1, 28, 28] | None, trimmed centred clip [clip_samples] | None).

    Raises DigitfusionError(file, problem) for the first input that is refused.
    """
    if image is None and audio is None:
        raise DigitfusionError("input", "give an image, a recording, or both")
    return (None if image is None else prepare_image(image),
            None if audio is None else prepare_audio(audio, params))


def prepare_image(source: Source) -> np.ndarray:
    """One image (path or upload) -> MNIST-normalised [1, 28, 28]."""
    pixels = load_user_image_bytes(source.data, source.name) if isinstance(source, Upload) else load_user_image(source)
    return normalise(pixels[None])[0]


def prepare_audio(source: Source, params: LogMelParams) -> np.ndarray:
    """One recording (path or upload) -> the trimmed, centred clip the model reads [clip_samples]."""
    if isinstance(source, Upload):
        name, wave = source.name, load_audio_bytes(source.data, source.name, params.sample_rate, MAX_SECONDS)
    else:
        name, wave = Path(source), load_audio(source, params.sample_rate, MAX_SECONDS)
    if np.abs(wave).max() < SILENT_PEAK:
        raise DigitfusionError(name, SILENT)
    return prepare_waveform(wave, params)
