"""The strategy users get, chosen on validation: the exportable fusion with the best mean validation accuracy over
what users face (both modalities, one missing, noisy audio, both degraded), over every protocol, seed and fold
given. Validation speakers of the leave-corpus-out protocols are apart from the training speakers, so "voices it
never met" is part of every condition there."""

from __future__ import annotations

import numpy as np

from digitfusion.models.registry import fusions


def exportable_names() -> list[str]:
    return [s.name for s in fusions(trained=True) if s.exportable]


def validation_means(entries: list[dict]) -> dict[str, dict[str, float]]:
    """{strategy: {condition: mean accuracy over entries, "mean": over conditions}} for the exportable fusions."""
    per: dict[str, dict[str, list[float]]] = {}
    for entry in entries:
        for condition, rows in entry["results"].get("validation", {}).items():
            for name in exportable_names():
                if name in rows:
                    per.setdefault(name, {}).setdefault(condition, []).append(rows[name]["acc"])
    table = {name: {c: float(np.mean(v)) for c, v in conditions.items()} for name, conditions in per.items()}
    for row in table.values():
        row["mean"] = float(np.mean(list(row.values())))
    return table


def choose_strategy(entries: list[dict]) -> str | None:
    """The exportable fusion with the best mean over conditions (None when no entry has validation scores)."""
    table = validation_means(entries)
    return max(table, key=lambda name: (table[name]["mean"], name)) if table else None
