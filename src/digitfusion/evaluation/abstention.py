"""Choose the abstention calibration of an exported model on validation data only.

In-distribution: the protocol's validation pairs (MNIST validation images, FSDD validation recordings).
Out-of-distribution: the "threshold" half of the generated non-digit set (evaluation/nondigit.py); the
"held-out" half is never read here. Chosen, in order:
  1. a temperature per head (image, audio, fused with both / image only / audio only): least NLL on validation;
  2. reject thresholds: the REJECT_QUANTILE quantile of each out-of-distribution score on validation
     (so about that share of real digits is rejected per score);
  3. unsure thresholds on calibrated confidence, per head then per case: the lowest one that keeps the accepted
     validation answers at least ACCEPTED_ACCURACY right AND leaves at most 1 - NON_DIGIT_CAUGHT of the
     non-digit items accepted.
The result is the dict decision.py reads (preprocessing.json["abstention"]).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.decision import decide, energy, voiced_seconds
from digitfusion.errors import DigitfusionError
from digitfusion.evaluation import nondigit
from digitfusion.features.mel import LogMelParams
from digitfusion.inputs import prepare_audio, prepare_image

REJECT_QUANTILE = 0.001
ACCEPTED_ACCURACY = 0.9995
NON_DIGIT_CAUGHT = 0.97  # on the threshold half; the target on the held-out half is 0.95
TEMPERATURES = np.exp(np.linspace(np.log(0.05), np.log(20.0), 241))
PAIR_DRAWS = 5  # 500 validation images x 5 recordings each on the shared data root (5,000-image MNIST subset)
CASES = {"both": (True, True), "image only": (True, False), "audio only": (False, True)}


@dataclass
class Batch:
    """Inputs of one evaluation set: images [N, 1, 28, 28] | None, clips [N, clip] | None, labels [N] | None
    (None for non-digits), refused [N] (the input pipeline refused the file: counts as rejected)."""

    images: np.ndarray | None
    clips: np.ndarray | None
    labels: np.ndarray | None
    refused: np.ndarray


def run_batch(runner, batch: Batch, size: int = 500) -> dict[str, np.ndarray]:
    """The exported graph on a whole set (absent modality fed as zeros, present = 0) + voiced seconds."""
    n = len(batch.refused)
    images = batch.images if batch.images is not None else np.zeros((n, 1, 28, 28), np.float32)
    clips = batch.clips if batch.clips is not None else np.zeros((n, runner.clip_samples), np.float32)
    flags = [np.full(n, float(x is not None), np.float32) for x in (batch.images, batch.clips)]
    parts = [runner.run(images[i:i + size], clips[i:i + size], flags[0][i:i + size], flags[1][i:i + size])
             for i in range(0, n, size)]
    out = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    out["voiced"] = voiced_seconds(clips) if batch.clips is not None else None
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


def unsure_threshold(conf_in: np.ndarray, right_in: np.ndarray, conf_out: np.ndarray, n_out: int) -> float:
    """Lowest confidence threshold meeting both aims. conf_in/right_in: accepted in-distribution answers;
    conf_out: accepted non-digit answers, out of n_out non-digit items in all."""
    order = np.argsort(-conf_in, kind="stable")
    accuracy = np.cumsum(right_in[order]) / np.arange(1, len(order) + 1)
    good = np.flatnonzero(accuracy >= ACCEPTED_ACCURACY)
    if not len(good):  # not even the most confident answers are right enough: accept none
        by_accuracy = 1.0 + 1e-9
    else:
        by_accuracy = 0.0 if good[-1] == len(order) - 1 else float(conf_in[order][good[-1]])
    allowed = int(np.floor((1 - NON_DIGIT_CAUGHT) * n_out))  # non-digits that may still be accepted
    excess = len(conf_out) - allowed
    by_non_digits = float(np.sort(conf_out)[-allowed - 1]) + 1e-9 if excess > 0 else 0.0
    return max(by_accuracy, by_non_digits)


def validation_sets(root: Path, protocol: str, seed: int, draws: int = PAIR_DRAWS) -> dict[str, Batch]:
    """The validation pairs as three batches: both present, image only, audio only. Each validation image is
    paired `draws` times with a recording of its digit (fixed by the seed): validation sides are small."""
    from digitfusion.data.bundle import load_bundle

    val = load_bundle(root, protocol, seed=seed)["val"]
    pairs = np.concatenate([val.pairs(seed * 1000 + draw) for draw in range(draws)])
    images, clips = val.images.numpy()[pairs[:, 0]], val.waves[pairs[:, 1]]
    labels = val.image_labels.numpy()[pairs[:, 0]]
    refused = np.zeros(len(labels), bool)
    return {"both": Batch(images, clips, labels, refused), "image only": Batch(images, None, labels, refused),
            "audio only": Batch(None, clips, labels, refused)}


def non_digit_sets(folder: Path, half: str, params: LogMelParams) -> dict[str, Batch]:
    """The generated non-digit half through the input pipeline: image alone, audio alone, and pairs of both."""
    images, image_refused = _prepared([i.path for i in nondigit.make_images(folder, half)], prepare_image,
                                      (1, 28, 28))
    clips, audio_refused = _prepared([a.path for a in nondigit.make_audio(folder, half)],
                                     lambda p: prepare_audio(p, params), (params.clip_samples,))
    n = min(len(images), len(clips))
    return {"image only": Batch(images, None, None, image_refused),
            "audio only": Batch(None, clips, None, audio_refused),
            "both": Batch(images[:n], clips[:n], None, image_refused[:n] | audio_refused[:n])}


def _prepared(paths: list[Path], prepare, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Each file through the input pipeline; a refused file becomes zeros, flagged refused."""
    arrays, refused = [], []
    for path in paths:
        try:
            arrays.append(prepare(path).astype(np.float32))
            refused.append(False)
        except DigitfusionError:
            arrays.append(np.zeros(shape, np.float32))
            refused.append(True)
    return np.stack(arrays), np.array(refused)


def calibrate(runner, root: Path, protocol: str = "official", seed: int = 0) -> dict:
    """The abstention calibration of `runner`'s model (see the module docstring)."""
    params = LogMelParams(**runner.preprocessing["audio"])
    val = validation_sets(root, protocol, seed)
    with tempfile.TemporaryDirectory() as tmp:
        odd = non_digit_sets(Path(tmp), "threshold", params)
    val_out = {case: run_batch(runner, batch) for case, batch in val.items()}
    odd_out = {case: run_batch(runner, batch) for case, batch in odd.items()}
    labels = val["both"].labels
    temperature = {"image": fit_temperature(val_out["image only"]["image_logits"], labels),
                   "audio": fit_temperature(val_out["audio only"]["audio_logits"], labels),
                   **{case: fit_temperature(val_out[case]["fused_logits"], labels) for case in CASES}}
    reject = {f"{kind}_energy": float(np.quantile(energy(val_out[case][f"{kind}_logits"], temperature[kind]),
                                                  REJECT_QUANTILE))
              for kind, case in (("image", "image only"), ("audio", "audio only"))}
    reject["audio_voiced"] = float(np.quantile(val_out["audio only"]["voiced"], REJECT_QUANTILE))
    cal = {"temperature": temperature, "reject": reject, "unsure": dict.fromkeys(("image", "audio", *CASES), 0.0)}
    for kind, case in (("image", "image only"), ("audio", "audio only")):
        cal["unsure"][kind] = _head_threshold(kind, cal, val_out[case], val[case], odd_out[case], odd[case])
    for case in CASES:
        status_in, digit_in, conf_in = verdicts(val_out[case], val[case], cal)
        status_out, _, conf_out = verdicts(odd_out[case], odd[case], cal)
        ok_in, ok_out = status_in == "ok", status_out == "ok"
        cal["unsure"][case] = unsure_threshold(conf_in[ok_in], digit_in[ok_in] == labels[ok_in], conf_out[ok_out],
                                               len(status_out))
    cal["chosen_on"] = {"validation pairs": int(len(labels)), "protocol": protocol, "seed": seed,
                        "non-digit images": int(len(odd["image only"].refused)),
                        "non-digit recordings": int(len(odd["audio only"].refused)),
                        "reject quantile": REJECT_QUANTILE, "accepted accuracy": ACCEPTED_ACCURACY,
                        "non-digit caught": NON_DIGIT_CAUGHT}
    return cal


def _head_threshold(kind: str, cal: dict, out_in: dict, batch_in: Batch, out_odd: dict, batch_odd: Batch) -> float:
    """A unimodal head's unsure threshold (used to tell a confident disagreement from a hesitant one)."""
    from digitfusion.decision import modality_status

    digit, conf, status, _ = modality_status(out_in[f"{kind}_logits"], kind, cal, out_in["voiced"])
    _, conf_odd, status_odd, _ = modality_status(out_odd[f"{kind}_logits"], kind, cal, out_odd["voiced"])
    ok = np.array(status) != "rejected"
    ok_odd = (np.array(status_odd) != "rejected") & ~batch_odd.refused
    return unsure_threshold(conf[ok], digit[ok] == batch_in.labels[ok], conf_odd[ok_odd], len(status_odd))
