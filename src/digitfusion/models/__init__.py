"""Models, chosen by name through the one registry (registry.py, torch-free). `build_model`, `modality_of`,
`features_of` and `encoder_class` live in factory.py and are loaded on first use, so importing the registry (the
CLI does, also for `predict`) never imports torch."""

from __future__ import annotations

_FACTORY = ("build_model", "modality_of", "features_of", "encoder_class")


def __getattr__(name: str):
    if name in _FACTORY:
        from digitfusion.models import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'digitfusion.models' has no attribute {name!r}")
