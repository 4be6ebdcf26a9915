"""`make model`'s recipe trains the encoders, the outlier detectors and the fusion, each into its own run folder."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from digitfusion.export.pretrained import RECIPE, recipe_detectors, recipe_encoders, recipe_fusion
from digitfusion.pipeline import pretrained
from digitfusion.pipeline.pretrained import detector_dirs, encoder_dirs, train_recipe


def test_each_detector_lives_beside_its_modality_s_encoder(tmp_path):
    runs = encoder_dirs(tmp_path, "official")
    assert runs == {"image": tmp_path / "seed0" / "image-cnn",
                    "audio": tmp_path / "seed0" / "official" / recipe_encoders()["audio"]}
    detectors = detector_dirs(runs)
    assert set(detectors) == set(RECIPE["detectors"])
    for modality, folders in detectors.items():
        spec = RECIPE["detectors"][modality]
        seeds = spec.get("seeds", [RECIPE["seed"]])
        assert [folder.parent for folder in folders] == [runs[modality].parent] * len(seeds)
        assert [folder.name for folder in folders] == [
            f"{spec['model']}-detector" + ("" if seed == RECIPE["seed"] else f"-seed{seed}") for seed in seeds]


def test_a_detector_is_its_model_s_recipe_with_the_overrides():
    for modality, spec in RECIPE["detectors"].items():
        for config in recipe_detectors(modality):
            assert (config.model, config.modality) == (spec["model"], modality)
            assert config.outlier_exposure > 0  # a detector is only worth shipping if it learnt what is not a digit
            for key, value in spec.items():
                assert key in ("model", "seeds") or getattr(config, key) == value


def test_a_detector_s_seeds_share_the_recipe_s_split(monkeypatch):
    """Each seed is a member trained on the recipe's split: its validation items are the calibration's."""
    import dataclasses

    from digitfusion.export import pretrained as recipe

    seed = RECIPE["seed"]
    monkeypatch.setitem(recipe.RECIPE, "detectors", {"image": {"model": "image-cnn", "outlier_exposure": 0.5,
                                                               "seeds": [seed + 1, seed, seed + 2]}})
    configs = recipe_detectors("image")
    assert [c.seed for c in configs] == [seed + 1, seed, seed + 2]
    assert [c.data_seed for c in configs] == [seed] * 3
    assert configs[1].split_seed is None  # the recipe's own seed keeps the hash it always had
    assert all(dataclasses.replace(c, seed=seed, split_seed=None) == configs[1] for c in configs)
    assert len({c.digest() for c in configs}) == 3
    runs = encoder_dirs(Path("p"), "official")
    assert [f.name for f in detector_dirs(runs)["image"]] == [
        f"image-cnn-detector-seed{seed + 1}", "image-cnn-detector", f"image-cnn-detector-seed{seed + 2}"]


def test_the_recipe_trains_the_detectors_before_the_fusion(tmp_path, monkeypatch):
    from digitfusion.training.config import front_end_params

    trained = []
    monkeypatch.setattr(pretrained, "load_bundle", lambda *a, params, **k: SimpleNamespace(
        split=SimpleNamespace(name="official"), params=params))
    monkeypatch.setattr(pretrained, "write_protocol_files", lambda *a, **k: None)

    def ensure_run(config, root, run, bundle, *a, **k):
        # each model that reads audio gets the features of its own front end (stop 33's log-mel detector was
        # validated on the speech embedding's)
        assert config.modality == "image" or bundle.params == front_end_params(config.features), config.model
        trained.append((config.model, Path(run)))
        return {"val_acc": 0.9}

    monkeypatch.setattr(pretrained, "ensure_run", ensure_run)
    assert train_recipe(Path("data"), tmp_path) == "official"
    folders = [run for _, run in trained]
    detectors = detector_dirs(encoder_dirs(tmp_path, "official"))
    assert {folder for members in detectors.values() for folder in members} <= set(folders)
    assert trained[-1][0] == recipe_fusion()  # last: it is initialised from the encoders
    assert len(trained) == 3 + sum(map(len, detectors.values()))


def test_a_recipe_run_at_chance_is_refused(tmp_path):
    from digitfusion.errors import DigitfusionError
    from digitfusion.pipeline.pretrained import refuse_failed

    assert refuse_failed({"val_acc": 0.92}, tmp_path) == {"val_acc": 0.92}
    assert refuse_failed({}, tmp_path) == {}  # another process of a DDP run has no summary
    with pytest.raises(DigitfusionError, match="validation accuracy 9.6 % .*this training failed"):
        refuse_failed({"val_acc": 0.096}, tmp_path)
