"""The Python API for notebooks and programs (onnxruntime + numpy, no torch):

    from digitfusion import Recognizer
    r = Recognizer.load()                      # the model shipped in the package (or Recognizer.load("model"))
    r.predict(image="seven.png", audio="seven.wav")
    r.predict(image=pixels, audio=samples, sample_rate=16000)   # arrays: [H, W] or [H, W, C] image, [N] audio
    r = Recognizer.load(profile="me.profile.json")   # a person's profile (`digitfusion enrol`) adapts every answer
    r.predict(audio="seven.wav", profile="them.profile.json")   # or one answer (profile=None: the load's profile)

Answers are the JSON of `digitfusion predict --json`: {"digit", "confidence", "probabilities"[10],
"modalities": {"image", "audio"}, "weights": {"image", "audio"}, "strategy", "status", "reason",
"calibrated_confidence", "disagreement"} (+ "profile": {"name", "examples"} with a profile); bad input, or a profile
made with another model, raises DigitfusionError (the CLI's and app's refusals).
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from digitfusion.enrol.profile import Profile
from digitfusion.export.runtime import ExportedRunner
from digitfusion.inputs import Samples, array_image
from digitfusion.predict import predict_files

__all__ = ["Recognizer", "array_image"]

PathOrArray = str | os.PathLike | np.ndarray


class Recognizer:
    """An exported fused model, ready to answer one (image, audio) pair at a time; either may be left out."""

    def __init__(self, runner: ExportedRunner, profile: str | os.PathLike | Profile | None = None):
        self.runner = runner
        self.profile = self._profile(profile)

    @classmethod
    def load(cls, model: str | os.PathLike | None = None, provider: str = "auto",
             profile: str | os.PathLike | Profile | None = None) -> Recognizer:
        """Load a model folder (default: the one shipped in the package); `provider` auto | cpu | cuda;
        `profile` a person's profile file (or loaded Profile) made with this model, used for every answer."""
        return cls(ExportedRunner(model, provider=provider), profile)

    def _profile(self, profile: str | os.PathLike | Profile | None) -> Profile | None:
        """A profile file or Profile, checked against this model (another model's -> DigitfusionError)."""
        if profile is None:
            return None
        from digitfusion.enrol.apply import bind, load_profile_for

        if isinstance(profile, Profile):
            bind(profile, self.runner, f"profile {profile.name!r}")
            return profile
        return load_profile_for(profile, self.runner)

    def predict(self, image: PathOrArray | Image.Image | None = None, audio: PathOrArray | None = None,
                sample_rate: int | None = None, profile: str | os.PathLike | Profile | None = None) -> dict:
        """The answer for an image and/or a recording, each a file path or an array.

        image: [H, W] grayscale or [H, W, 3|4] colour, uint8 (0-255) or float (0-1), either polarity, or a PIL
        image; converted the MNIST way like a file. audio: [N] mono or [N, C] samples in [-1, 1] at `sample_rate`
        (required for an array). profile: this answer's profile instead of the load's (None: the load's).
        Goes through the same input pipeline (inputs.prepare_inputs) and decision (status, reason,
        disagreement) as the CLI and the app."""
        chosen = self.profile if profile is None else self._profile(profile)
        if isinstance(audio, np.ndarray):
            audio = Samples(audio, sample_rate)
        return predict_files(self.runner, image, audio, chosen)
