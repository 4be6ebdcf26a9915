"""Train (or reuse) every model of one protocol and seed.

A run folder is reused when its config.json is the config asked for and its weights exist, so a
second `make demo` trains nothing; `force` retrains. The folders follow runs.RunLayout; every config comes from
the one recipe (training/recipe.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from digitfusion.data.bundle import Bundle, load_bundle
from digitfusion.data.corpora import list_recordings
from digitfusion.data.pairs import write_manifest
from digitfusion.data.splits import write_split
from digitfusion.errors import DigitfusionError
from digitfusion.features.lab_mel import LabMelParams
from digitfusion.models.registry import fusions
from digitfusion.pipeline.configs import PipelineConfig
from digitfusion.runs import RunLayout
from digitfusion.training.checkpoint import CONFIG, WEIGHTS
from digitfusion.training.config import TrainConfig
from digitfusion.training.fit import fit
from digitfusion.training.recipe import image_split, resolve

log = logging.getLogger("digitfusion")


def protocol_parts(protocol: str) -> tuple[str, str | None]:
    """'official' -> ('official', None); 'speaker:theo' -> ('speaker', 'theo'); 'speaker' -> default speaker."""
    name, _, holdout = protocol.partition(":")
    return name, holdout or None


def expand_protocols(protocols: list[str], root: Path, corpora=("fsdd",)) -> list[str]:
    """'speaker:*' becomes one protocol per speaker (leave-one-speaker-out folds), 'speaker:CORPUS.*' one per
    speaker of that corpus (the others train); speakers are named bare when there is one corpus
    (`speaker:george`), namespaced otherwise (`speaker:fsdd.george`)."""
    out = []
    for protocol in protocols:
        name, _, holdout = protocol.partition(":")
        if name == "speaker" and holdout.endswith("*"):
            corpus = holdout.removesuffix("*").removesuffix(".")
            recordings = [r for r in list_recordings(root, corpora) if not corpus or r.corpus == corpus]
            names = {r.speaker_name if len(corpora) == 1 else r.speaker for r in recordings}
            out += [f"speaker:{s}" for s in sorted(names)]
        else:
            out.append(protocol)
    return out


def pipeline_recipe(config: PipelineConfig, protocol: str, seed: int):
    """resolve() with the pipeline's size, corpora and image sources filled in."""
    name, holdout = protocol_parts(protocol)

    def recipe(model: str, **extra) -> TrainConfig:
        return resolve(model, name, seed, config.training_size, config.corpora, config.images, holdout, **extra)

    return recipe
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
    if summary:  # empty on the other processes of a DDP run
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
    lab_test_audio: torch.Tensor | None  # None when the seed CNN is not trained for this seed


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

    name, holdout = protocol_parts(protocol)
    recipe = pipeline_recipe(config, protocol, seed)
    layout = RunLayout(out)
    bundle = load_bundle(root, name, holdout, seed, corpora=config.corpora, images=config.images)
    split = bundle.split.name
    write_protocol_files(bundle, seed, layout.split_dir(seed, split))
    image_config = recipe("image-cnn")
    runs = {"image-cnn": layout.run_dir("image-cnn", seed, split, "image", image_split(image_config)),
            "audio-cnn": layout.run_dir("audio-cnn", seed, split)}
    run(image_config, runs["image-cnn"], bundle)
    run(recipe("audio-cnn"), runs["audio-cnn"], bundle)
    lab_test_audio = None
    if config.baseline_seeds is None or seed in config.baseline_seeds:
        runs["lab-cnn"] = layout.run_dir("lab-cnn", seed, split)
        lab_bundle = load_bundle(root, name, holdout, seed, params=LabMelParams(), corpora=config.corpora,
                                  images=config.images)
        run(recipe("lab-cnn"), runs["lab-cnn"], lab_bundle)
        lab_test_audio = lab_bundle["test"].audio
    init_dirs = {"image": runs["image-cnn"], "audio": runs["audio-cnn"]}
    for spec in fusions(trained=True):
        runs[spec.name] = layout.run_dir(spec.name, seed, split)
        run(recipe(spec.name, init_dirs=init_dirs), runs[spec.name], bundle)
    return ProtocolRuns(layout.protocol_dir(seed, split), bundle, runs, lab_test_audio)
