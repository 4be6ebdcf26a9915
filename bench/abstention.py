"""Issue 18's measures on an exported model: the targets table, the test pairs' shares (clean and degraded),
the held-out non-digit half, the coverage/accuracy figure. Writes RUN/abstention/results.json and
RUN/abstention/coverage.png (the report's abstention section reads them), prints markdown tables.

    python bench/abstention.py --model model --run runs/demo [--max-pairs N]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np

from digitfusion.atomic import write_text
from digitfusion.evaluation.coverage import measure
from digitfusion.export.runtime import ExportedRunner
from digitfusion.paths import require_data_root
from digitfusion.plots import save
from digitfusion.report.abstention import (
    FONT_HEADER,
    NON_DIGIT_HEADER,
    RESULTS,
    SHARES_HEADER,
    TARGETS_HEADER,
    VOICING_HEADER,
    curves_figure,
    font_rows,
    non_digit_rows,
    shares_rows,
    targets_rows,
    voicing_rows,
)


def markdown(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def app_silent(model_dir: Path) -> dict:
    """A one-second silent WAV posted to the web app: status code and message."""
    import soundfile as sf
    from fastapi.testclient import TestClient

    from digitfusion.app.server import create_app

    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(8000, np.float32), 8000, format="WAV", subtype="PCM_16")
    response = TestClient(create_app(model_dir)).post("/api/predict",
                                                      files={"audio": ("silence.wav", buffer.getvalue())})
    return {"status_code": response.status_code, "body": response.json()}


def font_drawn(runner: ExportedRunner) -> dict:
    """Unusual but real digits: the 300 font-drawn digits of evaluation/alone.py, an image alone each, through the
    decision: the share of each status, the accuracy of every answer and of those "ok" (what an outlier test costs
    hands unlike the training writers)."""
    from digitfusion.decision import decide, voicing_correlation
    from digitfusion.evaluation.abstention import Batch, run_batch
    from digitfusion.evaluation.alone import font_digits

    images, labels = font_digits(1000)
    cal = runner.preprocessing["abstention"]
    out = run_batch(runner, Batch(images, None, labels, np.zeros(len(labels), bool)), voicing_correlation(cal))
    answers = decide(out, True, False, cal, None)
    status = np.array([a["status"] for a in answers])
    right = np.array([a["digit"] == label for a, label in zip(answers, labels, strict=True)])
    return {"n": len(labels), **{s: float(np.mean(status == s)) for s in ("ok", "unsure", "rejected")},
            "accuracy": float(right.mean()), "accuracy of ok": float(right[status == "ok"].mean())}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="model")
    parser.add_argument("--run", default="runs/demo")
    parser.add_argument("--data", default=None)
    parser.add_argument("--max-pairs", type=int, default=None, help="first N test pairs only (a quick look)")
    args = parser.parse_args(argv)
    runner = ExportedRunner(args.model)
    meta = runner.preprocessing
    results = measure(runner, require_data_root(args.data), meta["protocol"], meta["seed"], args.max_pairs)
    results["app_silent"] = app_silent(runner.folder)  # the web app's answer (evaluation never imports app)
    results["font_drawn"] = font_drawn(runner)
    out = Path(args.run) / RESULTS
    write_text(out, json.dumps(results, indent=1) + "\n")
    save(curves_figure(results), out.with_name("coverage.png"))
    print(markdown(TARGETS_HEADER, targets_rows(results)), end="\n\n")
    print(markdown(SHARES_HEADER, shares_rows(results)), end="\n\n")
    print(markdown(NON_DIGIT_HEADER, non_digit_rows(results)), end="\n\n")
    print(markdown(VOICING_HEADER, voicing_rows(results)), end="\n\n")
    print(markdown(FONT_HEADER, font_rows(results)))
    cal = {k: v for k, v in results["calibration"].items() if k not in ("chosen_on", "typical")}
    cal["typical"] = {kind: {k: v for k, v in t.items() if k not in ("whitening", "means")}  # matrices: base64
                      for kind, t in results["calibration"].get("typical", {}).items()}
    print("\ncalibration:", json.dumps(cal))
    print(f"written: {out}, {out.with_name('coverage.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
