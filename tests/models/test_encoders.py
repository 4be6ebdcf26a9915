import pytest
import torch

from digitfusion.models import build_model, modality_of
from digitfusion.models.encoders import (
    AudioCNN,
    AudioGRU,
    ImageCNN,
    SpeechEmbeddingHead,
    TunedSpeechEmbeddingHead,
    UtteranceNorm,
)
from digitfusion.models.registry import model_names

INPUTS = {"image-cnn": (4, 1, 28, 28), "audio-cnn": (4, 1, 64, 101), "audio-gru": (4, 1, 64, 101),
          "lab-cnn": (4, 1, 128, 241), "audio-embed": (4, 1, 9, 96), "audio-embed-tuned": (4, 72, 31, 4)}
PAIR = {"image": (4, 1, 28, 28), "audio": (4, 1, 64, 101)}


@pytest.mark.parametrize("encoder,shape", [(ImageCNN(), (3, 1, 28, 28)), (AudioCNN(), (3, 1, 64, 101)),
                                           (AudioGRU(), (3, 1, 64, 101)),
                                           (SpeechEmbeddingHead(), (3, 1, 9, 96))])
def test_encoders_give_feature_vectors(encoder, shape):
    assert encoder.eval()(torch.randn(*shape)).shape == (3, encoder.feature_dim)


@pytest.mark.parametrize("encoder", [AudioCNN(), AudioGRU()])
@pytest.mark.parametrize("frames", [37, 101, 250])
def test_audio_encoders_take_any_length(encoder, frames):
    assert encoder.eval()(torch.randn(2, 1, 64, frames)).shape == (2, encoder.feature_dim)


def test_speech_embedding_head_reads_any_number_of_windows():
    head = SpeechEmbeddingHead(width=16).eval()
    assert head(torch.randn(2, 1, 4, 96)).shape == head(torch.randn(2, 1, 13, 96)).shape == (2, head.feature_dim)


def test_the_tuned_head_starts_as_the_head_over_the_frozen_embedding():
    """Before training, the tuned encoder's blocks are the embedding's own: with the same head it answers as
    SpeechEmbeddingHead reading the frozen embedding; only its blocks carry an lr_scale."""
    from digitfusion.features.speech_embedding import SpeechEmbeddingParams, SpeechEmbeddingStemParams

    torch.manual_seed(0)
    clips = torch.randn(3, 8000) * 0.1
    tuned, frozen = TunedSpeechEmbeddingHead(width=16).eval(), SpeechEmbeddingHead(width=16).eval()
    frozen.load_state_dict(tuned.head.state_dict())
    with torch.no_grad():
        got = tuned(SpeechEmbeddingStemParams().frontend()(clips))
        expected = frozen(SpeechEmbeddingParams().frontend()(clips))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    assert tuned.blocks.lr_scale == 1 / 30 and all(p.requires_grad for p in tuned.blocks.parameters())
    assert [m for m in tuned.modules() if hasattr(m, "lr_scale")] == [tuned.blocks]


def test_utterance_norm_ignores_gain_and_padding_level():
    feats = torch.randn(2, 1, 64, 101) * 10 - 40
    norm = UtteranceNorm()
    assert torch.allclose(norm(feats), norm(feats + 12.0), atol=1e-4)  # +12 dB gain changes nothing


def test_utterance_norm_removes_a_fixed_channel_colouring():
    """A microphone's or a phone line's fixed response adds the same dB to a band in every frame: the per-band
    mean over time takes it out (the channel ops of the augmentation then only teach what it cannot remove:
    lost bands, reverberation, noise)."""
    feats = torch.randn(2, 1, 64, 101) * 10 - 40
    tilt = torch.linspace(-8.0, 6.0, 64).view(1, 1, 64, 1)  # a bass cut and a presence boost, in dB
    norm = UtteranceNorm()
    assert torch.allclose(norm(feats), norm(feats + tilt), atol=1e-4)
    assert not torch.allclose(feats - feats.mean(), feats + tilt - (feats + tilt).mean(), atol=1)


@pytest.mark.parametrize("name", model_names())
def test_every_model_overfits_one_batch(name):
    torch.manual_seed(0)
    model = build_model(name)
    modality = modality_of(name)
    shapes = PAIR if modality == "pair" else {modality: INPUTS[name]}
    inputs = {key: torch.randn(*shape) for key, shape in shapes.items()}
    labels = torch.tensor([0, 3, 5, 9])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(model(inputs)["logits"], labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    assert loss.item() < 0.1
    assert (model(inputs)["logits"].argmax(1) == labels).all()


def test_missing_modality_is_a_clear_error():
    with pytest.raises(ValueError, match="image input is missing"):
        build_model("image-cnn")({"audio": torch.zeros(1, 1, 64, 101)})


def test_image_pooling_equals_adaptive_pooling_on_mnist_maps():
    maps = torch.randn(2, 8, 7, 7)
    assert torch.allclose(ImageCNN().pool(maps), torch.nn.AdaptiveAvgPool2d(3)(maps))
