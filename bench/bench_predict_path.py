"""What users get: a split's test side through `digitfusion predict --batch --json` (files in, JSON out).

Images are written as the PNGs a person would give (dark digit on a light background: MNIST's 28x28 at 280 x 280,
optdigits' own 32x32 binary scans at 288 x 288 with square pixels), recordings are
the corpus's own files (a segment of a longer recording is written as its own WAV at 16 kHz), and the CLI answers
each row in a subprocess, as a user's script would call it. Accuracy per modality, per corpus / image source, and
on the split's fixed test pairs. The model must be one that never met the test side (the shipped model and each
corpus's official test side, or an outside-protocol export and its held-out corpus).

    python bench/bench_predict_path.py                                       # shipped model, its own recipe
    python bench/bench_predict_path.py --model runs/outside/model-sc \
        --protocol leave-corpus-out:speech-commands+optdigits --images mnist,optdigits \
        --corpus fsdd,fsdd-jason,speech-commands,accented-numbers,outside-voices,synthetic
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from digitfusion.data.bundle import load_bundle
from digitfusion.data.corpora import corpus_of
from digitfusion.data.images import get_source
from digitfusion.data.images.optdigits import FILE as OPTDIGITS_FILE
from digitfusion.data.images.optdigits import parse_bitmaps
from digitfusion.export.pretrained import RECIPE, model_dir
from digitfusion.paths import require_data_root

SEGMENT_RATE = 16_000
STATUSES: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # batch name -> status -> rows
REASONS: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # batch name -> reason -> rows
# The `digitfusion` console script, run by this interpreter (so this checkout's sources answer).
CLI = [sys.executable, "-c", "import sys; from digitfusion.cli import main; sys.exit(main())"]


def user_images(root: Path, source: str, converted: bool) -> tuple[np.ndarray, int, int]:
    """A source's images as the files a person would give: (images uint8 [N, H, W], dark ink on white), the
    size to write them at and Pillow's resampling. optdigits' own files are 32x32 binary scans, written 9x with
    their square pixels (unless `converted`: its 28x28 MNIST-style conversion, as the other sources)."""
    src = get_source(source)
    if source == "optdigits" and not converted:
        bitmaps, _ = parse_bitmaps((src.folder(root) / OPTDIGITS_FILE).read_text(encoding="ascii"))
        return (255 * (1 - bitmaps)).astype(np.uint8), 288, Image.NEAREST
    part = "test" if "test" in src.parts else src.parts[0]
    return 255 - src.load(root, part)[0], 280, Image.BILINEAR


def write_images(root: Path, side, folder: Path, limit: int | None,
                 converted: bool = False) -> list[tuple[str, int, str]]:
    """(PNG path, label, source) of the side's images, as a person would draw or scan them."""
    out, loaded = [], {}
    for i, (row, source) in enumerate(zip(side.image_index[:limit], side.image_source[:limit], strict=False)):
        if source not in loaded:
            loaded[source] = user_images(root, source, converted)
        images, size, resample = loaded[source]
        path = folder / f"image-{i}.png"
        Image.fromarray(images[row]).resize((size, size), resample).save(path)
        out.append((str(path), int(side.image_labels[i]), source))
    return out


def write_audio(root: Path, recordings, folder: Path) -> list[tuple[str, int, str]]:
    """(WAV path, label, corpus) of the side's recordings: the corpus's file, or the segment written out."""
    out = []
    for i, rec in enumerate(recordings):
        path = root / rec.path  # an absolute path (synthetic voices) stays itself
        if "#" in rec.key or not path.is_file():
            path = folder / f"audio-{i}.wav"
            sf.write(path, corpus_of(rec).load(root, rec, SEGMENT_RATE), SEGMENT_RATE)
        out.append((str(path), rec.digit, rec.corpus))
    return out


def through_predict(model: Path, rows: list[tuple[str, str]], folder: Path, name: str
                    ) -> tuple[list[int | None], list[int | None]]:
    """What `digitfusion predict --batch` answers for each (image, audio) row: (the best guess, the argmax of its
    probabilities whatever its status; the answer's "digit" field, None when rejected). None: the row was refused
    with an error. `STATUSES` counts the statuses."""
    batch = folder / f"{name}.csv"
    with batch.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "audio"])
        writer.writerows(rows)
    done = subprocess.run([*CLI, "predict", "--batch", str(batch), "--json", "--model", str(model)],
                          capture_output=True, text=True)
    if done.returncode not in (0, 2):
        raise SystemExit(f"predict failed ({done.returncode}): {done.stderr[-2000:]}")
    answers: dict[int, int] = {}
    stated: dict[int, int | None] = {}
    for line in done.stdout.splitlines():
        answer = json.loads(line)
        answers[answer["line"]] = int(np.argmax(answer["probabilities"]))
        stated[answer["line"]] = answer["digit"]
        STATUSES[name][answer.get("status", "ok")] += 1
        if answer.get("reason"):
            REASONS[name][answer["reason"]] += 1
    lines = range(2, len(rows) + 2)  # CSV line 1 is the header
    return [answers.get(i) for i in lines], [stated.get(i) for i in lines]


def accuracy_rows(name: str, answered: tuple[list, list], labels: list[int], groups: list[str]) -> list[list[str]]:
    """Per group: items, best-guess accuracy, "digit"-field accuracy (a rejected answer counts wrong), refusals."""
    guesses, stated = answered
    by = defaultdict(list)
    for guess, digit, label, group in zip(guesses, stated, labels, groups, strict=True):
        by["all"].append((guess == label, digit == label))
        by[group].append((guess == label, digit == label))
    rows = []
    for group, hits in sorted(by.items(), key=lambda kv: (kv[0] != "all", kv[0])):
        if group != "all" and len(by) == 2:
            continue  # one group: its row is the "all" row
        guess_acc, digit_acc = (100 * np.mean([h[k] for h in hits]) for k in (0, 1))
        refused = str(sum(g is None for g in guesses)) if group == "all" else ""
        rows.append([name, group, str(len(hits)), f"{guess_acc:.2f}", f"{digit_acc:.2f}", refused])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="exported model folder (default: the shipped model)")
    parser.add_argument("--protocol", default=RECIPE["protocol"], help="split protocol[:holdout] of the test side")
    parser.add_argument("--corpus", default=",".join(RECIPE["corpora"]), help="speech corpora of the split")
    parser.add_argument("--images", default=",".join(RECIPE["images"]), help="image sources of the split")
    parser.add_argument("--seed", type=int, default=RECIPE["seed"])
    parser.add_argument("--image-limit", type=int, help="only the first N test images (and their pairs)")
    parser.add_argument("--converted-bitmaps", action="store_true",
                        help="optdigits as its 28x28 conversion blown up (the first bench's files), not its scans")
    parser.add_argument("--out", help="markdown file for the table (default: print only)")
    args = parser.parse_args()
    root, model = require_data_root(None), model_dir(args.model)
    name, _, holdout = args.protocol.partition(":")
    bundle = load_bundle(root, name, holdout or None, args.seed, corpora=args.corpus, images=args.images)
    test = bundle["test"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        images = write_images(root, test, folder, args.image_limit, args.converted_bitmaps)
        audio = write_audio(root, bundle.split.test, folder)
        table = []
        digits = through_predict(model, [(p, "") for p, _, _ in images], folder, "images")
        table += accuracy_rows("image only", digits, [t for _, t, _ in images], [s for _, _, s in images])
        digits = through_predict(model, [("", p) for p, _, _ in audio], folder, "audio")
        table += accuracy_rows("audio only", digits, [t for _, t, _ in audio], [c for _, _, c in audio])
        pairs = [(i, a) for i, a in test.pairs(args.seed) if i < len(images)]
        digits = through_predict(model, [(images[i][0], audio[a][0]) for i, a in pairs], folder, "pairs")
        table += accuracy_rows("pairs", digits, [images[i][1] for i, _ in pairs],
                               [f"{images[i][2]} + {audio[a][2]}" for i, a in pairs])
    lines = [f"Through `digitfusion predict --batch --json` ({model}), test side of {bundle.split.name}, seed "
             f"{args.seed}", "", "| input | corpus | items | accuracy % | \"digit\" right % | refused |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in table]
    lines += ["", "accuracy: the best guess (argmax of the probabilities, whatever the status); \"digit\" right: the "
              "answer's `digit` field (null when rejected counts wrong)."]
    lines += ["", "Statuses (abstention): " + "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(
        counts.items())) for name, counts in STATUSES.items())]
    lines += ["Reasons: " + "; ".join(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                                      for name, counts in REASONS.items())]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
