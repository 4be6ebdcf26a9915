"""Knowing when not to answer: status, reason and disagreement from the model's outputs (numpy, no torch).

Each head's logits are calibrated by a temperature; a modality is "rejected" when its out-of-distribution
scores fall below thresholds (the energy T*logsumexp(logits/T) of its head; for audio also the voiced time of
the trimmed clip, frame test cal["voicing"]["correlation"]), "unsure" with reason "not a digit" when its
embedding lies farther from every digit's training mean than validation's typical items (squared Mahalanobis
distance, shared covariance: cal["typical"]) or when its outlier detector, if the graph has one, scores it lower
than validation's digits (energy or largest probability: cal["typical"][kind]["detector"]), "unsure" when its
calibrated confidence is low. A statistical outlier keeps its best guess (a new hand or voice can be one); only
the energy test names no digit.
The temperatures and thresholds are chosen on validation data at export time (evaluation/abstention.py) and
stored in preprocessing.json["abstention"].

Answer fields: status "ok" | "unsure" | "rejected", reason (null when ok), disagreement
{"image": d1, "audio": d2, "trusted": "image" | "audio"} or null.
"""

from __future__ import annotations

import base64
from functools import lru_cache

import numpy as np

NO_SPEECH, NOT_A_DIGIT, DISAGREE, LOW_CONFIDENCE = "no speech", "not a digit", "modalities disagree", "low confidence"
DETECTOR_OUTPUT = "{}_detector_logits"  # the graph output of a modality's outlier detector (export/graph.py)
# the scores an outlier detector can be judged by (detector_score), each with what the model card calls it
DETECTOR_SCORES = {"energy": "energy, the logsumexp of its logits", "msp": "its largest probability"}
UNCALIBRATED = "the model folder has no abstention calibration (export it again)"
VOICED_CORRELATION = 0.6  # default frame test; the calibration chooses its own on validation (cal["voicing"])
PITCH_HZ = (60.0, 400.0)  # the pitch range searched (adult and child voices)
VOICE_BAND_HZ = (150.0, 900.0)  # F0 and first harmonics: white noise keeps a fifth of its power there,
# brown noise and hum lose most of theirs
# scipy.signal.butter(4, VOICE_BAND_HZ, btype="bandpass", fs=rate, output="sos") at the clips' rate, written out:
# importing scipy.signal costs `predict` 0.65 s at start where nothing else needs it (images, 8 kHz recordings;
# other rates are resampled with it), nearly half of a batch of 100 clips (a test compares)
VOICE_BAND_SOS = {8000: ((0.003869518318520654, 0.007739036637041308, 0.003869518318520654, 1.0, -1.2110862942242622,
                          0.4136698614660992),
                         (1.0, 2.0, 1.0, 1.0, -1.3079329762165806, 0.6952129583031643),
                         (1.0, -2.0, 1.0, 1.0, -1.755840956170382, 0.777510133277609),
                         (1.0, -2.0, 1.0, 1.0, -1.919867903962878, 0.9340134790475911))}
IMPULSE_SECONDS = 0.128  # the band-pass's impulse response kept: its energy past 64 ms is 1e-16 of the whole


def voicing_correlation(cal: dict | None) -> float:
    """The frame test the calibration chose (older calibrations: the default)."""
    return (cal or {}).get("voicing", {}).get("correlation", VOICED_CORRELATION)


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax of logits / T: [B, 10] -> [B, 10]."""
    scaled = logits / temperature
    shifted = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def energy(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Negative free energy T*logsumexp(logits/T) [B, 10] -> [B]: low for inputs unlike the training data."""
    scaled = logits / temperature
    peak = scaled.max(axis=-1)
    return temperature * (peak + np.log(np.exp(scaled - peak[:, None]).sum(axis=-1)))


def voiced_seconds(clips: np.ndarray, sample_rate: int = 8000, correlation: float = VOICED_CORRELATION,
                   chunk: int = 128) -> np.ndarray:
    """Seconds of periodic (pitched) sound in each trimmed clip [B, N] -> [B]: near 0 for noise and silence."""
    clips = np.atleast_2d(np.asarray(clips, np.float64))
    return np.concatenate([_voiced(clips[i:i + chunk], sample_rate, correlation)
                           for i in range(0, len(clips), chunk)])


def voice_band_filter(sample_rate: int) -> np.ndarray:
    """The 4th-order Butterworth band-pass of VOICE_BAND_HZ as second-order sections [4, 6] (b0 b1 b2 a0 a1 a2)."""
    if sample_rate in VOICE_BAND_SOS:
        return np.array(VOICE_BAND_SOS[sample_rate])
    from scipy.signal import butter  # another rate: designed (no clip path here uses one)

    return butter(4, VOICE_BAND_HZ, btype="bandpass", fs=sample_rate, output="sos")


@lru_cache(maxsize=4)
def voice_band_impulse(sample_rate: int) -> np.ndarray:
    """The band-pass's impulse response [IMPULSE_SECONDS * rate]: the sections' difference equations run on a unit
    impulse (direct form II transposed, as scipy.signal.sosfilt)."""
    signal = np.zeros(int(IMPULSE_SECONDS * sample_rate))
    signal[0] = 1.0
    for b0, b1, b2, _, a1, a2 in voice_band_filter(sample_rate):
        out, z1, z2 = np.empty_like(signal), 0.0, 0.0
        for n, x in enumerate(signal):
            y = b0 * x + z1
            z1, z2 = b1 * x - a1 * y + z2, b2 * x - a2 * y
            out[n] = y
        signal = out
    return signal


def voice_band(clips: np.ndarray, sample_rate: int) -> np.ndarray:
    """The clips [B, N] through the band-pass, from rest: sosfilt's output (within 1e-10, a test compares) by
    convolving with its impulse response in the frequency domain (numpy's FFT)."""
    impulse = voice_band_impulse(sample_rate)
    size = 1 << int(np.ceil(np.log2(clips.shape[1] + len(impulse) - 1)))
    spectrum = np.fft.rfft(clips, size, axis=1) * np.fft.rfft(impulse, size)
    return np.fft.irfft(spectrum, size, axis=1)[:, :clips.shape[1]]


def _voiced(clips: np.ndarray, sample_rate: int, correlation: float, frame: int = 320, hop: int = 80) -> np.ndarray:
    """A frame counts when it is within 35 dB of the clip's loudest frame and the autocorrelation of its
    150-900 Hz band (Hann window) peaks above `correlation` at a lag in the pitch range. [B, N] -> [B]"""
    starts = np.arange(0, clips.shape[1] - frame + 1, hop)
    band = voice_band(clips, sample_rate)
    frames = band[:, starts[:, None] + np.arange(frame)[None, :]]  # [B, F, frame]
    frames = frames - frames.mean(axis=-1, keepdims=True)
    power = (frames ** 2).mean(axis=-1)  # [B, F]
    loud = 10 * np.log10(power + 1e-12) > 10 * np.log10(power.max(axis=1, keepdims=True) + 1e-12) - 35
    spectrum = np.fft.rfft(frames * np.hanning(frame), n=2 * frame, axis=-1)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2, axis=-1)[..., :frame]  # [B, F, frame]
    low, high = int(sample_rate / PITCH_HZ[1]), min(frame - 1, int(sample_rate / PITCH_HZ[0]))
    # biased (plain) normalisation: long lags, estimated from few samples, are not inflated by noise
    strength = autocorr[..., low:high].max(axis=-1) / np.maximum(autocorr[..., 0], 1e-12)
    voiced = loud & (strength > correlation) & (power > 1e-10)
    return voiced.sum(axis=1) * hop / sample_rate


def encode_matrix(matrix: np.ndarray) -> dict:
    """A float matrix as JSON: {"shape", "float32": base64 of its little-endian float32 bytes}."""
    data = np.ascontiguousarray(matrix, "<f4")
    return {"shape": list(data.shape), "float32": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_matrix(encoded: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(encoded["float32"]), "<f4").reshape(encoded["shape"]).astype(np.float64)


def mahalanobis(embeddings: np.ndarray, typical: dict) -> np.ndarray:
    """Squared Mahalanobis distance to the nearest class mean: embeddings [B, D] -> [B]. typical["whitening"]
    [D, D] is L of the precision's Cholesky factor (precision = L L^T), typical["means"] [10, D] the class means
    already whitened, so the distance is the squared Euclidean one after `@ L`."""
    whitened = np.asarray(embeddings, np.float64) @ decode_matrix(typical["whitening"])
    means = decode_matrix(typical["means"])
    return (((whitened[:, None, :] - means[None]) ** 2).sum(axis=-1)).min(axis=1)


def atypical(embeddings: np.ndarray | None, kind: str, cal: dict, detector_logits: np.ndarray | None = None
             ) -> np.ndarray:
    """[B] True where the embedding [B, D] is farther from every digit than the calibration allows, or where the
    modality's outlier detector (a model trained with outlier exposure, export/graph.py) scores its logits [B, 10]
    below the calibration's threshold (detector_score); all False when the calibration has neither test (older
    folders). At least one of the two inputs is given."""
    typical = cal.get("typical", {}).get(kind) or {}
    flagged = np.zeros(len(embeddings if embeddings is not None else detector_logits), bool)
    if embeddings is not None and typical.get("threshold") is not None:  # None: chose to flag nothing
        flagged |= mahalanobis(embeddings, typical) > typical["threshold"]
    detector = typical.get("detector") or {}
    if detector_logits is not None and detector.get("threshold") is not None:
        flagged |= detector_score(detector_logits, detector.get("score", "energy")) < detector["threshold"]
    return flagged


def detector_score(logits: np.ndarray, score: str) -> np.ndarray:
    """How digit-like an outlier detector finds each input, [B, 10] -> [B] (low: not a digit): "energy"
    (logsumexp of the logits) or "msp" (the largest softmax probability, the score outlier exposure trains: near
    0.1 for what it learnt to spread over the ten digits)."""
    return energy(logits, 1.0) if score == "energy" else calibrated(logits, 1.0).max(axis=-1)


def typicality_output(cal: dict, kind: str) -> str:
    """The graph output whose embeddings the typicality test of `kind` judges: the one the calibration was fitted
    on (older calibrations: the fused model's encoder features, `{kind}_embedding`)."""
    return cal.get("typical", {}).get(kind, {}).get("output", f"{kind}_embedding")


def detector_output(cal: dict, kind: str) -> str | None:
    """The graph output of the outlier detector the calibration judges `kind` by (None: it has none)."""
    return (cal.get("typical", {}).get(kind, {}).get("detector") or {}).get("output")


def modality_status(logits: np.ndarray, kind: str, cal: dict, voiced: np.ndarray | None = None,
                    base_logits: np.ndarray | None = None, embeddings: np.ndarray | None = None,
                    detector_logits: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, list[str], list[str | None]]:
    """One unimodal head's verdict per sample: (digits [B], calibrated confidence [B], statuses, reasons).
    base_logits: the model's own logits when a profile adapted `logits`; the rejections (energy, no speech) were
    calibrated on the model's logits, so they judge those (an adapted head's logits have another scale).
    embeddings [B, D], detector_logits [B, 10]: that modality's embeddings and outlier detector's logits (the
    typicality tests; each skipped when None)."""
    probs = calibrated(logits, cal["temperature"][kind])
    confidence = probs.max(axis=-1)
    base = logits if base_logits is None else base_logits
    rejected = energy(base, cal["temperature"][kind]) < cal["reject"][f"{kind}_energy"]
    no_speech = np.zeros(len(logits), bool)
    if kind == "audio":
        # No pitch found is "no speech" unless the audio head is surer than it ever was on noise or silence:
        # some real voices (breathy, hoarse, badly cut) show little periodicity. Older calibrations: pitch alone.
        base_confidence = (confidence if base_logits is None
                           else calibrated(base_logits, cal["temperature"][kind]).max(axis=-1))
        no_speech = (voiced < cal["reject"]["audio_voiced"]) & (
            base_confidence < cal["reject"].get("audio_voiced_confidence", np.inf))
    far = np.zeros(len(logits), bool)
    if embeddings is not None or detector_logits is not None:
        far = atypical(embeddings, kind, cal, detector_logits)
    statuses, reasons = [], []
    for quiet, odd, outlier, conf in zip(no_speech, rejected, far, confidence, strict=True):
        if quiet or odd:
            statuses.append("rejected")
            reasons.append(NO_SPEECH if quiet else NOT_A_DIGIT)
        elif outlier:
            statuses.append("unsure")
            reasons.append(NOT_A_DIGIT)
        elif conf < cal["unsure"][kind]:
            statuses.append("unsure")
            reasons.append(LOW_CONFIDENCE)
        else:
            statuses.append("ok")
            reasons.append(None)
    return probs.argmax(axis=-1), confidence, statuses, reasons


def decide(outputs: dict[str, np.ndarray], image_present: bool, audio_present: bool, cal: dict | None,
           voiced: np.ndarray | None = None, base: dict[str, np.ndarray] | None = None) -> list[dict]:
    """The verdict of every sample of one batch with the same modalities present.

    outputs: the exported graph's fused_logits, image_logits, audio_logits [B, 10]; voiced [B] (audio present);
    base: the graph's own outputs when a profile adapted `outputs` (the rejections judge those).
    Returns per sample {"digit" (None when rejected), "confidence", "status", "reason", "disagreement",
    "modalities": {"image"|"audio": {"digit", "confidence", "status", "reason"} | None}}.
    """
    fused = outputs["fused_logits"]
    if cal is None:
        return [{"digit": int(row.argmax()), "confidence": None, "status": "unsure", "reason": UNCALIBRATED,
                 "disagreement": None, "modalities": {"image": None, "audio": None}} for row in fused]
    case = "both" if image_present and audio_present else ("image only" if image_present else "audio only")
    fused_probs = calibrated(fused, cal["temperature"][case])
    own = outputs if base is None else base  # the embeddings a profile left as they were
    heads = {kind: modality_status(outputs[f"{kind}_logits"], kind, cal, voiced,
                                   None if base is None else base[f"{kind}_logits"],
                                   own.get(typicality_output(cal, kind)), own.get(detector_output(cal, kind)))
             for kind, present in (("image", image_present), ("audio", audio_present)) if present}
    verdicts = []
    for i, probs in enumerate(fused_probs):
        modalities = {kind: {"digit": int(h[0][i]), "confidence": float(h[1][i]), "status": h[2][i],
                             "reason": h[3][i]} if kind in heads else None
                      for kind, h in (("image", heads.get("image")), ("audio", heads.get("audio")))}
        verdicts.append(_combine(probs, modalities, cal["unsure"][case]))
    return verdicts


def _combine(fused_probs: np.ndarray, modalities: dict, unsure: float) -> dict:
    """One sample: the fused answer, overruled by a rejected modality or a confident disagreement."""
    present = {k: m for k, m in modalities.items() if m is not None}
    verdict = {"digit": int(fused_probs.argmax()), "confidence": float(fused_probs.max()), "status": "ok",
               "reason": None, "disagreement": None, "modalities": modalities}
    rejected = [k for k, m in present.items() if m["status"] == "rejected"]
    kept = [k for k in present if k not in rejected]
    if not kept and all(present[k]["reason"] == NO_SPEECH for k in rejected):
        # Sound without a voice's pitch, and nothing else to answer from: whispered, hoarse or badly recorded
        # voices fail the pitch test too (a quarter of FSDD's jason clips), so the best guess stays, flagged unsure.
        return {**verdict, "status": "unsure", "reason": NO_SPEECH}
    if not kept:  # nothing left that looks like a digit
        return {**verdict, "digit": None, "status": "rejected", "reason": present[rejected[0]]["reason"]}
    if rejected:  # one of two set aside: answer from the other, but say why it is not sure
        other = present[kept[0]]
        return {**verdict, "digit": other["digit"], "confidence": other["confidence"], "status": "unsure",
                "reason": present[rejected[0]]["reason"]}
    if any(present[k]["reason"] == NOT_A_DIGIT for k in kept):  # unlike every digit learnt: a guess to confirm
        return {**verdict, "status": "unsure", "reason": NOT_A_DIGIT}
    if len(present) == 1 and next(iter(present.values()))["status"] == "unsure":
        # One modality alone, and it hesitates: the answer cannot be surer than its only source. (The case's own
        # threshold below was fitted on the budget the head's left; on the threshold half, every recording
        # accepted before this rule was one its head called unsure.)
        return {**verdict, "status": "unsure", "reason": LOW_CONFIDENCE}
    differ = len(present) == 2 and present["image"]["digit"] != present["audio"]["digit"]
    if differ and any(m["status"] == "unsure" for m in present.values()):
        # One sense hesitant and the other naming another digit: not the confident disagreement below, but nothing
        # to answer "ok" on either (a word that is no digit leaves the audio head hesitant, not confidently wrong)
        return {**verdict, "status": "unsure", "reason": LOW_CONFIDENCE}
    if differ and all(m["status"] == "ok" for m in present.values()):
        # The more reliable of the two for this sample, as the fusion judges it: the one whose digit the fused answer
        # (trained on noisy and low-rank inputs) gives more probability. Each head's own confidence is calibrated on
        # clean inputs only, and an unreadable image's head stays confident (validation pairs with 0 dB audio and
        # 4-component images: the digit right for 41.6 % trusting the surer head, 85.8 % this way; clean: 100 both)
        trusted = max(present, key=lambda k: fused_probs[present[k]["digit"]])
        return {**verdict, "digit": present[trusted]["digit"], "confidence": present[trusted]["confidence"],
                "status": "unsure", "reason": DISAGREE,
                "disagreement": {"image": present["image"]["digit"], "audio": present["audio"]["digit"],
                                 "trusted": trusted}}
    if len(present) == 2 and not differ and verdict["digit"] != present["image"]["digit"]:
        # Both senses name one digit and the fusion another: no sense backs the answer, so it is not "ok" (the
        # fused digit stays: on the degraded validation pairs this happened 6 times in 500, fusion right 3 times,
        # the senses 3; never on clean ones)
        return {**verdict, "status": "unsure", "reason": LOW_CONFIDENCE}
    if verdict["confidence"] < unsure:
        return {**verdict, "status": "unsure", "reason": LOW_CONFIDENCE}
    return verdict
