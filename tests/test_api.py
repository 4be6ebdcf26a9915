"""The Python API: Recognizer.load().predict(image=..., audio=...) answers as `predict --json` does."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from digitfusion.errors import DigitfusionError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def files(real_root, tmp_path_factory):
    """A real MNIST test image written as PNG, and a real FSDD recording of the same digit."""
    from digitfusion.data.mnist import load_mnist

    images, labels = load_mnist(real_root, "test")
    index = int(np.flatnonzero(labels == 3)[0])
    png = tmp_path_factory.mktemp("api") / "three.png"
    Image.fromarray(images[index]).save(png)
    return png, real_root / "fsdd" / "recordings" / "3_theo_2.wav"


def cli_json(model, image, audio) -> dict:
    code = "import sys; from digitfusion.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run([sys.executable, "-c", code, "predict", "--model", str(model), "--image", str(image),
                          "--audio", str(audio), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_paths_answer_as_the_cli_json(tiny_model, files):
    from digitfusion import Recognizer

    image, audio = files
    answer = Recognizer.load(tiny_model, provider="cpu").predict(image=image, audio=audio)
    assert answer == cli_json(tiny_model, image, audio)
    assert set(answer) == {"digit", "confidence", "probabilities", "modalities", "weights", "strategy", "status",
                           "reason", "calibrated_confidence", "disagreement"}


def test_arrays_answer_as_their_files(tiny_model, files):
    from digitfusion import Recognizer

    image, audio = files
    recognizer = Recognizer.load(tiny_model)
    samples, rate = sf.read(audio, dtype="float32")
    pixels = np.asarray(Image.open(image))
    from_arrays = recognizer.predict(image=pixels, audio=samples, sample_rate=rate)
    assert from_arrays == recognizer.predict(image=image, audio=audio)
    floats = recognizer.predict(image=pixels / 255.0)  # float pixels in [0, 1]
    assert floats == recognizer.predict(image=image)
    assert floats["modalities"]["audio"] is None


def test_a_resampled_array_is_answered(tiny_model, files):
    from scipy.signal import resample_poly

    from digitfusion import Recognizer

    samples, rate = sf.read(files[1], dtype="float32")
    at_16k = resample_poly(samples, 2, 1).astype(np.float32)
    stereo = np.stack([at_16k, at_16k], axis=1)
    answer = Recognizer.load(tiny_model).predict(audio=stereo, sample_rate=2 * rate)
    assert answer["status"] in {"ok", "unsure", "rejected"} and answer["weights"]["image"] == 0.0
    assert answer["digit"] is None if answer["status"] == "rejected" else 0 <= answer["digit"] <= 9


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"audio": np.zeros(8000, np.float32)}, "sample_rate"),
    ({"audio": np.zeros(8000, np.float32), "sample_rate": 8000}, "silent"),
    ({"audio": np.zeros((2, 3, 4), np.float32), "sample_rate": 8000}, "shape"),
    ({"image": np.zeros((4, 4), np.uint8)}, "size"),
    ({"image": np.zeros((28, 28, 2), np.uint8)}, "shape"),
    ({}, "give an image"),
])
def test_bad_arrays_raise_one_line_errors(tiny_model, kwargs, problem):
    from digitfusion import Recognizer

    with pytest.raises(DigitfusionError, match=problem):
        Recognizer.load(tiny_model).predict(**kwargs)


def test_import_digitfusion_stays_light():
    code = ("import sys, digitfusion; heavy = [m for m in ('digitfusion.api', 'onnxruntime', 'numpy', 'torch') "
            "if m in sys.modules]; assert not heavy, heavy; assert digitfusion.Recognizer.__name__ == 'Recognizer'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_a_profile_adapts_the_answers_as_predict_profile_does(tiny_model, files, real_root, tmp_path):
    from digitfusion import Recognizer
    from digitfusion.cli import main
    from digitfusion.enrol.profile import read_profile_file

    folder = tmp_path / "voice"
    folder.mkdir()
    for d in range(10):
        (folder / f"{d}_take.wav").write_bytes((real_root / "fsdd" / "recordings" / f"{d}_theo_0.wav").read_bytes())
    assert main(["enrol", "--audio-dir", str(folder), "--out", str(tmp_path / "theo.json"),
                 "--model", str(tiny_model)]) == 0
    image, audio = files
    code = "import sys; from digitfusion.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run([sys.executable, "-c", code, "predict", "--audio", str(audio), "--json", "--model",
                          str(tiny_model), "--profile", str(tmp_path / "theo.json")], capture_output=True, text=True)
    expected = json.loads(run.stdout)
    loaded = Recognizer.load(tiny_model, profile=tmp_path / "theo.json")
    assert loaded.predict(audio=audio) == expected and expected["profile"]["name"] == "theo"
    plain = Recognizer.load(tiny_model)
    assert "profile" not in plain.predict(audio=audio)
    assert plain.predict(audio=audio, profile=read_profile_file(tmp_path / "theo.json")) == expected


def test_a_profile_of_another_model_is_refused(tiny_model, real_root, tmp_path):
    from digitfusion import Recognizer
    from digitfusion.cli import main

    folder = tmp_path / "voice"
    folder.mkdir()
    (folder / "1_take.wav").write_bytes((real_root / "fsdd" / "recordings" / "1_theo_0.wav").read_bytes())
    assert main(["enrol", "--audio-dir", str(folder), "--out", str(tmp_path / "shipped.json")]) == 0  # shipped model
    with pytest.raises(DigitfusionError, match="made with another model"):
        Recognizer.load(tiny_model, profile=tmp_path / "shipped.json")
