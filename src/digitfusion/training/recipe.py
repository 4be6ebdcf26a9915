"""The one recipe: (model, protocol, corpora, seed, size) -> the TrainConfig every command trains.

`digitfusion train`, `unimodal` and `demo` all call `resolve`, so `digitfusion train --model concat --size demo`
trains exactly what `make demo` trains. A config is the model's preset (training/presets.py), then the size's
settings for the model's family, then the strategy's own settings (its registry entry), then identity fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from digitfusion.data.protocols import holdout_parts
from digitfusion.errors import DigitfusionError
from digitfusion.models.registry import DEFAULT_ENCODERS, ENCODERS, MODALITIES, fusion
from digitfusion.training.config import TrainConfig
from digitfusion.training.presets import preset


@dataclass(frozen=True)
class Size:
    """TrainConfig overrides per model family: image, audio (any audio encoder but the lab's), lab (the lab's
    CNN), fusion (every fused model; a strategy's own per-size settings, in its registry entry, go over these)."""

    name: str
    image: dict = field(default_factory=dict)
    audio: dict = field(default_factory=dict)
    lab: dict = field(default_factory=dict)
    fusion: dict = field(default_factory=dict)


FUSION_DEFAULTS = dict(epochs=6, lr=1e-3, batch_size=128, modality_dropout=0.3, noise_snr_db=[-10.0, 30.0],
                       augment_image=["affine", "erasing", "lowrank"])
PEOPLE_WEIGHTS = {"synthetic": 0.25}  # the share of the espeak-ng clips in each epoch (training/sampling.py)
PEOPLE_IMAGE_WIDTH = 32  # the image CNN of the `people` size (the default, 16, elsewhere)
TINY_LIMITS = dict(epochs=1, limit_train_batches=2, limit_val_batches=1)

SIZES = {
    "tiny": Size("tiny", image={**TINY_LIMITS, "model_kwargs": {"width": 8}},
                 audio={**TINY_LIMITS, "model_kwargs": {"width": 8}}, lab=TINY_LIMITS,
                 fusion={**FUSION_DEFAULTS, **TINY_LIMITS, "model_kwargs": {"image": {"width": 8},
                                                                             "audio": {"width": 8}}}),
    # Sized for about ten minutes of `make demo` on a 2-core CPU.
    "demo": Size("demo", image={"epochs": 15}, audio={"epochs": 15}, lab={"epochs": 10},
                 fusion={**FUSION_DEFAULTS, "epochs": 2}),
    # The model users get and the outside protocol that measures it. The image model also learns from images that
    # went through predict's PNG conversion (bench/bench_writing.py chose it on validation: MNIST 97.8 -> 98.2 %,
    # font-drawn digits 97.3 -> 97.7 %; docs/augmentation.md). The audio model sees a quarter of the espeak-ng
    # clips each epoch, for 30 epochs (bench/bench_corpus_weights.py chose it on validation: mean of the real
    # corpora 80.0 -> 83.3 %, FSDD 97.3 -> 98.3 %); the fusion pairs from the same mix. The audio model also learns to
    # spread its answer over the digits for generated non-digit speech (outlier exposure, weight 1:
    # bench/bench_outliers.py chose it on validation, threshold half caught 19 -> 100 %, validation 92.66 % both);
    # the image model does not (it cost the font-drawn digits 0.7-3 points). Since stop 33 the image model is twice
    # as wide and also learns digits redrawn as a form scanner normalises them (`scanned-form`; bench_writing.py
    # chose both on validation over 3 seeds: MNIST 99.00 -> 99.07 %, font-drawn 95.67 -> 97.89 %, MNIST as scanned
    # forms 84.67 -> 97.53 %); the fusion, which fine-tunes that image model, keeps its width and learns the forms too.
    "people": Size("people", image={"epochs": 15, "augment_image": ["affine", "user-path", "scanned-form"],
                                    "model_kwargs": {"width": PEOPLE_IMAGE_WIDTH}},
                   audio={"epochs": 30, "corpus_weights": PEOPLE_WEIGHTS, "outlier_exposure": 1.0},
                   lab={"epochs": 10},
                   fusion={**FUSION_DEFAULTS, "epochs": 2, "corpus_weights": PEOPLE_WEIGHTS,
                           "augment_image": FUSION_DEFAULTS["augment_image"] + ["scanned-form"],
                           "model_kwargs": {"image": {"width": PEOPLE_IMAGE_WIDTH}}}),
    "full": Size("full", image={"epochs": 30}, audio={"epochs": 20}, lab={}, fusion={**FUSION_DEFAULTS, "epochs": 3}),
}


def get_size(name: str) -> Size:
    if name not in SIZES:
        raise DigitfusionError(name, f"unknown size (choose from {', '.join(SIZES)})")
    return SIZES[name]


def family_settings(model: str, size: Size) -> dict:
    if model in ENCODERS:
        spec = ENCODERS[model]
        return size.image if spec.modality == "image" else size.lab if spec.features == "lab" else size.audio
    spec = fusion(model)
    if not spec.trained:
        raise DigitfusionError(model, "is a late rule: it is fit on validation by `evaluate`, not trained")
    return {**size.fusion, **spec.settings, **spec.sizes.get(size.name, {})}


def image_protocol(protocol: str, holdout: str | None, images: list[str]) -> tuple[str, str | None]:
    """An image model's split depends only on the image sources and the seed, unless the protocol holds an image
    source out (alone or as `corpus+source`): then it is leave-corpus-out of that source alone, so the image model
    is shared by every speech holdout paired with it."""
    if protocol == "leave-corpus-out":
        image_holdout = holdout_parts(holdout, images)[1]
        if image_holdout:
            return protocol, image_holdout
    return "official", None


def audio_protocol(protocol: str, holdout: str | None, images: list[str]) -> tuple[str, str | None]:
    """An audio model under leave-corpus-out is known by the speech corpus held out alone (the image source held
    out beside it changes nothing it reads); with an image source alone held out, the audio split is official."""
    if protocol != "leave-corpus-out":
        return protocol, holdout
    speech = holdout_parts(holdout, images)[0]
    return (protocol, speech) if speech else ("official", None)


def image_split(config: TrainConfig) -> str:
    """The image split (RunLayout's `image_split`) of a config's image model: official, or leave-corpus-out of
    the image source its protocol holds out. For a fused config, the split of the image model it fuses."""
    protocol, holdout = image_protocol(config.protocol, config.holdout, config.images)
    return "official" if protocol == "official" else f"{protocol}-{holdout}"


def resolve(model: str, protocol: str = "official", seed: int = 0, size: str = "demo", corpora=("fsdd",),
            images=("mnist",), holdout: str | None = None, encoders: dict | None = None,
            init_dirs: dict[str, Path] | None = None, overrides: dict | None = None) -> TrainConfig:
    """The config `model` is trained with. For an intermediate fusion, `init_dirs` ({modality: run folder}) names
    the unimodal runs its encoders start from; their configs' hashes become part of its own (retraining an encoder
    retrains the fusions)."""
    corpora, images = list(corpora), list(images)
    identity = {"model": model, "corpus": corpora, "images": images, "seed": seed}
    if model in ENCODERS:
        spec = ENCODERS[model]
        identity.update(modality=spec.modality, features=spec.features)
        by_modality = image_protocol if spec.modality == "image" else audio_protocol
        protocol, holdout = by_modality(protocol, holdout, images)
    else:
        identity.update(modality="pair", features=pair_features(model, encoders))
    identity.update(protocol=protocol, holdout=holdout)
    settings = dict(family_settings(model, get_size(size)))  # a copy: the Size is shared
    if "corpus_weights" in settings:  # a size weighs the corpora it is given, not those it could have been given
        settings["corpus_weights"] = {k: w for k, w in settings["corpus_weights"].items() if k in corpora}
    values = {**settings, **(overrides or {}), **identity}
    if model not in ENCODERS and fusion(model).family == "intermediate":
        chosen = {**DEFAULT_ENCODERS, **(encoders or {})}
        values["encoders"] = {m: chosen[m] for m in MODALITIES if chosen[m] != DEFAULT_ENCODERS[m]}
        if init_dirs:
            values["init_from"] = init_links(chosen, init_dirs, protocol, seed, size, corpora, images, holdout)
    return dataclasses.replace(preset(values["model"]), **values)


def pair_features(model: str, encoders: dict | None) -> str:
    """A fused model reads audio through its audio encoder's front end (early fusion: log-mel)."""
    if fusion(model).family != "intermediate":
        return "logmel"
    return ENCODERS[{**DEFAULT_ENCODERS, **(encoders or {})}["audio"]].features


def init_links(encoders: dict, init_dirs: dict, protocol: str, seed: int, size: str, corpora: list, images: list,
               holdout: str | None) -> dict:
    links = {}
    for modality in MODALITIES:
        unimodal = resolve(encoders[modality], protocol, seed, size, corpora, images, holdout)
        links[modality] = str(init_dirs[modality])
        links[f"{modality}_config"] = unimodal.digest()
    return links
