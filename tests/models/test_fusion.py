"""Every registered fusion strategy: shapes, gradients, missing modalities, weights."""

import pytest
import torch

from digitfusion.models import build_model
from digitfusion.models.fusions.late import LateFusion
from digitfusion.models.registry import fusion, fusion_names

TRAINED = fusion_names(trained=True)
LATE = fusion_names(family="late")
INTERMEDIATE = fusion_names(family="intermediate")


def small(name: str) -> dict:
    """Narrow encoders (or the one early CNN), so the tests run in a blink."""
    return {"width": 8} if fusion(name).family == "input" else {"image": {"width": 8}, "audio": {"width": 8}}


def weighted_fusions() -> list[str]:
    return [n for n in INTERMEDIATE if "weights" in build_model(n, **small(n)).eval()(inputs())]


def inputs(batch: int = 4) -> dict:
    torch.manual_seed(0)
    return {"image": torch.randn(batch, 1, 28, 28), "audio": torch.randn(batch, 1, 64, 101) * 10 - 40}


def test_registry_names_every_strategy_of_the_lab():
    """The lab's families are all there: early (input-level), intermediate (concat, attention, gated), seven late
    rules."""
    assert len(fusion_names(family="input")) == 1 and len(INTERMEDIATE) == 3 and len(LATE) == 7
    assert set(fusion_names()) == set(TRAINED) | set(LATE)
    assert fusion_names() == sorted(fusion_names(), key=lambda n: fusion(n).order)  # the report's order


@pytest.mark.parametrize("name", TRAINED)
def test_shapes_and_gradients_reach_both_encoders(name):
    model = build_model(name, **small(name)).train()
    out = model(inputs())
    assert out["logits"].shape == (4, 10)
    out["logits"].sum().backward()
    named = dict(model.named_parameters())
    first = {k: v for k, v in named.items() if v.grad is not None and v.grad.abs().sum() > 0}
    assert any("image" in k or "body.body.0" in k for k in first)
    assert any("audio" in k or "body.body.0" in k for k in first)


@pytest.mark.parametrize("name", TRAINED)
@pytest.mark.parametrize("missing", ["image", "audio"])
def test_missing_modality_answers_from_the_other(name, missing):
    model = build_model(name, **small(name)).eval()
    full = inputs()
    absent = {**full, missing: None}
    logits = model(absent)["logits"]
    assert logits.shape == (4, 10) and torch.isfinite(logits).all()
    # Changing the absent modality's tensor cannot change the answer: it is not read.
    changed = {**full, missing: full[missing] + 5.0, f"{missing}_mask": torch.zeros(4)}
    assert torch.allclose(model(changed)["logits"], logits, atol=1e-5)


@pytest.mark.parametrize("name", INTERMEDIATE)
def test_one_modality_is_answered_by_its_own_head(name):
    model = build_model(name, **small(name)).eval()
    full = inputs()
    with torch.no_grad():
        heads = {m: model.modality_heads[m](model.encoders[m](full[m])) for m in ("image", "audio")}
        assert torch.allclose(model({**full, "image": None})["logits"], heads["audio"], atol=1e-6)
        assert torch.allclose(model({**full, "audio": None})["logits"], heads["image"], atol=1e-6)
        # Per sample: pair 0 keeps both (the fused head answers), pair 1 loses its image, pair 2 its audio.
        masks = {"image_mask": torch.tensor([1.0, 0, 1, 1]), "audio_mask": torch.tensor([1.0, 1, 0, 1])}
        mixed = model({**full, **masks})
        both = model(full)["logits"]
    assert torch.allclose(mixed["logits"][[0, 3]], both[[0, 3]], atol=1e-6)
    assert torch.allclose(mixed["logits"][1], heads["audio"][1], atol=1e-6)
    assert torch.allclose(mixed["logits"][2], heads["image"][2], atol=1e-6)
    assert not torch.allclose(both, heads["image"], atol=1e-3)  # with both, the answer is the fused head's
    assert torch.equal(mixed["presence"], torch.stack([masks["image_mask"], masks["audio_mask"]], 1))


def test_two_fusions_weigh_the_modalities():
    assert len(weighted_fusions()) == 2  # attention and gated


@pytest.mark.parametrize("name", weighted_fusions())
def test_weighted_fusions_return_a_softmax_over_modalities(name):
    model = build_model(name, **small(name)).eval()
    weights = model(inputs())["weights"]
    assert weights.shape == (4, 2) and torch.allclose(weights.sum(1), torch.ones(4))
    only_audio = model({**inputs(), "image": None})["weights"]
    assert torch.equal(only_audio, torch.tensor([[0.0, 1.0]] * 4))


def test_both_missing_is_an_error():
    with pytest.raises(ValueError, match="both modalities are missing"):
        build_model(INTERMEDIATE[0], **small(INTERMEDIATE[0]))({"image": None, "audio": None})


def logits_for(labels: torch.Tensor, accuracy: float, seed: int) -> torch.Tensor:
    """Confident logits right on a fraction `accuracy` of the samples."""
    g = torch.Generator().manual_seed(seed)
    wrong = torch.rand(len(labels), generator=g) > accuracy
    predicted = torch.where(wrong, (labels + 1) % 10, labels)
    return torch.nn.functional.one_hot(predicted, 10).float() * 4 + torch.randn(len(labels), 10, generator=g) * 0.1


@pytest.mark.parametrize("name", LATE)
def test_late_rules_give_probabilities_and_handle_missing(name):
    labels = torch.arange(200) % 10
    fusion = late_rule(name).fit(logits_for(labels, 0.9, 1), logits_for(labels, 0.7, 2), labels)
    probs, weights = fusion.combine(logits_for(labels, 0.9, 3), logits_for(labels, 0.7, 4))
    assert probs.shape == (200, 10) and torch.allclose(probs.sum(1), torch.ones(200), atol=1e-5)
    assert weights.shape == (200, 2)
    alone, alone_weights = fusion.combine(logits_for(labels, 0.9, 3), None)
    assert torch.equal(alone.argmax(1), logits_for(labels, 0.9, 3).argmax(1))
    assert torch.equal(alone_weights, torch.tensor([[1.0, 0.0]] * 200))


def test_late_weights_depend_on_validation_only():
    """The weighted rule's weight is a function of the validation predictions it was fit on: fit on
    validation where the image is the better modality, it leans to the image, whatever the test side."""
    labels = torch.arange(500) % 10
    fusion = LateFusion("weighted").fit(logits_for(labels, 0.98, 1), logits_for(labels, 0.6, 2), labels)
    assert fusion.image_weight > 0.5
    flipped = LateFusion("weighted").fit(logits_for(labels, 0.6, 1), logits_for(labels, 0.98, 2), labels)
    assert flipped.image_weight < 0.5
    before = fusion.state()
    fusion.combine(logits_for(labels, 0.1, 5), logits_for(labels, 0.99, 6))  # combining never refits
    assert fusion.state() == before


def test_reliability_rule_trusts_the_calibrated_modality_on_disagreement():
    labels = torch.arange(400) % 10
    image_val, audio_val = logits_for(labels, 0.95, 1), logits_for(labels, 0.5, 2) * 3  # audio overconfident
    fusion = LateFusion("reliability").fit(image_val, audio_val, labels)
    assert fusion.temperature["audio"] > fusion.temperature["image"]
    image, audio = logits_for(labels, 0.95, 3), logits_for(labels, 0.5, 4) * 3
    probs, _ = fusion.combine(image, audio)
    mean, _ = LateFusion("mean").combine(image, audio)
    assert (probs.argmax(1) == labels).float().mean() > (mean.argmax(1) == labels).float().mean()


def test_stacking_state_round_trip():
    labels = torch.arange(200) % 10
    fusion = LateFusion("stacking").fit(logits_for(labels, 0.9, 1), logits_for(labels, 0.8, 2), labels)
    again = LateFusion.from_state(fusion.state())
    a, b = logits_for(labels, 0.9, 3), logits_for(labels, 0.8, 4)
    assert torch.allclose(fusion.combine(a, b)[0], again.combine(a, b)[0])


def late_rule(name: str) -> LateFusion:
    return fusion(name).build()


@pytest.mark.parametrize("name", INTERMEDIATE)
def test_any_encoder_can_be_fused(name):
    """The GRU encoder fuses like the CNN: the fused model is a composition, not a subclass wired to AudioCNN."""
    model = build_model(name, encoders={"audio": "audio-gru"}, image={"width": 8}).eval()
    assert type(model.encoders["audio"]).__name__ == "AudioGRU"
    assert model(inputs())["logits"].shape == (4, 10)


def test_an_encoder_of_the_wrong_modality_is_refused():
    with pytest.raises(ValueError, match="encodes the audio, not the image"):
        build_model(INTERMEDIATE[0], encoders={"image": "audio-cnn"})


@pytest.mark.parametrize("name", TRAINED)
def test_pair_outputs_equal_the_forward_pass(name):
    """What evaluation reads (`pair_outputs`, each unique item encoded once) is the model's own answer on the pairs."""
    model = build_model(name, **small(name)).eval()
    items = inputs(6)
    pairs = torch.tensor([[0, 1], [2, 2], [5, 0], [0, 1]])
    out = model.pair_outputs(items, pairs, lambda m, fn: fn(items[m]))
    with torch.no_grad():
        expected = model({"image": items["image"][pairs[:, 0]], "audio": items["audio"][pairs[:, 1]]})["logits"]
    assert torch.allclose(out["probs"], expected.softmax(1), atol=1e-6)
