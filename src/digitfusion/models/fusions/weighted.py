"""The shared part of the softmax-weighted fusions (attention, gated): not a strategy itself (no SPEC)."""

from __future__ import annotations

import torch
from torch import nn

from digitfusion.models.classifier import N_CLASSES
from digitfusion.models.registry import MODALITIES


class WeightedHead(nn.Module):
    """Each modality projected to a common space [B, H]; a per-sample softmax over modalities weighs them; absent
    modalities get weight 0. Subclasses say how the scores [B, 2] are computed.
    features {m: [B, D_m]}, masks [B, 2] -> dict(logits=[B, 10], weights=[B, 2])."""

    def __init__(self, feature_dims: dict[str, int], hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.project = nn.ModuleDict({m: nn.Sequential(nn.Linear(d, hidden), nn.Tanh())
                                      for m, d in feature_dims.items()})
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, N_CLASSES))

    def scores(self, projected: dict, masks: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, features: dict, masks: torch.Tensor) -> dict[str, torch.Tensor]:
        projected = {m: self.project[m](features[m]) for m in MODALITIES}
        scores = self.scores(projected, masks).masked_fill(masks == 0, float("-inf"))  # [B, 2]
        weights = torch.softmax(scores, dim=1).nan_to_num(0.0)
        fused = weights[:, 0:1] * projected["image"] + weights[:, 1:2] * projected["audio"]
        return {"logits": self.head(fused), "weights": weights}
