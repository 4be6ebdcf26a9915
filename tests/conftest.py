"""Shared fixtures: a tiny generated data root for unit tests, the real one for integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from digitfusion.paths import find_data_root
from tests.generate import make_tiny_root


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    """A generated data root: 4 speakers x 10 digits x 12 repetitions, 120/60 synthetic images."""
    return make_tiny_root(tmp_path_factory.mktemp("tiny-data"))


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test writes caches under its own tmp folder, never the checkout's .cache/."""
    monkeypatch.setenv("DIGITFUSION_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def real_root() -> Path:
    """The real data root (../shared/data or $DIGITFUSION_DATA); skips visibly when there is none."""
    root = find_data_root()
    if root is None or not (root / "fsdd" / "recordings").is_dir():
        pytest.skip("no real data root found: set DIGITFUSION_DATA or put the data in ./data or ../shared/data")
    return root
