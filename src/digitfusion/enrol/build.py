"""`digitfusion enrol`: a person's examples (an `image,audio,label` CSV, or a folder of `{digit}*.wav`) -> a profile.

Every row is read and every file decoded before anything is written; the profile is then written atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.enrol.apply import model_identity
from digitfusion.enrol.methods import SHIPPED, Bank, MethodParams
from digitfusion.enrol.profile import EMBEDDINGS, Profile
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner
from digitfusion.features.cepstra import cepstral_frames
from digitfusion.features.mel import LogMelParams
from digitfusion.files import csv_rows, resolve_relative
from digitfusion.inputs import prepare_audio, prepare_image


@dataclass
class Example:
    where: str  # "file.csv:3" or the file itself, for error messages
    image: str | None
    audio: str | None
    label: int


def parse_label(value: str, where: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 0 <= int(text) <= 9:
        raise DigitfusionError(where, f"label {value.strip()!r} is not a digit 0-9")
    return int(text)


def csv_examples(csv_path: str | os.PathLike) -> list[Example]:
    """Rows of an enrolment CSV (header `image,audio,label`; paths relative to the CSV's folder)."""
    path = Path(csv_path)
    examples = []
    for line, header, row in csv_rows(path, "enrolment CSV", ("image", "audio", "label"),
                                      "expected a header `image,audio,label` and rows"):
        if not any(cell.strip() for cell in row):
            continue  # a row of empty cells
        where = f"{path}:{line}"
        if len(row) != len(header):
            raise DigitfusionError(where, f"has {len(row)} fields, the header has {len(header)}")
        image, audio, label = (row[header.index(name)].strip() for name in ("image", "audio", "label"))
        if not image and not audio:
            raise DigitfusionError(where, "gives neither an image nor a recording")
        examples.append(Example(where, resolve_relative(image, path.parent), resolve_relative(audio, path.parent),
                                parse_label(label, where)))
    if not examples:
        raise DigitfusionError(path, "enrolment CSV has no example rows")
    return examples


def folder_examples(folder: str | os.PathLike) -> list[Example]:
    """`{digit}*.wav` files of a folder (e.g. 3_take1.wav), the digit read from the first character."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DigitfusionError(folder, "no such folder of recordings")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav" and p.name[:1].isdigit())
    if not files:
        raise DigitfusionError(folder, "holds no {digit}*.wav recordings (e.g. 3_take1.wav)")
    return [Example(str(p), None, str(p), int(p.name[0])) for p in files]


def embed(runner: ExportedRunner, examples: list[Example]) -> dict[str, Bank]:
    """Decode every example's files (any bad one -> its one-line error), then embed them per modality."""
    params = LogMelParams(**runner.preprocessing["audio"])
    prepared = {"image": [(prepare_image(e.image), e.label) for e in examples if e.image],
                "audio": [(prepare_audio(e.audio, params), e.label) for e in examples if e.audio]}
    return embed_prepared(runner, prepared)


def embed_prepared(runner: ExportedRunner, prepared: dict[str, list[tuple[np.ndarray, int]]]) -> dict[str, Bank]:
    """Prepared inputs (image [1, 28, 28] or clip [clip_samples], digit) per modality -> banks
    (embeddings [N, D], labels [N]; audio also each clip's cepstral frames) of the modalities that have any."""
    banks = {}
    for modality, items in prepared.items():
        if not items:
            continue
        n = len(items)
        stacked = np.stack([x for x, _ in items]).astype(np.float32)
        images = stacked if modality == "image" else np.zeros((n, 1, 28, 28), np.float32)
        waves = stacked if modality == "audio" else np.zeros((n, runner.clip_samples), np.float32)
        present = np.ones(n, np.float32)
        flags = (present, 0 * present) if modality == "image" else (0 * present, present)
        out = runner.run(images, waves, *flags)
        sequences = None
        if modality == "audio":  # the recordings themselves are kept as the person's word templates
            params = LogMelParams(**runner.preprocessing["audio"])
            sequences = [cepstral_frames(clip, params) for clip, _ in items]
        banks[modality] = Bank(out[EMBEDDINGS[modality]].astype(np.float32), np.array([d for _, d in items]),
                               sequences)
    if not banks:
        raise DigitfusionError("enrolment", "has no examples")
    return banks


def build_profile(runner: ExportedRunner, banks: dict[str, Bank], name: str, method: MethodParams = SHIPPED
                  ) -> Profile:
    sha, _ = model_identity(runner)
    return Profile(name, sha, runner.preprocessing.get("strategy", "?"), method, banks)


def enrol(model: str | os.PathLike | None, out: str | os.PathLike, csv_path: str | None = None,
          audio_dir: str | None = None, name: str | None = None, provider: str = "auto") -> Profile:
    """Read and check every example, compute the profile, write it atomically; returns it.
    `model` None: the model shipped in the package."""
    if bool(csv_path) == bool(audio_dir):
        raise DigitfusionError("enrol", "give exactly one of --csv FILE or --audio-dir DIR")
    examples = csv_examples(csv_path) if csv_path else folder_examples(audio_dir)
    runner = ExportedRunner(model, provider=provider)
    model_identity(runner)  # refuse an old model folder before decoding anything
    profile = build_profile(runner, embed(runner, examples), name or Path(out).stem)
    profile.save(out)
    return profile
