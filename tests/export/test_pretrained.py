"""The model shipped in the package: intact (checksums), current (its recorded recipe hash is the code's), small,
and the default of predict / app / the API."""

import dataclasses
import json

import pytest

from digitfusion.errors import DigitfusionError
from digitfusion.export.pretrained import (
    PRETRAINED_DIR,
    RECIPE,
    recipe_detectors,
    recipe_fusion,
    recipe_hash,
    recorded_hash,
)
from digitfusion.export.runtime import CARD, ExportedRunner, verify_folder

# A few MB in the wheel: the speech embedding's front end (1.3 MB) and, since stop 33, three width-32 image CNNs
# (the one answering an image alone, the fusion's, the outlier detector) make it about 7.
MAX_SHIPPED_BYTES = 8 * 1024 * 1024


def test_the_shipped_model_matches_its_checksums():
    checksums = verify_folder(PRETRAINED_DIR)  # raises on a missing or altered file
    assert set(checksums) == {"model.onnx", "preprocessing.json", "model_card.md"}


def test_the_shipped_model_is_what_make_model_trains_today():
    assert recorded_hash() == recipe_hash(), "the shipped model is stale: run `make model`"
    assert f"`{recipe_hash()}`" in (PRETRAINED_DIR / CARD).read_text()
    preprocessing = json.loads((PRETRAINED_DIR / "preprocessing.json").read_text())
    assert (preprocessing["strategy"], preprocessing["protocol"], preprocessing["seed"]) == \
        (recipe_fusion(), RECIPE["protocol"], RECIPE["seed"])


def test_the_shipped_model_carries_today_s_choices_made_at_export():
    """The lone-modality heads and the typicality test are chosen at export: a folder exported before them would
    answer an image alone with another head and flag no outlier."""
    preprocessing = json.loads((PRETRAINED_DIR / "preprocessing.json").read_text())
    alone = preprocessing["alone"]
    assert alone["image"] in ("fused_logits", "image_logits") and alone["audio"] in ("fused_logits", "audio_logits")
    assert "modality alone | head | mean % |" in (PRETRAINED_DIR / CARD).read_text()
    typical = preprocessing["abstention"]["typical"]
    assert set(typical) == {"image", "audio"}
    assert all(t["whitening"]["shape"][0] == t["means"]["shape"][1] for t in typical.values())
    # the typicality test judges each modality's own head (the unimodal model's features), not the fusion's encoder
    assert {m: t.get("output") for m, t in typical.items()} == {"image": "image_head_embedding",
                                                                "audio": "audio_head_embedding"}
    # the recipe's outlier detectors are in the graph, each the one `make model` trains today, and calibrated
    assert preprocessing["detectors"] == {m: [c.digest() for c in recipe_detectors(m)] for m in RECIPE["detectors"]}
    assert {m for m, t in typical.items() if "detector" in t} == set(RECIPE["detectors"])


def test_the_recipe_hash_follows_the_code(monkeypatch):
    from digitfusion.training import recipe

    before = recipe_hash()
    size = recipe.SIZES[RECIPE["size"]]
    monkeypatch.setitem(recipe.SIZES, RECIPE["size"], dataclasses.replace(size, image={"epochs": 1}))
    assert recipe_hash() != before  # an encoder's recipe changes the fused model's hash


def test_the_shipped_model_is_small_and_carded():
    size = sum(p.stat().st_size for p in PRETRAINED_DIR.iterdir() if p.is_file())
    assert size <= MAX_SHIPPED_BYTES, f"{size / 1e6:.1f} MB"
    card = (PRETRAINED_DIR / CARD).read_text()
    assert "CC BY-SA 4.0" in card and "MNIST" in card and "Free Spoken Digit Dataset" in card
    for name in (*RECIPE["corpora"], *RECIPE["images"]):  # every corpus it learnt from, with its licence
        assert f"\n- {name}: " in card, name
    assert "| head | temperature | ECE % before | ECE % after |" in card


def test_without_model_the_shipped_one_answers(tmp_path, monkeypatch):
    from digitfusion import Recognizer

    monkeypatch.chdir(tmp_path)  # no model/ folder here
    assert ExportedRunner().folder == PRETRAINED_DIR
    assert Recognizer.load().runner.folder == PRETRAINED_DIR


@pytest.mark.integration
def test_export_for_the_shipped_model_refuses_another_recipe(tiny_pipeline, real_root, tmp_path):
    from digitfusion.export.build import export_model

    with pytest.raises(DigitfusionError, match="not the shipped model's recipe"):
        export_model(tiny_pipeline, tmp_path / "m", real_root, expected_hash=recipe_hash())
    assert not (tmp_path / "m").exists()
