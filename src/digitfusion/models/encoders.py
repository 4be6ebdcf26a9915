"""Unimodal encoders: plain nn.Modules mapping one modality to a feature vector [B, feature_dim].

Each is sized for a 2-core CPU: the whole demo trains in minutes.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_block(c_in: int, c_out: int, pool: bool = True) -> nn.Sequential:
    """3x3 conv, batch norm, ReLU, and optionally 2x2 max pooling."""
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ImageCNN(nn.Module):
    """MNIST images [B, in_channels, 28, 28] (normalised) -> features [B, feature_dim]."""

    def __init__(self, width: int = 16, feature_dim: int = 128, dropout: float = 0.2, in_channels: int = 1):
        super().__init__()
        self.feature_dim = feature_dim
        self.body = nn.Sequential(
            conv_block(in_channels, width, pool=False), conv_block(width, width),            # 28 -> 14
            conv_block(width, 2 * width, pool=False), conv_block(2 * width, 2 * width),  # 14 -> 7
            conv_block(2 * width, 4 * width, pool=False),
        )
        self.project = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(4 * width * 9, feature_dim),
                                     nn.BatchNorm1d(feature_dim), nn.ReLU())
        # Keep a coarse 3x3 layout (where strokes are matters for digits). On the 7x7 maps of a 28x28 input this
        # is exactly AdaptiveAvgPool2d(3) (bins [0,3), [2,5), [4,7)), written so that it exports to ONNX.
        self.pool = nn.AvgPool2d(3, stride=2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.project(self.pool(self.body(images)))


class UtteranceNorm(nn.Module):
    """Per-utterance normalisation of log-mel [B, 1, F, T]: each mel band minus its mean over time
    (cepstral-mean-style: removes channel and part of the speaker colouring), then the clip's global
    standard deviation. Only frames within 60 dB of the clip's peak count, so zero padding does not."""

    def __init__(self, active_db: float = 60.0):
        super().__init__()
        self.active_db = active_db

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        frame_peak = feats.amax(dim=2, keepdim=True)  # [B, 1, 1, T]
        active = (frame_peak > feats.amax(dim=(2, 3), keepdim=True) - self.active_db).float()
        count = active.sum(dim=3, keepdim=True).clamp(min=1)
        band_mean = (feats * active).sum(dim=3, keepdim=True) / count
        centred = (feats - band_mean) * active
        std = centred.pow(2).sum(dim=(2, 3), keepdim=True).div(count * feats.shape[2]).sqrt().clamp(min=1e-3)
        return centred / std


class AudioCNN(nn.Module):
    """Log-mel [B, 1, n_mels, T] (dB) -> features [B, feature_dim]; global pooling, so any T works."""

    def __init__(self, width: int = 12, feature_dim: int = 128, dropout: float = 0.2):
        super().__init__()
        self.feature_dim = feature_dim
        self.norm = UtteranceNorm()
        self.body = nn.Sequential(
            conv_block(1, width), conv_block(width, 2 * width),                 # F/4, T/4
            conv_block(2 * width, 4 * width), conv_block(4 * width, 4 * width, pool=False),
        )
        self.project = nn.Sequential(nn.Dropout(dropout), nn.Linear(8 * width, feature_dim),
                                     nn.BatchNorm1d(feature_dim), nn.ReLU())

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        maps = self.body(self.norm(feats))  # [B, C, F', T']
        pooled = torch.cat([maps.mean(dim=(2, 3)), maps.amax(dim=(2, 3))], dim=1)  # [B, 2C]
        return self.project(pooled)


class AudioGRU(nn.Module):
    """Log-mel [B, 1, n_mels, T] read frame by frame by a bidirectional GRU -> features [B, feature_dim]."""

    def __init__(self, n_mels: int = 64, hidden: int = 96, feature_dim: int = 128, dropout: float = 0.2):
        super().__init__()
        self.feature_dim = feature_dim
        self.norm = UtteranceNorm()
        self.frame = nn.Sequential(nn.Linear(n_mels, hidden), nn.ReLU())
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.project = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * hidden, feature_dim),
                                     nn.BatchNorm1d(feature_dim), nn.ReLU())

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        frames = self.norm(feats).squeeze(1).transpose(1, 2)  # [B, T, n_mels]
        states, _ = self.gru(self.frame(frames))  # [B, T, 2 * hidden]
        pooled = torch.cat([states.mean(dim=1), states.amax(dim=1)], dim=1)  # [B, 4 * hidden]
        return self.project(pooled)


class SpeechEmbeddingHead(nn.Module):
    """Pretrained speech embeddings [B, 1, W, 96] (features/speech_embedding.py: W windows of 775 ms) -> features
    [B, feature_dim]: each window through a small MLP, then its mean and maximum over the windows (each window
    covers most of the centred word, at a different offset; no position is special)."""

    def __init__(self, width: int = 128, feature_dim: int = 128, dropout: float = 0.2, embedding_dim: int = 96):
        super().__init__()
        self.feature_dim = feature_dim
        self.norm = nn.BatchNorm1d(embedding_dim)  # the embedding's scale is the pretrained model's (up to ~50)
        self.frame = nn.Sequential(nn.Linear(embedding_dim, width), nn.ReLU(), nn.Dropout(dropout))
        self.project = nn.Sequential(nn.Linear(2 * width, feature_dim), nn.BatchNorm1d(feature_dim), nn.ReLU())

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        windows = feats.squeeze(1)  # [B, W, 96]
        frames = self.frame(self.norm(windows.transpose(1, 2)).transpose(1, 2))  # [B, W, width]
        return self.project(torch.cat([frames.mean(dim=1), frames.amax(dim=1)], dim=1))


class TunedSpeechEmbeddingHead(nn.Module):
    """The speech embedding's stem activations [B, 72, 31, 4] (features/speech_embedding.SpeechEmbeddingStemParams)
    -> features [B, feature_dim]: the embedding network's last blocks, from their pretrained weights, give the
    embeddings [B, 1, W, 96] that a SpeechEmbeddingHead reads. The blocks learn at `block_lr_scale` times the run's
    rate (the trainer reads a module's `lr_scale`): enough to move toward our digits, little enough to keep what
    ~200 M clips taught them."""

    def __init__(self, block_lr_scale: float = 1 / 30, **head_kwargs):
        super().__init__()
        from digitfusion.features.speech_embedding import SpeechEmbeddingStemParams
        from digitfusion.features.speech_embedding_torch import pretrained_top

        self.blocks = pretrained_top(SpeechEmbeddingStemParams().open_blocks)
        self.blocks.lr_scale = block_lr_scale
        self.head = SpeechEmbeddingHead(**head_kwargs)
        self.feature_dim = self.head.feature_dim

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        from digitfusion.features.speech_embedding_torch import as_windows

        return self.head(as_windows(self.blocks(feats)))
