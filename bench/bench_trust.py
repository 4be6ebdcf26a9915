"""Which modality a confident disagreement should follow, chosen on validation (issue 18, point 2).

The FSDD/MNIST official validation pairs (seed 0), clean and degraded as the degraded protocol degrades the test
pairs (image from 4 principal components, audio at 0 dB SNR), through an exported model's `decide`. For the pairs
where the two heads disagree, confidently, the share of right answers when the disagreement follows the surer
head (each head's calibrated confidence) against following the head whose digit the fused answer prefers
(what `decision._combine` does); the fused argmax beside them. Test pairs are not read.

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


if __name__ == "__main__":
    main()
