"""`digitfusion enrol`: a person's examples (an `image,audio,label` CSV, or a folder of `{digit}*.wav`) -> a profile.

Every row is read and every file decoded before anything is written; the profile is then written atomically.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.enrol.apply import model_identity
from digitfusion.enrol.methods import SHIPPED, Bank, MethodParams
from digitfusion.enrol.profile import EMBEDDINGS, Profile
from digitfusion.errors import DigitfusionError
from digitfusion.export.runtime import ExportedRunner
from digitfusion.features.mel import LogMelParams
from digitfusion.files import os_reason
from digitfusion.inputs import prepare_audio, prepare_image


@dataclass
class Example:
    where: str  # "file.csv:3" or the file itself, for error messages
    image: str | None
    audio: str | None
    label: int


def read_text(path: Path, kind: str) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DigitfusionError(path, f"no such {kind}") from None
    except IsADirectoryError:
        raise DigitfusionError(path, f"is a directory, expected an {kind}") from None
    except UnicodeDecodeError as err:
        raise DigitfusionError(path, f"{kind} is not UTF-8 text (byte {err.start})") from None
    except (OSError, ValueError) as err:
        raise DigitfusionError(path, f"{kind} cannot be read ({os_reason(err)})") from None


def parse_label(value: str, where: str) -> int:
    text = value.strip()
    if not text.isdigit() or not 0 <= int(text) <= 9:
        raise DigitfusionError(where, f"label {value.strip()!r} is not a digit 0-9")
    return int(text)


def csv_examples(csv_path: str | os.PathLike) -> list[Example]:
    """Rows of an enrolment CSV (header `image,audio,label`; paths relative to the CSV's folder)."""
    path = Path(csv_path)
    content = read_text(path, "enrolment CSV")
    if not content.strip():
        raise DigitfusionError(path, "enrolment CSV is empty (expected a header `image,audio,label` and rows)")
    reader = csv.reader(io.StringIO(content, newline=""))
    examples = []
    try:
        header = [name.strip().lower() for name in next(reader)]
        if not {"image", "audio", "label"} <= set(header):
            raise DigitfusionError(path, "enrolment CSV needs a header with `image`, `audio` and `label` columns")
        columns = [header.index(name) for name in ("image", "audio", "label")]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            where = f"{path}:{reader.line_num}"
            if len(row) != len(header):
                raise DigitfusionError(where, f"has {len(row)} fields, the header has {len(header)}")
            image, audio, label = (row[i].strip() for i in columns)
            if not image and not audio:
                raise DigitfusionError(where, "gives neither an image nor a recording")
            examples.append(Example(where, resolve(image, path.parent), resolve(audio, path.parent),
                                    parse_label(label, where)))
    except csv.Error as err:
        raise DigitfusionError(f"{path}:{reader.line_num}", f"not a valid CSV line ({err})") from None
    if not examples:
        raise DigitfusionError(path, "enrolment CSV has no example rows")
    return examples


def resolve(value: str, base: Path) -> str | None:
    if not value:
        return None
    candidate = Path(value)
    return str(candidate if candidate.is_absolute() else base / candidate)


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
    (embeddings [N, D], labels [N]) of the modalities that have any."""
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
        banks[modality] = Bank(out[EMBEDDINGS[modality]].astype(np.float32), np.array([d for _, d in items]))
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
