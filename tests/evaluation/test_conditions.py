import math

import pytest
import torch

from digitfusion.evaluation.conditions import (
    IMAGE_NOISE_SIGMAS,
    OCCLUSION_FRACTIONS,
    SNRS_DB,
    image_noise,
    noisy_waves,
    occlude,
)
from digitfusion.training.augment import IMAGE_BACKGROUND, active_power
from tests.generate import blobs


def test_constants():
    assert SNRS_DB[0] is None and len(SNRS_DB) == 6
    assert IMAGE_NOISE_SIGMAS[0] == 0.0 and OCCLUSION_FRACTIONS[0] == 0.0


def test_image_noise():
    images = blobs(20, 3)
    assert torch.equal(image_noise(images, 0.0, seed=0), images)
    noisy = image_noise(images, 0.5, seed=7)
    assert torch.equal(noisy, image_noise(images, 0.5, seed=7))
    assert not torch.equal(noisy, image_noise(images, 0.5, seed=8))
    assert noisy.shape == images.shape
    pixels = noisy * 0.3081 + 0.1307  # back to [0, 1]: clipped there
    assert pixels.min() >= -1e-6 and pixels.max() <= 1 + 1e-6


@pytest.mark.parametrize("fraction", [0.25, 0.4, 0.7])
def test_occlusion_covers_the_fraction(fraction):
    ink = torch.full((32, 1, 28, 28), 2.0)
    hidden = occlude(ink, fraction, seed=0) == IMAGE_BACKGROUND
    covered = hidden.float().mean(dim=(1, 2, 3))
    side = round(math.sqrt(fraction * 784))
    assert torch.allclose(covered, torch.full_like(covered, side * side / 784))
    assert (covered - fraction).abs().max() < 0.03
    assert not torch.equal(hidden[0], hidden[1])  # a new place per image


def test_occlusion_seeds_and_identity():
    images = blobs(8, 4)
    assert torch.equal(occlude(images, 0.0, seed=0), images)
    assert torch.equal(occlude(images, 0.4, seed=1), occlude(images, 0.4, seed=1))
    assert not torch.equal(occlude(images, 0.4, seed=1), occlude(images, 0.4, seed=2))


def test_noisy_waves():
    gen = torch.Generator().manual_seed(0)
    waves = torch.zeros(4, 8000)
    waves[:, 1000:5000] = torch.sin(torch.linspace(0, 400, 4000)) * torch.rand(4, 1, generator=gen)
    assert torch.equal(noisy_waves(waves, None, seed=0), waves)
    for snr in (20, 0, -5):
        noisy = noisy_waves(waves, snr, seed=3)
        measured = 10 * torch.log10(active_power(waves) / (noisy - waves).square().mean(dim=-1))
        assert torch.allclose(measured, torch.full_like(measured, float(snr)), atol=0.05)
    assert torch.equal(noisy_waves(waves, 10, seed=3), noisy_waves(waves, 10, seed=3))
    assert not torch.equal(noisy_waves(waves, 10, seed=3), noisy_waves(waves, 10, seed=4))
