"""The three sizes of the same pipeline: tiny (tests), demo (`make demo`), full (docs/results.md).

A pipeline config says what is run (protocols, seeds, corpora, evaluation extent); how each model is trained at
that size is the recipe's (training/recipe.py, the size of the same name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from digitfusion.data.mixtures import OUTSIDE_VOICES, OUTSIDE_WRITERS, PEOPLE_CORPORA, PEOPLE_IMAGES
from digitfusion.errors import DigitfusionError


@dataclass
class PipelineConfig:
    name: str  # also the training size of training/recipe.py, unless `size` names another
    protocols: list[str]  # "official", "speaker" (default held-out speaker), "speaker:NAME", "speaker:*" (6 folds)
    seeds: list[int]
    corpora: list[str] = field(default_factory=lambda: ["fsdd"])  # speech corpora, mixed
    images: list[str] = field(default_factory=lambda: ["mnist"])  # image sources, mixed
    test_pairs: int | None = None  # cap on evaluation pairs (tiny only); None = every test image
    sweep_groups: tuple[str, ...] = ("official", "speaker")  # protocol groups given the robustness sweeps
    baseline_seeds: list[int] | None = None  # seeds the seed lab's CNN (the baseline row) is trained for; None = all
    size: str | None = None  # the recipe size its models train at (default: `name`)

    @property
    def training_size(self) -> str:
        return self.size or self.name




CONFIGS = {
    "tiny": PipelineConfig("tiny", ["official", "speaker"], [0], test_pairs=200),
    # Sized for about ten minutes on a 2-core CPU: the sweeps (about 45 s a protocol) run on official only.
    "demo": PipelineConfig("demo", ["official", "speaker"], [0], sweep_groups=("official",)),
    # The unimodal settings are `digitfusion unimodal --config full`'s (the same recipe), so its runs are reused
    # when both write to one folder; the seed lab's CNN is the baseline row for seed 0, as there.
    "full": PipelineConfig("full", ["official", "speaker:*"], [0, 1, 2], sweep_groups=("official",),
                           baseline_seeds=[0]),
    # People it never met: each outside speech corpus held out in turn with the optdigits writers (every test
    # pair a voice and a hand no model of its split has met), three seeds, models of the shipped model's size.
    "outside": PipelineConfig("outside", [f"leave-corpus-out:{c}+{OUTSIDE_WRITERS}" for c in OUTSIDE_VOICES],
                              [0, 1, 2], corpora=list(PEOPLE_CORPORA), images=list(PEOPLE_IMAGES), sweep_groups=(),
                              baseline_seeds=[], size="people"),
}


def get_config(name: str) -> PipelineConfig:
    if name not in CONFIGS:
        raise DigitfusionError(name, f"unknown pipeline config (choose from {', '.join(CONFIGS)})")
    return CONFIGS[name]
