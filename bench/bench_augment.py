"""Augmentation: what each op costs per batch of 64, and the validation-only ablation of issue 14.

    python bench/bench_augment.py --costs                      # ms per batch of 64, every registered op
    python bench/bench_augment.py --size tiny                  # the ablation harness end to end, a few batches
    python bench/bench_augment.py --size small                 # audio, speaker:theo, 5 epochs per variant
    python bench/bench_augment.py --size small --modality image --epochs 3
    python bench/bench_augment.py --size small --corpora fsdd,synthetic --variants "baseline"   # + espeak-ng voices

The ablation reads validation sides only (test sides stay unread). Results: runs/bench-augment/SIZE/.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))

from common import machine, table  # noqa: E402

from digitfusion.atomic import write_text  # noqa: E402
from digitfusion.data.bundle import load_bundle  # noqa: E402
from digitfusion.errors import DigitfusionError  # noqa: E402
from digitfusion.features.pca import PCAImages  # noqa: E402
from digitfusion.paths import require_data_root  # noqa: E402
from digitfusion.pipeline.augment_ablation import (  # noqa: E402
    audio_variants,
    image_variants,
    render_ablation,
    run_augment_ablation,
)
from digitfusion.pipeline.run import setup_logging  # noqa: E402
from digitfusion.training.augment import LOW_RANK_MAX, OPS, AugmentConfig, BatchAugmenter  # noqa: E402
from digitfusion.training.fit import quiet_lightning  # noqa: E402

SIZES = {"tiny": {"epochs": 1, "limit_train_batches": 2, "limit_val_batches": 1}, "small": {"epochs": 5}}
BATCH = 64


def cpu_and_wall_ms(fn, repeats: int) -> tuple[float, float]:
    """Median process CPU time and median wall time of `fn`, in ms, after one warm-up call. CPU time counts
    every thread of this process and little of what other processes do to the machine: it is the steadier
    figure on a shared machine."""
    fn()
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(1000 * (time.process_time() - c))
        wall.append(1000 * (time.perf_counter() - w))
    return statistics.median(cpu), statistics.median(wall)


def op_costs(root: Path, repeats: int = 5) -> str:
    """Each op on a batch of 64 real training items (MNIST images, FSDD clips and their log-mel), the
    per-sample probability set to 1 so every item is augmented: median CPU and wall ms, on one torch thread
    (several threads spin while they wait on a busy machine, and that spinning would count as the op's CPU)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _op_costs(root, repeats)
    finally:
        torch.set_num_threads(threads)


def _op_costs(root: Path, repeats: int) -> str:
    bundle = load_bundle(root, "official", None, 0)
    train = bundle["train"]
    images = train.images[:BATCH]
    waves = torch.from_numpy(train.waves[:BATCH])
    feats = train.audio[:BATCH]
    basis = PCAImages(keep=LOW_RANK_MAX / 784, by="components").fit(train.images[:5000])
    augmenter = BatchAugmenter(AugmentConfig(image=(), audio=()), basis=basis)
    rows = []
    for op in OPS:
        x = {"image": images, "wave": waves, "spec": feats}[op.domain]
        cpu, wall = cpu_and_wall_ms(lambda op=op, x=x: op.apply(x, augmenter.generator(x.device), augmenter), repeats)
        rows.append([op.name, op.domain, f"{cpu:.1f}", f"{wall:.1f}", op.summary])
    cpu, wall = cpu_and_wall_ms(lambda: augmenter.frontend(waves), repeats)
    rows.append(["(log-mel of the augmented clips)", "wave -> spec", f"{cpu:.1f}", f"{wall:.1f}",
                 "paid once when any wave op is on"])
    return table(["op", "domain", f"CPU ms per batch of {BATCH} (1 thread)", "wall ms", "what it does"], rows)


def chosen_variants(modality: str, labels: str | None) -> dict[str, list[str]]:
    """All variants of the modality, or the ';'-separated `labels` in that order (an unknown one is an error)."""
    variants = audio_variants() if modality == "audio" else image_variants()
    if labels is None:
        return variants
    chosen = [label.strip() for label in labels.split(";") if label.strip()]
    unknown = [label for label in chosen if label not in variants]
    if unknown:
        raise DigitfusionError("--variants", f"unknown {', '.join(unknown)} (known: {'; '.join(variants)})")
    return {label: variants[label] for label in chosen}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--costs", action="store_true", help="time every op on a batch of 64")
    parser.add_argument("--size", choices=sorted(SIZES), help="run the ablation at this size")
    parser.add_argument("--modality", choices=("audio", "image"), default="audio")
    parser.add_argument("--protocol", default="speaker:theo", help="audio protocol (validation side is scored)")
    parser.add_argument("--epochs", type=int, help="override the size's epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpora", default="fsdd", help="speech corpora to train and validate on, comma-separated "
                        "(synthetic: the espeak-ng speakers, training side only; `digitfusion data fetch --corpus "
                        "synthetic` generates them)")
    parser.add_argument("--variants", metavar="LABELS",
                        help="only these variants, ';'-separated labels of the table, in this order (default: all)")
    parser.add_argument("--out", default="runs/bench-augment", help="folder for the runs and the table")
    args = parser.parse_args()
    root = require_data_root(None)
    setup_logging()
    quiet_lightning()
    logging.getLogger("digitfusion").setLevel(logging.INFO)
    text = f"# Augmentation\n\nMeasured {machine()}.\n"
    if args.costs:
        costs = op_costs(root)
        text += f"\n## Cost of each op\n\n{costs}\n"
        print(costs, flush=True)
    if args.size:
        overrides = dict(SIZES[args.size], **({"epochs": args.epochs} if args.epochs else {}))
        out = Path(args.out) / args.size
        start = time.perf_counter()
        variants = chosen_variants(args.modality, args.variants)
        corpora = tuple(c.strip() for c in args.corpora.split(",") if c.strip())
        results = run_augment_ablation(root, out, args.modality, args.protocol, args.seed, variants, overrides,
                                       corpora)
        protocol = args.protocol if args.modality == "audio" else "official (MNIST)"
        minutes = (time.perf_counter() - start) / 60
        title = (f"{args.modality} ablation, validation only ({protocol}, corpora {'+'.join(corpora)}, "
                 f"seed {args.seed}, {overrides['epochs']} epochs, size {args.size}, {minutes:.1f} min)")
        ablation = render_ablation(results, title)
        text += f"\n{ablation}"
        print(ablation, flush=True)
        write_text(out / f"{args.modality}-{'+'.join(corpora)}-ablation.md", text)
    if not (args.costs or args.size):
        parser.error("nothing to do: give --costs and/or --size")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
