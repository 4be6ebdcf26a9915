"""The exported graph: the audio front end (log-mel, or the pretrained speech embedding) + fused model + both
unimodal models, in one nn.Module.

Inputs: image [B, 1, 28, 28] (MNIST-normalised), wave [B, 8000] (8 kHz clip, trimmed and centred),
image_present [B], audio_present [B] (1.0 / 0.0). An absent modality is fed as zeros with present = 0.
Outputs: fused_logits [B, 10], weights [B, 2] (image, audio; uniform over present modalities when the
strategy has none), image_logits [B, 10], audio_logits [B, 10] (meaningless where that modality is absent),
image_embedding [B, Di], audio_embedding [B, Da]: the fused model's per-modality encoder features (what
`digitfusion enrol` builds a person's prototypes from; meaningless where that modality is absent);
image_head_embedding, audio_head_embedding: the unimodal models' encoder features, under image_logits and
audio_logits (what the typicality test judges a modality's own answer by, evaluation/typicality.py);
then, for each modality that has an outlier detector (unimodal models trained with outlier exposure, used only to
flag what is not a digit, with their own front end: export/pretrained.py's RECIPE["detectors"]),
`{modality}_detector_logits` [B, 10] (the mean of its members' logits).
"""

from __future__ import annotations

import torch
from torch import nn

from digitfusion.decision import DETECTOR_OUTPUT
from digitfusion.features.audio import LogMel
from digitfusion.models.registry import MODALITIES

INPUTS = ("image", "wave", "image_present", "audio_present")
OUTPUTS = ("fused_logits", "weights", "image_logits", "audio_logits", "image_embedding", "audio_embedding",
           "image_head_embedding", "audio_head_embedding")


def modality_encoder(fused: nn.Module, unimodal: nn.Module, modality: str) -> nn.Module:
    """The encoder of one modality: the fused model's `encoders[modality]` (composed models) or
    `{modality}_encoder` (intermediate fusions); early fusion has none (one network over both inputs), so its
    embeddings are the unimodal model's encoder features."""
    encoders = getattr(fused, "encoders", None)
    if encoders is not None and modality in encoders:
        return encoders[modality]
    return getattr(fused, f"{modality}_encoder", None) or unimodal.encoder


class Detector(nn.Module):
    """Unimodal models that only flag non-digits, over their own front end: image [B, 1, 28, 28] or wave [B, clip]
    -> logits [B, 10]. Several members (the same recipe at other seeds) are an ensemble: their logits are averaged,
    as deep ensembles do, so that what one member alone is sure of must convince the others too."""

    def __init__(self, members: list[nn.Module], modality: str, frontend: nn.Module | None = None,
                 configs: list | None = None, val_accs: list[float | None] | None = None):
        super().__init__()
        self.members, self.modality, self.frontend = nn.ModuleList(members), modality, frontend
        self.configs = configs or []  # the runs' TrainConfigs (the export records their hashes, the card shows them)
        self.val_accs = val_accs or []  # the runs' validation accuracies (the card shows them: a failed run is seen)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        inputs = {self.modality: raw if self.frontend is None else self.frontend(raw)}
        return torch.stack([member(inputs)["logits"] for member in self.members]).mean(dim=0)


class ExportedModel(nn.Module):
    def __init__(self, fused: nn.Module, image_model: nn.Module, audio_model: nn.Module,
                 frontend: nn.Module | None = None, detectors: dict[str, Detector] | None = None):
        super().__init__()
        self.frontend = frontend if frontend is not None else LogMel()  # clips -> what the audio encoders read
        self.fused, self.image_model, self.audio_model = fused, image_model, audio_model
        self.encoders = nn.ModuleDict({"image": modality_encoder(fused, image_model, "image"),
                                       "audio": modality_encoder(fused, audio_model, "audio")})
        detectors = detectors or {}
        self.detectors = nn.ModuleDict({m: detectors[m] for m in MODALITIES if m in detectors})

    def output_names(self) -> list[str]:
        return [*OUTPUTS, *(DETECTOR_OUTPUT.format(m) for m in self.detectors)]

    def forward(self, image: torch.Tensor, wave: torch.Tensor, image_present: torch.Tensor,
                audio_present: torch.Tensor) -> tuple[torch.Tensor, ...]:
        audio = self.frontend(wave)
        out = self.fused({"image": image, "audio": audio, "image_mask": image_present, "audio_mask": audio_present})
        present = torch.stack([image_present, audio_present], dim=1)
        weights = out.get("weights")
        if weights is None:
            weights = present / present.sum(dim=1, keepdim=True).clamp(min=1.0)
        image_features, audio_features = self.image_model.encoder(image), self.audio_model.encoder(audio)
        raw = {"image": image, "audio": wave}
        detected = tuple(detector(raw[m]) for m, detector in self.detectors.items())
        return (out["logits"], weights, self.image_model.head(image_features), self.audio_model.head(audio_features),
                self.encoders["image"](image), self.encoders["audio"](audio), image_features, audio_features,
                *detected)


def export_onnx(model: ExportedModel, path, batch: int = 2) -> None:
    """Trace to ONNX (opset 17) with a dynamic batch axis."""
    model.eval()
    example = (torch.zeros(batch, 1, 28, 28), torch.zeros(batch, model.frontend.params.clip_samples),
               torch.ones(batch), torch.ones(batch))
    outputs = model.output_names()
    dynamic = {name: {0: "batch"} for name in (*INPUTS, *outputs)}
    with torch.no_grad():
        torch.onnx.export(model, example, str(path), input_names=list(INPUTS), output_names=outputs,
                          dynamic_axes=dynamic, opset_version=17, dynamo=False)
