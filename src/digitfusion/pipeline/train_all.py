"""Train (or reuse) every model of one protocol and seed.

A run folder is reused when its config.json is the config asked for and its weights exist, so a
second `make demo` trains nothing; `force` retrains. Layout under the pipeline folder:
  seed{S}/image-cnn/                      the image model (the image split does not depend on the audio protocol)
  seed{S}/{protocol}/split/               train/val/test CSVs, speakers, val/test pair manifests
  seed{S}/{protocol}/{audio-cnn, seed-cnn, early, concat, attention, gated}/
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from digitfusion.data.bundle import Bundle, load_bundle
from digitfusion.data.fsdd import list_recordings
from digitfusion.data.pairs import write_manifest
from digitfusion.data.splits import write_split
from digitfusion.errors import DigitfusionError
from digitfusion.features.seed import SeedMelParams
from digitfusion.models import MODELS, TRAINED_FUSIONS
from digitfusion.pipeline.configs import STRATEGY_SETTINGS, PipelineConfig
from digitfusion.training.checkpoint import CONFIG, WEIGHTS
from digitfusion.training.config import TrainConfig
from digitfusion.training.fit import fit
from digitfusion.training.presets import preset

log = logging.getLogger("digitfusion")


def protocol_parts(protocol: str) -> tuple[str, str | None]:
    """'official' -> ('official', None); 'speaker:theo' -> ('speaker', 'theo'); 'speaker' -> default speaker."""
    strategy, _, holdout = protocol.partition(":")
    return strategy, holdout or None


def expand_protocols(protocols: list[str], root: Path) -> list[str]:
    """'speaker:*' becomes one protocol per speaker (leave-one-speaker-out folds)."""
    out = []
    for protocol in protocols:
        if protocol == "speaker:*":
            out += [f"speaker:{s}" for s in sorted({r.speaker for r in list_recordings(root)})]
        else:
            out.append(protocol)
    return out


def make_config(model: str, protocol: str, seed: int, overrides: dict, **extra) -> TrainConfig:
    strategy, holdout = protocol_parts(protocol)
    config = preset(model)
    modality, features, _ = MODELS[model]
    values = {"model": model, "modality": modality, "features": features, "strategy": strategy,
              "holdout": holdout, "seed": seed, **overrides, **extra}
    return dataclasses.replace(config, **values)


def unimodal_configs(config: PipelineConfig, protocol: str, seed: int) -> tuple[TrainConfig, TrainConfig]:
    """The image and audio models' configs of one protocol and seed (the image split is always MNIST's)."""
    return (make_config("image-cnn", "official", seed, config.image),
            make_config("audio-cnn", protocol, seed, config.audio))


def fusion_config(config: PipelineConfig, name: str, protocol: str, seed: int, init: dict) -> TrainConfig:
    """A fused model's config; `init` names its unimodal runs and their config hashes (not read by early)."""
    settings = {**config.fusion, **STRATEGY_SETTINGS.get(name, {}), **(config.early if name == "early" else {})}
    extra = {} if name == "early" else {"init_from": init}
    return make_config(name, protocol, seed, settings, **extra)


def is_current(run_dir: Path, config: TrainConfig) -> bool:
    if not (run_dir / WEIGHTS).is_file() or not (run_dir / CONFIG).is_file():
        return False
    try:
        return TrainConfig.load(run_dir / CONFIG).digest() == config.digest()
    except DigitfusionError:
        return False


def ensure_run(config: TrainConfig, root: Path, run_dir: Path, bundle: Bundle, force: bool, progress: bool,
               train: bool = True, hardware: dict | None = None) -> dict:
    """Train unless a current run is already there (or, with train=False, refuse); returns its summary.
    `hardware` (accelerator, devices, precision, logger: TrainConfig fields outside its hash) says where to train."""
    if not force and is_current(run_dir, config):
        log.info("  %-10s reused (%s)", config.model, run_dir)
        return json.loads((run_dir / "summary.json").read_text())
    if not train:
        raise DigitfusionError(run_dir, "no trained model with this config here: run `digitfusion demo` first")
    log.info("  %-10s training (%d epochs, config %s) -> %s", config.model, config.epochs, config.digest(), run_dir)
    summary = fit(dataclasses.replace(config, **(hardware or {})), root, run_dir, bundle=bundle, progress=progress)
    log.info("  %-10s val acc %.4f after %.0f s", config.model, summary["val_acc"], summary["train_seconds"])
    return summary


def write_protocol_files(bundle: Bundle, seed: int, folder: Path) -> None:
    """The split CSVs and the fixed validation/test pair manifests every model is scored on."""
    write_split(bundle.split, folder)
    for side in ("val", "test"):
        pairs = bundle[side].pairs(seed)
        data = bundle[side]
        write_manifest(folder / f"{side}_pairs.csv", data.image_index[pairs[:, 0]],
                       [data.audio_paths[i] for i in pairs[:, 1]], data.image_labels[pairs[:, 0]].numpy())


@dataclass
class ProtocolRuns:
    """What one protocol and seed produced: its folder, data bundle, run folders and the seed CNN's test input."""

    folder: Path
    bundle: Bundle
    runs: dict[str, Path]
    seed_test_audio: torch.Tensor | None  # None when the seed CNN is not trained for this seed


def train_protocol(config: PipelineConfig, root: Path, out: Path, protocol: str, seed: int,
                   force: bool = False, progress: bool = False, train: bool = True,
                   retrained: set[Path] | None = None, hardware: dict | None = None) -> ProtocolRuns:
    """Every model of one protocol and seed. `retrained` collects the run folders trained by this invocation,
    so `force` retrains a model that several protocols share only once."""
    retrained = set() if retrained is None else retrained

    def run(model_config: TrainConfig, run_dir: Path, data: Bundle) -> dict:
        summary = ensure_run(model_config, root, run_dir, data, force and run_dir not in retrained, progress, train,
                             hardware)
        retrained.add(run_dir)
        return summary

    strategy, holdout = protocol_parts(protocol)
    bundle = load_bundle(root, strategy, holdout, seed)
    folder = out / f"seed{seed}" / bundle.split.name
    write_protocol_files(bundle, seed, folder / "split")
    runs = {"image-cnn": out / f"seed{seed}" / "image-cnn", "audio-cnn": folder / "audio-cnn"}
    image_config, audio_config = unimodal_configs(config, protocol, seed)
    image_summary = run(image_config, runs["image-cnn"], bundle)
    audio_summary = run(audio_config, runs["audio-cnn"], bundle)
    seed_test_audio = None
    if config.baseline_seeds is None or seed in config.baseline_seeds:
        runs["seed-cnn"] = folder / "seed-cnn"
        seed_bundle = load_bundle(root, strategy, holdout, seed, params=SeedMelParams())
        run(make_config("seed-cnn", protocol, seed, config.seed_cnn), runs["seed-cnn"], seed_bundle)
        seed_test_audio = seed_bundle["test"].audio
    # The unimodal configs' hashes are part of a fused config: retraining an encoder retrains the fusions.
    init = {"image": str(runs["image-cnn"]), "audio": str(runs["audio-cnn"]),
            "image_config": image_summary["config_hash"], "audio_config": audio_summary["config_hash"]}
    for name in TRAINED_FUSIONS:
        runs[name] = folder / name
        run(fusion_config(config, name, protocol, seed, init), runs[name], bundle)
    return ProtocolRuns(folder, bundle, runs, seed_test_audio)
