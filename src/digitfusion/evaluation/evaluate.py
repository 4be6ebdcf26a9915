"""Score every strategy of one protocol and seed on its fixed test pairs, under every condition.

Conditions: clean; degraded (AV-MNIST style: image rebuilt from the leading PCA components that carry
25 % of the train images' energy, audio at 0 dB SNR); image missing; audio missing; and the robustness
sweeps (audio SNR, image noise, image occlusion). Late-fusion parameters are fit on VALIDATION pairs
here, before the test side is touched; the test side is read once, by this module, for the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from digitfusion.atomic import write_text
from digitfusion.data.bundle import Bundle, Side
from digitfusion.evaluation.conditions import (
    IMAGE_NOISE_SIGMAS,
    OCCLUSION_FRACTIONS,
    SNRS_DB,
    image_noise,
    noisy_waves,
    occlude,
)
from digitfusion.evaluation.items import item_accuracies
from digitfusion.evaluation.metrics import confusion, scores
from digitfusion.evaluation.strategies import Encodings, Inputs, Output, all_outputs, unimodal_logits
from digitfusion.features.pca import PCAImages
from digitfusion.models.fusions.late import LateFusion
from digitfusion.models.registry import fusions
from digitfusion.training.checkpoint import load_run


@dataclass(frozen=True)
class Condition:
    name: str
    image: str = "clean"  # clean | pca | noise:SIGMA | occlude:FRACTION | missing
    audio: str = "clean"  # clean | snr:DB | missing


# "degraded image/audio alone": each model's answer from one degraded modality, the other absent. For a fused
# model this is its own encoder alone, so the degraded gain of fusion can be told from what its encoders learnt.
TABLE_CONDITIONS = (Condition("clean"), Condition("degraded", image="pca", audio="snr:0"),
                    Condition("degraded image alone", image="pca", audio="missing"),
                    Condition("degraded audio alone", image="missing", audio="snr:0"),
                    Condition("image missing", image="missing"), Condition("audio missing", audio="missing"))


def sweep_conditions() -> dict[str, list[Condition]]:
    return {
        "audio_snr": [Condition(f"snr {'clean' if s is None else s}", audio="clean" if s is None else f"snr:{s}")
                      for s in SNRS_DB],
        # The zero points are the clean condition itself (named as such, so it is scored once).
        "image_noise": [Condition(f"image noise {s}", image=f"noise:{s}" if s else "clean")
                        for s in IMAGE_NOISE_SIGMAS],
        "image_occlusion": [Condition(f"occlusion {f}", image=f"occlude:{f}" if f else "clean")
                            for f in OCCLUSION_FRACTIONS],
    }


# What a user faces, scored on the validation pairs to choose the strategy users get (never on test).
USER_CONDITIONS = (Condition("clean"), Condition("image missing", image="missing"),
                   Condition("audio missing", audio="missing"), Condition("noisy audio", audio="snr:0"),
                   Condition("degraded", image="pca", audio="snr:0"))


class ConditionBuilder:
    """Turns a Condition into one side's inputs (the test side unless told; deterministic: every degradation is
    seeded). With `max_pairs`, the first pairs of the fixed manifest (and only the items they use) are kept."""

    def __init__(self, bundle: Bundle, seed: int, pca: PCAImages, max_pairs: int | None = None, side: str = "test"):
        self.test, self.seed, self.pca = bundle[side], seed, pca
        pairs = torch.as_tensor(self.test.pairs(seed))
        pairs = pairs[:max_pairs] if max_pairs else pairs
        self.labels = self.test.image_labels[pairs[:, 0]]
        image_rows, image_pos = torch.unique(pairs[:, 0], return_inverse=True)
        audio_rows, audio_pos = torch.unique(pairs[:, 1], return_inverse=True)
        self.pairs = torch.stack([image_pos, audio_pos], dim=1)  # rows into the kept items
        self.clean_images = self.test.images[image_rows]
        self.clean_audio = self.test.audio[audio_rows]
        self.waves = torch.from_numpy(self.test.waves[audio_rows.numpy()])
        self.audio_rows = audio_rows
        self.frontend = bundle.params.frontend()
        self._cache: dict[str, torch.Tensor | None] = {}

    def images(self, spec: str) -> torch.Tensor | None:
        if spec not in self._cache:
            kind, _, value = spec.partition(":")
            clean = self.clean_images
            self._cache[spec] = {"clean": lambda: clean, "missing": lambda: None,
                                 "pca": lambda: self.pca.transform(clean),
                                 "noise": lambda: image_noise(clean, float(value or 0), self.seed),
                                 "occlude": lambda: occlude(clean, float(value or 0), self.seed)}[kind]()
        return self._cache[spec]

    def audio(self, spec: str) -> torch.Tensor | None:
        key = f"audio {spec}"
        if key not in self._cache:
            kind, _, value = spec.partition(":")
            if kind == "missing":
                self._cache[key] = None
            elif kind == "clean":
                self._cache[key] = self.clean_audio
            else:
                waves = noisy_waves(self.waves, float(value), self.seed)
                with torch.no_grad():
                    self._cache[key] = torch.cat([self.frontend(w) for w in waves.split(512)])
        return self._cache[key]

    def inputs(self, condition: Condition) -> Inputs:
        return Inputs(self.images(condition.image), self.audio(condition.audio), self.pairs, self.labels,
                      condition.image, condition.audio)


def load_models(runs: dict[str, Path]) -> dict[str, torch.nn.Module]:
    return {name: load_run(path)[0] for name, path in runs.items()}


def fit_late_fusions(models: dict[str, torch.nn.Module], val: Side, seed: int) -> dict[str, LateFusion]:
    """Every late rule, fit on the validation pairs (never on test)."""
    pairs = torch.as_tensor(val.pairs(seed))
    image_logits = unimodal_logits(models["image-cnn"], "image", val.images)[pairs[:, 0]]
    audio_logits = unimodal_logits(models["audio-cnn"], "audio", val.audio)[pairs[:, 1]]
    labels = val.image_labels[pairs[:, 0]]
    return {spec.name: spec.build().fit(image_logits, audio_logits, labels) for spec in fusions(family="late")}


def summarise(outputs: dict[str, Output], labels: torch.Tensor) -> dict[str, dict]:
    rows = {}
    for name, out in outputs.items():
        rows[name] = scores(out.probs, labels)
        if out.weights is not None:
            rows[name]["audio_weight"] = float(out.weights[:, 1].mean())
    return rows


def disagreement(outputs: dict[str, Output], labels: torch.Tensor) -> dict:
    """How often the unimodal models disagree, which one was right, and how each strategy resolved it."""
    image_pred, audio_pred = outputs["image-only"].probs.argmax(1), outputs["audio-only"].probs.argmax(1)
    split = image_pred != audio_pred
    n = int(split.sum())
    result = {"pairs": len(labels), "disagree": n, "image_right": int((split & (image_pred == labels)).sum()),
              "audio_right": int((split & (audio_pred == labels)).sum()), "resolved": {}}
    result["neither_right"] = n - result["image_right"] - result["audio_right"]
    for name, out in outputs.items():
        if n:
            result["resolved"][name] = int((out.probs.argmax(1)[split] == labels[split]).sum())
    return result


def evaluate_protocol(runs: dict[str, Path], bundle: Bundle, seed: int, out_dir: Path,
                      max_pairs: int | None = None, sweep_pairs: int | None = 2000, robustness: bool = True,
                      lab_audio: torch.Tensor | None = None) -> dict:
    """All tables and sweeps of one protocol and seed; writes results.json and arrays for the figures.
    The table uses every test pair (or `max_pairs`); the robustness sweeps the first `sweep_pairs`."""
    models = load_models(runs)
    late = fit_late_fusions(models, bundle["val"], seed)
    pca = PCAImages().fit(bundle["train"].images)
    build = ConditionBuilder(bundle, seed, pca, max_pairs)
    cache = Encodings()
    results: dict = {"pairs": len(build.pairs), "late_params": {k: v.state() for k, v in late.items()},
                     "pca": {"components": pca.k, "energy": pca.explained_variance()}, "table": {}, "sweeps": {}}
    clean_outputs = None
    for condition in TABLE_CONDITIONS:
        audio_for_lab = None
        if condition.audio == "clean" and lab_audio is not None:
            audio_for_lab = lab_audio[build.audio_rows]
        outputs = all_outputs(models, late, build.inputs(condition), cache, audio_for_lab)
        results["table"][condition.name] = summarise(outputs, build.labels)
        if condition.name == "clean":
            clean_outputs = outputs
        if condition.name == "degraded":
            results["disagreement_degraded"] = disagreement(outputs, build.labels)
    results["disagreement"] = disagreement(clean_outputs, build.labels)
    results["items"] = item_accuracies(models, bundle["test"])
    results["validation"] = validation_table(models, late, bundle, seed, pca, max_pairs)
    if robustness:
        sweep_build = ConditionBuilder(bundle, seed, pca, min(filter(None, (max_pairs, sweep_pairs)), default=None))
        sweep_cache, scored = Encodings(), {}
        results["sweep_pairs"] = len(sweep_build.pairs)
        for sweep, conditions in sweep_conditions().items():
            for c in conditions:
                if (c.image, c.audio) not in scored:
                    outputs = all_outputs(models, late, sweep_build.inputs(c), sweep_cache)
                    scored[c.image, c.audio] = summarise(outputs, sweep_build.labels)
            results["sweeps"][sweep] = {c.name: scored[c.image, c.audio] for c in conditions}
    save_arrays(out_dir, clean_outputs, build)
    write_text(out_dir / "results.json", json.dumps(results, indent=1) + "\n")
    return results


def validation_table(models: dict, late: dict, bundle: Bundle, seed: int, pca: PCAImages,
                     max_pairs: int | None) -> dict:
    """{condition: {strategy: scores}} on the validation pairs under USER_CONDITIONS (the late rules were fit on
    these pairs: their rows are optimistic, and they are not exportable anyway)."""
    build, cache = ConditionBuilder(bundle, seed, pca, max_pairs, side="val"), Encodings()
    return {c.name: summarise(all_outputs(models, late, build.inputs(c), cache), build.labels)
            for c in USER_CONDITIONS}


def save_arrays(out_dir: Path, outputs: dict[str, Output], build: ConditionBuilder) -> None:
    """Clean-condition probabilities and confusion matrices, for the report's gallery and figures."""
    out_dir.mkdir(parents=True, exist_ok=True)
    arrays = {f"probs/{name}": out.probs.numpy() for name, out in outputs.items()}
    arrays.update({f"confusion/{name}": confusion(out.probs, build.labels).numpy() for name, out in outputs.items()})
    arrays["labels"] = build.labels.numpy()
    np.savez_compressed(out_dir / "arrays.npz", **arrays)
