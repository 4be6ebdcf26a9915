"""Helpers shared by the benchmarks: timing and markdown tables."""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import torch


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Best wall time of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def latencies(fn: Callable[[], object], n: int, warmup: int = 10) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return {"median_ms": 1000 * statistics.median(samples), "p95_ms": 1000 * samples[int(0.95 * (n - 1))]}


def machine() -> str:
    return (f"{date.today().isoformat()}, {platform.platform()}, {torch.get_num_threads()} torch threads, "
            f"python {platform.python_version()}, torch {torch.__version__}")


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


# ------------------------------------------------------------- benches that choose among training variants

TRAIN_ONLY = ("synthetic",)  # corpora without a validation side


def mean_of_corpora(by_corpus: dict) -> float:
    """Mean validation accuracy of the real corpora ({corpus: {"acc", ...}}), each corpus counting once."""
    real = [v["acc"] for k, v in by_corpus.items() if k not in TRAIN_ONLY]
    return sum(real) / len(real)


def save_choice(run: Path, result: dict) -> None:
    (run / "choice.json").write_text(json.dumps(result, indent=1) + "\n")


def read_choices(out: Path, labels, folder_name: Callable[[str], str]) -> dict[str, dict]:
    """{label: the variant's saved result} of every finished variant, in `labels`' order."""
    files = {label: out / folder_name(label) / "choice.json" for label in labels}
    return {label: json.loads(path.read_text()) for label, path in files.items() if path.is_file()}


def variant_args(doc: str, labels, default_out: str) -> argparse.Namespace:
    """--variant (repeatable), --out, --data, --table: the command line of a variant-choosing bench."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=list(labels), action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path(default_out))
    parser.add_argument("--data", default=None)
    parser.add_argument("--table", action="store_true")
    return parser.parse_args()


def variant_main(doc: str, labels, default_out: str, run_variant: Callable, table: Callable[[Path], str],
                 load: Callable | None = None) -> None:
    """The main of a variant-choosing bench: train and score each --variant (run_variant(root, out, label, data),
    `data` = load(root), read once for every variant), print each result, then the table of every finished one."""
    from digitfusion.paths import require_data_root

    args = variant_args(doc, labels, default_out)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(message)s", datefmt="%H:%M:%S")
    root = require_data_root(args.data)
    if args.variant:
        data = load(root) if load is not None else None
        for label in args.variant:
            print(label, json.dumps(run_variant(root, args.out, label, data)), flush=True)
    if args.table:
        print(table(args.out))
