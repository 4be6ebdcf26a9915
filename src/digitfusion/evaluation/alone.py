"""Which head answers one modality alone, chosen on validation when a model is exported.

The exported graph can answer an image (or a recording) alone in two ways: the fusion's own per-modality head
(`FusedModel.modality_heads`, on the fused encoder, trained with the fusion for a few epochs) or the unimodal
model beside it (trained alone, for longer, on the same items). The outside protocol showed they differ: on
optdigits writers no model met, the concat's image head read 80-82 % and the image CNN 87.8 %. So each
modality's answer comes from whichever reads the fused run's validation side better — the mean accuracy over
its corpora (image sources), so a small corpus of other voices counts as much as FSDD; a tie keeps the fusion's
head. Images count one more source: digits drawn with the installed fonts (evaluation/synthetic.py, through
predict's conversion, the seed of bench/bench_writing.py's font-drawn validation), a population of "hands" no
model learnt from — with optdigits held out, the validation images are MNIST's alone and cannot show which head
generalises. (Voices get no such source: the generated voices, espeak-ng's, are a training corpus.)
The result is preprocessing.json["alone"] (export/runtime.py applies it to every run).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitfusion.export.runtime import FUSED, UNIMODAL

CHUNK = 256  # items per graph call: the speech embedding holds ~0.5 GB of activations per 256 clips
FONT_SOURCE, FONT_PER_DIGIT, FONT_SEED_OFFSET = "font-drawn", 30, 1000


def per_source_accuracy(logits: np.ndarray, labels: np.ndarray, sources: Sequence[str]) -> dict[str, float]:
    """Accuracy of logits [N, 10] against labels [N] within each source (corpus or image source) [N]."""
    sources, right = np.asarray(sources), logits.argmax(axis=1) == labels
    return {str(s): float(right[sources == s].mean()) for s in sorted(set(sources.tolist()))}


def lone_run(runner, modality: str, inputs: np.ndarray, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The raw graph (no choice applied) on one modality's items [N, ...] alone, the other absent: {key: [N, ...]}."""
    parts = []
    for start in range(0, len(inputs), CHUNK):
        block = inputs[start:start + CHUNK].astype(np.float32)
        b = len(block)
        images = block if modality == "image" else np.zeros((b, 1, 28, 28), np.float32)
        waves = block if modality == "audio" else np.zeros((b, runner.clip_samples), np.float32)
        flags = np.full(b, float(modality == "image"), np.float32), np.full(b, float(modality == "audio"), np.float32)
        out = runner.run_graph(images, waves, *flags)
        parts.append({k: out[k] for k in keys})
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def font_digits(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Font-drawn digits as predict reads them: (images [N, 1, 28, 28], labels [N]), N = 10 * FONT_PER_DIGIT."""
    import tempfile
    from pathlib import Path

    from digitfusion.evaluation.synthetic import make_images
    from digitfusion.inputs import prepare_image

    with tempfile.TemporaryDirectory() as tmp:
        items = make_images(Path(tmp), per_digit=FONT_PER_DIGIT, seed=seed + FONT_SEED_OFFSET)
        images = np.stack([prepare_image(item.path) for item in items]).astype(np.float32)
    return images, np.array([item.label for item in items])


def choose_alone(runner, root, config) -> dict:
    """{"image": output name, "audio": output name, "validation": {modality: {output: {source: acc}, "mean": ...}}}
    for the fused run `config` (its split, seed and corpora give the validation side)."""
    from digitfusion.evaluation.abstention import validation_side

    side = validation_side(root, config)
    fonts, font_labels = font_digits(config.seed)
    items = {"image": (np.concatenate([side.images.numpy(), fonts]),
                       np.concatenate([side.image_labels.numpy(), font_labels]),
                       [*side.image_source, *[FONT_SOURCE] * len(fonts)]),
             "audio": (side.waves, side.audio_labels.numpy(), side.audio_corpus)}
    choice, scores = dict.fromkeys(items, FUSED), {}
    for modality, (inputs, labels, sources) in items.items():
        if inputs is None or not len(inputs):  # the seed front end keeps no waves: nothing to choose on
            continue
        out = lone_run(runner, modality, inputs, (FUSED, UNIMODAL[modality]))
        scores[modality] = {}
        for key in (FUSED, UNIMODAL[modality]):
            by_source = per_source_accuracy(out[key], labels, sources)
            scores[modality][key] = {"by source": by_source, "mean": float(np.mean(list(by_source.values()))),
                                     "items": int(len(labels))}
        fused, unimodal = (scores[modality][k]["mean"] for k in (FUSED, UNIMODAL[modality]))
        choice[modality] = UNIMODAL[modality] if unimodal > fused else FUSED
    return {**choice, "validation": scores}
