"""The report: report.md + self-contained report.html + figures/, from the pipeline's results."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from digitfusion.atomic import write_text
from digitfusion.data.corpora import list_recordings
from digitfusion.data.pairs import read_manifest
from digitfusion.data.splits import SIDES, make_split
from digitfusion.evaluation.aggregate import (
    best_fused,
    collect,
    group_of,
    markdown_table,
    ordered,
    sweep_values,
    table_values,
)
from digitfusion.evaluation.conditions import IMAGE_NOISE_SIGMAS, OCCLUSION_FRACTIONS, SNRS_DB
from digitfusion.models.fusions.late import LateFusion
from digitfusion.models.registry import fusion_names
from digitfusion.plots import save
from digitfusion.report.abstention import abstention_section
from digitfusion.report.document import Document
from digitfusion.report.figures import confusion_figure, curve_figure, gallery_figure
from digitfusion.report.outside import outside_section
from digitfusion.report.selection import selection_section

SWEEPS = {
    "audio_snr": ("audio SNR (dB)", [f"snr {'clean' if s is None else s}" for s in SNRS_DB],
                  ["clean" if s is None else str(s) for s in SNRS_DB]),
    "image_noise": ("image noise sigma", [f"image noise {s}" for s in IMAGE_NOISE_SIGMAS],
                    [str(s) for s in IMAGE_NOISE_SIGMAS]),
    "image_occlusion": ("occluded fraction of the image", [f"occlusion {f}" for f in OCCLUSION_FRACTIONS],
                        [str(f) for f in OCCLUSION_FRACTIONS]),
}


def build_report(out: Path, root: Path, meta: dict, entries: list[dict]) -> dict:
    figures = out / "figures"
    doc = Document("digitfusion report: written + spoken digit recognition")
    header(doc, meta)
    tables = collect(entries, table_values)
    results_section(doc, tables, entries)
    outside_section(doc, entries)
    selection_section(doc, entries)
    data_section(doc, root, figures, entries)
    robustness_section(doc, collect(entries, sweep_values), figures)
    disagreement_section(doc, entries)
    abstention_section(doc, out, figures)
    first = first_entries(entries, meta["seeds"][0])
    confusion_section(doc, first, tables, figures)
    gallery_section(doc, first, tables, figures, root, meta)
    curves_section(doc, entries)
    late_section(doc, entries)
    write_text(out / "report.md", doc.to_markdown(out) + "\n")
    write_text(out / "report.html", doc.to_html())
    summary = {group: markdown_table(rows) for group, rows in tables.items()}
    write_text(out / "tables.md", "\n\n".join(f"## {g}\n\n{t}" for g, t in summary.items()) + "\n")
    return summary


def first_entries(entries: list[dict], seed: int) -> dict[str, dict]:
    """One entry per protocol group (the first fold of the first seed): the figures are drawn from it."""
    first: dict[str, dict] = {}
    for entry in entries:
        if entry["seed"] == seed:
            first.setdefault(group_of(entry["protocol"]), entry)
    return first


def header(doc: Document, meta: dict) -> None:
    doc.text(f"Config **{meta['config']}**, seeds {meta['seeds']}, protocols {', '.join(meta['protocols'])}.")
    if meta.get("command"):
        doc.code(meta["command"])
    versions = meta["versions"]
    doc.text(", ".join(f"{k} {v}" for k, v in versions.items()))
    timings = meta["timings_s"]
    doc.table(["stage", "seconds"], [[k, f"{v:.1f}"] for k, v in timings.items()])


def results_section(doc: Document, tables: dict, entries: list[dict]) -> None:
    doc.heading("Results on the fixed test pairs")
    pairs = entries[0]["results"]["pairs"]
    pca = entries[0]["results"].get("pca", {})
    kept = 100 * pca.get("energy", 0)
    doc.text(f"Each protocol's test side: {pairs} fixed pairs (every MNIST test image with one test recording of "
             f"its digit). Degraded (AV-MNIST style) = image rebuilt from its first {pca.get('components', '?')} "
             f"PCA components, which carry {kept:.0f} % of the training images' energy ({100 - kept:.0f} % "
             "removed), + audio with white noise at 0 dB SNR; 'degraded image alone' and 'degraded audio "
             "alone' give each model one degraded modality with the other absent (for an intermediate fusion: "
             "its own encoder and per-modality head, to tell what fusion adds from what its encoders learnt; "
             "for early fusion: the network with the other channel zeroed). 'image missing' = clean "
             "audio alone, 'audio missing' = clean image alone. Mean ± std over seeds; the speaker protocol "
             "is the mean over its held-out speakers first. Late-fusion parameters were fit on validation pairs "
             "only.")
    for group, rows in tables.items():
        doc.heading(f"Protocol: {group}", 3)
        header, body = markdown_rows(rows)
        doc.table(header, body)


def markdown_rows(rows: dict) -> tuple[list[str], list[list[str]]]:
    lines = [line.strip("|").split("|") for line in markdown_table(rows).splitlines()]
    header = [c.strip() for c in lines[0]]
    return header, [[c.strip() for c in line] for line in lines[2:]]


def data_section(doc: Document, root: Path, figures: Path, entries: list[dict]) -> None:
    doc.heading("Data")
    recordings = list_recordings(root)
    split = make_split(recordings, "random", seed=0)
    doc.text("The seed lab's random 75/25 split: digit counts and proportions per side.")
    sides = {"train": split.train + split.val, "test": split.test, "all": recordings}
    counts = {name: Counter(r.digit for r in recs) for name, recs in sides.items()}
    doc.table(["digit"] + [f"{n} count" for n in sides] + [f"{n} share" for n in sides],
              [[d] + [counts[n][d] for n in sides] + [f"{counts[n][d] / len(sides[n]):.3f}" for n in sides]
               for d in range(10)])
    doc.text(f"Speakers on both sides of the random split: **{', '.join(split.overlap())}** — every test voice "
             "was heard in training, so its test score is speaker-dependent (optimistic).")
    for entry in {e["protocol"]: e for e in entries}.values():
        speakers = entry["split"]["speakers"]
        overlap = entry["split"]["overlap"]
        doc.text(f"Protocol `{entry['protocol']}`: " + "; ".join(f"{s}: {', '.join(speakers[s])}" for s in SIDES)
                 + f". Train/test speaker overlap: {', '.join(overlap) if overlap else 'none'}.")
    examples(doc, root, figures, recordings)


def examples(doc: Document, root: Path, figures: Path, recordings: list) -> None:
    from digitfusion.audio_io import load_audio
    from digitfusion.features.audio import LogMel
    from digitfusion.plots import audio_figure

    frontend = LogMel()
    for rec in (recordings[0], recordings[len(recordings) // 2]):
        wave = load_audio(root / rec.path)
        logmel = frontend(torch.from_numpy(wave)[None])[0, 0].numpy()
        path = figures / f"example-{Path(rec.path).stem}.png"
        save(audio_figure(wave, 8000, logmel, Path(rec.path).name), path)
        doc.figure(path, f"{Path(rec.path).name}: waveform and log-mel spectrogram (dB)")


def robustness_section(doc: Document, sweeps: dict, figures: Path) -> None:
    if not sweeps:
        return
    doc.heading("Robustness")
    for group, rows in sweeps.items():
        for sweep, (xlabel, conditions, labels) in SWEEPS.items():
            series = {row: [float(np.mean(rows[row][f"{sweep}/{c}/acc"])) for c in conditions]
                      for row in ordered(rows) if f"{sweep}/{conditions[0]}/acc" in rows[row]}
            if not series:
                continue
            path = figures / f"{group}-{sweep}.png"
            save(curve_figure(list(range(len(labels))), series, xlabel, "accuracy",
                              f"{group}: accuracy vs {xlabel}", x_labels=labels), path)
            doc.figure(path, f"{group}: accuracy vs {xlabel}, one line per strategy")
        weights = {row: [float(np.mean(rows[row][f"audio_snr/{c}/audio_weight"])) for c in SWEEPS["audio_snr"][1]]
                   for row in ordered(rows) if "audio_snr/snr clean/audio_weight" in rows[row]}
        weights = {r: w for r, w in weights.items() if r not in fusion_names(family="late")}
        if weights:
            path = figures / f"{group}-audio-weight.png"
            save(curve_figure(list(range(len(SWEEPS["audio_snr"][2]))), weights, "audio SNR (dB)",
                              "mean weight on audio", f"{group}: modality weight on audio vs SNR",
                              x_labels=SWEEPS["audio_snr"][2]), path)
            doc.figure(path, f"{group}: mean per-sample weight on the audio as noise rises (attention, gated)")


def disagreement_section(doc: Document, entries: list[dict]) -> None:
    doc.heading("When the modalities disagree")
    for entry in entries:
        for key, label in (("disagreement", "clean"), ("disagreement_degraded", "degraded")):
            d = entry["results"].get(key)
            if not d:
                continue
            doc.text(f"`{entry['protocol']}` seed {entry['seed']}, {label}: the unimodal models disagree on "
                     f"**{d['disagree']}** of {d['pairs']} pairs — image right {d['image_right']}, audio right "
                     f"{d['audio_right']}, neither {d['neither_right']}.")
            if d["disagree"]:
                doc.table(["strategy", "disagreements resolved correctly"],
                          [[name, f"{n} / {d['disagree']} ({100 * n / d['disagree']:.1f} %)"]
                           for name, n in d["resolved"].items()])


def confusion_section(doc: Document, first: dict, tables: dict, figures: Path) -> None:
    doc.heading("Confusion matrices (clean test pairs)")
    for group, entry in first.items():
        arrays = np.load(Path(entry["folder"]) / "evaluation" / "arrays.npz")
        best = best_fused(tables[group])
        for name in ("image-only", "audio-only", best):
            path = figures / f"{group}-confusion-{name}.png"
            save(confusion_figure(arrays[f"confusion/{name}"], f"{group}: {name}"), path)
            doc.figure(path, f"{group}: confusion of {name}" + (" (best fused)" if name == best else ""))


def gallery_section(doc: Document, first: dict, tables: dict, figures: Path, root: Path, meta: dict) -> None:
    from digitfusion.data.mnist import load_mnist

    doc.heading("Hardest pairs")
    images, corpora = meta.get("images", ["mnist"]), meta.get("corpora", ["fsdd"])
    if list(images) != ["mnist"]:
        # The pairs' image indices point into the mixed test side of several sources, which the report does not
        # rebuild; the outside protocol's per-corpus tables say where its errors are.
        doc.text(f"The gallery shows MNIST test pairs; config {meta['config']}'s test images come from "
                 f"{', '.join(images)}.")
        return
    test_images, _ = load_mnist(root, "test")
    recordings = {rec.key: rec for rec in list_recordings(root, corpora)}
    for group, entry in first.items():
        folder = Path(entry["folder"])
        arrays = np.load(folder / "evaluation" / "arrays.npz")
        best = best_fused(tables[group])
        labels = arrays["labels"]
        true_prob = arrays[f"probs/{best}"][np.arange(len(labels)), labels]
        hardest = np.argsort(true_prob, kind="stable")[:6]
        image_index, audio_keys, _ = read_manifest(folder / "split" / "test_pairs.csv")
        items = [gallery_item(arrays, best, int(i), test_images[image_index[i]], recordings[audio_keys[i]], root)
                 for i in hardest]
        path = figures / f"{group}-gallery.png"
        save(gallery_figure(items, f"{group}: the pairs {best} found hardest"), path)
        doc.figure(path, f"{group}: lowest probability of the true digit under {best} (image, spectrogram, "
                         "probabilities of each modality and the fusion)")


def gallery_item(arrays, best: str, row: int, image: np.ndarray, recording, root: Path) -> dict:
    """One gallery row: the pair's image, its recording's log-mel (a segment of a longer file cut out by its
    corpus), and each model's probabilities."""
    from digitfusion.data.corpora import corpus_of
    from digitfusion.features.audio import LogMel
    from digitfusion.features.mel import LogMelParams, prepare_waveform

    params = LogMelParams()
    clip = prepare_waveform(corpus_of(recording).load(root, recording, params.sample_rate), params)
    logmel = LogMel()(torch.from_numpy(clip)[None])[0, 0].numpy()
    probs = {name: arrays[f"probs/{name}"][row] for name in ("image-only", "audio-only", best)}
    return {"image": image.astype(np.float32) / 255, "logmel": logmel, "probs": probs,
            "label": int(arrays["labels"][row]), "caption": f"pair {row}: {Path(recording.path).name}"}


def curves_section(doc: Document, entries: list[dict]) -> None:
    doc.heading("Training curves")
    seen = set()
    for entry in entries:
        folder = Path(entry["folder"])
        for curves in sorted([*folder.glob("*/curves.png"), *folder.parent.glob("image-cnn/curves.png")]):
            if curves in seen:
                continue
            seen.add(curves)
            summary = json.loads((curves.parent / "summary.json").read_text())
            doc.figure(curves, f"{curves.parent.name} ({entry['protocol']}, seed {entry['seed']}): best validation "
                               f"accuracy {100 * summary['val_acc']:.2f} % at epoch {summary['best_epoch']} of "
                               f"{summary['epochs_run']}, {summary['train_seconds']:.0f} s, "
                               f"{summary['parameters']:,} parameters, config hash {summary['config_hash']}")


def late_section(doc: Document, entries: list[dict]) -> None:
    doc.heading("Late fusion: what was fit on validation")
    fitted = [{k: v for state in entry["results"]["late_params"].values()
               for k, v in LateFusion.fitted_values(state).items()} for entry in entries]
    columns = list(dict.fromkeys(k for values in fitted for k in values))
    rows = [[entry["protocol"], entry["seed"], *(values.get(c, "—") for c in columns)]
            for entry, values in zip(entries, fitted, strict=True)]
    doc.table(["protocol", "seed", *columns], rows)

