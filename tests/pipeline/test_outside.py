"""The outside protocol end to end on generated corpora: a speech corpus and an image source held out together,
one image model shared by the holdout, per-corpus item scores, and the report's "never met" table."""

import dataclasses
import json

from digitfusion.pipeline import configs
from digitfusion.pipeline.run import run_pipeline
from tests.generate_corpora import make_audiomnist, make_optdigits


def test_outside_protocol_scores_only_what_no_model_met(tiny_root, tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    for name in ("mnist", "fsdd"):
        (root / name).symlink_to(tiny_root / name)
    make_optdigits(root, per_digit=6)
    make_audiomnist(root, speakers=2, takes=1)
    outside = dataclasses.replace(configs.CONFIGS["tiny"], name="outside-test", size="tiny",
                                  protocols=["leave-corpus-out:audiomnist+optdigits"], corpora=["fsdd", "audiomnist"],
                                  images=["mnist", "optdigits"], sweep_groups=(), baseline_seeds=[])
    monkeypatch.setitem(configs.CONFIGS, "outside-test", outside)
    out = tmp_path / "run"
    run_pipeline("outside-test", root, out)

    entry = json.loads((out / "entries.json").read_text())["entries"][0]
    assert entry["protocol"] == "leave-corpus-out-audiomnist+optdigits"
    items = entry["results"]["items"]
    assert list(items["audio"]["by_corpus"]) == ["audiomnist"] and items["audio"]["all"]["n"] == 20
    assert items["audio"]["by_corpus"]["audiomnist"]["speakers"] == 2
    assert list(items["image"]["by_source"]) == ["optdigits"] and items["image"]["all"]["n"] == 60
    assert (out / "seed0" / "leave-corpus-out-optdigits-image-cnn" / "model.safetensors").is_file()
    image_config = json.loads((out / "seed0" / "leave-corpus-out-optdigits-image-cnn" / "config.json").read_text())
    assert image_config["holdout"] == "optdigits"  # the image model never saw the held-out writers
    report = (out / "report.md").read_text()
    assert "People it never met" in report and "| audiomnist+optdigits | audiomnist | 20 | 2 |" in report
    validation = entry["results"]["validation"]
    assert set(validation) == {"clean", "image missing", "audio missing", "noisy audio", "degraded"}
    assert "The strategy users get, chosen on validation" in report
    # The hardest-pairs gallery draws MNIST test images only: with other image sources it says so, not draws wrong ones.
    assert "The gallery shows MNIST test pairs; config outside-test's test images come from mnist, optdigits" in report
