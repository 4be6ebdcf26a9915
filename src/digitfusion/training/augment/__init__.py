"""Batched, torch-only data augmentation, applied inside the training step (one package, one module per domain).

Every random op takes an explicit `torch.Generator` and draws the randomness for the whole batch at once, so a
generator seeded the same way gives the same batch back (on one device). `known_ops(modality)` lists the op
names a config may use; `registry.OPS` says what each does and in which order they run.

- images [B, 1, 28, 28], MNIST-normalised: image.py (geometry, pen, capture, degradation), user_path.py
- waveforms [B, N] at 8 kHz: wave.py (speaker, timing, level, noise), channel.py (room, phone, laptop, codec)
- log-mel [B, 1, 64, T] in dB: spec.py (masks, vocal-tract warps)
"""

from digitfusion.training.augment.batch import (
    AUDIO_OPS,
    IMAGE_OPS,
    SPEC_OPS,
    WAVE_OPS,
    AugmentConfig,
    BatchAugmenter,
    epoch_seed,
)
from digitfusion.training.augment.channel import laptop_mic, mu_law_codec, reverb, telephone
from digitfusion.training.augment.draws import select
from digitfusion.training.augment.image import (
    IMAGE_BACKGROUND,
    IMAGE_INK,
    LOW_RANK_MAX,
    binarise,
    broken_strokes,
    elastic,
    low_rank,
    low_resolution,
    random_affine,
    random_erasing,
    slant,
    stroke_width,
)
from digitfusion.training.augment.registry import OPS, known_ops
from digitfusion.training.augment.spec import FORMANT_RANGE, formant_warp, spec_augment, vtlp
from digitfusion.training.augment.user_path import convert_like_predict, user_path
from digitfusion.training.augment.wave import (
    active_power,
    add_noise,
    change_speed,
    level,
    pitch_shift,
    random_gain,
    speed_perturb,
    time_shift,
    time_stretch,
)

__all__ = [
    "AUDIO_OPS", "FORMANT_RANGE", "IMAGE_BACKGROUND", "IMAGE_INK", "IMAGE_OPS", "LOW_RANK_MAX", "OPS", "SPEC_OPS",
    "WAVE_OPS", "AugmentConfig", "BatchAugmenter", "active_power", "add_noise", "binarise", "broken_strokes",
    "change_speed", "convert_like_predict", "elastic", "epoch_seed", "formant_warp", "known_ops", "laptop_mic",
    "level", "low_rank", "low_resolution", "mu_law_codec", "pitch_shift", "random_affine", "random_erasing",
    "random_gain", "reverb", "select", "slant", "spec_augment", "speed_perturb", "stroke_width", "telephone",
    "time_shift", "time_stretch", "user_path", "vtlp",
]
