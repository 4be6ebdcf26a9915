"""The one registry of models: unimodal encoders by name, and every fusion strategy by name.

Torch-free on purpose: the CLI builds its parser from here without importing torch (`predict` never imports it).
A fusion strategy is one module of `digitfusion.models.fusions` that defines `SPEC` (or `SPECS`, for a family of
rules such as the late ones); it is found by scanning that package, so adding a strategy is one file (and its
test). Its entry feeds the CLI choices, the training recipe (`settings`), evaluation (the built object's
`pair_outputs`), export (`exportable`), the report's order (`order`) and the tests' parametrisation.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

from digitfusion.errors import DigitfusionError

MODALITIES = ("image", "audio")


@dataclass(frozen=True)
class EncoderSpec:
    """A unimodal model: an encoder + a linear head, trained on its own. `features` names its audio front end."""

    name: str
    modality: str  # image | audio
    target: str  # "module:Class" of the encoder
    features: str = "logmel"  # logmel | lab (the lab's torchaudio-default front end) | speech-embedding[-stem]
    own_head: bool = False  # the encoder already ends in its classifier (the lab's CNN)


ENCODERS: dict[str, EncoderSpec] = {spec.name: spec for spec in (
    EncoderSpec("image-cnn", "image", "digitfusion.models.encoders:ImageCNN"),
    EncoderSpec("audio-cnn", "audio", "digitfusion.models.encoders:AudioCNN"),
    EncoderSpec("audio-gru", "audio", "digitfusion.models.encoders:AudioGRU"),
    EncoderSpec("audio-embed", "audio", "digitfusion.models.encoders:SpeechEmbeddingHead", features="speech-embedding"),
    EncoderSpec("audio-embed-tuned", "audio", "digitfusion.models.encoders:TunedSpeechEmbeddingHead",
                features="speech-embedding-stem"),
    EncoderSpec("lab-cnn", "audio", "digitfusion.models.lab_cnn:LabAudioCNN", features="lab", own_head=True),
)}
# The encoders a fused model uses unless its config names others (any encoder of the modality can be fused).
DEFAULT_ENCODERS = {"image": "image-cnn", "audio": "audio-cnn"}


@dataclass(frozen=True)
class FusionSpec:
    """One fusion strategy, registered once.

    family: "input" (inputs joined before any learned layer: the lab's early fusion), "intermediate" (encoders'
    features fused; the encoders and per-modality heads start from the unimodal runs), "late" (rules over the
    unimodal models' outputs, fit on validation, nothing trained). `build(encoders={"image": name, "audio": name},
    **kwargs)` returns the model (late: the rule object); `settings` are its TrainConfig values over a size's fusion
    settings, and `sizes` its own values per size (e.g. {"demo": {"epochs": 8}}) over those.
    """

    name: str
    family: str
    order: int
    summary: str
    build: Callable[..., object]
    settings: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    default_export: bool = False  # the strategy `export` ships when none is named (exactly one has it)

    @property
    def trained(self) -> bool:
        return self.family != "late"

    @property
    def exportable(self) -> bool:
        return self.trained


@cache
def _discovered() -> tuple[FusionSpec, ...]:
    from digitfusion.models import fusions

    specs: list[FusionSpec] = []
    for info in pkgutil.iter_modules(fusions.__path__):
        module = importlib.import_module(f"{fusions.__name__}.{info.name}")
        specs += [module.SPEC] if hasattr(module, "SPEC") else list(getattr(module, "SPECS", ()))
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"fusion names registered twice: {', '.join(duplicates)}")
    return tuple(sorted(specs, key=lambda s: (s.order, s.name)))


def fusions(family: str | None = None, trained: bool | None = None) -> list[FusionSpec]:
    """Every registered strategy in report order, optionally only one family / the trained (or late) ones."""
    return [s for s in _discovered() if (family is None or s.family == family)
            and (trained is None or s.trained == trained)]


def fusion_names(**filters) -> list[str]:
    return [s.name for s in fusions(**filters)]


def fusion(name: str) -> FusionSpec:
    for spec in _discovered():
        if spec.name == name:
            return spec
    raise DigitfusionError(name, f"unknown fusion (choose from {', '.join(fusion_names())})")


def default_export() -> str:
    chosen = [s.name for s in _discovered() if s.default_export]
    if len(chosen) != 1:
        raise RuntimeError(f"exactly one fusion must be the default export, found {chosen}")
    return chosen[0]


def model_names() -> list[str]:
    """Everything the one trainer can train: the unimodal models, then the trained fusions."""
    return [*ENCODERS, *fusion_names(trained=True)]


def encoder(name: str) -> EncoderSpec:
    if name not in ENCODERS:
        raise DigitfusionError(name, f"unknown encoder (choose from {', '.join(ENCODERS)})")
    return ENCODERS[name]


class LazyChoices:
    """argparse `choices` that ask the registry only when an option is parsed or its help printed, so building
    the whole parser (e.g. for `predict`) imports no torch."""

    def __init__(self, names: Callable[[], list[str]]):
        self._names = names

    def __contains__(self, item: object) -> bool:
        return item in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())
