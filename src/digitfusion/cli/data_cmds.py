"""`data fetch|verify|stats`, `split`, `features`, `show`: getting and looking at the data."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from digitfusion.cli.common import add_data_option, add_split_options
from digitfusion.paths import DEFAULT_DOWNLOAD_DIR, require_data_root, runs_dir


def register(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser("data", help="fetch, verify and describe the data")
    actions = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    fetch = actions.add_parser("fetch", help="download MNIST and FSDD (md5 checked) into the data root")
    fetch.add_argument("--data", metavar="DIR", help=f"where to download (default: {DEFAULT_DOWNLOAD_DIR})")
    fetch.set_defaults(run=run_fetch)
    verify = actions.add_parser("verify", help="report what is present, counts and checksums")
    add_data_option(verify)
    verify.set_defaults(run=run_verify)
    stats = actions.add_parser("stats", help="digits per side and speakers per side of a split")
    add_data_option(stats)
    add_split_options(stats)
    stats.set_defaults(run=run_stats)

    split = commands.add_parser("split", help="write train/val/test CSVs of an audio split")
    add_data_option(split)
    add_split_options(split)
    split.add_argument("--out", metavar="DIR", help="output folder (default: runs/splits/NAME)")
    split.set_defaults(run=run_split)

    features = commands.add_parser("features", help="compute (or read from cache) the log-mel of every recording")
    add_data_option(features)
    features.add_argument("--corpus", choices=("fsdd", "audiomnist"), default="fsdd", help="audio corpus")
    features.add_argument("--force", action="store_true", help="recompute even if cached")
    features.set_defaults(run=run_features)

    show = commands.add_parser("show", help="draw the waveform and log-mel spectrogram of a wav file")
    show.add_argument("file", help="audio file")
    show.add_argument("--out", metavar="PNG", help="write the figure here (default: FILE-stem.png in runs/show/)")
    show.set_defaults(run=run_show)


def run_fetch(args: argparse.Namespace) -> int:
    from digitfusion.data.download import fetch, format_verify, verify

    root = Path(args.data) if args.data else DEFAULT_DOWNLOAD_DIR
    fetch(root)
    print(format_verify(verify(root)))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from digitfusion.data.download import all_ok, format_verify, verify

    root = require_data_root(args.data)
    print(f"data root: {root}")
    rows = verify(root)
    print(format_verify(rows))
    return 0 if all_ok(rows) else 1


def _split(args: argparse.Namespace):
    from digitfusion.data.fsdd import list_recordings
    from digitfusion.data.splits import make_split

    root = require_data_root(args.data)
    return make_split(list_recordings(root, args.corpus), args.split_strategy, holdout=args.holdout, seed=args.seed)


def run_split(args: argparse.Namespace) -> int:
    from digitfusion.data.splits import speaker_table, write_split

    split = _split(args)
    out = write_split(split, args.out or runs_dir() / "splits" / split.name)
    print(f"{split.name}: train {len(split.train)}, val {len(split.val)}, test {len(split.test)} -> {out}")
    print(speaker_table(split))
    if split.strategy == "random":
        print("warning: every speaker is on both sides of a random split: its test score is speaker-dependent")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from digitfusion.data.splits import speaker_table

    split = _split(args)
    sides = {"train": split.train + split.val, "test": split.test, "all": split.train + split.val + split.test}
    print(f"split {split.name} (train includes validation)")
    for name, recs in sides.items():
        counts = Counter(r.digit for r in recs)
        print(f"\n{name} set: {len(recs)} recordings\n{'label':>5} {'count':>6} {'proportion':>11}")
        for digit, count in counts.most_common():
            print(f"{digit:>5} {count:>6} {count / len(recs):>11.4f}")
    print("\n" + speaker_table(split))
    return 0


def run_features(args: argparse.Namespace) -> int:
    from digitfusion.data.fsdd import list_recordings
    from digitfusion.features.cache import load_features

    root = require_data_root(args.data)
    paths = [r.path for r in list_recordings(root, args.corpus)]
    start = time.perf_counter()
    feats = load_features(root, paths, force=args.force)
    seconds = time.perf_counter() - start
    source = "read from cache" if feats.from_cache else "computed and cached"
    print(f"{len(paths)} recordings: log-mel {tuple(feats.logmel.shape)} {source} in {seconds:.2f} s")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import soundfile as sf
    import torch

    from digitfusion.data.audio_io import load_audio
    from digitfusion.features.audio import LogMel
    from digitfusion.features.mel import LogMelParams, prepare_waveform
    from digitfusion.report.plots import audio_figure, save

    path = Path(args.file)
    wave = load_audio(path)
    params = LogMelParams()
    whole = LogMel(params)(torch.from_numpy(wave)[None])[0, 0].numpy()
    model_input = prepare_waveform(wave, params)
    out = Path(args.out) if args.out else runs_dir() / "show" / f"{path.stem}.png"
    save(audio_figure(wave, params.sample_rate, whole, path.name), out)
    info = sf.info(str(path))
    print(f"File: {path}\nSample rate: {info.samplerate} Hz (decoded at {params.sample_rate} Hz), "
          f"channels: {info.channels}\nSamples: {len(wave)} at {params.sample_rate} Hz\n"
          f"Duration: {len(wave) / params.sample_rate:.2f} s\nLog-mel (whole file): {tuple(whole.shape)}\n"
          f"Model input: [1, {params.n_mels}, {params.n_frames}] from a {len(model_input)}-sample clip\n"
          f"Figure: {out}")
    return 0

