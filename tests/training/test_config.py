"""TrainConfig: what changes the hash, and which seed draws the split."""

import pytest

from digitfusion.training import fit as fit_module
from digitfusion.training.config import TrainConfig


def test_a_split_seed_left_at_its_default_keeps_the_hash_of_configs_written_before_it():
    plain = TrainConfig(model="image-cnn", seed=1)
    assert TrainConfig(model="image-cnn", seed=1, split_seed=None).digest() == plain.digest()
    assert TrainConfig(model="image-cnn", seed=1, split_seed=0).digest() != plain.digest()


def test_a_split_seed_survives_the_round_trip(tmp_path):
    config = TrainConfig(model="image-cnn", seed=1, split_seed=0)
    (tmp_path / "config.json").write_text(config.to_json())
    assert TrainConfig.load(tmp_path / "config.json") == config


def test_the_split_is_drawn_with_split_seed_when_given():
    assert TrainConfig(seed=3).data_seed == 3
    assert TrainConfig(seed=3, split_seed=0).data_seed == 0


def test_fit_loads_the_split_of_split_seed(tmp_path, monkeypatch):
    seen = []

    def load_bundle(root, protocol, holdout, seed, **kwargs):
        seen.append(seed)
        raise RuntimeError("stop here")

    monkeypatch.setattr(fit_module, "load_bundle", load_bundle)
    with pytest.raises(RuntimeError, match="stop here"):
        fit_module.fit(TrainConfig(seed=2, split_seed=0), tmp_path / "data", tmp_path / "run", progress=False)
    assert seen == [0]
