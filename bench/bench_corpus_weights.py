"""Choose the shipped model's corpus weights (and length) on VALIDATION (issue 14): one audio-cnn per variant,
trained with the shipped recipe (`people` size, every corpus, official split, seed 0), each scored per corpus on
the validation side only (test sides stay unread).

The rule, fixed before any run: the weighting with the best mean of the real corpora's validation accuracies
(each corpus counts once, whatever its size: the aim is every kind of voice, not FSDD's takes).

    OMP_NUM_THREADS=1 python bench/bench_corpus_weights.py --variant "synthetic 0.25" --out runs/weights
    python bench/bench_corpus_weights.py --table --out runs/weights      # the table of every finished variant
"""

from __future__ import annotations

from pathlib import Path

from common import mean_of_corpora, read_choices, save_choice, variant_main

from digitfusion.data.bundle import load_bundle
from digitfusion.data.mixtures import PEOPLE_CORPORA, PEOPLE_IMAGES
from digitfusion.evaluation.items import accuracy_by
from digitfusion.evaluation.strategies import unimodal_logits
from digitfusion.pipeline.augment_ablation import BASELINE_AUDIO, CHANNEL_OPS, VOICE_OPS
from digitfusion.pipeline.train_all import ensure_run
from digitfusion.training.checkpoint import load_run
from digitfusion.training.recipe import resolve

OUTSIDE_X3 = {"speech-commands": 3, "accented-numbers": 3, "fsdd-jason": 3}
VARIANTS = {  # label -> TrainConfig overrides of the people size's audio-cnn
    "synthetic 1 (as shipped before)": {},
    "synthetic 0.25": {"corpus_weights": {"synthetic": 0.25}},
    "synthetic 0.25, outside corpora 3": {"corpus_weights": {"synthetic": 0.25, **OUTSIDE_X3}},
    "synthetic 0.25, 30 epochs": {"corpus_weights": {"synthetic": 0.25}, "epochs": 30},
    # The voice and channel ops at the shipped length: at 15 epochs they were still climbing (docs/augmentation.md).
    "synthetic 0.25, 30 epochs, voices": {"corpus_weights": {"synthetic": 0.25}, "epochs": 30,
                                          "augment_audio": BASELINE_AUDIO + VOICE_OPS},
    "synthetic 0.25, 30 epochs, voices and channels": {"corpus_weights": {"synthetic": 0.25}, "epochs": 30,
                                                       "augment_audio": BASELINE_AUDIO + VOICE_OPS + CHANNEL_OPS},
}


def folder_name(label: str) -> str:
    return label.split(" (")[0].replace(", ", "+").replace(" ", "-")


def people_bundle(root: Path):
    """The shipped recipe's split (official, every corpus, seed 0) with the log-mel features."""
    return load_bundle(root, "official", None, 0, corpora=PEOPLE_CORPORA, images=PEOPLE_IMAGES)


def run_variant(root: Path, out: Path, label: str, bundle) -> dict:
    config = resolve("audio-cnn", "official", 0, "people", PEOPLE_CORPORA, PEOPLE_IMAGES,
                     overrides=VARIANTS[label])
    run = out / folder_name(label)
    summary = ensure_run(config, root, run, bundle, False, False)
    val = bundle["val"]
    correct = unimodal_logits(load_run(run)[0], "audio", val.audio).argmax(1) == val.audio_labels
    by_corpus = accuracy_by(val.audio_corpus, correct, val.speakers)
    result = {"overrides": VARIANTS[label], "by_corpus": by_corpus, "val_acc": summary["val_acc"],
              "train_seconds": summary["train_seconds"],
              "mean_real": mean_of_corpora(by_corpus)}
    save_choice(run, result)
    return result


def table(out: Path) -> str:
    rows = read_choices(out, VARIANTS, folder_name)
    corpora = sorted({c for r in rows.values() for c in r["by_corpus"]})
    lines = ["| weights | " + " | ".join(f"{c} (n)" for c in corpora) + " | mean of corpora | all val clips | "
             "train s |", "|---" * (len(corpora) + 4) + "|"]
    best = max(rows, key=lambda k: rows[k]["mean_real"]) if rows else None
    for label, r in rows.items():
        cells = [f"{100 * r['by_corpus'][c]['acc']:.2f} ({r['by_corpus'][c]['n']})" for c in corpora]
        name = f"**{label}**" if label == best else label
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {100 * r['mean_real']:.2f} | "
                     f"{100 * r['val_acc']:.2f} | {r['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    variant_main(__doc__, VARIANTS, "runs/weights", run_variant, table, people_bundle)


if __name__ == "__main__":
    main()
