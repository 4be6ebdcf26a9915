"""Which writing augmentations help an image model read hands it never met, chosen on validation only.

The image models hold optdigits out (it is the outside protocol's test writing) and train on MNIST. Each variant
is scored on MNIST's validation side, on a validation set of other hands: digits drawn with the installed
fonts at random sizes, strokes, inks, papers and angles (evaluation/synthetic.py), converted as `predict`
converts a user's image, and on MNIST's validation digits redrawn as a form scanner's normalised bitmaps
(NIST's normalisation, training/augment/scanned_form.py: the format of handwriting collected on forms).
optdigits is never read.

    python bench/bench_writing.py                  # every variant, the demo's epochs
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from digitfusion.atomic import write_text
from digitfusion.data.bundle import load_bundle
from digitfusion.data.mixtures import OUTSIDE_WRITERS, PEOPLE_IMAGES
from digitfusion.evaluation.synthetic import make_images
from digitfusion.features.image import load_user_image, normalise
from digitfusion.paths import require_data_root
from digitfusion.pipeline.augment_ablation import BASELINE_IMAGE, WRITING_OPS
from digitfusion.pipeline.run import setup_logging
from digitfusion.pipeline.train_all import ensure_run
from digitfusion.pipeline.unimodal import test_accuracy
from digitfusion.training.augment.scanned_form import scanned_forms
from digitfusion.training.augment.user_path import to_pixels
from digitfusion.training.fit import quiet_lightning
from digitfusion.training.recipe import resolve

PEOPLE_OPS = BASELINE_IMAGE + ["user-path"]
# label -> TrainConfig overrides of the image-cnn's `demo` config (15 epochs, width 16)
VARIANTS = {"affine (preset)": {"augment_image": BASELINE_IMAGE}, "affine + user-path": {"augment_image": PEOPLE_OPS},
            "affine + writing": {"augment_image": BASELINE_IMAGE + WRITING_OPS},
            "affine + writing + user-path": {"augment_image": BASELINE_IMAGE + WRITING_OPS + ["user-path"]},
            "affine + user-size": {"augment_image": BASELINE_IMAGE + ["user-size"]}}
# One writing op at a time on top of the `people` preset (all five together cost 22 points on the font-drawn digits).
VARIANTS.update({f"affine + user-path + {op}": {"augment_image": PEOPLE_OPS + [op]} for op in WRITING_OPS})
# Digits as NIST's form software normalised them (training/augment/scanned_form.py), on top of the preset.
VARIANTS["affine + user-path + scanned-form"] = {"augment_image": PEOPLE_OPS + ["scanned-form"]}
VARIANTS["affine + user-path + scanned-form, width 32"] = {"augment_image": PEOPLE_OPS + ["scanned-form"],
                                                           "model_kwargs": {"width": 32}}
# Capacity and training length: the image model is small (width 16, 110 k parameters) and learns from 4,500 digits.
VARIANTS.update({
    "affine + user-path + elastic": {"augment_image": PEOPLE_OPS + ["elastic"]},
    "affine + user-path, width 32": {"augment_image": PEOPLE_OPS, "model_kwargs": {"width": 32}},
    "affine + user-path, 30 epochs": {"augment_image": PEOPLE_OPS, "epochs": 30},
    "affine + user-path + elastic, width 32, 30 epochs": {"augment_image": PEOPLE_OPS + ["elastic"], "epochs": 30,
                                                         "model_kwargs": {"width": 32}},
})


def settings(overrides: dict) -> str:
    """A variant's overrides in words, for the table."""
    words = [", ".join(overrides["augment_image"])]
    words += [f"{key} {value}" for key, value in overrides.items() if key != "augment_image"]
    return "; ".join(words)


def run_folder(label: str) -> str:
    return label.replace(" + ", "+").replace(", ", ",").replace(" ", "-")


def font_digits(per_digit: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[N, 1, 28, 28] normalised font-drawn digits, converted the `predict` way, and their labels."""
    with tempfile.TemporaryDirectory() as tmp:
        items = make_images(Path(tmp), per_digit=per_digit, seed=seed)
        pixels = np.stack([load_user_image(item.path) for item in items])
    return torch.from_numpy(normalise(pixels)), torch.tensor([item.label for item in items])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-digit", type=int, default=30, help="font-drawn validation digits per class")
    parser.add_argument("--out", default="runs/bench-writing")
    parser.add_argument("--variant", choices=list(VARIANTS), action="append",
                        help="only these variants (default: every one)")
    args = parser.parse_args()
    root, out = require_data_root(None), Path(args.out)
    setup_logging()
    quiet_lightning()
    bundle = load_bundle(root, "leave-corpus-out", OUTSIDE_WRITERS, args.seed, images=PEOPLE_IMAGES)
    val = bundle["val"]
    fonts, font_labels = font_digits(args.per_digit, args.seed + 1000)
    forms = torch.from_numpy(normalise(scanned_forms(to_pixels(val.images))))
    lines = [f"### Writing augmentations, validation only (image-cnn on MNIST, {OUTSIDE_WRITERS} never read, seed "
             f"{args.seed})", "", "| variant | settings | MNIST val % | font-drawn val % | mean % | MNIST val as "
             "scanned forms % | mean of the three % |", "|---|---|---|---|---|---|---|"]
    for label, overrides in VARIANTS.items():
        if args.variant and label not in args.variant:
            continue
        config = resolve("image-cnn", "leave-corpus-out", args.seed, "demo", images=PEOPLE_IMAGES,
                         holdout=OUTSIDE_WRITERS, overrides=overrides)
        run = out / run_folder(label)
        ensure_run(config, root, run, bundle, False, False)
        mnist = test_accuracy(run, val.images, val.image_labels, "image")["acc"]
        drawn = test_accuracy(run, fonts, font_labels, "image")["acc"]
        formed = test_accuracy(run, forms, val.image_labels, "image")["acc"]
        lines.append(f"| {label} | {settings(overrides)} | {100 * mnist:.2f} | {100 * drawn:.2f} | "
                     f"{50 * (mnist + drawn):.2f} | {100 * formed:.2f} | {100 * (mnist + drawn + formed) / 3:.2f} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    write_text(out / "writing-ablation.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
