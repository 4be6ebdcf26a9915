"""Intermediate fusion with additive attention over the modalities: each scored on its own (v . tanh(W h_m))."""

from __future__ import annotations

import torch
from torch import nn

from digitfusion.models.fused import FusedModel, build_encoders, compose
from digitfusion.models.fusions.weighted import WeightedHead
from digitfusion.models.registry import MODALITIES, FusionSpec


class AttentionHead(WeightedHead):
    def __init__(self, feature_dims: dict[str, int], hidden: int = 128, dropout: float = 0.3):
        super().__init__(feature_dims, hidden, dropout)
        self.attend = nn.Sequential(nn.Linear(hidden, hidden // 2), nn.Tanh(), nn.Linear(hidden // 2, 1))

    def scores(self, projected: dict, masks: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.attend(projected[m]) for m in MODALITIES], dim=1)


def build(encoders: dict[str, str] | None = None, **kwargs) -> FusedModel:
    parts = build_encoders(encoders, kwargs)
    return compose(parts, lambda dims: AttentionHead(dims, **kwargs))


# Per-modality loss weight 1, chosen on validation as for concat (it keeps the clean accuracy and brings the
# missing-modality answers to the unimodal models').
SPEC = FusionSpec("attention", "intermediate", order=30, summary="additive attention weighs the two modalities",
                  build=build, settings={"modality_loss_weight": 1.0})
