"""Enrolment methods on generated embeddings: each method moves answers towards the person's examples,
a digit outside the enrolment keeps the base probabilities, and weight 0 is the base model."""

import numpy as np
import pytest

from digitfusion.enrol.methods import METHODS, Bank, MethodParams, adapt, closeness, combine, log_softmax, scores


def voice(seed: int = 0, dim: int = 32, per_digit: int = 4, offset: float = 3.0):
    """A generated 'speaker': digit directions plus one shared offset (the voice), with noise."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(10, dim))
    shared = offset * rng.normal(size=dim)
    labels = np.repeat(np.arange(10), per_digit)
    embeddings = directions[labels] + shared + 0.3 * rng.normal(size=(len(labels), dim))
    return embeddings.astype(np.float32), labels


@pytest.mark.parametrize("name", METHODS)
def test_each_method_recognises_the_enrolled_voice(name):
    embeddings, labels = voice()
    bank = Bank(embeddings[::4], labels[::4])  # one example per digit
    queries, truth = embeddings[1::4], labels[1::4]
    base = np.zeros((len(queries), 10))  # a base model that knows nothing
    adapted = adapt(base, queries, bank, MethodParams(name, weight=1.0, temperature=0.1))
    assert (adapted.argmax(axis=1) == truth).mean() == 1.0


def test_weight_zero_is_the_base_model_and_probabilities_sum_to_one():
    embeddings, labels = voice()
    base = np.random.default_rng(1).normal(size=(len(labels), 10))
    bank = Bank(embeddings, labels)
    unchanged = adapt(base, embeddings, bank, MethodParams(weight=0.0))
    assert np.allclose(unchanged, log_softmax(base))
    mixed = adapt(base, embeddings, bank, MethodParams(weight=0.7))
    assert np.allclose(np.exp(mixed).sum(axis=1), 1.0)


def test_digits_outside_the_enrolment_keep_their_base_probabilities():
    embeddings, labels = voice()
    keep = labels < 6  # the person enrolled 0-5 only
    bank = Bank(embeddings[keep], labels[keep])
    base = np.random.default_rng(2).normal(size=(len(labels), 10))
    adapted = adapt(base, embeddings, bank, MethodParams(weight=0.8))
    assert np.allclose(np.exp(adapted[:, 6:]), np.exp(log_softmax(base))[:, 6:])
    assert not np.allclose(adapted[:, :6], log_softmax(base)[:, :6])
    assert np.isinf(scores(bank, embeddings, MethodParams())[:, 6:]).all()


def test_centring_removes_what_every_example_of_a_voice_shares():
    embeddings, labels = voice(offset=30.0)  # a voice offset that dominates the cosine
    bank = Bank(embeddings[::4], labels[::4])
    queries, truth = embeddings[2::4], labels[2::4]
    raw = scores(bank, queries, MethodParams(centre=False))
    centred = scores(bank, queries, MethodParams(centre=True))
    assert np.ptp(raw, axis=1).mean() < np.ptp(centred, axis=1).mean()
    assert (centred.argmax(axis=1) == truth).mean() == 1.0


def test_no_enrolled_digit_leaves_the_base_answer():
    base = np.random.default_rng(3).normal(size=(4, 10))
    assert np.allclose(combine(base, np.full((4, 10), -np.inf), MethodParams(weight=1.0)), log_softmax(base))


def test_unknown_method_is_refused():
    embeddings, labels = voice()
    with pytest.raises(ValueError, match="unknown enrolment method"):
        scores(Bank(embeddings, labels), embeddings, MethodParams(name="magic"))


def test_the_gate_keeps_another_voice_on_the_base_model_and_adapts_the_person():
    own, labels = voice(seed=0, offset=3.0)
    other, _ = voice(seed=5, offset=3.0)  # another person: other digit directions, another voice offset
    bank = Bank(own[::4], labels[::4])
    assert closeness(bank, own[1::4]).min() > closeness(bank, other).max()  # the ratio separates the two people
    base = np.random.default_rng(4).normal(size=(len(other), 10))
    params = MethodParams("ridge", weight=1.0, temperature=0.1, gate=0.5)
    assert np.allclose(adapt(base, other, bank, params), log_softmax(base))  # not the person: base answer
    queries, truth = own[1::4], labels[1::4]
    adapted = adapt(np.zeros((len(queries), 10)), queries, bank, params)
    assert (adapted.argmax(axis=1) == truth).mean() == 1.0  # the person: adapted as without a gate


def test_closeness_is_about_one_for_the_persons_own_examples_whatever_the_scale():
    embeddings, labels = voice()
    bank = Bank(embeddings, labels)
    ratio = closeness(bank, embeddings)
    assert np.allclose(ratio, closeness(Bank(7.0 * embeddings, labels), 0.1 * embeddings))
    assert 0.8 < ratio.mean() < 1.2
    assert np.allclose(closeness(Bank(embeddings[:1], labels[:1]), embeddings[:1]), 1.0)  # one example: cos / 1


def test_ridge_in_its_dual_form_is_the_usual_ridge_head():
    from digitfusion.enrol.methods import RIDGE_LAMBDA, unit

    embeddings, labels = voice(per_digit=2)
    bank = Bank(embeddings, labels)
    queries = np.random.default_rng(6).normal(size=(5, embeddings.shape[1]))
    examples, prepared = unit(embeddings.astype(np.float64)), unit(queries)
    targets = np.eye(10)[labels]
    primal = prepared @ np.linalg.solve(examples.T @ examples + RIDGE_LAMBDA * np.eye(examples.shape[1]),
                                        examples.T @ targets)
    params = MethodParams("ridge", centre=False)
    assert np.allclose(scores(bank, queries, params), primal)
    assert np.allclose(scores(bank, queries, params), primal)  # again, from the bank's cache
    assert ("ridge", False) in bank.cache
