"""Image ops on MNIST-normalised batches [B, 1, H, W]: geometry, pen, capture and degradation.

Whatever comes from outside the input is background: the MNIST-normalised value of black (IMAGE_BACKGROUND).
Ink is measured as pixel value above the background; a pixel value of 1 (before normalisation) is full ink.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from digitfusion.features.image import MNIST_MEAN, MNIST_STD
from digitfusion.features.pca import PCAImages
from digitfusion.training.augment.draws import randint, resample, select, uniform

IMAGE_BACKGROUND = (0.0 - MNIST_MEAN) / MNIST_STD  # black after MNIST normalisation, about -0.4242
IMAGE_INK = (1.0 - MNIST_MEAN) / MNIST_STD  # full ink after MNIST normalisation, about 2.8215
LOW_RANK_MAX = 64  # components the low-rank augmentation may keep at most


# ----------------------------------------------------------------------------- geometry


def warp_affine(images: Tensor, forward: Tensor, shift: Tensor) -> Tensor:
    """Apply per-sample linear maps `forward` [B, 2, 2] (input -> output, pixel-proportional units, about the
    image centre) then translations `shift` [B, 2] ([-1, 1] units). [B, 1, H, W] -> [B, 1, H, W]."""
    _, _, h, w = images.shape
    # affine_grid wants output -> input in [-1, 1] units: invert, and undo the aspect ratio of those units.
    aspect = images.new_tensor([w / 2, h / 2])
    inverse = torch.linalg.inv(forward) * aspect.view(1, 1, 2) / aspect.view(1, 2, 1)
    offset = -(inverse @ shift.unsqueeze(-1))
    grid = F.affine_grid(torch.cat([inverse, offset], dim=2), list(images.shape), align_corners=False)
    return resample(images, grid, IMAGE_BACKGROUND)


def random_affine(images: Tensor, gen: torch.Generator, degrees: float = 12.0, translate: float = 0.1,
                  scale: tuple[float, float] = (0.9, 1.1), shear: float = 8.0) -> Tensor:
    """Per-sample rotation (+-degrees), translation (+-translate of the side), scale and x-shear (+-shear degrees),
    about the image centre. [B, 1, H, W] -> [B, 1, H, W], background outside."""
    b = images.shape[0]
    angle = torch.deg2rad(uniform(gen, (b,), -degrees, degrees, images))
    shear_t = torch.tan(torch.deg2rad(uniform(gen, (b,), -shear, shear, images)))
    zoom = uniform(gen, (b,), scale[0], scale[1], images)
    shift = uniform(gen, (b, 2), -translate, translate, images) * 2  # fraction of the side -> [-1, 1] units

    cos, sin, one, zero = torch.cos(angle), torch.sin(angle), torch.ones_like(angle), torch.zeros_like(angle)
    rotation = torch.stack([cos, -sin, sin, cos], dim=1).view(b, 2, 2)
    shearing = torch.stack([one, shear_t, zero, one], dim=1).view(b, 2, 2)
    forward = rotation @ shearing * zoom.view(b, 1, 1)  # input -> output, in pixel-proportional units
    return warp_affine(images, forward, shift)


def slant(images: Tensor, gen: torch.Generator, degrees: tuple[float, float] = (-25.0, 25.0),
          aspect: tuple[float, float] = (0.7, 1.4)) -> Tensor:
    """A writer's slant and letter shape: x-shear by an angle in `degrees` (italic-like handwriting leans 10-25°,
    wider than the affine op's +-8°) and width/height ratio drawn log-uniformly in `aspect` (area kept), about the
    centre. [B, 1, H, W] -> [B, 1, H, W]."""
    b = images.shape[0]
    shear_t = torch.tan(torch.deg2rad(uniform(gen, (b,), degrees[0], degrees[1], images)))
    ratio = torch.exp(uniform(gen, (b,), math.log(aspect[0]), math.log(aspect[1]), images))
    one, zero = torch.ones_like(shear_t), torch.zeros_like(shear_t)
    shearing = torch.stack([one, shear_t, zero, one], dim=1).view(b, 2, 2)
    scaling = torch.diag_embed(torch.stack([ratio.sqrt(), ratio.rsqrt()], dim=1))
    return warp_affine(images, shearing @ scaling, images.new_zeros(b, 2))


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
    noise = uniform(gen, (b * 2, 1, h, w), -1.0, 1.0, images)
    field = alpha * _gaussian_blur(noise, sigma).view(b, 2, h, w)  # pixels; channel 0 is x, 1 is y
    field = field * images.new_tensor([2 / w, 2 / h]).view(1, 2, 1, 1)  # -> [-1, 1] units
    identity = torch.eye(2, 3, dtype=images.dtype, device=images.device).expand(b, 2, 3)
    grid = F.affine_grid(identity, list(images.shape), align_corners=False) + field.permute(0, 2, 3, 1)
    return resample(images, grid, IMAGE_BACKGROUND)


# ----------------------------------------------------------------------------- pen


def stroke_width(images: Tensor, gen: torch.Generator, strength: tuple[float, float] = (0.3, 1.0)) -> Tensor:
    """A thicker or thinner pen: each image is dilated or eroded (even odds) by a 3x3 max-pool, blended with the
    original by a strength in `strength` so the width changes continuously (a full 3x3 step adds or removes a
    pixel on each side of a 2-3 px MNIST stroke). [B, 1, H, W] -> [B, 1, H, W]."""
    b = images.shape[0]
    dilated = F.max_pool2d(images, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-images, 3, stride=1, padding=1)
    thicker = uniform(gen, (b,), 0.0, 1.0, images) < 0.5
    weight = uniform(gen, (b,), strength[0], strength[1], images).view(b, 1, 1, 1)
    target = select(thicker, dilated, eroded)
    return images + weight * (target - images)


def broken_strokes(images: Tensor, gen: torch.Generator, cuts: tuple[int, int] = (1, 3),
                   length: tuple[float, float] = (3.0, 6.0), width: tuple[float, float] = (1.0, 2.0)) -> Tensor:
    """Gaps in the strokes (a dry pen, a faint scan): `cuts` short segments per image (count drawn inclusive),
    each centred on an ink pixel (drawn in proportion to its ink), at a random angle, `length` x `width` px,
    set to the background. Only ink changes: the background stays. [B, 1, H, W] -> [B, 1, H, W]."""
    b, _, h, w = images.shape
    most = cuts[1]
    ink = (images - IMAGE_BACKGROUND).clamp(min=0).reshape(b, h * w) + 1e-6  # + eps: blank images still draw
    centre = torch.multinomial(ink.to(gen.device), most, replacement=True, generator=gen).to(images.device)
    cy, cx = (centre // w).to(images.dtype), (centre % w).to(images.dtype)  # [B, cuts]
    angle = uniform(gen, (b, most), 0.0, math.pi, images)
    half_length = uniform(gen, (b, most), length[0], length[1], images) / 2
    half_width = uniform(gen, (b, most), width[0], width[1], images) / 2
    active = torch.arange(most, device=images.device).view(1, most) < randint(gen, (b, 1), cuts[0], most, images)
    rows = torch.arange(h, device=images.device, dtype=images.dtype).view(1, 1, h, 1)
    cols = torch.arange(w, device=images.device, dtype=images.dtype).view(1, 1, 1, w)
    dy, dx = rows - cy.view(b, most, 1, 1), cols - cx.view(b, most, 1, 1)
    cos, sin = torch.cos(angle).view(b, most, 1, 1), torch.sin(angle).view(b, most, 1, 1)
    along, across = dx * cos + dy * sin, -dx * sin + dy * cos
    inside = (along.abs() <= half_length.view(b, most, 1, 1)) & (across.abs() <= half_width.view(b, most, 1, 1))
    gap = (inside & active.view(b, most, 1, 1)).any(dim=1, keepdim=True)  # [B, 1, H, W]
    return images.masked_fill(gap, IMAGE_BACKGROUND)


# ----------------------------------------------------------------------------- capture


def low_resolution(images: Tensor, gen: torch.Generator, sides: tuple[int, ...] = (8, 12, 16)) -> Tensor:
    """A coarse scan or a small form box: each image area-averaged down to one of `sides` (square, drawn per
    image) and bilinearly upscaled back (optdigits' 8x8 grid is the coarsest). [B, 1, H, W] -> [B, 1, H, W]."""
    b, _, h, w = images.shape
    choice = randint(gen, (b,), 0, len(sides) - 1, images)
    out = images.clone()
    for index, side in enumerate(sides):
        chosen = choice == index
        if chosen.any():
            small = F.interpolate(images[chosen], size=(side, side), mode="area")
            out[chosen] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return out


def binarise(images: Tensor, gen: torch.Generator, threshold: tuple[float, float] = (0.25, 0.6)) -> Tensor:
    """A scanned form's black-and-white image: pixels above a per-image threshold (in `threshold`, on the 0..1
    ink scale) become full ink, the rest background. [B, 1, H, W] -> [B, 1, H, W], two values only."""
    level = uniform(gen, (images.shape[0],), threshold[0], threshold[1], images).view(-1, 1, 1, 1)
    ink = images * MNIST_STD + MNIST_MEAN
    return torch.where(ink > level, images.new_tensor(IMAGE_INK), images.new_tensor(IMAGE_BACKGROUND))


# ----------------------------------------------------------------------------- occlusion and degradation


def random_erasing(images: Tensor, gen: torch.Generator, p: float = 0.5, area: tuple[float, float] = (0.02, 0.15),
                   ratio: tuple[float, float] = (0.3, 3.3)) -> Tensor:
    """With probability p per sample, one rectangle of `area` (fraction of the image) and aspect `ratio`
    (log-uniform, as torchvision) set to the background. [B, 1, H, W] -> [B, 1, H, W]."""
    b, _, h, w = images.shape
    chosen = uniform(gen, (b,), 0.0, 1.0, images) < p
    size = uniform(gen, (b,), area[0], area[1], images) * (h * w)
    aspect = torch.exp(uniform(gen, (b,), math.log(ratio[0]), math.log(ratio[1]), images))
    rect_h = torch.sqrt(size * aspect).round().clamp(1, h)
    rect_w = torch.sqrt(size / aspect).round().clamp(1, w)
    top = torch.floor(uniform(gen, (b,), 0.0, 1.0, images) * (h - rect_h + 1))
    left = torch.floor(uniform(gen, (b,), 0.0, 1.0, images) * (w - rect_w + 1))
    erase = rectangle_mask(top, left, rect_h, rect_w, (h, w)) & chosen.view(b, 1, 1, 1)
    return images.masked_fill(erase, IMAGE_BACKGROUND)


def rectangle_mask(top: Tensor, left: Tensor, height: Tensor, width: Tensor, size: tuple[int, int]) -> Tensor:
    """One axis-aligned rectangle per sample (corner `top`, `left` and sides, each [B], in pixels) as a mask
    [B, 1, H, W] over an image of `size` (H, W): True inside."""
    rows = torch.arange(size[0], device=top.device, dtype=top.dtype).view(1, 1, -1, 1)
    cols = torch.arange(size[1], device=top.device, dtype=top.dtype).view(1, 1, 1, -1)
    corner = (top.view(-1, 1, 1, 1), left.view(-1, 1, 1, 1))
    return ((rows >= corner[0]) & (rows < corner[0] + height.view(-1, 1, 1, 1))
            & (cols >= corner[1]) & (cols < corner[1] + width.view(-1, 1, 1, 1)))


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
    k = torch.exp(uniform(gen, (b,), math.log(low), math.log(high + 1), images)).floor().clamp(low, high)
    keep = torch.arange(components.shape[0], device=images.device).view(1, -1) < k.view(b, 1)  # [B, K]
    coefficients = (images.reshape(b, -1) - mean) @ components.T * keep
    return (coefficients @ components + mean).reshape(images.shape)
