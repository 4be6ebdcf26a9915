"""A fused model as a composition (as TorchMultimodal's LateFusion composes encoders, fusion and head):
a dict of encoders + a fusion head + one linear head per modality, each passed in.

Every model takes dict(image=[B,1,28,28] | None, audio=[B,1,64,T] | None) and returns dict(logits=[B,10]);
fusion heads that weigh modalities also return `weights` [B, 2] (image, audio), a softmax over the modalities.
Training may drop one modality per sample: optional masks `image_mask` / `audio_mask` [B] (1 = present).
A modality given as None is absent for the whole batch. `encode` (per modality, so evaluation encodes each
unique item once) and `fuse` (on paired features) split the forward pass.

The per-modality heads (`modality_logits` [B, 2, 10], started from the unimodal models' heads) answer a pair
with one modality missing, so losing a modality costs what that modality's own model would cost, not a fused
head fed a placeholder.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from digitfusion.models.classifier import N_CLASSES
from digitfusion.models.registry import DEFAULT_ENCODERS, MODALITIES, encoder

# encode(modality, fn) -> fn applied to every unique item of that modality ([N, ...] -> [N, ...]), or None if absent
Encode = Callable[[str, Callable[[torch.Tensor], torch.Tensor]], "torch.Tensor | None"]


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


def build_encoders(names: dict[str, str] | None, kwargs: dict) -> dict[str, nn.Module]:
    """Encoders by name ({"image": "image-cnn", "audio": "audio-gru"}), built in MODALITIES order (the order
    fixes the random initialisation); `kwargs[modality]` are that encoder's arguments."""
    from digitfusion.models.factory import encoder_class

    names = {**DEFAULT_ENCODERS, **(names or {})}
    for modality in MODALITIES:
        if encoder(names[modality]).modality != modality:
            raise ValueError(f"{names[modality]} encodes the {encoder(names[modality]).modality}, not the {modality}")
    return {m: encoder_class(names[m])(**kwargs.pop(m, {})) for m in MODALITIES}


def modality_heads(encoders: dict[str, nn.Module]) -> nn.ModuleDict:
    return nn.ModuleDict({m: nn.Linear(e.feature_dim, N_CLASSES) for m, e in encoders.items()})


def compose(encoders: dict[str, nn.Module], make_fusion: Callable[[dict[str, int]], nn.Module]) -> FusedModel:
    """Encoders, then the per-modality heads, then the fusion head (built from the feature sizes): always in this
    order, so a seed gives the same initial weights whatever the strategy file looks like."""
    heads = modality_heads(encoders)
    return FusedModel(encoders, make_fusion({m: e.feature_dim for m, e in encoders.items()}), heads)


class FusedModel(nn.Module):
    """encoders {modality: [B, ...] -> [B, D_m]} + fusion head (features {m: [B, D_m]}, masks [B, 2] -> dict(logits
    [B, 10], ...)) + per-modality heads {m: [B, D_m] -> [B, 10]}."""

    def __init__(self, encoders: dict[str, nn.Module], fusion: nn.Module, heads: nn.ModuleDict):
        super().__init__()
        self.encoders = nn.ModuleDict(encoders)
        self.modality_heads = heads
        self.fusion = fusion
        self.feature_dims = {m: e.feature_dim for m, e in encoders.items()}

    def encode(self, inputs: dict) -> dict[str, torch.Tensor | None]:
        """Features per present modality: image [B, Di], audio [B, Da] (None where absent)."""
        return {m: None if inputs.get(m) is None else self.encoders[m](inputs[m]) for m in MODALITIES}

    def forward(self, inputs: dict) -> dict[str, torch.Tensor]:
        batch, device = batch_size_of(inputs)
        masks = torch.stack([presence(inputs, m, batch, device) for m in MODALITIES], dim=1)  # [B, 2]
        return self.fuse(self.encode(inputs), masks)

    def fuse(self, features: dict, masks: torch.Tensor) -> dict[str, torch.Tensor]:
        """Paired features (None where absent) and masks [B, 2] -> logits [B, 10], modality_logits [B, 2, 10],
        presence [B, 2] (and the fusion head's extras): fused where both are present, else the present one's head."""
        # The fusion head sees zeros for an absent modality; its answer is only kept where both are present.
        filled = {m: (features[m] * masks[:, i:i + 1] if features[m] is not None
                      else masks.new_zeros(len(masks), self.feature_dims[m])) for i, m in enumerate(MODALITIES)}
        out = self.fusion(filled, masks)
        alone = torch.stack([self.modality_heads[m](features[m]) if features[m] is not None
                             else masks.new_zeros(len(masks), N_CLASSES) for m in MODALITIES], dim=1)
        both = (masks[:, 0] * masks[:, 1])[:, None]
        present_one = (alone * masks[:, :, None]).sum(dim=1)  # exact where only one modality is present
        return {**out, "logits": both * out["logits"] + (1 - both) * present_one, "modality_logits": alone,
                "presence": masks}

    def load_unimodal(self, modality: str, unimodal: nn.Module) -> None:
        """Start this modality's encoder and head from a trained unimodal model (UnimodalClassifier)."""
        self.encoders[modality].load_state_dict(unimodal.encoder.state_dict())
        self.modality_heads[modality].load_state_dict(unimodal.head.state_dict())

    @torch.no_grad()
    def pair_outputs(self, items: dict, pairs: torch.Tensor, encode: Encode) -> dict[str, torch.Tensor]:
        """Evaluation: unique items {m: [N_m, ...] | None}, pairs [P, 2] (rows into them) -> probs [P, 10] (+ weights
        [P, 2]). Each unique item is encoded once (through `encode`, which caches per degradation)."""
        encoded = {m: encode(m, self.encoders[m]) for m in MODALITIES}
        masks = torch.stack([torch.full((len(pairs),), float(encoded[m] is not None)) for m in MODALITIES], dim=1)
        features = {m: None if encoded[m] is None else encoded[m][pairs[:, i]] for i, m in enumerate(MODALITIES)}
        out = self.fuse(features, masks)
        return {"probs": out["logits"].softmax(1), **({"weights": out["weights"]} if "weights" in out else {})}
