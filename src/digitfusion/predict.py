"""Predict on user files with an exported model: onnxruntime + numpy + soundfile + Pillow, no torch.

The answer follows DESIGN.md's contract: {"digit", "confidence", "probabilities"[10],
"modalities": {"image": {...} | null, "audio": {...} | null}, "weights": {"image", "audio"}, "strategy"}.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from digitfusion.audio_io import load_audio
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner, softmax
from digitfusion.features.image import load_user_image, load_user_image_bytes, normalise
from digitfusion.features.mel import LogMelParams, prepare_waveform
from digitfusion.files import os_reason


def prepare_image(path: str | os.PathLike | None = None, data: bytes | None = None, name: str = "image"
                  ) -> np.ndarray:
    """A user image -> MNIST-normalised [1, 28, 28]."""
    pixels = load_user_image(path) if path is not None else load_user_image_bytes(data, name)
    return normalise(pixels[None])[0]


def prepare_audio(path: str | os.PathLike, params: LogMelParams) -> np.ndarray:
    """A user recording -> the trimmed, centred 8 kHz clip the model reads [clip_samples]."""
    return prepare_decoded(load_audio(path, params.sample_rate), params, path)


def prepare_decoded(wave: np.ndarray, params: LogMelParams, name: object = "audio") -> np.ndarray:
    """A decoded mono waveform at the model's rate [N] -> the clip the model reads [clip_samples]; silence refused."""
    if wave.size == 0 or np.abs(wave).max() < 1e-4:
        raise DigitfusionError(name, "is silent: no speech found")
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
    """(line number, image, audio) of a batch CSV with `image,audio` columns (either may be empty).

    The whole CSV is read and checked before any row is predicted, so a malformed CSV answers nothing.
    Header names are matched case- and space-insensitively; a UTF-8 byte-order mark (Excel) is allowed;
    line numbers are the CSV's own (blank lines and quoted line breaks counted).
    """
    path = Path(csv_path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise DigitfusionError(path, "no such batch CSV") from None
    except IsADirectoryError:
        raise DigitfusionError(path, "is a directory, expected a batch CSV") from None
    except (OSError, ValueError) as err:  # permission denied, a parent that is not a folder, a NUL byte...
        raise DigitfusionError(path, f"batch CSV cannot be read ({os_reason(err)})") from None
    try:
        content = text.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DigitfusionError(path, f"batch CSV is not UTF-8 text (byte {err.start})") from None
    if not content.strip():
        raise DigitfusionError(path, "batch CSV is empty (expected a header `image,audio` and one row per item)")
    reader = csv.reader(io.StringIO(content, newline=""))
    rows = []
    try:
        header = [name.strip().lower() for name in next(reader)]
        if not {"image", "audio"} <= set(header):
            raise DigitfusionError(path, "batch CSV needs a header with `image` and `audio` columns")
        columns = header.index("image"), header.index("audio")
        base = path.parent
        for row in reader:
            if not any(cell.strip() for cell in row) and len(row) <= 1:
                continue  # a blank line
            cells = [row[i] if i < len(row) else "" for i in columns]
            rows.append((reader.line_num, _resolve(cells[0], base), _resolve(cells[1], base)))
    except csv.Error as err:
        raise DigitfusionError(f"{path}:{reader.line_num}", f"not a valid CSV line ({err})") from None
    return rows


def _resolve(value: str | None, base: Path) -> str | None:
    """Relative paths in a batch CSV are relative to the CSV's folder."""
    if value is None or not value.strip():
        return None
    path = Path(value.strip())
    return str(path if path.is_absolute() else base / path)
