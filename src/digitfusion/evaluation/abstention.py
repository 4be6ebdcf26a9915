"""Choose the abstention calibration of an exported model on validation data only.

In-distribution: the validation pairs of the model's own split and corpora (its config: every corpus the model
learnt from, so an outside corpus's voices are not taken for strangers; train-only corpora have no validation).
Out-of-distribution: the "threshold" half of the generated non-digit set (data/nondigit.py); the
"held-out" half is never read here. Chosen, in order:
  1. a temperature per head (image, audio, fused with both / image only / audio only): least NLL on validation,
     with each head's expected calibration error before and after (the model card's table);
  2. the speech check (voiced seconds): for each frame test in VOICING_GRID, the threshold just above every
     noise and empty recording of the threshold half; kept the test that keeps the most validation speech at
     the degraded protocol's SNRs (the worst of clean, 20, 10, 5, 0 dB; -5 dB reported, not chosen on);
  3. energy reject thresholds: the REJECT_QUANTILE quantile of each head's energy on validation;
  3b. typicality (evaluation/typicality.py): class means and shared covariance of each modality's embeddings on
     the training side; the distance threshold, among TYPICAL_QUANTILES of validation's distances, that flags the
     most of the threshold half's items of that modality alone once step 4 has spent what is left of the budget
     (with an outlier detector in the graph, its score and threshold are chosen with the distance's);
  4. unsure thresholds on calibrated confidence, per head then per case: the highest one that leaves at most
     FLAGGED_RIGHT of the validation answers right but not "ok" (the issue's <= 0.5 % wrongly rejected).
The result is the dict decision.py reads (preprocessing.json["abstention"]).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.data import nondigit
from digitfusion.decision import (
    DETECTOR_OUTPUT,
    DETECTOR_SCORES,
    calibrated,
    decide,
    detector_output,
    detector_score,
    energy,
    mahalanobis,
    modality_status,
    typicality_output,
    voiced_seconds,
)
from digitfusion.features.mel import LogMelParams
from digitfusion.inputs import prepare_audio, prepare_image

REJECT_QUANTILE = 0.001
FLAGGED_RIGHT = 0.005  # right validation answers that may be flagged unsure or rejected (issue 18's target)
VOICING_GRID = (0.5, 0.55, 0.6, 0.65, 0.7)  # frame autocorrelation tests tried for the speech check
VOICING_SNRS = (None, 20, 10, 5, 0)  # the degraded protocol's SNRs (dB; None = clean) speech must pass
REPORTED_SNRS = (*VOICING_SNRS, -5)
SILENCE_KINDS = ("noise", "empty")  # what the speech check must reject (tones are pitched: left to the heads)
TEMPERATURES = np.exp(np.linspace(np.log(0.05), np.log(20.0), 241))
PAIR_DRAWS = 5  # 500 validation images x 5 recordings each on the shared data root (5,000-image MNIST subset)
CASES = {"both": (True, True), "image only": (True, False), "audio only": (False, True)}
TYPICAL_QUANTILES = (1.0, 0.999, 0.998, 0.997, 0.996, 0.995)  # 1.0: the test flags nothing
ALONE = (("image", "image only"), ("audio", "audio only"))


@dataclass
class Batch:
    """Inputs of one evaluation set: images [N, 1, 28, 28] | None, clips [N, clip] | None, labels [N] | None
    (None for non-digits), refused [N] (the input pipeline refused the file: counts as rejected)."""

    images: np.ndarray | None
    clips: np.ndarray | None
    labels: np.ndarray | None
    refused: np.ndarray
    kinds: np.ndarray | None = None  # non-digits: what each audio item is (noise, word, tone...)


def run_batch(runner, batch: Batch, correlation: float, size: int = 256) -> dict[str, np.ndarray]:
    """The exported graph on a whole set (absent modality fed as zeros, present = 0) + voiced seconds
    (frame test `correlation`)."""
    n = len(batch.refused)
    images = batch.images if batch.images is not None else np.zeros((n, 1, 28, 28), np.float32)
    clips = batch.clips if batch.clips is not None else np.zeros((n, runner.clip_samples), np.float32)
    flags = [np.full(n, float(x is not None), np.float32) for x in (batch.images, batch.clips)]
    parts = [runner.run(images[i:i + size], clips[i:i + size], flags[0][i:i + size], flags[1][i:i + size])
             for i in range(0, n, size)]
    out = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    out["voiced"] = voiced_seconds(clips, correlation=correlation) if batch.clips is not None else None
    return out


def verdicts(out: dict, batch: Batch, cal: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(status [N] str, digit [N] (-1 when rejected), calibrated confidence [N]) as predict answers them."""
    answers = decide(out, batch.images is not None, batch.clips is not None, cal, out["voiced"])
    status = np.array(["rejected" if r else a["status"] for a, r in zip(answers, batch.refused, strict=True)])
    digit = np.array([-1 if a["digit"] is None or r else a["digit"] for a, r in zip(answers, batch.refused,
                                                                                    strict=True)])
    return status, digit, np.array([a["confidence"] for a in answers])


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature of least negative log-likelihood on (logits [N, 10], labels [N]), on a log grid."""
    def nll(t: float) -> float:
        scaled = logits / t
        peak = scaled.max(axis=1)
        log_norm = peak + np.log(np.exp(scaled - peak[:, None]).sum(axis=1))
        return float((log_norm - scaled[np.arange(len(labels)), labels]).mean())

    return float(min(TEMPERATURES, key=nll))


def unsure_threshold(conf_ok: np.ndarray, right_ok: np.ndarray, right_flagged: int, n: int) -> float:
    """Highest confidence threshold that leaves at most FLAGGED_RIGHT * n right answers flagged.
    conf_ok/right_ok: the answers still "ok" before this threshold; right_flagged: right ones already flagged
    (rejected, disagreement) out of n in all."""
    budget = int(np.floor(FLAGGED_RIGHT * n)) - right_flagged
    right_conf = np.sort(conf_ok[right_ok])
    if budget < 0 or not len(right_conf):
        return 0.0
    if budget >= len(right_conf):
        return float(right_conf[-1]) + 1e-9
    return float(right_conf[budget])  # below it: `budget` right answers, the flagged allowance


def voicing(val, seed: int, odd_clips: np.ndarray, odd_kinds: np.ndarray) -> dict:
    """The speech check: frame test and seconds threshold (module docstring, step 2), with the share of
    validation speech (`val`: the validation Side) kept at each SNR and of the threshold half's noise/empty
    recordings rejected."""
    import torch

    from digitfusion.evaluation.conditions import noisy_waves

    waves = torch.from_numpy(val.waves)
    noisy = {snr: noisy_waves(waves, snr, seed).numpy() for snr in REPORTED_SNRS}
    silent = np.isin(odd_kinds, SILENCE_KINDS)
    best = None
    for correlation in VOICING_GRID:
        threshold = float(voiced_seconds(odd_clips[silent], correlation=correlation).max()) + 0.01
        kept = {str(snr if snr is not None else "clean"): float(np.mean(
            voiced_seconds(clips, correlation=correlation) >= threshold)) for snr, clips in noisy.items()}
        worst = min(kept[str(s if s is not None else "clean")] for s in VOICING_SNRS)
        if best is None or worst > best["worst kept"]:
            best = {"correlation": correlation, "threshold": threshold, "worst kept": worst,
                    "validation speech kept": kept, "recordings": int(len(waves))}
    return best


def config_bundle(root: Path, config):
    """The Bundle of a (fused) training config: its split protocol, holdout, seed, corpora, image sources."""
    from digitfusion.data.bundle import load_bundle

    return load_bundle(root, config.protocol, config.holdout, config.data_seed, corpora=config.corpus,
                       images=config.images)


def validation_side(root: Path, config):
    """The validation Side of a (fused) training config."""
    return config_bundle(root, config)["val"]


def validation_sets(val, seed: int, draws: int = PAIR_DRAWS) -> dict[str, Batch]:
    """The validation pairs (`val`: the validation Side) as three batches: both present, image only, audio only.
    Each validation image is paired `draws` times with a recording of its digit (fixed by the seed): validation
    sides are small."""
    pairs = np.concatenate([val.pairs(seed * 1000 + draw) for draw in range(draws)])
    images, clips = val.images.numpy()[pairs[:, 0]], val.waves[pairs[:, 1]]
    labels = val.image_labels.numpy()[pairs[:, 0]]
    refused = np.zeros(len(labels), bool)
    return {"both": Batch(images, clips, labels, refused), "image only": Batch(images, None, labels, refused),
            "audio only": Batch(None, clips, labels, refused)}


def non_digit_sets(folder: Path, half: str, params: LogMelParams) -> dict[str, Batch]:
    """The generated non-digit half through the input pipeline: image alone, audio alone, and pairs of both."""
    images, image_refused = nondigit.prepared([i.path for i in nondigit.make_images(folder, half)],
                                              prepare_image, (1, 28, 28))
    recordings = nondigit.make_audio(folder, half)
    clips, audio_refused = nondigit.prepared([a.path for a in recordings], lambda p: prepare_audio(p, params),
                                             (params.clip_samples,))
    n = min(len(images), len(clips))
    return {"image only": Batch(images, None, None, image_refused),
            "audio only": Batch(None, clips, None, audio_refused, np.array([a.kind for a in recordings])),
            "both": Batch(images[:n], clips[:n], None, image_refused[:n] | audio_refused[:n])}


def expected_calibration_error(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """ECE (15 equal-width confidence bins, torchmetrics' definition) of softmax(logits / temperature)."""
    import torch
    from torchmetrics.functional.classification import multiclass_calibration_error

    probs = torch.softmax(torch.from_numpy(logits / temperature).double(), dim=1)
    return float(multiclass_calibration_error(probs, torch.from_numpy(labels), num_classes=probs.shape[1],
                                              n_bins=15, norm="l1"))


def calibrate(runner, root: Path, config) -> dict:
    """The abstention calibration of `runner`'s model (see the module docstring); `config`: the fused run's
    TrainConfig (its split, seed and corpora give the validation side)."""
    from digitfusion.evaluation.typicality import fit_typical

    params, seed = LogMelParams(**runner.preprocessing["audio"]), config.seed
    bundle = config_bundle(root, config)
    side = bundle["val"]
    val = validation_sets(side, seed)
    with tempfile.TemporaryDirectory() as tmp:
        odd = non_digit_sets(Path(tmp), "threshold", params)
    speech = voicing(side, seed, odd["audio only"].clips, odd["audio only"].kinds)
    val_out = {case: run_batch(runner, batch, speech["correlation"]) for case, batch in val.items()}
    labels = val["both"].labels
    temperature = {"image": fit_temperature(val_out["image only"]["image_logits"], labels),
                   "audio": fit_temperature(val_out["audio only"]["audio_logits"], labels),
                   **{case: fit_temperature(val_out[case]["fused_logits"], labels) for case in CASES}}
    head_logits = {"image": val_out["image only"]["image_logits"], "audio": val_out["audio only"]["audio_logits"],
                   **{case: val_out[case]["fused_logits"] for case in CASES}}
    ece = {head: {"before": expected_calibration_error(logits, labels),
                  "after": expected_calibration_error(logits, labels, temperature[head])}
           for head, logits in head_logits.items()}
    reject = {f"{kind}_energy": float(np.quantile(energy(val_out[case][f"{kind}_logits"], temperature[kind]),
                                                  REJECT_QUANTILE))
              for kind, case in (("image", "image only"), ("audio", "audio only"))}
    reject["audio_voiced"] = speech["threshold"]
    reject["audio_voiced_confidence"] = voiced_confidence_gate(runner, odd["audio only"], speech, temperature["audio"])
    cal = {"temperature": temperature, "ece": ece, "reject": reject, "voicing": speech,
           "unsure": dict.fromkeys(("image", "audio", *CASES), 0.0),
           "typical": {kind: {**stats, "threshold": None, **_detector(kind, val_out)}
                       for kind, stats in fit_typical(runner, bundle["train"]).items()}}
    for kind, case in ALONE:
        if kind in cal["typical"]:
            odd_out = run_batch(runner, odd[case], speech["correlation"])
            cal["typical"][kind].update(_typical_threshold(kind, case, cal, val_out[case], val[case], odd_out,
                                                           odd[case]))
    for kind, case in ALONE:
        cal["unsure"][kind] = _head_threshold(kind, cal, val_out[case], labels)
    for case in CASES:
        status, digit, conf = verdicts(val_out[case], val[case], cal)
        ok, right = status == "ok", digit == labels
        cal["unsure"][case] = unsure_threshold(conf[ok], right[ok], int(np.sum(right & ~ok)), len(labels))
    cal["chosen_on"] = {"validation pairs": int(len(labels)), "protocol": config.protocol,
                        "holdout": config.holdout, "seed": seed, "corpora": list(config.corpus),
                        "images": list(config.images),
                        "validation recordings": dict(sorted(Counter(side.audio_corpus).items())),
                        "non-digit images": int(len(odd["image only"].refused)),
                        "non-digit recordings": int(len(odd["audio only"].refused)),
                        "reject quantile": REJECT_QUANTILE, "right answers flagged at most": FLAGGED_RIGHT}
    return cal


def _detector(kind: str, val_out: dict) -> dict:
    """{"detector": {"output", "threshold": None}} when the graph has an outlier detector for `kind`, else {}."""
    name = DETECTOR_OUTPUT.format(kind)
    return {"detector": {"output": name, "threshold": None}} if name in val_out[f"{kind} only"] else {}


def voiced_confidence_gate(runner, odd: Batch, speech: dict, temperature: float) -> float:
    """The calibrated audio confidence above which a clip without pitch is still speech: just above the most
    confident answer the audio head gave to a noise or empty recording of the threshold half that failed the pitch
    check (so each of them stays "no speech"); 1.0+ (never) when there is none."""
    out = run_batch(runner, odd, speech["correlation"])
    failing = (out["voiced"] < speech["threshold"]) & np.isin(odd.kinds, SILENCE_KINDS)
    if not failing.any():
        return 1.0 + 1e-9
    confidence = calibrated(out["audio_logits"], temperature).max(axis=1)
    return min(1.0 + 1e-9, float(confidence[failing].max()) + 0.01)


def _typical_threshold(kind: str, case: str, cal: dict, out_val: dict, val: Batch, out_odd: dict, odd: Batch
                       ) -> dict:
    """Step 3b of the module docstring for one modality: {"threshold", "quantile", "threshold half flagged"}, and
    with an outlier detector "detector" {"output", "score", "threshold", "quantile"} (the distance's and the
    detector's quantiles, and the detector's score, chosen together). Each candidate is judged as predict would
    answer that modality alone, its unsure thresholds refitted on the budget the candidate leaves; a tie keeps the
    candidate that flags fewer validation items by its tests."""
    typical = cal["typical"][kind]
    distances = mahalanobis(out_val[typicality_output(cal, kind)], typical)
    detector = typical.get("detector")
    scores = {s: detector_score(out_val[detector["output"]], s) for s in DETECTOR_SCORES} if detector else {}
    best = None
    for quantile, detector_quantile, score in _candidates(detector is not None):
        chosen = {**typical, "threshold": None if quantile >= 1 else float(np.quantile(distances, quantile))}
        if detector:
            chosen["detector"] = {**detector, "score": score, "quantile": detector_quantile, "threshold": None if
                                  detector_quantile >= 1 else float(np.quantile(scores[score], 1 - detector_quantile))}
        trial = {**cal, "unsure": dict(cal["unsure"]), "typical": {**cal["typical"], kind: chosen}}
        trial["unsure"][kind] = _head_threshold(kind, trial, out_val, val.labels)
        status, digit, conf = verdicts(out_val, val, trial)
        ok, right = status == "ok", digit == val.labels
        trial["unsure"][case] = unsure_threshold(conf[ok], right[ok], int(np.sum(right & ~ok)), len(val.labels))
        flagged = float(np.mean(verdicts(out_odd, odd, trial)[0] != "ok"))
        if best is None or flagged > best["threshold half flagged"]:
            best = {"threshold": chosen["threshold"], "quantile": quantile, "threshold half flagged": flagged,
                    **({"detector": chosen["detector"]} if detector else {})}
    return best


def _candidates(with_detector: bool) -> list[tuple[float, float, str]]:
    """(distance quantile, detector quantile, detector score) to try, those flagging less validation first."""
    first = next(iter(DETECTOR_SCORES))
    if not with_detector:
        return [(q, 1.0, first) for q in TYPICAL_QUANTILES]
    grid = [(q, d, score) for q in TYPICAL_QUANTILES for d in TYPICAL_QUANTILES for score in DETECTOR_SCORES
            if d < 1 or score == first]  # an unused detector has no score to choose
    return sorted(grid, key=lambda c: (2 - c[0] - c[1], -c[0]))


def _head_threshold(kind: str, cal: dict, out_in: dict, labels: np.ndarray) -> float:
    """A unimodal head's unsure threshold (it tells a confident disagreement from a hesitant one, and a lone
    modality's answer from one to confirm): the budget left by what the head's other tests flag."""
    digit, conf, status, _ = modality_status(out_in[f"{kind}_logits"], kind, cal, out_in["voiced"],
                                             embeddings=out_in.get(typicality_output(cal, kind)),
                                             detector_logits=out_in.get(detector_output(cal, kind)))
    ok, right = np.array(status) == "ok", digit == labels
    return unsure_threshold(conf[ok], right[ok], int(np.sum(right & ~ok)), len(labels))
