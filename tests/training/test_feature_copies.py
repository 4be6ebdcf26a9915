import numpy as np
import pytest
import torch

from digitfusion.data.bundle import load_bundle
from digitfusion.errors import DigitfusionError
from digitfusion.features.audio import clip_features
from digitfusion.features.mel import LogMelParams
from digitfusion.training.augment import AugmentConfig, BatchAugmenter
from digitfusion.training.config import TrainConfig
from digitfusion.training.feature_copies import VersionedAudio, cached_copy, copies_dataset, copy_features
from digitfusion.training.fit import fit
from tests.training.test_fit import tiny


def noisy_augmenter(seed: int = 0) -> BatchAugmenter:
    return BatchAugmenter(AugmentConfig(image=(), audio=("noise", "gain"), p=1.0), seed=seed)


def clips(n: int = 6, samples: int = 4000) -> np.ndarray:
    t = np.arange(samples) / 8000
    return np.stack([np.sin(2 * np.pi * (200 + 50 * i) * t) * 0.3 for i in range(n)]).astype(np.float32)


def test_each_epoch_reads_one_version_per_row_fixed_by_seed_and_epoch():
    versions = torch.arange(3).view(3, 1, 1).expand(3, 40, 5).float()  # version v's rows are all v
    labels = torch.arange(40)
    data = VersionedAudio(versions, labels, seed=0)
    batch = data.__getitems__(list(range(40)))
    assert torch.equal(batch["label"], labels)
    chosen = batch["audio"][:, 0]
    assert set(chosen.tolist()) == {0.0, 1.0, 2.0}  # every version is read somewhere
    again = VersionedAudio(versions, labels, seed=0)
    assert torch.equal(again.__getitems__(list(range(40)))["audio"], batch["audio"])
    data.set_epoch(1)
    assert not torch.equal(data.__getitems__(list(range(40)))["audio"], batch["audio"])


def test_a_copy_is_the_front_end_of_the_augmented_clips_and_each_copy_differs():
    waves, params = clips(), LogMelParams()
    first = copy_features(waves, noisy_augmenter(), params, copy=1)
    assert first.shape == clip_features(torch.from_numpy(waves), params).shape
    assert torch.equal(first, copy_features(waves, noisy_augmenter(), params, copy=1))
    assert not torch.equal(first, copy_features(waves, noisy_augmenter(), params, copy=2))
    assert not torch.equal(first, clip_features(torch.from_numpy(waves), params))


def test_a_cached_copy_is_read_back_identical_and_keyed_by_the_ops(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITFUSION_CACHE", str(tmp_path))
    waves, params = clips(), LogMelParams()
    stored = cached_copy(waves, noisy_augmenter(), params, 1)
    assert len(list((tmp_path / "features").glob("copies-*.npy"))) == 1
    assert torch.equal(cached_copy(waves, noisy_augmenter(), params, 1), stored)
    cached_copy(waves, noisy_augmenter(seed=1), params, 1)  # another seed: another entry
    assert len(list((tmp_path / "features").glob("copies-*.npy"))) == 2


def test_copies_need_an_audio_model_and_wave_ops(tiny_root):
    side = load_bundle(tiny_root, "official")["train"]
    with pytest.raises(DigitfusionError, match="audio models"):
        copies_dataset(side, noisy_augmenter(), LogMelParams(), TrainConfig(model="concat", modality="pair",
                                                                           feature_copies=1))
    spec_only = BatchAugmenter(AugmentConfig(image=(), audio=("specaugment",)))
    with pytest.raises(DigitfusionError, match="wave augmentation"):
        copies_dataset(side, spec_only, LogMelParams(), TrainConfig(model="audio-cnn", modality="audio",
                                                                    feature_copies=1))


def test_an_audio_model_trains_on_copies_and_its_config_hash_says_so(tiny_root, tmp_path):
    config = tiny("audio-cnn", "audio", augment_audio=["noise"], feature_copies=2)
    summary = fit(config, tiny_root, tmp_path / "run", progress=False)
    assert summary["epochs_run"] == 2
    assert config.digest() != tiny("audio-cnn", "audio", augment_audio=["noise"]).digest()
