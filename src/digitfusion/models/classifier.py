"""Classifiers over the `dict(image=..., audio=...)` input every model of digitfusion takes.

A model returns a dict: `logits` [B, 10], and, for fusion models that weigh modalities, `weights` [B, 2].
"""

from __future__ import annotations

import torch
from torch import nn

N_CLASSES = 10


class UnimodalClassifier(nn.Module):
    """One encoder and a linear head: dict(image=[B,1,28,28]) or dict(audio=[B,1,F,T]) -> dict(logits=[B,10]).
    A model that already ends in its own classifier (the seed's CNN) comes with `head=nn.Identity()`."""

    def __init__(self, encoder: nn.Module, modality: str, head: nn.Module | None = None):
        super().__init__()
        self.encoder = encoder
        self.modality = modality
        self.head = head if head is not None else nn.Linear(encoder.feature_dim, N_CLASSES)

    def forward(self, inputs: dict[str, torch.Tensor | None]) -> dict[str, torch.Tensor]:
        x = inputs.get(self.modality)
        if x is None:
            raise ValueError(f"this model reads the {self.modality}, and the {self.modality} input is missing")
        return {"logits": self.head(self.encoder(x))}
