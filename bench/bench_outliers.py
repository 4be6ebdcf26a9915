"""Outlier exposure (issue 18), chosen on validation only: one unimodal model per weight, trained with the shipped
recipe (`people` size, official split, every corpus, seed 0), each scored as predict would judge that head alone.

For each model: its validation accuracy (per corpus for audio; per source, and on digits drawn with the installed
fonts for images, the "other hands" check of bench_writing.py); then, on the validation side, the temperature
(least NLL), the energy reject threshold (0.1 % quantile) and the unsure threshold (at most 0.5 % of the right
answers flagged) as `evaluation/abstention.py` chooses them; and with those, the share of the non-digit set's
threshold half that is rejected or unsure (by kind), and the share of the font-drawn digits flagged. The held-out
half is not read. The rule, fixed before any run: the weight that catches the most of the threshold half while
its validation accuracy stays within 0.3 points of no exposure (and, for images, the font-drawn digits' too).

    OMP_NUM_THREADS=1 python bench/bench_outliers.py --modality image --weight 0 --weight 0.5
    python bench/bench_outliers.py --table            # every finished variant
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from bench_writing import font_digits

from digitfusion.atomic import write_text
from digitfusion.data.bundle import load_bundle
from digitfusion.data.mixtures import PEOPLE_CORPORA, PEOPLE_IMAGES
from digitfusion.decision import calibrated, energy
from digitfusion.evaluation.abstention import REJECT_QUANTILE, fit_temperature, non_digit_sets, unsure_threshold
from digitfusion.evaluation.strategies import unimodal_logits
from digitfusion.features.audio import log_mel
from digitfusion.paths import require_data_root
from digitfusion.pipeline.train_all import ensure_run
from digitfusion.training.checkpoint import load_run
from digitfusion.training.recipe import resolve

MODELS = {"image": "image-cnn", "audio": "audio-cnn"}


def folder(modality: str, weight: float, seed: int) -> str:
    return f"{modality}-oe{weight:g}" + (f"-seed{seed}" if seed else "")


def logits_of(run: Path, modality: str, items: torch.Tensor) -> np.ndarray:
    return unimodal_logits(load_run(run)[0], modality, items).numpy()


def judge(val_logits: np.ndarray, val_labels: np.ndarray) -> dict:
    """The head-alone calibration of evaluation/abstention.py: temperature, energy reject, unsure threshold."""
    temperature = fit_temperature(val_logits, val_labels)
    reject = float(np.quantile(energy(val_logits, temperature), REJECT_QUANTILE))
    rejected = energy(val_logits, temperature) < reject
    conf = calibrated(val_logits, temperature).max(axis=1)
    right = val_logits.argmax(1) == val_labels
    unsure = unsure_threshold(conf[~rejected], right[~rejected], int(np.sum(right & rejected)), len(val_labels))
    return {"temperature": temperature, "reject": reject, "unsure": unsure}


def flagged(logits: np.ndarray, cal: dict) -> np.ndarray:
    """[N] True where the head alone would answer rejected or unsure."""
    conf = calibrated(logits, cal["temperature"]).max(axis=1)
    return (energy(logits, cal["temperature"]) < cal["reject"]) | (conf < cal["unsure"])


def run_variant(root: Path, out: Path, modality: str, weight: float, seed: int = 0) -> dict:
    overrides = {"outlier_exposure": weight} if weight else {}
    config = resolve(MODELS[modality], "official", seed, "people", PEOPLE_CORPORA, PEOPLE_IMAGES,
                     overrides=overrides)
    bundle = load_bundle(root, "official", None, seed, corpora=PEOPLE_CORPORA, images=PEOPLE_IMAGES)
    run = out / folder(modality, weight, seed)
    summary = ensure_run(config, root, run, bundle, False, False)
    val = bundle["val"]
    items, labels = (val.images, val.image_labels) if modality == "image" else (val.audio, val.audio_labels)
    groups = val.image_source if modality == "image" else val.audio_corpus
    val_logits, val_labels = logits_of(run, modality, items), labels.numpy()
    right = val_logits.argmax(1) == val_labels
    by = defaultdict(list)
    for group, ok in zip(groups, right, strict=True):
        by[group].append(bool(ok))
    cal = judge(val_logits, val_labels)
    with tempfile.TemporaryDirectory() as tmp:
        odd = non_digit_sets(Path(tmp), "threshold", bundle.params)[f"{modality} only"]
    odd_items = (torch.from_numpy(odd.images) if modality == "image"
                 else log_mel(torch.from_numpy(odd.clips), bundle.params))
    caught = flagged(logits_of(run, modality, odd_items), cal) | odd.refused
    kinds = odd.kinds if odd.kinds is not None else np.array(["image"] * len(caught))
    result = {"weight": weight, "seed": seed, "val_acc": float(right.mean()), "train_seconds": summary["train_seconds"],
              "by_group": {g: float(np.mean(v)) for g, v in sorted(by.items())}, "calibration": cal,
              "threshold half caught": float(caught.mean()),
              "caught by kind": {k: float(caught[kinds == k].mean()) for k in sorted(set(kinds))}}
    if modality == "image":
        fonts, font_labels = font_digits(30, 1000)
        font_logits = logits_of(run, modality, fonts)
        result["font-drawn acc"] = float((font_logits.argmax(1) == font_labels.numpy()).mean())
        result["font-drawn flagged"] = float(flagged(font_logits, cal).mean())
    write_text(run / "outliers.json", json.dumps(result, indent=1) + "\n")
    return result


def table(out: Path) -> str:
    rows = [json.loads(p.read_text()) | {"modality": p.parent.name.split("-")[0]}
            for p in sorted(out.glob("*/outliers.json"))]
    lines = ["| model | exposure weight | seed | val acc % | by corpus / source % | font-drawn acc % (flagged %) | "
             "threshold half caught % | caught by kind % | train s |", "|---" * 9 + "|"]
    for r in rows:
        fonts = (f"{100 * r['font-drawn acc']:.2f} ({100 * r['font-drawn flagged']:.1f})"
                 if "font-drawn acc" in r else "")
        lines.append(f"| {MODELS[r['modality']]} | {r['weight']:g} | {r.get('seed', 0)} | {100 * r['val_acc']:.2f} | "
                     + ", ".join(f"{g} {100 * a:.2f}" for g, a in r["by_group"].items()) + f" | {fonts} | "
                     f"{100 * r['threshold half caught']:.1f} | "
                     + ", ".join(f"{k} {100 * a:.0f}" for k, a in r["caught by kind"].items())
                     + f" | {r['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modality", choices=list(MODELS), default="image")
    parser.add_argument("--weight", type=float, action="append", default=[])
    parser.add_argument("--seed", type=int, default=0, help="training seed (the font-drawn digits stay the same)")
    parser.add_argument("--out", type=Path, default=Path("runs/outliers"))
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(message)s", datefmt="%H:%M:%S")
    root = require_data_root(None)
    for weight in args.weight:
        print(json.dumps(run_variant(root, args.out, args.modality, weight, args.seed)), flush=True)
    if args.table:
        print(table(args.out))


if __name__ == "__main__":
    main()
