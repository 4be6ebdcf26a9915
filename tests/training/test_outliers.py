import pytest
import torch
import torch.nn.functional as F

from digitfusion.data import nondigit
from digitfusion.errors import DigitfusionError
from digitfusion.features.lab_mel import LabMelParams
from digitfusion.features.mel import LogMelParams
from digitfusion.training import outliers
from digitfusion.training.config import TrainConfig
from digitfusion.training.fit import build_model
from digitfusion.training.module import LitClassifier
from digitfusion.training.outliers import outlier_inputs, uniform_loss


def test_uniform_loss_is_the_cross_entropy_to_the_uniform_distribution():
    logits = torch.randn(6, 10, generator=torch.Generator().manual_seed(0)) * 3
    expected = F.cross_entropy(logits, torch.full((6, 10), 0.1))  # torch's soft-target cross-entropy
    assert torch.allclose(uniform_loss(logits), expected)
    assert torch.isclose(uniform_loss(torch.zeros(2, 10)), torch.log(torch.tensor(10.0)))  # its minimum


@pytest.fixture
def small_part(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITFUSION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(nondigit.SIZES, "training", (1, 2, 2, 2))
    monkeypatch.setitem(nondigit.WORDS, "training", ("garden", "bread"))
    monkeypatch.setitem(nondigit.SYLLABLES, "training", ("da",))
    return tmp_path / "cache"


def test_outlier_inputs_go_through_the_input_pipeline_and_are_cached(small_part, monkeypatch):
    params = LogMelParams()
    images = outlier_inputs("image", params)
    glyphs = len(nondigit.GLYPHS["training"])
    assert images.shape[1:] == (1, 28, 28) and glyphs <= len(images) <= glyphs + 6
    audio = outlier_inputs("audio", params)
    assert audio.shape[1:2] == (1,) and audio.shape[2] == params.n_mels and len(audio) >= 10
    cached = sorted(p.name for p in (small_part / "outliers").iterdir())
    assert len(cached) == 2 and all(name.endswith(".npy") for name in cached)
    monkeypatch.setattr(outliers, "_prepared", lambda *a: pytest.fail("regenerated a cached set"))
    assert torch.equal(outlier_inputs("image", params), images)


def test_outlier_exposure_is_refused_where_it_has_no_meaning():
    with pytest.raises(DigitfusionError, match="unimodal"):
        outlier_inputs("pair", LogMelParams())
    with pytest.raises(DigitfusionError, match="log-mel"):
        outlier_inputs("audio", LabMelParams())


def test_the_loss_adds_the_weighted_uniform_term_on_half_a_batch_of_outliers():
    config = TrainConfig(model="image-cnn", modality="image", model_kwargs={"width": 8}, outlier_exposure=0.5,
                         label_smoothing=0.0)
    model = build_model(config, initialise=True)
    odd = torch.randn(5, 1, 28, 28)
    lit = LitClassifier(model, config, outliers=odd)
    lit.log = lambda *a, **k: None  # no trainer attached
    batch = {"image": torch.randn(8, 1, 28, 28), "label": torch.arange(8)}
    torch.manual_seed(3)
    loss = lit._step(batch, "train")
    torch.manual_seed(3)
    rows = torch.randint(len(odd), (4,))
    logits = model({"image": torch.cat([batch["image"], odd[rows]])})["logits"]
    expected = F.cross_entropy(logits[:8], batch["label"]) + 0.5 * uniform_loss(logits[8:])
    assert torch.allclose(loss, expected, atol=1e-6)


def test_outlier_augment_passes_the_drawn_non_digits_through_the_image_ops():
    from digitfusion.training.augment import AugmentConfig, BatchAugmenter

    odd = torch.zeros(6, 1, 28, 28)
    odd[:, :, 10:18, 10:18] = 1.0
    batch = {"image": torch.randn(4, 1, 28, 28), "label": torch.arange(4)}
    augmenter = BatchAugmenter(AugmentConfig(image=("affine",), audio=(), p=1.0))

    def exposed(augment: bool) -> torch.Tensor:
        config = TrainConfig(model="image-cnn", modality="image", model_kwargs={"width": 8}, outlier_exposure=0.5,
                             outlier_augment=augment, augment_image=["affine"])
        lit = LitClassifier(build_model(config, initialise=True), config, augmenter, outliers=odd)
        torch.manual_seed(3)
        augmenter.set_epoch(0)
        return lit._with_outliers(batch)[0]["image"]

    plain, augmented = exposed(False), exposed(True)
    assert torch.equal(plain[:4], batch["image"]) and torch.equal(augmented[:4], batch["image"])
    assert torch.equal(plain[4:], odd[:2])  # drawn rows, as they are
    assert not torch.allclose(augmented[4:], plain[4:])  # moved by the affine op
    assert torch.allclose(augmented[4:].sum(), plain[4:].sum(), rtol=0.3)  # the same squares, moved


def test_outlier_augment_is_refused_where_it_has_no_meaning():
    from digitfusion.training.outliers import exposure_set

    params = LogMelParams()
    with pytest.raises(DigitfusionError, match="outlier_augment: needs outlier exposure"):
        exposure_set(TrainConfig(model="image-cnn", modality="image", outlier_augment=True), params, None)
    with pytest.raises(DigitfusionError, match="image augmentation"):
        exposure_set(TrainConfig(model="audio-cnn", modality="audio", outlier_exposure=1.0, outlier_augment=True),
                     params, None)
    with pytest.raises(DigitfusionError, match="image augmentation"):
        exposure_set(TrainConfig(model="image-cnn", modality="image", outlier_exposure=1.0, outlier_augment=True,
                                 augment_image=[]), params, None)


def test_mirrored_digits_are_training_digits_whose_mirror_is_no_digit_flipped():
    from digitfusion.training.outliers import MIRRORED, exposure_set, mirrored_digits

    images = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(40) % 10
    mirrored = mirrored_digits(images, labels, 12, seed=1)
    assert mirrored.shape == (12, 1, 28, 28)
    for image in mirrored:  # each is one of the training images of a MIRRORED class, flipped left to right
        matches = [i for i in range(40) if torch.equal(torch.flip(images[i], dims=[-1]), image)]
        assert len(matches) == 1 and int(labels[matches[0]]) in MIRRORED
    assert torch.equal(mirrored_digits(images, labels, 12, seed=1), mirrored)  # seeded
    assert len(mirrored_digits(images, labels, 100, seed=1)) == 28  # no more than there are
    config = TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5, outlier_mirrors=5)
    with pytest.raises(DigitfusionError, match="outlier_mirrors: needs an image model and its training images"):
        exposure_set(config, LogMelParams(), None)
    with pytest.raises(DigitfusionError, match="outlier_mirrors: needs outlier exposure"):
        exposure_set(TrainConfig(model="image-cnn", modality="image", outlier_mirrors=5), LogMelParams(), None)


def test_a_config_without_exposure_keeps_its_hash():
    plain = TrainConfig(model="image-cnn", modality="image")
    assert TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.0).digest() == plain.digest()
    assert TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5).digest() != plain.digest()
    exposed = TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5)
    assert TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5, outlier_augment=False).digest() == \
        exposed.digest() != TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5,
                                        outlier_augment=True).digest()


def test_outlier_copies_add_augmented_recordings_after_the_clean_ones(small_part):
    from digitfusion.training.fit import build_augmenter
    from digitfusion.training.outliers import exposure_set

    params = LogMelParams()
    config = TrainConfig(model="audio-cnn", modality="audio", augment_audio=["noise"], augment_p=1.0,
                         outlier_exposure=1.0, outlier_copies=2)
    augmenter = build_augmenter(config, params, None)
    clean = outlier_inputs("audio", params)
    exposed = exposure_set(config, params, augmenter)
    assert len(exposed) == 3 * len(clean) and torch.equal(exposed[:len(clean)], clean)
    assert not torch.allclose(exposed[len(clean):2 * len(clean)], clean)  # noise was added
    assert torch.equal(exposure_set(config, params, augmenter), exposed)  # seeded, and cached
    assert exposure_set(TrainConfig(model="audio-cnn", modality="audio"), params, augmenter) is None
    with pytest.raises(DigitfusionError, match="needs outlier exposure"):
        exposure_set(TrainConfig(model="audio-cnn", modality="audio", outlier_copies=2), params, augmenter)
    with pytest.raises(DigitfusionError, match="wave augmentation"):
        exposure_set(TrainConfig(model="image-cnn", modality="image", outlier_exposure=1.0, outlier_copies=2),
                     params, None)
    plain = TrainConfig(model="audio-cnn", modality="audio", outlier_exposure=1.0)
    assert TrainConfig(model="audio-cnn", modality="audio", outlier_exposure=1.0, outlier_copies=0).digest() == \
        plain.digest() != config.digest()


def test_mixup_blends_each_digit_with_a_non_digit_and_moves_its_target_toward_the_even_spread():
    from digitfusion.training.outliers import mixed_outliers

    digits, odd = torch.rand(6, 1, 28, 28), torch.rand(6, 1, 28, 28)
    labels = torch.tensor([0, 1, 2, 3, 4, 5])
    torch.manual_seed(0)
    mixed, targets = mixed_outliers(digits, labels, odd, "mixup")
    torch.manual_seed(0)
    lam = torch.rand(6)
    assert torch.allclose(mixed, lam.view(-1, 1, 1, 1) * digits + (1 - lam.view(-1, 1, 1, 1)) * odd)
    assert torch.allclose(targets.sum(dim=1), torch.ones(6))
    assert torch.allclose(targets[torch.arange(6), labels], lam + (1 - lam) / 10)
    others = targets.clone()
    others[torch.arange(6), labels] = 0
    assert torch.allclose(others.sum(dim=1), (1 - lam) * 9 / 10)


def test_cutmix_pastes_one_box_of_the_non_digit_and_its_target_follows_the_pasted_share():
    from digitfusion.training.outliers import mixed_outliers

    digits, odd = torch.zeros(50, 1, 28, 28), torch.ones(50, 1, 28, 28)
    torch.manual_seed(1)
    mixed, targets = mixed_outliers(digits, torch.zeros(50, dtype=torch.long), odd, "cutmix")
    pasted = mixed.mean(dim=(1, 2, 3))  # the share of pixels taken from the non-digit
    assert torch.allclose(targets[:, 0], (1 - pasted) + pasted / 10)
    assert 0.2 < float(pasted.mean()) < 0.8 and float(pasted.max()) > 0.7  # lam spread over (0, 1)
    for image in mixed[:, 0]:  # one rectangle: its rows and columns of ones are contiguous and full
        rows, cols = image.any(dim=1).nonzero().flatten(), image.any(dim=0).nonzero().flatten()
        if len(rows):
            assert int(image.sum()) == len(rows) * len(cols)
            assert int(rows[-1] - rows[0]) + 1 == len(rows) and int(cols[-1] - cols[0]) + 1 == len(cols)
    spectrograms, targets = mixed_outliers(torch.zeros(20, 1, 64, 101), torch.zeros(20, dtype=torch.long),
                                           torch.ones(20, 1, 64, 101), "cutmix")  # log-mel [B, 1, n_mels, T]
    assert spectrograms.shape == (20, 1, 64, 101)
    assert torch.allclose(targets[:, 0], 1 - 0.9 * spectrograms.mean(dim=(1, 2, 3)))


def test_the_loss_adds_the_mixtures_soft_targets_after_the_outliers():
    from digitfusion.training.outliers import mixed_outliers

    config = TrainConfig(model="image-cnn", modality="image", model_kwargs={"width": 8}, outlier_exposure=0.5,
                         outlier_mix="mixup", label_smoothing=0.0)
    model = build_model(config, initialise=True)
    odd = torch.randn(5, 1, 28, 28)
    lit = LitClassifier(model, config, outliers=odd)
    lit.log = lambda *a, **k: None
    batch = {"image": torch.randn(8, 1, 28, 28), "label": torch.arange(8)}
    torch.manual_seed(3)
    loss = lit._step(batch, "train")
    torch.manual_seed(3)
    drawn = odd[torch.randint(len(odd), (4,))]
    mixed, targets = mixed_outliers(batch["image"][:4], batch["label"][:4], drawn, "mixup")
    logits = model({"image": torch.cat([batch["image"], drawn, mixed])})["logits"]
    expected = (F.cross_entropy(logits[:8], batch["label"]) + 0.5 * uniform_loss(logits[8:12])
                + 0.5 * F.cross_entropy(logits[12:], targets))  # torch's soft-target cross-entropy
    assert torch.allclose(loss, expected, atol=1e-6)
    assert torch.allclose(F.cross_entropy(logits, F.softmax(logits * 0 + 1, dim=1)), uniform_loss(logits))


@pytest.mark.parametrize("settings, problem", [
    (dict(modality="image", outlier_mix="mixup"), "outlier_mix: needs outlier exposure"),
    (dict(modality="image", outlier_exposure=1.0, outlier_mix="blend"), "outlier_mix 'blend': unknown"),
    (dict(modality="image", outlier_glyphs="Д"), "outlier_glyphs: needs outlier exposure"),
    (dict(modality="audio", outlier_exposure=1.0, outlier_glyphs="Д"), "outlier_glyphs: needs an image model"),
])
def test_outlier_mix_and_glyphs_are_refused_where_they_have_no_meaning(settings, problem):
    from digitfusion.training.outliers import exposure_set

    model = "image-cnn" if settings["modality"] == "image" else "audio-cnn"
    with pytest.raises(DigitfusionError, match=problem):
        exposure_set(TrainConfig(model=model, **settings), LogMelParams(), None)


def test_outlier_glyphs_add_the_extra_letters_after_the_training_part(small_part):
    from digitfusion.training.outliers import exposure_set

    params, glyphs = LogMelParams(), "ДΩ"
    base = exposure_set(TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5), params, None)
    config = TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5, outlier_glyphs=glyphs)
    extended = exposure_set(config, params, None)
    renders = nondigit.SIZES["training"][0]
    assert len(extended) == len(base) + renders * len(glyphs) and torch.equal(extended[:len(base)], base)
    assert any(p.name.startswith("glyphs-") for p in (small_part / "outliers").iterdir())  # cached
    assert TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5, outlier_glyphs="").digest() == \
        TrainConfig(model="image-cnn", modality="image", outlier_exposure=0.5).digest() != config.digest()
