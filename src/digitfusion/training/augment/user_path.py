"""The `user-path` op: training images go through the very conversion `predict` applies to a user's file.

A user's digit reaches the model as a PNG (or JPEG, ...) converted the MNIST way by
`features.image.load_user_image_bytes` (ink found, cropped, fit in 20x20, centre of mass at the centre). An
MNIST image put through it comes back slightly different (re-cropped, re-scaled, re-centred, thickened if
thin): training on those images means the user path no longer sees something the model never saw.

`user-size` goes one step further: a person's file is never 28 px wide (a drawing on the app's canvas, a photo,
a scan), so each digit is first enlarged 1-4x (bilinear, as an image viewer or a canvas export enlarges it) and
the conversion then shrinks it back; the blur of the enlargement is what the model must also learn to read.

This is numpy/Pillow work per image, on the CPU (measured by bench/bench_augment.py: cost per batch of 64).
`convert_like_predict` also works ahead of time on uint8 arrays, for a precomputed subset of a training set.
"""

from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from digitfusion.errors import DigitfusionError
from digitfusion.features.image import MNIST_MEAN, MNIST_STD, load_user_image_bytes, normalise
from digitfusion.training.augment.draws import uniform


def to_png(digit: np.ndarray, dark_on_light: bool, scale: float = 1.0) -> bytes:
    """uint8 [H, W] light-on-dark digit -> PNG bytes, inverted to dark ink on white paper if asked (how a
    drawing or a scan arrives; MNIST files saved as-is arrive light-on-dark), enlarged `scale` times (bilinear)."""
    pixels = 255 - digit if dark_on_light else digit
    image = Image.fromarray(pixels, mode="L")
    if scale != 1.0:
        height, width = digit.shape
        image = image.resize((round(width * scale), round(height * scale)), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def convert_like_predict(digits: np.ndarray, dark_on_light: np.ndarray | None = None,
                         scales: np.ndarray | None = None) -> np.ndarray:
    """uint8 [N, H, W] -> uint8 [N, 28, 28] through PNG bytes (each enlarged `scales[i]` times) and
    `load_user_image_bytes`, as `predict` reads a file. A digit the conversion refuses (no ink left, e.g. after
    heavy erasing) is returned unchanged."""
    flips = np.zeros(len(digits), dtype=bool) if dark_on_light is None else dark_on_light
    scales = np.ones(len(digits)) if scales is None else scales
    out = np.empty((len(digits), 28, 28), dtype=np.uint8)
    for i, (digit, flip, scale) in enumerate(zip(digits, flips, scales, strict=True)):
        try:
            out[i] = load_user_image_bytes(to_png(digit, bool(flip), float(scale)), name=f"training image {i}")
        except DigitfusionError:
            out[i] = digit
    return out


def to_pixels(images: Tensor) -> np.ndarray:
    """MNIST-normalised [B, 1, 28, 28] -> the uint8 digits [B, 28, 28] they were (normalise's inverse)."""
    return ((images[:, 0] * MNIST_STD + MNIST_MEAN) * 255).round().clamp(0, 255).to(torch.uint8).cpu().numpy()


def user_path(images: Tensor, gen: torch.Generator, dark_on_light: float = 0.5,
              enlarge: tuple[float, float] | None = None) -> Tensor:
    """MNIST-normalised [B, 1, 28, 28] -> the same images as `predict` would see them, [B, 1, 28, 28]. Each image
    is rendered dark-on-light with probability `dark_on_light` (the conversion must then invert it) and, with
    `enlarge` (low, high), enlarged by a factor drawn in that range first (`user-size`)."""
    flips = (uniform(gen, (images.shape[0],), 0.0, 1.0, images) < dark_on_light).cpu().numpy()
    scales = None if enlarge is None else uniform(gen, (images.shape[0],), *enlarge, images).cpu().numpy()
    converted = normalise(convert_like_predict(to_pixels(images), flips, scales))
    return torch.from_numpy(converted).to(images.device, images.dtype)
