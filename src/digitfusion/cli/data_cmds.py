"""`data fetch|verify|stats`, `split`, `features`, `show`: getting and looking at the data."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from digitfusion.cli.common import add_data_option, add_split_options, split_settings
from digitfusion.paths import DEFAULT_DOWNLOAD_DIR, require_data_root, runs_dir


def register(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser("data", help="fetch, verify and describe the data")
    actions = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    fetch = actions.add_parser("fetch", help="download corpora and image sources (checksummed) into the data root")
    fetch.add_argument("--data", metavar="DIR", help=f"where to download (default: {DEFAULT_DOWNLOAD_DIR})")
    fetch.add_argument("--corpus", default="mnist,fsdd", metavar="NAMES",
                       help="corpora and image sources to fetch, comma-separated (default: mnist,fsdd)")
    fetch.set_defaults(run=run_fetch)
    verify = actions.add_parser("verify", help="list every corpus and image source present, with counts")
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
    features.add_argument("--corpus", default="fsdd", metavar="NAMES", help="speech corpora, comma-separated")
    features.add_argument("--force", action="store_true", help="recompute even if cached")
    features.set_defaults(run=run_features)

    show = commands.add_parser("show", help="draw the waveform and log-mel spectrogram of a wav file")
    show.add_argument("file", help="audio file")
    show.add_argument("--out", metavar="PNG", help="write the figure here (default: FILE-stem.png in runs/show/)")
    show.set_defaults(run=run_show)


def _names(text: str) -> list[str]:
    from digitfusion.data.catalog import known_names
    from digitfusion.errors import DigitfusionError

    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in known_names() and not name.startswith("folder:"):
            raise DigitfusionError(name, f"unknown corpus or image source (choose from {', '.join(known_names())})")
    return names


def run_fetch(args: argparse.Namespace) -> int:
    from digitfusion.data.catalog import fetch, format_rows, verify

    names = _names(args.corpus)
    root = Path(args.data) if args.data else DEFAULT_DOWNLOAD_DIR
    fetch(root, names)
    print(format_rows(verify(root, names)))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from digitfusion.data.catalog import all_ok, format_rows, verify

    root = require_data_root(args.data)
    start = time.perf_counter()
    rows = verify(root)
    print(f"data root: {root}\n{format_rows(rows)}\nverified in {time.perf_counter() - start:.1f} s")
    return 0 if all_ok(rows) else 1


def _split(args: argparse.Namespace):
    from digitfusion.data.corpora import list_recordings
    from digitfusion.data.splits import make_split

    settings = split_settings(args)
    root = require_data_root(args.data)
    recordings = list_recordings(root, settings["corpora"])
    return make_split(recordings, settings["protocol"], holdout=settings["holdout"], seed=settings["seed"])


def run_split(args: argparse.Namespace) -> int:
    from digitfusion.data.splits import speaker_table, write_split

    split = _split(args)
    out = write_split(split, args.out or runs_dir() / "splits" / split.name)
    print(f"{split.name}: train {len(split.train)}, val {len(split.val)}, test {len(split.test)} -> {out}")
    for side, counts in split.corpora().items():
        print(f"  {side}: " + (", ".join(f"{n} {c}" for c, n in counts.items()) or "empty"))
    print(speaker_table(split))
    if split.protocol == "random":
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
    from digitfusion.data.clips import CorpusClips
    from digitfusion.data.corpora import list_recordings, parse_corpora
    from digitfusion.features.cache import load_features

    corpora = parse_corpora(args.corpus)
    root = require_data_root(args.data)
    recordings = list_recordings(root, corpora)
    start = time.perf_counter()
    feats = load_features(root, recordings, force=args.force, source=CorpusClips(root))
    seconds = time.perf_counter() - start
    source = "read from cache" if feats.from_cache else "computed and cached"
    print(f"{len(recordings)} recordings: log-mel {tuple(feats.logmel.shape)} {source} in {seconds:.2f} s")
    return 0


def run_show(args: argparse.Namespace) -> int:
    import soundfile as sf
    import torch

    from digitfusion.audio_io import load_audio
    from digitfusion.features.audio import LogMel
    from digitfusion.features.mel import LogMelParams, prepare_waveform
    from digitfusion.plots import audio_figure, save

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

