"""Early fusion: the inputs are joined before any learned layer and read by one CNN."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from digitfusion.models.classifier import N_CLASSES
from digitfusion.models.encoders import ImageCNN, UtteranceNorm
from digitfusion.models.fused import Encode, batch_size_of, presence
from digitfusion.models.registry import FusionSpec

BATCH = 1024


class EarlyFusion(nn.Module):
    """The normalised log-mel is resized to the 28x28 image grid and stacked with the image as a second channel
    [B, 2, 28, 28], read by one CNN -> dict(logits=[B, 10]). An absent modality is an all-zero channel (the trained
    network sees that with modality dropout)."""

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

    @torch.no_grad()
    def pair_outputs(self, items: dict, pairs: torch.Tensor, encode: Encode) -> dict[str, torch.Tensor]:
        """Evaluation: its input is the pair itself, so it runs on the pairs [P, 2] (in chunks) -> probs [P, 10]."""
        def run(rows: torch.Tensor) -> torch.Tensor:
            pair = pairs[rows]
            batch = {m: None if items[m] is None else items[m][pair[:, i]] for i, m in enumerate(("image", "audio"))}
            return self(batch)["logits"]

        logits = torch.cat([run(rows) for rows in torch.arange(len(pairs)).split(BATCH)])
        return {"probs": logits.softmax(1)}


def build(encoders: dict[str, str] | None = None, **kwargs) -> EarlyFusion:
    return EarlyFusion(**kwargs)  # one CNN over both inputs: no separate encoders to choose


# One CNN from scratch: it trains longer and faster than the fusions that start from trained encoders.
SPEC = FusionSpec("early", "input", order=10, summary="log-mel resized to 28x28, stacked with the image, one CNN",
                  build=build, sizes={"tiny": {"model_kwargs": {"width": 8}}, "demo": {"epochs": 8, "lr": 3e-3},
                                      "people": {"model_kwargs": {}},  # not the fusions' image-encoder width
                                      "full": {"epochs": 10, "lr": 3e-3}})
