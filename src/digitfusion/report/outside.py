"""The report's "people it never met" section: one row per held-out corpus of the leave-corpus-out protocols.

Each row is a model that never met that corpus: its audio model scored once on every clip of it, the image model
on every image of the held-out image source, and the fused strategies on the pairs of the two (voices and writing
both from outside). Mean ± std over seeds.
"""

from __future__ import annotations

from collections import defaultdict

from digitfusion.evaluation.metrics import format_mean_std
from digitfusion.models.registry import fusion_names
from digitfusion.report.document import Document


def outside_rows(entries: list[dict], fused: tuple[str, ...]) -> dict[str, dict[str, list[float]]]:
    """{held-out corpus: {column: [value per seed]}} from the leave-corpus-out entries."""
    rows: dict = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        if not entry["protocol"].startswith("leave-corpus-out"):
            continue
        results, items = entry["results"], entry["results"].get("items", {})
        row = rows[entry["protocol"].removeprefix("leave-corpus-out-")]
        for corpus, score in items.get("audio", {}).get("by_corpus", {}).items():
            row["voices"].append(corpus)
            row["audio"].append(score["acc"])
            row["clips"].append(score["n"])
            row["speakers"].append(score["speakers"])
        for source, score in items.get("image", {}).get("by_source", {}).items():
            row["writing"].append(source)
            row["image"].append(score["acc"])
            row["images"].append(score["n"])
        for name in fused:
            if name in results["table"]["clean"]:
                row[name].append(results["table"]["clean"][name]["acc"])
    return rows


def outside_section(doc: Document, entries: list[dict]) -> dict[str, dict]:
    """Adds the table when the run has leave-corpus-out protocols; returns its rows (empty otherwise)."""
    fused = tuple(fusion_names(trained=True))
    rows = outside_rows(entries, fused)
    if not rows:
        return {}
    doc.heading("People it never met: one held-out corpus at a time", 2)
    doc.text("Each row's models were trained and validated on the other corpora only (validation speakers apart "
             "from training speakers), then scored once on the held-out voices and writing: audio accuracy over "
             "every clip, image accuracy over every image, fused accuracy over the pairs of the two.")
    header = ["held out", "voices", "clips", "speakers", "audio %", "writing", "image %",
              *[f"{name} (pairs) %" for name in fused]]
    body = [[holdout, first(row, "voices"), first(row, "clips"), first(row, "speakers"), cell(row, "audio"),
             first(row, "writing"), cell(row, "image"), *[cell(row, name) for name in fused]]
            for holdout, row in rows.items()]
    doc.table(header, body)
    return rows


def first(row: dict, key: str) -> str:
    """A value every seed shares (the corpus, its clip count)."""
    return str(row[key][0]) if row.get(key) else "—"


def cell(row: dict, key: str) -> str:
    return format_mean_std(row[key], scale=100, digits=2) if row.get(key) else "—"
