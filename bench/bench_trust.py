"""Which modality a confident disagreement should follow, chosen on validation (issue 18, point 2).

The FSDD/MNIST official validation pairs (seed 0), clean and degraded as the degraded protocol degrades the test
pairs (image from 4 principal components, audio at 0 dB SNR), through an exported model's `decide`. For the pairs
where the two heads disagree, confidently, the share of right answers when the disagreement follows the surer
head (each head's calibrated confidence) against following the head whose digit the fused answer prefers
(what `decision._combine` does); the fused argmax beside them. Then the pairs whose two heads agree and whose fused
answer names another digit (made unsure). Test pairs are not read.

    python bench/bench_trust.py --model src/digitfusion/pretrained
"""

from __future__ import annotations

import argparse

import numpy as np

from digitfusion.decision import calibrated, decide, voicing_correlation
from digitfusion.evaluation.abstention import run_batch
from digitfusion.evaluation.coverage import pair_sets
from digitfusion.export.runtime import ExportedRunner
from digitfusion.paths import require_data_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="exported model folder (default: the shipped one)")
    args = parser.parse_args()
    runner = ExportedRunner(args.model)
    cal = runner.preprocessing["abstention"]
    conditions = pair_sets(require_data_root(None), "official", 0, side="val")
    outvoted = {}
    print("| validation pairs | pairs | confident disagreements | digit right, following the surer head % | "
          "following the fusion's preference % | fused argmax % |\n|---|---|---|---|---|---|")
    for name, batches in conditions.items():
        batch = batches["both"]
        labels = batch.labels
        out = run_batch(runner, batch, voicing_correlation(cal))
        answers = decide(out, True, True, cal, out["voiced"])
        fused = calibrated(out["fused_logits"], cal["temperature"]["both"])
        chosen = np.array([-1 if a["digit"] is None else a["digit"] for a in answers])
        surer = chosen.copy()
        for i, answer in enumerate(answers):
            if answer["disagreement"]:
                heads = answer["modalities"]
                surer[i] = max(heads.values(), key=lambda m: m["confidence"])["digit"]
        disagreements = sum(a["disagreement"] is not None for a in answers)
        print(f"| {name} | {len(labels)} | {disagreements} | {100 * np.mean(surer == labels):.2f} | "
              f"{100 * np.mean(chosen == labels):.2f} | {100 * np.mean(fused.argmax(1) == labels):.2f} |")
        outvoted[name] = senses_outvoted(answers, labels)
    print("\n| validation pairs | both senses name one digit, the fused answer another | the fused digit right | "
          "the senses' digit right |\n|---|---|---|---|")
    for name, (count, fused_right, senses_right) in outvoted.items():
        print(f"| {name} | {count} | {fused_right} | {senses_right} |")


def senses_outvoted(answers: list[dict], labels: np.ndarray) -> tuple[int, int, int]:
    """(pairs whose two heads name the same digit and whose fused answer is another, the fused digit right, the
    heads' digit right): `decision._combine` makes them unsure."""
    count = fused_right = senses_right = 0
    for answer, label in zip(answers, labels, strict=True):
        heads = answer["modalities"]
        if heads["image"]["digit"] == heads["audio"]["digit"] != answer["digit"]:
            count += 1
            fused_right += answer["digit"] == label
            senses_right += heads["image"]["digit"] == label
    return count, int(fused_right), int(senses_right)


if __name__ == "__main__":
    main()
