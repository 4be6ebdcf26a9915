"""`train`: one model (image, audio, or a fused pair model) through the one trainer."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from digitfusion.cli.common import add_data_option, add_split_options
from digitfusion.errors import DigitfusionError
from digitfusion.paths import require_data_root, runs_dir

# models.MODELS' names, listed here so that building the parser does not import torch (a test keeps them equal).
MODEL_NAMES = ("image-cnn", "audio-cnn", "audio-gru", "seed-cnn", "early", "concat", "attention", "gated")


def register(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train one model; best weights chosen on validation")
    add_data_option(train)
    add_split_options(train, flag="--split")
    train.add_argument("--modality", choices=("image", "audio"), help="what the model reads (default: the model's)")
    train.add_argument("--model", default="image-cnn", choices=MODEL_NAMES, help="model name")
    train.add_argument("--epochs", type=int, help="epochs (default: the config's)")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--lr", type=float)
    train.add_argument("--optimizer", choices=("adamw", "sgd"))
    train.add_argument("--scheduler", choices=("onecycle", "cosine", "none"))
    train.add_argument("--patience", type=int, help="early stopping patience on validation loss (0: off)")
    train.add_argument("--augment", default=None, metavar="OPS",
                       help="comma-separated augmentations ('' for none; e.g. image: affine,stroke,user-path; "
                            "audio: pitch,reverb,phone,noise,formant; an unknown name lists them all)")
    train.add_argument("--config", metavar="JSON", help="start from this TrainConfig JSON")
    train.add_argument("--devices", type=int, default=1, help="CPU processes (with --strategy ddp)")
    train.add_argument("--strategy", default="auto", choices=("auto", "ddp", "ddp_spawn"),
                       help="Lightning strategy: ddp runs --devices processes (gloo on CPU)")
    train.add_argument("--out", metavar="DIR", help="run folder (default: runs/train/MODEL-SPLIT-seedN)")
    train.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    train.add_argument("--tiny", action="store_true", help="a few batches only (smoke test)")
    train.set_defaults(run=run_train)


def split_augment_ops(text: str) -> tuple[list[str], list[str]]:
    """'affine,pitch,...' -> (image ops, audio ops); DigitfusionError naming the unknown ones."""
    from digitfusion.training.augment import known_ops

    ops = [op.strip() for op in text.split(",") if op.strip()]
    image, audio = known_ops("image"), known_ops("audio")
    unknown = [op for op in ops if op not in image and op not in audio]
    if unknown:
        raise DigitfusionError("--augment", f"unknown op(s) {', '.join(unknown)} (image: {', '.join(image)}; "
                                            f"audio: {', '.join(audio)})")
    return [op for op in ops if op in image], [op for op in ops if op in audio]


def config_from_args(args: argparse.Namespace):
    from digitfusion.models import MODELS
    from digitfusion.training.config import TrainConfig
    from digitfusion.training.presets import preset

    config = TrainConfig.load(args.config) if args.config else preset(args.model)
    modality, features, _ = MODELS[args.model]
    if args.modality and args.modality != modality:
        raise DigitfusionError(args.model, f"reads the {modality}, not the {args.modality}")
    config.model, config.modality, config.features = args.model, modality, features
    config.strategy, config.holdout, config.seed = args.split_strategy, args.holdout, args.seed
    for name in ("epochs", "batch_size", "lr", "optimizer", "scheduler", "patience"):
        if getattr(args, name) is not None:
            setattr(config, name, getattr(args, name))
    if args.augment is not None:
        config.augment_image, config.augment_audio = split_augment_ops(args.augment)
    if args.tiny:
        config.epochs, config.limit_train_batches, config.limit_val_batches = min(config.epochs, 2), 3, 2
    config.devices, config.accelerator_strategy = args.devices, args.strategy
    return config


def run_train(args: argparse.Namespace) -> int:
    from digitfusion.training.fit import fit

    root = require_data_root(args.data)
    config = config_from_args(args)
    split_name = config.strategy if config.strategy != "speaker" else f"speaker-{config.holdout or 'auto'}"
    out = Path(args.out) if args.out else runs_dir() / "train" / f"{config.model}-{split_name}-seed{config.seed}"
    if args.resume and not (out / "checkpoints" / "last.ckpt").is_file():
        raise DigitfusionError(out, "nothing to resume: no checkpoints/last.ckpt in this run folder")
    summary = fit(config, root, out, resume=args.resume)
    if summary:
        print(json.dumps(summary, indent=2))
        print(f"run folder: {out}")
    return 0
