"""Training configuration: one dataclass, saved as JSON beside every checkpoint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from digitfusion.errors import DigitfusionError

# Where and how a run is computed, not what it computes: left out of the config hash (a run stays current).
HARDWARE_FIELDS = ("devices", "num_nodes", "lightning_strategy", "accelerator", "precision", "logger")
# Fields added after runs were made: left out of the config hash at their default (off, empty, zero, None).
ADDED_LATER = ("corpus_weights", "outlier_exposure", "feature_copies", "outlier_copies", "outlier_augment",
               "outlier_mirrors", "outlier_mix", "split_seed", "outlier_glyphs")


def front_end_params(features: str):
    """The audio front end's parameters of a config: LogMelParams, the lab's LabMelParams, or the pretrained
    speech embedding's SpeechEmbeddingParams (or its stem's, SpeechEmbeddingStemParams, for an encoder that tunes
    the embedding's last blocks)."""
    if features == "speech-embedding":
        from digitfusion.features.speech_embedding import SpeechEmbeddingParams

        return SpeechEmbeddingParams()
    if features == "speech-embedding-stem":
        from digitfusion.features.speech_embedding import SpeechEmbeddingStemParams

        return SpeechEmbeddingStemParams()
    if features == "lab":
        from digitfusion.features.lab_mel import LabMelParams

        return LabMelParams()
    from digitfusion.features.mel import LogMelParams

    return LogMelParams()


@dataclass
class TrainConfig:
    model: str = "image-cnn"  # a name of models.registry.model_names()
    modality: str = "image"  # image | audio | pair
    features: str = "logmel"  # logmel | lab (the seed lab's torchaudio-default front end) | speech-embedding[-stem]
    corpus: list[str] = field(default_factory=lambda: ["fsdd"])  # speech corpora (data/corpora), mixed
    images: list[str] = field(default_factory=lambda: ["mnist"])  # image sources, mixed
    protocol: str = "official"  # split protocol (data/splits.py)
    holdout: str | None = None
    seed: int = 0
    split_seed: int | None = None  # the split's seed when not `seed` (a run at another seed on a recipe's split)
    epochs: int = 20
    batch_size: int = 128
    optimizer: str = "adamw"  # adamw | sgd
    lr: float = 3e-3
    weight_decay: float = 1e-4
    momentum: float = 0.9
    scheduler: str = "onecycle"  # onecycle | cosine | none
    label_smoothing: float = 0.05
    patience: int = 0  # early stopping on validation loss; 0 = train every epoch, keep the best
    augment_image: list[str] = field(default_factory=lambda: ["affine"])
    augment_audio: list[str] = field(default_factory=lambda: ["shift", "gain", "noise", "speed", "specaugment",
                                                              "vtlp"])
    noise_snr_db: list[float] = field(default_factory=lambda: [5.0, 40.0])  # range of the "noise" augmentation
    augment_p: float = 0.8  # probability that each augmentation is applied to a given sample
    corpus_weights: dict = field(default_factory=dict)  # {speech corpus: share of its clips per epoch} (sampling.py)
    modality_dropout: float = 0.0  # fused models: probability that a training pair loses one modality
    modality_loss_weight: float = 0.0  # intermediate fusions: weight of their per-modality heads' loss
    outlier_exposure: float = 0.0  # unimodal models: weight of the loss that spreads non-digits' answers (outliers.py)
    feature_copies: int = 0  # audio heads over a frozen front end: augmented copies of each clip (feature_copies.py)
    outlier_copies: int = 0  # outlier exposure of audio: augmented copies of each non-digit recording (outliers.py)
    outlier_augment: bool = False  # outlier exposure of images: the non-digits get the digits' image ops (outliers.py)
    outlier_mirrors: int = 0  # outlier exposure of images: this many mirrored training digits as non-digits too
    outlier_mix: str = ""  # outlier exposure: also digits mixed with non-digits, "mixup" or "cutmix" (outliers.py)
    outlier_glyphs: str = ""  # outlier exposure of images: more letters drawn as non-digits (nondigit.py)
    model_kwargs: dict = field(default_factory=dict)
    encoders: dict = field(default_factory=dict)  # fused models: {"image": name, "audio": name} over the defaults
    init_from: dict = field(default_factory=dict)  # fused models: {"image": run_dir, "audio": run_dir}
    limit_train_batches: float | int = 1.0  # tiny configs for tests
    limit_val_batches: float | int = 1.0
    devices: int = 1
    lightning_strategy: str = "auto"  # Lightning's distributed strategy: auto | ddp (gloo on CPU)
    num_nodes: int = 1  # machines of a multi-machine DDP run
    accelerator: str = "auto"  # auto | cpu | gpu (auto: the GPU when torch sees one)
    precision: str = "32-true"  # 32-true | 16-mixed | bf16-mixed
    logger: str = "csv"  # csv | tensorboard (CSV curves are always written: the summary reads them)

    @property
    def data_seed(self) -> int:
        """The seed of the split (and so of which items are validation): `split_seed`, else `seed`."""
        return self.seed if self.split_seed is None else self.split_seed

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    def digest(self) -> str:
        """Hash of everything that changes the result (not the device layout), the front end's parameters too."""
        data = asdict(self)
        for key in HARDWARE_FIELDS:
            data.pop(key)
        data["front_end"] = asdict(front_end_params(self.features))
        # What a model does not read does not change it: an image model is the same whatever the speech corpora,
        # an audio model whatever the image sources (so adding a corpus does not retrain the image CNN).
        data.pop({"image": "corpus", "audio": "images"}.get(self.modality, ""), None)
        if self.modality == "image":
            data.pop("corpus_weights")
        defaults = TrainConfig()
        for key in ADDED_LATER:  # at their default, configs written before them keep their hash
            if data.get(key) == getattr(defaults, key):
                data.pop(key, None)
        # A unimodal run named with its config hash is known by that hash, not by where its folder is: a
        # pipeline folder that is moved or copied keeps its fused models current.
        data["init_from"] = {k: v for k, v in self.init_from.items() if f"{k}_config" not in self.init_from}
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DigitfusionError("config", f"unknown keys {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError, TypeError) as err:
            raise DigitfusionError(path, f"not a readable training config ({err})") from None
