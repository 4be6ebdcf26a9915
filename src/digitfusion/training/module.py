"""The one Lightning wrapper every model trains through (unimodal now, fused later).

The model itself stays a plain nn.Module taking dict(image=..., audio=...) and returning dict(logits=...).
"""

from __future__ import annotations

import lightning as L
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from digitfusion.training.augment import epoch_seed
from digitfusion.training.config import TrainConfig
from digitfusion.training.outliers import mixed_outliers, uniform_loss


def drop_modalities(batch: dict[str, torch.Tensor], p: float) -> dict[str, torch.Tensor]:
    """Modality dropout: each pair loses, with probability p, its image or its audio (one, at random),
    so a fused model learns to answer from what is present. Returns masks [B] (1 = present)."""
    size = len(batch["label"])
    dropped = torch.rand(size) < p
    image_lost = torch.rand(size) < 0.5
    return {**batch, "image_mask": (~(dropped & image_lost)).float(), "audio_mask": (~(dropped & ~image_lost)).float()}


def modality_heads_loss(out: dict[str, torch.Tensor], labels: torch.Tensor, smoothing: float) -> torch.Tensor:
    """Sum over modalities of the mean cross-entropy of each per-modality head, over the pairs where that
    modality is present: keeps each encoder able to answer alone while the fused head learns to combine."""
    total = labels.new_zeros((), dtype=torch.float32)
    for i in range(out["modality_logits"].shape[1]):
        present = out["presence"][:, i]
        losses = F.cross_entropy(out["modality_logits"][:, i], labels, label_smoothing=smoothing, reduction="none")
        total = total + (losses * present).sum() / present.sum().clamp(min=1)
    return total


def parameter_groups(model: nn.Module, lr: float) -> list[dict]:
    """The trainable parameters grouped by rate: those of a submodule with an `lr_scale` attribute (pretrained
    weights that should move slowly) train at lr * lr_scale, every other at lr."""
    scale_of = {id(p): module.lr_scale for module in model.modules() if hasattr(module, "lr_scale")
                for p in module.parameters()}
    groups: dict[float, list] = {}
    for p in model.parameters():
        if p.requires_grad:
            groups.setdefault(scale_of.get(id(p), 1.0), []).append(p)
    return [{"params": ps, "lr": lr * scale} for scale, ps in groups.items()]


class LitClassifier(L.LightningModule):
    def __init__(self, model: nn.Module, config: TrainConfig, augmenter: nn.Module | None = None,
                 outliers: torch.Tensor | None = None):
        super().__init__()
        self.model, self.config, self.augmenter = model, config, augmenter
        self.outliers = outliers  # [M, ...] non-digit inputs of the model's modality (outlier exposure)
        self.accuracy = nn.ModuleDict({f"{s}_acc": MulticlassAccuracy(10, average="micro") for s in ("train", "val")})

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return self.model(inputs)

    def _step(self, batch: dict[str, torch.Tensor], stage: str) -> torch.Tensor:
        size = len(batch["label"])
        exposed = stage == "train" and self.outliers is not None
        inputs, mix_targets = self._with_outliers(batch) if exposed else (batch, None)
        out = self.model(inputs)
        logits = out["logits"][:size]
        smoothing = self.config.label_smoothing if stage == "train" else 0.0
        loss = F.cross_entropy(logits, batch["label"], label_smoothing=smoothing)
        if exposed:  # digits, then non-digits, then any mixtures (as many as their soft targets)
            mixed_from = len(out["logits"]) - (0 if mix_targets is None else len(mix_targets))
            loss = loss + self.config.outlier_exposure * uniform_loss(out["logits"][size:mixed_from])
            if mix_targets is not None:
                loss = loss + self.config.outlier_exposure * F.cross_entropy(out["logits"][mixed_from:], mix_targets)
        if stage == "train" and self.config.modality_loss_weight > 0 and "modality_logits" in out:
            loss = loss + self.config.modality_loss_weight * modality_heads_loss(out, batch["label"], smoothing)
        metric = self.accuracy[f"{stage}_acc"]
        metric(logits, batch["label"])
        self.log(f"{stage}_loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=size, sync_dist=True)
        self.log(f"{stage}_acc", metric, on_step=False, on_epoch=True, prog_bar=True, batch_size=size)
        return loss

    def _with_outliers(self, batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
        """The model's input with half a batch of non-digits after the digits (one forward pass: batch norm sees
        both, as in Hendrycks et al.); drawn with the epoch's seeded generator. With `outlier_augment` the
        non-digits go through the digits' image ops too: otherwise "looks augmented" (a scanned form, a thick
        stroke) would be learnt as "is a digit". With `outlier_mix`, as many digits mixed with those non-digits
        follow, and their soft targets are returned (else None)."""
        key, count = self.config.modality, max(1, len(batch["label"]) // 2)
        odd = self.outliers[torch.randint(len(self.outliers), (count,))].to(batch[key].device)
        if self.config.outlier_augment and self.augmenter is not None:
            with torch.no_grad():
                odd = self.augmenter({key: odd})[key]
        if not self.config.outlier_mix:
            return {key: torch.cat([batch[key], odd])}, None
        mixed, targets = mixed_outliers(batch[key][:count], batch["label"][:count], odd, self.config.outlier_mix)
        return {key: torch.cat([batch[key], odd, mixed])}, targets

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        if self.augmenter is not None:
            with torch.no_grad():
                batch = self.augmenter(batch)
        if self.config.modality_dropout > 0:
            batch = drop_modalities(batch, self.config.modality_dropout)
        return self._step(batch, "train")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def on_train_epoch_start(self) -> None:
        # Every random stream restarts at a value fixed by (seed, epoch): pairs, augmentation, dropout and
        # modality dropout. A run resumed from an epoch checkpoint then repeats an uninterrupted run exactly.
        epoch = self.current_epoch
        torch.manual_seed(epoch_seed(self.config.seed, epoch) + self.global_rank)
        dataset = self.trainer.train_dataloader.dataset
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(epoch)
        if self.augmenter is not None:
            self.augmenter.set_epoch(epoch)

    def configure_optimizers(self):
        c = self.config
        params = parameter_groups(self.model, c.lr)
        if c.optimizer == "sgd":
            optimizer = torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        else:
            optimizer = torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay)
        if c.scheduler == "none":
            return optimizer
        steps = int(self.trainer.estimated_stepping_batches)
        if c.scheduler == "onecycle":
            scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[g["lr"] for g in params],
                                                            total_steps=max(steps, 1),
                                                            pct_start=0.2)
        else:
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(steps, 1))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
