"""Measure an exported model's abstention (issue 18's targets) on data it was never calibrated on:
the test pairs (clean and degraded, read once, here) and the held-out half of the non-digit set;
plus the coverage/accuracy curves per modality and fused, and a silent recording sent through the app."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from digitfusion.decision import calibrated, voicing_correlation
from digitfusion.evaluation.abstention import CASES, Batch, non_digit_sets, run_batch, verdicts
from digitfusion.features.mel import LogMelParams


def pair_sets(root: Path, protocol: str, seed: int, max_pairs: int | None = None, side: str = "test"
              ) -> dict[str, dict[str, Batch]]:
    """A side's fixed pairs (default the test side's), clean and degraded (image from 4 principal components, audio
    at 0 dB SNR); `side="val"`: the validation pairs, degraded the same way, which a choice may be made on."""
    import torch

    from digitfusion.data.bundle import load_bundle
    from digitfusion.evaluation.conditions import noisy_waves
    from digitfusion.features.pca import PCAImages

    bundle = load_bundle(root, protocol, seed=seed)
    pairs_side = bundle[side]
    pairs = pairs_side.pairs(seed)[:max_pairs]
    images = pairs_side.images[pairs[:, 0]]
    waves = torch.from_numpy(pairs_side.waves[pairs[:, 1]])
    labels = pairs_side.image_labels.numpy()[pairs[:, 0]]
    degraded = (PCAImages().fit(bundle["train"].images).transform(images), noisy_waves(waves, 0.0, seed))
    sets = {}
    for condition, (imgs, clips) in {"clean": (images, waves), "degraded": degraded}.items():
        imgs, clips, refused = imgs.numpy(), clips.numpy(), np.zeros(len(labels), bool)
        sets[condition] = {"both": Batch(imgs, clips, labels, refused),
                           "image only": Batch(imgs, None, labels, refused),
                           "audio only": Batch(None, clips, labels, refused)}
    return sets


def shares(status: np.ndarray, digit: np.ndarray, labels: np.ndarray | None) -> dict:
    """Shares of ok / unsure / rejected, and (with labels) the accuracy of the accepted ("ok") answers."""
    row = {"n": int(len(status)), **{s: float(np.mean(status == s)) for s in ("ok", "unsure", "rejected")}}
    if labels is not None:
        ok = status == "ok"
        row["accepted_acc"] = float(np.mean(digit[ok] == labels[ok])) if ok.any() else None
        row["accepted_errors"] = int(np.sum(digit[ok] != labels[ok]))
        row["all_acc"] = float(np.mean(digit == labels))
    return row


def curve(confidence: np.ndarray, right: np.ndarray, points: int = 200) -> dict:
    """Coverage/accuracy curve: answering only the most confident share, what accuracy does one get."""
    order = np.argsort(-confidence, kind="stable")
    accuracy = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    keep = np.unique(np.linspace(0, len(order) - 1, points).astype(int))
    return {"coverage": ((keep + 1) / len(order)).tolist(), "accuracy": accuracy[keep].tolist()}


def measure(runner, root: Path, protocol: str = "official", seed: int = 0, max_pairs: int | None = None) -> dict:
    """Every figure of the abstention section, from an exported (calibrated) model folder's runner."""
    cal = runner.preprocessing["abstention"]
    params = LogMelParams(**runner.preprocessing["audio"])
    results = {"calibration": cal, "test": {}, "non_digit": {}, "curves": {}}
    for condition, batches in pair_sets(root, protocol, seed, max_pairs).items():
        results["test"][condition] = {}
        for case, batch in batches.items():
            out = run_batch(runner, batch, voicing_correlation(cal))
            status, digit, _ = verdicts(out, batch, cal)
            results["test"][condition][case] = shares(status, digit, batch.labels)
            if case == "both":
                results["curves"][condition] = curves(out, batch.labels, cal)
    with tempfile.TemporaryDirectory() as tmp:
        held_out = non_digit_sets(Path(tmp), "held-out", params)
    for case, batch in held_out.items():
        status, digit, _ = verdicts(run_batch(runner, batch, voicing_correlation(cal)), batch, cal)
        results["non_digit"][case] = {**shares(status, digit, None), "refused": float(batch.refused.mean()),
                                      "caught": float(np.mean(status != "ok"))}
    return results


def curves(out: dict, labels: np.ndarray, cal: dict) -> dict:
    """Per head: image, audio (unimodal models) and fused (both present), on calibrated confidence."""
    heads = {"image": ("image_logits", "image"), "audio": ("audio_logits", "audio"), "fused": ("fused_logits", "both")}
    result = {}
    for name, (key, temp) in heads.items():
        probs = calibrated(out[key], cal["temperature"][temp])
        result[name] = curve(probs.max(axis=1), probs.argmax(axis=1) == labels)
    return result


__all__ = ["CASES", "measure", "curve", "shares"]
