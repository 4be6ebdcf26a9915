"""`digitfusion export`: a pipeline run -> a model folder (ONNX graph, preprocessing, model card, checksums),
written under a temporary name, checked for parity with PyTorch on real test pairs, then renamed into place."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from digitfusion.data.bundle import load_bundle
from digitfusion.decision import DETECTOR_SCORES
from digitfusion.errors import DigitfusionError
from digitfusion.export.graph import Detector, ExportedModel, export_onnx
from digitfusion.export.runtime import CARD, CHECKSUMS, MODEL, PREPROCESSING, ExportedRunner, sha256
from digitfusion.features.image import MNIST_MEAN, MNIST_STD
from digitfusion.features.mel import LogMelParams
from digitfusion.features.speech_embedding import SpeechEmbeddingParams
from digitfusion.models.registry import default_export, fusion_names
from digitfusion.models.registry import fusion as fusion_spec
from digitfusion.runs import RunLayout
from digitfusion.training.checkpoint import load_run
from digitfusion.training.config import TrainConfig, front_end_params
from digitfusion.training.recipe import image_split

PARITY_TOLERANCE = 1e-4


def load_parts(pipeline: Path, split: str, seed: int, name: str, detectors: dict[str, list[Path]] | None = None
               ) -> tuple[ExportedModel, Path, TrainConfig]:
    """The fused model with its encoders (and the outlier detectors' runs `detectors`, {modality: [run folder of
    each member]}), its split folder, and the fused run's config."""
    if not fusion_spec(name).exportable:
        raise DigitfusionError(name, f"cannot be exported (choose a trained fusion: "
                                     f"{', '.join(fusion_names(trained=True))})")
    layout = RunLayout(pipeline)
    folder = layout.protocol_dir(seed, split)
    if not folder.is_dir():
        raise DigitfusionError(folder, "no such split folder in the run (run `digitfusion demo` first)")
    fused, config = load_run(layout.run_dir(name, seed, split))
    image, _ = load_run(layout.run_dir("image-cnn", seed, split, "image", image_split(config)))
    audio, _ = load_run(layout.run_dir(config.encoders.get("audio", "audio-cnn"), seed, split))
    found = {modality: detector(modality, runs) for modality, runs in (detectors or {}).items()}
    model = ExportedModel(fused, image, audio, front_end_params(config.features).frontend(), found)
    return model.eval(), folder, config


def detector(modality: str, runs: list[Path]) -> Detector:
    """An outlier detector's runs (one, or an ensemble's members) as the graph calls them (audio: over their front
    end, which must be one)."""
    models, configs, val_accs = [], [], []
    for run in map(Path, runs):
        if not (run / "config.json").is_file():
            raise DigitfusionError(run, f"no {modality} outlier detector run here (`make model` trains it)")
        model, config = load_run(run)
        summary = run / "summary.json"
        models.append(model)
        configs.append(config)
        val_accs.append(json.loads(summary.read_text()).get("val_acc") if summary.is_file() else None)
    features = {config.features for config in configs}
    if modality == "audio" and len(features) > 1:
        raise DigitfusionError(runs[0], f"the audio detector's members read different front ends: {sorted(features)}")
    frontend = front_end_params(configs[0].features).frontend() if modality == "audio" else None
    return Detector(models, modality, frontend, configs, val_accs)


def parity(model: ExportedModel, onnx_folder: Path, root: Path, seed: int, strategy: str, n: int = 256) -> dict:
    """Max |logit difference| between onnxruntime and PyTorch on real test pairs, with each modality missing too."""
    test = load_bundle(root, "official", seed=seed)["test"]
    pairs = test.pairs(seed)[:n]
    n = len(pairs)  # a small data root has fewer test pairs
    images = test.images[pairs[:, 0]]
    waves = torch.from_numpy(test.waves[pairs[:, 1]])
    runner = ExportedRunner(onnx_folder)
    worst = {}
    for case, present in {"both": (1.0, 1.0), "image only": (1.0, 0.0), "audio only": (0.0, 1.0)}.items():
        image_present, audio_present = torch.full((n,), present[0]), torch.full((n,), present[1])
        with torch.no_grad():
            expected = model(images * present[0], waves * present[1], image_present, audio_present)
        got = runner.run(images.numpy() * present[0], waves.numpy() * present[1], image_present.numpy(),
                         audio_present.numpy())
        worst[case] = float(max(np.abs(g - e.numpy()).max() for g, e in zip(got.values(), expected, strict=True)))
    return {"pairs": n, "max_abs_diff": worst, "tolerance": PARITY_TOLERANCE, "strategy": strategy}


def data_card(config: TrainConfig) -> str:
    """Each corpus and image source the model learnt from, with its licence and citation."""
    from digitfusion.data.corpora import get_corpus
    from digitfusion.data.images import get_source

    sources = [get_source(name) for name in config.images] + [get_corpus(name) for name in config.corpus]
    lines = [f"- {s.name}: {s.citation}; <{s.url}>; licence {s.licence}." for s in sources]
    return "## Data (licences and citations)\n" + "\n".join(lines)


def calibration_card(calibration: dict | None) -> str:
    """The confidence calibration chosen on validation: temperature and expected calibration error per head."""
    if not calibration or "ece" not in calibration:
        return "(not calibrated: exported without the abstention calibration)"
    rows = [f"| {head} | {calibration['temperature'][head]:.3f} | {100 * ece['before']:.2f} | "
            f"{100 * ece['after']:.2f} |" for head, ece in calibration["ece"].items()]
    chosen = calibration["chosen_on"]
    return (f"Temperature scaling per head, chosen on {chosen['validation pairs']} validation pairs (protocol "
            f"`{chosen['protocol']}`, seed {chosen['seed']}; corpora {', '.join(chosen.get('corpora', ['fsdd']))}); "
            "ECE = expected calibration error (15 equal-width bins of confidence), on those validation pairs:\n\n"
            "| head | temperature | ECE % before | ECE % after |\n|---|---|---|---|\n" + "\n".join(rows))


def trained_on(folder: Path, strategy: str) -> str:
    """What the fused run learnt from: items per corpus / image source on its training and validation sides, and
    the speakers of each corpus (from the split folder beside it)."""
    summary_path, split_path = folder / strategy / "summary.json", folder / "split" / "split.json"
    if not summary_path.is_file():
        return "(the run's summary.json is missing: no data counts)"
    data = json.loads(summary_path.read_text()).get("data", {})
    speakers = json.loads(split_path.read_text())["speakers"] if split_path.is_file() else {}
    rows = []
    for modality, kind in (("audio", "recordings"), ("image", "images")):
        sides = data.get(modality, {})
        for source in sorted({s for side in ("train", "val") for s in sides.get(side, {})}):
            voices = {v for side in ("train", "val") for v in speakers.get(side, []) if v.startswith(f"{source}.")}
            rows.append(f"| {source} | {kind} | {sides.get('train', {}).get(source, 0)} | "
                        f"{sides.get('val', {}).get(source, 0)} | {len(voices) if voices else '—'} |")
    return "| corpus / source | items | train | validation | speakers |\n|---|---|---|---|---|\n" + "\n".join(rows)


def exposure_card(config: TrainConfig) -> str:
    """A sentence per unimodal model trained with outlier exposure (training/outliers.py), else nothing."""
    lines = []
    for modality, kind, parts in (("image", "images", "letters, symbols"), ("audio", "recordings", "words, voices")):
        run = config.init_from.get(modality)
        path = Path(run) / "config.json" if run else None
        weight = TrainConfig.load(path).outlier_exposure if path and path.is_file() else 0.0
        if weight:
            lines.append(f"The {modality} model also learnt to spread its answer over the ten digits for generated "
                         f"non-digit {kind} (outlier exposure, weight {weight:g}; {parts} and seeds that neither "
                         "half of the abstention's non-digit set uses).")
    return ("\n\n" + " ".join(lines)) if lines else ""


def detector_card(detectors: dict[str, Detector], calibration: dict | None) -> str:
    """A sentence per outlier detector in the graph (export/graph.py), with the test the calibration chose for it."""
    lines = []
    for modality, found in detectors.items():
        config = found.configs[0]  # an ensemble's members differ only in their seed
        chosen = ((calibration or {}).get("typical", {}).get(modality) or {}).get("detector") or {}
        test = ("not used (no calibration chose a threshold for it)" if chosen.get("threshold") is None else
                f"an input it scores below {chosen['threshold']:.4g} ({DETECTOR_SCORES[chosen['score']]}; "
                f"{100 * (1 - chosen['quantile']):.1f} % of the validation items score lower) is \"not a digit\"")
        learnt = ", ".join(f"{100 * acc:.1f} %" for acc in found.val_accs if acc is not None)
        learnt = f", validation accuracy {learnt}" if learnt else ""
        augmented = (", the non-digits augmented as the digits are" if config.outlier_augment else
                     f", {config.outlier_copies} augmented copies of each non-digit" if config.outlier_copies else "")
        mixed = (f", digits mixed with non-digits by {config.outlier_mix} toward an even answer (MixOE)"
                 if config.outlier_mix else "")
        hashes = ", ".join(f"`{c.digest()}`" for c in found.configs)
        who = (f"A second {modality} model ({config.model} at seed {config.seed}, config {hashes})"
               if len(found.configs) == 1 else
               f"{len(found.configs)} more {modality} models ({config.model} at seeds "
               f"{', '.join(str(c.seed) for c in found.configs)}, configs {hashes}, their logits averaged)")
        never = "it never answers, it only flags" if len(found.configs) == 1 else "they never answer, they only flag"
        lines.append(f"{who} learnt the same digits with outlier exposure (weight {config.outlier_exposure:g}"
                     f"{augmented}{mixed}{learnt}); {never}: {test}.")
    return ("\n\n" + " ".join(lines)) if lines else ""


BLOCKS = ("block was", "two blocks were", "three blocks were", "four blocks were")  # split_blocks opens 1 to 4


def audio_card(config: TrainConfig) -> str:
    """What reads the recordings, and where its weights come from when they were not learnt here."""
    params = front_end_params(config.features)
    if not isinstance(params, SpeechEmbeddingParams):
        return "an audio CNN (log-mel front end inside the graph)"
    how = ("a frozen, pretrained speech embedding" if not params.open_blocks else
           f"a pretrained speech embedding whose last {BLOCKS[params.open_blocks - 1]} fine-tuned on the corpora "
           "below,")
    return (f"a small head over {how} inside the graph (Google's speech_embedding, "
            "Lin et al. 2020, trained on ~200 M YouTube clips; the ONNX conversion shipped by openWakeWord 0.4.0, "
            "Apache-2.0; features/speech_embedding.py)")


def alone_card(alone: dict | None) -> str:
    """Which head answers each modality alone, with the validation accuracies it was chosen on."""
    if not alone:
        return "the fusion's own per-modality head answers the present one (no choice made on validation)."
    names = {"fused_logits": "the fusion's own head", "image_logits": "the image CNN",
             "audio_logits": "the audio model"}
    rows = []
    for modality in ("image", "audio"):
        for key, score in alone["validation"][modality].items():
            chosen = " (answers)" if alone[modality] == key else ""
            by_source = ", ".join(f"{s} {100 * a:.2f}" for s, a in score["by source"].items())
            rows.append(f"| {modality} | {names[key]}{chosen} | {100 * score['mean']:.2f} | {by_source} |")
    return ("the head that reads the validation side better (mean accuracy over its corpora, and for images over"
            " digits drawn with the installed fonts) answers it:\n\n"
            "| modality alone | head | mean % | by corpus % |\n|---|---|---|---|\n" + "\n".join(rows))


def model_card(pipeline: Path, folder: Path, strategy: str, protocol: str, seed: int, parity_result: dict,
               config: TrainConfig, calibration: dict | None = None, alone: dict | None = None,
               detectors: dict[str, Detector] | None = None) -> str:
    results_path = folder / "evaluation" / "results.json"
    figures = "(no evaluation beside the run: `make demo` evaluates it; the README quotes the demo's figures)"
    summary_path = folder / strategy / "summary.json"
    if summary_path.is_file():
        summary = json.loads(summary_path.read_text())
        figures += (f"\n\nValidation pairs, best epoch ({summary['best_epoch']} of {summary['epochs_run']}): "
                    f"accuracy {100 * summary['val_acc']:.2f} %.")
    if results_path.is_file():
        table = json.loads(results_path.read_text())["table"]
        rows = [(c, s) for c in ("clean", "degraded", "image missing", "audio missing")
                for s in (strategy, "image-only", "audio-only") if s in table.get(c, {})]
        figures = "\n".join(f"| {c} | {s} | {100 * table[c][s]['acc']:.2f} |" for c, s in rows)
        figures = "| condition | model | test accuracy % |\n|---|---|---|\n" + figures
    return f"""# digitfusion model card

**Strategy:** `{strategy}` fusion of an image CNN and {audio_card(config)}.
**Trained on:** protocol `{protocol}`, seed {seed} (run `{pipeline}`), fused config hash `{config.digest()}` (rebuilt
by `make model` for the shipped model; a test compares this hash with the code's recipe). Images and recordings of
the same digit are paired at random in every epoch:

{trained_on(folder, strategy)}{exposure_card(config)}{detector_card(detectors or {}, calibration)}

## Test figures (fixed test pairs, read once)
{figures}

## Inputs
- Image: any photo or drawing of one digit; converted the MNIST way (grayscale, inverted if dark ink on light
  paper, cropped to the ink, fit in 20x20, centre of mass at the centre of 28x28).
- Audio: any rate / channels / sample format; mixed to mono, resampled to 8 kHz, silence trimmed, centred in 1 s.
- Either may be absent: the model answers from the other; {alone_card(alone)}

## Confidence calibration
{calibration_card(calibration)}

## Limits
- It learnt from the voices and hands counted above; voices unlike them (children, other languages, far-field or
  noisy rooms) are recognised less well: the outside protocol (docs/results.md) measures people no model met.
- One digit per image and per recording; recordings longer than 1 s after trimming keep their central second.
- MNIST-style handwriting: printed fonts and unusual styles may be misread.

{data_card(config)}

## Export check
onnxruntime vs PyTorch on {parity_result['pairs']} real test pairs, max |logit difference|:
{json.dumps(parity_result['max_abs_diff'])} (tolerance {parity_result['tolerance']}).
"""


def export_model(pipeline: str | os.PathLike, out: str | os.PathLike, root: Path, split: str = "official",
                 seed: int = 0, fusion: str | None = None, expected_hash: str | None = None,
                 calibrate=None, choose_alone=None, detectors: dict[str, list[Path]] | None = None) -> dict:
    """Export one fused run; with `expected_hash` (the shipped model's recipe) a run of another config is refused.
    `calibrate(runner, root, config) -> dict` (evaluation.abstention.calibrate, passed in by the caller: export
    does not import evaluation) stores the abstention calibration in the folder, chosen on the validation side
    of the fused run's own split and corpora. `choose_alone(runner, root, config) -> dict`
    (evaluation.alone.choose_alone, likewise passed in) picks, on that validation side, which head answers each
    modality alone; the calibration is then fitted on the answers so chosen. `detectors` ({modality: [run
    folder of each member]}): outlier detectors put in the graph beside the model (export/graph.py); their config
    hashes are recorded."""
    fusion = fusion or default_export()
    pipeline, out, strategy, protocol = Path(pipeline), Path(out), fusion, split
    model, folder, config = load_parts(pipeline, split, seed, fusion, detectors)
    config_hash = config.digest()
    if expected_hash is not None and config_hash != expected_hash:
        raise DigitfusionError(folder / fusion, f"config {config_hash} is not the shipped model's recipe "
                                                f"{expected_hash} (rebuild it with `make model`)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part"))
    tmp.chmod(0o755)  # mkdtemp's 0700 would make an installed model folder unreadable to other users
    try:
        export_onnx(model, tmp / MODEL)
        preprocessing = {"audio": asdict(LogMelParams()), "front_end": config.features,
                         "image": {"mean": MNIST_MEAN, "std": MNIST_STD, "size": 28}, "strategy": strategy,
                         "protocol": protocol, "seed": seed, "config_hash": config_hash,
                         "detectors": {m: [c.digest() for c in found.configs] for m, found in model.detectors.items()}}
        (tmp / PREPROCESSING).write_text(json.dumps(preprocessing, indent=2) + "\n")
        (tmp / CARD).write_text("pending\n")
        write_checksums(tmp)
        result = parity(model, tmp, root, seed, strategy)
        if max(result["max_abs_diff"].values()) >= PARITY_TOLERANCE:
            raise DigitfusionError(out, f"ONNX and PyTorch disagree: {result['max_abs_diff']}")
        alone = choose_alone(ExportedRunner(tmp), root, config) if choose_alone is not None else None
        if alone is not None:
            update_preprocessing(tmp, "alone", alone)
        calibration = calibrate(ExportedRunner(tmp), root, config) if calibrate is not None else None
        (tmp / CARD).write_text(model_card(pipeline, folder, strategy, protocol, seed, result, config, calibration,
                                           alone, dict(model.detectors)))
        write_checksums(tmp)
        if calibration is not None:
            update_preprocessing(tmp, "abstention", calibration)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def update_preprocessing(folder: Path, key: str, value: dict) -> None:
    """Store a choice made on validation in preprocessing.json ("alone": the head answering each modality alone;
    "abstention": temperatures and thresholds), so predict applies it without torch. Other fields are kept."""
    preprocessing = json.loads((folder / PREPROCESSING).read_text())
    preprocessing[key] = value
    (folder / PREPROCESSING).write_text(json.dumps(preprocessing, indent=2) + "\n")
    write_checksums(folder)


def write_checksums(folder: Path) -> None:
    sums = {name: sha256(folder / name) for name in (MODEL, PREPROCESSING, CARD)}
    (folder / CHECKSUMS).write_text(json.dumps(sums, indent=2) + "\n")
