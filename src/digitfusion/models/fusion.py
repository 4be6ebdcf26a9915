"""Trainable fusion strategies: early, intermediate concat, attention and gated.

Every model takes dict(image=[B,1,28,28] | None, audio=[B,1,64,T] | None) and returns dict(logits=[B,10]);
attention and gated also return `weights` [B, 2] (image, audio), a softmax over the modalities.
Training may drop one modality per sample: optional masks `image_mask` / `audio_mask` [B] (1 = present).
A modality given as None is absent for the whole batch. Intermediate models split into `encode`
(per modality, so evaluation can encode each unique item once) and `fuse` (on paired features).

Intermediate models also keep one linear head per modality (`modality_logits` [B, 2, 10], started from the
unimodal models' heads): a pair with one modality missing is answered by the present modality's head, so
losing a modality costs what that modality's own model would cost, not a fused head fed a placeholder.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from digitfusion.models.classifier import N_CLASSES
from digitfusion.models.encoders import AudioCNN, ImageCNN, UtteranceNorm

MODALITIES = ("image", "audio")


def presence(inputs: dict, modality: str, batch: int, device: torch.device) -> torch.Tensor:
    """[B] float mask: 1 where the modality is present for that sample."""
    if inputs.get(modality) is None:
        return torch.zeros(batch, device=device)
    mask = inputs.get(f"{modality}_mask")
    return torch.ones(batch, device=device) if mask is None else mask.float()


def batch_size_of(inputs: dict) -> tuple[int, torch.device]:
    for modality in MODALITIES:
        if inputs.get(modality) is not None:
            return len(inputs[modality]), inputs[modality].device
    raise ValueError("both modalities are missing: give an image, a recording, or both")


class IntermediateFusion(nn.Module):
    """Two encoders whose features meet in `fuse`. Subclasses define the fusion head."""

    def __init__(self, image_encoder: nn.Module | None = None, audio_encoder: nn.Module | None = None):
        super().__init__()
        self.image_encoder = image_encoder or ImageCNN()
        self.audio_encoder = audio_encoder or AudioCNN()
        self.feature_dims = {"image": self.image_encoder.feature_dim, "audio": self.audio_encoder.feature_dim}
        self.modality_heads = nn.ModuleDict({m: nn.Linear(d, N_CLASSES) for m, d in self.feature_dims.items()})

    def encode(self, inputs: dict) -> dict[str, torch.Tensor | None]:
        """Features per present modality: image [B, Di], audio [B, Da] (None where absent)."""
        return {"image": None if inputs.get("image") is None else self.image_encoder(inputs["image"]),
                "audio": None if inputs.get("audio") is None else self.audio_encoder(inputs["audio"])}

    def forward(self, inputs: dict) -> dict[str, torch.Tensor]:
        batch, device = batch_size_of(inputs)
        masks = torch.stack([presence(inputs, m, batch, device) for m in MODALITIES], dim=1)  # [B, 2]
        return self.fuse(self.encode(inputs), masks)

    def fuse(self, features: dict, masks: torch.Tensor) -> dict[str, torch.Tensor]:
        """Paired features (None where absent) and masks [B, 2] -> logits [B, 10], modality_logits [B, 2, 10],
        presence [B, 2] (and the subclass's extras): fused where both are present, else the present one's head."""
        # The fusion head sees zeros for an absent modality; its answer is only kept where both are present.
        filled = {m: (features[m] * masks[:, i:i + 1] if features[m] is not None
                      else masks.new_zeros(len(masks), self.feature_dims[m])) for i, m in enumerate(MODALITIES)}
        out = self.combine(filled, masks)
        alone = torch.stack([self.modality_heads[m](features[m]) if features[m] is not None
                             else masks.new_zeros(len(masks), N_CLASSES) for m in MODALITIES], dim=1)
        both = (masks[:, 0] * masks[:, 1])[:, None]
        present_one = (alone * masks[:, :, None]).sum(dim=1)  # exact where only one modality is present
        return {**out, "logits": both * out["logits"] + (1 - both) * present_one, "modality_logits": alone,
                "presence": masks}

    def combine(self, features: dict, masks: torch.Tensor) -> dict[str, torch.Tensor]:
        """The fusion head proper, on features [B, D] per modality (zeros where absent) -> dict(logits=...)."""
        raise NotImplementedError


class ConcatFusion(IntermediateFusion):
    """[image features ; audio features] -> MLP -> logits."""

    def __init__(self, image_encoder=None, audio_encoder=None, hidden: int = 128, dropout: float = 0.3):
        super().__init__(image_encoder, audio_encoder)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(sum(self.feature_dims.values()), hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, N_CLASSES))

    def combine(self, features: dict, masks: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.head(torch.cat([features[m] for m in MODALITIES], dim=1))}


class WeightedFusion(IntermediateFusion):
    """Each modality projected to a common space [B, H]; a per-sample softmax over modalities
    weighs them; absent modalities get weight 0. Subclasses say how the scores are computed."""

    def __init__(self, image_encoder=None, audio_encoder=None, hidden: int = 128, dropout: float = 0.3):
        super().__init__(image_encoder, audio_encoder)
        self.project = nn.ModuleDict({m: nn.Sequential(nn.Linear(d, hidden), nn.Tanh())
                                      for m, d in self.feature_dims.items()})
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, N_CLASSES))

    def scores(self, projected: dict, masks: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def combine(self, features: dict, masks: torch.Tensor) -> dict[str, torch.Tensor]:
        projected = {m: self.project[m](features[m]) for m in MODALITIES}
        scores = self.scores(projected, masks).masked_fill(masks == 0, float("-inf"))  # [B, 2]
        weights = torch.softmax(scores, dim=1).nan_to_num(0.0)
        fused = weights[:, 0:1] * projected["image"] + weights[:, 1:2] * projected["audio"]
        return {"logits": self.head(fused), "weights": weights}


class AttentionFusion(WeightedFusion):
    """Additive attention: each modality scored on its own (v . tanh(W h_m)), softmax over modalities."""

    def __init__(self, image_encoder=None, audio_encoder=None, hidden: int = 128, dropout: float = 0.3):
        super().__init__(image_encoder, audio_encoder, hidden, dropout)
        self.attend = nn.Sequential(nn.Linear(hidden, hidden // 2), nn.Tanh(), nn.Linear(hidden // 2, 1))

    def scores(self, projected: dict, masks: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.attend(projected[m]) for m in MODALITIES], dim=1)


class GatedFusion(WeightedFusion):
    """Gated multimodal unit: the gate sees both modalities together ([h_image ; h_audio] -> 2 scores)."""

    def __init__(self, image_encoder=None, audio_encoder=None, hidden: int = 128, dropout: float = 0.3):
        super().__init__(image_encoder, audio_encoder, hidden, dropout)
        self.gate = nn.Sequential(nn.Linear(2 * hidden + 2, hidden // 2), nn.Tanh(), nn.Linear(hidden // 2, 2))

    def scores(self, projected: dict, masks: torch.Tensor) -> torch.Tensor:
        return self.gate(torch.cat([projected["image"], projected["audio"], masks], dim=1))


class EarlyFusion(nn.Module):
    """Inputs joined before any learned layer: the normalised log-mel is resized to the 28x28 image grid
    and stacked with the image as a second channel [B, 2, 28, 28], read by one CNN.
    An absent modality is an all-zero channel (the trained network sees that with modality dropout)."""

    def __init__(self, width: int = 16, feature_dim: int = 128):
        super().__init__()
        self.audio_norm = UtteranceNorm()
        self.body = ImageCNN(width=width, feature_dim=feature_dim, in_channels=2)
        self.head = nn.Linear(feature_dim, N_CLASSES)

    def forward(self, inputs: dict) -> dict[str, torch.Tensor]:
        batch, device = batch_size_of(inputs)
        image = inputs.get("image")
        image = torch.zeros(batch, 1, 28, 28, device=device) if image is None else image
        audio = inputs.get("audio")
        grid = (torch.zeros(batch, 1, 28, 28, device=device) if audio is None
                else F.interpolate(self.audio_norm(audio), size=(28, 28), mode="bilinear", align_corners=False))
        image = image * presence(inputs, "image", batch, device)[:, None, None, None]
        grid = grid * presence(inputs, "audio", batch, device)[:, None, None, None]
        return {"logits": self.head(self.body(torch.cat([image, grid], dim=1)))}
