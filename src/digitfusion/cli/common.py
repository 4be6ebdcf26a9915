"""Options shared by several sub-commands."""

from __future__ import annotations

import argparse

from digitfusion.data.splits import STRATEGIES


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="data root (default: $DIGITFUSION_DATA, ./data, ../shared/data)")


def add_split_options(parser: argparse.ArgumentParser, flag: str = "--strategy") -> None:
    """Split protocol options. `train` names the protocol --split (its --strategy is Lightning's)."""
    parser.add_argument(flag, dest="split_strategy", choices=STRATEGIES, default="official",
                        help="audio split protocol")
    parser.add_argument("--holdout", metavar="SPEAKER", help="test speaker of the speaker split")
    parser.add_argument("--seed", type=int, default=0, help="seed for splits, pairs and training")
    parser.add_argument("--corpus", choices=("fsdd", "audiomnist"), default="fsdd", help="audio corpus")
