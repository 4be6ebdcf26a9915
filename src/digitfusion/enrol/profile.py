"""A person's profile: their enrolment embeddings, bound to the model that made them.

File (JSON, a few kB; about 25 kB with ten recordings' templates): {"format": "digitfusion-profile", "version": 3,
"name", "model": {"sha256", "strategy"}, "method": MethodParams, "modalities": {"image" | "audio": {"labels": [N],
"shape": [N, D], "embeddings": base64 float16 [N, D], audio only: "templates": {"lengths": [N], "dim": 13,
"frames": base64 float16 [sum(lengths), 13]}}}, "checksum": sha256 of the canonical JSON of everything else}.
Version 1 (no templates) is still read: such a profile adapts with its embeddings only. Version 2 (no
`voice_gate` in its method) is read as it was made: its embeddings keep their own gate.
Loading refuses (one line naming the file) a file that is not JSON, truncated, altered (checksum), of another
format version, or made with another model.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitfusion.atomic import write_text
from digitfusion.enrol.methods import N_CLASSES, Bank, MethodParams, adapt, template_distances, uses_templates
from digitfusion.features.cepstra import N_CEPSTRA, cepstral_frames
from digitfusion.features.mel import LogMelParams
from digitfusion.models.registry import MODALITIES

FORMAT, VERSION = "digitfusion-profile", 3
READABLE_VERSIONS = (1, 2, 3)
EMBEDDINGS = {m: f"{m}_embedding" for m in MODALITIES}  # the exported graph's outputs
MAX_PROFILE_BYTES = 1 << 20  # a real profile is a few kB; anything near this is not one


class ProfileError(ValueError):
    """What is wrong with a profile's content (the caller names the file)."""


@dataclass
class Profile:
    name: str
    model_sha256: str
    strategy: str
    method: MethodParams
    banks: dict[str, Bank] = field(default_factory=dict)

    @property
    def examples(self) -> dict[str, int]:
        return {m: int(len(self.banks[m].labels)) if m in self.banks else 0 for m in MODALITIES}

    def summary(self) -> dict:
        """What an answer says about the profile it used."""
        return {"name": self.name, "examples": self.examples}

    def adapt(self, logits: np.ndarray, modality: str, embeddings: np.ndarray,
              found: np.ndarray | None = None) -> np.ndarray:
        """Logits [B, 10] of the model + that modality's embeddings [B, D] (+ for audio the queries' template
        distances, `template_distances`) -> log-probabilities [B, 10] (unchanged, as log-softmax, when the
        profile has no example of that modality)."""
        if modality not in self.banks:
            shifted = logits - logits.max(axis=-1, keepdims=True)
            return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return adapt(logits, embeddings, self.banks[modality], self.method, found)

    def adapt_outputs(self, out: dict[str, np.ndarray], image_present: bool, audio_present: bool,
                      clips: np.ndarray | None = None, audio_params: dict | None = None) -> dict[str, np.ndarray]:
        """An exported runner's outputs with fused_logits, image_logits and audio_logits replaced by this
        profile's log-probabilities [B, 10]. The fused answer takes every present, enrolled modality's scores in
        turn. `clips` [B, clip_samples] (the prepared recordings) and the model's audio preprocessing let the
        person's templates judge them. (A method of the profile so that predict.py needs no import of this
        package.)"""
        out = dict(out)
        fused = out["fused_logits"]
        for modality, present in (("image", image_present), ("audio", audio_present)):
            if not present:
                continue
            embeddings = out[EMBEDDINGS[modality]]
            found = self.template_distances(clips, audio_params) if modality == "audio" else None
            out[f"{modality}_logits"] = self.adapt(out[f"{modality}_logits"], modality, embeddings, found)
            fused = self.adapt(fused, modality, embeddings, found)
        out["fused_logits"] = fused
        return out

    def template_distances(self, clips: np.ndarray | None, audio_params: dict | None) -> np.ndarray | None:
        """The clips' distances to the person's recorded digits [B, 10], when this profile has audio templates
        to match them with (else None)."""
        bank = self.banks.get("audio")
        if clips is None or bank is None or not uses_templates(bank, self.method):
            return None  # (checked before the clips' frames are computed)
        params = LogMelParams(**(audio_params or {}))
        return template_distances(bank, self.method, [cepstral_frames(clip, params) for clip in clips])

    def to_dict(self) -> dict:
        body = {"format": FORMAT, "version": VERSION, "name": self.name,
                "model": {"sha256": self.model_sha256, "strategy": self.strategy}, "method": self.method.to_dict(),
                "modalities": {m: encode_bank(b) for m, b in self.banks.items()}}
        return {**body, "checksum": checksum(body)}

    def save(self, path: str | os.PathLike) -> None:
        write_text(path, json.dumps(self.to_dict(), separators=(",", ":")) + "\n")


def checksum(body: dict) -> str:
    return hashlib.sha256(json.dumps(canonical(body), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def canonical(value):
    """Integer-valued floats as ints, everywhere: a profile that went through a browser (JSON.parse, then
    JSON.stringify writes 1.0 as 1) keeps its checksum."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def encode_bank(bank: Bank) -> dict:
    data = np.ascontiguousarray(bank.embeddings, dtype="<f2")
    out = {"labels": [int(v) for v in bank.labels], "shape": list(data.shape),
           "embeddings": base64.b64encode(data.tobytes()).decode("ascii")}
    if bank.sequences:
        frames = np.ascontiguousarray(np.concatenate(bank.sequences), dtype="<f2")
        out["templates"] = {"lengths": [len(s) for s in bank.sequences], "dim": int(frames.shape[1]),
                            "frames": base64.b64encode(frames.tobytes()).decode("ascii")}
    return out


def decode_templates(modality: str, data: dict | None, rows: int) -> list[np.ndarray] | None:
    """A bank's templates (one [T, dim] array per example), or None when it has none."""
    if data is None:
        return None
    try:
        lengths = [int(n) for n in data["lengths"]]
        dim = int(data["dim"])
        raw = base64.b64decode(data["frames"], validate=True)
    except (KeyError, TypeError, ValueError) as err:
        raise ProfileError(f"its {modality} templates are malformed ({type(err).__name__})") from None
    if len(lengths) != rows or min(lengths, default=0) < 1 or dim < 1 or len(raw) != 2 * sum(lengths) * dim:
        raise ProfileError(f"its {modality} templates do not match their declared lengths")
    if dim != N_CEPSTRA:
        raise ProfileError(f"its {modality} templates have {dim} features per frame, this digitfusion makes "
                           f"{N_CEPSTRA}")
    frames = np.frombuffer(raw, dtype="<f2").reshape(-1, dim).astype(np.float32)
    if not np.isfinite(frames).all():
        raise ProfileError(f"its {modality} templates are not finite numbers")
    return np.split(frames, np.cumsum(lengths)[:-1])


def decode_bank(modality: str, data: dict) -> Bank:
    try:
        labels = np.asarray(data["labels"], dtype=np.int64)
        rows, dim = (int(v) for v in data["shape"])
        raw = base64.b64decode(data["embeddings"], validate=True)
    except (KeyError, TypeError, ValueError) as err:
        raise ProfileError(f"its {modality} examples are malformed ({type(err).__name__})") from None
    if labels.shape != (rows,) or rows == 0 or len(raw) != 2 * rows * dim:
        raise ProfileError(f"its {modality} examples do not match their declared shape [{rows}, {dim}]")
    if labels.min() < 0 or labels.max() >= N_CLASSES:
        raise ProfileError(f"its {modality} labels are outside 0-9")
    embeddings = np.frombuffer(raw, dtype="<f2").reshape(rows, dim).astype(np.float32)
    if not np.isfinite(embeddings).all():
        raise ProfileError(f"its {modality} embeddings are not finite numbers")
    return Bank(embeddings, labels, decode_templates(modality, data.get("templates"), rows))


def parse(data: object) -> Profile:
    """A decoded profile JSON -> Profile; raises ProfileError saying what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProfileError("is not a digitfusion profile")
    if data.get("version") not in READABLE_VERSIONS:
        raise ProfileError(f"has format version {data.get('version')!r}; this digitfusion reads versions "
                           f"{', '.join(map(str, READABLE_VERSIONS))}")
    body = {k: v for k, v in data.items() if k != "checksum"}
    if data.get("checksum") != checksum(body):
        raise ProfileError("is corrupt (its checksum does not match its content)")
    try:
        method = MethodParams(**data["method"])
        model, name = data["model"], str(data["name"])
        banks = {m: decode_bank(m, b) for m, b in data["modalities"].items()}
        sha, strategy = str(model["sha256"]), str(model["strategy"])
    except (KeyError, TypeError, AttributeError) as err:
        raise ProfileError(f"is missing or mangles a field ({err})") from None
    if set(banks) - set(MODALITIES) or not banks:
        raise ProfileError("has no image or audio examples")
    return Profile(name, sha, strategy, method, banks)


def loads(text: str | bytes) -> Profile:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ProfileError(f"is not valid JSON (truncated or corrupt: {err.msg if hasattr(err, 'msg') else err})"
                           ) from None
    return parse(data)


def check_model(profile: Profile, model_sha256: str, dims: dict[str, int]) -> None:
    """Refuse a profile made with another model (or whose embeddings do not fit this one)."""
    if profile.model_sha256 != model_sha256:
        raise ProfileError(f"was made with another model (model.onnx sha256 {profile.model_sha256[:12]}..., "
                           f"this model is {model_sha256[:12]}...): enrol again with this model")
    for modality, bank in profile.banks.items():
        if bank.embeddings.shape[1] != dims[modality]:
            raise ProfileError(f"its {modality} embeddings have {bank.embeddings.shape[1]} features, "
                               f"the model's have {dims[modality]}")


def read_profile_file(path: str | os.PathLike) -> Profile:
    """Read a profile file (any problem -> DigitfusionError naming the file)."""
    from digitfusion.errors import DigitfusionError
    from digitfusion.files import os_reason

    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_PROFILE_BYTES:
            raise DigitfusionError(path, f"is too large for a profile (over {MAX_PROFILE_BYTES // 1024} kB)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DigitfusionError(path, "no such profile file") from None
    except IsADirectoryError:
        raise DigitfusionError(path, "is a directory, expected a profile file") from None
    except (OSError, ValueError) as err:
        raise DigitfusionError(path, f"profile cannot be read ({os_reason(err)})") from None
    try:
        return loads(raw)
    except ProfileError as err:
        raise DigitfusionError(path, f"profile {err}") from None
