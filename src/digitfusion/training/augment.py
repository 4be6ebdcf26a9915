"""Batched, torch-only data augmentation, applied inside the training step.

Every random op takes an explicit `torch.Generator` and draws the randomness for the whole batch at once, so a
generator seeded the same way gives the same batch back (on one device). Geometric ops resample with
`F.grid_sample`; whatever comes from outside the input is background: the MNIST-normalised value of black for
images, silence for waveforms, the nearest band for log-mel frequency warping.

Randomness is drawn on the generator's device and moved to the data's device, so a CPU generator works for CUDA
data (BatchAugmenter keeps one generator per device to avoid the copies).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from digitfusion.features.audio import LogMel
from digitfusion.features.image import MNIST_MEAN, MNIST_STD
from digitfusion.features.mel import LogMelParams, hz_to_mel, mel_to_hz
from digitfusion.features.pca import PCAImages

IMAGE_BACKGROUND = (0.0 - MNIST_MEAN) / MNIST_STD  # black after MNIST normalisation, about -0.4242


# ----------------------------------------------------------------------------- random draws


def _uniform(gen: torch.Generator, shape: tuple[int, ...], low: float, high: float, like: Tensor) -> Tensor:
    """U(low, high) of `shape`, drawn on the generator's device, returned with `like`'s dtype and device."""
    draw = torch.rand(shape, generator=gen, device=gen.device, dtype=like.dtype)
    return (low + (high - low) * draw).to(like.device)


def _randint(gen: torch.Generator, shape: tuple[int, ...], low: int, high: int, like: Tensor) -> Tensor:
    """Integers in [low, high] (inclusive) of `shape`, on `like`'s device."""
    return torch.randint(low, high + 1, shape, generator=gen, device=gen.device).to(like.device)


def _per_sample(values: Tensor, ndim: int) -> Tensor:
    """[B] -> [B, 1, ..., 1] with `ndim` dimensions in all, to broadcast against a batch."""
    return values.view(-1, *([1] * (ndim - 1)))


def select(mask: Tensor, new: Tensor, old: Tensor) -> Tensor:
    """Per-sample choice: mask [B] bool, new/old [B, ...] -> new where mask else old."""
    return torch.where(_per_sample(mask, new.dim()), new, old)


def _resample(x: Tensor, grid: Tensor, fill: float, padding_mode: str = "zeros") -> Tensor:
    """grid_sample with `fill` outside the input: grid_sample pads with zeros, so shift the background to 0."""
    out = F.grid_sample(x - fill, grid.to(x.dtype), mode="bilinear", padding_mode=padding_mode, align_corners=False)
    return out + fill


# ----------------------------------------------------------------------------- images [B, 1, H, W]


def random_affine(images: Tensor, gen: torch.Generator, degrees: float = 12.0, translate: float = 0.1,
                  scale: tuple[float, float] = (0.9, 1.1), shear: float = 8.0) -> Tensor:
    """Per-sample rotation (+-degrees), translation (+-translate of the side), scale and x-shear (+-shear degrees),
    about the image centre. [B, 1, H, W] -> [B, 1, H, W], background outside."""
    b, _, h, w = images.shape
    angle = torch.deg2rad(_uniform(gen, (b,), -degrees, degrees, images))
    shear_t = torch.tan(torch.deg2rad(_uniform(gen, (b,), -shear, shear, images)))
    zoom = _uniform(gen, (b,), scale[0], scale[1], images)
    shift = _uniform(gen, (b, 2), -translate, translate, images) * 2  # fraction of the side -> [-1, 1] units

    cos, sin, one, zero = torch.cos(angle), torch.sin(angle), torch.ones_like(angle), torch.zeros_like(angle)
    rotation = torch.stack([cos, -sin, sin, cos], dim=1).view(b, 2, 2)
    shearing = torch.stack([one, shear_t, zero, one], dim=1).view(b, 2, 2)
    forward = rotation @ shearing * zoom.view(b, 1, 1)  # input -> output, in pixel-proportional units
    # affine_grid wants output -> input in [-1, 1] units: invert, and undo the aspect ratio of those units.
    aspect = images.new_tensor([w / 2, h / 2])
    inverse = torch.linalg.inv(forward) * aspect.view(1, 1, 2) / aspect.view(1, 2, 1)
    offset = -(inverse @ shift.unsqueeze(-1))
    grid = F.affine_grid(torch.cat([inverse, offset], dim=2), list(images.shape), align_corners=False)
    return _resample(images, grid, IMAGE_BACKGROUND)


def _gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur with zero padding, [N, 1, H, W] -> [N, 1, H, W]."""
    radius = max(1, math.ceil(3 * sigma))
    taps = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    kernel = kernel / kernel.sum()
    x = F.conv2d(x, kernel.view(1, 1, 1, -1), padding=(0, radius))
    return F.conv2d(x, kernel.view(1, 1, -1, 1), padding=(radius, 0))


def elastic(images: Tensor, gen: torch.Generator, alpha: float = 34.0, sigma: float = 4.0) -> Tensor:
    """Elastic distortion (Simard et al. 2003): a U(-1, 1) displacement field per pixel, Gaussian-blurred with
    `sigma` px and scaled by `alpha` px (34 and 4 give displacements of a pixel or two on 28x28).
    [B, 1, H, W] -> [B, 1, H, W], background outside."""
    b, _, h, w = images.shape
    noise = _uniform(gen, (b * 2, 1, h, w), -1.0, 1.0, images)
    field = alpha * _gaussian_blur(noise, sigma).view(b, 2, h, w)  # pixels; channel 0 is x, 1 is y
    field = field * images.new_tensor([2 / w, 2 / h]).view(1, 2, 1, 1)  # -> [-1, 1] units
    identity = torch.eye(2, 3, dtype=images.dtype, device=images.device).expand(b, 2, 3)
    grid = F.affine_grid(identity, list(images.shape), align_corners=False) + field.permute(0, 2, 3, 1)
    return _resample(images, grid, IMAGE_BACKGROUND)


def random_erasing(images: Tensor, gen: torch.Generator, p: float = 0.5, area: tuple[float, float] = (0.02, 0.15),
                   ratio: tuple[float, float] = (0.3, 3.3)) -> Tensor:
    """With probability p per sample, one rectangle of `area` (fraction of the image) and aspect `ratio`
    (log-uniform, as torchvision) set to the background. [B, 1, H, W] -> [B, 1, H, W]."""
    b, _, h, w = images.shape
    chosen = _uniform(gen, (b,), 0.0, 1.0, images) < p
    size = _uniform(gen, (b,), area[0], area[1], images) * (h * w)
    aspect = torch.exp(_uniform(gen, (b,), math.log(ratio[0]), math.log(ratio[1]), images))
    rect_h = torch.sqrt(size * aspect).round().clamp(1, h)
    rect_w = torch.sqrt(size / aspect).round().clamp(1, w)
    top = torch.floor(_uniform(gen, (b,), 0.0, 1.0, images) * (h - rect_h + 1))
    left = torch.floor(_uniform(gen, (b,), 0.0, 1.0, images) * (w - rect_w + 1))
    rows = torch.arange(h, device=images.device, dtype=images.dtype).view(1, h, 1)
    cols = torch.arange(w, device=images.device, dtype=images.dtype).view(1, 1, w)
    inside = ((rows >= top.view(b, 1, 1)) & (rows < (top + rect_h).view(b, 1, 1))
              & (cols >= left.view(b, 1, 1)) & (cols < (left + rect_w).view(b, 1, 1)))
    erase = (inside & chosen.view(b, 1, 1)).unsqueeze(1)
    return images.masked_fill(erase, IMAGE_BACKGROUND)


LOW_RANK_MAX = 64  # components the low-rank augmentation may keep at most


def low_rank(images: Tensor, gen: torch.Generator, basis: PCAImages,
             ranks: tuple[int, int] = (2, LOW_RANK_MAX)) -> Tensor:
    """Each image rebuilt from its first k principal components of `basis` (fit on the train images), k drawn
    log-uniformly in `ranks` (inclusive, capped at the basis size): from a blurry ghost of the digit (2-4
    components, the AV-MNIST degradation keeps 25 % of the energy, 4 on MNIST) to a faithful copy (64).
    Teaches a fused model that a low-detail image is less reliable. [B, 1, H, W] -> [B, 1, H, W]."""
    mean, components = (t.to(images.device, images.dtype) for t in basis.fitted())  # [D], [K, D]
    high = min(ranks[1], components.shape[0])
    low = min(ranks[0], high)
    b = images.shape[0]
    k = torch.exp(_uniform(gen, (b,), math.log(low), math.log(high + 1), images)).floor().clamp(low, high)
    keep = torch.arange(components.shape[0], device=images.device).view(1, -1) < k.view(b, 1)  # [B, K]
    coefficients = (images.reshape(b, -1) - mean) @ components.T * keep
    return (coefficients @ components + mean).reshape(images.shape)


# ----------------------------------------------------------------------------- waveforms [B, N]


def active_power(waves: Tensor, rel_threshold: float = 1e-4) -> Tensor:
    """Mean power of each clip over its non-silent span [B, N] -> [B].

    The span runs from the first to the last sample louder than rel_threshold x the clip's peak (-80 dB): clips
    are trimmed and zero-padded to 1 s, so the whole-clip power would depend on how long the word is, not on how
    loud. A silent clip has power 0."""
    n = waves.shape[-1]
    loud = waves.abs() > rel_threshold * waves.abs().amax(dim=-1, keepdim=True)
    first = loud.int().argmax(dim=-1)
    last = n - 1 - loud.flip(-1).int().argmax(dim=-1)
    index = torch.arange(n, device=waves.device)
    span = (index >= first.unsqueeze(-1)) & (index <= last.unsqueeze(-1)) & loud.any(dim=-1, keepdim=True)
    return (waves.square() * span).sum(dim=-1) / span.sum(dim=-1).clamp(min=1)


def add_noise(waves: Tensor, snr_db: float | Tensor, gen: torch.Generator) -> Tensor:
    """White Gaussian noise over the whole clip at exactly `snr_db` (a float, or one per clip [B]) with respect to
    `active_power`: the noise draw is rescaled to its exact target power, so
    10 log10(active_power(waves) / mean((out - waves)^2)) == snr_db up to rounding. [B, N] -> [B, N].
    Used by training and by the evaluation's degraded protocol."""
    noise = torch.randn(waves.shape, generator=gen, device=gen.device, dtype=waves.dtype).to(waves.device)
    noise = noise / noise.square().mean(dim=-1, keepdim=True).sqrt()  # unit power exactly, not just on average
    snr = torch.as_tensor(snr_db, dtype=waves.dtype, device=waves.device).expand(waves.shape[0])
    noise_power = active_power(waves) / torch.pow(10.0, snr / 10)
    return waves + noise * noise_power.sqrt().unsqueeze(-1)


def random_gain(waves: Tensor, gen: torch.Generator, db: tuple[float, float] = (-6.0, 6.0)) -> Tensor:
    """Per-clip gain, uniform in dB. [B, N] -> [B, N]."""
    gain_db = _uniform(gen, (waves.shape[0],), db[0], db[1], waves)
    return waves * torch.pow(10.0, gain_db / 20).unsqueeze(-1)


def time_shift(waves: Tensor, gen: torch.Generator, max_shift: int = 800) -> Tensor:
    """Per-clip shift by an integer in [-max_shift, max_shift] samples (positive = later), zeros shifted in and
    what passes the ends dropped (no wrap-around). [B, N] -> [B, N]."""
    b, n = waves.shape
    shift = _randint(gen, (b,), -max_shift, max_shift, waves)
    source = torch.arange(n, device=waves.device).unsqueeze(0) - shift.unsqueeze(-1)
    inside = (source >= 0) & (source < n)
    return waves.gather(1, source.clamp(0, n - 1)).masked_fill(~inside, 0.0)


def speed_perturb(waves: Tensor, gen: torch.Generator, factors: tuple[float, float] = (0.9, 1.1)) -> Tensor:
    """Kaldi-style speed perturbation: each clip resampled by a factor in `factors` (1.1 = 10 % faster and higher),
    about the clip's centre, keeping N samples, zeros where the slowed clip runs out. Linear interpolation, no
    anti-aliasing filter: speeding up by 10 % folds only content above 0.9 x Nyquist. [B, N] -> [B, N]."""
    b, n = waves.shape
    factor = _uniform(gen, (b,), factors[0], factors[1], waves)
    centres = (2 * torch.arange(n, device=waves.device, dtype=torch.float64) + 1) / n - 1  # grid_sample's x of samples
    x = factor.to(torch.float64).unsqueeze(-1) * centres  # output sample i reads input time factor x t_i
    grid = torch.stack([x, torch.zeros_like(x)], dim=-1).view(b, 1, n, 2)
    return _resample(waves.view(b, 1, 1, n), grid, 0.0).view(b, n)


# ----------------------------------------------------------------------------- log-mel [B, 1, F, T] in dB


def spec_augment(feats: Tensor, gen: torch.Generator, freq_masks: int = 2, freq_width: int = 8, time_masks: int = 2,
                 time_width: int = 12) -> Tensor:
    """SpecAugment masking (Park et al. 2019): per example, `freq_masks` bands of 0..freq_width mel rows and
    `time_masks` spans of 0..time_width frames, set to the example's minimum (its dB floor; 0 dB would be loud).
    [B, 1, F, T] -> [B, 1, F, T]."""
    b, _, f, t = feats.shape
    rows = _band_mask(gen, b, f, freq_masks, freq_width, feats).view(b, 1, f, 1)
    cols = _band_mask(gen, b, t, time_masks, time_width, feats).view(b, 1, 1, t)
    floor = feats.amin(dim=(1, 2, 3), keepdim=True)
    return torch.where(rows | cols, floor, feats)


def _band_mask(gen: torch.Generator, b: int, size: int, count: int, max_width: int, like: Tensor) -> Tensor:
    """`count` random bands of width 0..max_width per example, as a mask [B, size]."""
    if count == 0:
        return torch.zeros((b, size), dtype=torch.bool, device=like.device)
    width = _randint(gen, (b, count), 0, min(max_width, size), like)
    start = torch.floor(_uniform(gen, (b, count), 0.0, 1.0, like).double() * (size - width + 1)).long()
    index = torch.arange(size, device=like.device).view(1, 1, size)
    inside = (index >= start.unsqueeze(-1)) & (index < (start + width).unsqueeze(-1))
    return inside.any(dim=1)


@lru_cache(maxsize=8)
def _mel_centres_hz(n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """Centre frequencies of the mel filterbank's bands [n_mels] (as features/mel.py builds them)."""
    edges = mel_to_hz(np.linspace(hz_to_mel(np.array([f_min]))[0], hz_to_mel(np.array([f_max]))[0], n_mels + 2))
    return edges[1:-1]


def _interp(x: Tensor, xp: Tensor, fp: Tensor) -> Tensor:
    """Piecewise-linear interpolation of (xp, fp) at x (xp increasing), extrapolating linearly past the ends."""
    upper = torch.searchsorted(xp, x.contiguous()).clamp(1, len(xp) - 1)
    lower = upper - 1
    frac = (x - xp[lower]) / (xp[upper] - xp[lower])
    return fp[lower] + frac * (fp[upper] - fp[lower])


def vtlp(feats: Tensor, gen: torch.Generator, alpha: tuple[float, float] = (0.9, 1.1), boundary: float = 0.8,
         params: LogMelParams | None = None) -> Tensor:
    """Vocal-tract-length perturbation (Jaitly & Hinton 2013) on log-mel features: each example's frequency axis is
    warped by a factor in `alpha` (> 1 moves formants up, like a shorter vocal tract), linearly in Hz up to
    `boundary` x Nyquist and piecewise-linearly above so Nyquist stays put; band centres come from `params`
    (F from the input). Bands read from beyond the first or last band repeat it. [B, 1, F, T] -> [B, 1, F, T]."""
    params = params or LogMelParams()
    b, _, f, t = feats.shape
    centres = torch.from_numpy(_mel_centres_hz(f, params.f_min, params.f_max)).to(feats.device)
    factor = _uniform(gen, (b,), alpha[0], alpha[1], feats).to(torch.float64).unsqueeze(-1)
    nyquist, cut = params.sample_rate / 2, boundary * params.sample_rate / 2
    # Output band at g Hz reads input frequency warp^-1(g): g / alpha below the break, a straight line to Nyquist above.
    break_out = cut * factor.clamp(max=1.0)
    break_in = break_out / factor
    g = centres.unsqueeze(0).expand(b, f)
    source = torch.where(g <= break_out, g / factor,
                         nyquist - (nyquist - g) * (nyquist - break_in) / (nyquist - break_out))
    band = _interp(source, centres, torch.arange(f, device=feats.device, dtype=torch.float64))
    y = ((2 * band + 1) / f - 1).view(b, f, 1).expand(b, f, t)
    x = ((2 * torch.arange(t, device=feats.device, dtype=torch.float64) + 1) / t - 1).view(1, 1, t).expand(b, f, t)
    return _resample(feats, torch.stack([x, y], dim=-1), 0.0, padding_mode="border")


# ----------------------------------------------------------------------------- config and module

IMAGE_OPS = ("affine", "elastic", "erasing", "lowrank")  # lowrank needs a PCA basis
WAVE_OPS = ("speed", "shift", "gain", "noise")  # applied in this order: noise last, so its SNR is the final one
SPEC_OPS = ("vtlp", "specaugment")  # masks last, so masked cells stay at the floor
AUDIO_OPS = WAVE_OPS + SPEC_OPS


def known_ops(modality: str) -> tuple[str, ...]:
    """The augmentation names a model reading `modality` (image | audio | pair) accepts."""
    return {"image": IMAGE_OPS, "audio": AUDIO_OPS, "pair": IMAGE_OPS + AUDIO_OPS}[modality]


@dataclass
class AugmentConfig:
    """Which ops run, by name; each applies to a sample with probability p. Ops run in the fixed orders above
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
        """True if any wave-domain op (shift/gain/noise/speed) is on: features must then be recomputed."""
        return any(name in WAVE_OPS for name in self.audio)


def epoch_seed(seed: int, epoch: int) -> int:
    """A seed for one epoch of one run (distinct across epochs and seeds)."""
    return (seed * 1_000_003 + epoch * 7919) % (2**63 - 1)


class BatchAugmenter(nn.Module):
    """Augments a training batch dict: 'image' [B, 1, 28, 28], 'wave' [B, N], 'audio' [B, 1, 64, T]."""

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
            out["image"] = self._run(out["image"], IMAGE_OPS, self.config.image)
        if "wave" in out and self.config.needs_waves:
            out["wave"] = self._run(out["wave"], WAVE_OPS, self.config.audio)
            out["audio"] = self.frontend(out["wave"])
        if "audio" in out:
            out["audio"] = self._run(out["audio"], SPEC_OPS, self.config.audio)
        return out

    def _run(self, x: Tensor, order: tuple[str, ...], enabled: tuple[str, ...]) -> Tensor:
        gen = self.generator(x.device)
        for name in order:
            if name in enabled:
                chosen = _uniform(gen, (x.shape[0],), 0.0, 1.0, x) < self.config.p
                x = select(chosen, self._op(name)(x, gen), x)
        return x

    def _op(self, name: str) -> Callable[[Tensor, torch.Generator], Tensor]:
        snr = self.config.noise_snr_db
        ops: dict[str, Callable[[Tensor, torch.Generator], Tensor]] = {
            "affine": random_affine,
            "elastic": elastic,
            "erasing": lambda x, g: random_erasing(x, g, p=1.0),  # p is applied per sample by _run
            "lowrank": lambda x, g: low_rank(x, g, self.basis),
            "speed": speed_perturb,
            "shift": time_shift,
            "gain": random_gain,
            "noise": lambda x, g: add_noise(x, _uniform(g, (x.shape[0],), snr[0], snr[1], x), g),
            "vtlp": vtlp,
            "specaugment": spec_augment,
        }
        return ops[name]
