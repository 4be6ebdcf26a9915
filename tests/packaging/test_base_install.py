"""The base install: a wheel installed WITHOUT extras into a fresh venv answers `predict` with the shipped model,
and torch is not there. Builds and installs for about a minute (pip fetches the inference packages)."""

import json
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.bench_install import build_wheel, clean_env, install_base
from digitfusion.export.pretrained import PRETRAINED_DIR

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MAX_WHEEL_BYTES = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def base_install(tmp_path_factory) -> tuple[Path, Path]:
    """(wheel, venv): the checkout's wheel, installed without extras in a venv made for this test."""
    tmp = tmp_path_factory.mktemp("base-install")
    wheel = build_wheel(tmp)
    install_base(wheel, tmp / "venv")
    return wheel, tmp / "venv"


def run_in(venv: Path, *command: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / command[0]), *command[1:]], capture_output=True, text=True,
                          env=clean_env(), cwd=cwd, timeout=300)


def test_the_wheel_is_small_and_carries_the_shipped_model(base_install):
    wheel, _ = base_install
    assert wheel.stat().st_size <= MAX_WHEEL_BYTES, f"{wheel.stat().st_size / 1e6:.1f} MB"
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"digitfusion/pretrained/{p.name}" for p in PRETRAINED_DIR.iterdir() if not p.name.startswith(".")}
    assert shipped and shipped <= names
    assert "digitfusion/app/index.html" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    required = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert required and not any("torch" in line or "lightning" in line for line in required), required


def test_predict_answers_a_real_pair_without_torch(base_install, real_root, tmp_path):
    from digitfusion.data.mnist import load_mnist

    _, venv = base_install
    images, labels = load_mnist(real_root, "test")
    index = int(np.flatnonzero(labels == 7)[0])
    Image.fromarray(images[index]).save(tmp_path / "seven.png")
    wav = real_root / "fsdd" / "recordings" / "7_jackson_1.wav"
    run = run_in(venv, "digitfusion", "predict", "--image", str(tmp_path / "seven.png"), "--audio", str(wav), "--json",
                 cwd=tmp_path)  # no model/ folder here: the default is the shipped model
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["digit"] == 7 and answer["modalities"]["image"] and answer["modalities"]["audio"]
    no_torch = run_in(venv, "python", "-c", "import torch")
    assert no_torch.returncode != 0 and "No module named 'torch'" in no_torch.stderr


def test_the_app_and_the_api_load_without_torch(base_install, real_root):
    _, venv = base_install
    wav = real_root / "fsdd" / "recordings" / "2_theo_4.wav"
    code = ("import sys; from digitfusion.app.server import create_app; create_app(); "
            f"from digitfusion import Recognizer; answer = Recognizer.load().predict(audio={str(wav)!r}); "
            "assert 'torch' not in sys.modules; print(answer['digit'])")
    run = run_in(venv, "python", "-c", code)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2"


def test_training_on_the_base_install_says_how_to_get_the_extras(base_install, real_root, tmp_path):
    _, venv = base_install
    for command in (["train", "--model", "image-cnn"], ["demo", "--config", "tiny"]):
        run = run_in(venv, "digitfusion", *command, "--data", str(real_root), cwd=tmp_path)
        assert run.returncode == 2, (command, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "pip install 'digitfusion[train]'" in lines[0], run.stderr
    assert not any(tmp_path.iterdir())  # nothing written

