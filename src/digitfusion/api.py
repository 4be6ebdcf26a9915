"""The Python API for notebooks and programs (onnxruntime + numpy, no torch):

    from digitfusion import Recognizer
    r = Recognizer.load()                      # the model shipped in the package (or Recognizer.load("model"))
    r.predict(image="seven.png", audio="seven.wav")
    r.predict(image=pixels, audio=samples, sample_rate=16000)   # arrays: [H, W] or [H, W, C] image, [N] audio

Answers are the JSON of `digitfusion predict --json`: {"digit", "confidence", "probabilities"[10],
"modalities": {"image", "audio"}, "weights": {"image", "audio"}, "strategy", "status", "reason",
"calibrated_confidence", "disagreement"}; bad input raises DigitfusionError (the CLI's and app's refusals).
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from digitfusion.export.runtime import ExportedRunner
from digitfusion.inputs import Samples, array_image
from digitfusion.predict import predict_files

__all__ = ["Recognizer", "array_image"]

PathOrArray = str | os.PathLike | np.ndarray


class Recognizer:
    """An exported fused model, ready to answer one (image, audio) pair at a time; either may be left out."""

    def __init__(self, runner: ExportedRunner):
        self.runner = runner

    @classmethod
    def load(cls, model: str | os.PathLike | None = None, provider: str = "auto") -> Recognizer:
        """Load a model folder (default: the one shipped in the package); `provider` auto | cpu | cuda."""
        return cls(ExportedRunner(model, provider=provider))

    def predict(self, image: PathOrArray | Image.Image | None = None, audio: PathOrArray | None = None,
                sample_rate: int | None = None) -> dict:
        """The answer for an image and/or a recording, each a file path or an array.

        image: [H, W] grayscale or [H, W, 3|4] colour, uint8 (0-255) or float (0-1), either polarity, or a PIL
        image; converted the MNIST way like a file. audio: [N] mono or [N, C] samples in [-1, 1] at `sample_rate`
        (required for an array). Goes through the same input pipeline (inputs.prepare_inputs) and decision
        (status, reason, disagreement) as the CLI and the app."""
        if isinstance(audio, np.ndarray):
            audio = Samples(audio, sample_rate)
        return predict_files(self.runner, image, audio)
