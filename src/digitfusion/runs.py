"""The run-folder layout of a pipeline folder, one object used by training, evaluation, export and the report.

  {root}/seed{S}/image-cnn/             the image model (its split depends only on the image sources and the seed)
  {root}/seed{S}/{split}/split/         train/val/test CSVs, speakers, val/test pair manifests
  {root}/seed{S}/{split}/{model}/       every other model of that split (audio models, fusions)
  {root}/seed{S}/{split}/evaluation/    results.json and arrays.npz of that split
`split` is the split's name (`official`, `speaker-george`, `leave-corpus-out-speech-commands`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunLayout:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    def seed_dir(self, seed: int) -> Path:
        return self.root / f"seed{seed}"

    def protocol_dir(self, seed: int, split: str) -> Path:
        return self.seed_dir(seed) / split

    def run_dir(self, model: str, seed: int, split: str, modality: str = "audio", image_split: str = "official"
                ) -> Path:
        """Where `model` of `split` lives. Image models are shared by every split with the same image split."""
        if modality == "image":
            return self.seed_dir(seed) / (model if image_split == "official" else f"{image_split}-{model}")
        return self.protocol_dir(seed, split) / model

    def split_dir(self, seed: int, split: str) -> Path:
        return self.protocol_dir(seed, split) / "split"

    def evaluation_dir(self, seed: int, split: str) -> Path:
        return self.protocol_dir(seed, split) / "evaluation"
