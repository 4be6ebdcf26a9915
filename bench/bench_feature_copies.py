"""How many augmented copies of each clip the head over the speech embedding learns from, chosen on VALIDATION.

The head over the frozen speech embedding learnt from clean clips only (wave augmentation per batch would rerun
the embedding every batch) and read white noise worse than the log-mel CNN. `feature_copies` augments each training
clip K times once, with the audio CNN's wave ops (training/feature_copies.py). One audio-embed head per variant,
the shipped recipe (`people` size, every corpus, official split, seed 0), scored on the validation side only:
clean per corpus, and every validation clip under white noise at 20, 10, 5 and 0 dB SNR (the degraded protocol's
noise, seeded).

The rule, fixed before any run: the best mean of two numbers, the clean mean of the real corpora (each corpus
counts once, as bench_corpus_weights.py) and the mean accuracy over the four noise levels.

    OMP_NUM_THREADS=2 python bench/bench_feature_copies.py --variant "copies 0" --variant "copies 2" --out runs/copies
"""

from __future__ import annotations

from pathlib import Path

import torch
from common import mean_of_corpora, read_choices, save_choice, variant_main

from digitfusion.data.bundle import load_bundle
from digitfusion.data.mixtures import PEOPLE_CORPORA, PEOPLE_IMAGES
from digitfusion.evaluation.conditions import noisy_waves
from digitfusion.evaluation.items import accuracy_by
from digitfusion.evaluation.strategies import unimodal_logits
from digitfusion.features.audio import clip_features
from digitfusion.pipeline.train_all import ensure_run
from digitfusion.training.checkpoint import load_run
from digitfusion.training.config import front_end_params
from digitfusion.training.presets import CLIP_OPS
from digitfusion.training.recipe import resolve

VARIANTS = {  # label -> TrainConfig overrides of the people size's audio-embed
    "copies 0 (the shipped head)": {},
    "copies 2": {"augment_audio": CLIP_OPS, "feature_copies": 2},
    "copies 4": {"augment_audio": CLIP_OPS, "feature_copies": 4},
}
NOISE_SNRS = (20, 10, 5, 0)
NOISE_SEED = 1234


def folder_name(label: str) -> str:
    return label.split(" (")[0].replace(" ", "-")


def embedding_bundle(root: Path):
    """The shipped recipe's split (official, every corpus, seed 0) with the speech embedding's features."""
    return load_bundle(root, "official", None, 0, params=front_end_params("speech-embedding"), corpora=PEOPLE_CORPORA,
                       images=PEOPLE_IMAGES)


def noisy_accuracy(model, params, val) -> dict[int, float]:
    """{SNR dB: accuracy} of an audio model on the validation clips (`val`: a bundle Side) under white noise."""
    noisy = {}
    for snr in NOISE_SNRS:
        feats = clip_features(noisy_waves(torch.from_numpy(val.waves), snr, NOISE_SEED + snr), params)
        noisy[snr] = float((unimodal_logits(model, "audio", feats).argmax(1) == val.audio_labels).float().mean())
    return noisy


def run_variant(root: Path, out: Path, label: str, bundle) -> dict:
    config = resolve("audio-embed", "official", 0, "people", PEOPLE_CORPORA, PEOPLE_IMAGES,
                     overrides=VARIANTS[label])
    run = out / folder_name(label)
    summary = ensure_run(config, root, run, bundle, False, False)
    model = load_run(run)[0]
    val = bundle["val"]
    correct = unimodal_logits(model, "audio", val.audio).argmax(1) == val.audio_labels
    by_corpus = accuracy_by(val.audio_corpus, correct, val.speakers)
    noisy = noisy_accuracy(model, front_end_params(config.features), val)
    result = {"overrides": VARIANTS[label], "by_corpus": by_corpus, "val_acc": summary["val_acc"],
              "noisy": noisy, "mean_noisy": sum(noisy.values()) / len(noisy), "mean_real": mean_of_corpora(by_corpus),
              "train_seconds": summary["train_seconds"]}
    result["score"] = (result["mean_real"] + result["mean_noisy"]) / 2
    save_choice(run, result)
    return result


def table(out: Path) -> str:
    rows = read_choices(out, VARIANTS, folder_name)
    corpora = sorted({c for r in rows.values() for c in r["by_corpus"]})
    lines = ["| variant | " + " | ".join(f"{c} ({n})" for c, n in
                                         ((c, next(iter(rows.values()))["by_corpus"][c]["n"]) for c in corpora))
             + " | clean mean of corpora | " + " | ".join(f"{s} dB" for s in NOISE_SNRS)
             + " | noisy mean | **score** | train s |", "|---" * (len(corpora) + len(NOISE_SNRS) + 5) + "|"]
    best = max(rows, key=lambda k: rows[k]["score"]) if rows else None
    for label, r in rows.items():
        cells = [f"{100 * r['by_corpus'][c]['acc']:.2f}" for c in corpora]
        noisy = [f"{100 * r['noisy'][str(s)]:.2f}" for s in NOISE_SNRS]
        name = f"**{label}**" if label == best else label
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {100 * r['mean_real']:.2f} | " + " | ".join(noisy)
                     + f" | {100 * r['mean_noisy']:.2f} | {100 * r['score']:.2f} | {r['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    variant_main(__doc__, VARIANTS, "runs/copies", run_variant, table, embedding_bundle)


if __name__ == "__main__":
    main()
