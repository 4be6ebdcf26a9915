"""Outputs of every strategy on the fixed test pairs under one condition.

Each unique test image and recording is encoded once per condition; the paired outputs are then
gathered by index (10,000 pairs share 300 recordings). Every fusion answers through its own `pair_outputs`
(models/fused.py, fusions/*.py): early fusion, whose input is the pair itself, runs on the pairs; late rules
combine the unimodal logits, their parameters fit on validation pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from digitfusion.models.registry import fusions

BATCH = 1024
UNIMODAL = "unimodal"  # the encodings key of the unimodal models' logits (shared by the single-modality rows and
# every late rule)


@dataclass
class Inputs:
    """One condition's test side: unique items (None = modality absent) and the pairs over them.
    `image_key` / `audio_key` name the degradation, so encodings are computed once per (model, key)."""

    images: torch.Tensor | None  # [N_images, 1, 28, 28]
    audio: torch.Tensor | None  # [N_clips, 1, 64, T]
    pairs: torch.Tensor  # [P, 2] (image row, audio row)
    labels: torch.Tensor  # [P]
    image_key: str = "clean"
    audio_key: str = "clean"


class Encodings:
    """Memo of per-item model outputs, keyed by (model, modality, degradation)."""

    def __init__(self):
        self.memo: dict[tuple[str, str, str], torch.Tensor | None] = {}

    def get(self, model_name: str, modality: str, inputs: Inputs, fn) -> torch.Tensor | None:
        items = inputs.images if modality == "image" else inputs.audio
        key = (model_name, modality, inputs.image_key if modality == "image" else inputs.audio_key)
        if key not in self.memo:
            self.memo[key] = None if items is None else batched(fn, items)
        return self.memo[key]


@dataclass
class Output:
    probs: torch.Tensor  # [P, 10]
    weights: torch.Tensor | None = None  # [P, 2] (image, audio)


def batched(fn, tensor: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([fn(chunk) for chunk in tensor.split(BATCH)])


def unimodal_logits(model: torch.nn.Module, modality: str, items: torch.Tensor | None) -> torch.Tensor | None:
    return None if items is None else batched(lambda x: model({modality: x})["logits"], items)


def all_outputs(models: dict[str, torch.nn.Module], late: dict, inputs: Inputs, cache: Encodings,
                lab_audio: torch.Tensor | None = None) -> dict[str, Output]:
    """Every strategy's output under one condition, in the registry's order. Unimodal rows answer only when their
    modality is there; `models` holds the unimodal models ("image-cnn", "audio-cnn", "lab-cnn") and the trained
    fusions by name, `late` the late rules fit on validation."""
    unimodal = {"image": models["image-cnn"], "audio": models["audio-cnn"]}
    unimodal_fn = {m: (lambda x, m=m: unimodal[m]({m: x})["logits"]) for m in unimodal}
    logits = {m: cache.get(UNIMODAL, m, inputs, unimodal_fn[m]) for m in unimodal}
    outputs: dict[str, Output] = {}
    for column, modality in ((0, "image"), (1, "audio")):
        if logits[modality] is not None:
            outputs[f"{modality}-only"] = Output(logits[modality][inputs.pairs[:, column]].softmax(1))
    if lab_audio is not None and "lab-cnn" in models:
        lab_logits = unimodal_logits(models["lab-cnn"], "audio", lab_audio)
        outputs["lab-cnn (audio)"] = Output(lab_logits[inputs.pairs[:, 1]].softmax(1))
    items = {"image": inputs.images, "audio": inputs.audio}
    for spec in fusions():
        strategy = models.get(spec.name) if spec.trained else late.get(spec.name)
        if strategy is None:
            continue
        key = spec.name if spec.trained else UNIMODAL

        def encode(modality, fn, key=key):  # fn None: the unimodal model's logits (what late rules combine)
            return cache.get(key, modality, inputs, fn if fn is not None else unimodal_fn[modality])

        out = strategy.pair_outputs(items, inputs.pairs, encode)
        outputs[spec.name] = Output(out["probs"], out.get("weights"))
    return outputs
