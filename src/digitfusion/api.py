"""The Python API for notebooks and programs (onnxruntime + numpy, no torch):

    from digitfusion import Recognizer
    r = Recognizer.load()                      # the model shipped in the package (or Recognizer.load("model"))
    r.predict(image="seven.png", audio="seven.wav")
    r.predict(image=pixels, audio=samples, sample_rate=16000)   # arrays: [H, W] or [H, W, C] image, [N] audio

Answers are the JSON of `digitfusion predict --json`: {"digit", "confidence", "probabilities"[10],
"modalities": {"image", "audio"}, "weights": {"image", "audio"}, "strategy"}; bad input raises DigitfusionError.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from digitfusion.audio_io import resample
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner
from digitfusion.features.image import MAX_PIXELS, MIN_SIDE, normalise, to_mnist
from digitfusion.features.mel import LogMelParams
from digitfusion.predict import answer, prepare_audio, prepare_decoded, prepare_image

PathOrArray = str | os.PathLike | np.ndarray


class Recognizer:
    """An exported fused model, ready to answer one (image, audio) pair at a time; either may be left out."""

    def __init__(self, runner: ExportedRunner):
        self.runner = runner
        self.params = LogMelParams(**runner.preprocessing["audio"])

    @classmethod
    def load(cls, model: str | os.PathLike | None = None, provider: str = "auto") -> Recognizer:
        """Load a model folder (default: the one shipped in the package); `provider` auto | cpu | cuda."""
        return cls(ExportedRunner(model, provider=provider))

    def predict(self, image: PathOrArray | Image.Image | None = None, audio: PathOrArray | None = None,
                sample_rate: int | None = None) -> dict:
        """The answer for an image and/or a recording, each a file path or an array.

        image: [H, W] grayscale or [H, W, 3|4] colour, uint8 (0-255) or float (0-1), either polarity, or a PIL
        image; converted the MNIST way like a file. audio: [N] mono or [N, C] samples in [-1, 1] at `sample_rate`
        (required for an array)."""
        prepared_image = None if image is None else self._image(image)
        prepared_audio = None if audio is None else self._audio(audio, sample_rate)
        return answer(self.runner, prepared_image, prepared_audio)

    def _image(self, image: PathOrArray | Image.Image) -> np.ndarray:
        """-> MNIST-normalised [1, 28, 28]."""
        if isinstance(image, str | os.PathLike):
            return prepare_image(image)
        picture = image if isinstance(image, Image.Image) else array_image(np.asarray(image))
        return normalise(to_mnist(picture, name="image array")[None])[0]

    def _audio(self, audio: PathOrArray, sample_rate: int | None) -> np.ndarray:
        """-> the trimmed, centred clip [clip_samples]."""
        if isinstance(audio, str | os.PathLike):
            return prepare_audio(audio, self.params)
        if sample_rate is None:
            raise DigitfusionError("audio array", "give its sample_rate (e.g. sample_rate=16000)")
        wave = np.asarray(audio, dtype=np.float32)
        if wave.ndim == 2:
            wave = wave.mean(axis=1)  # [N, C] -> mono, as files are mixed
        if wave.ndim != 1:
            raise DigitfusionError("audio array", f"expected [N] or [N, channels] samples, got shape {wave.shape}")
        return prepare_decoded(resample(wave, int(sample_rate), self.params.sample_rate), self.params, "audio array")


def array_image(pixels: np.ndarray) -> Image.Image:
    """[H, W] or [H, W, 3|4] uint8 / float-in-[0, 1] pixels -> a PIL image."""
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
        raise DigitfusionError("image array", f"expected [H, W] or [H, W, 3|4] pixels, got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    if min(height, width) < MIN_SIDE or height * width > MAX_PIXELS:
        raise DigitfusionError("image array", f"size {width}x{height} is outside {MIN_SIDE} px a side .. "
                                              f"{MAX_PIXELS:,} pixels")
    if pixels.dtype != np.uint8:
        pixels = np.clip(np.nan_to_num(pixels.astype(np.float64)) * 255.0, 0, 255).round().astype(np.uint8)
    return Image.fromarray(pixels)
