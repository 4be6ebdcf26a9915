"""`train`: one model (image, audio, or a fused pair model) through the one trainer and the one recipe."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from digitfusion.cli.common import (
    add_data_option,
    add_device_options,
    add_split_options,
    device_settings,
    split_settings,
)
from digitfusion.errors import DigitfusionError
from digitfusion.models.registry import LazyChoices, model_names
from digitfusion.paths import require_data_root, runs_dir
from digitfusion.training.recipe import SIZES


def register(commands: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train one model with the pipeline's recipe; best weights chosen on "
                                              "validation")
    add_data_option(train)
    add_split_options(train)
    train.add_argument("--model", default="image-cnn", metavar="NAME", choices=LazyChoices(model_names),
                       help="a unimodal model (image-cnn, audio-cnn, audio-gru, lab-cnn) or a trained fusion "
                            "(default: image-cnn)")
    train.add_argument("--size", default="demo", choices=LazyChoices(lambda: list(SIZES)),
                       help="the pipeline size whose recipe is used: `demo` trains what `make demo` trains "
                            "(default: demo)")
    train.add_argument("--image-encoder", metavar="NAME", help="a fusion's image encoder (default: image-cnn)")
    train.add_argument("--audio-encoder", metavar="NAME", help="a fusion's audio encoder (default: audio-cnn; "
                                                               "audio-gru can be fused too)")
    train.add_argument("--epochs", type=int, help="epochs (default: the recipe's)")
    train.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
    train.add_argument("--lr", type=float, help="peak learning rate (default: the recipe's)")
    train.add_argument("--optimizer", choices=("adamw", "sgd"), help="optimiser (default: the recipe's)")
    train.add_argument("--scheduler", choices=("onecycle", "cosine", "none"),
                       help="learning-rate schedule (default: the recipe's)")
    train.add_argument("--patience", type=int,
                       help="early stopping patience on validation loss, 0: off (default: the recipe's)")
    train.add_argument("--augment", default=None, metavar="OPS",
                       help="comma-separated augmentations ('' for none; e.g. image: affine,stroke,user-path; "
                            "audio: pitch,reverb,phone,noise,formant; an unknown name lists them all; "
                            "default: the recipe's)")
    train.add_argument("--config", metavar="JSON",
                       help="train this TrainConfig JSON as it is (default: the recipe of --model)")
    add_device_options(train)
    train.add_argument("--lightning-strategy", default="auto", choices=("auto", "ddp", "ddp_spawn"),
                       help="Lightning's distributed strategy: ddp runs --devices processes (gloo on CPU)")
    train.add_argument("--out", metavar="DIR", help="pipeline folder the run goes in, with the unimodal runs a fusion "
                                                    "starts from (default: runs/train)")
    train.add_argument("--resume", action="store_true", help="continue from the run folder's last checkpoint")
    train.add_argument("--tiny", action="store_true", help="a few batches only (smoke test)")
    train.set_defaults(run=run_train)


def split_ops(text: str, modality: str, model: str = "") -> tuple[list[str], list[str]]:
    """`--augment` names -> (image ops, audio ops), each checked against what this model reads (the lab's CNN
    is trained as the lab trains it: unaugmented)."""
    from digitfusion.models.registry import ENCODERS
    from digitfusion.training.augment import known_ops

    image, audio = known_ops("image"), known_ops("audio")
    known = {"image": image, "audio": audio, "pair": image + audio}[modality]
    if model in ENCODERS and ENCODERS[model].features == "lab":
        known = []
    ops = [op.strip() for op in text.split(",") if op.strip()]
    unknown = [op for op in ops if op not in known]
    if unknown:
        reader = model or f"a {modality} model"
        raise DigitfusionError(f"--augment {','.join(unknown)}", f"not an augmentation of {reader} "
                                                                 f"(it takes: {', '.join(known) or 'none'})")
    return [op for op in ops if op in image], [op for op in ops if op in audio]


def overrides_from_args(args: argparse.Namespace, modality: str, model: str = "") -> dict:
    values = {name: getattr(args, name) for name in ("epochs", "batch_size", "lr", "optimizer", "scheduler",
                                                       "patience") if getattr(args, name) is not None}
    if args.augment is not None:
        values["augment_image"], values["augment_audio"] = split_ops(args.augment, modality, model)
    if args.tiny:
        values.update(epochs=min(values.get("epochs", 2), 2), limit_train_batches=3, limit_val_batches=2)
    return values


def recipe_from_args(args: argparse.Namespace, model: str, init_dirs: dict | None = None):
    from digitfusion.models import modality_of
    from digitfusion.training.recipe import resolve

    encoders = {m: getattr(args, f"{m}_encoder") for m in ("image", "audio") if getattr(args, f"{m}_encoder")}
    split = split_settings(args)
    config = resolve(model, split["protocol"], split["seed"], args.size, split["corpora"], split["images"],
                     split["holdout"], encoders=encoders, init_dirs=init_dirs,
                     overrides=overrides_from_args(args, modality_of(model), model))
    hardware = {**device_settings(args, multi_device=True), "lightning_strategy": args.lightning_strategy}
    for name, value in hardware.items():
        setattr(config, name, value)
    return config


def run_train(args: argparse.Namespace) -> int:
    from digitfusion.data.bundle import load_bundle
    from digitfusion.pipeline.run import setup_logging
    from digitfusion.pipeline.train_all import ensure_run
    from digitfusion.runs import RunLayout
    from digitfusion.training.config import TrainConfig, front_end_params
    from digitfusion.training.fit import fit

    setup_logging()  # the run's data (clips per corpus and side) is logged as it starts
    if args.config:
        config = TrainConfig.load(args.config)
        out = Path(args.out) if args.out else runs_dir() / "train" / config.model
        return _report(fit(config, require_data_root(args.data), out, resume=args.resume), out)
    config = recipe_from_args(args, args.model)  # option errors first: they need no data
    root = require_data_root(args.data)
    bundle = load_bundle(root, config.protocol, config.holdout, config.data_seed,
                         params=front_end_params(config.features), corpora=config.corpus, images=config.images)
    layout = RunLayout(Path(args.out) if args.out else runs_dir() / "train")
    split = bundle.split.name
    out = run_folder(layout, config, split)
    if args.resume and not (out / "checkpoints" / "last.ckpt").is_file():
        raise DigitfusionError(out, "nothing to resume: no checkpoints/last.ckpt in this run folder")
    if _needs_init(config):
        # A fusion starts from the unimodal runs the pipeline would train: train (or reuse) them first.
        init_dirs = {}
        for modality, name in {"image": "image-cnn", "audio": "audio-cnn", **config.encoders}.items():
            unimodal = recipe_from_args(args, name)
            init_dirs[modality] = run_folder(layout, unimodal, split)
            ensure_run(unimodal, root, init_dirs[modality], bundle, False, True)
        config = recipe_from_args(args, args.model, init_dirs)
    return _report(fit(config, root, out, bundle=bundle, resume=args.resume), out)


def run_folder(layout, config, split: str) -> Path:
    """Where the pipeline keeps this config's run (an image model's folder follows its own image split)."""
    from digitfusion.training.recipe import image_split

    return layout.run_dir(config.model, config.seed, split, config.modality, image_split(config))


def _needs_init(config) -> bool:
    from digitfusion.models.registry import fusion

    return config.modality == "pair" and fusion(config.model).family == "intermediate"


def _report(summary: dict, out: Path) -> int:
    if summary:
        print(json.dumps(summary, indent=2))
        print(f"run folder: {out}")
    return 0
