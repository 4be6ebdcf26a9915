"""Options shared by several sub-commands."""

from __future__ import annotations

import argparse
import importlib.util

from digitfusion.data.protocols import PROTOCOLS
from digitfusion.errors import DigitfusionError

ACCELERATORS = ("auto", "cpu", "gpu")
PRECISIONS = ("32-true", "16-mixed", "bf16-mixed")
LOGGERS = ("csv", "tensorboard")


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="data root (default: $DIGITFUSION_DATA, ./data, ../shared/data)")


def add_split_options(parser: argparse.ArgumentParser, flag: str = "--split") -> None:
    """Split protocol, holdout, seed, corpora and image sources. `--corpus`/`--images` are comma lists
    checked by `split_settings` (a bad name is a one-line error listing the known ones, exit 2)."""
    parser.add_argument(flag, dest="protocol", default="official", metavar="PROTOCOL",
                        help=f"audio split protocol: {', '.join(PROTOCOLS)} (default: official)")
    parser.add_argument("--holdout", metavar="NAME",
                        help="test speaker (speaker), fold index (speaker-kfold:K) or corpus (leave-corpus-out); "
                             "default: the protocol's own choice")
    parser.add_argument("--seed", type=int, default=0, help="seed for splits, pairs and training")
    parser.add_argument("--corpus", default="fsdd", metavar="NAMES",
                        help="speech corpora, comma-separated (a registry name or folder:PATH; default: fsdd)")
    parser.add_argument("--images", default="mnist", metavar="NAMES",
                        help="image sources, comma-separated (default: mnist)")


def split_settings(args: argparse.Namespace) -> dict:
    """The split options, validated: protocol, holdout, seed, corpora (tuple), images (tuple)."""
    from digitfusion.data.corpora import parse_corpora
    from digitfusion.data.images import parse_sources
    from digitfusion.data.splits import parse_protocol

    parse_protocol(args.protocol)
    return {"protocol": args.protocol, "holdout": args.holdout, "seed": args.seed,
            "corpora": parse_corpora(args.corpus), "images": parse_sources(args.images)}


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """Where and in which precision a training runs (Lightning's accelerator, devices and precision)."""
    parser.add_argument("--accelerator", choices=ACCELERATORS, default="auto",
                        help="auto: the GPU when torch sees one, else the CPU")
    parser.add_argument("--devices", type=int, default=1,
                        help="devices per machine: GPUs, or CPU processes with `train --lightning-strategy ddp`")
    parser.add_argument("--num-nodes", type=int, default=1,
                        help="machines of a multi-machine DDP run (each runs the same command, see the README)")
    parser.add_argument("--precision", choices=PRECISIONS, default="32-true",
                        help="float precision; mixed precision is for GPUs (bf16-mixed also runs on CPU)")
    parser.add_argument("--logger", choices=LOGGERS, default="csv",
                        help="training curves: csv (always written) or also TensorBoard (needs tensorboard)")


def device_settings(args: argparse.Namespace, multi_device: bool = False) -> dict:
    """TrainConfig fields from the device options, checked: a one-line error instead of Lightning's traceback.
    Only `train` runs on several devices (DDP); a pipeline trains its models one after another on one device."""
    import torch

    accelerator, precision = args.accelerator, args.precision
    if accelerator == "gpu" and not torch.cuda.is_available():
        raise DigitfusionError("--accelerator gpu", f"no CUDA GPU is visible to torch {torch.__version__}")
    on_cpu = accelerator == "cpu" or not torch.cuda.is_available()
    if on_cpu and precision == "16-mixed":
        raise DigitfusionError("--precision 16-mixed", "needs a GPU (on CPU use bf16-mixed or 32-true)")
    for flag, value in (("--devices", args.devices), ("--num-nodes", args.num_nodes)):
        if value < 1:
            raise DigitfusionError(f"{flag} {value}", "must be at least 1")
        if value > 1 and not multi_device:
            raise DigitfusionError(f"{flag} {value}", "a pipeline trains on one device: use `digitfusion train "
                                                      "--devices N --lightning-strategy ddp` for DDP")
    if args.logger == "tensorboard" and not any(importlib.util.find_spec(m) for m in ("tensorboard", "tensorboardX")):
        raise DigitfusionError("--logger tensorboard", "tensorboard is not installed (pip install tensorboard)")
    return {"accelerator": accelerator, "devices": args.devices, "num_nodes": args.num_nodes, "precision": precision,
            "logger": args.logger}
