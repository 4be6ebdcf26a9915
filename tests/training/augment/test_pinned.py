"""Pins the outputs of the ops that existed before the augmentation package grew (seeded runs of the ablation
and of every trained model depend on them): sums of seeded outputs, recorded before the split into modules.
Relative tolerance 1e-6 leaves room for another CPU's float rounding, not for a changed draw or formula."""

import pytest
import torch

from digitfusion.features.audio import LogMel
from digitfusion.training.augment import (
    AugmentConfig,
    BatchAugmenter,
    add_noise,
    elastic,
    low_rank,
    random_affine,
    random_erasing,
    random_gain,
    spec_augment,
    speed_perturb,
    time_shift,
    vtlp,
)
from tests.training.test_augment import basis, feats, gen, images, tone


def noisy_tone() -> torch.Tensor:
    return tone(b=8) + 0.01 * torch.randn(8, 8000, generator=gen(5))


SINGLE = {
    "affine": (lambda: random_affine(images(8), gen(3)), -1802.626603, 3215.748583),
    "elastic": (lambda: elastic(images(8), gen(3)), -1758.127048, 3247.418032),
    "erasing": (lambda: random_erasing(images(8), gen(3)), -1835.265015, 3268.86499),
    "lowrank": (lambda: low_rank(images(8), gen(3), basis()), -746.9439482, 1306.654131),
    "speed": (lambda: speed_perturb(noisy_tone(), gen(3)), -2.777356363, 10562.51773),
    "shift": (lambda: time_shift(noisy_tone(), gen(3)), -2.692786011, 10160.647),
    "gain": (lambda: random_gain(noisy_tone(), gen(3)), -2.11069965, 8547.548845),
    "noise": (lambda: add_noise(noisy_tone(), 10.0, gen(3)), 47.50620686, 11189.55747),
    "vtlp": (lambda: vtlp(feats(8), gen(3)), -1062554.343, 1062554.343),
    "specaugment": (lambda: spec_augment(feats(8), gen(3)), -1366291.198, 1366291.198),
}


@pytest.mark.parametrize("name", list(SINGLE))
def test_existing_op_outputs_are_pinned(name):
    make, total, magnitude = SINGLE[name]
    out = make().double()
    assert out.sum().item() == pytest.approx(total, rel=1e-6)
    assert out.abs().sum().item() == pytest.approx(magnitude, rel=1e-6)


def test_existing_batch_augmenter_output_is_pinned():
    """Every op that existed before, through the augmenter (its per-op draws and order included)."""
    batch = {"image": images(8), "wave": noisy_tone(), "label": torch.arange(8)}
    config = AugmentConfig(image=("affine", "elastic", "erasing", "lowrank"),
                           audio=("speed", "shift", "gain", "noise", "vtlp", "specaugment"))
    out = BatchAugmenter(config, frontend=LogMel(), seed=4, basis=basis())(batch)
    assert out["image"].double().sum().item() == pytest.approx(-1310.501519, rel=1e-6)
    assert out["audio"].double().abs().sum().item() == pytest.approx(1703592.204, rel=1e-6)
