"""Enrolment bench: simulated enrolment on voices the model never heard, the methods table, the targets table.

    python bench/bench_enrol.py --folds runs/enrol --skip-model --nested --out bench/enrol_results.md   # the folds
    python bench/bench_enrol.py --skip-loso --out bench/enrol_shipped.md     # no harm + wall time, shipped model

1. FSDD leave-one-speaker-out: every fold model found under `--folds DIR` (`DIR/seed*/speaker-S/audio-embed` or
   `audio-cnn`, with `attention` beside it when the fold has a fusion: then its exported graph's audio embedding is
   used) embeds the fold's held-out test speaker, its validation speaker and other people (enrol_simulation.py).
   Each method's setting (weight, temperature, centring, gate) is chosen on the fold's VALIDATION speaker: best
   own-voice accuracy among the settings that do not harm other people; then scored once on its test speaker. One
   setting for every fold is chosen on the validation speakers pooled over folds.
   `--nested` (what `enrol` ships, since stop 31): the validation speaker is the same person in five folds of six,
   and his own voice is read at 99.5 % whatever the setting, so that side can hardly choose. The folds' held-out
   speakers can, in turn: each fold's setting is chosen by the same rule on the other five folds' held-out
   speakers (each enrolled under the fold model that never heard them) and read once on its own (the nested row,
   the measure); the shipped setting is that rule on all six pooled.
   Templates (the person's recordings matched by DTW, over the gated ridge or alone) are scored the same way,
   with DTW cost matrices computed once per fold.
2. No-harm: the exported model (`--model`, default the shipped one) answers the FSDD official test (audio) and
   MNIST test (images) with and without another person's profile (outside voices giulio / sheila; the first
   optdigits writer's digits), profiles made by `digitfusion enrol` (so with the method `SHIPPED` holds).
3. Outside voices (1 take per digit): what can be measured without a second take.
4. Wall time of `digitfusion enrol` (10 clips) + `digitfusion predict --batch --json --profile` (100 clips),
   beside plain predict, and whether either imports torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from enrol_simulation import (  # noqa: E402
    AUDIO_MODELS,
    BANK_FEATURES,
    HARM_ALLOWED,
    KS,
    TEMPLATE_FAMILIES,
    audio_model,
    choose,
    corpus_clips,
    cost_matrix,
    fold_embeddings,
    grid,
    speech_commands,
    subsample,
    summary,
    template_grid,
    tested,
)

from digitfusion.atomic import write_text  # noqa: E402
from digitfusion.enrol.methods import METHODS, MethodParams  # noqa: E402
from digitfusion.training.config import TrainConfig, front_end_params  # noqa: E402


def fold_folders(folds: Path) -> list[Path]:
    """Every FSDD leave-one-speaker-out fold under DIR (`DIR/seed*/speaker-*` holding an audio model)."""
    return sorted(p for p in folds.glob("seed*/speaker-*") if audio_model(p))


def loso(folds: Path, root: Path, bank: str = "head", nested: bool = False) -> dict:
    """Per fold: the validation grids, each method's choice on validation (gated or not), its test accuracy;
    with `nested`, the shippable methods' grids on the test speaker too (NESTED_ROW chooses from the other folds')."""
    from digitfusion.data.bundle import load_bundle

    result = {}
    found = fold_folders(folds)
    if not found:
        raise SystemExit(f"no fold model under {folds}/seed*/speaker-*/({'|'.join(AUDIO_MODELS)})")
    for folder in found:
        holdout, seed = folder.name.removeprefix("speaker-"), int(folder.parent.name.removeprefix("seed"))
        # The fold's own split and corpora (a fold of every corpus validates on some speakers of each: its FSDD
        # validation speaker is the one enrolled in simulation, its FSDD training speakers are the others).
        config = TrainConfig.load(folder / audio_model(folder) / "config.json")
        bundle = load_bundle(root, config.protocol, config.holdout, seed, params=front_end_params(config.features),
                             corpora=config.corpus)
        val, test = (fold_embeddings(folder, corpus_clips(bundle[side]), bank) for side in ("val", "test"))
        others = {"training speakers": fold_embeddings(folder, subsample(corpus_clips(bundle["train"]), 4), bank),
                  "speech-commands": fold_embeddings(folder, speech_commands(root, bundle.params), bank)}
        fsdd_val = ",".join(v for v in bundle.split.val_speaker.split(",") if v.startswith("fsdd.") or "." not in v)
        # Templates: DTW costs between the validation speaker's clips, from other people's to them, and between
        # the test speaker's clips (each trial's templates are columns of these).
        grids = method_grids(val, others, cost_matrix(val, val), TEMPLATE_METHODS)
        fold = {"val_speaker": fsdd_val, "model": test["model"], "grids": grids, "rows": {},
                "others_baseline": {n: float((d["logits"].argmax(1) == d["labels"]).mean()) for n, d in others.items()}}
        test_costs = cost_matrix(test, test)
        if nested:
            fold["test grids"] = method_grids(test, others, test_costs,
                                              {f: n for f, n in TEMPLATE_METHODS.items() if n in SHIPPABLE})
        for row, (method, gate, own_only) in ROWS.items():
            params = choose([fold["grids"][method]], list(others), gate, own_only)
            own, harm = summary(fold["grids"][method][params], list(others))
            fold["rows"][row] = {"chosen": params, "validation": (own, harm), "test": tested(test, params, test_costs)}
        fold["test side"] = (test, test_costs)  # the shipped setting is scored on it once chosen (not saved)
        print(f"  fold {holdout} (validation speaker {fold['val_speaker']}): baseline "
              f"{100 * fold['rows']['ridge, gated']['test'][1]['baseline']:.1f} %", flush=True)
        result[holdout] = fold
    return result


# Methods table rows: (method, gate allowed, the first round's own-voice-only rule). Templates are the person's
# recordings matched by DTW, added to the gated ridge that was shipped before them, used alone, or added to a
# ridge whose gate is the templates' distance (enrol_simulation.TEMPLATE_FAMILIES).
TEMPLATE_METHODS = {"ridge": "ridge, gated + templates (DTW)", "none": "templates (DTW) alone",
                    "voice-gated ridge": "ridge, voice-gated (DTW distance) + templates (DTW)"}
ROWS = {"ridge, first round's rule (own voice only, no gate)": ("ridge", False, True),
        **{f"{m}, no gate": (m, False, False) for m in METHODS},
        **{f"{m}, gated": (m, True, False) for m in METHODS},
        "ridge, gated + templates (DTW), own voice only (no harm rule)": (TEMPLATE_METHODS["ridge"], True, True),
        **{name: (name, True, False) for name in TEMPLATE_METHODS.values()}}


SHIPPED_ROW = "the shipped setting (one setting for every fold, chosen on the validation speakers pooled)"
# The shipped setting is one MethodParams for both modalities, and templates exist for recordings only: a
# setting without the embedding part ("templates alone") would leave a person's writing unused, so the
# shipped choice is made among the methods that keep it.
SHIPPABLE = (*METHODS, TEMPLATE_METHODS["ridge"], TEMPLATE_METHODS["voice-gated ridge"])


NESTED_ROW = "nested: each fold's setting chosen on the other five folds' test speakers (its own unused)"


def method_grids(own: dict, others: dict[str, dict], own_costs: np.ndarray, templates: dict[str, str]
                 ) -> dict:
    """One person's grids (`own`, with their DTW cost matrix) against the other sets: every embedding method, and
    the template methods `templates` ({family: grid name}, a part of TEMPLATE_METHODS)."""
    other_costs = {name: cost_matrix(data, own) for name, data in others.items()}
    grids = {method: grid(own, others, method) for method in METHODS}
    for family, name in templates.items():
        grids[name] = template_grid(own, others, own_costs, other_costs, TEMPLATE_FAMILIES[family])
    return grids


def shipped_choice(folds: dict, grids_key: str = "grids") -> tuple[str, MethodParams]:
    """The method (its grid's name) and setting with the best own-voice accuracy pooled over folds, among those
    that harm no set of other people: on the validation speakers (test speakers unused), or with `grids_key`
    "test grids" on the folds' test speakers (NESTED_ROW: the folds given are the other five)."""
    others = list(next(iter(folds.values()))["others_baseline"])
    best, best_key = None, None
    for method in SHIPPABLE:
        grids = [f[grids_key][method] for f in folds.values()]
        params = choose(grids, others, gate=True)
        own, harm = np.mean([summary(g[params], others) for g in grids], axis=0)
        key = (harm >= -HARM_ALLOWED, own, harm)
        if best_key is None or key > best_key:
            best, best_key = (method, params), key
    return best


def describe_params(p: MethodParams) -> str:
    gate = f"voice {p.voice_gate:g}" if p.voice_gate is not None else "-" if p.gate is None else f"{p.gate:g}"
    text = f"{p.weight:g}/{p.temperature:g}/{'y' if p.centre else 'n'}/{gate}"
    if p.template_weight:
        text += f" + templates {p.template_weight:g}/{p.template_temperature:g}/{p.template_gate:g}"
    return text


def methods_table(folds: dict) -> str:
    speakers = sorted(folds)
    rows = ["| method | " + " | ".join(f"test k = {k}" for k in KS) + " | validation: own voice / worst change "
            "on other people | chosen per fold (weight / temperature / centred / gate [+ templates weight / "
            "temperature / gate]) |",
            "|---|" + "---|" * (len(KS) + 2)]
    base = [np.mean([folds[s]["rows"]["ridge, gated"]["test"][k]["baseline"] for s in speakers]) for k in KS]
    rows.append("| no enrolment (baseline) | " + " | ".join(f"{100 * b:.2f}" for b in base) + " | — | — |")
    for row in (*ROWS, SHIPPED_ROW, *([NESTED_ROW] if NESTED_ROW in folds[speakers[0]]["rows"] else [])):
        cells = [np.mean([folds[s]["rows"][row]["test"][k]["enrolled"] for s in speakers]) for k in KS]
        own, harm = np.mean([folds[s]["rows"][row]["validation"] for s in speakers], axis=0)
        chosen = "; ".join(f"{s} {describe_params(folds[s]['rows'][row]['chosen'])}" for s in speakers)
        rows.append(f"| {row} | " + " | ".join(f"{100 * c:.2f}" for c in cells)
                    + f" | {100 * own:.1f} / {100 * harm:+.1f} | {chosen} |")
    return "\n".join(rows)


def per_fold_table(folds: dict, row: str) -> str:
    rows = ["| test speaker | validation speaker | model | baseline | " + " | ".join(f"k = {k}" for k in KS)
            + " | other people's baseline (training speakers / speech-commands) |",
            "|---|---|---|---|" + "---|" * (len(KS) + 1)]
    for s in sorted(folds):
        test = folds[s]["rows"][row]["test"]
        others = " / ".join(f"{100 * v:.1f}" for v in folds[s]["others_baseline"].values())
        rows.append(f"| {s} | {folds[s]['val_speaker']} | {folds[s]['model']} | {100 * test[1]['baseline']:.1f} | "
                    + " | ".join(f"{100 * test[k]['enrolled']:.1f}" for k in KS) + f" | {others} |")
    return "\n".join(rows)


def nested_rows(folds: dict) -> None:
    """NESTED_ROW of every fold: the setting chosen, by the shipped rule, on the other folds' test speakers (each
    enrolled under the fold model that never heard them), then read once on this fold's test speaker. Its
    "validation" cell is what the choice saw (the other folds' pooled own voice / worst harm)."""
    for speaker, fold in folds.items():
        rest = {s: f for s, f in folds.items() if s != speaker}
        method, params = shipped_choice(rest, "test grids")
        seen = np.mean([summary(f["test grids"][method][params], list(f["others_baseline"])) for f in rest.values()],
                       axis=0)
        test, test_costs = fold["test side"]
        fold["rows"][NESTED_ROW] = {"chosen": params, "validation": tuple(seen),
                                    "test": tested(test, params, test_costs)}


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


def run_batched(runner, images, waves, image_present, audio_present, batch: int = 500) -> dict[str, np.ndarray]:
    """The runner's outputs on a whole set, in batches (run once; every profile then adapts these)."""
    parts = [runner.run(images[i:i + batch], waves[i:i + batch], image_present[i:i + batch],
                        audio_present[i:i + batch]) for i in range(0, len(images), batch)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


# The first round's shipped setting, applied to the same profiles for comparison (ungated, sharp).
FIRST_ROUND = MethodParams(name="ridge", weight=0.1, temperature=0.02, centre=True)


def no_harm(model: Path, root: Path, profiles: dict[str, Path], mnist_limit: int | None = None) -> str:
    """Accuracy with no profile and with each other person's profile: the method the profile holds (SHIPPED when
    made) and, for comparison, the first round's setting on the same examples."""
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
    loaded = {person: load_profile_for(path, runner) for person, path in profiles.items()}
    rows = ["| test set | items | profile method | no profile | " + " | ".join(f"{p}'s profile" for p in profiles)
            + " |", "|---|---|---|---|" + "---|" * len(profiles)]
    for name, (images, waves, ip, ap, labels) in sets.items():
        flags = np.full(len(labels), ip, np.float32), np.full(len(labels), ap, np.float32)
        out = run_batched(runner, images, waves, *flags)
        plain = 100 * (out["fused_logits"].argmax(1) == labels).mean()
        shipped = next(iter(loaded.values())).method
        for label, method in ((f"shipped `{describe_params(shipped)}`", None),
                              (f"first round `{describe_params(FIRST_ROUND)}`", FIRST_ROUND)):
            cells = []
            for profile in loaded.values():
                used = profile if method is None else dataclasses.replace(profile, method=method)
                adapted = used.adapt_outputs(out, bool(ip), bool(ap))["fused_logits"].argmax(1)
                cells.append(100 * (adapted == labels).mean())
            rows.append(f"| {name} | {len(labels)} | {label} | {plain:.2f} | "
                        + " | ".join(f"{c:.2f}" for c in cells) + " |")
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


def wall_time(model: Path, root: Path, work: Path, repeats: int = 3) -> dict[str, float]:
    """Median seconds of `enrol --audio-dir` (giulio's 10 clips) + `predict --batch --json --profile` on the
    100 Speech Commands clips, as two CLI processes (each start included); beside it, plain `predict --batch`
    (no profile) and one `python -c "import digitfusion.cli"` start, and whether either command imports torch."""
    batch = work / "speech.csv"
    clips = sorted((root / "speech-commands").glob("*/*.wav"))[:100]
    batch.write_text("image,audio\n" + "".join(f",{p}\n" for p in clips))
    enrol = ["enrol", "--audio-dir", str(work / "voice"), "--out", str(work / "timed.json"), "--model", str(model)]
    predict = ["predict", "--batch", str(batch), "--json", "--model", str(model)]
    timings: dict[str, list[float]] = {}
    for _ in range(repeats):
        with_profile = [*predict, "--profile", str(work / "timed.json")]
        for name, commands in (("enrol + predict --profile", [enrol, with_profile]), ("enrol", [enrol]),
                               ("predict (no profile)", [predict])):
            start, cpu = time.perf_counter(), children_cpu()
            runs = [cli(*command) for command in commands]
            timings.setdefault(name, []).append(time.perf_counter() - start)
            timings.setdefault(f"{name} (CPU s, user + system)", []).append(children_cpu() - cpu)
            assert name == "enrol" or len(runs[-1].stdout.splitlines()) == len(clips)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import digitfusion.cli"], check=True)
        timings.setdefault("python start + import digitfusion.cli", []).append(time.perf_counter() - start)
    out = {name: float(np.median(v)) for name, v in timings.items()}
    for name, command in (("enrol", enrol), ("predict --profile", [*predict, "--profile", str(work / "timed.json")])):
        run = subprocess.run([sys.executable, "-X", "importtime", "-m", "digitfusion", *command], capture_output=True,
                             text=True, check=True)
        out[f"{name} imports torch"] = any(line.split("|")[-1].strip() == "torch" for line in run.stderr.splitlines())
    return out


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes: what a command costs whatever
    the machine's load, where wall time under load says more about the other jobs."""
    times = os.times()
    return times.children_user + times.children_system


def wall_table(numbers: dict) -> str:
    rows = ["| command(s), 100 Speech Commands clips, 10 enrolment clips | median of 3 (wall s unless said) |",
            "|---|---|"]
    rows += [f"| {name} | {value:.2f} |" for name, value in numbers.items() if not isinstance(value, bool)]
    ratio = numbers["enrol + predict --profile"] / numbers["predict (no profile)"]
    rows.append(f"| ratio (enrol + predict --profile) / plain predict | {ratio:.2f} |")
    rows += [f"| {name} | {'yes' if value else 'no'} |" for name, value in numbers.items() if isinstance(value, bool)]
    load = os.getloadavg()[0]
    return "\n".join(rows) + f"\n\n{os.cpu_count()} cores, load average {load:.1f} when measured."


def main() -> int:
    from digitfusion.export.pretrained import PRETRAINED_DIR
    from digitfusion.paths import require_data_root

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", default="runs/enrol", help="folder of fold models: DIR/seed*/speaker-*/")
    parser.add_argument("--model", default=str(PRETRAINED_DIR), help="exported model folder (default: shipped)")
    parser.add_argument("--out", default="bench/enrol_results.md")
    parser.add_argument("--skip-loso", action="store_true", help="only the exported model's checks")
    parser.add_argument("--skip-model", action="store_true", help="only the leave-one-speaker-out folds")
    parser.add_argument("--bank-features", choices=BANK_FEATURES, default="head",
                        help="what the folds' methods read: the encoder's features (as enrol), the front end's, both")
    parser.add_argument("--nested", action="store_true",
                        help="also choose each fold's setting on the other folds' test speakers (twice the time)")
    parser.add_argument("--mnist-limit", type=int, default=None, help="first N MNIST test images (default: all)")
    args = parser.parse_args()
    root = require_data_root(None)
    command = "python bench/bench_enrol.py " + " ".join(sys.argv[1:])
    sections, folds, shipped, numbers = [], {}, None, {}
    if not args.skip_loso:
        folds = loso(Path(args.folds), root, args.bank_features, args.nested)
        grid_name, shipped = shipped_choice(folds)
        best_row = grid_name if shipped.template_weight else (
            f"{shipped.name}, {'gated' if shipped.gate is not None else 'no gate'}")
        if args.nested:
            nested_rows(folds)
        for fold in folds.values():  # the one pooled setting on every test speaker, read once
            test, test_costs = fold.pop("test side")
            validation = summary(fold["grids"][grid_name][shipped], list(fold["others_baseline"]))
            fold["rows"][SHIPPED_ROW] = {"chosen": shipped, "validation": validation,
                                         "test": tested(test, shipped, test_costs)}
        sections = [("Methods (FSDD leave-one-speaker-out: test speakers, mean of folds and of 50 enrolment trials, "
                     "audio-only accuracy %)", methods_table(folds)),
                    (f"Per fold, {best_row} (per-fold choice on validation)", per_fold_table(folds, best_row)),
                    ("Per fold, the shipped setting", per_fold_table(folds, SHIPPED_ROW)),
                    ("Chosen on the validation speakers pooled", f"`{shipped}`")]
        if args.nested:  # the rule `enrol` ships: every fold's held-out speaker pooled; the nested row measures it
            shipped = shipped_choice(folds, "test grids")[1]
            sections += [("Per fold, nested", per_fold_table(folds, NESTED_ROW)),
                         ("Shipped (chosen on every fold's held-out speaker pooled; measured by the nested row)",
                          f"`{shipped}`")]
    model = Path(args.model)
    if not args.skip_model:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "voice").mkdir()
            for p in sorted((root / "outside-voices" / "giulio").glob("*.wav")):
                (work / "voice" / f"{int(p.stem[-2:])}_giulio.wav").write_bytes(p.read_bytes())
            profiles = outside_profiles(model, root, work)
            sections.append((f"No harm: another person's profile applied ({model}; %; method as weight / "
                              "temperature / centred / gate)",
                             no_harm(model, root, profiles, args.mnist_limit)))
            sections.append(("Outside voices (1 take per digit)", outside_voices(model, root, profiles, work)))
            numbers = wall_time(model, root, work)
            sections.append(("Wall time", wall_table(numbers)))
    text = f"# Enrolment bench\n\n`{command}`\n"
    for title, body in sections:
        text += f"\n## {title}\n\n{body}\n"
    print(text, flush=True)
    write_text(args.out, text)
    write_text(Path(args.out).with_suffix(".json"), json.dumps(
        {"folds": {s: {row: {"chosen": v["chosen"].to_dict(), "validation": v["validation"], "test": v["test"]}
                       for row, v in f["rows"].items()} for s, f in folds.items()},
         "shipped": shipped.to_dict() if shipped else None, "wall": numbers}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
