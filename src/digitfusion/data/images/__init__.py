"""The image sources, found by themselves: every module of this package defining a module-level `SOURCE`
(an ImageSource) is registered under its name. Adding a source = adding one module (and its test)."""

from __future__ import annotations

import importlib
import pkgutil

from digitfusion.data.images._base import Images, ImageSource
from digitfusion.errors import DigitfusionError

__all__ = ["SOURCES", "ImageSource", "Images", "get_source", "parse_sources"]


def _discover() -> dict[str, ImageSource]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        source = None if info.name.startswith("_") else getattr(
            importlib.import_module(f"{__name__}.{info.name}"), "SOURCE", None)
        if isinstance(source, ImageSource):
            found[source.name] = source
    return dict(sorted(found.items()))


SOURCES: dict[str, ImageSource] = _discover()


def get_source(name: str) -> ImageSource:
    if name not in SOURCES:
        raise DigitfusionError(name, f"unknown image source (choose from {', '.join(SOURCES)})")
    return SOURCES[name]


def parse_sources(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    names = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    if not names:
        raise DigitfusionError("--images", "names no image source")
    for name in names:
        get_source(name)
    return tuple(dict.fromkeys(names))
