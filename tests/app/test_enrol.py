"""The app's enrol panel: API routes, and a headless-Chromium walk-through (fake microphone for one take,
uploads for the others), the profile kept in sessionStorage, used by later answers, then removed."""

import json
import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from digitfusion.app.server import create_app
from tests.app.live import serve

SPEAKER = "theo"


@pytest.fixture(scope="module")
def model_dir(request) -> Path:
    """The tiny exported model (DIGITFUSION_TEST_MODEL points at another exported folder: development only)."""
    override = os.environ.get("DIGITFUSION_TEST_MODEL")
    return Path(override) if override else request.getfixturevalue("tiny_model")


def take(root, digit: int, index: int = 0):
    return root / "fsdd" / "recordings" / f"{digit}_{SPEAKER}_{index}.wav"


@pytest.fixture(scope="module")
def client(model_dir):
    return TestClient(create_app(model_dir))


@pytest.fixture(scope="module")
def profile_text(client, real_root) -> str:
    files = {f"audio_{d}": (f"{d}.wav", take(real_root, d).read_bytes()) for d in range(10)}
    response = client.post("/api/enrol", files=files, data={"name": "theo"})
    assert response.status_code == 200, response.text
    return response.text


def test_enrol_route_returns_a_profile_of_this_model(profile_text, model_dir):
    profile = json.loads(profile_text)
    assert profile["name"] == "theo" and profile["modalities"]["audio"]["labels"] == list(range(10))
    assert profile["model"]["sha256"] == json.loads((model_dir / "checksums.json").read_text())["model.onnx"]
    assert len(profile_text) < 40_000  # embeddings + the ten recordings as templates (cepstral frames, float16)


def test_predict_with_and_without_the_profile(client, profile_text, real_root):
    audio = {"audio": ("a.wav", take(real_root, 6, 3).read_bytes())}
    plain = client.post("/api/predict", files=audio).json()
    adapted = client.post("/api/predict", files=audio, data={"profile": profile_text}).json()
    assert "profile" not in plain
    assert adapted["profile"] == {"name": "theo", "examples": {"image": 0, "audio": 10}}
    assert adapted["probabilities"] != plain["probabilities"]


def test_bad_profiles_and_empty_enrolment_are_400_with_one_line(client, profile_text, real_root):
    audio = {"audio": ("a.wav", take(real_root, 6, 3).read_bytes())}
    for bad, problem in ((profile_text[:100], "not valid JSON"), (profile_text.replace("theo", "eve"), "corrupt")):
        response = client.post("/api/predict", files=audio, data={"profile": bad})
        assert response.status_code == 400 and problem in response.json()["error"]
        assert "\n" not in response.json()["error"]
    checked = client.post("/api/profile", data={"profile": profile_text})
    assert checked.status_code == 200 and checked.json()["name"] == "theo"
    empty = client.post("/api/enrol", files={}, data={"name": "x"})
    assert empty.status_code == 400 and "at least one digit" in empty.json()["error"]
    broken = client.post("/api/enrol", files={"audio_3": ("3.wav", b"RIFF....no")})
    assert broken.status_code == 400 and "3.wav" in broken.json()["error"]


@pytest.fixture(scope="module")
def live_server(model_dir):
    yield from serve(model_dir)


def test_enrol_panel_in_chromium(live_server, real_root, tmp_path):
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium"), "Debian chromium is missing: `make test` installs it (apt-get install chromium)"
    uploads = []
    for d in range(1, 10):
        uploads.append(tmp_path / f"{d}.wav")
        uploads[-1].write_bytes(take(real_root, d).read_bytes())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda err: console.append(str(err)))
        page.goto(live_server)
        assert page.inner_text("#enrol-digit") == "0"
        # Digit 0 through the walk-through: the fake microphone's tone, and a drawing on the canvas.
        page.click("#enrol-record")
        page.wait_for_timeout(800)
        page.click("#enrol-stop")
        box = page.locator("#canvas").bounding_box()
        page.mouse.move(box["x"] + 140, box["y"] + 50)
        page.mouse.down()
        page.mouse.move(box["x"] + 140, box["y"] + 230, steps=10)
        page.mouse.up()
        page.click("#enrol-keep")
        page.wait_for_function("document.getElementById('enrol-digit').textContent === '1'", timeout=10000)
        assert "1 recordings, 1 drawings" in page.inner_text("#enrol-progress")
        # Digits 1-9 as uploaded files named by digit.
        page.set_input_files("#enrol-files", [str(u) for u in uploads])
        page.fill("#enrol-name", "theo")
        page.click("#enrol-build")
        page.wait_for_selector("#profile-active:not([hidden])", timeout=30000)
        stored = json.loads(page.evaluate("sessionStorage.getItem('digitfusion-profile')"))
        assert stored["modalities"]["audio"]["labels"] == list(range(10))
        assert stored["modalities"]["image"]["labels"] == [0]
        assert "theo" in page.inner_text("#profile-status")
        # A later answer uses it...
        page.set_input_files("#audio-file", str(take(real_root, 5, 4)))
        page.click("#submit")
        page.wait_for_function("!document.getElementById('result').hidden || document.getElementById('error')"
                               ".textContent", timeout=30000)
        assert not page.inner_text("#error"), (page.inner_text("#error"), console)
        answer = json.loads(page.text_content("#result-json"))
        assert answer["profile"] == {"name": "theo", "examples": {"image": 1, "audio": 10}}
        assert "theo's profile" in page.inner_text("#result-strategy")
        # ... until it is removed.
        page.click("#profile-remove")
        assert page.evaluate("sessionStorage.getItem('digitfusion-profile')") is None
        page.click("#submit")
        page.wait_for_function("!document.getElementById('result-json').textContent.includes('\"profile\"')",
                               timeout=30000)
        assert "profile" not in json.loads(page.text_content("#result-json"))
        browser.close()
