"""One input pipeline: the same bad file gets the same refusal through the CLI, a batch CSV, the web app and
the Python calls (`predict_files` with a path or an upload, `Recognizer.predict` with a path), each naming the
file; an array holding a bad recording is refused by the Recognizer with the same problem."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from PIL import Image

from digitfusion.api import Recognizer
from digitfusion.app.server import create_app
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner
from digitfusion.inputs import SILENT, Upload
from digitfusion.predict import predict_files


def wav(seconds: float, amplitude: float = 0.0) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.full(int(8000 * seconds), amplitude, np.float32), 8000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def white_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    return buffer.getvalue()


BAD_FILES = {  # name: (modality, content, words the refusal must hold)
    "silence.wav": ("audio", wav(1.0), SILENT),
    "too_long.wav": ("audio", wav(61.0, 0.1), "the limit is 60 s"),
    "notes.wav": ("audio", b"shopping list: eggs, milk\n" * 20, "not a readable audio file"),
    "song.wav": ("audio", b"ID3\x03\x00\x00\x00\x00\x00\x0f" + b"junk, not a frame " * 40, "not a readable audio"),
    "blank.png": ("image", white_png(), "blank"),
    "notes.png": ("image", b"shopping list: eggs, milk\n" * 20, "not an image file"),
    "empty.png": ("image", b"", "is empty"),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-files")
    for name, (_, content, _) in BAD_FILES.items():
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture(scope="module")
def refusals(tiny_model, files) -> dict[str, dict[str, str]]:
    """Every bad file's refusal text, per path it can take."""
    runner = ExportedRunner(tiny_model)
    client = TestClient(create_app(tiny_model))
    names = list(BAD_FILES)
    csv = files / "batch.csv"
    csv.write_text("image,audio\n" + "".join(
        f"{n},\n" if BAD_FILES[n][0] == "image" else f",{n}\n" for n in names))
    batch = subprocess.run([sys.executable, "-m", "digitfusion", "predict", "--model", str(tiny_model), "--batch",
                            str(csv)], capture_output=True, text=True, timeout=300)
    batch_lines = {re.search(r"batch\.csv:(\d+): ", line).group(1): line for line in batch.stderr.splitlines()}
    seen = {}
    for row, name in enumerate(names, start=2):
        kind, content, _ = BAD_FILES[name]
        cli = subprocess.run([sys.executable, "-m", "digitfusion", "predict", "--model", str(tiny_model),
                              f"--{kind}", str(files / name)], capture_output=True, text=True, timeout=120)
        app = client.post("/api/predict", files={kind: (name, content)})
        seen[name] = {"cli": cli.stderr.strip(), "cli rc": cli.returncode, "batch": batch_lines.get(str(row), ""),
                      "app": app.json().get("error", ""), "app status": app.status_code,
                      "api path": _api(runner, kind, str(files / name)),
                      "api upload": _api(runner, kind, Upload(name, content)),
                      "recognizer": _recognizer(runner, kind, files / name)}
    return seen


def _api(runner, kind: str, source) -> str:
    try:
        predict_files(runner, source if kind == "image" else None, source if kind == "audio" else None)
    except DigitfusionError as err:
        return str(err)
    return "answered"


def _recognizer(runner, kind: str, path: Path) -> str:
    try:
        Recognizer(runner).predict(**{kind: path})
    except DigitfusionError as err:
        return str(err)
    return "answered"


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_every_path_refuses_with_the_same_words(name, refusals):
    _, _, words = BAD_FILES[name]
    seen = refusals[name]
    assert seen["cli rc"] == 2 and seen["app status"] == 400, seen
    texts = [seen[k] for k in ("cli", "batch", "app", "api path", "api upload", "recognizer")]
    problems = {text.split(f"{name}: ", 1)[-1] for text in texts}
    assert all(name in text for text in texts), seen
    assert len(problems) == 1 and words in problems.pop(), seen


def test_a_silent_array_is_refused_like_a_silent_file(tiny_model, refusals):
    with pytest.raises(DigitfusionError) as err:
        Recognizer.load(tiny_model).predict(audio=np.zeros(8000, np.float32), sample_rate=8000)
    assert str(err.value) == "audio array: " + refusals["silence.wav"]["app"].split("silence.wav: ", 1)[1]
