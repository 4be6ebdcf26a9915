"""Models, chosen by name.

MODELS: everything the one trainer can train (unimodal encoders + heads, and the trained fusions).
FUSIONS: every fusion strategy, trained ("early", "concat", "attention", "gated") or late ("late-*":
rules over the two unimodal models' outputs, fit on validation).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from digitfusion.errors import DigitfusionError
from digitfusion.models.classifier import UnimodalClassifier
from digitfusion.models.encoders import AudioCNN, AudioGRU, ImageCNN
from digitfusion.models.fusion import AttentionFusion, ConcatFusion, EarlyFusion, GatedFusion
from digitfusion.models.late import RULES


def _seed_cnn(**kwargs) -> nn.Module:
    from digitfusion.models.seed import SeedAudioCNN

    return UnimodalClassifier(SeedAudioCNN(**kwargs), "audio", head=nn.Identity())


def _intermediate(cls: type) -> Callable[..., nn.Module]:
    def build(image: dict | None = None, audio: dict | None = None, **head) -> nn.Module:
        return cls(ImageCNN(**(image or {})), AudioCNN(**(audio or {})), **head)

    return build


# name -> (what it reads: image | audio | pair, audio front end: logmel | seed, builder)
MODELS: dict[str, tuple[str, str, Callable[..., nn.Module]]] = {
    "image-cnn": ("image", "logmel", lambda **kw: UnimodalClassifier(ImageCNN(**kw), "image")),
    "audio-cnn": ("audio", "logmel", lambda **kw: UnimodalClassifier(AudioCNN(**kw), "audio")),
    "audio-gru": ("audio", "logmel", lambda **kw: UnimodalClassifier(AudioGRU(**kw), "audio")),
    "seed-cnn": ("audio", "seed", _seed_cnn),
    "early": ("pair", "logmel", EarlyFusion),
    "concat": ("pair", "logmel", _intermediate(ConcatFusion)),
    "attention": ("pair", "logmel", _intermediate(AttentionFusion)),
    "gated": ("pair", "logmel", _intermediate(GatedFusion)),
}
TRAINED_FUSIONS = ("early", "concat", "attention", "gated")
LATE_FUSIONS = tuple(f"late-{rule}" for rule in RULES)
FUSIONS = TRAINED_FUSIONS + LATE_FUSIONS


def build_model(name: str, **kwargs) -> nn.Module:
    if name not in MODELS:
        raise DigitfusionError(name, f"unknown model (choose from {', '.join(MODELS)})")
    return MODELS[name][2](**kwargs)


build_unimodal = build_model
