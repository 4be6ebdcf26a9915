"""No import cycle between the data and features packages (the top-level imports of every module, read
with ast, folded to package level: `digitfusion.data.corpora.fsdd` -> `data`)."""

import ast
from pathlib import Path

import digitfusion

SRC = Path(digitfusion.__file__).parent


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "digitfusion" and (SRC / parts[1]).is_dir() else None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts
        if len(rel) < 2:
            continue  # top-level modules (errors, paths, audio_io, ...) are shared leaves, not packages
        deps = graph.setdefault(rel[0], set())
        for node in ast.parse(path.read_text()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            deps.update(p for p in map(package_of, names) if p and p != rel[0])
    return graph


def reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return False


def test_data_and_features_are_in_no_cycle():
    graph = package_graph()
    assert "features" in graph["data"]  # data builds on features (bundle, optdigits' conversion)
    for package in ("data", "features"):
        looping = [dep for dep in graph[package] if reaches(graph, dep, package)]
        assert not looping, f"{package} -> {looping} -> ... -> {package}"


def test_the_walk_sees_a_cycle_when_there_is_one():
    assert reaches({"a": {"b"}, "b": {"a"}}, "b", "a") and not reaches({"a": {"b"}, "b": set()}, "b", "a")
