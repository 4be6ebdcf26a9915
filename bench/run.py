"""`make bench`: every benchmark, one table each, measured in one run on this machine.
Writes bench/results.md (quoted in the README). Not part of the tests."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_features  # noqa: E402
import bench_inference  # noqa: E402
import bench_lab_pipeline  # noqa: E402
from common import machine  # noqa: E402

from digitfusion.atomic import write_text  # noqa: E402
from digitfusion.paths import require_data_root  # noqa: E402


def demo_wall_time(out: Path) -> tuple[str, dict]:
    """The whole demo from scratch (--force, fresh folder): training, evaluation and report."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "digitfusion", "demo", "--config", "demo", "--force", "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    timings = json.loads((out / "entries.json").read_text())["meta"]["timings_s"]
    rows = "\n".join(f"| {k} | {v:.0f} s |" for k, v in timings.items())
    return (f"| stage | time |\n|---|---|\n{rows}\n| **whole demo (process wall time)** | **{seconds / 60:.1f} min** |",
            {"seconds": seconds})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="model",
                        help="exported model folder for the latency table with --skip-demo (make demo writes model/)")
    parser.add_argument("--skip-demo", action="store_true", help="do not time a fresh demo run")
    args = parser.parse_args()
    root = require_data_root(None)
    model = Path(args.model)
    demo_sections = []
    if not args.skip_demo:
        # First, on an idle machine: the demo's wall time is the target most sensitive to load. Its attention
        # model, exported, is then the one the latency table measures.
        demo = Path("runs/bench-demo")
        demo_sections.append(("Whole demo, from scratch", demo_wall_time(demo)))
        model = demo / "model"
        subprocess.run([sys.executable, "-m", "digitfusion", "export", "--run", str(demo), "--out", str(model)],
                       check=True, stdout=subprocess.DEVNULL)
    sections = [("Seed pipeline vs cached features (same model, epoch time)", bench_lab_pipeline.run(root)),
                ("Feature extraction and image preprocessing", bench_features.run(root)),
                ("Inference through the exported ONNX model", bench_inference.run(root, model)), *demo_sections]
    text = f"# Benchmarks\n\nMeasured {machine()}.\n"
    for title, (table, _numbers) in sections:
        text += f"\n## {title}\n\n{table}\n"
        print(f"\n## {title}\n\n{table}", flush=True)
    write_text(Path(__file__).with_name("results.md"), text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
