"""digitfusion: recognise a digit that is written and spoken at once (image + audio fusion)."""

from __future__ import annotations

import argparse
import sys

from digitfusion import __version__
from digitfusion.errors import EXIT_USER_ERROR, DigitfusionError


def build_parser() -> argparse.ArgumentParser:
    from digitfusion.cli import data_cmds, enrol_cmds, model_cmds, pipeline_cmds, train_cmds

    parser = argparse.ArgumentParser(prog="digitfusion", description=__doc__)
    parser.add_argument("--version", action="version", version=f"digitfusion {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (data_cmds, train_cmds, pipeline_cmds, model_cmds, enrol_cmds):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except DigitfusionError as err:
        print(f"digitfusion: error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("digitfusion: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
