"""The strategy users get, scored over the shipped model's own encoders (issue 14, point 4), on VALIDATION only.

The outside protocol's choice (docs/results.md, "The strategy users get, chosen on validation") scored the fusion
study, whose audio encoder is the log-mel CNN. The shipped model fuses the head over the pretrained speech embedding
(export/pretrained.RECIPE). This script trains each intermediate fusion over the recipe's encoders, on the recipe's
own split and corpora (official, every corpus, seed 0; `digitfusion train` reuses the encoders by config hash),
and scores it on the validation pairs under what users face (evaluation/evaluate.USER_CONDITIONS), with
evaluation/selection.py's rule: the best mean over the conditions. Early fusion reads the log-mel pair itself (no
encoders to share) and the late rules are not exportable: neither is scored. The test side is not read.

    python bench/strategy_shipped.py --run runs/shipped --out runs/strategy-shipped.md      # ~3 min a fusion
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

from digitfusion.atomic import write_text
from digitfusion.data.bundle import load_bundle
from digitfusion.evaluation.evaluate import USER_CONDITIONS, validation_table
from digitfusion.evaluation.selection import choose_strategy, validation_means
from digitfusion.export.pretrained import RECIPE, recipe_encoders
from digitfusion.features.pca import PCAImages
from digitfusion.models.registry import DEFAULT_ENCODERS, fusions
from digitfusion.paths import require_data_root
from digitfusion.training.checkpoint import load_run
from digitfusion.training.config import front_end_params


def strategies() -> list[str]:
    return [spec.name for spec in fusions(family="intermediate")]


def train_command(name: str, run: Path) -> list[str]:
    """The recipe's fusion command with another strategy (outside_shipped.py's, on the official split)."""
    encoders = [arg for modality, encoder in recipe_encoders().items() if encoder != DEFAULT_ENCODERS[modality]
                for arg in (f"--{modality}-encoder", encoder)]
    return ["digitfusion", "train", "--model", name, *encoders, "--split", RECIPE["protocol"], "--corpus",
            ",".join(RECIPE["corpora"]), "--images", ",".join(RECIPE["images"]), "--seed", str(RECIPE["seed"]),
            "--size", RECIPE["size"], "--out", str(run)]


def scores(root: Path, run: Path) -> dict:
    """{condition: {strategy: scores}} on the validation pairs, every fusion over the recipe's encoders."""
    folder = run / f"seed{RECIPE['seed']}" / RECIPE["protocol"]
    encoders = recipe_encoders()
    audio, audio_config = load_run(folder / encoders["audio"])
    bundle = load_bundle(root, RECIPE["protocol"], RECIPE["holdout"], RECIPE["seed"],
                         params=front_end_params(audio_config.features), corpora=RECIPE["corpora"],
                         images=RECIPE["images"])
    # the unimodal rows' keys (evaluation/strategies.py): "audio-cnn" is the audio model, here the recipe's
    models = {"image-cnn": load_run(run / f"seed{RECIPE['seed']}" / encoders["image"])[0], "audio-cnn": audio}
    models.update({name: load_run(folder / name)[0] for name in strategies()})
    pca = PCAImages().fit(bundle["train"].images)
    return validation_table(models, {}, bundle, RECIPE["seed"], pca, None)


def markdown(results: dict) -> str:
    table = validation_means([{"results": {"validation": results}}])
    chosen = choose_strategy([{"results": {"validation": results}}])
    conditions = [c.name for c in USER_CONDITIONS]
    lines = ["| strategy | " + " | ".join(conditions) + " | mean |", "|---" * (len(conditions) + 2) + "|"]
    for name, row in table.items():
        label = f"**{name}**" if name == chosen else name
        lines.append(f"| {label} | " + " | ".join(f"{100 * row[c]:.2f}" for c in conditions)
                     + f" | {100 * row['mean']:.2f} |")
    return "\n".join(lines) + f"\n\nchosen: {chosen}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("runs/shipped"), help="the recipe's run folder")
    parser.add_argument("--out", type=Path, default=Path("runs/strategy-shipped.md"))
    parser.add_argument("--data", default=None)
    parser.add_argument("--skip-training", action="store_true", help="score the fusions already trained")
    args = parser.parse_args()
    root = require_data_root(args.data)
    if not args.skip_training:
        for name in strategies():
            command = train_command(name, args.run)
            print("$", shlex.join(command), flush=True)
            subprocess.run(command, check=True)
    results = scores(root, args.run)
    text = markdown(results)
    write_text(args.out, text)
    write_text(args.out.with_suffix(".json"), json.dumps(results, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
