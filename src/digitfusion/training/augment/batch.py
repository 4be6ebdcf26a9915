"""Which ops run (AugmentConfig) and the module that applies them to a training batch (BatchAugmenter)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from digitfusion.features.audio import LogMel
from digitfusion.features.pca import PCAImages
from digitfusion.training.augment.draws import select, uniform
from digitfusion.training.augment.registry import BY_NAME, OPS, known_ops, ops_in

IMAGE_OPS = known_ops("image")  # lowrank needs a PCA basis
WAVE_OPS = ops_in("wave")
SPEC_OPS = ops_in("spec")
AUDIO_OPS = known_ops("audio")


@dataclass
class AugmentConfig:
    """Which ops run, by name; each applies to a sample with probability p. Ops run in the registry's order
    whatever the order given here."""

    image: tuple[str, ...] = ("affine",)  # subset of IMAGE_OPS
    audio: tuple[str, ...] = ("shift", "gain", "noise", "speed", "specaugment", "vtlp")
    noise_snr_db: tuple[float, float] = (5.0, 40.0)
    p: float = 0.8  # probability each sample gets a given op (per-sample mask)

    def __post_init__(self):
        self.image, self.audio = tuple(self.image), tuple(self.audio)
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming unknown ops or out-of-range settings."""
        unknown = [n for n in self.image if n not in IMAGE_OPS] + [n for n in self.audio if n not in AUDIO_OPS]
        if unknown:
            raise ValueError(f"unknown augmentation op(s) {unknown}: image ops are {list(IMAGE_OPS)}, "
                             f"audio ops are {list(AUDIO_OPS)}")
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"augmentation probability p must be in [0, 1], got {self.p}")
        if self.noise_snr_db[0] > self.noise_snr_db[1]:
            raise ValueError(f"noise_snr_db must be (low, high), got {self.noise_snr_db}")

    @classmethod
    def none(cls) -> AugmentConfig:
        return cls(image=(), audio=())

    @property
    def needs_waves(self) -> bool:
        """True if any wave-domain op is on: features must then be recomputed."""
        return any(name in WAVE_OPS for name in self.audio)


def epoch_seed(seed: int, epoch: int) -> int:
    """A seed for one epoch of one run (distinct across epochs and seeds)."""
    return (seed * 1_000_003 + epoch * 7919) % (2**63 - 1)


class BatchAugmenter(nn.Module):
    """Augments a training batch dict: 'image' [B, 1, 28, 28], 'wave' [B, N], 'audio' [B, 1, 64, T].

    Randomness is drawn on the generator's device and moved to the data's device; one generator per device
    avoids the copies."""

    def __init__(self, config: AugmentConfig, frontend: nn.Module | None = None, seed: int = 0,
                 basis: PCAImages | None = None):
        super().__init__()
        config.validate()
        if "lowrank" in config.image and basis is None:
            raise ValueError("the lowrank image augmentation needs a PCA basis fit on the train images")
        self.config, self.basis = config, basis
        self.frontend = frontend if frontend is not None else LogMel()  # waves -> features after wave ops
        self.seed = seed
        self.epoch = 0
        self._generators: dict[str, torch.Generator] = {}

    def set_epoch(self, epoch: int) -> None:
        """Restart the random stream at a value fixed by (seed, epoch): a resumed run draws what an
        uninterrupted one would have drawn from this epoch on."""
        self.epoch = epoch
        self._generators.clear()

    def generator(self, device: torch.device) -> torch.Generator:
        """One generator per device, each seeded with `seed`: draws then happen where the data is."""
        key = str(device)
        if key not in self._generators:
            self._generators[key] = torch.Generator(device=device).manual_seed(epoch_seed(self.seed, self.epoch))
        return self._generators[key]

    @torch.no_grad()
    def forward(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Returns a new dict. If 'image' in batch: image ops. If 'wave' in batch and config.needs_waves:
        wave ops then batch['audio'] = frontend(waves) (frontend = LogMel: [B,N] -> [B,1,64,T]), and 'wave' holds
        the augmented waves; then (if 'audio' in batch) spec ops. Keys it does not know (e.g. 'label') pass
        through unchanged."""
        out = dict(batch)
        if "image" in out:
            out["image"] = self._run(out["image"], "image", self.config.image)
        if "wave" in out and self.config.needs_waves:
            out["wave"] = self.waves(out["wave"])
            out["audio"] = self.frontend(out["wave"])
        if "audio" in out:
            out["audio"] = self._run(out["audio"], "spec", self.config.audio)
        return out

    @torch.no_grad()
    def waves(self, waves: Tensor) -> Tensor:
        """The wave ops alone: clips [B, N] -> augmented clips [B, N] (no front end)."""
        return self._run(waves, "wave", self.config.audio)

    def _run(self, x: Tensor, domain: str, enabled: tuple[str, ...]) -> Tensor:
        gen = self.generator(x.device)
        for op in OPS:
            if op.domain == domain and op.name in enabled:
                chosen = uniform(gen, (x.shape[0],), 0.0, 1.0, x) < self.config.p
                x = select(chosen, op.apply(x, gen, self), x)
        return x

    def op(self, name: str):
        """The registry entry of `name` (KeyError for an unknown one)."""
        return BY_NAME[name]
