"""A generated non-digit set: what a user may send that is not a digit, to choose and test the abstention.

Images: letters and symbols drawn with the installed fonts, scribbles, specks, texture-like images.
Audio: non-digit words and syllables spoken by espeak-ng voices, noise, music-like tones, clipped fragments
of words, near-empty recordings (room noise). Two halves with different words, letters, voices and seeds:
"threshold" (thresholds are chosen on it, with validation pairs) and "held-out" (read only by the report).
A third, larger part, "training", shares none of their letters, words or voices: the outliers a model may be
trained to be unsure about (training/outliers.py, outlier exposure). Generated on demand into a folder, never
committed.
"""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw, ImageFilter

from digitfusion.audio_io import resample
from digitfusion.data.rendering import INKS, PAPERS, draw_digit, speak, system_fonts
from digitfusion.errors import DigitfusionError

HALVES = ("threshold", "held-out")
PART_TRAINING = "training"
PARTS = (*HALVES, PART_TRAINING)
# letters and symbols that do not look like a digit (no O, I, l, Z, S, B, b, G, g, q); the training part's also
# leave out what a digit may look like once cropped to 28 px (! / ( [ j: a 1; $ §: a 5; ? a 2; circles: a 0)
GLYPHS = {"threshold": "ACEHKMPRUWYadhkmrx#+*", "held-out": "FJLNQTVXefnptwy@&=%",
          "training": "cuv<>~^;:€¥¶µ÷×±λπψωηΔΛΣΠΨЖЯИЙШЩЫЮ"}
WORDS = {"threshold": ("hello", "yes", "cat", "house", "stop", "left", "water", "apple", "maybe", "blue", "table",
                       "go",
                       # stop 31: 12 words and 4 voices left the audio choice saturated (every candidate past a
                       # point flagged all of it), so the half grew before its choice was made again
                       "friend", "school", "night", "family", "number", "simple", "help", "game", "city", "flower",
                       "picture", "dinner", "ready", "police", "sleep", "nice", "key", "lady", "hotel", "ticket",
                       "queen", "baby", "weather", "button"),
         "held-out": ("no", "dog", "window", "right", "music", "red", "thanks", "green", "chair", "up", "please",
                      "sun"),
         # common words that neither sound like a digit (no "won", "to", "for", "ate", "heaven", "weight") nor
         # are in a half
         "training": ("the", "and", "have", "that", "with", "this", "from", "they", "will", "would", "there",
                      "what", "about", "which", "when", "make", "like", "time", "just", "know", "take", "people",
                      "year", "good", "some", "could", "them", "see", "other", "than", "then", "now", "look", "only",
                      "come", "over", "think", "also", "back", "after", "use", "work", "well", "way", "even", "want",
                      "because", "any", "give", "day", "most", "morning", "coffee", "phone", "garden", "yellow",
                      "purple", "orange", "banana", "pencil", "paper", "letter", "computer", "bottle", "street",
                      "money", "happy", "sorry", "hi", "okay", "where", "who", "why", "how", "again", "never",
                      "always", "kitchen", "doctor", "teacher", "mother", "father", "brother", "sister", "summer",
                      "river", "mountain", "light", "dark", "little", "big", "small", "open", "close", "down",
                      "bird", "fish", "horse", "mouse", "car", "bus", "boat", "bed", "door", "book", "milk",
                      "bread", "cheese")}
SYLLABLES = {"threshold": ("ba", "ka", "la", "mi", "shh", "ah"), "held-out": ("ta", "po", "ne", "ru", "mm", "oh"),
             "training": ("da", "ge", "ki", "sa", "pi", "lu", "bu", "ho", "ss", "uh")}
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VOICES = {"threshold": ("en-us", "en-gb", "en+f2", "en-us+m3", "en-gb-x-gbcwmd", "en-us+f5", "en-gb+m7"),
          "held-out": ("en-gb-scotland", "en+f4", "en-029", "en+klatt"),
          "training": ("en-gb-x-rp", "en-us-nyc", "en+f1", "en+m1", "en-gb-x-gbclan", "en+f3")}
SEEDS = {"threshold": 101, "held-out": 202, "training": 303}
# (renders of each glyph, fonts tried, images of every other kind, recordings of every other kind): the halves
# are small test sets, the training part is what a model learns "not a digit" from. Stop 34: the threshold half's
# images doubled (66 -> 132) before the image detector's choice was made again: at 66, its best candidates flagged
# all but 2 and could not be told apart
SIZES = {"threshold": (4, 12, 16, 8), "held-out": (2, 6, 8, 8), "training": (24, 40, 60, 30)}
RATE = 16000  # the rate every generated recording is written at


@dataclass
class NonDigit:
    path: Path
    kind: str  # letter | scribble | specks | texture | word | syllable | noise | tone | fragment | empty
    description: str


# ----------------------------------------------------------------------------- images


def make_images(out: Path, half: str, per_kind: int | None = None) -> list[NonDigit]:
    """Letters/symbols (each glyph twice in a half), scribbles, specks and textures, as PNG files in `out`
    (`per_kind` of each kind but letters; default: the part's size)."""
    rng = np.random.default_rng(SEEDS[half])
    renders, font_count, default_count, _ = SIZES[half]
    per_kind = default_count if per_kind is None else per_kind
    fonts = system_fonts(font_count) or [None]
    items = _glyphs(out, half, GLYPHS[half] * renders, lambda glyph, k: fonts[k % len(fonts)], rng)
    makers = {"scribble": _scribble, "specks": _specks, "texture": _texture}
    for kind, maker in makers.items():
        for k in range(per_kind):
            items.append(_save(maker(rng, k), out / f"{half}_{kind}_{k}.png", kind, f"{kind} {k}"))
    return items


def make_extra_glyphs(out: Path, glyphs: str) -> list[NonDigit]:
    """More letters for the training part (TrainConfig.outlier_glyphs), rendered as its own are but only with the
    fonts that hold each glyph (a font without it draws an empty box). Refused: a digit, or a glyph of either half
    (the halves must stay unseen)."""
    taken = set("0123456789" + "".join(GLYPHS[half] for half in HALVES))
    if set(glyphs) & taken:
        raise DigitfusionError(f"outlier glyphs {glyphs!r}", f"hold a digit or a glyph of the threshold or held-out "
                                                             f"half: {''.join(sorted(set(glyphs) & taken))}")
    renders, font_count = SIZES[PART_TRAINING][:2]
    fonts = system_fonts(font_count)
    covering = {glyph: [font for font in fonts if font_has(font, glyph)] for glyph in glyphs}
    missing = "".join(glyph for glyph, found in covering.items() if not found)
    if missing:
        raise DigitfusionError(f"outlier glyphs {missing!r}", "no installed font draws them")
    rng = np.random.default_rng(SEEDS[PART_TRAINING] + 1)  # not the training part's own stream
    # each glyph's renders go round the fonts that hold it
    return _glyphs(out, "extra", glyphs * renders,
                   lambda glyph, k: covering[glyph][(k // len(glyphs)) % len(covering[glyph])], rng)


def font_has(font: Path, glyph: str) -> bool:
    """Whether `font` maps `glyph` to a drawing of its own (fontTools reads its character map)."""
    return ord(glyph) in _character_map(font)


@functools.lru_cache(maxsize=64)
def _character_map(font: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(font, lazy=True, fontNumber=0) as loaded:
        return frozenset(loaded.getBestCmap())


def _glyphs(out: Path, name: str, sequence: str, font_for, rng: np.random.Generator) -> list[NonDigit]:
    """The k-th glyph of `sequence` drawn with `font_for(glyph, k)`, a paper, an ink, a size, a stroke and a slant
    drawn from `rng`, saved as `{name}_glyph_{k}.png`."""
    items = []
    for k, glyph in enumerate(sequence):
        font = font_for(glyph, k)
        paper, ink = PAPERS[k % len(PAPERS)], INKS[int(rng.integers(len(INKS)))]
        size = int(rng.choice([64, 160, 400]))
        image = draw_digit(glyph, font, size, int(rng.integers(0, 3)) * size // 100, ink, paper,
                           float(rng.uniform(-10, 10)))
        items.append(_save(image, out / f"{name}_glyph_{k}.png", "letter", f"'{glyph}' {font.stem if font else ''}"))
    return items


def _save(image: Image.Image, path: Path, kind: str, description: str) -> NonDigit:
    image.save(path)
    return NonDigit(path, kind, description)


def _scribble(rng: np.random.Generator, k: int) -> Image.Image:
    """A random tangle of strokes across most of the page."""
    size = 280
    image = Image.new("RGB", (size, size), "white")
    points = [tuple(int(v) for v in rng.uniform(20, size - 20, 2)) for _ in range(int(rng.integers(8, 20)))]
    ImageDraw.Draw(image).line(points, fill="black", width=int(rng.integers(6, 16)), joint="curve")
    return image


def _specks(rng: np.random.Generator, k: int) -> Image.Image:
    """Scattered dots of a few sizes: dust, not a stroke."""
    size = 280
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(6, 40))):
        x, y = rng.uniform(10, size - 10, 2)
        r = float(rng.uniform(2, 9))
        draw.ellipse([x - r, y - r, x + r, y + r], fill="black")
    return image


def _texture(rng: np.random.Generator, k: int) -> Image.Image:
    """Texture-like photos: smoothed noise (stone, paper), stripes (wood, fabric), a checkerboard (tiles)."""
    size = 256
    yy, xx = np.mgrid[:size, :size]
    pattern = k % 3
    if pattern == 0:
        field = Image.fromarray((rng.uniform(0, 255, (size, size))).astype(np.uint8)).filter(
            ImageFilter.GaussianBlur(float(rng.uniform(2, 8))))
        return field.point(lambda v: max(0, min(255, int((v - 128) * 4 + 128)))).convert("RGB")
    if pattern == 1:
        period, angle = rng.uniform(10, 40), rng.uniform(0, np.pi)
        wave = np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
        wave = wave + 0.3 * rng.normal(size=wave.shape)
        return Image.fromarray(np.clip(127 + 100 * wave, 0, 255).astype(np.uint8)).convert("RGB")
    cell = int(rng.integers(16, 64))
    board = ((xx // cell + yy // cell) % 2 * 180 + 40 + rng.normal(0, 10, (size, size))).clip(0, 255)
    return Image.fromarray(board.astype(np.uint8)).convert("RGB")


# ----------------------------------------------------------------------------- audio


def make_audio(out: Path, half: str, per_kind: int | None = None) -> list[NonDigit]:
    """Words (each twice, two voices), syllables, noise, tones, fragments and near-empty recordings (WAV)
    (`per_kind` of each of the last four kinds; default: the part's size)."""
    rng = np.random.default_rng(SEEDS[half])
    per_kind = SIZES[half][3] if per_kind is None else per_kind
    voices = VOICES[half]
    items = []
    spoken = [("word", w) for w in WORDS[half] * 2] + [("syllable", s) for s in SYLLABLES[half]]
    if shutil.which("espeak-ng"):  # without it (no `make sysdeps`) the set has no spoken items; counted in the JSON
        for k, (kind, text) in enumerate(spoken):
            voice = voices[k % len(voices)]
            wave, native = speak(text, voice, int(rng.choice([120, 160, 200])))
            items.append(_write(_memo(resample(wave, native, RATE), rng), out / f"{half}_{kind}_{k}.wav", kind,
                                f"'{text}' {voice}"))
        for k in range(per_kind):  # the first 60-150 ms of a digit word: too little to be one
            wave, native = speak(DIGIT_WORDS[int(rng.integers(10))], voices[k % len(voices)], 160)
            wave = resample(wave, native, RATE)
            onset = int(np.flatnonzero(np.abs(wave) > 0.05 * np.abs(wave).max())[0])
            piece = wave[onset:onset + int(RATE * rng.uniform(0.06, 0.15))]
            items.append(_write(_memo(piece, rng), out / f"{half}_fragment_{k}.wav", "fragment", f"fragment {k}"))
    for kind, maker in (("noise", _noise), ("tone", _tone), ("empty", _empty)):
        for k in range(per_kind):
            items.append(_write(maker(rng, k), out / f"{half}_{kind}_{k}.wav", kind, f"{kind} {k}"))
    return items


def _memo(wave: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A voice-memo framing: 0.2-0.6 s of quiet room noise either side."""
    pads = [np.zeros(int(RATE * rng.uniform(0.2, 0.6)), np.float32) for _ in range(2)]
    wave = np.concatenate([pads[0], wave.astype(np.float32), pads[1]])
    return wave + rng.normal(0, 0.002, len(wave)).astype(np.float32)


def _write(wave: np.ndarray, path: Path, kind: str, description: str) -> NonDigit:
    sf.write(path, np.clip(wave, -1, 1).astype(np.float32), RATE, subtype="PCM_16")
    return NonDigit(path, kind, description)


def _noise(rng: np.random.Generator, k: int) -> np.ndarray:
    """White, pink-ish or brown noise, 0.5-2 s."""
    n = int(RATE * rng.uniform(0.5, 2.0))
    white = rng.normal(size=n)
    colour = k % 3
    wave = white if colour == 0 else np.cumsum(white) if colour == 2 else np.convolve(white, np.ones(8) / 8, "same")
    wave = wave - wave.mean()
    return (0.3 * wave / np.abs(wave).max()).astype(np.float32)


def _tone(rng: np.random.Generator, k: int) -> np.ndarray:
    """Music-like sounds: a held chord, a sweep, a short melody of notes, square-wave beeps."""
    t = np.arange(int(RATE * rng.uniform(0.6, 1.5))) / RATE
    shape = k % 4
    if shape == 0:
        base = rng.uniform(150, 500)
        wave = sum(np.sin(2 * np.pi * base * r * t) for r in (1, 1.25, 1.5))
    elif shape == 1:
        f0, f1 = rng.uniform(100, 300), rng.uniform(800, 2500)
        wave = np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * t[-1])))
    elif shape == 2:
        notes = 220 * 2 ** (rng.integers(0, 12, 5) / 12)
        wave = np.sin(2 * np.pi * notes[np.minimum((t / t[-1] * 5).astype(int), 4)] * t)
    else:
        wave = np.sign(np.sin(2 * np.pi * rng.uniform(300, 900) * t)) * (np.sin(2 * np.pi * 3 * t) > 0)
    return (0.4 * wave / np.abs(wave).max()).astype(np.float32)


def _empty(rng: np.random.Generator, k: int) -> np.ndarray:
    """A recording where nobody spoke: faint room noise, with a hum on every other one."""
    t = np.arange(int(RATE * rng.uniform(0.5, 2.0))) / RATE
    hum = 0.003 * np.sin(2 * np.pi * 50 * t) if k % 2 else 0.0
    return (rng.normal(0, 0.002, len(t)) + hum).astype(np.float32)


def prepared(paths: list[Path], prepare, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Each file through `prepare` (the input pipeline: inputs.prepare_image, or prepare_audio with the model's
    parameters) -> (arrays [N, *shape] float32, refused [N]): a file the pipeline refuses becomes zeros, flagged."""
    arrays, refused = [], []
    for path in paths:
        try:
            arrays.append(prepare(path).astype(np.float32))
            refused.append(False)
        except DigitfusionError:
            arrays.append(np.zeros(shape, np.float32))
            refused.append(True)
    return np.stack(arrays), np.array(refused)
