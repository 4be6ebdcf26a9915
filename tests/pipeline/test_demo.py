"""The demo end to end on the real data, tiny config: every stage runs and writes a complete report."""

import json

from digitfusion.models.registry import fusion_names
from digitfusion.pipeline.run import run_pipeline


def test_report_is_complete(tiny_pipeline):
    html = (tiny_pipeline / "report.html").read_text()
    markdown = (tiny_pipeline / "report.md").read_text()
    for strategy in (*fusion_names(), "image-only", "audio-only", "lab-cnn (audio)"):
        assert f"| {strategy} |" in markdown, strategy
    for section in ("Results on the fixed test pairs", "Robustness", "When the modalities disagree",
                    "Confusion matrices", "Hardest pairs", "Training curves", "Data"):
        assert section in markdown and section in html
    assert html.count("data:image/png;base64,") >= 10 and "src=\"figures/" not in html  # self-contained
    assert "speakers in both" not in markdown or "george" in markdown


def test_every_protocol_has_manifests_and_results(tiny_pipeline):
    entries = json.loads((tiny_pipeline / "entries.json").read_text())
    assert {e["protocol"].split("-")[0] for e in entries["entries"]} == {"official", "speaker"}
    for entry in entries["entries"]:
        results = entry["results"]
        assert set(results["table"]) == {"clean", "degraded", "degraded image alone", "degraded audio alone",
                                         "image missing", "audio missing"}
        sweeps = results["sweeps"]
        assert set(sweeps) == {"audio_snr", "image_noise", "image_occlusion"}
        # every sweep starts from the same clean point (scored once, on the sweep's pairs)
        assert sweeps["image_noise"]["image noise 0.0"] == sweeps["image_occlusion"]["occlusion 0.0"]
        assert sweeps["image_noise"]["image noise 0.0"] == sweeps["audio_snr"]["snr clean"]
        assert "resolved" in results["disagreement"]


def test_second_run_reuses_models_and_gives_the_same_table(tiny_pipeline, real_root, caplog):
    before = (tiny_pipeline / "tables.md").read_text()
    with caplog.at_level("INFO", logger="digitfusion"):
        run_pipeline("tiny", real_root, tiny_pipeline, command="again")
    assert "training" not in caplog.text and "reused" in caplog.text
    assert (tiny_pipeline / "tables.md").read_text() == before


def test_evaluate_command_scores_existing_models_only(tiny_pipeline, tmp_path, capsys):
    from digitfusion.cli import main

    assert main(["evaluate", "--config", "tiny", "--out", str(tiny_pipeline)]) == 0
    assert "| late-product |" in capsys.readouterr().out
    assert main(["evaluate", "--config", "tiny", "--out", str(tmp_path / "empty")]) == 2
    assert "run `digitfusion demo` first" in capsys.readouterr().err
