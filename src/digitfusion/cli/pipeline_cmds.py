"""`demo` (train + evaluate + report) and `evaluate` (score the trained models again, write tables)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from digitfusion.cli.common import add_data_option, add_device_options, device_settings
from digitfusion.paths import require_data_root, runs_dir


def register(commands: argparse._SubParsersAction) -> None:
    from digitfusion.pipeline.configs import CONFIGS

    demo = commands.add_parser("demo", help="the whole pipeline: models, every fusion strategy, evaluation, report")
    evaluate = commands.add_parser("evaluate", help="evaluate the trained models of a pipeline folder, "
                                                    "write tables and figures")
    for parser, run in ((demo, run_demo), (evaluate, run_evaluate)):
        add_data_option(parser)
        parser.add_argument("--config", "--protocol", dest="config", choices=sorted(CONFIGS), default="demo",
                            help="pipeline size: tiny (tests), demo (minutes), full (6 folds x 3 seeds)")
        parser.add_argument("--out", metavar="DIR", help="pipeline folder (default: runs/CONFIG)")
        parser.set_defaults(run=run)
    unimodal = commands.add_parser("unimodal", help="unimodal results table over seeds and splits "
                                                    "+ augmentation ablation on validation")
    add_data_option(unimodal)
    unimodal.add_argument("--config", choices=("tiny", "full"), default="full", help="table size: tiny (tests) or full")
    unimodal.add_argument("--out", metavar="DIR", help="folder (default: runs/unimodal-CONFIG)")
    unimodal.add_argument("--available-only", action="store_true",
                          help="train nothing: the table from the runs already in the folder")
    unimodal.set_defaults(run=run_unimodal_cmd)
    for parser in (demo, unimodal):
        add_device_options(parser)
    demo.add_argument("--force", action="store_true", help="retrain every model even if a current one exists")
    demo.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                      help="per-epoch progress bars (default: when the terminal is interactive)")


def _out(args: argparse.Namespace) -> Path:
    return Path(args.out) if args.out else runs_dir() / args.config


def run_demo(args: argparse.Namespace) -> int:
    from digitfusion.pipeline.run import run_pipeline

    root = require_data_root(args.data)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    summary = run_pipeline(args.config, root, _out(args), force=args.force, progress=progress,
                           command=shlex.join(["digitfusion", *sys.argv[1:]]), hardware=device_settings(args))
    print_summary(summary, _out(args))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from digitfusion.pipeline.run import run_pipeline

    root = require_data_root(args.data)
    summary = run_pipeline(args.config, root, _out(args), command=shlex.join(["digitfusion", *sys.argv[1:]]),
                           train=False)
    print_summary(summary, _out(args))
    return 0


def run_unimodal_cmd(args: argparse.Namespace) -> int:
    from digitfusion.pipeline.unimodal import run_unimodal

    root = require_data_root(args.data)
    out = Path(args.out) if args.out else runs_dir() / f"unimodal-{args.config}"
    print(run_unimodal(args.config, root, out, command=shlex.join(["digitfusion", *sys.argv[1:]]),
                       available_only=args.available_only, hardware=device_settings(args)))
    print(f"table: {out / 'results.md'}")
    return 0


def print_summary(summary: dict, out: Path) -> None:
    for group, table in summary.items():
        print(f"\n## {group}\n\n{table}")
    print(f"\nreport: {out / 'report.html'} (and report.md)")
