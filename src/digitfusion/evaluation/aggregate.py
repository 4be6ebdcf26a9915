"""Tables over seeds (and leave-one-speaker-out folds): mean ± std, as markdown.

A protocol group is "official", "speaker" or one leave-corpus-out holdout; the speaker group's value for one
seed is the mean over its held-out speakers (folds), and the ± is the standard deviation over seeds.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from digitfusion.evaluation.metrics import format_mean_std
from digitfusion.models.registry import fusion_names

SINGLE_MODALITY = ("image-only", "audio-only", "lab-cnn (audio)")  # table rows that are one model of one modality
def order() -> tuple[str, ...]:
    return (*SINGLE_MODALITY, *fusion_names())


def group_of(protocol: str) -> str:
    """A split name's group: `official`, `speaker` (every fold), `random`; each leave-corpus-out holdout is its
    own group (one held-out corpus is not a fold of the others)."""
    return protocol if protocol.startswith("leave-corpus-out") else protocol.split("-")[0]


def collect(entries: list[dict], key_fn) -> dict:
    """entries: {"protocol", "seed", "results"}. Returns group -> row -> column -> [value per seed]."""
    per_seed: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list))))
    for entry in entries:
        for row, column, value in key_fn(entry["results"]):
            per_seed[group_of(entry["protocol"])][row][column][entry["seed"]].append(value)
    return {g: {r: {c: [float(np.mean(v)) for _, v in sorted(seeds.items())] for c, seeds in cols.items()}
                for r, cols in rows.items()} for g, rows in per_seed.items()}


def table_values(results: dict):
    for condition, rows in results["table"].items():
        for strategy, metrics in rows.items():
            for metric, value in metrics.items():
                yield strategy, f"{condition}/{metric}", value


def sweep_values(results: dict):
    for sweep, conditions in results.get("sweeps", {}).items():
        for condition, rows in conditions.items():
            for strategy, metrics in rows.items():
                yield strategy, f"{sweep}/{condition}/acc", metrics["acc"]
                if "audio_weight" in metrics:
                    yield strategy, f"{sweep}/{condition}/audio_weight", metrics["audio_weight"]


def ordered(rows: dict) -> list[str]:
    known = [r for r in order() if r in rows]
    return known + sorted(r for r in rows if r not in known)


COLUMNS = (("clean/acc", "clean acc %", 100), ("clean/macro_f1", "macro-F1 %", 100), ("clean/nll", "NLL", 1),
           ("clean/ece", "ECE %", 100), ("degraded/acc", "degraded acc %", 100),
           ("degraded image alone/acc", "degraded image alone %", 100),
           ("degraded audio alone/acc", "degraded audio alone %", 100),
           ("image missing/acc", "image missing %", 100), ("audio missing/acc", "audio missing %", 100))


def markdown_table(rows: dict) -> str:
    head = "| strategy | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    for row in ordered(rows):
        cells = []
        for key, _, scale in COLUMNS:
            values = rows[row].get(key)
            cells.append(format_mean_std(values, scale=scale, digits=2 if scale == 100 else 3) if values else "—")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def best_fused(rows: dict, column: str = "clean/acc") -> str:
    fused = [r for r in rows if r not in SINGLE_MODALITY and column in rows[r]]
    return max(fused, key=lambda r: np.mean(rows[r][column]))
