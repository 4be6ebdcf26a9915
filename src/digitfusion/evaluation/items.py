"""Each test clip and each test image scored once by its unimodal model, overall and per corpus / image source.

The pair tables draw every image with one recording of its digit, so a small corpus's clips are counted as often
as they are drawn; the per-item accuracies here weigh every clip (and image) once, which is what a
per-corpus table of "people it never met" needs.
"""

from __future__ import annotations

from collections import defaultdict

import torch

from digitfusion.data.bundle import Side
from digitfusion.evaluation.strategies import unimodal_logits


def accuracy_by(groups: list[str], correct: torch.Tensor, speakers: list[str] | None = None) -> dict:
    """{group: {"acc", "n"[, "speakers"]}} of a [N] bool tensor grouped by `groups` [N]."""
    rows: dict = defaultdict(list)
    for index, group in enumerate(groups):
        rows[group].append(index)
    out = {}
    for group, index in sorted(rows.items()):
        out[group] = {"acc": float(correct[index].float().mean()), "n": len(index)}
        if speakers is not None:
            out[group]["speakers"] = len({speakers[i] for i in index})
    return out


def item_accuracies(models: dict[str, torch.nn.Module], test: Side) -> dict:
    """{"audio": {"all": {...}, "by_corpus": {...}}, "image": {"all": {...}, "by_source": {...}}}."""
    result = {}
    if len(test.audio_labels):
        logits = unimodal_logits(models["audio-cnn"], "audio", test.audio)
        correct = logits.argmax(1) == test.audio_labels
        result["audio"] = {"all": accuracy_by(["all"] * len(correct), correct, test.speakers)["all"],
                           "by_corpus": accuracy_by(test.audio_corpus, correct, test.speakers)}
    if len(test.image_labels):
        logits = unimodal_logits(models["image-cnn"], "image", test.images)
        correct = logits.argmax(1) == test.image_labels
        result["image"] = {"all": accuracy_by(["all"] * len(correct), correct)["all"],
                           "by_source": accuracy_by(test.image_source, correct)}
    return result
