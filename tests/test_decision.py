"""Status, reason and disagreement from logits (generated), and the speech check on generated clips."""

import numpy as np
import pytest

from digitfusion.decision import (
    DISAGREE,
    LOW_CONFIDENCE,
    NO_SPEECH,
    NOT_A_DIGIT,
    UNCALIBRATED,
    calibrated,
    decide,
    energy,
    voiced_seconds,
)

CAL = {"temperature": {k: 1.0 for k in ("image", "audio", "both", "image only", "audio only")},
       "reject": {"image_energy": 5.0, "audio_energy": 5.0, "audio_voiced": 0.1},
       "unsure": {k: 0.9 for k in ("image", "audio", "both", "image only", "audio only")}}


def logits(digit: int, peak: float) -> np.ndarray:
    """[1, 10]: `peak` on `digit`, 0 elsewhere (energy ~ peak when the peak is large)."""
    row = np.zeros((1, 10), np.float32)
    row[0, digit] = peak
    return row


def outputs(image: np.ndarray, audio: np.ndarray, fused: np.ndarray) -> dict:
    return {"image_logits": image, "audio_logits": audio, "fused_logits": fused}


def test_calibrated_and_energy():
    z = np.array([[2.0, 1.0, 0.0] + [0.0] * 7])
    assert np.allclose(calibrated(z, 1.0).sum(), 1.0)
    assert calibrated(z, 0.5).max() > calibrated(z, 1.0).max() > calibrated(z, 4.0).max()
    assert energy(logits(3, 20.0), 1.0)[0] > energy(logits(3, 2.0), 1.0)[0]


def test_agreeing_confident_pair_is_ok():
    v = decide(outputs(logits(7, 20), logits(7, 20), logits(7, 25)), True, True, CAL, np.array([0.4]))[0]
    assert (v["status"], v["reason"], v["digit"], v["disagreement"]) == ("ok", None, 7, None)
    assert v["modalities"]["image"]["status"] == "ok" and v["modalities"]["audio"]["status"] == "ok"


def test_confident_disagreement_follows_the_modality_the_fusion_prefers():
    v = decide(outputs(logits(7, 20), logits(1, 12), logits(7, 9)), True, True, CAL, np.array([0.4]))[0]
    assert v["status"] == "unsure" and v["reason"] == DISAGREE
    assert v["disagreement"] == {"image": 7, "audio": 1, "trusted": "image"} and v["digit"] == 7
    # the image head is the surer of the two, but the fused answer puts more on the voice's digit
    v = decide(outputs(logits(7, 20), logits(1, 12), logits(1, 9)), True, True, CAL, np.array([0.4]))[0]
    assert v["disagreement"]["trusted"] == "audio" and v["digit"] == 1


def test_hesitant_disagreement_is_not_reported_as_one_but_is_not_ok_either():
    torn = logits(1, 8.0)
    torn[0, 2] = 7.5  # digit-like (high energy) but split between 1 and 2
    v = decide(outputs(logits(7, 20), torn, logits(7, 20)), True, True, CAL, np.array([0.4]))[0]
    assert v["modalities"]["audio"]["status"] == "unsure" and v["disagreement"] is None
    assert v["status"] == "unsure" and v["reason"] == LOW_CONFIDENCE and v["digit"] == 7
    agreeing = logits(7, 8.0)
    agreeing[0, 2] = 7.5  # as hesitant, but its best guess is the writing's digit: nothing to doubt
    v = decide(outputs(logits(7, 20), agreeing, logits(7, 20)), True, True, CAL, np.array([0.4]))[0]
    assert v["modalities"]["audio"]["status"] == "unsure" and v["status"] == "ok" and v["digit"] == 7


def test_a_fused_answer_neither_sense_gives_is_not_ok():
    v = decide(outputs(logits(7, 20), logits(7, 20), logits(2, 25)), True, True, CAL, np.array([0.4]))[0]
    assert (v["status"], v["reason"], v["digit"], v["disagreement"]) == ("unsure", LOW_CONFIDENCE, 2, None)


def test_a_lone_hesitant_modality_makes_the_answer_unsure():
    cal = {**CAL, "unsure": {**CAL["unsure"], "audio only": 0.2}}  # the case would accept it, its head does not
    torn = logits(1, 8.0)
    torn[0, 2] = 7.5
    v = decide(outputs(logits(0, 0), torn, torn), False, True, cal, np.array([0.4]))[0]
    assert v["modalities"]["audio"]["status"] == "unsure"
    assert (v["status"], v["reason"], v["digit"]) == ("unsure", LOW_CONFIDENCE, 1)


def test_a_rejected_modality_is_set_aside():
    v = decide(outputs(logits(7, 20), logits(1, 20), logits(1, 20)), True, True, CAL, np.array([0.0]))[0]
    assert v["modalities"]["audio"]["status"] == "rejected" and v["modalities"]["audio"]["reason"] == NO_SPEECH
    assert v["status"] == "unsure" and v["reason"] == NO_SPEECH and v["digit"] == 7


def test_a_clip_without_pitch_is_speech_when_the_head_is_surer_than_on_any_noise():
    gated = {**CAL, "reject": {**CAL["reject"], "audio_voiced_confidence": 0.9}}
    sure, unsure = logits(1, 20), logits(1, 1.5)  # softmax confidence about 1.0 and about 0.35
    v = decide(outputs(logits(7, 20), sure, sure), False, True, gated, np.array([0.0]))[0]
    assert v["modalities"]["audio"]["status"] == "ok" and v["digit"] == 1
    v = decide(outputs(logits(7, 20), unsure, unsure), False, True, gated, np.array([0.0]))[0]
    assert v["modalities"]["audio"]["reason"] == NO_SPEECH
    v = decide(outputs(logits(7, 20), sure, sure), False, True, CAL, np.array([0.0]))[0]  # no gate: pitch alone
    assert v["modalities"]["audio"]["reason"] == NO_SPEECH


def test_a_recording_alone_without_pitch_keeps_its_best_guess_flagged_unsure():
    v = decide(outputs(logits(7, 20), logits(3, 20), logits(3, 20)), False, True, CAL, np.array([0.0]))[0]
    assert v["modalities"]["audio"]["status"] == "rejected" and v["modalities"]["audio"]["reason"] == NO_SPEECH
    assert (v["status"], v["reason"], v["digit"]) == ("unsure", NO_SPEECH, 3)
    odd = decide(outputs(logits(4, 2), logits(3, 20), logits(3, 20)), True, True, CAL, np.array([0.0]))[0]
    assert (odd["status"], odd["digit"]) == ("rejected", None)  # and the writing is no digit either


def test_nothing_digit_like_is_rejected_with_no_digit():
    v = decide(outputs(logits(4, 2), logits(2, 2), logits(4, 2)), True, True, CAL, np.array([0.5]))[0]
    assert (v["status"], v["reason"], v["digit"]) == ("rejected", NOT_A_DIGIT, None)
    alone = decide(outputs(logits(4, 2), logits(0, 0), logits(4, 2)), True, False, CAL)[0]
    assert alone["status"] == "rejected" and alone["modalities"]["audio"] is None


def test_a_profile_adapted_answer_is_judged_digit_like_on_the_model_s_own_logits():
    """A profile's adapted logits have another scale (low energy): the rejections look at the base outputs."""
    adapted = outputs(logits(4, 2), logits(4, 2), logits(4, 20))  # low energy: rejected if judged on these
    base = outputs(logits(4, 20), logits(4, 20), logits(4, 20))
    assert decide(adapted, True, True, CAL, np.array([0.5]))[0]["status"] == "rejected"
    v = decide(adapted, True, True, CAL, np.array([0.5]), base)[0]
    assert v["digit"] == 4 and v["modalities"]["audio"]["reason"] != NOT_A_DIGIT and v["status"] != "rejected"
    assert decide(base, True, True, CAL, np.array([0.5]), adapted)[0]["status"] == "rejected"


def test_low_fused_confidence_is_unsure():
    fused = np.array([[3.0, 2.9] + [0.0] * 8], np.float32)
    v = decide(outputs(logits(0, 20), logits(0, 20), fused), True, True, CAL, np.array([0.4]))[0]
    assert (v["status"], v["reason"], v["digit"]) == ("unsure", LOW_CONFIDENCE, 0)


def test_a_model_without_calibration_says_so():
    v = decide(outputs(logits(3, 20), logits(3, 20), logits(3, 20)), True, True, None)[0]
    assert v["status"] == "unsure" and v["reason"] == UNCALIBRATED and v["digit"] == 3


@pytest.mark.parametrize("pitch", [100.0, 220.0])
def test_voiced_seconds_tells_pitched_sound_from_noise(pitch):
    rng = np.random.default_rng(0)
    t = np.arange(8000) / 8000
    voice = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 6)) * (np.abs(t - 0.5) < 0.25)
    noise = rng.normal(0, 0.3, 8000)
    brown = np.cumsum(rng.normal(size=8000))
    seconds = voiced_seconds(np.stack([voice, noise, brown / np.abs(brown).max(), np.zeros(8000)]))
    assert 0.4 <= seconds[0] <= 0.55, seconds
    assert seconds[1] < 0.03 and seconds[2] < 0.05 and seconds[3] == 0.0, seconds


def test_the_voice_band_filter_is_scipy_s_without_importing_it():
    """predict must not import scipy.signal (0.65 s at start): the written-out design and the FFT convolution with
    its impulse response equal scipy's butter and sosfilt."""
    from scipy.signal import butter, sosfilt

    from digitfusion.decision import VOICE_BAND_HZ, voice_band, voice_band_filter

    design = butter(4, VOICE_BAND_HZ, btype="bandpass", fs=8000, output="sos")
    np.testing.assert_allclose(voice_band_filter(8000), design, rtol=0, atol=1e-15)
    clips = np.random.default_rng(0).normal(size=(3, 8000))
    np.testing.assert_allclose(voice_band(clips, 8000), sosfilt(design, clips, axis=1), rtol=0, atol=1e-10)
    other = butter(4, VOICE_BAND_HZ, btype="bandpass", fs=16000, output="sos")  # a rate not written out: designed
    np.testing.assert_allclose(voice_band(clips, 16000), sosfilt(other, clips, axis=1), rtol=0, atol=1e-10)


def test_an_embedding_far_from_every_digit_is_unsure_but_keeps_its_guess():
    from digitfusion.evaluation.typicality import class_statistics

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 50)
    centres = rng.normal(size=(10, 6)) * 5
    embeddings = centres[labels] + rng.normal(size=(500, 6))
    typical = {**class_statistics(embeddings, labels), "threshold": 30.0}
    cal = {**CAL, "typical": {"image": typical}}
    sure = outputs(logits(3, 20), logits(3, 20), logits(3, 20))
    near, far = centres[3][None], centres[3][None] + 40.0
    v = decide({**sure, "image_embedding": near}, True, False, cal)[0]
    assert (v["status"], v["reason"]) == ("ok", None)
    v = decide({**sure, "image_embedding": far}, True, False, cal)[0]
    assert (v["status"], v["reason"], v["digit"]) == ("unsure", NOT_A_DIGIT, 3)
    assert v["modalities"]["image"]["status"] == "unsure"
    off = {**cal, "typical": {"image": {**typical, "threshold": None}}}  # the calibration chose not to flag
    assert decide({**sure, "image_embedding": far}, True, False, off)[0]["status"] == "ok"
    # a calibration fitted on the image head's own features judges those, not the fusion's encoder's
    head = {**cal, "typical": {"image": {**typical, "output": "image_head_embedding"}}}
    v = decide({**sure, "image_embedding": near, "image_head_embedding": far}, True, False, head)[0]
    assert (v["status"], v["reason"]) == ("unsure", NOT_A_DIGIT)


def test_an_outlier_detector_s_low_energy_flags_a_guess_unsure_beside_the_distance_test():
    from digitfusion.decision import DETECTOR_OUTPUT

    name = DETECTOR_OUTPUT.format("image")
    cal = {**CAL, "typical": {"image": {"threshold": None, "detector": {"output": name, "threshold": 6.0}}}}
    sure = outputs(logits(3, 20), logits(3, 20), logits(3, 20))
    v = decide({**sure, name: logits(3, 12)}, True, False, cal)[0]  # the detector finds it digit-like
    assert (v["status"], v["reason"]) == ("ok", None)
    v = decide({**sure, name: np.zeros((1, 10), np.float32)}, True, False, cal)[0]  # energy log(10) < 6
    assert (v["status"], v["reason"], v["digit"]) == ("unsure", NOT_A_DIGIT, 3)
    off = {**cal, "typical": {"image": {"threshold": None, "detector": {"output": name, "threshold": None}}}}
    assert decide({**sure, name: np.zeros((1, 10), np.float32)}, True, False, off)[0]["status"] == "ok"
    # a graph without the detector's output (an older export) is judged without it
    assert decide(sure, True, False, cal)[0]["status"] == "ok"


def test_an_outlier_detector_can_be_judged_by_its_largest_probability():
    from digitfusion.decision import DETECTOR_OUTPUT, detector_score

    name = DETECTOR_OUTPUT.format("audio")
    spread = np.full((1, 10), 30.0, np.float32)  # exposure's answer for a non-digit: even, whatever its scale
    assert detector_score(spread, "energy")[0] > 30 and np.isclose(detector_score(spread, "msp")[0], 0.1)
    cal = {**CAL, "typical": {"audio": {"threshold": None,
                                        "detector": {"output": name, "score": "msp", "threshold": 0.15}}}}
    sure = outputs(logits(3, 20), logits(3, 20), logits(3, 20))
    voiced = np.ones(1)
    v = decide({**sure, name: spread}, False, True, cal, voiced)[0]
    assert (v["status"], v["reason"], v["digit"]) == ("unsure", NOT_A_DIGIT, 3)
    assert decide({**sure, name: logits(3, 12)}, False, True, cal, voiced)[0]["status"] == "ok"
