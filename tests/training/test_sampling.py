"""Corpus weights: the share of each corpus an epoch sees, fixed by (seed, epoch), refused when meaningless."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from digitfusion.errors import DigitfusionError
from digitfusion.training.config import TrainConfig
from digitfusion.training.data import EpochShuffle, PairDataset
from digitfusion.training.sampling import check_weights, epoch_rows, epoch_sampler

GROUPS = ["synthetic"] * 80 + ["fsdd"] * 40 + ["speech-commands"] * 10


def corpus_counts(rows: np.ndarray) -> Counter:
    return Counter(GROUPS[i] for i in rows)


def test_a_weight_below_one_keeps_that_share_and_redraws_it_each_epoch():
    weights = {"synthetic": 0.25}
    first, second = epoch_rows(GROUPS, weights, 0, 0), epoch_rows(GROUPS, weights, 0, 1)
    assert corpus_counts(first) == {"synthetic": 20, "fsdd": 40, "speech-commands": 10}
    assert len(first) == len(second) and not np.array_equal(first, second)
    assert np.array_equal(first, epoch_rows(GROUPS, weights, 0, 0))  # fixed by (seed, epoch)


def test_a_weight_above_one_repeats_the_corpus():
    rows = epoch_rows(GROUPS, {"speech-commands": 2.5}, 3, 0)
    counts = corpus_counts(rows)
    assert counts["speech-commands"] == 25 and counts["synthetic"] == 80
    assert max(Counter(rows.tolist()).values()) == 3  # whole copies plus a share of a third


def test_no_effective_weight_keeps_the_plain_shuffle():
    assert epoch_sampler(GROUPS, {}, 0) is None
    assert epoch_sampler(GROUPS, {"fsdd": 1}, 0) is None


def test_the_sampler_walks_the_epoch_rows_in_a_shuffled_order():
    rows = epoch_sampler(GROUPS, {"synthetic": 0.5}, 0)
    sampler = EpochShuffle(len(GROUPS), 0, rows)
    sampler.set_epoch(2)
    order = list(sampler)
    assert len(order) == len(sampler) == 90
    assert sorted(order) == rows(2).tolist() and order != sorted(order)


class FakeSide:
    def __init__(self):
        import torch

        self.image_labels = torch.arange(20) % 10
        self.audio_labels = torch.arange(len(GROUPS)) % 10
        self.audio_corpus = GROUPS


def test_training_pairs_draw_only_from_the_epoch_recordings():
    rows = epoch_sampler(GROUPS, {"synthetic": 0.0}, 0)
    pairs = PairDataset(FakeSide(), 0, audio_rows=rows).pairs.numpy()
    assert set(pairs[:, 1].tolist()) <= set(range(80, 130))  # no synthetic recording is paired
    side = FakeSide()
    assert (side.image_labels[pairs[:, 0]] == side.audio_labels[pairs[:, 1]]).all()


@pytest.mark.parametrize("weights, problem", [({"timit": 0.5}, "is not one of"), ({"fsdd": -1}, ">= 0"),
                                              ({"fsdd": "half"}, ">= 0")])
def test_bad_weights_are_refused(weights, problem):
    with pytest.raises(DigitfusionError, match=problem):
        check_weights(weights, ["fsdd", "synthetic"])


def test_weights_enter_the_hash_only_when_given_and_only_for_what_reads_speech():
    plain = TrainConfig(model="audio-cnn", modality="audio")
    weighted = TrainConfig(model="audio-cnn", modality="audio", corpus_weights={"fsdd": 0.5})
    assert plain.digest() != weighted.digest()
    image = TrainConfig(model="image-cnn", modality="image")
    assert image.digest() == TrainConfig(model="image-cnn", modality="image", corpus_weights={"fsdd": 2}).digest()
