"""The outside protocol with the shipped model's own recipe, measured through `digitfusion predict`.

`digitfusion demo --config outside` trains the fusion study (every strategy over the log-mel audio CNN); the shipped
model fuses other encoders (export/pretrained.RECIPE: the head over the pretrained speech embedding). This script
trains that recipe's fusion with each outside speech corpus held out together with the optdigits writers, exports it,
and reads the held-out side once through `predict` (bench/bench_predict_path.py), for each seed:

    python bench/outside_shipped.py --seeds 0,1,2 --out runs/outside-shipped     # ~15 min per corpus and seed
    python bench/outside_shipped.py --dry-run                                   # the commands only

The encoders already trained with the same config are reused (`digitfusion train` checks their config hash);
the fusion is trained again, as `train` always does for the model it is asked for.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from digitfusion.data.mixtures import OUTSIDE_VOICES, OUTSIDE_WRITERS, PEOPLE_CORPORA, PEOPLE_IMAGES
from digitfusion.export.pretrained import RECIPE, recipe_encoders, recipe_fusion
from digitfusion.models.registry import DEFAULT_ENCODERS

SHORT = {"speech-commands": "sc", "accented-numbers": "accented", "outside-voices": "voices"}


def train_command(model: str, encoders: dict[str, str], protocol: str, holdout: str | None, corpora, images,
                  seed: int, out: Path) -> list[str]:
    """`digitfusion train` of one fusion at the recipe's size over `encoders` ({modality: name}; the registry's
    defaults need no option)."""
    options = [arg for modality, name in encoders.items() if name != DEFAULT_ENCODERS[modality]
               for arg in (f"--{modality}-encoder", name)]
    return ["digitfusion", "train", "--model", model, *options, "--split", protocol,
            *(["--holdout", holdout] if holdout else []), "--corpus", ",".join(corpora), "--images", ",".join(images),
            "--seed", str(seed), "--size", RECIPE["size"], "--out", str(out)]


def run_commands(commands: list[list[str]], dry_run: bool = False) -> None:
    """Each command printed, then run (stopping at the first failure) unless `dry_run`."""
    for command in commands:
        print("$", shlex.join(command), flush=True)
        if not dry_run:
            subprocess.run(command, check=True)


def commands(corpus: str, seed: int, out: Path) -> list[list[str]]:
    """Train, export and measure one held-out corpus at one seed (the recipe's size, fusion and encoders)."""
    holdout, fusion = f"{corpus}+{OUTSIDE_WRITERS}", recipe_fusion()
    folder, short = out / f"seed{seed}", SHORT.get(corpus, corpus)
    data = ["--corpus", ",".join(PEOPLE_CORPORA), "--images", ",".join(PEOPLE_IMAGES), "--seed", str(seed)]
    model = folder / f"model-{short}"
    return [
        train_command(fusion, recipe_encoders(), "leave-corpus-out", holdout, PEOPLE_CORPORA, PEOPLE_IMAGES, seed,
                      folder),
        ["digitfusion", "export", "--run", str(folder), "--split", f"leave-corpus-out-{holdout}", "--fusion", fusion,
         "--seed", str(seed), "--out", str(model)],
        [sys.executable, "bench/bench_predict_path.py", "--model", str(model), "--protocol",
         f"leave-corpus-out:{holdout}", *data, "--out", str(folder / f"predict-{short}.md")],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default: 0)")
    parser.add_argument("--corpora", default=",".join(OUTSIDE_VOICES), help="outside speech corpora to hold out")
    parser.add_argument("--out", default="runs/outside-shipped")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = parser.parse_args()
    for seed in (int(s) for s in args.seeds.split(",")):
        for corpus in args.corpora.split(","):
            run_commands(commands(corpus, seed, Path(args.out)), args.dry_run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
