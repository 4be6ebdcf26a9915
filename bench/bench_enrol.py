"""Enrolment bench: simulated enrolment on voices the model never heard, the methods table, the targets table.

    python bench/bench_enrol.py --folds runs/enrol --official runs/enrol-official --out bench/enrol_results.md

1. FSDD leave-one-speaker-out: each fold's audio model (bench/enrol_models.py) embeds the fold's held-out test
   speaker and its validation speaker. Enrolment is simulated with k takes of every digit (every take in turn
   starts the k consecutive takes enrolled: 50 trials per speaker), the speaker's other takes are the test.
   Each method's weight, temperature and centring are chosen on the fold's VALIDATION speaker (mean accuracy over
   k = 1, 3, 5), then scored once on its test speaker. The method shipped, and its parameters, are chosen on the
   validation speakers alone (pooled over folds).
2. No-harm: the exported official model (`--official`, a pipeline folder holding seed0/image-cnn and
   seed0/official/{audio-cnn,attention}) answers the FSDD official test (audio) and MNIST test (images) with and
   without another person's profile (outside voices giulio / sheila; the first optdigits writer's digits).
3. Outside voices (1 take per digit): what can be measured without a second take.
4. Wall time of `digitfusion enrol` (10 clips) + `digitfusion predict --batch --json --profile` (100 clips).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from enrol_models import fold_protocols  # noqa: E402

from digitfusion.atomic import write_text  # noqa: E402
from digitfusion.enrol.methods import METHODS, Bank, MethodParams, combine, scores  # noqa: E402

KS = (1, 3, 5)
WEIGHTS = (0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
TEMPERATURES = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
VALIDATION_TRIALS = 10  # starts 0, 5, ..., 45 on the validation speaker (the test speaker gets all 50)
TAKES = 50


def take_of(path: str) -> int:
    return int(Path(path).stem.split("_")[-1])


def fold_embeddings(fold: Path, side) -> dict:
    """A fold's model on one side's clips (audio alone) -> embeddings [N, D], logits [N, 10], labels [N], takes [N].

    With an attention fusion in the fold (the demo's layout), its exported graph's torch module answers: the
    audio-only logits and `audio_embedding` that `predict --profile` uses. Else the fold's audio CNN: its encoder
    features and head."""
    import torch

    from digitfusion.export.graph import ExportedModel
    from digitfusion.training.checkpoint import load_run

    with torch.no_grad():
        if (fold / "attention" / "model.safetensors").is_file():
            model = ExportedModel(load_run(fold / "attention")[0], load_run(fold.parent / "image-cnn")[0],
                                  load_run(fold / "audio-cnn")[0]).eval()
            n = len(side.waves)
            out = model(torch.zeros(n, 1, 28, 28), torch.from_numpy(side.waves), torch.zeros(n), torch.ones(n))
            logits, embeddings = out[0], out[5]
        else:
            model = load_run(fold / "audio-cnn")[0].eval()
            embeddings = model.encoder(side.audio)
            logits = model.head(embeddings)
    return {"embeddings": embeddings.numpy(), "logits": logits.numpy(), "labels": side.audio_labels.numpy(),
            "takes": np.array([take_of(p) for p in side.audio_paths]),
            "model": "attention (fused)" if (fold / "attention" / "model.safetensors").is_file() else "audio-cnn"}


def trials(data: dict, k: int, starts) -> list[tuple[np.ndarray, np.ndarray]]:
    """(enrolled mask, test mask) per trial: takes start..start+k-1 (mod 50) of every digit enrolled."""
    out = []
    for start in starts:
        enrolled = np.isin(data["takes"], [(start + j) % TAKES for j in range(k)])
        out.append((enrolled, ~enrolled))
    return out


def accuracy_grid(data: dict, k: int, starts, method: str) -> dict[tuple, float]:
    """Mean test accuracy over trials for every (weight, temperature, centre) of one method, and the baseline."""
    totals: dict[tuple, list[float]] = {}
    for enrolled, test in trials(data, k, starts):
        bank = Bank(data["embeddings"][enrolled], data["labels"][enrolled])
        truth, base = data["labels"][test], data["logits"][test]
        totals.setdefault(("baseline",), []).append(float((base.argmax(1) == truth).mean()))
        for centre in (False, True):
            similarity = scores(bank, data["embeddings"][test], MethodParams(method, centre=centre))
            for weight, temperature in itertools.product(WEIGHTS, TEMPERATURES):
                params = MethodParams(method, weight, temperature, centre)
                hit = (combine(base, similarity, params).argmax(1) == truth).mean()
                totals.setdefault((weight, temperature, centre), []).append(float(hit))
    return {key: float(np.mean(v)) for key, v in totals.items()}


def loso(folds: Path, root: Path) -> dict:
    """Per fold: validation grids, per-method choice on validation, test accuracy of that choice per k."""
    from digitfusion.data.bundle import load_bundle
    from digitfusion.pipeline.train_all import protocol_parts

    result = {}
    for protocol in fold_protocols(root):
        holdout = protocol_parts(protocol)[1]
        folder = folds / "seed0" / f"speaker-{holdout}"
        if not (folder / "audio-cnn" / "model.safetensors").is_file():
            print(f"  fold {holdout}: no model in {folder}, skipped", flush=True)
            continue
        bundle = load_bundle(root, "speaker", holdout, 0)
        val, test = fold_embeddings(folder, bundle["val"]), fold_embeddings(folder, bundle["test"])
        fold = {"val_speaker": bundle.split.val_speaker, "model": test["model"], "methods": {}}
        for method in METHODS:
            grids = {k: accuracy_grid(val, k, range(0, TAKES, TAKES // VALIDATION_TRIALS), method) for k in KS}
            keys = [key for key in grids[1] if key != ("baseline",)]
            chosen = max(keys, key=lambda key: np.mean([grids[k][key] for k in KS]))
            params = MethodParams(method, *chosen)
            tested = {}
            for k in KS:
                grid = accuracy_grid_fixed(test, k, range(TAKES), params)
                tested[k] = grid
            fold["methods"][method] = {"chosen": params.to_dict(), "validation": grids, "test": tested}
        print(f"  fold {holdout} (validation speaker {fold['val_speaker']}): baseline "
              f"{100 * fold['methods']['prototypes']['test'][1]['baseline']:.1f} %", flush=True)
        result[holdout] = fold
    return result


def accuracy_grid_fixed(data: dict, k: int, starts, params: MethodParams) -> dict[str, float]:
    """Baseline and one parameter set's mean accuracy over trials."""
    base_hits, hits = [], []
    for enrolled, test in trials(data, k, starts):
        bank = Bank(data["embeddings"][enrolled], data["labels"][enrolled])
        truth, base = data["labels"][test], data["logits"][test]
        base_hits.append((base.argmax(1) == truth).mean())
        adapted = combine(base, scores(bank, data["embeddings"][test], params), params)
        hits.append((adapted.argmax(1) == truth).mean())
    return {"baseline": float(np.mean(base_hits)), "enrolled": float(np.mean(hits))}


def shipped_choice(folds: dict) -> MethodParams:
    """The method and parameters with the best validation accuracy pooled over folds and k (no test speaker)."""
    best, best_score = None, -1.0
    for method in METHODS:
        keys = [key for key in next(iter(folds.values()))["methods"][method]["validation"][1] if key != ("baseline",)]
        for key in keys:
            score = np.mean([f["methods"][method]["validation"][k][key] for f in folds.values() for k in KS])
            if score > best_score:
                best, best_score = MethodParams(method, *key), score
    return best


def methods_table(folds: dict) -> str:
    speakers = sorted(folds)
    rows = ["| method | " + " | ".join(f"k = {k}" for k in KS) + " | chosen on validation (per fold: weight / "
            "temperature / centred) |", "|---|" + "---|" * (len(KS) + 1)]
    base = [np.mean([folds[s]["methods"]["prototypes"]["test"][k]["baseline"] for s in speakers]) for k in KS]
    rows.append("| no enrolment (baseline) | " + " | ".join(f"{100 * b:.2f}" for b in base) + " | — |")
    for method in METHODS:
        cells = [np.mean([folds[s]["methods"][method]["test"][k]["enrolled"] for s in speakers]) for k in KS]
        chosen = "; ".join(f"{s} {c['weight']}/{c['temperature']}/{'y' if c['centre'] else 'n'}"
                           for s in speakers for c in [folds[s]["methods"][method]["chosen"]])
        rows.append(f"| {method} | " + " | ".join(f"{100 * c:.2f}" for c in cells) + f" | {chosen} |")
    return "\n".join(rows)


def per_fold_table(folds: dict, method: str) -> str:
    rows = ["| test speaker | validation speaker | model | baseline | " + " | ".join(f"k = {k}" for k in KS) + " |",
            "|---|---|---|---|" + "---|" * len(KS)]
    for s in sorted(folds):
        test = folds[s]["methods"][method]["test"]
        rows.append(f"| {s} | {folds[s]['val_speaker']} | {folds[s]['model']} | {100 * test[1]['baseline']:.1f} | "
                    + " | ".join(f"{100 * test[k]['enrolled']:.1f}" for k in KS) + " |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------- through the exported model

def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digitfusion", *args], capture_output=True, text=True, check=True)


def outside_profiles(model: Path, root: Path, work: Path) -> dict[str, Path]:
    """Profiles made with the CLI: giulio's and sheila's 10 words, the first optdigits writer's 10 digits."""
    from PIL import Image

    profiles = {}
    for person in ("giulio", "sheila"):
        rows = ["image,audio,label"] + [f",{p},{int(p.stem[-2:])}"
                                        for p in sorted((root / "outside-voices" / person).glob("*.wav"))]
        (work / f"{person}.csv").write_text("\n".join(rows) + "\n")
        cli("enrol", "--csv", str(work / f"{person}.csv"), "--out", str(work / f"{person}.json"), "--model", str(model))
        profiles[person] = work / f"{person}.json"
    lines = (root / "optdigits" / "optdigits-orig.tra").read_text().splitlines()
    rows, seen, i = ["image,audio,label"], set(), 0
    while len(seen) < 10 and i + 32 < len(lines):
        if len(lines[i]) == 32 and set(lines[i]) <= {"0", "1"}:
            label = int(lines[i + 32])
            if label not in seen:
                bitmap = np.array([[c == "1" for c in line] for line in lines[i:i + 32]])
                Image.fromarray(np.where(bitmap, 0, 255).astype(np.uint8)).resize((128, 128)).save(
                    work / f"writer_{label}.png")
                rows.append(f"writer_{label}.png,,{label}")
                seen.add(label)
            i += 33
        else:
            i += 1
    (work / "writer.csv").write_text("\n".join(rows) + "\n")
    cli("enrol", "--csv", str(work / "writer.csv"), "--out", str(work / "writer.json"), "--model", str(model))
    profiles["optdigits writer"] = work / "writer.json"
    return profiles


def run_batched(runner, images, waves, image_present, audio_present, profile, batch: int = 500) -> np.ndarray:
    answers = []
    for start in range(0, len(images), batch):
        part = slice(start, start + batch)
        out = runner.run(images[part], waves[part], image_present[part], audio_present[part])
        if profile is not None:
            out = profile.adapt_outputs(out, bool(image_present[0]), bool(audio_present[0]))
        answers.append(out["fused_logits"].argmax(1))
    return np.concatenate(answers)


def no_harm(model: Path, root: Path, profiles: dict[str, Path], mnist_limit: int | None = None) -> str:
    from digitfusion.data.bundle import load_bundle
    from digitfusion.enrol.apply import load_profile_for
    from digitfusion.export.runtime import ExportedRunner

    runner = ExportedRunner(model)
    test = load_bundle(root, "official", seed=0)["test"]
    n_audio, n_image = len(test.audio_labels), min(len(test.image_labels), mnist_limit or len(test.image_labels))
    sets = {"FSDD official test (audio only)": (np.zeros((n_audio, 1, 28, 28), np.float32),
                                                 test.waves.astype(np.float32), 0.0, 1.0, test.audio_labels.numpy()),
            "MNIST test (image only)": (test.images[:n_image].numpy(), np.zeros((n_image, runner.clip_samples),
                                                                                 np.float32),
                                        1.0, 0.0, test.image_labels[:n_image].numpy())}
    rows = ["| test set | items | no profile | " + " | ".join(f"{p}'s profile" for p in profiles) + " |",
            "|---|---|---|" + "---|" * len(profiles)]
    for name, (images, waves, ip, ap, labels) in sets.items():
        flags = np.full(len(labels), ip, np.float32), np.full(len(labels), ap, np.float32)
        cells = [run_batched(runner, images, waves, *flags, None)]
        cells += [run_batched(runner, images, waves, *flags, load_profile_for(path, runner))
                  for path in profiles.values()]
        rows.append(f"| {name} | {len(labels)} | " + " | ".join(f"{100 * (c == labels).mean():.2f}" for c in cells)
                    + " |")
    return "\n".join(rows)


def outside_voices(model: Path, root: Path, profiles: dict[str, Path], work: Path) -> str:
    """giulio / sheila: 1 take per digit, so a profile can only be tested on the other person (not enrolment)."""
    rows = ["| speaker | clips | no profile | with the other speaker's profile |", "|---|---|---|---|"]
    for person, other in (("giulio", "sheila"), ("sheila", "giulio")):
        batch = work / f"{person}-batch.csv"
        files = sorted((root / "outside-voices" / person).glob("*.wav"))
        batch.write_text("image,audio\n" + "".join(f",{p}\n" for p in files))
        truth = [int(p.stem[-2:]) for p in files]
        accs = []
        for extra in ([], ["--profile", str(profiles[other])]):
            run = cli("predict", "--batch", str(batch), "--json", "--model", str(model), *extra)
            digits = [json.loads(line)["digit"] for line in run.stdout.splitlines()]
            accs.append(np.mean(np.array(digits) == np.array(truth)))
        rows.append(f"| {person} | {len(files)} | {100 * accs[0]:.0f} | {100 * accs[1]:.0f} |")
    return "\n".join(rows)


def wall_time(model: Path, root: Path, work: Path, repeats: int = 3) -> float:
    """Median seconds of `enrol --audio-dir` (giulio's 10 clips) + `predict --batch --json --profile` on the
    100 Speech Commands clips, as two CLI processes (each start included)."""
    batch = work / "speech.csv"
    clips = sorted((root / "speech-commands").glob("*/*.wav"))[:100]
    batch.write_text("image,audio\n" + "".join(f",{p}\n" for p in clips))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        cli("enrol", "--audio-dir", str(work / "voice"), "--out", str(work / "timed.json"), "--model", str(model))
        run = cli("predict", "--batch", str(batch), "--json", "--profile", str(work / "timed.json"),
                  "--model", str(model))
        times.append(time.perf_counter() - start)
        assert len(run.stdout.splitlines()) == len(clips)
    return float(np.median(times))


def main() -> int:
    from digitfusion.paths import require_data_root

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", default="runs/enrol", help="folder of bench/enrol_models.py")
    parser.add_argument("--model", default="runs/enrol-official/model", help="exported official model folder")
    parser.add_argument("--out", default="bench/enrol_results.md")
    parser.add_argument("--skip-loso", action="store_true", help="only the exported model's checks")
    parser.add_argument("--mnist-limit", type=int, default=None, help="first N MNIST test images (default: all)")
    args = parser.parse_args()
    root = require_data_root(None)
    command = "python bench/bench_enrol.py " + " ".join(sys.argv[1:])
    sections, folds, shipped = [], {}, None
    if not args.skip_loso:
        folds = loso(Path(args.folds), root)
        shipped = shipped_choice(folds)
        sections = [("Methods (FSDD leave-one-speaker-out, test speakers, mean of folds, %)", methods_table(folds)),
                    (f"Per fold, method {shipped.name} (per-fold choice on validation)",
                     per_fold_table(folds, shipped.name)),
                    ("Shipped (chosen on the validation speakers pooled)", f"`{shipped}`")]
    model = Path(args.model)
    numbers = {}
    if (model / "model.onnx").is_file():
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "voice").mkdir()
            for p in sorted((root / "outside-voices" / "giulio").glob("*.wav")):
                (work / "voice" / f"{int(p.stem[-2:])}_giulio.wav").write_bytes(p.read_bytes())
            profiles = outside_profiles(model, root, work)
            sections.append(("No harm: another person's profile applied (exported official model, %)",
                             no_harm(model, root, profiles, args.mnist_limit)))
            sections.append(("Outside voices (1 take per digit)", outside_voices(model, root, profiles, work)))
            numbers["wall"] = wall_time(model, root, work)
            load = os.getloadavg()[0]
            sections.append(("Wall time", f"enrol 10 clips + predict 100 clips (two CLI processes, median of 3): "
                                          f"{numbers['wall']:.2f} s ({os.cpu_count()} cores, load average "
                                          f"{load:.1f} when measured)"))
    text = f"# Enrolment bench\n\n`{command}`\n"
    for title, body in sections:
        text += f"\n## {title}\n\n{body}\n"
    print(text, flush=True)
    write_text(args.out, text)
    write_text(Path(args.out).with_suffix(".json"), json.dumps(
        {"folds": {s: {m: {"chosen": v["chosen"], "test": v["test"]} for m, v in f["methods"].items()}
                   for s, f in folds.items()},
         "shipped": shipped.to_dict() if shipped else None, **numbers}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
