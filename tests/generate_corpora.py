"""Generated corpora in their releases' layouts (tiny, for unit tests): words are tones separated by silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from tests.generate import tone


def word_train(digits: str, rate: int, gap_s: float = 0.4, seed: int = 0) -> np.ndarray:
    """One recording saying `digits` in order: a tone per digit, `gap_s` of faint noise between them."""
    rng = np.random.default_rng(seed)
    parts = [0.001 * rng.standard_normal(int(rate * gap_s)).astype(np.float32)]
    for i, d in enumerate(digits):
        parts += [tone(int(d), 0, i, rate), 0.001 * rng.standard_normal(int(rate * gap_s)).astype(np.float32)]
    return np.concatenate(parts)


def write(path: Path, wave: np.ndarray, rate: int, subtype: str = "PCM_16") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wave, rate, subtype=subtype)
    return path


def make_audiomnist(root: Path, speakers: int = 10, takes: int = 2) -> Path:
    """`audiomnist/data/{NN}/{digit}_{NN}_{take}.wav` at 48 kHz and its audioMNIST_meta.txt."""
    data = root / "audiomnist" / "data"
    for s in range(1, speakers + 1):
        for digit in range(10):
            for take in range(takes):
                write(data / f"{s:02d}" / f"{digit}_{s:02d}_{take}.wav", tone(digit, s, take, 48000), 48000)
    meta = ", ".join(f'"{s:02d}": {{"gender": "{"female" if s % 2 else "male"}", "age": "{20 + s}", '
                     f'"accent": "German"}}' for s in range(1, speakers + 1))
    (data / "audioMNIST_meta.txt").write_text("{" + meta + "}")
    return root


def optdigits_text(per_digit: int = 4, seed: int = 0) -> str:
    """An `optdigits-orig.tra`-shaped file: the count, then per digit 32 rows of 32 0/1 and its label."""
    rng = np.random.default_rng(seed)
    blocks = []
    for digit in np.repeat(np.arange(10), per_digit):
        bitmap = np.zeros((32, 32), dtype=np.uint8)
        bitmap[4 + digit:10 + digit + int(rng.integers(0, 3)), 6:26] = 1  # a bar whose height tells the digit
        bitmap[4:28, 8 + digit:11 + digit] = 1
        blocks.append("\n".join("".join(map(str, row)) for row in bitmap) + f"\n {digit}")
    return f"{len(blocks)}\n" + "\n".join(blocks) + "\n"


def make_optdigits(root: Path, per_digit: int = 4) -> Path:
    (root / "optdigits").mkdir(parents=True, exist_ok=True)
    (root / "optdigits" / "optdigits-orig.tra").write_text(optdigits_text(per_digit))
    return root
