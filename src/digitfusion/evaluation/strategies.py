"""Outputs of every strategy on the fixed test pairs under one condition.

Each unique test image and recording is encoded once per condition; the paired outputs are then
gathered by index (10,000 pairs share 300 recordings). Early fusion, whose input is the pair itself,
runs on the pairs. Late rules combine the unimodal logits, their parameters fit on validation pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from digitfusion.models.fusion import EarlyFusion, IntermediateFusion
from digitfusion.models.late import LateFusion

BATCH = 1024


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


def intermediate_output(name: str, model: IntermediateFusion, inputs: Inputs, cache: Encodings) -> Output:
    image = cache.get(name, "image", inputs, model.image_encoder)
    audio = cache.get(name, "audio", inputs, model.audio_encoder)
    size = len(inputs.pairs)
    masks = torch.stack([torch.full((size,), float(x is not None)) for x in (image, audio)], dim=1)
    features = {"image": None if image is None else image[inputs.pairs[:, 0]],
                "audio": None if audio is None else audio[inputs.pairs[:, 1]]}
    with torch.no_grad():
        out = model.fuse(features, masks)
    return Output(out["logits"].softmax(1), out.get("weights"))


def early_output(model: EarlyFusion, inputs: Inputs) -> Output:
    def run(rows: torch.Tensor) -> torch.Tensor:
        pair = inputs.pairs[rows]
        batch = {"image": None if inputs.images is None else inputs.images[pair[:, 0]],
                 "audio": None if inputs.audio is None else inputs.audio[pair[:, 1]]}
        return model(batch)["logits"]

    return Output(batched(run, torch.arange(len(inputs.pairs))).softmax(1))


def late_output(fusion: LateFusion, image_logits: torch.Tensor | None, audio_logits: torch.Tensor | None,
                pairs: torch.Tensor) -> Output:
    probs, weights = fusion.combine(None if image_logits is None else image_logits[pairs[:, 0]],
                                    None if audio_logits is None else audio_logits[pairs[:, 1]])
    return Output(probs, weights)


def all_outputs(models: dict[str, torch.nn.Module], late: dict[str, LateFusion], inputs: Inputs,
                cache: Encodings, seed_audio: torch.Tensor | None = None) -> dict[str, Output]:
    """Every strategy's output under one condition. Unimodal rows answer only when their modality is there."""
    outputs: dict[str, Output] = {}
    image_logits = cache.get("image-cnn", "image", inputs, lambda x: models["image-cnn"]({"image": x})["logits"])
    audio_logits = cache.get("audio-cnn", "audio", inputs, lambda x: models["audio-cnn"]({"audio": x})["logits"])
    if image_logits is not None:
        outputs["image-only"] = Output(image_logits[inputs.pairs[:, 0]].softmax(1))
    if audio_logits is not None:
        outputs["audio-only"] = Output(audio_logits[inputs.pairs[:, 1]].softmax(1))
    if seed_audio is not None and "seed-cnn" in models:
        seed_logits = unimodal_logits(models["seed-cnn"], "audio", seed_audio)
        outputs["seed-cnn (audio)"] = Output(seed_logits[inputs.pairs[:, 1]].softmax(1))
    for name, model in models.items():
        if isinstance(model, IntermediateFusion):
            outputs[name] = intermediate_output(name, model, inputs, cache)
        elif isinstance(model, EarlyFusion):
            outputs[name] = early_output(model, inputs)
    for name, fusion in late.items():
        outputs[name] = late_output(fusion, image_logits, audio_logits, inputs.pairs)
    return outputs
