"""The structure docs/architecture.md promises: no import cycle between the packages of digitfusion, and no fusion
name written outside its registry entry (the one file of its strategy)."""

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "digitfusion"


def unit_of(module: str) -> str:
    """digitfusion.training.fit -> training; digitfusion.runs -> runs (a top-level module is its own unit)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "digitfusion"


def package_imports() -> dict[str, set[str]]:
    """unit -> the units it imports anywhere (top level or inside a function: a lazy import is a dependency too)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        module = "digitfusion." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        source = unit_of(module.removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                if name.startswith("digitfusion.") and unit_of(name) != source:
                    graph[source].add(unit_of(name))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return trail + [node, nxt]
            if nxt not in state and (found := visit(nxt, trail + [node])):
                return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [])):
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_import_cycle_between_packages():
    graph = package_imports()
    assert {"models", "training", "evaluation"} <= set(graph)  # the walk really read the sources
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_fusion_names_live_only_in_their_registry_entry():
    from digitfusion.models.registry import fusion_names

    fusions_dir = SRC / "models" / "fusions"
    # a string literal that is a strategy's name, or starts like a late rule's
    patterns = [rf"[\"']{re.escape(n)}[\"']" for n in fusion_names() if not n.startswith("late-")] + [r"[\"']late-"]
    assert len(patterns) >= 5
    for path in SRC.rglob("*.py"):
        if path.parent == fusions_dir:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            assert not re.search(pattern, text), f"{path.relative_to(SRC)} matches {pattern}"
