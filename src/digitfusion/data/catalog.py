"""Every corpus and image source at once: `verify` (what a data root holds) and `fetch` (download some)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from digitfusion.data.corpora import CORPORA, get_corpus
from digitfusion.data.images import SOURCES
from digitfusion.errors import DigitfusionError

DEFAULT_FETCH = ("mnist", "fsdd")  # what the demo needs


def known_names() -> list[str]:
    return [*CORPORA, *SOURCES]


def fetch(root: str | os.PathLike, names: Sequence[str] = DEFAULT_FETCH, progress: bool = True) -> list[Path]:
    """Download each named corpus or image source that is missing into `root` (present, good files are kept).
    Folders this call creates are removed again if they end up empty: an empty ./data/mnist would otherwise
    make ./data look like a data root and hide ../shared/data."""
    root = Path(root)
    targets = [SOURCES[n] if n in SOURCES else get_corpus(n) for n in names]
    created = [p for p in (root, *(t.folder(root) for t in targets)) if not p.exists()]
    try:
        return [target.fetch(root, progress=progress) for target in targets]
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty


def verify(root: str | os.PathLike, names: Sequence[str] | None = None) -> list[dict]:
    """One row per corpus or image source present under `root` (or each of `names`, present or not)."""
    root = Path(root)
    if names is None:
        found = [c for n, c in CORPORA.items() if n != "folder" and c.present(root)]
        found += [s for s in SOURCES.values() if s.present(root)]
    else:
        found = [SOURCES[n] if n in SOURCES else get_corpus(n) for n in names]
    if not found:
        raise DigitfusionError(root, "holds no known corpus or image source")
    return [target.verify(root) for target in found]


def all_ok(rows: Sequence[dict]) -> bool:
    return all(not row["problems"] and (row.get("clips") or row.get("images")) for row in rows)


def format_rows(rows: Sequence[dict]) -> str:
    """A plain text table of `verify`'s rows."""
    columns = ("name", "kind", "items", "people", "digits", "status", "note")
    cells = []
    for row in rows:
        items = row.get("clips", row.get("images"))
        people = row.get("speakers", row.get("writers"))
        status = "ok" if not row["problems"] and items else ("missing" if not items else "bad")
        note = "; ".join(filter(None, [row.get("note", ""), *row["problems"]]))
        cells.append([row["name"], row["kind"], str(items), "-" if people is None else str(people),
                      str(row["digits"]), status, note or "-"])
    widths = [max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for line in cells:
        lines.append("  ".join(cell.rjust(w) if i in (2, 3, 4) else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
    lines.append("items = clips (speech) or images; people = speakers or writers (- when the files do not say)")
    return "\n".join(lines)
