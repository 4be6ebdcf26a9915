"""`digitfusion enrol` then `predict --profile` through the CLI, on the tiny exported model and real FSDD voices."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitfusion.cli import main
from digitfusion.enrol.profile import read_profile_file
from tests.generate import digit_image

SPEAKER = "theo"


@pytest.fixture(scope="module")
def model_dir(request) -> Path:
    """The tiny exported model (DIGITFUSION_TEST_MODEL points at another exported folder: development only)."""
    override = os.environ.get("DIGITFUSION_TEST_MODEL")
    return Path(override) if override else request.getfixturevalue("tiny_model")


def recordings(root, take: int, digits=range(10)):
    return [root / "fsdd" / "recordings" / f"{d}_{SPEAKER}_{take}.wav" for d in digits]


def enrol_csv(tmp_path, root, digits=range(10), with_images=False) -> str:
    rows, rng = ["image,audio,label"], np.random.default_rng(0)
    for d, wav in zip(digits, recordings(root, 0, digits), strict=True):
        image = ""
        if with_images:
            image = f"img{d}.png"
            Image.fromarray(digit_image(d, rng)).save(tmp_path / image)
        rows.append(f"{image},{wav},{d}")
    (tmp_path / "enrol.csv").write_text("\n".join(rows) + "\n")
    return str(tmp_path / "enrol.csv")


def batch_answers(tmp_path, capsys, model, root, takes, extra=()) -> list[dict]:
    files = [w for t in takes for w in recordings(root, t)]
    (tmp_path / "batch.csv").write_text("image,audio\n" + "".join(f",{w}\n" for w in files))
    capsys.readouterr()
    assert main(["predict", "--batch", str(tmp_path / "batch.csv"), "--json", "--model", str(model), *extra]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_enrol_writes_a_small_profile_bound_to_the_model(model_dir, real_root, tmp_path, capsys):
    out = tmp_path / "theo.json"
    assert main(["enrol", "--csv", enrol_csv(tmp_path, real_root, with_images=True), "--out", str(out),
                 "--model", str(model_dir)]) == 0
    assert "10 image examples" in capsys.readouterr().out
    profile = read_profile_file(out)
    assert profile.examples == {"image": 10, "audio": 10} and profile.name == "theo"
    sums = json.loads((model_dir / "checksums.json").read_text())
    assert profile.model_sha256 == sums["model.onnx"]
    assert out.stat().st_size < 20_000


def test_profile_helps_on_the_enrolled_voice_and_json_says_so(model_dir, real_root, tmp_path, capsys):
    """The tiny model hardly knows any word; one take of each digit by theo must lift its answers on his others."""
    out = tmp_path / "theo.json"
    assert main(["enrol", "--csv", enrol_csv(tmp_path, real_root), "--out", str(out), "--model", str(model_dir)]) == 0
    truth = np.tile(np.arange(10), 3)
    plain = batch_answers(tmp_path, capsys, model_dir, real_root, (1, 2, 3))
    adapted = batch_answers(tmp_path, capsys, model_dir, real_root, (1, 2, 3), ("--profile", str(out)))
    assert "profile" not in plain[0]
    assert adapted[0]["profile"] == {"name": "theo", "examples": {"image": 0, "audio": 10}}
    # The best guess of the fused probabilities (the top-level "digit" is null when the answer is rejected).
    plain_acc = np.mean([int(np.argmax(a["probabilities"])) for a in plain] == truth)
    adapted_acc = np.mean([int(np.argmax(a["probabilities"])) for a in adapted] == truth)
    assert adapted_acc >= plain_acc + 0.2, (plain_acc, adapted_acc)
    assert all(abs(sum(a["probabilities"]) - 1) < 1e-4 for a in adapted)


def test_audio_dir_and_partial_enrolment(model_dir, real_root, tmp_path, capsys):
    folder = tmp_path / "voice"
    folder.mkdir()
    for d, wav in zip((1, 2, 3), recordings(real_root, 0, (1, 2, 3)), strict=True):
        (folder / f"{d}_take.wav").write_bytes(wav.read_bytes())
    out = tmp_path / "p.json"
    assert main(["enrol", "--audio-dir", str(folder), "--out", str(out), "--model", str(model_dir)]) == 0
    profile = read_profile_file(out)
    assert sorted(profile.banks["audio"].labels.tolist()) == [1, 2, 3]
    wav = recordings(real_root, 4, (7,))[0]
    capsys.readouterr()
    assert main(["predict", "--audio", str(wav), "--json", "--model", str(model_dir)]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["predict", "--audio", str(wav), "--json", "--model", str(model_dir), "--profile", str(out)]) == 0
    adapted = json.loads(capsys.readouterr().out)
    # Digits outside the enrolment (0, 4-9) keep exactly the base probabilities.
    for d in (0, 4, 5, 6, 7, 8, 9):
        assert adapted["probabilities"][d] == pytest.approx(plain["probabilities"][d], abs=2e-6)


def test_enrol_and_predict_default_to_the_shipped_model_without_torch(real_root, tmp_path):
    """No --model: the shipped model. Neither command imports torch (the base install has none)."""
    import subprocess
    import sys

    folder = tmp_path / "voice"
    folder.mkdir()
    for d, wav in enumerate(recordings(real_root, 0)):
        (folder / f"{d}_take.wav").write_bytes(wav.read_bytes())
    wav = recordings(real_root, 3, (6,))[0]
    code = ("import sys, json; from digitfusion.cli import main; "
            f"assert main(['enrol', '--audio-dir', {str(folder)!r}, '--out', {str(tmp_path / 'p.json')!r}]) == 0; "
            f"assert main(['predict', '--audio', {str(wav)!r}, '--json', '--profile', {str(tmp_path / 'p.json')!r}]) "
            "== 0; assert 'torch' not in sys.modules, 'torch was imported'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["profile"]["examples"] == {"image": 0, "audio": 10}
    assert int(np.argmax(answer["probabilities"])) == 6
    # A profile adapts the answer but does not turn the model's own speech into "not a digit" (it once did: the
    # rejections judged the adapted logits, whose energy has another scale).
    assert answer["digit"] == 6 and answer["status"] != "rejected", answer
