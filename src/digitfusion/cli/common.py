"""Options shared by several sub-commands."""

from __future__ import annotations

import argparse

from digitfusion.data.splits import STRATEGIES


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="data root (default: $DIGITFUSION_DATA, ./data, ../shared/data)")


def comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_split_options(parser: argparse.ArgumentParser) -> None:
    """The split protocol and what it is made of (`--split`; Lightning's strategy is `--lightning-strategy`)."""
    parser.add_argument("--split", choices=STRATEGIES, default="official", help="split protocol (default: official)")
    parser.add_argument("--holdout", metavar="NAME", help="held-out speaker (speaker split) or corpus "
                                                          "(leave-corpus-out)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for splits, pairs and training (default: 0)")
    parser.add_argument("--corpus", type=comma_list, default=["fsdd"], metavar="NAMES",
                        help="speech corpora, comma-separated (default: fsdd)")
    parser.add_argument("--images", type=comma_list, default=["mnist"], metavar="NAMES",
                        help="image sources, comma-separated (default: mnist)")
