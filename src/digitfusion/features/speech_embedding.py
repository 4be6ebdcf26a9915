"""A frozen speech embedding learnt from far more voices than ours: Google's speech_embedding model.

FSDD has six men; every corpus here together has a few hundred voices, most of them synthetic. Lin et al. 2020
("Training keyword spotters with limited and synthesized speech data") trained this embedding on ~200 M
YouTube clips so that a small head learns new words from few speakers. On our corpora a logistic regression on it
already reads an FSDD speaker it never heard at 96 % (leave-one-speaker-out), against 88 % for our best log-mel
CNN (docs/results.md, "A pretrained speech embedding").

The weights are the ONNX conversion openWakeWord ships (`melspectrogram.onnx`, `embedding_model.onnx`, Apache-2.0,
pip package `openwakeword`, a training dependency). They are rebuilt here as torch modules, so training computes
features on augmented clips in torch and `export` bakes them into `model.onnx`: `predict` needs nothing more.

The clip is the one every front end reads (8 kHz, silence trimmed, centred in 1 s: `LogMelParams.prepare`); it is
resampled to 16 kHz (the rate the model learnt), centred in 1.5 s, scaled to 16-bit sample values, turned into the
model's own log-mel (32 bands, 10 ms hop) and read by the embedding network through 775 ms windows, 80 ms apart.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from digitfusion.errors import DigitfusionError
from digitfusion.features.mel import LogMelParams

FILES = {"mel": "melspectrogram.onnx", "embedding": "embedding_model.onnx"}
# sha256 of the two files of openwakeword 0.4.0: another version's weights would be another front end
SHA256 = {"mel": "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f",
          "embedding": "ba754db3cd768a524c655ea90655ee5e6055a43b8dfd29366a11e93716ae9e51"}


@dataclass(frozen=True)
class SpeechEmbeddingParams:
    """Clips [8000] at 8 kHz -> embeddings [1, windows, 96]."""

    clip: LogMelParams = field(default_factory=LogMelParams)  # how a recording becomes the clip (shared)
    model_rate: int = 16000
    padded_samples: int = 24000  # at model_rate: the clip centred in 1.5 s gives 9 windows
    window: int = 76  # mel frames per embedding (775 ms)
    step: int = 8  # mel frames between embeddings (80 ms)
    weights: str = "openwakeword-0.4.0"

    store_waves = True  # augmentation works on the clips, as for log-mel
    # The blocks an encoder fine-tunes above these features: none, the whole embedding is frozen (the stem's params
    # make it a field; here a class attribute, so the frozen embedding's runs keep their config hash).
    open_blocks = 0

    @property
    def sample_rate(self) -> int:
        return self.clip.sample_rate

    @property
    def clip_samples(self) -> int:
        return self.clip.clip_samples

    @property
    def windows(self) -> int:
        frames = 1 + (self.padded_samples - 512) // 160  # the model's STFT: 512-sample frames, 160 hop, no padding
        return 1 + (frames - self.window) // self.step

    def digest(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def prepare(self, wave: np.ndarray) -> np.ndarray:
        return self.clip.prepare(wave)

    def frontend(self):
        from digitfusion.features.speech_embedding_torch import SpeechEmbedding

        return SpeechEmbedding(self)


@dataclass(frozen=True)
class SpeechEmbeddingStemParams(SpeechEmbeddingParams):
    """The embedding network less its last `open_blocks` blocks (a block: four convolutions, then a max pooling):
    clips [8000] -> the stem's activations [72, 31, 4] (open_blocks=2). The encoder that reads them
    (models/encoders.TunedSpeechEmbeddingHead) holds those blocks, starts from their pretrained weights and trains
    them: a frozen embedding reads a voice unlike all of ours no better than its pretraining lets it."""

    open_blocks: int = 2


def weight_files() -> dict[str, Path]:
    """The two ONNX files inside the installed `openwakeword` package (found without importing it), checked."""
    spec = importlib.util.find_spec("openwakeword")
    if spec is None or not spec.submodule_search_locations:
        raise DigitfusionError("speech-embedding", "needs the openwakeword package: pip install 'digitfusion[train]'")
    folder = Path(list(spec.submodule_search_locations)[0]) / "resources" / "models"
    files = {part: folder / name for part, name in FILES.items()}
    for part, path in files.items():
        if not path.is_file():
            raise DigitfusionError(path, "missing: reinstall openwakeword==0.4.0")
        if hashlib.sha256(path.read_bytes()).hexdigest() != SHA256[part]:
            raise DigitfusionError(path, "is not openwakeword 0.4.0's file (sha256 differs)")
    return files
