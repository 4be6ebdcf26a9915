"""Predict on user files with an exported model: onnxruntime + numpy + soundfile + Pillow, no torch.

The answer follows DESIGN.md's contract: {"digit", "confidence", "probabilities"[10],
"modalities": {"image": {...} | null, "audio": {...} | null}, "weights": {"image", "audio"}, "strategy"}.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from digitfusion.data.audio_io import load_audio
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner, softmax
from digitfusion.features.image import load_user_image, load_user_image_bytes, normalise
from digitfusion.features.mel import LogMelParams, prepare_waveform


def prepare_image(path: str | os.PathLike | None = None, data: bytes | None = None, name: str = "image"
                  ) -> np.ndarray:
    """A user image -> MNIST-normalised [1, 28, 28]."""
    pixels = load_user_image(path) if path is not None else load_user_image_bytes(data, name)
    return normalise(pixels[None])[0]


def prepare_audio(path: str | os.PathLike, params: LogMelParams) -> np.ndarray:
    """A user recording -> the trimmed, centred 8 kHz clip the model reads [clip_samples]."""
    wave = load_audio(path, params.sample_rate)
    if np.abs(wave).max() < 1e-4:
        raise DigitfusionError(path, "is silent: no speech found")
    return prepare_waveform(wave, params)


def answer(runner: ExportedRunner, image: np.ndarray | None, clip: np.ndarray | None) -> dict:
    """Run one pair (either may be None) and shape the JSON answer."""
    if image is None and clip is None:
        raise DigitfusionError("input", "give an image, a recording, or both")
    images = np.zeros((1, 1, 28, 28), np.float32) if image is None else image[None].astype(np.float32)
    waves = np.zeros((1, runner.clip_samples), np.float32) if clip is None else clip[None].astype(np.float32)
    present = np.array([image is not None], np.float32), np.array([clip is not None], np.float32)
    out = runner.run(images, waves, *present)
    probs = softmax(out["fused_logits"])[0]
    weights = out["weights"][0]
    return {"digit": int(probs.argmax()), "confidence": round(float(probs.max()), 6),
            "probabilities": [round(float(p), 6) for p in probs],
            "modalities": {"image": _modality(out["image_logits"][0]) if image is not None else None,
                           "audio": _modality(out["audio_logits"][0]) if clip is not None else None},
            "weights": {"image": round(float(weights[0]), 6), "audio": round(float(weights[1]), 6)},
            "strategy": runner.preprocessing["strategy"]}


def _modality(logits: np.ndarray) -> dict:
    probs = softmax(logits)
    return {"digit": int(probs.argmax()), "confidence": round(float(probs.max()), 6),
            "probabilities": [round(float(p), 6) for p in probs]}


def predict_files(runner: ExportedRunner, image: str | None, audio: str | None) -> dict:
    params = LogMelParams(**runner.preprocessing["audio"])
    return answer(runner, prepare_image(image) if image else None, prepare_audio(audio, params) if audio else None)


def batch_rows(csv_path: str | os.PathLike) -> list[tuple[int, str | None, str | None]]:
    """(line number, image, audio) of a batch CSV with `image,audio` columns (either may be empty)."""
    path = Path(csv_path)
    if not path.is_file():
        raise DigitfusionError(path, "no such batch CSV")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"image", "audio"} <= set(reader.fieldnames):
            raise DigitfusionError(path, "batch CSV needs a header with `image` and `audio` columns")
        base = path.parent
        return [(line, _resolve(row.get("image"), base), _resolve(row.get("audio"), base))
                for line, row in enumerate(reader, start=2)]


def _resolve(value: str | None, base: Path) -> str | None:
    """Relative paths in a batch CSV are relative to the CSV's folder."""
    if value is None or not value.strip():
        return None
    path = Path(value.strip())
    return str(path if path.is_absolute() else base / path)
