"""Predict on user files with an exported model: onnxruntime + numpy + soundfile + Pillow, no torch.

The answer follows DESIGN.md's contract: {"digit", "confidence", "probabilities"[10],
"modalities": {"image": {...} | null, "audio": {...} | null}, "weights": {"image", "audio"}, "strategy"},
plus (issue 18) "status", "reason", "calibrated_confidence", "disagreement" at the top
and "status", "reason", "calibrated_confidence" per modality (see decision.py), and "profile": {"name", "examples"}
when a person's profile (digitfusion enrol) adapted the answer.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from digitfusion.decision import UNCALIBRATED, decide, voiced_seconds, voicing_correlation
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner, softmax
from digitfusion.features.mel import LogMelParams
from digitfusion.files import csv_rows, resolve_relative
from digitfusion.inputs import AudioSource, ImageSource, prepare_audio, prepare_image, prepare_inputs

__all__ = ["answer", "batch_rows", "predict_files", "prepare_audio", "prepare_image"]


def answer(runner: ExportedRunner, image: np.ndarray | None, clip: np.ndarray | None, profile=None) -> dict:
    """Run one pair (either may be None) and shape the JSON answer, status and disagreement included; a
    profile (an enrol.profile.Profile) adapts the outputs before the decision."""
    if image is None and clip is None:
        raise DigitfusionError("input", "give an image, a recording, or both")
    images = np.zeros((1, 1, 28, 28), np.float32) if image is None else image[None].astype(np.float32)
    waves = np.zeros((1, runner.clip_samples), np.float32) if clip is None else clip[None].astype(np.float32)
    present = np.array([image is not None], np.float32), np.array([clip is not None], np.float32)
    base = runner.run(images, waves, *present)
    out = base if profile is None else profile.adapt_outputs(base, image is not None, clip is not None, waves,
                                                             runner.preprocessing["audio"])
    cal = runner.preprocessing.get("abstention")
    voiced = (voiced_seconds(waves, runner.preprocessing["audio"]["sample_rate"], voicing_correlation(cal))
              if clip is not None else None)
    verdict = decide(out, image is not None, clip is not None, cal, voiced, base)[0]
    probs = softmax(out["fused_logits"])[0]
    weights = out["weights"][0]
    return {"digit": verdict["digit"], "confidence": round(float(probs.max()), 6),
            "probabilities": [round(float(p), 6) for p in probs],
            "modalities": {kind: _modality(out[f"{kind}_logits"][0], verdict["modalities"][kind])
                           if given is not None else None for kind, given in (("image", image), ("audio", clip))},
            "weights": {"image": round(float(weights[0]), 6), "audio": round(float(weights[1]), 6)},
            "strategy": runner.preprocessing["strategy"], "status": verdict["status"], "reason": verdict["reason"],
            "calibrated_confidence": _rounded(verdict["confidence"]), "disagreement": verdict["disagreement"],
            **({"profile": profile.summary()} if profile else {})}


def _modality(logits: np.ndarray, verdict: dict | None) -> dict:
    probs = softmax(logits)
    verdict = verdict or {}
    return {"digit": int(probs.argmax()), "confidence": round(float(probs.max()), 6),
            "probabilities": [round(float(p), 6) for p in probs], "status": verdict.get("status", "unsure"),
            "reason": verdict.get("reason", UNCALIBRATED),
            "calibrated_confidence": _rounded(verdict.get("confidence"))}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def predict_files(runner: ExportedRunner, image: ImageSource | None, audio: AudioSource | None,
                  profile=None) -> dict:
    """Sources (paths, uploads, arrays) -> the JSON answer; every refusal comes from `inputs.prepare_inputs`."""
    params = LogMelParams(**runner.preprocessing["audio"])
    return answer(runner, *prepare_inputs(image, audio, params), profile)


def batch_rows(csv_path: str | os.PathLike) -> list[tuple[int, str | None, str | None]]:
    """(line number, image, audio) of a batch CSV with `image,audio` columns (either may be empty).

    The whole CSV is read and checked before any row is predicted, so a malformed CSV answers nothing.
    Header names are matched case- and space-insensitively; a UTF-8 byte-order mark (Excel) is allowed;
    line numbers are the CSV's own (blank lines and quoted line breaks counted).
    """
    path = Path(csv_path)
    rows = []
    for line, header, row in csv_rows(path, "batch CSV", ("image", "audio"),
                                      "expected a header `image,audio` and one row per item"):
        image, audio = (row[i] if i < len(row) else "" for i in (header.index("image"), header.index("audio")))
        rows.append((line, resolve_relative(image, path.parent), resolve_relative(audio, path.parent)))
    return rows


