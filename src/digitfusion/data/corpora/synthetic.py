"""synthetic: the ten digit words spoken by espeak-ng, as EXTRA TRAINING speakers only (never validation or
test: `train_only`, enforced by the split protocols). Generated on this machine into the cache
(`digitfusion.paths.cache_dir() / "synthetic"`), deterministic given the seed: `digitfusion data fetch`.

A speaker is one English voice (accent) x one variant (timbre: women, men, older voices, the Klatt synthesiser)
with its own pitch and speaking rate drawn from the seed; each take jitters both a little. The voice + variant
pairs that `digitfusion check-inputs` speaks with (evaluation/synthetic.py), and plain voices without a variant,
are left out, so that check stays a measure on voices the model never trained on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.atomic import write_text
from digitfusion.data.corpora._base import Recording, Sides, SpeechCorpus
from digitfusion.errors import DigitfusionError
from digitfusion.paths import cache_dir

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",
          "en-us-nyc")
# f2, f4, m3 and klatt are check-inputs' variants: left out entirely (not just their voice pairs)
VARIANTS = ("f1", "f3", "f5", "Annie", "anika", "Andrea", "Alicia", "belinda", "linda", "steph", "steph2",
            "aunty", "grandma", "shelby", "m1", "m2", "m4", "m5", "m6", "m7", "adam", "Alex", "benjamin", "caleb",
            "david", "edward", "john", "max", "Michael", "paul", "rob", "travis", "grandpa", "klatt2", "klatt4")
PITCH = (20, 90)  # espeak-ng's -p (0-99, 50 default): a speaker's base pitch, drawn uniformly
RATE = (130, 210)  # words per minute (-s, 175 default)
JITTER = (8, 15)  # per take: +- pitch, +- rate
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Synthetic(SpeechCorpus):
    seed: int = 0
    takes: int = 2  # recordings of each digit per speaker
    voices: tuple[str, ...] = VOICES
    variants: tuple[str, ...] = VARIANTS
    train_only: bool = True

    def folder(self, root: str | os.PathLike | None = None) -> Path:
        """The cache folder of this seed and voice set (the data root is not used: nothing is downloaded)."""
        spec = json.dumps([self.seed, self.takes, self.voices, self.variants, PITCH, RATE, JITTER, espeak_version()])
        # Absolute: a recording's path is read relative to the data root unless it is absolute, and this folder
        # is not under the data root.
        name = f"seed{self.seed}-{hashlib.sha1(spec.encode()).hexdigest()[:10]}"
        return (cache_dir() / "synthetic" / name).resolve()

    def present(self, root: str | os.PathLike | None = None) -> bool:
        return (self.folder(root) / MANIFEST).is_file()

    def plan(self) -> list[dict]:
        """Every clip to generate: voice, variant, digit, take, pitch, rate (the seed's draws), file name."""
        rng = np.random.default_rng(self.seed)
        items = []
        for voice in self.voices:
            for variant in self.variants:
                pitch, rate = int(rng.integers(PITCH[0], PITCH[1] + 1)), int(rng.integers(RATE[0], RATE[1] + 1))
                for digit in range(10):
                    for take in range(self.takes):
                        p = int(np.clip(pitch + rng.integers(-JITTER[0], JITTER[0] + 1), 0, 99))
                        s = int(rate + rng.integers(-JITTER[1], JITTER[1] + 1))
                        items.append({"voice": voice, "variant": variant, "digit": digit, "take": take, "pitch": p,
                                      "rate": s, "file": f"{voice}+{variant}/{digit}_{take}.wav"})
        return items

    def fetch(self, root: str | os.PathLike | None = None, progress: bool = True) -> Path:
        """Generate every clip with espeak-ng (two at a time) into a temporary folder, then move it in place."""
        folder = self.folder(root)
        if self.present(root):
            return folder
        if shutil.which("espeak-ng") is None:
            raise DigitfusionError("espeak-ng", "not installed (apt-get install espeak-ng; `make sysdeps` does it)")
        items = self.plan()
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(lambda item: speak(item, staging), items))
            write_text(staging / MANIFEST, json.dumps(items, indent=0) + "\n")
            os.replace(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder

    def recordings(self, root: str | os.PathLike | None = None) -> list[Recording]:
        folder = self.folder(root)
        if not self.present(root):
            raise DigitfusionError(self.name, "not generated yet: run `digitfusion data fetch` (needs espeak-ng)")
        items = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return sorted(Recording((folder / item["file"]).as_posix(), item["digit"],
                                self.speaker(f"{item['voice']}+{item['variant']}"), item["take"], self.name)
                      for item in items)

    def official(self, recordings: list[Recording]) -> Sides:
        """Everything is training data: synthetic voices never judge a model."""
        return list(recordings), [], []


def espeak_version() -> str:
    """espeak-ng's version line ('' when it is not installed): part of the cache key, as its voices change."""
    if shutil.which("espeak-ng") is None:
        return ""
    return subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=False).stdout.strip()


def speak(item: dict, folder: Path) -> None:
    """One clip: espeak-ng writes its 22.05 kHz 16-bit WAV straight to the file."""
    path = folder / item["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    command = ["espeak-ng", "-v", f"{item['voice']}+{item['variant']}", "-p", str(item["pitch"]),
               "-s", str(item["rate"]), "-w", str(path), WORDS[item["digit"]]]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not path.is_file():
        raise DigitfusionError(f"espeak-ng {item['voice']}+{item['variant']}",
                               f"failed: {result.stderr.strip() or result.returncode}")


CORPUS = Synthetic(
    name="synthetic", licence="generated locally with espeak-ng (GPL-3.0-or-later); the clips carry no licence",
    citation="espeak-ng, https://github.com/espeak-ng/espeak-ng (voices and variants of its espeak-ng-data)",
    url="https://github.com/espeak-ng/espeak-ng", tags=("synthetic", "train-only"))
