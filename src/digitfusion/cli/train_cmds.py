"""`train`: one model (image, audio, or a fused pair model) through the one trainer."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from digitfusion.cli.common import add_data_option, add_device_options, add_split_options, device_settings
from digitfusion.errors import DigitfusionError
from digitfusion.paths import require_data_root, runs_dir

# models.MODELS' names, listed here so that building the parser does not import torch (a test keeps them equal).
MODEL_NAMES = ("image-cnn", "audio-cnn", "audio-gru", "seed-cnn", "early", "concat", "attention", "gated")
# training.augment's op names, without importing torch (a test keeps them equal).
IMAGE_OPS = ("affine", "elastic", "erasing", "lowrank")
AUDIO_OPS = ("speed", "shift", "gain", "noise", "vtlp", "specaugment")


def register(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train one model; best weights chosen on validation")
    add_data_option(train)
    add_split_options(train, flag="--split")
    train.add_argument("--modality", choices=("image", "audio"), help="what the model reads (default: the model's)")
    train.add_argument("--model", default="image-cnn", choices=MODEL_NAMES, help="model name")
    train.add_argument("--epochs", type=int, help="epochs (default: the config's)")
    train.add_argument("--batch-size", type=int, help="training batch size (default: the config's)")
    train.add_argument("--lr", type=float, help="peak learning rate (default: the config's)")
    train.add_argument("--optimizer", choices=("adamw", "sgd"), help="optimizer (default: the config's)")
    train.add_argument("--scheduler", choices=("onecycle", "cosine", "none"),
                       help="learning-rate schedule (default: the config's)")
    train.add_argument("--patience", type=int,
                       help="early stopping patience on validation loss, 0: off (default: the config's)")
    train.add_argument("--augment", default=None, metavar="OPS",
                       help="comma-separated augmentations, '' for none (default: the config's); image: "
                            f"{','.join(IMAGE_OPS)}; audio: {','.join(AUDIO_OPS)}; a fused model takes both")
    train.add_argument("--config", metavar="JSON",
                       help="start from this TrainConfig JSON (default: the model's preset)")
    add_device_options(train)
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
        config.augment_image, config.augment_audio = augment_ops(args.augment, args.model, modality, features)
    if args.tiny:
        config.epochs, config.limit_train_batches, config.limit_val_batches = min(config.epochs, 2), 3, 2
    for name, value in {**device_settings(args, multi_device=True), "accelerator_strategy": args.strategy}.items():
        setattr(config, name, value)
    return config


def augment_ops(text: str, model: str, modality: str, features: str) -> tuple[list[str], list[str]]:
    """`--augment a,b` -> (image ops, audio ops), each name checked against what this model reads."""
    from digitfusion.training.augment import known_ops

    ops = [op.strip() for op in text.split(",") if op.strip()]
    allowed = () if features == "seed" else known_ops(modality)  # the seed lab's CNN trains unaugmented
    unknown = [op for op in ops if op not in allowed]
    if unknown:
        raise DigitfusionError(f"--augment {','.join(unknown)}", f"not an augmentation of {model} "
                                                                  f"(it takes: {', '.join(allowed) or 'none'})")
    image_ops = known_ops("image")
    return [op for op in ops if op in image_ops], [op for op in ops if op not in image_ops]


def run_train(args: argparse.Namespace) -> int:
    from digitfusion.training.fit import fit

    config = config_from_args(args)  # option errors first: they need no data
    root = require_data_root(args.data)
    split_name = config.strategy if config.strategy != "speaker" else f"speaker-{config.holdout or 'auto'}"
    out = Path(args.out) if args.out else runs_dir() / "train" / f"{config.model}-{split_name}-seed{config.seed}"
    if args.resume and not (out / "checkpoints" / "last.ckpt").is_file():
        raise DigitfusionError(out, "nothing to resume: no checkpoints/last.ckpt in this run folder")
    summary = fit(config, root, out, resume=args.resume)
    if summary:
        print(json.dumps(summary, indent=2))
        print(f"run folder: {out}")
    return 0
