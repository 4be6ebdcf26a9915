"""Report section: abstention and disagreement (issue 18), from `<run>/abstention/results.json`, written by
`python bench/abstention.py` after the model is exported (the test side and the held-out non-digit half)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt

from digitfusion.plots import save
from digitfusion.report.document import Document

RESULTS = Path("abstention") / "results.json"
COMMAND = "python bench/abstention.py --model model --run runs/demo"


def pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}"


def targets_rows(results: dict) -> list[list[str]]:
    """The issue's targets table: measure, measured, target, met."""
    nd = results["non_digit"]
    clean = results["test"]["clean"]["both"]
    app = results["app_silent"]
    rows = [[f"non-digit inputs (held-out half) rejected or unsure: {case}", pct(nd[case]["caught"], 1), ">= 95 %",
             nd[case]["caught"] >= 0.95] for case in ("image only", "audio only", "both")]
    rows.append(["clean FSDD/MNIST test pairs wrongly rejected", pct(clean["rejected"]), "<= 0.5 %",
                 clean["rejected"] <= 0.005])
    rows.append(["accuracy on accepted clean test pairs", pct(clean["accepted_acc"]), ">= 99.95 %",
                 (clean["accepted_acc"] or 0) >= 0.9995])
    rows.append(["silent recording through the app", f"HTTP {app['status_code']}: {app['body'].get('error', '')}",
                 "HTTP 400, the CLI's refusal", app["status_code"] == 400])
    return [[m, v, t, "met" if ok else "**missed**"] for m, v, t, ok in rows]


def shares_rows(results: dict) -> list[list[str]]:
    """Test pairs per condition and modalities present: ok / unsure / rejected and accuracy."""
    rows = []
    for condition, cases in results["test"].items():
        for case, r in cases.items():
            rows.append([condition, case, r["n"], pct(r["ok"]), pct(r["unsure"]), pct(r["rejected"]),
                         pct(r["accepted_acc"]), r["accepted_errors"], pct(r["all_acc"])])
    return rows


def non_digit_rows(results: dict) -> list[list[str]]:
    return [[case, r["n"], pct(r["refused"], 1), pct(r["rejected"], 1), pct(r["unsure"], 1), pct(r["ok"], 1)]
            for case, r in results["non_digit"].items()]


def voicing_rows(results: dict) -> list[list[str]]:
    """The speech check chosen on validation: share of validation speech kept at each SNR."""
    voicing = results["calibration"].get("voicing")
    if voicing is None:
        return []
    kept = voicing["validation speech kept"]
    return [[snr if snr == "clean" else f"{snr} dB", voicing["recordings"], pct(share, 1)]
            for snr, share in kept.items()]


def font_rows(results: dict) -> list[list]:
    """Unusual but real digits (font-drawn, an image alone each): what the outlier tests cost other hands."""
    fonts = results.get("font_drawn")
    if fonts is None:
        return []
    return [[fonts["n"], *(pct(fonts[k]) for k in ("ok", "unsure", "rejected", "accuracy", "accuracy of ok"))]]


FONT_HEADER = ["font-drawn digits, image alone", "ok %", "unsure %", "rejected %", "accuracy %", "accuracy of ok %"]
VOICING_HEADER = ["validation speech (SNR)", "recordings", "kept by the speech check %"]
SHARES_HEADER = ["condition", "present", "pairs", "ok %", "unsure %", "rejected %", "accuracy of ok %",
                 "errors among ok", "accuracy of every answer %"]
NON_DIGIT_HEADER = ["present", "items", "refused at input %", "rejected % (refusals included)", "unsure %",
                    "accepted (ok) %"]
TARGETS_HEADER = ["measure", "measured", "target", ""]


def curves_figure(results: dict) -> plt.Figure:
    """Accuracy of the answers kept vs the share kept (most confident first), per head, clean and degraded."""
    fig, axes = plt.subplots(1, len(results["curves"]), figsize=(10, 3.6), constrained_layout=True, squeeze=False)
    for ax, (condition, heads) in zip(axes[0], results["curves"].items(), strict=True):
        for head, c in heads.items():
            ax.plot(c["coverage"], [100 * a for a in c["accuracy"]], label=head)
        ax.set(title=f"{condition} test pairs", xlabel="coverage (share answered)", ylabel="accuracy of answered %")
        ax.grid(True, alpha=0.3)
        ax.legend()
    return fig


def abstention_section(doc: Document, out: Path, figures: Path) -> None:
    doc.heading("Knowing when not to answer (abstention)")
    path = out / RESULTS
    if not path.is_file():
        doc.text(f"Not measured for this run: export the model, then `{COMMAND}` and rebuild the report.")
        return
    results = json.loads(path.read_text())
    doc.text("Thresholds chosen on validation pairs and the threshold half of the generated non-digit set; "
             f"measured on the test pairs and the held-out half (`{COMMAND}`).")
    doc.table(TARGETS_HEADER, targets_rows(results))
    doc.table(SHARES_HEADER, shares_rows(results))
    doc.table(NON_DIGIT_HEADER, non_digit_rows(results))
    voicing = results["calibration"].get("voicing")
    if voicing:
        doc.text(f"Speech check (validation only): frame test {voicing['correlation']}, at least "
                 f"{voicing['threshold']:.2f} s voiced, just above every noise and empty recording of the "
                 "threshold half; share of the validation recordings it keeps, white noise at each SNR:")
        doc.table(VOICING_HEADER, voicing_rows(results))
    if font_rows(results):
        doc.text("Digits drawn with the installed fonts (generated; hands unlike any training writer), each image "
                 "alone: how many the outlier tests flag, and the accuracy of what is answered.")
        doc.table(FONT_HEADER, font_rows(results))
    figure = figures / "abstention-coverage.png"
    save(curves_figure(results), figure)
    doc.figure(figure, "coverage/accuracy: answering only the most confident share of the test pairs, per head")
