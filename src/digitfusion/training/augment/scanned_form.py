"""The `scanned-form` op: a digit redrawn the way NIST's form-reading software normalised a scanned character.

Handwriting collected on forms (NIST's special databases, and UCI's optdigits, which used NIST's programs) is
stored as binary 32 x 32 bitmaps made by NIST's second-generation normalisation (`norm_2nd_gen2` in NIST's
public form-based handprint recognition system, NISTIR 5469): the ink's bounding box is scaled to 20 x 32
**without keeping its aspect** (a narrow 1 becomes a bar as wide as a 0), thresholded to black and white, centred
in 32 x 32, then eroded or dilated once or twice by its ink-pixel count (> 412, > 560: erode; < 256, < 108:
dilate) so every stroke has about the same width. An MNIST digit never looks like that. This op redraws a training
digit through those steps, then through `features.image.to_mnist` as the optdigits loader converts a bitmap,
so the model also learns digits that went through a form's normalisation. The threshold is drawn per digit (a
scanner's setting), the rest is NIST's.

Numpy/scipy work per image on the CPU: `scanned_forms` also works ahead of time on uint8 arrays.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from scipy import ndimage
from torch import Tensor

from digitfusion.data.images.optdigits import to_mnist_images
from digitfusion.features.image import normalise
from digitfusion.training.augment.draws import uniform
from digitfusion.training.augment.user_path import to_pixels

FORM_SIDE = 32  # NIST's normalised character: 32 x 32 ...
BOX_WIDTH, BOX_HEIGHT = 20, 32  # ... with the ink's bounding box scaled to 20 wide, 32 high
# ink-pixel counts of NIST's stroke normalisation: (count above which to erode twice, once, below which to
# dilate once, twice)
ERODE_TWICE, ERODE_ONCE, DILATE_ONCE, DILATE_TWICE = 560, 412, 256, 108
CROSS = ndimage.generate_binary_structure(2, 1)
THRESHOLD = (0.35, 0.65)  # share of the digit's darkest ink a scanner's threshold falls at
# Share of the digits the op redraws when it is chosen (the augmenter's p applies first): the model must go on
# reading unnormalised handwriting too.
SHARE = 0.5


def form_bitmap(digit: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """uint8 [H, W] light-on-dark digit -> NIST-normalised binary bitmap uint8 [32, 32] (1 = ink)."""
    ink = digit.astype(np.float32) / max(float(digit.max()), 1.0)
    rows, cols = np.flatnonzero(ink.max(axis=1) >= threshold), np.flatnonzero(ink.max(axis=0) >= threshold)
    bitmap = np.zeros((FORM_SIDE, FORM_SIDE), dtype=bool)
    if len(rows) == 0:
        return bitmap.astype(np.uint8)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    box = np.asarray(Image.fromarray(crop).resize((BOX_WIDTH, BOX_HEIGHT), Image.Resampling.BILINEAR))
    left = (FORM_SIDE - BOX_WIDTH) // 2
    bitmap[:, left:left + BOX_WIDTH] = box >= threshold
    return _even_strokes(bitmap).astype(np.uint8)


def _even_strokes(bitmap: np.ndarray) -> np.ndarray:
    """NIST's stroke normalisation: erode heavy characters, dilate light ones, by their ink-pixel count."""
    count = int(bitmap.sum())
    if count > ERODE_ONCE:
        return ndimage.binary_erosion(bitmap, CROSS, iterations=2 if count > ERODE_TWICE else 1)
    if count < DILATE_ONCE:
        return ndimage.binary_dilation(bitmap, CROSS, iterations=2 if count < DILATE_TWICE else 1)
    return bitmap


def scanned_forms(digits: np.ndarray, thresholds: np.ndarray | None = None) -> np.ndarray:
    """uint8 [N, H, W] -> uint8 [N, 28, 28]: each digit as a NIST form bitmap, converted the MNIST way. A digit
    with no ink left at its threshold is returned unchanged."""
    thresholds = np.full(len(digits), 0.5) if thresholds is None else thresholds
    bitmaps = np.stack([form_bitmap(digit, float(t)) for digit, t in zip(digits, thresholds, strict=True)])
    inked = bitmaps.any(axis=(1, 2))
    out = np.array(digits, dtype=np.uint8, copy=True)
    if inked.any():
        out[inked] = to_mnist_images(bitmaps[inked])  # the optdigits loader's own conversion of a bitmap
    return out


def scanned_form(images: Tensor, gen: torch.Generator, share: float = SHARE) -> Tensor:
    """MNIST-normalised [B, 1, 28, 28] -> [B, 1, 28, 28], a `share` of the digits (drawn per digit) redrawn as NIST
    form bitmaps, the others unchanged. Only the redrawn digits are converted (the conversion is the cost)."""
    thresholds = uniform(gen, (images.shape[0],), *THRESHOLD, images).cpu().numpy()
    chosen = uniform(gen, (images.shape[0],), 0.0, 1.0, images) < share
    out = images.clone()
    if chosen.any():
        forms = scanned_forms(to_pixels(images[chosen]), thresholds[chosen.cpu().numpy()])
        out[chosen] = torch.from_numpy(normalise(forms)).to(images.device, images.dtype)
    return out
