"""The web app: API contract and limits, 50 concurrent requests, and a headless-Chromium end-to-end run."""

import concurrent.futures
import io
import json
import shutil
import urllib.request

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from digitfusion.app.server import MAX_REQUEST_BYTES, create_app
from tests.app.live import serve


def png_bytes(size: int = 200) -> bytes:
    image = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(image).line([(60, 40), (150, 40), (90, 170)], fill="black", width=16)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(real_root) -> bytes:
    return (real_root / "fsdd" / "recordings" / "7_jackson_1.wav").read_bytes()


@pytest.fixture(scope="module")
def client(tiny_model):
    return TestClient(create_app(tiny_model))


def test_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="canvas"' in page.text and "/api/predict" in page.text


def test_predict_both_and_each_alone(client, real_root):
    files = {"image": ("d.png", png_bytes()), "audio": ("a.wav", wav_bytes(real_root))}
    both = client.post("/api/predict", files=files)
    assert both.status_code == 200
    data = both.json()
    old = {"digit", "confidence", "probabilities", "modalities", "weights", "strategy"}
    assert set(data) == old | {"status", "reason", "calibrated_confidence", "disagreement"}
    assert data["status"] in ("ok", "unsure", "rejected") and {"status", "reason"} <= set(data["modalities"]["image"])
    only_image = client.post("/api/predict", files={"image": ("d.png", png_bytes())}).json()
    assert only_image["modalities"]["audio"] is None and only_image["weights"]["audio"] == 0.0
    only_audio = client.post("/api/predict", files={"audio": ("a.wav", wav_bytes(real_root))}).json()
    assert only_audio["modalities"]["image"] is None


def test_nothing_given_and_bad_files_are_400_with_one_line(client):
    empty = client.post("/api/predict", files={})
    assert empty.status_code == 400 and "give an image" in empty.json()["error"]
    bad = client.post("/api/predict", files={"audio": ("x.wav", b"RIFF....not a wav")})
    assert bad.status_code == 400 and "x.wav" in bad.json()["error"] and "\n" not in bad.json()["error"]


def test_paths_sent_by_a_client_are_never_opened(client, real_root):
    path = str(real_root / "fsdd" / "recordings" / "7_jackson_1.wav")
    response = client.post("/api/predict", data={"audio": path})
    assert response.status_code == 400 and "uploaded file" in response.json()["error"]


def test_oversized_request_is_refused(client):
    response = client.post("/api/predict", files={"image": ("big.png", b"\0" * (MAX_REQUEST_BYTES + 1))})
    assert response.status_code == 413


@pytest.fixture(scope="module")
def live_server(tiny_model):
    yield from serve(tiny_model)


def post(url: str, image: bytes, audio: bytes) -> dict:
    boundary = "digitfusionboundary"
    body = b""
    for field, name, data in (("image", "d.png", image), ("audio", "a.wav", audio)):
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{url}/api/predict", data=body,
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_fifty_concurrent_requests_all_answered_correctly(live_server, real_root):
    """A bounded local load test: 50 requests in parallel get the same answers as one at a time."""
    recordings = sorted((real_root / "fsdd" / "recordings").glob("*_theo_1.wav"))
    audios = [p.read_bytes() for p in recordings]
    expected = [post(live_server, png_bytes(), a)["probabilities"] for a in audios]
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(post, live_server, png_bytes(), audios[i % len(audios)]) for i in range(50)]
        answers = [f.result() for f in futures]
    for i, answer in enumerate(answers):
        assert np.allclose(answer["probabilities"], expected[i % len(audios)], atol=1e-5)


def test_draw_upload_and_read_the_answer_in_chromium(live_server, real_root, tmp_path):
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium"), "Debian chromium is missing: `make test` installs it (apt-get install chromium)"
    wav = tmp_path / "four.wav"
    data, rate = sf.read(real_root / "fsdd" / "recordings" / "4_nicolas_2.wav")
    sf.write(wav, np.stack([data, data], 1), 44100 if rate != 44100 else rate)  # a stereo 44.1 kHz upload
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(live_server)
        box = page.locator("#canvas").bounding_box()
        page.mouse.move(box["x"] + 80, box["y"] + 60)
        page.mouse.down()
        for x, y in ((200, 60), (120, 230)):
            page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
        page.mouse.up()
        page.set_input_files("#audio-file", str(wav))
        page.click("#submit")
        page.wait_for_selector("#result:not([hidden])", timeout=30000)
        digit = page.inner_text("#result-digit")
        answer = json.loads(page.text_content("#result-json"))
        page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        browser.close()
    assert digit == ("?" if answer["digit"] is None else str(answer["digit"]))
    assert answer["modalities"]["image"] is not None and answer["modalities"]["audio"] is not None
    assert (tmp_path / "app.png").stat().st_size > 10_000


def test_silent_recording_is_refused_like_the_cli(client):
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(8000, np.float32), 8000, format="WAV", subtype="PCM_16")
    response = client.post("/api/predict", files={"audio": ("silence.wav", buffer.getvalue())})
    assert response.status_code == 400 and response.json()["error"] == "silence.wav: is silent: no speech found"


def chromium_page(p):
    browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])
    return browser, browser.new_page(viewport={"width": 1000, "height": 900})


ANSWERS = {  # what the server may answer -> what the page must say in words
    "disagree": ({"digit": 7, "status": "unsure", "reason": "modalities disagree",
                  "disagreement": {"image": 7, "audio": 1, "trusted": "image"}},
                 ["the writing and the voice disagree", "The writing says 7, the voice says 1; trusting the writing."]),
    "rejected": ({"digit": None, "status": "rejected", "reason": "no speech", "disagreement": None},
                 ["I did not catch that: I did not catch any speech in the recording."]),
    "ok": ({"digit": 3, "status": "ok", "reason": None, "disagreement": None}, ["It is 3."]),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_status_and_disagreement_in_words_in_chromium(case, live_server, real_root):
    """The page turns status, reason and disagreement into sentences (the answer is served by a stub route,
    so each case is shown whatever the tiny model would answer)."""
    from playwright.sync_api import sync_playwright

    fields, sentences = ANSWERS[case]
    body = {"confidence": 0.9, "probabilities": [0.1] * 10, "weights": {"image": 0.5, "audio": 0.5},
            "strategy": "attention", "calibrated_confidence": 0.9,
            "modalities": {"image": {"digit": 7, "confidence": 0.9, "probabilities": [0.1] * 10},
                           "audio": {"digit": 1, "confidence": 0.9, "probabilities": [0.1] * 10}}, **fields}
    with sync_playwright() as p:
        browser, page = chromium_page(p)
        page.route("**/api/predict", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                 body=json.dumps(body)))
        page.goto(live_server)
        page.set_input_files("#audio-file", str(real_root / "fsdd" / "recordings" / "7_jackson_1.wav"))
        page.click("#submit")
        page.wait_for_selector("#result:not([hidden])", timeout=30000)
        shown = page.inner_text("#result")
        digit = page.inner_text("#result-digit")
        browser.close()
    assert all(sentence in shown for sentence in sentences), shown
    assert digit == ("?" if fields["digit"] is None else str(fields["digit"]))


def test_silent_recording_error_is_shown_in_chromium(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    wav = tmp_path / "silence.wav"
    sf.write(wav, np.zeros(8000, np.float32), 8000)
    with sync_playwright() as p:
        browser, page = chromium_page(p)
        page.goto(live_server)
        page.set_input_files("#audio-file", str(wav))
        page.click("#submit")
        page.wait_for_function("document.getElementById('error').textContent.length > 0", timeout=30000)
        error = page.inner_text("#error")
        browser.close()
    assert error == "silence.wav: is silent: no speech found"
