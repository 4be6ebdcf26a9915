"""A generated set of user-like inputs, to measure how the model does on data that is not MNIST/FSDD:
digits drawn with system fonts (sizes, stroke widths, ink and paper colours, transparency, rotation)
and digits spoken by espeak-ng (voices incl. female ones FSDD lacks, speaking rates, sample rates,
stereo, silence around the word like a voice memo). Generated on demand, never committed."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from digitfusion.audio_io import resample
from digitfusion.data.rendering import INKS, PAPERS, draw_digit, speak, system_fonts

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en+f2", "en+f4", "en-us+m3", "en-029", "en+klatt")


@dataclass
class Item:
    path: Path
    label: int
    description: str


def make_images(out: Path, per_digit: int = 4, seed: int = 0) -> list[Item]:
    rng = np.random.default_rng(seed)
    fonts = system_fonts() or [None]
    items = []
    for digit in range(10):
        for k in range(per_digit):
            font = fonts[(digit + k) % len(fonts)]
            size, stroke = int(rng.choice([48, 120, 400, 900])), int(rng.integers(0, 3))
            ink, paper = INKS[int(rng.integers(len(INKS)))], PAPERS[int(rng.integers(len(PAPERS)))]
            angle = float(rng.uniform(-12, 12))
            image = draw_digit(digit, font, size, stroke * size // 100, ink, paper, angle)
            path = out / f"img_{digit}_{k}.png"
            image.save(path)
            items.append(Item(path, digit, f"{font.stem if font else 'default'} {size}px stroke {stroke} "
                                           f"paper {paper} rot {angle:.0f}"))
    return items


def make_audio(out: Path, per_digit: int = 4, seed: int = 0) -> list[Item]:
    """Voice-memo-like files: any rate, mono or stereo, 0.3-1.2 s of room noise around the word."""
    rng = np.random.default_rng(seed)
    items = []
    for digit in range(10):
        for k in range(per_digit):
            voice = VOICES[(digit * per_digit + k) % len(VOICES)]
            rate, sample_rate = int(rng.choice([120, 160, 200])), int(rng.choice([8000, 16000, 44100, 48000]))
            wave, native = speak(WORDS[digit], voice, rate)
            wave = resample(wave, native, sample_rate)
            pad = [np.zeros(int(sample_rate * rng.uniform(0.3, 1.2)), np.float32) for _ in range(2)]
            wave = np.concatenate([pad[0], wave, pad[1]])
            wave = wave + rng.normal(0, 0.002, len(wave)).astype(np.float32)  # a quiet room, not digital silence
            stereo = bool(rng.integers(2))
            data = np.stack([wave, 0.8 * wave], axis=1) if stereo else wave
            path = out / f"aud_{digit}_{k}.wav"
            sf.write(path, data, sample_rate, subtype=str(rng.choice(["PCM_16", "PCM_24", "FLOAT"])))
            items.append(Item(path, digit, f"{voice} rate {rate} {sample_rate} Hz {'stereo' if stereo else 'mono'}"))
    return items


def score_user_inputs(runner, per_digit: int = 4, seed: int = 0) -> dict:
    """Accuracy of an exported model (an export.runtime.ExportedRunner, passed in: evaluation does not import
    export) on the generated set: image alone, audio alone, and pairs."""
    from digitfusion.predict import predict_files

    with tempfile.TemporaryDirectory() as tmp:
        images, audio = make_images(Path(tmp), per_digit, seed), make_audio(Path(tmp), per_digit, seed)
        image_right = [predict_files(runner, str(i.path), None)["digit"] == i.label for i in images]
        audio_right = [predict_files(runner, None, str(a.path))["digit"] == a.label for a in audio]
        both_right = [predict_files(runner, str(i.path), str(a.path))["digit"] == i.label
                      for i, a in zip(images, audio, strict=True)]
    return {"items_per_modality": len(images), "image_acc": float(np.mean(image_right)),
            "audio_acc": float(np.mean(audio_right)), "pair_acc": float(np.mean(both_right)),
            "audio_errors": [a.description for a, ok in zip(audio, audio_right, strict=True) if not ok],
            "image_errors": [i.description for i, ok in zip(images, image_right, strict=True) if not ok]}
