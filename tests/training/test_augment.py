import math
import time

import pytest
import torch

from digitfusion.features.audio import LogMel
from digitfusion.features.pca import PCAImages
from digitfusion.training.augment import (
    AUDIO_OPS,
    IMAGE_BACKGROUND,
    IMAGE_OPS,
    AugmentConfig,
    BatchAugmenter,
    active_power,
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

RATE, N = 8000, 8000


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def images(b: int = 6) -> torch.Tensor:
    """MNIST-like: background everywhere, a bright blob in the middle [B, 1, 28, 28]."""
    x = torch.full((b, 1, 28, 28), IMAGE_BACKGROUND)
    x[:, :, 10:18, 12:16] = 2.8
    return x


def tone(freq: float = 400.0, b: int = 3, n: int = N) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / RATE
    wave = 0.5 * torch.sin(2 * math.pi * freq * t) * torch.hann_window(n, periodic=False, dtype=torch.float64)
    return wave.float().repeat(b, 1)


def feats(b: int = 6) -> torch.Tensor:
    """Log-mel-like dB values in [-80, 0] with a smooth frequency profile [B, 1, 64, 101]."""
    profile = -40 + 30 * torch.sin(torch.linspace(0, 3, 64)).view(1, 1, 64, 1)
    return (profile + 5 * torch.randn(b, 1, 64, 101, generator=gen(1))).clamp(-80, 0)


def basis(k: int = 64) -> PCAImages:
    """Principal components of random smooth images: a basis with 64 components of decreasing variance."""
    smooth = torch.nn.functional.avg_pool2d(torch.randn(300, 1, 28, 28, generator=gen(7)), 5, stride=1, padding=2)
    return PCAImages(keep=k / 784, by="components").fit(smooth)


IMAGE_FNS = [random_affine, elastic, random_erasing]
WAVE_FNS = [random_gain, time_shift, speed_perturb, lambda w, g: add_noise(w, 10.0, g)]
SPEC_FNS = [spec_augment, vtlp]
CASES = [(f, images) for f in IMAGE_FNS] + [(f, tone) for f in WAVE_FNS] + [(f, feats) for f in SPEC_FNS]


@pytest.mark.parametrize(("fn", "make"), CASES)
def test_shape_dtype_and_seeding(fn, make):
    x = make()
    out = fn(x, gen(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.equal(out, fn(x, gen(0)))
    assert not torch.equal(out, fn(x, gen(1)))


@pytest.mark.parametrize("snr_db", [40.0, 20.0, 10.0, 5.0, 0.0, -5.0])
def test_add_noise_snr_is_exact(snr_db):
    clean = torch.zeros(4, N)
    clean[:, 2000:6000] = tone(b=4, n=4000) + 0.1  # offset: no (near-)zero samples at the span's ends
    clean[1] *= 0.01  # quiet clip: SNR is relative to each clip's own power
    noisy = add_noise(clean, snr_db, gen(3))
    signal_power = clean[:, 2000:6000].double().square().mean(dim=-1)
    noise_power = (noisy - clean).double().square().mean(dim=-1)
    measured = 10 * torch.log10(signal_power / noise_power)
    # 0.01 dB, tighter than needed: an un-normalised noise draw is off by up to ~0.07 dB at N = 8000
    assert torch.allclose(measured, torch.full_like(measured, snr_db), atol=0.01)
    assert torch.allclose(active_power(clean).double(), signal_power, rtol=1e-4)


def test_add_noise_per_clip_snr_tensor():
    clean = tone(b=3) + 0.0
    snr = torch.tensor([20.0, 0.0, -5.0])
    noisy = add_noise(clean, snr, gen(0))
    measured = 10 * torch.log10(active_power(clean) / (noisy - clean).square().mean(dim=-1))
    assert torch.allclose(measured, snr, atol=0.01)


def test_add_noise_leaves_silent_clip_silent():
    assert torch.equal(add_noise(torch.zeros(2, 100), 0.0, gen(0)), torch.zeros(2, 100))


def test_random_gain_within_range():
    wave = tone(b=16)
    ratio_db = 20 * torch.log10(random_gain(wave, gen(0), db=(-6, 6)).abs().amax(-1) / wave.abs().amax(-1))
    assert ratio_db.min() >= -6.001 and ratio_db.max() <= 6.001 and ratio_db.std() > 1


def test_time_shift_is_a_shift_with_zero_fill():
    max_shift = 50
    wave = torch.zeros(8, 1000)
    wave[:, max_shift:-max_shift] = torch.randn(8, 1000 - 2 * max_shift, generator=gen(2))
    out = time_shift(wave, gen(0), max_shift=max_shift)
    # nothing falls off: energy kept, and each row is the input shifted by some s in range
    assert torch.allclose(out.square().sum(-1), wave.square().sum(-1))
    for row_in, row_out in zip(wave, out, strict=True):
        assert any(torch.equal(torch.roll(row_in, s), row_out) for s in range(-max_shift, max_shift + 1))
    # a full-length signal loses exactly |s| samples at one end, and zeros come in (no wrap-around)
    ones = time_shift(torch.ones(64, 1000), gen(0), max_shift=max_shift)
    lost = 1000 - ones.sum(-1)
    assert lost.max() <= max_shift and lost.max() > 0
    assert torch.all((ones == 0) | (ones == 1))
    assert torch.all((ones[:, :max_shift] == 1).all(-1) | (ones[:, -max_shift:] == 1).all(-1))


def test_speed_perturb_raises_pitch_and_identity():
    wave = tone(400.0)
    faster = speed_perturb(wave, gen(0), factors=(1.1, 1.1))
    peak_hz = torch.fft.rfft(faster).abs().argmax(dim=-1).float() * RATE / N
    assert torch.all((peak_hz - 440).abs() <= 2)
    assert torch.allclose(speed_perturb(wave, gen(0), factors=(1.0, 1.0)), wave, atol=1e-4)


def test_speed_perturb_is_centred_with_zero_outside():
    out = speed_perturb(torch.ones(2, 1000), gen(0), factors=(1.1, 1.1))
    assert out[:, :40].abs().max() == 0 and out[:, -40:].abs().max() == 0  # reads past the ends: silence
    assert torch.allclose(out[:, 100:900], torch.ones(2, 800))


def test_spec_augment_masks_rows_and_columns_to_the_floor():
    x = feats(8)
    out = spec_augment(x, gen(0), freq_masks=2, freq_width=8, time_masks=2, time_width=12)
    floor = x.amin(dim=(1, 2, 3), keepdim=True)
    masked = out != x
    assert torch.all(out[masked] == floor.expand_as(out)[masked])  # changed cells are at the floor, nothing else
    floor_rows = (out == floor).all(dim=3).sum(dim=(1, 2))
    floor_cols = (out == floor).all(dim=2).sum(dim=(1, 2))
    assert floor_rows.max() > 0 and floor_cols.max() > 0
    assert floor_rows.max() <= 16 and floor_cols.max() <= 24
    assert torch.equal(spec_augment(x, gen(0), freq_masks=0, time_masks=0), x)


def test_vtlp_identity_and_warp_direction():
    x = feats()
    assert torch.allclose(vtlp(x, gen(0), alpha=(1.0, 1.0)), x, atol=1e-3)
    # a single bright band moves up for alpha > 1 and down for alpha < 1
    band = torch.full((1, 1, 64, 5), -80.0)
    band[:, :, 30] = 0.0
    up = vtlp(band, gen(0), alpha=(1.1, 1.1))[0, 0, :, 0].argmax()
    down = vtlp(band, gen(0), alpha=(0.9, 0.9))[0, 0, :, 0].argmax()
    assert up > 30 > down


def test_affine_identity_and_background_fill():
    x = images()
    assert torch.allclose(random_affine(x, gen(0), degrees=0, translate=0, scale=(1, 1), shear=0), x, atol=1e-5)
    shifted = random_affine(x, gen(0), degrees=0, translate=0.15, scale=(1, 1), shear=0)
    assert not torch.allclose(shifted, x)
    # at most 4.2 px of shift: the border comes from outside, and gets the background, not 0
    border = torch.cat([shifted[..., 0, :], shifted[..., -1, :], shifted[..., 0], shifted[..., -1]], dim=-1)
    assert torch.allclose(border, torch.full_like(border, IMAGE_BACKGROUND), atol=1e-5)


def test_elastic_keeps_background_and_moves_ink():
    x = images()
    out = elastic(x, gen(0), alpha=34, sigma=4)
    assert torch.allclose(out[:, :, :3], torch.full_like(out[:, :, :3], IMAGE_BACKGROUND), atol=1e-5)
    assert (out - x).abs().max() > 0.1


def test_erasing_uses_the_background_value():
    x = torch.full((16, 1, 28, 28), 1.5)
    out = random_erasing(x, gen(0), p=1.0, area=(0.05, 0.1))
    erased = out != x
    assert torch.all(out[erased] == IMAGE_BACKGROUND)
    fraction = erased.float().mean(dim=(1, 2, 3))
    assert torch.all(fraction > 0.02) and torch.all(fraction < 0.2)
    assert torch.equal(random_erasing(x, gen(0), p=0.0), x)


def test_low_rank_projects_onto_a_random_number_of_components():
    pca = basis()
    x = images(32) + 0.3 * torch.randn(32, 1, 28, 28, generator=gen(2))
    out = low_rank(x, gen(0), pca)
    assert out.shape == x.shape and torch.isfinite(out).all()
    mean, components = (t.float() for t in pca.fitted())
    centred = x.reshape(32, -1) - mean
    kept = ((out.reshape(32, -1) - mean) @ components.T).abs() > 1e-3  # which components each output keeps
    ranks = kept.sum(dim=1)
    assert ranks.min() >= 2 and ranks.max() <= 64 and len(ranks.unique()) > 5  # k varies per image
    for row, source, keeps, k in zip(out, centred, kept, ranks.tolist(), strict=True):
        assert keeps[:k].all()  # the first k components, and exactly the projection on them
        expected = (source @ components[:k].T) @ components[:k] + mean
        assert torch.allclose(row.reshape(-1), expected, atol=1e-4)
    full = low_rank(x, gen(0), pca, ranks=(64, 64))
    assert torch.allclose(full, pca.transform(x), atol=1e-4)  # k = basis size: the plain projection
    assert torch.equal(low_rank(x, gen(0), pca), out) and not torch.equal(low_rank(x, gen(1), pca), out)


def test_low_rank_needs_a_basis():
    with pytest.raises(ValueError, match="PCA basis"):
        BatchAugmenter(AugmentConfig(image=("lowrank",), audio=()))


def test_augmenter_none_returns_the_batch_unchanged():
    batch = {"image": images(), "wave": tone(b=6), "audio": feats(), "label": torch.arange(6)}
    out = BatchAugmenter(AugmentConfig.none())(batch)
    assert out is not batch and out.keys() == batch.keys()
    assert all(torch.equal(out[k], batch[k]) for k in batch)


def test_augmenter_recomputes_features_from_augmented_waves():
    waves = tone(b=4) + 0.01 * torch.randn(4, N, generator=gen(5))
    stale = torch.zeros(4, 1, 64, 101)
    batch = {"wave": waves, "audio": stale, "label": torch.arange(4)}
    wave_only = AugmentConfig(image=(), audio=("shift", "gain", "noise", "speed"), p=1.0)
    out = BatchAugmenter(wave_only, frontend=LogMel(), seed=0)(batch)
    assert not torch.equal(out["wave"], waves) and torch.equal(out["label"], batch["label"])
    assert torch.allclose(out["audio"], LogMel()(out["wave"]), atol=1e-4)
    full = BatchAugmenter(AugmentConfig(image=(), audio=AUDIO_OPS), frontend=LogMel(), seed=0)(batch)
    assert full["audio"].shape == (4, 1, 64, 101) and not torch.equal(full["audio"], stale)


def test_augmenter_spec_ops_without_waves():
    batch = {"audio": feats(4)}
    out = BatchAugmenter(AugmentConfig(image=(), audio=("specaugment", "vtlp"), p=1.0))(batch)
    assert out["audio"].shape == batch["audio"].shape and not torch.equal(out["audio"], batch["audio"])
    assert "wave" not in out


def test_augmenter_p_selects_per_sample():
    x = images(64)
    out = BatchAugmenter(AugmentConfig(image=("affine",), audio=(), p=0.5))({"image": x})["image"]
    untouched = (out == x).flatten(1).all(dim=1)
    assert 0 < untouched.sum() < 64


def test_augmenter_seeding():
    batch = {"image": images(), "wave": tone(b=6)}
    config = AugmentConfig(image=IMAGE_OPS, audio=AUDIO_OPS)
    a, b, c = (BatchAugmenter(config, seed=s, basis=basis())(batch) for s in (0, 0, 1))
    assert torch.equal(a["image"], b["image"]) and torch.equal(a["audio"], b["audio"])
    assert not torch.equal(a["image"], c["image"]) and not torch.equal(a["audio"], c["audio"])


@pytest.mark.parametrize("config", [{"image": ("blur",)}, {"audio": ("shift", "warble")}])
def test_unknown_op_raises(config):
    with pytest.raises(ValueError, match="blur|warble"):
        BatchAugmenter(AugmentConfig(**config))


def test_needs_waves():
    assert AugmentConfig().needs_waves
    assert not AugmentConfig(audio=("specaugment", "vtlp")).needs_waves
    assert not AugmentConfig.none().needs_waves


def test_full_batch_of_128_runs():
    """Everything on at B=128 (timing printed with -s, not asserted: CI machines vary)."""
    batch = {"image": images(128), "wave": tone(b=128), "label": torch.arange(128)}
    augmenter = BatchAugmenter(AugmentConfig(image=IMAGE_OPS, audio=AUDIO_OPS), frontend=LogMel(), basis=basis())
    start = time.perf_counter()
    out = augmenter(batch)
    print(f"augmenting B=128 took {time.perf_counter() - start:.3f} s")
    assert out["image"].shape == (128, 1, 28, 28) and out["audio"].shape == (128, 1, 64, 101)
    assert torch.isfinite(out["audio"]).all() and torch.isfinite(out["image"]).all()
