"""Building models by name (the registry says which exist): the unimodal models (an encoder + a linear head) and the
trained fusions (models/fusions/, one file each). Late rules are built here too but trained by nobody: evaluation
fits them on validation."""

from __future__ import annotations

import importlib

from torch import nn

from digitfusion.errors import DigitfusionError
from digitfusion.models.classifier import UnimodalClassifier
from digitfusion.models.registry import ENCODERS, encoder, fusion, model_names


def encoder_class(name: str) -> type[nn.Module]:
    module, _, cls = encoder(name).target.partition(":")
    return getattr(importlib.import_module(module), cls)


def modality_of(name: str) -> str:
    """What a model reads: image | audio | pair."""
    return ENCODERS[name].modality if name in ENCODERS else "pair"


def features_of(name: str) -> str:
    """Its audio front end: logmel | lab."""
    return ENCODERS[name].features if name in ENCODERS else "logmel"


def build_model(name: str, encoders: dict[str, str] | None = None, **kwargs) -> nn.Module:
    """A unimodal model (encoder + head) or a fusion by name; `encoders` names a fusion's encoders."""
    if name in ENCODERS:
        spec = ENCODERS[name]
        body = encoder_class(name)(**kwargs)
        return UnimodalClassifier(body, spec.modality, head=nn.Identity() if spec.own_head else None)
    if name not in model_names():
        raise DigitfusionError(name, f"unknown model (choose from {', '.join(model_names())})")
    return fusion(name).build(encoders=encoders, **kwargs)
