"""The report's "strategy users get" section: each exportable fusion's validation accuracy under what users face,
and the one chosen (evaluation/selection.py). Test pairs play no part in it."""

from __future__ import annotations

from digitfusion.evaluation.evaluate import USER_CONDITIONS
from digitfusion.evaluation.selection import choose_strategy, validation_means
from digitfusion.report.document import Document


def selection_section(doc: Document, entries: list[dict]) -> str | None:
    table = validation_means(entries)
    if not table:
        return None
    chosen = choose_strategy(entries)
    doc.heading("The strategy users get, chosen on validation", 2)
    doc.text(f"Mean validation accuracy over {len(entries)} protocol/seed entries; the exportable fusion with the "
             f"best mean over the conditions is **{chosen}**.")
    conditions = [c.name for c in USER_CONDITIONS]
    header = ["strategy", *[f"{c} %" for c in conditions], "mean %"]
    body = [[f"**{name}**" if name == chosen else name,
             *[f"{100 * row[c]:.2f}" if c in row else "—" for c in conditions], f"{100 * row['mean']:.2f}"]
            for name, row in table.items()]
    doc.table(header, body)
    return chosen
