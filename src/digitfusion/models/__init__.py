"""Models, chosen by name. Unimodal: MODELS; fusion strategies: FUSIONS (models/fusion.py)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from digitfusion.errors import DigitfusionError
from digitfusion.models.classifier import UnimodalClassifier
from digitfusion.models.encoders import AudioCNN, AudioGRU, ImageCNN


def _seed_cnn(**kwargs) -> nn.Module:
    from digitfusion.models.seed import SeedAudioCNN

    return UnimodalClassifier(SeedAudioCNN(**kwargs), "audio", head=nn.Identity())


# name -> (modality it reads, feature front end it needs, builder)
MODELS: dict[str, tuple[str, str, Callable[..., nn.Module]]] = {
    "image-cnn": ("image", "logmel", lambda **kw: UnimodalClassifier(ImageCNN(**kw), "image")),
    "audio-cnn": ("audio", "logmel", lambda **kw: UnimodalClassifier(AudioCNN(**kw), "audio")),
    "audio-gru": ("audio", "logmel", lambda **kw: UnimodalClassifier(AudioGRU(**kw), "audio")),
    "seed-cnn": ("audio", "seed", _seed_cnn),
}


def build_unimodal(name: str, **kwargs) -> nn.Module:
    if name not in MODELS:
        raise DigitfusionError(name, f"unknown model (choose from {', '.join(MODELS)})")
    return MODELS[name][2](**kwargs)
