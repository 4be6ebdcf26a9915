"""The report's abstention section renders from a bench results.json (generated here), and says when none exists."""

import json

from digitfusion.report.abstention import RESULTS, abstention_section
from digitfusion.report.document import Document


def results() -> dict:
    row = {"n": 4, "ok": 0.75, "unsure": 0.25, "rejected": 0.0, "accepted_acc": 1.0, "accepted_errors": 0,
           "all_acc": 0.75}
    odd = {"n": 4, "ok": 0.25, "unsure": 0.5, "rejected": 0.25, "refused": 0.0, "caught": 0.75}
    curve = {"coverage": [0.5, 1.0], "accuracy": [1.0, 0.75]}
    cases = ("both", "image only", "audio only")
    return {"calibration": {"voicing": {"correlation": 0.6, "threshold": 0.03, "recordings": 300,
                                        "validation speech kept": {"clean": 0.99, "0": 0.93}}},
            "test": {c: dict.fromkeys(cases, row) for c in ("clean", "degraded")},
            "non_digit": {"image only": odd, "audio only": odd, "both": {**odd, "caught": 0.96}},
            "curves": {c: dict.fromkeys(("image", "audio", "fused"), curve) for c in ("clean", "degraded")},
            "app_silent": {"status_code": 400, "body": {"error": "silence.wav: is silent: no speech found"}}}


def test_section_renders_targets_shares_voicing_and_the_figure(tmp_path):
    (tmp_path / RESULTS).parent.mkdir(parents=True)
    (tmp_path / RESULTS).write_text(json.dumps(results()))
    doc = Document("t")
    abstention_section(doc, tmp_path, tmp_path / "figures")
    text = doc.to_markdown(tmp_path)
    assert "| non-digit inputs (held-out half) rejected or unsure: image only | 75.0 | >= 95 % | **missed** |" in text
    assert "| non-digit inputs (held-out half) rejected or unsure: both | 96.0 | >= 95 % | met |" in text
    assert "| 0 dB | 300 | 93.0 |" in text and "frame test 0.6" in text
    assert (tmp_path / "figures" / "abstention-coverage.png").stat().st_size > 1000
    assert "font-drawn" not in text  # results written before that measure have no such table


def test_section_shows_what_the_outlier_tests_cost_font_drawn_digits(tmp_path):
    (tmp_path / RESULTS).parent.mkdir(parents=True)
    fonts = {"n": 300, "ok": 0.8833, "unsure": 0.09, "rejected": 0.0267, "accuracy": 0.95, "accuracy of ok": 0.9925}
    (tmp_path / RESULTS).write_text(json.dumps({**results(), "font_drawn": fonts}))
    doc = Document("t")
    abstention_section(doc, tmp_path, tmp_path / "figures")
    assert "| 300 | 88.33 | 9.00 | 2.67 | 95.00 | 99.25 |" in doc.to_markdown(tmp_path)


def test_section_without_results_says_how_to_measure(tmp_path):
    doc = Document("t")
    abstention_section(doc, tmp_path, tmp_path / "figures")
    assert "bench/abstention.py" in doc.to_markdown(tmp_path)
