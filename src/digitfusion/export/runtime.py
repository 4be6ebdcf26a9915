"""Load an exported model folder and run it with onnxruntime + numpy only (no torch import: fast start).

A model folder holds model.onnx, preprocessing.json, model_card.md and checksums.json (sha256 of the
others). Loading refuses a folder whose files are missing or do not match their checksums.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from digitfusion.errors import DigitfusionError
from digitfusion.export.pretrained import PRETRAINED_DIR, REBUILD_HINT, model_dir

MODEL, PREPROCESSING, CARD, CHECKSUMS = "model.onnx", "preprocessing.json", "model_card.md", "checksums.json"
FUSED, UNIMODAL = "fused_logits", {"image": "image_logits", "audio": "audio_logits"}
PROVIDERS = ("auto", "cpu", "cuda")  # --provider: auto = CUDA when onnxruntime-gpu offers it, else CPU


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_folder(folder: Path) -> dict:
    """Checksums of a model folder; raises a one-line error on any missing or altered file."""
    if not folder.is_dir():
        hint = f" (this install ships no model: {REBUILD_HINT})" if folder == PRETRAINED_DIR else ""
        raise DigitfusionError(folder, f"no model folder here{hint}")
    try:
        expected = json.loads((folder / CHECKSUMS).read_text())
    except (OSError, json.JSONDecodeError):
        raise DigitfusionError(folder, f"not a digitfusion model folder (no readable {CHECKSUMS})") from None
    for name in (MODEL, PREPROCESSING, CARD):
        if name not in expected or not (folder / name).is_file():
            raise DigitfusionError(folder / name, "missing from the model folder")
        if sha256(folder / name) != expected[name]:
            raise DigitfusionError(folder / name, "checksum mismatch: the file was altered or belongs elsewhere")
    return expected


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def session_providers(provider: str = "auto") -> list[str]:
    """onnxruntime execution providers for --provider auto|cpu|cuda (CUDA needs the onnxruntime-gpu package)."""
    import onnxruntime as ort

    if provider not in PROVIDERS:
        raise DigitfusionError(f"--provider {provider}", f"unknown provider (choose from {', '.join(PROVIDERS)})")
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if provider == "cuda" and not has_cuda:
        raise DigitfusionError("--provider cuda", "this onnxruntime has no CUDA provider (pip install onnxruntime-gpu)")
    if provider == "cpu" or not has_cuda:
        return ["CPUExecutionProvider"]
    return ["CUDAExecutionProvider", "CPUExecutionProvider"]


class ExportedRunner:
    """The fused model of a model folder (default: the shipped one): `run(images, waves, present)` -> raw outputs."""

    def __init__(self, folder: str | os.PathLike | None = None, provider: str = "auto"):
        import onnxruntime as ort

        self.folder = model_dir(folder)
        verify_folder(self.folder)
        self.preprocessing = json.loads((self.folder / PREPROCESSING).read_text())
        alone = self.preprocessing.get("alone", {})
        for modality, source in ((m, alone[m]) for m in UNIMODAL if m in alone):
            if source not in (FUSED, UNIMODAL[modality]):
                raise DigitfusionError(self.folder / PREPROCESSING, f"unknown head {source!r} for {modality!r} "
                                                                    "alone")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        providers = session_providers(provider)
        try:
            self.session = ort.InferenceSession(str(self.folder / MODEL), options, providers=providers)
        except Exception as err:  # onnxruntime raises its own exception types for a bad graph
            raise DigitfusionError(self.folder / MODEL, f"not a loadable ONNX model ({str(err)[:120]})") from None
        self.inputs = [i.name for i in self.session.get_inputs()]
        if self.inputs != ["image", "wave", "image_present", "audio_present"]:
            raise DigitfusionError(self.folder / MODEL, f"unexpected graph inputs {self.inputs}")

    @property
    def clip_samples(self) -> int:
        return int(self.preprocessing["audio"]["clip_samples"])

    def run(self, images: np.ndarray, waves: np.ndarray, image_present: np.ndarray,
            audio_present: np.ndarray) -> dict[str, np.ndarray]:
        """images [B,1,28,28] float32, waves [B,clip] float32, presence [B] float32 -> named outputs, with the
        rows that have one modality answered by the head chosen for it on validation (preprocessing["alone"])."""
        out = self.run_graph(images, waves, image_present, audio_present)
        return answer_alone(out, image_present, audio_present, self.preprocessing.get("alone", {}))

    def run_graph(self, images: np.ndarray, waves: np.ndarray, image_present: np.ndarray,
                  audio_present: np.ndarray) -> dict[str, np.ndarray]:
        """The graph's outputs as they are (fused_logits from the fusion's own heads)."""
        feeds = {"image": images.astype(np.float32), "wave": waves.astype(np.float32),
                 "image_present": image_present.astype(np.float32), "audio_present": audio_present.astype(np.float32)}
        names = [o.name for o in self.session.get_outputs()]
        return dict(zip(names, self.session.run(None, feeds), strict=True))


def answer_alone(out: dict[str, np.ndarray], image_present: np.ndarray, audio_present: np.ndarray,
                 alone: dict) -> dict[str, np.ndarray]:
    """fused_logits [B, 10] where one modality is present replaced by the output `alone[modality]` names
    (evaluation/alone.py chose it on validation: the fusion's own head, "fused_logits", or the unimodal model's);
    older folders have no choice and keep the graph's answer."""
    fused = out[FUSED]
    for modality, own, other in (("image", image_present, audio_present), ("audio", audio_present, image_present)):
        source = alone.get(modality, FUSED)
        rows = (np.asarray(own) > 0) & (np.asarray(other) <= 0)
        if source != FUSED and rows.any():
            fused = np.where(rows[:, None], out[source], fused)
    return {**out, FUSED: fused}
