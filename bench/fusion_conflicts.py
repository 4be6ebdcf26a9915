"""Which modality a trained fused run trusts, on its split's VALIDATION side only (the test side is not read).

Each validation recording is paired with PAIRS_PER_CLIP validation images of its own digit, then with as many of other
digits. "Alone" is the fused model's own per-modality head (what it answers when the other modality is missing):
- matching pairs: how many of those whose recording alone is read wrong (and image alone right) the fusion still
  answers right, and the converse: does a wrong modality outvote the right one?
- conflicting pairs (image of one digit, recording of another, each read right alone): the share of answers that
  follow the image, and the share that follow the recording, with each head's mean confidence.

A fusion that follows the voice more often in conflicts leans on it more; it is only right to do so where the voice is
the more reliable of the two, which validation speakers (apart from the training ones, but of the same corpora) may
not tell about people of another corpus.

    python bench/fusion_conflicts.py runs/outside-tuned/seed0/seed0/leave-corpus-out-accented-numbers+optdigits/concat
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from digitfusion.data.bundle import load_bundle
from digitfusion.paths import require_data_root
from digitfusion.training.checkpoint import load_run
from digitfusion.training.config import front_end_params

PAIRS_PER_CLIP = 5


def pair_rows(image_labels: np.ndarray, audio_labels: np.ndarray, same: bool, seed: int) -> tuple:
    """(image rows, audio rows): each recording with PAIRS_PER_CLIP images of its digit (same) or of others."""
    rng = np.random.default_rng(seed)
    images, audio = [], []
    for row, label in enumerate(audio_labels):
        candidates = np.flatnonzero((image_labels == label) == same)
        images += list(rng.choice(candidates, PAIRS_PER_CLIP, replace=False))
        audio += [row] * PAIRS_PER_CLIP
    return torch.tensor(images), torch.tensor(audio)


@torch.no_grad()
def measure(root: Path, run: Path) -> dict:
    model, config = load_run(run)  # a fused run's config names its audio encoder's front end
    val = load_bundle(root, config.protocol, config.holdout, config.seed, params=front_end_params(config.features),
                      corpora=config.corpus, images=config.images)["val"]
    model.eval()
    features = {"image": torch.cat([model.encoders["image"](x) for x in val.images.split(512)]),
                "audio": torch.cat([model.encoders["audio"](x) for x in val.audio.split(256)])}
    image_labels, audio_labels = val.image_labels.numpy(), val.audio_labels.numpy()
    result = {"run": str(run)}
    for same in (True, False):
        image_rows, audio_rows = pair_rows(image_labels, audio_labels, same, config.seed)
        out = model.fuse({"image": features["image"][image_rows], "audio": features["audio"][audio_rows]},
                         torch.ones(len(image_rows), 2))
        fused = out["logits"].argmax(1).numpy()
        alone = out["modality_logits"].argmax(2).numpy()  # [P, 2]
        truth = np.stack([image_labels[image_rows], audio_labels[audio_rows]], axis=1)
        right = alone == truth
        if same:
            for wrong, name in ((1, "audio"), (0, "image")):
                cases = right[:, 1 - wrong] & ~right[:, wrong]
                result[f"{name} alone wrong"] = int(cases.sum())
                result[f"{name} alone wrong, fused right"] = int((fused == truth[:, 0])[cases].sum())
            result["matching pairs, fused accuracy %"] = 100 * float(np.mean(fused == truth[:, 0]))
        else:
            both = right.all(axis=1)
            confidence = out["modality_logits"].softmax(2).amax(2).numpy()[both].mean(axis=0)
            result.update({"conflicts": int(both.sum()),
                           "follows image %": 100 * float(np.mean(fused[both] == truth[both, 0])),
                           "follows audio %": 100 * float(np.mean(fused[both] == truth[both, 1])),
                           "mean confidence image": float(confidence[0]),
                           "mean confidence audio": float(confidence[1])})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+", help="trained fused runs (folders with config.json)")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    root = require_data_root(args.data)
    print("| run | matching pairs % | audio wrong: fused right | image wrong: fused right | conflicts | follows "
          "image % | follows audio % | confidence image / audio |\n|---|---|---|---|---|---|---|---|")
    for run in args.runs:
        r = measure(root, run)
        print(f"| {run} | {r['matching pairs, fused accuracy %']:.2f} | {r['audio alone wrong, fused right']} of "
              f"{r['audio alone wrong']} | {r['image alone wrong, fused right']} of {r['image alone wrong']} | "
              f"{r['conflicts']} | {r['follows image %']:.1f} | {r['follows audio %']:.1f} | "
              f"{r['mean confidence image']:.3f} / {r['mean confidence audio']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
