"""`enrol`: a person's examples of each digit -> a profile file that `predict --profile` and the app use."""

from __future__ import annotations

import argparse

from digitfusion.cli import model_cmds


def register(commands: argparse._SubParsersAction) -> None:
    from digitfusion.export.runtime import PROVIDERS

    enrol = commands.add_parser("enrol", help="teach the model one person's voice and writing: examples -> profile")
    source = enrol.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", metavar="FILE",
                        help="CSV with `image,audio,label` columns (either path may be empty; paths relative to "
                             "the CSV's folder; default: none, give it or --audio-dir)")
    source.add_argument("--audio-dir", metavar="DIR",
                        help="folder of `{digit}*.wav` recordings, e.g. 3_take1.wav (default: none, give it or --csv)")
    enrol.add_argument("--out", required=True, metavar="PROFILE",
                       help="profile file to write, JSON of a few kB (required, no default)")
    enrol.add_argument("--model", metavar="DIR", help=model_cmds.MODEL_HELP)
    enrol.add_argument("--provider", choices=PROVIDERS, default="auto",
                       help="onnxruntime device: auto = CUDA when onnxruntime-gpu is installed, else CPU")
    enrol.add_argument("--name", help="the person's name stored in the profile (default: the file's stem)")
    enrol.set_defaults(run=run_enrol)


def run_enrol(args: argparse.Namespace) -> int:
    import warnings

    from digitfusion.enrol.build import enrol

    with warnings.catch_warnings(), model_cmds._native_stderr_silenced():
        warnings.simplefilter("ignore")
        profile = enrol(args.model, args.out, csv_path=args.csv, audio_dir=args.audio_dir, name=args.name,
                        provider=args.provider)
    counts = profile.examples
    digits = {m: sorted({int(v) for v in b.labels}) for m, b in profile.banks.items()}
    print(f"profile {profile.name!r} -> {args.out}: " + ", ".join(
        f"{counts[m]} {m} examples (digits {''.join(map(str, digits[m]))})" for m in digits)
        + f"; method {profile.method.name}")
    return 0
