"""What every image source shares. A source is a module of this package with a module-level `SOURCE`
(an ImageSource); `load(root, part)` gives uint8 images [N, 28, 28] in MNIST's convention (light ink on
black, 20x20 box, centre of mass at the centre), int64 labels [N] and writer ids [N] (or None)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.errors import DigitfusionError

Images = tuple[np.ndarray, np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class ImageSource:
    name: str
    licence: str
    citation: str
    url: str
    parts: tuple[str, ...] = ("train", "test")  # the parts its release has

    def folder(self, root: str | os.PathLike) -> Path:
        return Path(root) / self.name

    def present(self, root: str | os.PathLike) -> bool:
        return self.folder(root).is_dir()

    def load(self, root: str | os.PathLike, part: str) -> Images:
        raise NotImplementedError

    def fetch(self, root: str | os.PathLike, progress: bool = True) -> Path:
        raise NotImplementedError

    def verify(self, root: str | os.PathLike) -> dict:
        """Counts of images, writers and digits per part, and the problems found."""
        row = {"name": self.name, "kind": "images", "images": 0, "writers": None, "digits": 0, "problems": [],
               "parts": {}}
        if not self.present(root):
            row["problems"].append(f"{self.folder(root)} not found")
            return row
        labels_seen, writers = set(), set()
        for part in self.parts:
            try:
                images, labels, ids = self.load(root, part)
            except DigitfusionError as err:
                row["problems"].append(str(err))
                continue
            row["parts"][part] = len(images)
            row["images"] += len(images)
            labels_seen |= set(np.unique(labels).tolist())
            if ids is not None:
                writers |= set(np.unique(ids).tolist())
        row["digits"], row["writers"] = len(labels_seen), (len(writers) or None)
        return row

    def check_part(self, part: str) -> None:
        if part not in self.parts:
            raise DigitfusionError(f"{self.name} {part}", f"no such part (it has {', '.join(self.parts)})")
