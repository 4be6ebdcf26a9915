"""The profile file: round trip, a few kB, and every corruption refused with what is wrong."""

import json

import numpy as np
import pytest

from digitfusion.enrol.methods import Bank, MethodParams
from digitfusion.enrol.profile import Profile, ProfileError, check_model, loads, read_profile_file
from digitfusion.errors import DigitfusionError

SHA = "ab" * 32


def a_profile(per_digit: int = 1) -> Profile:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), per_digit)
    banks = {"audio": Bank(rng.normal(size=(len(labels), 128)).astype(np.float32), labels),
             "image": Bank(rng.normal(size=(3, 128)).astype(np.float32), np.array([1, 4, 7]))}
    return Profile("ada", SHA, "attention", MethodParams(), banks)


def test_round_trip_keeps_examples_and_method(tmp_path):
    profile = a_profile()
    profile.save(tmp_path / "ada.json")
    back = read_profile_file(tmp_path / "ada.json")
    assert back.name == "ada" and back.model_sha256 == SHA and back.method == profile.method
    assert back.examples == {"image": 3, "audio": 10}
    for modality, bank in profile.banks.items():
        assert np.array_equal(back.banks[modality].labels, bank.labels)
        assert np.allclose(back.banks[modality].embeddings, bank.embeddings, atol=2e-3)  # float16 storage


def test_a_profile_of_ten_examples_is_a_few_kilobytes(tmp_path):
    a_profile().save(tmp_path / "p.json")
    assert (tmp_path / "p.json").stat().st_size < 12_000


@pytest.mark.parametrize("edit, problem", [
    (lambda d: {**d, "version": 99}, "format version 99"),
    (lambda d: {**d, "format": "something"}, "not a digitfusion profile"),
    (lambda d: {**d, "name": "mallory"}, "checksum"),
    (lambda d: [1, 2, 3], "not a digitfusion profile"),
])
def test_altered_profiles_are_refused(edit, problem):
    data = a_profile().to_dict()
    with pytest.raises(ProfileError, match=problem):
        loads(json.dumps(edit(data)))


def test_truncated_profile_is_refused_naming_the_file(tmp_path):
    a_profile().save(tmp_path / "p.json")
    text = (tmp_path / "p.json").read_text()
    (tmp_path / "p.json").write_text(text[: len(text) // 2])
    with pytest.raises(DigitfusionError, match=r"p\.json: profile is not valid JSON"):
        read_profile_file(tmp_path / "p.json")


def test_profile_of_another_model_is_refused():
    with pytest.raises(ProfileError, match="another model"):
        check_model(a_profile(), "cd" * 32, {"image": 128, "audio": 128})
    with pytest.raises(ProfileError, match="128 features"):
        check_model(a_profile(), SHA, {"image": 128, "audio": 64})


def test_missing_profile_file_is_one_line(tmp_path):
    with pytest.raises(DigitfusionError, match="no such profile file"):
        read_profile_file(tmp_path / "none.json")


def test_a_profile_keeps_its_checksum_through_a_browser_round_trip(tmp_path):
    """JSON.stringify writes 1.0 as 1 (the shipped temperature is 1.0): the page's copy must still load."""
    bank = Bank(np.ones((2, 4), np.float32), np.array([1, 2]))
    profile = Profile("p", "0" * 64, "attention", MethodParams("ridge", 1.0, 1.0, True, 1.0), {"audio": bank})
    as_browser = json.dumps(profile.to_dict()).replace("1.0", "1")
    assert '"temperature": 1,' in as_browser
    assert loads(as_browser).method == profile.method


def with_templates(profile: Profile) -> Profile:
    rng = np.random.default_rng(1)
    bank = profile.banks["audio"]
    bank.sequences = [rng.normal(size=(int(rng.integers(20, 80)), 13)).astype(np.float32) for _ in bank.labels]
    return profile


def test_templates_round_trip_and_ten_recordings_stay_small(tmp_path):
    profile = with_templates(a_profile())
    profile.save(tmp_path / "p.json")
    back = read_profile_file(tmp_path / "p.json")
    assert len(back.banks["audio"].sequences) == 10 and back.banks["image"].sequences is None
    for ours, theirs in zip(profile.banks["audio"].sequences, back.banks["audio"].sequences, strict=True):
        assert ours.shape == theirs.shape and np.allclose(ours, theirs, atol=2e-3, rtol=2e-3)
    assert (tmp_path / "p.json").stat().st_size < 40_000  # 10 words of up to 0.8 s


def test_a_version_1_profile_without_templates_still_loads():
    data = a_profile().to_dict()
    body = {k: v for k, v in data.items() if k != "checksum"}
    body["version"] = 1
    body["method"] = {k: v for k, v in body["method"].items() if not k.startswith("template") and k != "voice_gate"}
    from digitfusion.enrol.profile import checksum

    back = loads(json.dumps({**body, "checksum": checksum(body)}))
    assert back.method.template_weight == 0 and back.banks["audio"].sequences is None


def test_a_version_2_profile_keeps_its_embedding_gate():
    data = with_templates(a_profile()).to_dict()
    body = {k: v for k, v in data.items() if k != "checksum"}
    body["version"] = 2
    body["method"] = {k: v for k, v in body["method"].items() if k != "voice_gate"}
    from digitfusion.enrol.profile import checksum

    back = loads(json.dumps({**body, "checksum": checksum(body)}))
    assert back.method.voice_gate is None and back.banks["audio"].sequences is not None


def test_templates_of_another_frame_size_are_refused():
    data = with_templates(a_profile()).to_dict()
    import base64

    from digitfusion.enrol.profile import checksum

    frames = base64.b64encode(np.zeros((10, 26), "<f2").tobytes()).decode("ascii")
    data["modalities"]["audio"]["templates"] = {"lengths": [1] * 10, "dim": 26, "frames": frames}
    body = {k: v for k, v in data.items() if k != "checksum"}
    with pytest.raises(ProfileError, match="26 features per frame, this digitfusion makes 13"):
        loads(json.dumps({**body, "checksum": checksum(body)}))
