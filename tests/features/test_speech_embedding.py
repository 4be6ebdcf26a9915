"""The pretrained speech embedding rebuilt in torch: checked against onnxruntime on openWakeWord's own files."""

import numpy as np
import onnxruntime as ort
import pytest
import torch
from scipy.signal import resample_poly

from digitfusion.errors import DigitfusionError
from digitfusion.features import speech_embedding
from digitfusion.features.speech_embedding import SpeechEmbeddingParams, SpeechEmbeddingStemParams, weight_files
from digitfusion.features.speech_embedding_torch import (
    SpeechEmbedding,
    Upsample2,
    as_windows,
    chain_from_onnx,
    pretrained_top,
    split_blocks,
)


@pytest.fixture(scope="module")
def frontend():
    return SpeechEmbedding()


def onnxruntime_embedding(clip: np.ndarray) -> np.ndarray:
    """openWakeWord's own way, one clip at a time: its two ONNX files through onnxruntime [W, 96]."""
    files = weight_files()
    mel_session, embedding_session = (ort.InferenceSession(str(files[p])) for p in ("mel", "embedding"))
    wave = np.zeros(24000, np.float32)
    wave[4000:20000] = resample_poly(clip, 2, 1)
    mel = mel_session.run(None, {"input": (wave * 32767)[None]})[0][0, 0] / 10 + 2
    windows = np.stack([mel[s:s + 76] for s in range(0, mel.shape[0] - 75, 8)])[..., None].astype(np.float32)
    return embedding_session.run(None, {"input_1": windows})[0].reshape(len(windows), 96)


def speech_like(seed: int) -> np.ndarray:
    """A voiced-sounding clip: harmonics with a moving pitch under an envelope, in the middle of 1 s of 8 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(4000) / 8000
    pitch = rng.uniform(90, 250) * (1 + 0.2 * t)
    wave = sum(np.sin(2 * np.pi * k * np.cumsum(pitch) / 8000) / k for k in range(1, 8)) * np.hanning(4000)
    clip = np.zeros(8000, np.float32)
    clip[2000:6000] = 0.3 * wave / np.abs(wave).max() + rng.normal(0, 0.003, 4000)
    return clip


def test_upsampling_is_scipys_resample_poly():
    clips = np.random.default_rng(0).normal(0, 0.1, (3, 8000)).astype(np.float32)
    got = Upsample2()(torch.from_numpy(clips)).numpy()
    np.testing.assert_allclose(got, resample_poly(clips, 2, 1, axis=1), atol=1e-6)


def test_embeddings_match_onnxruntime_clip_by_clip(frontend):
    clips = np.stack([speech_like(seed) for seed in range(3)])
    with torch.no_grad():
        got = frontend(torch.from_numpy(clips)).numpy()
    assert got.shape == (3, 1, SpeechEmbeddingParams().windows, 96)
    for clip, embedding in zip(clips, got, strict=True):
        expected = onnxruntime_embedding(clip)
        assert np.abs(embedding[0] - expected).max() < 1e-3 * np.abs(expected).max()


def test_a_clip_does_not_depend_on_its_batch(frontend):
    """The ONNX graph floors its log-mel 80 dB under the batch's loudest frame; here each clip has its own."""
    quiet, loud = speech_like(1) * 0.01, speech_like(2)
    with torch.no_grad():
        alone = frontend(torch.from_numpy(quiet[None]))
        batched = frontend(torch.from_numpy(np.stack([quiet, loud])))[:1]
    torch.testing.assert_close(alone, batched, atol=1e-4, rtol=1e-4)


def test_the_front_end_is_frozen(frontend):
    frontend.train()
    assert not frontend.training and not any(p.requires_grad for p in frontend.parameters())


def test_an_operator_outside_the_chain_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), tmp_path / "odd.onnx")
    with pytest.raises(ValueError, match="Sigmoid is not supported"):
        chain_from_onnx(tmp_path / "odd.onnx")


def test_without_openwakeword_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(speech_embedding.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DigitfusionError, match="openwakeword"):
        weight_files()


def test_other_weights_are_refused(monkeypatch):
    monkeypatch.setitem(speech_embedding.SHA256, "mel", "0" * 64)
    with pytest.raises(DigitfusionError, match="sha256 differs"):
        weight_files()


def test_the_clip_is_the_log_mel_front_ends():
    wave = np.concatenate([np.zeros(3000), speech_like(0), np.zeros(5000)]).astype(np.float32)
    params = SpeechEmbeddingParams()
    np.testing.assert_array_equal(params.prepare(wave), params.clip.prepare(wave))
    assert params.digest() != SpeechEmbeddingParams(step=4).digest()


@pytest.mark.parametrize("open_blocks", [1, 2, 4])
def test_the_stem_then_the_pretrained_top_is_the_whole_embedding(frontend, open_blocks):
    """What a tuned head starts from is exactly the frozen embedding, wherever the network is cut."""
    clips = torch.from_numpy(np.stack([speech_like(seed) for seed in range(2)]))
    stem = SpeechEmbedding(SpeechEmbeddingStemParams(open_blocks=open_blocks))
    with torch.no_grad():
        activations = stem(clips)
        whole = frontend(clips)
        joined = as_windows(pretrained_top(open_blocks)(activations))
    assert activations.dim() == 4 and activations.shape[2] > whole.shape[2]  # more frames: not yet pooled
    torch.testing.assert_close(joined, whole, atol=1e-5, rtol=1e-5)


def test_the_default_stem_stops_before_the_last_two_blocks():
    with torch.no_grad():
        activations = SpeechEmbedding(SpeechEmbeddingStemParams())(torch.zeros(1, 8000))
    assert activations.shape == (1, 72, 31, 4)
    assert SpeechEmbeddingStemParams().digest() != SpeechEmbeddingParams().digest()


@pytest.mark.parametrize("open_blocks", [0, 5])
def test_a_cut_outside_the_network_is_refused(open_blocks):
    chain = chain_from_onnx(weight_files()["embedding"])
    with pytest.raises(ValueError, match="open_blocks must be 1 to 4"):
        split_blocks(chain, open_blocks)
