"""Which writing augmentations help an image model read hands it never met, chosen on validation only.

The image models hold optdigits out (it is the outside protocol's test writing) and train on MNIST. Each variant
is scored on MNIST's validation side and on a validation set of other hands: digits drawn with the installed
fonts at random sizes, strokes, inks, papers and angles (evaluation/synthetic.py), converted as `predict`
converts a user's image. optdigits is never read.

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
from digitfusion.training.fit import quiet_lightning
from digitfusion.training.recipe import resolve

VARIANTS = {"affine (preset)": BASELINE_IMAGE, "affine + user-path": BASELINE_IMAGE + ["user-path"],
            "affine + writing": BASELINE_IMAGE + WRITING_OPS,
            "affine + writing + user-path": BASELINE_IMAGE + WRITING_OPS + ["user-path"],
            "affine + user-size": BASELINE_IMAGE + ["user-size"]}
# One writing op at a time on top of the `people` preset (all five together cost 22 points on the font-drawn digits).
VARIANTS.update({f"affine + user-path + {op}": BASELINE_IMAGE + ["user-path", op] for op in WRITING_OPS})


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
    lines = [f"### Writing augmentations, validation only (image-cnn on MNIST, {OUTSIDE_WRITERS} never read, seed "
             f"{args.seed})", "", "| variant | ops | MNIST val % | font-drawn val % | mean % |",
             "|---|---|---|---|---|"]
    for label, ops in VARIANTS.items():
        if args.variant and label not in args.variant:
            continue
        config = resolve("image-cnn", "leave-corpus-out", args.seed, "demo", images=PEOPLE_IMAGES,
                         holdout=OUTSIDE_WRITERS, overrides={"augment_image": ops})
        run = out / label.replace(" + ", "+").replace(" ", "-")
        ensure_run(config, root, run, bundle, False, False)
        mnist = test_accuracy(run, val.images, val.image_labels, "image")["acc"]
        drawn = test_accuracy(run, fonts, font_labels, "image")["acc"]
        lines.append(f"| {label} | {', '.join(ops)} | {100 * mnist:.2f} | {100 * drawn:.2f} | "
                     f"{50 * (mnist + drawn):.2f} |")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    write_text(out / "writing-ablation.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
