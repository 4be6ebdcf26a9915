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

__all__ = ["answer", "answers", "batch_rows", "predict_batch", "predict_files", "prepare_audio", "prepare_image"]


BATCH_CHUNK = 32  # rows of a batch CSV per graph call: one call per row spends most of its time in overhead


def answer(runner: ExportedRunner, image: np.ndarray | None, clip: np.ndarray | None, profile=None) -> dict:
    """Run one pair (either may be None) and shape the JSON answer, status and disagreement included; a
    profile (an enrol.profile.Profile) adapts the outputs before the decision."""
    return answers(runner, [(image, clip)], profile)[0]


def answers(runner: ExportedRunner, pairs: list[tuple[np.ndarray | None, np.ndarray | None]],
            profile=None) -> list[dict]:
    """Prepared pairs [(image [1, 28, 28] | None, clip [N] | None)] through one graph call, each answered as
    `answer` answers it alone (the graph's rows are independent: presence flags are per row)."""
    if any(image is None and clip is None for image, clip in pairs):
        raise DigitfusionError("input", "give an image, a recording, or both")
    images = np.stack([np.zeros((1, 28, 28), np.float32) if image is None else image.astype(np.float32)
                       for image, _ in pairs])
    waves = np.stack([np.zeros(runner.clip_samples, np.float32) if clip is None else clip.astype(np.float32)
                      for _, clip in pairs])
    present = [np.array([given is not None for given in column], np.float32) for column in zip(*pairs, strict=True)]
    outputs = runner.run(images, waves, *present)
    return [_answer_row(runner, {key: value[i:i + 1] for key, value in outputs.items()}, image, clip,
                        waves[i:i + 1], profile) for i, (image, clip) in enumerate(pairs)]


def _answer_row(runner: ExportedRunner, base: dict, image, clip, waves: np.ndarray, profile) -> dict:
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


def predict_batch(runner: ExportedRunner, rows: list[tuple[int, str | None, str | None]], profile=None,
                  chunk: int = BATCH_CHUNK):
    """A batch CSV's rows (`batch_rows`) -> for each chunk of `chunk` rows, [(line, image, audio, answer or the
    row's DigitfusionError)] in order: every refusal still comes from `inputs.prepare_inputs`, one graph call answers
    the chunk's good rows."""
    params = LogMelParams(**runner.preprocessing["audio"])
    for start in range(0, len(rows), chunk):
        part, results, prepared = rows[start:start + chunk], {}, []
        for k, (_, image, audio) in enumerate(part):
            try:
                if image is None and audio is None:
                    raise DigitfusionError("empty row", "give an image, a recording, or both")
                prepared.append((k, prepare_inputs(image, audio, params)))
            except DigitfusionError as err:
                results[k] = err
        if prepared:
            results.update(zip((k for k, _ in prepared), answers(runner, [p for _, p in prepared], profile),
                               strict=True))
        yield [(*row, results[k]) for k, row in enumerate(part)]


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


