"""The models the enrolment bench measures on voices they never heard: the audio CNN of each FSDD
leave-one-speaker-out fold, trained with the pipeline's own functions (the demo's audio settings, fewer epochs:
the bench has to fit on a shared 2-core machine) and reused when current (runs/enrol/seed0/speaker-S/audio-cnn).

    nice -n 10 python bench/enrol_models.py --out runs/enrol --epochs 4 --skip george > runs/enrol.log 2>&1 &

`--people`: the folds of the shipped model's recipe instead (issue 14's FSDD leave-one-speaker-out with every
other corpus in training: `speaker:fsdd.*`, the `people` size, every corpus of data/mixtures.py); each fold's
held-out speaker is then scored once (audio alone, every take) into OUT/loso.json.

    OMP_NUM_THREADS=1 python bench/enrol_models.py --people --out runs/loso-people
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from digitfusion.data.bundle import load_bundle
from digitfusion.data.mixtures import PEOPLE_CORPORA, PEOPLE_IMAGES
from digitfusion.evaluation.items import accuracy_by
from digitfusion.evaluation.strategies import unimodal_logits
from digitfusion.pipeline.train_all import ensure_run, expand_protocols, protocol_parts
from digitfusion.training.recipe import resolve

DEFAULT_EPOCHS = 4


def audio_config(protocol: str, epochs: int, seed: int = 0):
    name, holdout = protocol_parts(protocol)
    return resolve("audio-cnn", name, seed, "demo", holdout=holdout, overrides={"epochs": epochs})


def train_fold(out: Path, root: Path, protocol: str, epochs: int, seed: int = 0, train: bool = True) -> Path:
    """The audio CNN of one fold -> its run folder (trained unless current; with train=False, refused)."""
    strategy, holdout = protocol_parts(protocol)
    bundle = load_bundle(root, strategy, holdout, seed)
    run_dir = out / f"seed{seed}" / bundle.split.name / "audio-cnn"
    ensure_run(audio_config(protocol, epochs, seed), root, run_dir, bundle, False, False, train)
    return run_dir


def train_official(out: Path, root: Path, epochs: int, seed: int = 0) -> Path:
    """The official split's audio CNN and attention fusion (the demo's fusion settings) over the image CNN
    (the demo's, reused when out/seed0/image-cnn is current): the model the no-harm check exports."""
    bundle = load_bundle(root, "official", None, seed)
    folder = out / f"seed{seed}"
    ensure_run(resolve("image-cnn", "official", seed, "demo"), root, folder / "image-cnn", bundle, False, False)
    audio_dir = folder / "official" / "audio-cnn"
    ensure_run(audio_config("official", epochs, seed), root, audio_dir, bundle, False, False)
    init = {"image": folder / "image-cnn", "audio": audio_dir}
    fused = resolve("attention", "official", seed, "demo", init_dirs=init)
    ensure_run(fused, root, folder / "official" / "attention", bundle, False, False)
    return out


def fold_protocols(root: Path) -> list[str]:
    return expand_protocols(["speaker:*"], root)


def train_people_fold(out: Path, root: Path, protocol: str, seed: int = 0, encoder: str = "audio-cnn") -> dict:
    """One `speaker:fsdd.S` fold of the shipped recipe: trained unless current, its held-out speaker scored."""
    from digitfusion.training.checkpoint import load_run
    from digitfusion.training.config import front_end_params

    strategy, holdout = protocol_parts(protocol)
    config = resolve(encoder, strategy, seed, "people", PEOPLE_CORPORA, PEOPLE_IMAGES, holdout)
    bundle = load_bundle(root, strategy, holdout, seed, params=front_end_params(config.features),
                         corpora=PEOPLE_CORPORA, images=PEOPLE_IMAGES)
    run_dir = out / f"seed{seed}" / bundle.split.name / encoder
    ensure_run(config, root, run_dir, bundle, False, False)
    test = bundle["test"]
    correct = unimodal_logits(load_run(run_dir)[0], "audio", test.audio).argmax(1) == test.audio_labels
    return {"speaker": holdout, **accuracy_by(["all"] * len(correct), correct)["all"]}


def main() -> int:
    from digitfusion.paths import require_data_root

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="runs/enrol")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--skip", nargs="*", default=[], metavar="SPEAKER",
                        help="folds not to train (e.g. george: the demo's own speaker fold is copied instead)")
    parser.add_argument("--official", action="store_true", help="train the official split's models instead")
    parser.add_argument("--people", action="store_true", help="the shipped recipe's speaker:fsdd.* folds instead")
    parser.add_argument("--audio-encoder", default="audio-cnn", help="--people: the audio model of each fold")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(message)s", datefmt="%H:%M:%S")
    root = require_data_root(None)
    if args.people:
        out = Path(args.out)
        protocols = expand_protocols(["speaker:fsdd.*"], root, PEOPLE_CORPORA)
        folds = [train_people_fold(out, root, p, encoder=args.audio_encoder) for p in protocols
                 if protocol_parts(p)[1].removeprefix("fsdd.") not in args.skip]
        mean = sum(f["acc"] for f in folds) / len(folds)
        (out / "loso.json").write_text(json.dumps({"folds": folds, "mean": mean}, indent=1) + "\n")
        logging.info("FSDD leave-one-speaker-out, every other corpus in training: mean %.2f %% over %d folds (%s)",
                     100 * mean, len(folds), ", ".join(f"{f['speaker']} {100 * f['acc']:.1f}" for f in folds))
        return 0
    if args.official:
        train_official(Path(args.out), root, args.epochs)
        return 0
    for protocol in [p for p in fold_protocols(root) if protocol_parts(p)[1] not in args.skip]:
        logging.info("protocol %s", protocol)
        train_fold(Path(args.out), root, protocol, args.epochs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
