"""The base (inference-only) install, measured: wheel size, a fresh venv's install time and size, and the wall
time of `digitfusion predict` there. `python bench/bench_install.py` prints one table; the functions are also
what tests/packaging/test_base_install.py builds and installs with."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "src")  # what the build needs (a copy: the checkout stays clean)


def build_wheel(out: Path, repo: Path = REPO) -> Path:
    """A wheel of a copy of the checkout, built with this interpreter's setuptools (no download) -> its path."""
    source = out / "source"
    for name in SOURCES:
        if (repo / name).is_dir():
            shutil.copytree(repo / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif (repo / name).is_file():
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(out / "dist"), str(source)], check=True, capture_output=True, text=True)
    return next((out / "dist").glob("digitfusion-*.whl"))


def install_base(wheel: Path, venv: Path, repo: Path = REPO) -> float:
    """A fresh venv (no system site-packages) with the wheel installed WITHOUT extras; returns the seconds it took."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)  # the checkout's sources must not leak into the fresh install
    run = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-c", str(repo / "constraints.txt"), str(wheel)],
                         capture_output=True, text=True, env=env)
    if run.returncode:
        raise RuntimeError(f"pip install failed: {run.stderr[-2000:]}")
    return time.perf_counter() - start


def clean_env() -> dict:
    """The environment a user's shell has: no PYTHONPATH pointing at a checkout."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    sys.path.insert(0, str(REPO / "src"))
    from PIL import Image

    from digitfusion.data.mnist import load_mnist
    from digitfusion.paths import require_data_root

    root = require_data_root()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wheel = build_wheel(tmp)
        seconds = install_base(wheel, tmp / "venv")
        images, labels = load_mnist(root, "test")
        Image.fromarray(images[0]).save(tmp / "digit.png")
        wav = sorted((root / "fsdd" / "recordings").glob(f"{int(labels[0])}_*.wav"))[0]
        command = [str(tmp / "venv" / "bin" / "digitfusion"), "predict", "--image", str(tmp / "digit.png"),
                   "--audio", str(wav), "--json"]
        imports = [str(tmp / "venv" / "bin" / "python"), "-c", "from digitfusion.cli import build_parser; "
                   "build_parser(); import digitfusion.predict, onnxruntime"]
        walls, import_walls = median_wall(command), median_wall(imports)
        print("| measure | value |\n|---|---|")
        print(f"| wheel ({wheel.name}) | {wheel.stat().st_size / 1e6:.2f} MB |")
        print(f"| base install: fresh venv + pip install wheel (no extras) | {seconds:.1f} s |")
        print(f"| base install size (venv on disk) | {folder_bytes(tmp / 'venv') / 1e6:.0f} MB |")
        print(f"| `digitfusion predict --image --audio --json` (whole process), median of 5 | {walls:.2f} s |")
        print(f"| its imports alone (parser, predict, onnxruntime), median of 5 | {import_walls:.2f} s |")


def median_wall(command: list[str], runs: int = 5) -> float:
    """Median wall time of `runs` runs of a command (a fresh process each time), in seconds."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=clean_env())
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)

if __name__ == "__main__":
    main()
