"""Drawing a glyph and speaking a word as a user's file would hold them: the installed fonts, inks and papers, and
espeak-ng's voices. Shared by the generated sets (evaluation/synthetic.py's user-like digits, data/nondigit.py's
non-digits); nothing here is committed data."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw, ImageFont

from digitfusion.errors import DigitfusionError

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"))
PAPERS = ((255, 255, 255), (250, 245, 225), (220, 220, 215), (255, 255, 255, 0))
INKS = ((0, 0, 0), (20, 40, 160), (120, 20, 20), (60, 60, 60))


def system_fonts(limit: int = 6) -> list[Path]:
    fonts = sorted({p for d in FONT_DIRS if d.is_dir() for p in d.rglob("*.ttf")})
    return fonts[:: max(1, len(fonts) // limit)][:limit]


def draw_digit(digit: int, font: Path | None, size: int, stroke: int, ink, paper, angle: float) -> Image.Image:
    """One digit on a canvas of `size` px, as a user might upload it."""
    mode = "RGBA" if len(paper) == 4 else "RGB"
    image = Image.new(mode, (size, size), paper)
    face = ImageFont.truetype(str(font), int(size * 0.6)) if font else ImageFont.load_default(int(size * 0.6))
    canvas = ImageDraw.Draw(image)
    fill = ink + ((255,) if mode == "RGBA" else ())
    canvas.text((size / 2, size / 2), str(digit), font=face, fill=fill, anchor="mm", stroke_width=stroke,
                stroke_fill=fill)
    return image.rotate(angle, fillcolor=paper, resample=Image.BICUBIC)


def speak(word: str, voice: str, rate: int) -> tuple[np.ndarray, int]:
    """espeak-ng's rendering of `word` (mono float32, its native 22.05 kHz)."""
    if shutil.which("espeak-ng") is None:
        raise DigitfusionError("espeak-ng", "not installed (apt-get install espeak-ng; `make test` does it)")
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", tmp.name, word], check=True,
                       capture_output=True)
        wave, sample_rate = sf.read(tmp.name, dtype="float32")
    return wave, sample_rate
