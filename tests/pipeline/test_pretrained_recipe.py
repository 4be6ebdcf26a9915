"""`make model`'s recipe trains the encoders, the outlier detectors and the fusion, each into its own run folder."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from digitfusion.export.pretrained import RECIPE, recipe_detector, recipe_encoders, recipe_fusion
from digitfusion.pipeline import pretrained
from digitfusion.pipeline.pretrained import detector_dirs, encoder_dirs, train_recipe


def test_each_detector_lives_beside_its_modality_s_encoder(tmp_path):
    runs = encoder_dirs(tmp_path, "official")
    assert runs == {"image": tmp_path / "seed0" / "image-cnn",
                    "audio": tmp_path / "seed0" / "official" / recipe_encoders()["audio"]}
    detectors = detector_dirs(runs)
    assert set(detectors) == set(RECIPE["detectors"])
    for modality, folder in detectors.items():
        assert folder.parent == runs[modality].parent
        assert folder.name == f"{RECIPE['detectors'][modality]['model']}-detector"


def test_a_detector_is_its_model_s_recipe_with_the_overrides():
    for modality, spec in RECIPE["detectors"].items():
        config = recipe_detector(modality)
        assert (config.model, config.modality) == (spec["model"], modality)
        assert config.outlier_exposure > 0  # a detector is only worth shipping if it learnt what is not a digit
        for key, value in spec.items():
            assert key == "model" or getattr(config, key) == value


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
    assert set(detectors.values()) <= set(folders)
    assert trained[-1][0] == recipe_fusion()  # last: it is initialised from the encoders
    assert len(trained) == 3 + len(detectors)


def test_a_recipe_run_at_chance_is_refused(tmp_path):
    from digitfusion.errors import DigitfusionError
    from digitfusion.pipeline.pretrained import refuse_failed

    assert refuse_failed({"val_acc": 0.92}, tmp_path) == {"val_acc": 0.92}
    assert refuse_failed({}, tmp_path) == {}  # another process of a DDP run has no summary
    with pytest.raises(DigitfusionError, match="validation accuracy 9.6 % .*this training failed"):
        refuse_failed({"val_acc": 0.096}, tmp_path)
