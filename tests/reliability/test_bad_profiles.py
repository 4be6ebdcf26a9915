"""Every bad enrolment and profile input: one stderr line naming the file and the problem, exit 2, nothing written.

`digitfusion enrol` cases must leave no profile (nor a temporary file) behind; `predict --profile` cases must
answer nothing. Each case drives the real CLI in a subprocess inside its own tmp folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from digitfusion.enrol.methods import Bank, MethodParams
from digitfusion.enrol.profile import VERSION, Profile

SPEECH = "fsdd/recordings/{d}_jackson_0.wav"


@pytest.fixture(scope="module")
def model_dir(request) -> Path:
    override = os.environ.get("DIGITFUSION_TEST_MODEL")
    return Path(override) if override else request.getfixturevalue("tiny_model")


@pytest.fixture(scope="module")
def good_profile(model_dir, real_root, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good-profile")
    rows = "".join(f",{real_root / SPEECH.format(d=d)},{d}\n" for d in range(10))
    (folder / "enrol.csv").write_text("image,audio,label\n" + rows)
    run = cli(["enrol", "--csv", str(folder / "enrol.csv"), "--out", str(folder / "me.json"),
               "--model", str(model_dir)], folder)
    assert run.returncode == 0, run.stderr
    return folder / "me.json"


@dataclass
class Case:
    args: list[str]  # after the command name; --model is added
    subject: str  # what the error line must name


def cli(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digitfusion", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def wav(root: Path, d: int) -> str:
    return str(root / SPEECH.format(d=d))


def enrolment(tmp: Path, text: str | bytes) -> Case:
    path = tmp / "enrol.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return Case(["enrol", "--csv", str(path), "--out", str(tmp / "out" / "p.json")], "enrol.csv")


def e_label_outside(tmp, root):
    return enrolment(tmp, f"image,audio,label\n,{wav(root, 1)},1\n,{wav(root, 2)},12\n")


def e_label_not_a_number(tmp, root):
    return enrolment(tmp, f"image,audio,label\n,{wav(root, 1)},seven\n")


def e_label_missing(tmp, root):
    return enrolment(tmp, f"image,audio,label\n,{wav(root, 1)},\n")


def e_no_label_column(tmp, root):
    return enrolment(tmp, f"image,audio\n,{wav(root, 1)}\n")


def e_wrong_field_count(tmp, root):
    return enrolment(tmp, f"image,audio,label\n,{wav(root, 1)},1,extra\n")


def e_row_without_files(tmp, root):
    return enrolment(tmp, "image,audio,label\n,,3\n")


def e_empty_csv(tmp, root):
    return enrolment(tmp, "")


def e_header_only(tmp, root):
    return enrolment(tmp, "image,audio,label\n")


def e_not_utf8(tmp, root):
    return enrolment(tmp, b"image,audio,label\n,\xff\xfe.wav,1\n")


def e_unreadable_audio(tmp, root):
    (tmp / "broken.wav").write_bytes(b"RIFF....this is not audio")
    case = enrolment(tmp, f"image,audio,label\n,{wav(root, 1)},1\n,broken.wav,2\n")
    return Case(case.args, "broken.wav")


def e_missing_audio(tmp, root):
    case = enrolment(tmp, "image,audio,label\n,ghost.wav,2\n")
    return Case(case.args, "ghost.wav")


def e_corrupt_image(tmp, root):
    (tmp / "seven.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    case = enrolment(tmp, "image,audio,label\nseven.png,,7\n")
    return Case(case.args, "seven.png")


def e_silent_audio(tmp, root):
    import soundfile as sf

    sf.write(tmp / "quiet.wav", np.zeros(8000, np.float32), 8000)
    case = enrolment(tmp, "image,audio,label\n,quiet.wav,4\n")
    return Case(case.args, "quiet.wav")


def e_missing_csv(tmp, root):
    return Case(["enrol", "--csv", str(tmp / "none.csv"), "--out", str(tmp / "p.json")], "none.csv")


def e_audio_dir_without_wavs(tmp, root):
    (tmp / "voice").mkdir()
    (tmp / "voice" / "notes.txt").write_text("no recordings here")
    return Case(["enrol", "--audio-dir", str(tmp / "voice"), "--out", str(tmp / "p.json")], "voice")


def e_audio_dir_missing(tmp, root):
    return Case(["enrol", "--audio-dir", str(tmp / "nowhere"), "--out", str(tmp / "p.json")], "nowhere")


def profile_case(tmp: Path, root: Path, content: bytes | str, name: str = "p.json") -> Case:
    path = tmp / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return Case(["predict", "--json", "--audio", wav(root, 3), "--profile", str(path)], name)


def other_model_profile() -> str:
    rng = np.random.default_rng(0)
    bank = Bank(rng.normal(size=(10, 128)).astype(np.float32), np.arange(10))
    return json.dumps(Profile("eve", "0" * 64, "attention", MethodParams(), {"audio": bank}).to_dict())


def p_other_model(tmp, root, good):
    return profile_case(tmp, root, other_model_profile())


def p_truncated(tmp, root, good):
    text = good.read_text()
    return profile_case(tmp, root, text[: len(text) * 2 // 3])


def p_altered(tmp, root, good):
    data = json.loads(good.read_text())
    data["name"] = "someone else"
    return profile_case(tmp, root, json.dumps(data))


def p_flipped_byte_in_embeddings(tmp, root, good):
    data = json.loads(good.read_text())
    blob = data["modalities"]["audio"]["embeddings"]
    data["modalities"]["audio"]["embeddings"] = ("B" if blob[5] != "B" else "C").join((blob[:5], blob[6:]))
    return profile_case(tmp, root, json.dumps(data))


def p_templates_cut_short(tmp, root, good):
    """The templates' frames shortened and the checksum recomputed: the shapes alone must catch it."""
    from digitfusion.enrol.profile import checksum

    data = json.loads(good.read_text())
    templates = data["modalities"]["audio"]["templates"]
    templates["frames"] = templates["frames"][: len(templates["frames"]) // 2 // 4 * 4]
    body = {k: v for k, v in data.items() if k != "checksum"}
    return profile_case(tmp, root, json.dumps({**body, "checksum": checksum(body)}))


def p_future_version(tmp, root, good):
    data = json.loads(good.read_text())
    data["version"] = VERSION + 1
    return profile_case(tmp, root, json.dumps(data))


def p_not_json(tmp, root, good):
    return profile_case(tmp, root, b"\x00\x01 binary junk")


def p_a_wav(tmp, root, good):
    return profile_case(tmp, root, Path(wav(root, 1)).read_bytes(), "voice.json")


def p_missing(tmp, root, good):
    return Case(["predict", "--json", "--audio", wav(root, 3), "--profile", str(tmp / "gone.json")], "gone.json")


def p_directory(tmp, root, good):
    (tmp / "dir.json").mkdir()
    return Case(["predict", "--json", "--audio", wav(root, 3), "--profile", str(tmp / "dir.json")], "dir.json")


def p_batch_with_bad_profile(tmp, root, good):
    (tmp / "batch.csv").write_text(f"image,audio\n,{wav(root, 1)}\n")
    case = profile_case(tmp, root, other_model_profile())
    return Case(["predict", "--batch", str(tmp / "batch.csv"), "--json", *case.args[-2:]], "p.json")


ENROL_CASES = [
    ("label_outside_0_9", e_label_outside, "enrol.csv:3", "not a digit 0-9"),
    ("label_not_a_number", e_label_not_a_number, None, "not a digit 0-9"),
    ("label_missing", e_label_missing, None, "not a digit 0-9"),
    ("no_label_column", e_no_label_column, None, "needs a header"),
    ("wrong_field_count", e_wrong_field_count, "enrol.csv:2", "has 4 fields"),
    ("row_without_files", e_row_without_files, "enrol.csv:2", "neither an image nor a recording"),
    ("empty_csv", e_empty_csv, None, "is empty"),
    ("header_only", e_header_only, None, "no example rows"),
    ("not_utf8", e_not_utf8, None, "not UTF-8"),
    ("unreadable_audio", e_unreadable_audio, None, "not a readable audio file"),
    ("missing_audio", e_missing_audio, None, "no such file"),
    ("corrupt_image", e_corrupt_image, None, "cannot be read as an image"),
    ("silent_audio", e_silent_audio, None, "silent"),
    ("missing_csv", e_missing_csv, None, "no such enrolment CSV"),
    ("audio_dir_without_wavs", e_audio_dir_without_wavs, None, "no {digit}*.wav"),
    ("audio_dir_missing", e_audio_dir_missing, None, "no such folder"),
]
PROFILE_CASES = [
    ("other_model", p_other_model, "made with another model"),
    ("truncated", p_truncated, "not valid JSON"),
    ("altered", p_altered, "corrupt"),
    ("flipped_byte", p_flipped_byte_in_embeddings, "corrupt"),
    ("templates_cut_short", p_templates_cut_short, "templates do not match"),
    ("future_version", p_future_version, f"format version {VERSION + 1}"),
    ("not_json", p_not_json, "not valid JSON"),
    ("a_wav_renamed", p_a_wav, "not valid JSON"),
    ("missing", p_missing, "no such profile file"),
    ("directory", p_directory, "is a directory"),
    ("batch_other_model", p_batch_with_bad_profile, "made with another model"),
]


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def check_one_line_error(run: subprocess.CompletedProcess, subject: str, problem: str) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("digitfusion: error: "), run.stderr
    assert subject in run.stderr and problem in run.stderr, run.stderr
    assert run.stdout == "", run.stdout


@pytest.mark.parametrize("name,builder,subject,problem", ENROL_CASES, ids=[c[0] for c in ENROL_CASES])
def test_bad_enrolment(name, builder, subject, problem, model_dir, real_root, tmp_path):
    case = builder(tmp_path, real_root)
    before = listing(tmp_path)
    run = cli([*case.args, "--model", str(model_dir)], tmp_path)
    check_one_line_error(run, subject or case.subject, problem)
    assert listing(tmp_path) == before, "enrol wrote something"


@pytest.mark.parametrize("name,builder,problem", PROFILE_CASES, ids=[c[0] for c in PROFILE_CASES])
def test_bad_profile(name, builder, problem, model_dir, real_root, good_profile, tmp_path):
    case = builder(tmp_path, real_root, good_profile)
    before = listing(tmp_path)
    run = cli([*case.args, "--model", str(model_dir)], tmp_path)
    check_one_line_error(run, case.subject, problem)
    assert listing(tmp_path) == before, "predict wrote something"


def test_the_good_profile_is_accepted(model_dir, real_root, good_profile, tmp_path):
    run = cli(["predict", "--json", "--audio", wav(real_root, 3), "--profile", str(good_profile),
               "--model", str(model_dir)], tmp_path)
    assert run.returncode == 0 and json.loads(run.stdout)["profile"]["name"] == "me", run.stderr
