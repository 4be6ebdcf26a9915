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
                       help="comma-separated augmentations ('' for none; image: affine,elastic,erasing; "
                            "audio: shift,gain,noise,speed,specaugment,vtlp)")
    train.add_argument("--config", metavar="JSON", help="start from this TrainConfig JSON")
    train.add_argument("--devices", type=int, default=1, help="CPU processes (with --strategy ddp)")
    train.add_argument("--strategy", default="auto", choices=("auto", "ddp", "ddp_spawn"),
                       help="Lightning strategy: ddp runs --devices processes (gloo on CPU)")
    train.add_argument("--out", metavar="DIR", help="run folder (default: runs/train/MODEL-SPLIT-seedN)")
    train.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    train.add_argument("--tiny", action="store_true", help="a few batches only (smoke test)")
    train.set_defaults(run=run_train)


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
        ops = [op for op in args.augment.split(",") if op]
        config.augment_image = [op for op in ops if op in ("affine", "elastic", "erasing")]
        config.augment_audio = [op for op in ops if op not in config.augment_image]
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
