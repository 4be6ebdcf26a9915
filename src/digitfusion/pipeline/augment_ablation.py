"""The augmentation ablation for issue 14: train one model per augmentation set on one protocol and score each
on its VALIDATION side only (test sides stay unread: these runs choose the augmentation).

Audio variants start from the augmentation the audio model uses today (`BASELINE_AUDIO`) and add one new op at
a time, then the groups (voices, rooms and channels) and everything; image variants do the same from `affine`.
`bench/bench_augment.py` runs it (`--size tiny` to check it works, `--size small` for first numbers).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from digitfusion.atomic import write_text
from digitfusion.data.bundle import load_bundle
from digitfusion.pipeline.train_all import ensure_run, protocol_parts
from digitfusion.training.augment import known_ops
from digitfusion.training.recipe import resolve

log = logging.getLogger("digitfusion")

BASELINE_AUDIO = ["shift", "gain", "noise", "speed", "specaugment", "vtlp"]  # the audio preset's ops
VOICE_OPS = ["pitch", "formant"]  # toward women's and children's voices
CHANNEL_OPS = ["reverb", "laptop", "phone", "level", "codec"]  # rooms, microphones, phone lines
BASELINE_IMAGE = ["affine"]
WRITING_OPS = ["stroke", "slant", "broken", "lowres", "binarise"]  # pens, writers, scanners


def audio_variants() -> dict[str, list[str]]:
    """Label -> audio ops: none, the baseline, baseline + each new op, + each group, everything."""
    new = [op for op in known_ops("audio") if op not in BASELINE_AUDIO]
    variants = {"none": [], "baseline": list(BASELINE_AUDIO)}
    variants.update({f"baseline + {op}": BASELINE_AUDIO + [op] for op in new})
    variants["baseline + voices"] = BASELINE_AUDIO + VOICE_OPS
    variants["baseline + channels"] = BASELINE_AUDIO + CHANNEL_OPS
    variants["all"] = list(known_ops("audio"))
    return variants


def image_variants() -> dict[str, list[str]]:
    """Label -> image ops: none, affine, affine + each new op, + the writing group, + the user path, all but
    lowrank (the fused models' degradation op)."""
    new = [op for op in known_ops("image") if op not in BASELINE_IMAGE + ["lowrank"]]
    variants = {"none": [], "affine": list(BASELINE_IMAGE)}
    variants.update({f"affine + {op}": BASELINE_IMAGE + [op] for op in new})
    variants["affine + writing"] = BASELINE_IMAGE + WRITING_OPS
    variants["affine + writing + user-path"] = BASELINE_IMAGE + WRITING_OPS + ["user-path"]
    return variants


def run_augment_ablation(root: Path, out: Path, modality: str = "audio", protocol: str = "speaker:theo",
                         seed: int = 0, variants: dict[str, list[str]] | None = None,
                         overrides: dict | None = None, corpora: tuple[str, ...] = ("fsdd",),
                         size: str = "demo") -> dict[str, dict]:
    """Train (or reuse) `audio-cnn` / `image-cnn` once per variant on `protocol` (the image model always on MNIST's
    own split) with the speech `corpora` (add `synthetic` for the espeak-ng speakers: training side only);
    returns label -> {ops, val_acc, val_loss, best_epoch, train_seconds} and writes ablation.json."""
    model = "audio-cnn" if modality == "audio" else "image-cnn"
    protocol = protocol if modality == "audio" else "official"
    variants = variants if variants is not None else (audio_variants() if modality == "audio" else image_variants())
    name, holdout = protocol_parts(protocol)
    bundle = load_bundle(root, name, holdout, seed, corpora=corpora)
    folder = out / modality / "+".join(corpora)
    results: dict[str, dict] = {}
    for label, ops in variants.items():
        change = {f"augment_{modality}": ops, **(overrides or {})}
        config = resolve(model, name, seed, size, corpora, holdout=holdout, overrides=change)
        run = folder / label.replace(" + ", "+").replace(" ", "-")
        start = time.perf_counter()
        summary = ensure_run(config, root, run, bundle, False, False)
        results[label] = {"ops": ops, "val_acc": summary["val_acc"], "val_loss": summary["val_loss"],
                          "best_epoch": summary["best_epoch"], "train_seconds": summary["train_seconds"]}
        log.info("%-32s val acc %.4f (%.0f s)", label, summary["val_acc"], time.perf_counter() - start)
    write_text(folder / "ablation.json", json.dumps(results, indent=1) + "\n")
    return results


def render_ablation(results: dict[str, dict], title: str) -> str:
    """A markdown table: variant, ops, validation accuracy and loss, and the difference to the baseline row."""
    reference = results.get("baseline", results.get("affine", {})).get("val_acc")
    lines = [f"### {title}", "", "| variant | ops | val accuracy % | vs baseline | val loss | best epoch |",
             "|---|---|---|---|---|---|"]
    for label, row in results.items():
        delta = "" if reference is None else f"{100 * (row['val_acc'] - reference):+.2f}"
        lines.append(f"| {label} | {', '.join(row['ops']) or '—'} | {100 * row['val_acc']:.2f} | {delta} | "
                     f"{row['val_loss']:.4f} | {row['best_epoch']} |")
    return "\n".join(lines) + "\n"
