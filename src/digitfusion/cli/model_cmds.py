"""`export` (run -> ONNX model folder) and `predict` (user files -> JSON), the second without torch."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from digitfusion.cli.common import add_data_option
from digitfusion.errors import DigitfusionError
from digitfusion.models.registry import MODALITIES, LazyChoices, default_export, fusion_names

MODEL_HELP = "exported model folder (default: the model shipped in the package)"


def register(commands: argparse._SubParsersAction) -> None:
    from digitfusion.export.runtime import PROVIDERS

    export = commands.add_parser("export", help="export a trained fused model to ONNX (+ card, checksums)")
    export.add_argument("--run", dest="run_dir", default="runs/demo", metavar="DIR",
                        help="pipeline folder (default: runs/demo)")
    export.add_argument("--out", default="model", metavar="DIR", help="model folder to write (default: model/)")
    export.add_argument("--fusion", metavar="NAME", choices=LazyChoices(lambda: fusion_names(trained=True)),
                        help="the trained fusion strategy to export (default: the registry's default export)")
    export.add_argument("--split", default="official", help="split folder of the run (default: official)")
    export.add_argument("--seed", type=int, default=0, help="random seed of the run to export (default: 0)")
    export.add_argument("--pretrained", action="store_true",
                        help="rebuild the model shipped in the package: train its recipe's models into --run "
                             "(current ones, e.g. from `make demo`, are reused), export into "
                             "src/digitfusion/pretrained/ (what `make model` runs)")
    export.add_argument("--detector", action="append", default=[], metavar="MODALITY=DIR",
                        help="an outlier detector to put in the graph: the run folder of a unimodal model (image or "
                             "audio) trained with outlier exposure, used only to flag non-digits; repeatable: "
                             "several runs of one modality are an ensemble, their logits averaged (--pretrained "
                             "takes the recipe's own)")
    add_data_option(export)
    export.set_defaults(run=run_export)

    predict = commands.add_parser("predict", help="recognise a digit from an image, a recording, or both")
    predict.add_argument("--image", metavar="IMG", help="photo or drawing of one digit (default: none)")
    predict.add_argument("--audio", metavar="WAV", help="recording of one spoken digit (default: none)")
    predict.add_argument("--batch", metavar="CSV",
                         help="CSV with `image,audio` columns: one JSON line per row (default: one pair)")
    predict.add_argument("--model", metavar="DIR", help=MODEL_HELP)
    predict.add_argument("--provider", choices=PROVIDERS, default="auto",
                         help="onnxruntime device: auto = CUDA when onnxruntime-gpu is installed, else CPU")
    predict.add_argument("--json", action="store_true", help="print the full JSON answer (default: a summary)")
    predict.add_argument("--profile", metavar="PROFILE",
                         help="a person's profile from `digitfusion enrol` (default: none)")
    predict.set_defaults(run=run_predict)

    check = commands.add_parser("check-inputs", help="accuracy of a model on generated user-like inputs "
                                                     "(font-drawn digits, espeak-ng voices)")
    check.add_argument("--model", metavar="DIR", help=MODEL_HELP)
    check.add_argument("--per-digit", type=int, default=4, help="items per digit and modality")
    check.add_argument("--seed", type=int, default=0, help="seed of the generated fonts, voices and pairs")
    check.set_defaults(run=run_check_inputs)

    app = commands.add_parser("app", help="web app: draw a digit, say it, see both modalities' votes")
    app.add_argument("--model", metavar="DIR", help=MODEL_HELP)
    app.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1: this machine only)")
    app.add_argument("--port", type=int, default=8000, help="TCP port to listen on")
    app.add_argument("--provider", choices=PROVIDERS, default="auto",
                     help="onnxruntime device: auto = CUDA when onnxruntime-gpu is installed, else CPU")
    app.set_defaults(run=run_app)


def run_export(args: argparse.Namespace) -> int:
    import warnings

    from digitfusion.evaluation.abstention import calibrate
    from digitfusion.evaluation.alone import choose_alone
    from digitfusion.export.build import export_model
    from digitfusion.paths import require_data_root

    warnings.filterwarnings("ignore")
    detectors = parse_detectors(args.detector)
    if args.pretrained and detectors:
        raise DigitfusionError("--detector", "the shipped model's detectors come from its recipe (leave it out "
                                             "with --pretrained)")
    root, expected_hash = require_data_root(args.data), None
    if args.pretrained:
        from digitfusion.export.pretrained import PRETRAINED_DIR, RECIPE, recipe_fusion, recipe_hash
        from digitfusion.pipeline.pretrained import detector_dirs, encoder_dirs, train_recipe
        from digitfusion.pipeline.run import setup_logging

        args.out, args.fusion, args.seed = PRETRAINED_DIR, recipe_fusion(), RECIPE["seed"]
        expected_hash = recipe_hash()
        setup_logging()
        args.split = train_recipe(root, Path(args.run_dir), progress=sys.stderr.isatty())
        detectors = detector_dirs(encoder_dirs(Path(args.run_dir), args.split))
    fusion = args.fusion or default_export()
    result = export_model(args.run_dir, args.out, root, split=args.split, seed=args.seed, fusion=fusion,
                          expected_hash=expected_hash, calibrate=calibrate, choose_alone=choose_alone,
                          detectors=detectors)
    print(f"exported {fusion} ({args.split}, seed {args.seed}) -> {args.out}/")
    print(f"parity onnxruntime vs PyTorch, max |logit diff| on {result['pairs']} real test pairs: "
          + ", ".join(f"{k} {v:.1e}" for k, v in result["max_abs_diff"].items()))
    return 0


def parse_detectors(given: list[str]) -> dict[str, list[Path]]:
    """--detector MODALITY=DIR options -> {modality: [run folder of each member]} (checked: known modality, no run
    twice)."""
    detectors: dict[str, list[Path]] = {}
    for item in given:
        modality, sep, folder = item.partition("=")
        if not sep or not folder:
            raise DigitfusionError(f"--detector {item}", "expected MODALITY=DIR, e.g. image=runs/x/seed0/image-cnn")
        if modality not in MODALITIES:
            raise DigitfusionError(f"--detector {item}", f"unknown modality {modality!r} ({' or '.join(MODALITIES)})")
        if Path(folder) in detectors.get(modality, []):
            raise DigitfusionError(f"--detector {item}", f"the same {modality} run twice")
        detectors.setdefault(modality, []).append(Path(folder))
    return detectors


def run_predict(args: argparse.Namespace) -> int:
    """Predict one pair or a batch; user errors are one stderr line each (exit 2), answers go to stdout only.

    Nothing is written but stdout, one complete line per answer. Library warnings (Pillow's EXIF notes,
    numpy casts) and C libraries' own stderr messages (libtiff: "LZWDecode: Not enough data...") are
    silenced so that stderr carries only the errors the contract promises.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _predict(args)


def _predict(args: argparse.Namespace) -> int:
    from digitfusion.export.runtime import ExportedRunner
    from digitfusion.predict import batch_rows, predict_batch, predict_files

    if args.batch and (args.image or args.audio):
        raise DigitfusionError("--batch", "cannot be combined with --image/--audio")
    if not args.batch and not (args.image or args.audio):
        raise DigitfusionError("predict", "give --image, --audio (or both), or --batch CSV")
    rows = batch_rows(args.batch) if args.batch else None
    with _native_stderr_silenced():
        runner = ExportedRunner(args.model, provider=args.provider)
    profile = None
    if args.profile:
        from digitfusion.enrol.apply import load_profile_for

        profile = load_profile_for(args.profile, runner)
    try:
        if rows is None:
            with _native_stderr_silenced():
                result = predict_files(runner, args.image, args.audio, profile)
            _emit(json.dumps(result) if args.json else describe(result))
            return 0
        failed, chunks = 0, predict_batch(runner, rows, profile)
        while True:
            with _native_stderr_silenced():  # the chunk is computed here; its lines are written below
                done = next(chunks, None)
            if done is None:
                return 2 if failed else 0
            for line, image, audio, result in done:
                if isinstance(result, DigitfusionError):
                    failed += 1
                    print(f"digitfusion: error: {args.batch}:{line}: {result}", file=sys.stderr, flush=True)
                else:
                    _emit(json.dumps({"line": line, "image": image, "audio": audio, **result}))
    except BrokenPipeError:  # the reader went away (`| head -1`): stop quietly, as Unix tools do
        _silence_stdout()
        return 141


@contextlib.contextmanager
def _native_stderr_silenced():
    """Point file descriptor 2 at /dev/null for the block: C libraries write their diagnostics there
    directly, bypassing Python. Restored before anything (our error line, a traceback) is reported."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to protect
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _emit(text: str) -> None:
    """One whole answer on stdout, flushed (a reader sees complete lines only)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file descriptor (redirected in-process): nothing to flush
        pass


def run_check_inputs(args: argparse.Namespace) -> int:
    from digitfusion.evaluation.synthetic import score_user_inputs
    from digitfusion.export.pretrained import model_dir
    from digitfusion.export.runtime import ExportedRunner

    result = score_user_inputs(ExportedRunner(model_dir(args.model)), args.per_digit, args.seed)
    n = result["items_per_modality"]
    print(f"generated set: {n} drawn digits, {n} spoken digits (espeak-ng), {n} pairs")
    print(f"image alone {100 * result['image_acc']:.1f} %, audio alone {100 * result['audio_acc']:.1f} %, "
          f"pairs {100 * result['pair_acc']:.1f} %")
    for kind in ("image", "audio"):
        if result[f"{kind}_errors"]:
            print(f"{kind} misses: " + "; ".join(result[f"{kind}_errors"]))
    return 0


def run_app(args: argparse.Namespace) -> int:
    from digitfusion.app.server import serve
    from digitfusion.export.pretrained import model_dir

    print(f"digitfusion app on http://{args.host}:{args.port}/ (model {model_dir(args.model)}/); Ctrl-C to stop")
    serve(args.model, args.host, args.port, provider=args.provider)
    return 0


def describe(result: dict) -> str:
    parts = [f"digit {result['digit']} (confidence {result['confidence']:.3f}, {result['strategy']} fusion)"]
    if result.get("status") and result["status"] != "ok":
        parts[0] = f"{result['status']}: {result['reason']}; best guess {parts[0]}"
    if result.get("disagreement"):
        d = result["disagreement"]
        parts.append(f"  the image says {d['image']}, the audio says {d['audio']}; trusting the {d['trusted']}")
    for name, modality in result["modalities"].items():
        if modality:
            parts.append(f"  {name}: {modality['digit']} ({modality['confidence']:.3f}), "
                         f"weight {result['weights'][name]:.2f}")
        else:
            parts.append(f"  {name}: absent")
    if result.get("profile"):
        examples = ", ".join(f"{n} {m}" for m, n in result["profile"]["examples"].items() if n)
        parts.append(f"  profile: {result['profile']['name']} ({examples} examples)")
    return "\n".join(parts)
