"""digitfusion: recognise a digit that is written and spoken at once (image + audio fusion)."""

from __future__ import annotations

import argparse
import sys

from digitfusion import __version__
from digitfusion.cli.help import HelpFormatter, finish
from digitfusion.errors import EXIT_USER_ERROR, DigitfusionError

# What `pip install "digitfusion[train]"` adds to the base (inference) install.
TRAIN_PACKAGES = ("torch", "lightning", "torchmetrics", "safetensors", "matplotlib", "onnx")


def build_parser() -> argparse.ArgumentParser:
    from digitfusion.cli import data_cmds, model_cmds, pipeline_cmds, train_cmds

    parser = argparse.ArgumentParser(prog="digitfusion", description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"digitfusion {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (data_cmds, train_cmds, pipeline_cmds, model_cmds):
        module.register(commands)
    finish(parser)
    return parser


def missing_train_extra(err: ModuleNotFoundError, command: str) -> DigitfusionError | None:
    """A training package absent (the base install is inference only) -> the one line saying how to add it."""
    if (err.name or "").split(".")[0] not in TRAIN_PACKAGES:
        return None
    return DigitfusionError(command, f"needs the training packages ({err.name} is not installed): "
                                     "pip install 'digitfusion[train]'")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((word for word in argv if not word.startswith("-")), "digitfusion")
    try:
        # Parsing can need the training packages too: `train --model`'s choices come from the fusion registry.
        args = build_parser().parse_args(argv)
        return int(args.run(args) or 0)
    except DigitfusionError as err:
        print(f"digitfusion: error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ModuleNotFoundError as err:
        user_error = missing_train_extra(err, command)
        if user_error is None:
            raise
        print(f"digitfusion: error: {user_error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("digitfusion: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
