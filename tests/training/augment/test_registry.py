from functools import lru_cache

import pytest
import torch

from digitfusion.features.audio import LogMel
from digitfusion.training.augment import OPS, AugmentConfig, BatchAugmenter, known_ops
from tests.training.augment.signals import burst, digits, gen
from tests.training.test_augment import basis as fit_basis

IMAGE, AUDIO = known_ops("image"), known_ops("audio")


def test_known_ops_cover_the_registry_once_each():
    names = [op.name for op in OPS]
    assert len(names) == len(set(names)) and set(names) == set(IMAGE) | set(AUDIO)
    assert not set(IMAGE) & set(AUDIO)
    assert {"stroke", "slant", "lowres", "binarise", "broken", "user-path"} <= set(IMAGE)
    assert {"pitch", "formant", "speed", "reverb", "phone", "laptop", "codec", "level", "noise"} <= set(AUDIO)
    assert all(op.summary for op in OPS)
    with pytest.raises(ValueError, match="modality"):
        known_ops("video")


basis = lru_cache(maxsize=1)(fit_basis)  # the PCA fit is the slow part: once for the module


@lru_cache(maxsize=1)
def _batch() -> dict[str, torch.Tensor]:
    wave = burst(300.0, b=4) + burst(1200.0, b=4) + 0.003 * torch.randn(4, 8000, generator=gen(3))
    return {"image": torch.nn.functional.avg_pool2d(digits(4), 3, stride=1, padding=1, count_include_pad=False),
            "wave": wave, "audio": LogMel()(wave), "label": torch.arange(4)}


def batch() -> dict[str, torch.Tensor]:
    return dict(_batch())  # the augmenter returns new tensors: the cached ones stay as they are


@pytest.mark.parametrize("name", IMAGE + AUDIO)
def test_every_op_runs_through_the_augmenter_and_changes_its_input(name):
    is_image = name in IMAGE
    config = AugmentConfig(image=(name,) if is_image else (), audio=() if is_image else (name,), p=1.0)
    key = "image" if is_image else "audio"
    first = BatchAugmenter(config, seed=0, basis=basis())(batch())
    again = BatchAugmenter(config, seed=0, basis=basis())(batch())
    assert first[key].shape == batch()[key].shape and torch.isfinite(first[key]).all()
    assert torch.equal(first[key], again[key])
    assert not torch.allclose(first[key], batch()[key], atol=1e-3)
