"""The feature cache's view of Recordings: each corpus says which files a clip is read from and how to decode
it (a segment of a longer recording, a word of fsdd-jason's joined takes), so features/cache.py needs no
import of the data layer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitfusion.data.corpora import Recording, corpus_of


@dataclass(frozen=True)
class CorpusClips:
    root: Path

    def key(self, recording: Recording) -> str:
        return recording.key

    def corpus(self, recording: Recording) -> str:
        return recording.corpus

    def files(self, recording: Recording) -> list[Path]:
        return corpus_of(recording).sources(self.root, recording)

    def decode(self, recording: Recording, rate: int) -> np.ndarray:
        """Mono float32 [N] at `rate`, cut to the recording's segment."""
        return corpus_of(recording).load(self.root, recording, rate)
