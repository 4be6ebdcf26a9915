"""Options shared by several sub-commands."""

from __future__ import annotations

import argparse

from digitfusion.data.splits import PROTOCOLS


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", help="data root (default: $DIGITFUSION_DATA, ./data, ../shared/data)")


def add_split_options(parser: argparse.ArgumentParser, flag: str = "--split") -> None:
    """Split protocol, holdout, seed, corpora and image sources. `--corpus`/`--images` are comma lists
    checked by `split_settings` (a bad name is a one-line error listing the known ones, exit 2)."""
    parser.add_argument(flag, dest="protocol", default="official", metavar="PROTOCOL",
                        help=f"audio split protocol: {', '.join(PROTOCOLS)} (default: official)")
    parser.add_argument("--holdout", metavar="NAME",
                        help="test speaker (speaker), fold index (speaker-kfold:K) or corpus (leave-corpus-out)")
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
