"""Options shared by several sub-commands."""

from __future__ import annotations

import argparse
import importlib.util

from digitfusion.data.splits import STRATEGIES
from digitfusion.errors import DigitfusionError

ACCELERATORS = ("auto", "cpu", "gpu")
PRECISIONS = ("32-true", "16-mixed", "bf16-mixed")
LOGGERS = ("csv", "tensorboard")


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="data root (default: $DIGITFUSION_DATA, ./data, ../shared/data)")


def add_split_options(parser: argparse.ArgumentParser, flag: str = "--strategy") -> None:
    """Split protocol options. `train` names the protocol --split (its --strategy is Lightning's)."""
    parser.add_argument(flag, dest="split_strategy", choices=STRATEGIES, default="official",
                        help="audio split protocol")
    parser.add_argument("--holdout", metavar="SPEAKER",
                        help="test speaker of the speaker split (default: the protocol's own choice)")
    parser.add_argument("--seed", type=int, default=0, help="seed for splits, pairs and training")
    parser.add_argument("--corpus", choices=("fsdd", "audiomnist"), default="fsdd", help="audio corpus")


def add_device_options(parser: argparse.ArgumentParser) -> None:
    """Where and in which precision a training runs (Lightning's accelerator, devices and precision)."""
    parser.add_argument("--accelerator", choices=ACCELERATORS, default="auto",
                        help="auto: the GPU when torch sees one, else the CPU")
    parser.add_argument("--devices", type=int, default=1,
                        help="devices per machine: GPUs, or CPU processes with `train --strategy ddp`")
    parser.add_argument("--precision", choices=PRECISIONS, default="32-true",
                        help="float precision; mixed precision is for GPUs (bf16-mixed also runs on CPU)")
    parser.add_argument("--logger", choices=LOGGERS, default="csv",
                        help="training curves: csv (always written) or also TensorBoard (needs tensorboard)")


def device_settings(args: argparse.Namespace) -> dict:
    """TrainConfig fields from the device options, checked: a one-line error instead of Lightning's traceback."""
    import torch

    accelerator, precision = args.accelerator, args.precision
    if accelerator == "gpu" and not torch.cuda.is_available():
        raise DigitfusionError("--accelerator gpu", f"no CUDA GPU is visible to torch {torch.__version__}")
    on_cpu = accelerator == "cpu" or not torch.cuda.is_available()
    if on_cpu and precision == "16-mixed":
        raise DigitfusionError("--precision 16-mixed", "needs a GPU (on CPU use bf16-mixed or 32-true)")
    if args.devices < 1:
        raise DigitfusionError(f"--devices {args.devices}", "must be at least 1")
    if args.logger == "tensorboard" and not any(importlib.util.find_spec(m) for m in ("tensorboard", "tensorboardX")):
        raise DigitfusionError("--logger tensorboard", "tensorboard is not installed (pip install tensorboard)")
    return {"accelerator": accelerator, "devices": args.devices, "precision": precision, "logger": args.logger}
