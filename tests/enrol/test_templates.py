"""Word templates: the batched DTW against librosa's, and the templates' evidence in a profile's answer."""

from dataclasses import replace

import librosa
import numpy as np
import pytest

from digitfusion.enrol.methods import Bank, MethodParams, adapt, log_softmax, template_distances, with_templates
from digitfusion.enrol.templates import distances, dtw_costs, gate_weight, profile_scale


def sequences(seed: int, count: int, dim: int = 4):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(int(rng.integers(3, 25)), dim)).astype(np.float32) for _ in range(count)]


def test_batched_dtw_equals_librosa_pair_by_pair():
    queries, templates = sequences(0, 5), sequences(1, 7)
    ours = dtw_costs(queries, templates)
    reference = np.array([[librosa.sequence.dtw(X=q.T, Y=t.T, metric="euclidean")[0][-1, -1] / (len(q) + len(t))
                           for t in templates] for q in queries])
    assert np.allclose(ours, reference, rtol=1e-6, atol=1e-9)


def test_dtw_is_zero_on_itself_and_ignores_a_time_stretch():
    word = sequences(2, 1)[0]
    stretched = np.repeat(word, 2, axis=0)
    costs = dtw_costs([word, stretched], [word])
    assert costs[0, 0] == 0 and costs[1, 0] == 0


def spoken_digits(seed: int, speaker_shift: float = 0.0, takes: int = 1):
    """Generated 'words': each digit a fixed random frame path, each take evenly stretched and noisy; a speaker
    shifts every frame (a voice and microphone colouring)."""
    rng = np.random.default_rng(100)
    paths = [rng.normal(size=(int(rng.integers(8, 16)), 13)) for _ in range(10)]
    take_rng = np.random.default_rng(seed)
    out, labels = [], []
    for digit in range(10):
        for _ in range(takes):
            path = paths[digit]
            index = np.round(np.linspace(0, len(path) - 1, len(path) + int(take_rng.integers(-3, 6)))).astype(int)
            out.append((path[index] + speaker_shift + 0.1 * take_rng.normal(size=(len(index), 13))).astype(np.float32))
            labels.append(digit)
    return out, np.array(labels)


def test_templates_recognise_the_person_and_fade_out_for_someone_else():
    templates, labels = spoken_digits(seed=1)
    own, truth = spoken_digits(seed=2, takes=3)
    stranger, _ = spoken_digits(seed=3, speaker_shift=2.0)
    scale = profile_scale(templates, labels)
    found = distances(templates, labels, scale, own)
    assert (found.argmin(axis=1) == truth).mean() == 1.0
    assert found.min(axis=1).max() < 1.0 < distances(templates, labels, scale, stranger).min(axis=1).min()
    assert gate_weight(np.array([0.5, 0.6, 0.7]), 0.6).round(3).tolist() == [1.0, 0.5, 0.0]


def test_templates_move_an_uninformed_model_to_the_person_and_leave_strangers_alone():
    templates, labels = spoken_digits(seed=1)
    own, truth = spoken_digits(seed=2)
    stranger, _ = spoken_digits(seed=3, speaker_shift=3.0)
    bank = Bank(np.eye(10, dtype=np.float32), labels, templates)
    params = MethodParams("ridge", weight=0.0, template_weight=4.0, template_temperature=0.02, template_gate=1.2)
    base = np.random.default_rng(0).normal(size=(10, 10))
    embeddings = np.eye(10, dtype=np.float32)
    found = template_distances(bank, params, own)
    assert (adapt(base, embeddings, bank, params, found).argmax(1) == truth).all()
    far = template_distances(bank, params, stranger)
    assert np.allclose(adapt(base, embeddings, bank, params, far), log_softmax(base), atol=1e-6)
    assert template_distances(bank, params, None) is None  # no frames: the base model


def test_the_voice_gate_lets_the_embeddings_adapt_the_person_only():
    """With `voice_gate`, the templates' distance (not the embeddings' closeness) decides which recordings the
    embedding method adapts: the person's own, however unlike their examples the embeddings are."""
    templates, labels = spoken_digits(seed=1)
    own, truth = spoken_digits(seed=2)
    stranger, _ = spoken_digits(seed=3, speaker_shift=3.0)
    bank = Bank(np.eye(10, dtype=np.float32), labels, templates)
    embeddings = np.eye(10, dtype=np.float32)  # queries whose embeddings point at their own digit
    base = np.random.default_rng(0).normal(size=(10, 10))
    params = MethodParams("ridge", weight=1.0, temperature=0.05, gate=np.inf, voice_gate=1.0)  # embeddings: never
    found_own, found_far = (template_distances(bank, replace(params, template_weight=1.0), q) for q in (own, stranger))
    assert (adapt(base, embeddings, bank, params, found_own).argmax(1) == truth).all()
    assert np.allclose(adapt(base, embeddings, bank, params, found_far), log_softmax(base))
    # without the voice gate the embeddings' gate decides, which lets no query through here
    embedding_gated = replace(params, voice_gate=None)
    assert np.allclose(adapt(base, embeddings, bank, embedding_gated, found_own), log_softmax(base))


def test_digits_not_enrolled_keep_their_base_probability():
    log_probs = log_softmax(np.random.default_rng(0).normal(size=(3, 10)))
    found = np.full((3, 10), np.inf)
    found[:, :4] = [[0.2, 0.9, 0.8, 1.0]] * 3
    out = with_templates(log_probs, found, MethodParams(template_weight=3.0, template_gate=2.0))
    assert np.allclose(np.exp(out).sum(axis=1), 1.0)
    assert np.allclose(out[:, 4:], log_probs[:, 4:])
    assert (out[:, 0] > log_probs[:, 0]).all()


@pytest.mark.parametrize("labels", [np.zeros(3, int)])
def test_one_enrolled_digit_has_no_scale_and_adds_nothing(labels):
    templates = sequences(4, len(labels))
    assert profile_scale(templates, labels) is None
    bank = Bank(np.ones((3, 2), np.float32), labels, templates)
    base = np.random.default_rng(1).normal(size=(2, 10))
    params = MethodParams(weight=0.0, template_weight=2.0)
    assert template_distances(bank, params, sequences(5, 2)) is None
    assert np.allclose(adapt(base, np.ones((2, 2)), bank, params), log_softmax(base))


def test_chunked_queries_give_the_same_costs(monkeypatch):
    from digitfusion.enrol import templates

    queries, refs = sequences(6, 9), sequences(7, 4)
    whole = dtw_costs(queries, refs)
    monkeypatch.setattr(templates, "MAX_PAIRS", 8)  # two queries per chunk
    assert np.array_equal(dtw_costs(queries, refs), whole)
