"""The strategy users get, scored over the shipped model's own encoders (issue 14, point 4), on VALIDATION only.

The outside protocol's choice (docs/results.md, "The strategy users get, chosen on validation") scored the fusion
study, whose audio encoder is the log-mel CNN. The shipped model fuses the head over the pretrained speech embedding
(export/pretrained.RECIPE). Given trained concat runs of that recipe (the shipped one, or the outside protocol's
from bench/outside_shipped.py), this script trains each other intermediate fusion on the same split, corpora and
seed (`digitfusion train` reuses the encoders by config hash) and scores every one on that split's validation pairs
under what users face (evaluation/evaluate.USER_CONDITIONS), with evaluation/selection.py's rule: the best mean over
the conditions and the runs given. Early fusion reads the log-mel pair itself (no encoders to share) and the late
rules are not exportable: neither is scored. The test side is not read.

    python bench/strategy_shipped.py --fused runs/shipped/seed0/official/concat --out runs/strategy-shipped
    python bench/strategy_shipped.py --fused runs/outsideE0/seed0/leave-corpus-out-speech-commands+optdigits/concat \
        --fused ... --out runs/strategy-outside                            # ~8 min of training a run
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from outside_shipped import run_commands, train_command

from digitfusion.atomic import write_text
from digitfusion.data.bundle import load_bundle
from digitfusion.evaluation.evaluate import USER_CONDITIONS, validation_table
from digitfusion.evaluation.selection import choose_strategy, validation_means
from digitfusion.features.pca import PCAImages
from digitfusion.models.registry import fusions
from digitfusion.paths import require_data_root
from digitfusion.training.checkpoint import load_run
from digitfusion.training.config import TrainConfig, front_end_params


def strategies() -> list[str]:
    return [spec.name for spec in fusions(family="intermediate")]


def scores(root: Path, fused: Path) -> dict:
    """{condition: {strategy: scores}} on the validation pairs of `fused`'s split, every intermediate fusion beside
    it over the same encoders (the fused config's init_from)."""
    config = TrainConfig.load(fused / "config.json")
    audio, audio_config = load_run(Path(config.init_from["audio"]))
    bundle = load_bundle(root, config.protocol, config.holdout, config.seed,
                         params=front_end_params(audio_config.features), corpora=config.corpus, images=config.images)
    # the unimodal rows' keys (evaluation/strategies.py): "audio-cnn" is the audio model, here the recipe's
    models = {"image-cnn": load_run(Path(config.init_from["image"]))[0], "audio-cnn": audio}
    models.update({name: load_run(fused.parent / name)[0] for name in strategies()})
    pca = PCAImages().fit(bundle["train"].images)
    return validation_table(models, {}, bundle, config.seed, pca, None)


def markdown(entries: list[dict]) -> str:
    table = validation_means(entries)
    chosen = choose_strategy(entries)
    conditions = [c.name for c in USER_CONDITIONS]
    lines = ["| strategy | " + " | ".join(conditions) + " | mean |", "|---" * (len(conditions) + 2) + "|"]
    for name, row in table.items():
        label = f"**{name}**" if name == chosen else name
        lines.append(f"| {label} | " + " | ".join(f"{100 * row[c]:.2f}" for c in conditions)
                     + f" | {100 * row['mean']:.2f} |")
    return "\n".join(lines) + f"\n\nmean of {len(entries)} run(s); chosen: {chosen}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fused", type=Path, action="append", help="a trained concat run of the recipe (repeatable; "
                        "default: runs/shipped/seed0/official/concat)")
    parser.add_argument("--out", type=Path, default=Path("runs/strategy-shipped"), help="folder for the tables")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    root = require_data_root(args.data)
    entries = []
    for fused in args.fused or [Path("runs/shipped/seed0/official/concat")]:
        config = TrainConfig.load(fused / "config.json")
        absent = [name for name in strategies()  # `train` would train a present one again
                  if not (fused.parent / name / "summary.json").is_file()]
        run_commands([train_command(name, config.encoders, config.protocol, config.holdout, config.corpus,
                                    config.images, config.seed, fused.parents[2]) for name in absent])
        results = scores(root, fused)
        write_text(args.out / f"{fused.parent.name}-seed{config.seed}.json", json.dumps(results, indent=1) + "\n")
        entries.append({"results": {"validation": results}})
        print(fused, "\n" + markdown(entries[-1:]), flush=True)
    text = markdown(entries)
    write_text(args.out / "table.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
