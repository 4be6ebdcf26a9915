"""The registry of augmentation ops: each name, the domain it works in, and how the augmenter calls it.

Ops run in the order listed here whatever order a config gives: per domain, images (pen, geometry, occlusion,
capture, degradation, then the user path, which sees what a user's file would), waves (speaker, room,
background noise, channel, level, codec: the order sound travels), then log-mel (warps before masks, so
masked cells stay at the floor). A config that leaves an op out draws nothing for it: adding ops here does not
change the seeded output of configs without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from digitfusion.training.augment import channel, image, scanned_form, spec, user_path, wave
from digitfusion.training.augment.draws import uniform

if TYPE_CHECKING:
    from digitfusion.training.augment.batch import BatchAugmenter

DOMAINS = ("image", "wave", "spec")  # image [B, 1, 28, 28]; wave [B, N] at 8 kHz; spec log-mel [B, 1, 64, T]


@dataclass(frozen=True)
class Op:
    name: str
    domain: str  # one of DOMAINS
    apply: Callable[[Tensor, torch.Generator, BatchAugmenter], Tensor]
    summary: str


def _noise(x: Tensor, gen: torch.Generator, augmenter: BatchAugmenter) -> Tensor:
    low, high = augmenter.config.noise_snr_db
    return wave.add_noise(x, uniform(gen, (x.shape[0],), low, high, x), gen)


USER_ENLARGE = (1.0, 4.0)  # a person's file: a canvas, a photo or a scan, never 28 px
OPS: tuple[Op, ...] = (
    Op("stroke", "image", lambda x, g, a: image.stroke_width(x, g), "dilate or erode the strokes (3x3 max-pool)"),
    Op("slant", "image", lambda x, g, a: image.slant(x, g), "x-shear +-25 deg and width/height 0.7-1.4"),
    Op("affine", "image", lambda x, g, a: image.random_affine(x, g), "rotate, shift, scale, shear a little"),
    Op("elastic", "image", lambda x, g, a: image.elastic(x, g), "elastic distortion (Simard 2003)"),
    Op("broken", "image", lambda x, g, a: image.broken_strokes(x, g), "1-3 short gaps cut in the strokes"),
    # p is applied per sample by the augmenter, so erasing always erases when it is chosen
    Op("erasing", "image", lambda x, g, a: image.random_erasing(x, g, p=1.0), "one rectangle set to background"),
    Op("lowres", "image", lambda x, g, a: image.low_resolution(x, g), "down to 8, 12 or 16 px and back up"),
    Op("binarise", "image", lambda x, g, a: image.binarise(x, g), "black and white, as a scanned form"),
    Op("scanned-form", "image", lambda x, g, a: scanned_form.scanned_form(x, g),
       "redrawn as a form scanner's normalised bitmap (NIST: 20x32 box, binary, even strokes)"),
    Op("lowrank", "image", lambda x, g, a: image.low_rank(x, g, a.basis), "rebuilt from 2-64 principal components"),
    Op("user-path", "image", lambda x, g, a: user_path.user_path(x, g), "through predict's PNG-to-MNIST conversion"),
    Op("user-size", "image", lambda x, g, a: user_path.user_path(x, g, enlarge=USER_ENLARGE),
       "enlarged 1-4x (bilinear) as a user's file, then predict's conversion"),
    Op("pitch", "wave", lambda x, g, a: wave.pitch_shift(x, g), "pitch -3..+9 semitones, duration kept"),
    Op("speed", "wave", lambda x, g, a: wave.speed_perturb(x, g), "speed 0.9-1.1 (pitch follows)"),
    Op("shift", "wave", lambda x, g, a: wave.time_shift(x, g), "shift +-0.1 s"),
    Op("reverb", "wave", lambda x, g, a: channel.reverb(x, g), "room impulse response, RT60 0.15-0.8 s"),
    Op("gain", "wave", lambda x, g, a: wave.random_gain(x, g), "gain +-6 dB"),
    Op("noise", "wave", _noise, "white noise at an SNR in noise_snr_db"),
    Op("laptop", "wave", lambda x, g, a: channel.laptop_mic(x, g), "laptop microphone: bass cut, casing resonance"),
    Op("phone", "wave", lambda x, g, a: channel.telephone(x, g), "telephone band, about 300-3400 Hz"),
    Op("level", "wave", lambda x, g, a: wave.level(x, g), "level -30..+12 dB, clipped at full scale"),
    Op("codec", "wave", lambda x, g, a: channel.mu_law_codec(x, g), "G.711 mu-law 8-bit quantisation"),
    Op("vtlp", "spec", lambda x, g, a: spec.vtlp(x, g), "vocal-tract-length warp 0.9-1.1"),
    Op("formant", "spec", lambda x, g, a: spec.formant_warp(x, g), "vocal-tract-length warp 0.85-1.35"),
    Op("specaugment", "spec", lambda x, g, a: spec.spec_augment(x, g), "SpecAugment frequency and time masks"),
)
BY_NAME = {op.name: op for op in OPS}


def ops_in(domain: str) -> tuple[str, ...]:
    """Names of the ops of one domain, in run order."""
    return tuple(op.name for op in OPS if op.domain == domain)


def known_ops(modality: str) -> tuple[str, ...]:
    """Names a config may list for `modality` ('image' or 'audio': wave then log-mel ops), in run order."""
    if modality == "image":
        return ops_in("image")
    if modality == "audio":
        return ops_in("wave") + ops_in("spec")
    raise ValueError(f"unknown modality {modality!r} (image or audio)")
