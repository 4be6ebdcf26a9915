"""Outlier exposure of the head over the speech embedding (issue 18), chosen on VALIDATION and the non-digit set's
threshold half only.

The head learns its digits from 4 augmented copies of every clip (training/feature_copies.py) but its non-digits
from the clean recordings alone. Since it did, the lone recordings' threshold half is caught less (stop 29): a
spoken word too confident for the unsure threshold. `outlier_copies` gives the non-digits the same augmented copies
(training/outliers.py). One audio-embed head per variant, the shipped recipe (`people` size, every corpus, official
split, seed 0), scored as bench_feature_copies.py scores it (clean per corpus; every validation clip under white
noise at 20, 10, 5 and 0 dB) and, as bench_outliers.py judges a head alone (temperature, energy reject, unsure
threshold chosen on the validation side), by the share of the threshold half it flags. The held-out half is not
read.

The rule, fixed before any run: the variant that flags the most of the threshold half among those whose clean mean
of the real corpora and noisy mean both stay within 0.3 points of the shipped head's; a tie keeps the shipped head.

    OMP_NUM_THREADS=2 python bench/bench_audio_outliers.py --variant "exposure 1, 4 copies" --out runs/audio-oe --table
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from bench_feature_copies import embedding_bundle, noisy_accuracy
from bench_outliers import flagged, judge
from common import mean_of_corpora, read_choices, save_choice, variant_main

from digitfusion.data.mixtures import PEOPLE_CORPORA, PEOPLE_IMAGES
from digitfusion.decision import calibrated
from digitfusion.evaluation.abstention import non_digit_sets
from digitfusion.evaluation.items import accuracy_by
from digitfusion.evaluation.strategies import unimodal_logits
from digitfusion.features.audio import clip_features
from digitfusion.pipeline.train_all import ensure_run
from digitfusion.training.checkpoint import load_run
from digitfusion.training.config import front_end_params
from digitfusion.training.recipe import resolve

SHIPPED = "exposure 1 (the shipped head)"
VARIANTS = {  # label -> TrainConfig overrides of the people size's audio-embed
    "exposure 0": {"outlier_exposure": 0.0},
    SHIPPED: {},
    "exposure 1, 4 copies": {"outlier_copies": 4},
    "exposure 2": {"outlier_exposure": 2.0},
    "exposure 2, 4 copies": {"outlier_exposure": 2.0, "outlier_copies": 4},
}
MARGIN = 0.003  # how far below the shipped head a variant's clean and noisy means may fall


def folder_name(label: str) -> str:
    return label.split(" (")[0].replace(", ", "-").replace(" ", "-")


def run_variant(root: Path, out: Path, label: str, bundle) -> dict:
    config = resolve("audio-embed", "official", 0, "people", PEOPLE_CORPORA, PEOPLE_IMAGES,
                     overrides=VARIANTS[label])
    run = out / folder_name(label)
    summary = ensure_run(config, root, run, bundle, False, False)
    model, params, val = load_run(run)[0], front_end_params(config.features), bundle["val"]
    logits = unimodal_logits(model, "audio", val.audio).numpy()
    labels = val.audio_labels.numpy()
    by_corpus = accuracy_by(val.audio_corpus, torch.from_numpy(logits.argmax(1) == labels), val.speakers)
    noisy = noisy_accuracy(model, params, val)
    calibration = judge(logits, labels)
    with tempfile.TemporaryDirectory() as tmp:
        odd = non_digit_sets(Path(tmp), "threshold", params.clip)["audio only"]
    odd_logits = unimodal_logits(model, "audio", clip_features(torch.from_numpy(odd.clips), params)).numpy()
    caught = flagged(odd_logits, calibration) | odd.refused
    result = {"overrides": VARIANTS[label], "by_corpus": by_corpus, "val_acc": summary["val_acc"], "noisy": noisy,
              "mean_noisy": sum(noisy.values()) / len(noisy), "mean_real": mean_of_corpora(by_corpus),
              "calibration": calibration, "caught": float(caught.mean()),
              "caught by kind": {k: float(caught[odd.kinds == k].mean()) for k in sorted(set(odd.kinds))},
              "missed": [f"{k} (conf {c:.2f})" for k, c, hit in
                         zip(odd.kinds, calibrated(odd_logits, calibration["temperature"]).max(axis=1), caught,
                             strict=True) if not hit],
              "train_seconds": summary["train_seconds"]}
    save_choice(run, result)
    return result


def chosen(rows: dict[str, dict]) -> str | None:
    """The rule of the docstring, over the finished variants (None until the shipped head is among them)."""
    if SHIPPED not in rows:
        return None
    base = rows[SHIPPED]
    fair = [label for label, r in rows.items()
            if r["mean_real"] >= base["mean_real"] - MARGIN and r["mean_noisy"] >= base["mean_noisy"] - MARGIN]
    best = max(rows[label]["caught"] for label in fair)
    return SHIPPED if base["caught"] == best else next(label for label in fair if rows[label]["caught"] == best)


def table(out: Path) -> str:
    rows = read_choices(out, VARIANTS, folder_name)
    best = chosen(rows)
    lines = ["| variant | clean mean of corpora | noisy mean | threshold half caught (head alone) % | "
             "caught by kind % | unsure threshold | train s |", "|---" * 7 + "|"]
    for label, r in rows.items():
        name = f"**{label}**" if label == best else label
        kinds = ", ".join(f"{k} {100 * v:.0f}" for k, v in r["caught by kind"].items())
        lines.append(f"| {name} | {100 * r['mean_real']:.2f} | {100 * r['mean_noisy']:.2f} | "
                     f"{100 * r['caught']:.1f} | {kinds} | {r['calibration']['unsure']:.3f} | "
                     f"{r['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    variant_main(__doc__, VARIANTS, "runs/audio-oe", run_variant, table, embedding_bundle)


if __name__ == "__main__":
    main()
