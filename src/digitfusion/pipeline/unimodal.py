"""The unimodal results table (image CNN, audio CNN, the seed lab's CNN) over seeds and splits, plus
an augmentation ablation scored on VALIDATION. Test sides are read once each, after training.

`digitfusion unimodal --config full` writes `results.md` with the command, date and machine.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import torch

from digitfusion.atomic import write_text
from digitfusion.data.bundle import load_bundle
from digitfusion.errors import DigitfusionError
from digitfusion.evaluation.metrics import format_mean_std, scores
from digitfusion.evaluation.strategies import unimodal_logits
from digitfusion.features.lab_mel import LabMelParams
from digitfusion.models import modality_of
from digitfusion.pipeline.run import setup_logging, versions
from digitfusion.pipeline.train_all import ensure_run, expand_protocols, is_current, protocol_parts
from digitfusion.runs import RunLayout
from digitfusion.training.checkpoint import load_run
from digitfusion.training.fit import quiet_lightning
from digitfusion.training.recipe import resolve

log = logging.getLogger("digitfusion")
AUDIO_OPS = ["shift", "gain", "noise", "speed", "specaugment", "vtlp"]


@dataclass
class UnimodalConfig:
    name: str
    seeds: list[int]
    protocols: list[str]  # audio protocols; the image model has one protocol (MNIST train/test)
    size: str  # the training size of training/recipe.py (the same as the pipeline's of that name)
    ablation_protocol: str | None = "speaker:theo"
    ablation_seed: int = 0
    ablation_epochs: int | None = None  # shorter runs for the ablation (it compares variants, on validation)
    baseline_seeds: list[int] | None = None  # seeds the seed lab's CNN is trained for (None: all)
    first_seed_only: list[str] = field(default_factory=list)  # protocols run for the first seed only


UNIMODAL_CONFIGS = {
    "tiny": UnimodalConfig("tiny", [0], ["official", "speaker:theo"], "tiny"),
    # The headline rows (image, audio official, audio leave-one-speaker-out) over 3 seeds; the random split
    # (there to show its optimism) and the seed lab's CNN (the baseline row) for seed 0 only, to fit in ~1 h.
    "full": UnimodalConfig("full", [0, 1, 2], ["official", "random", "speaker:*"], "full",
                           baseline_seeds=[0], first_seed_only=["random"], ablation_epochs=10),
}


def test_accuracy(run_dir: Path, items: torch.Tensor, labels: torch.Tensor, modality: str) -> dict:
    model, _ = load_run(run_dir)
    return scores(unimodal_logits(model, modality, items).softmax(1), labels)


def run_unimodal(config_name: str, root: Path, out: Path, command: str = "", available_only: bool = False,
                 hardware: dict | None = None) -> str:
    """Train (or reuse) every run of the config and score each on its test side once. With
    `available_only`, nothing is trained: the table covers the runs already there, and says so."""
    setup_logging()
    quiet_lightning()
    if config_name not in UNIMODAL_CONFIGS:
        raise DigitfusionError(config_name, f"unknown unimodal config (choose from {', '.join(UNIMODAL_CONFIGS)})")
    config = UNIMODAL_CONFIGS[config_name]
    start = time.perf_counter()
    rows: dict[tuple[str, str], list[dict]] = {}

    def scored(model: str, protocol: str, seed: int, run: Path, bundle, row: str, split: str, fold) -> None:
        name, holdout = protocol_parts(protocol)
        train_config = resolve(model, name, seed, config.size, holdout=holdout)
        if available_only and not is_current(run, train_config):
            return
        ensure_run(train_config, root, run, bundle, False, False, hardware=hardware)
        side, modality = bundle["test"], modality_of(model)
        items, labels = (side.images, side.image_labels) if modality == "image" else (side.audio, side.audio_labels)
        rows.setdefault((row, split), []).append({"seed": seed, "fold": fold,
                                                  **test_accuracy(run, items, labels, modality)})

    layout = RunLayout(out)
    for seed in config.seeds:
        for protocol in expand_protocols(config.protocols, root):
            if protocol in config.first_seed_only and seed != config.seeds[0]:
                continue
            name, holdout = protocol_parts(protocol)
            bundle = load_bundle(root, name, holdout, seed)
            split = bundle.split.name
            if protocol == config.protocols[0]:
                scored("image-cnn", "official", seed, layout.run_dir("image-cnn", seed, split, "image"), bundle,
                       "image-cnn", "MNIST test", None)
            scored("audio-cnn", protocol, seed, layout.run_dir("audio-cnn", seed, split), bundle, "audio-cnn", name,
                   holdout)
            if config.baseline_seeds is None or seed in config.baseline_seeds:
                lab_bundle = load_bundle(root, name, holdout, seed, params=LabMelParams())
                scored("lab-cnn", protocol, seed, layout.run_dir("lab-cnn", seed, split), lab_bundle,
                       "lab-cnn (lab baseline)", name, holdout)
    ablation = run_ablation(config, root, out, available_only, hardware) if config.ablation_protocol else {}
    text = render(config, rows, ablation, command, time.perf_counter() - start)
    write_text(out / "results.md", text)
    write_text(out / "results.json", json.dumps({"rows": {f"{k[0]}|{k[1]}": v for k, v in rows.items()},
                                                 "ablation": ablation}, indent=1) + "\n")
    return text


def ablation_variants() -> dict[str, dict]:
    """Audio: none, all, all minus each op. Image: none, affine, affine+elastic, affine+erasing."""
    variants = {"audio: none": {"augment_audio": []}, "audio: all": {"augment_audio": AUDIO_OPS}}
    variants.update({f"audio: all - {op}": {"augment_audio": [o for o in AUDIO_OPS if o != op]} for op in AUDIO_OPS})
    for ops in ([], ["affine"], ["affine", "elastic"], ["affine", "erasing"]):
        variants[f"image: {'+'.join(ops) or 'none'}"] = {"augment_image": ops}
    return variants


def run_ablation(config: UnimodalConfig, root: Path, out: Path, available_only: bool = False,
                 hardware: dict | None = None) -> dict[str, dict]:
    """Which augmentations help, measured on the validation side only."""
    seed = config.ablation_seed
    bundle = load_bundle(root, *protocol_parts(config.ablation_protocol), seed)
    results = {}
    for label, change in ablation_variants().items():
        model = "audio-cnn" if label.startswith("audio") else "image-cnn"
        protocol = config.ablation_protocol if model == "audio-cnn" else "official"
        overrides = {**change, **({"epochs": config.ablation_epochs} if config.ablation_epochs else {})}
        run = out / "ablation" / label.replace(": ", "-").replace(" ", "").replace("+", "_")
        name, holdout = protocol_parts(protocol)
        train_config = resolve(model, name, seed, config.size, holdout=holdout, overrides=overrides)
        if available_only and not is_current(run, train_config):
            continue
        summary = ensure_run(train_config, root, run, bundle, False, False, hardware=hardware)
        results[label] = {"val_acc": summary["val_acc"], "val_loss": summary["val_loss"]}
    return results


def render(config: UnimodalConfig, rows: dict, ablation: dict, command: str, seconds: float) -> str:
    info = versions()
    lines = ["# Unimodal results", "", f"Command: `{command}`  ", f"Date: {date.today().isoformat()}, machine: "
             f"{info['system']} ({torch.get_num_threads()} threads), torch {info['torch']}, "
             f"wall time {seconds / 60:.1f} min.", "",
             "Test accuracy, each test side read once after training (best epoch chosen on validation). "
             "Mean ± std over seeds; for `speaker` each seed's value is the mean of the leave-one-speaker-out folds.",
             "", "| model | split | test accuracy % | seeds | per fold (seed 0) |", "|---|---|---|---|---|"]
    for (model, split), entries in rows.items():
        per_seed: dict[int, list[float]] = {}
        for entry in entries:
            per_seed.setdefault(entry["seed"], []).append(entry["acc"])
        values = [sum(v) / len(v) for _, v in sorted(per_seed.items())]
        folds = ", ".join(f"{e['fold']} {100 * e['acc']:.1f}" for e in entries if e["seed"] == config.seeds[0]
                          and e.get("fold"))
        folds_per_seed = len(entries) // max(1, len(values))
        count = f"{len(values)}" + (f" x {folds_per_seed} folds" if split == "speaker" else "")
        lines.append(f"| {model} | {split} | {format_mean_std(values)} | {count} | {folds or '—'} |")
    if ablation:
        epochs = f", {config.ablation_epochs} epochs each" if config.ablation_epochs else ""
        lines += ["", f"## Augmentation ablation (validation, protocol `{config.ablation_protocol}`, "
                      f"seed {config.ablation_seed}{epochs})", "",
                  "| variant | val accuracy % | val loss |", "|---|---|---|"]
        lines += [f"| {k} | {100 * v['val_acc']:.2f} | {v['val_loss']:.4f} |" for k, v in ablation.items()]
    return "\n".join(lines) + "\n"

