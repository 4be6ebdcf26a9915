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


@pytest.fixture(scope="session")
def tiny_pipeline(real_root, tmp_path_factory) -> Path:
    """The whole pipeline on the real data with the tiny config (a few batches per model), run once."""
    from digitfusion.pipeline.run import run_pipeline

    out = tmp_path_factory.mktemp("tiny-pipeline")
    run_pipeline("tiny", real_root, out, command="digitfusion demo --config tiny")
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_pipeline, real_root, tmp_path_factory) -> Path:
    """The tiny pipeline's attention model, exported to ONNX."""
    from digitfusion.export.build import export_model

    out = tmp_path_factory.mktemp("tiny-model") / "model"
    from digitfusion.evaluation.abstention import calibrate
    from digitfusion.evaluation.alone import choose_alone

    export_model(tiny_pipeline, out, real_root, calibrate=calibrate, choose_alone=choose_alone)
    return out
