"""run_pipeline(): every stage of `make demo` / `digitfusion demo`, each logged in one line."""

from __future__ import annotations

import json
import logging
import platform
import sys
import time
from pathlib import Path

from digitfusion import __version__
from digitfusion.atomic import write_text
from digitfusion.evaluation.aggregate import group_of
from digitfusion.evaluation.evaluate import evaluate_protocol
from digitfusion.features.cache import load_features
from digitfusion.pipeline.configs import get_config
from digitfusion.pipeline.train_all import expand_protocols, train_protocol
from digitfusion.training.fit import quiet_lightning

log = logging.getLogger("digitfusion")


def setup_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def versions() -> dict:
    import lightning
    import numpy
    import torch

    return {"digitfusion": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "lightning": lightning.__version__, "numpy": numpy.__version__, "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(), "system": platform.platform()}


def run_pipeline(config_name: str, root: Path, out: Path, force: bool = False, progress: bool = False,
                 command: str = "", train: bool = True, hardware: dict | None = None) -> dict:
    """Train (or reuse) every model, evaluate every strategy, write tables and the report under `out`."""
    setup_logging()
    quiet_lightning()
    config = get_config(config_name)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    log.info("stage data: %s (config %s, seeds %s)", root, config.name, config.seeds)
    protocols = expand_protocols(config.protocols, root, config.corpora)
    tick = time.perf_counter()
    from digitfusion.data.clips import CorpusClips
    from digitfusion.data.corpora import list_recordings

    features = load_features(root, list_recordings(root, config.corpora), source=CorpusClips(root))
    timings["features"] = time.perf_counter() - tick
    log.info("stage features: %d clips %s in %.1f s", len(features.paths),
             "read from cache" if features.from_cache else "computed", timings["features"])
    entries = []
    retrained: set[Path] = set()  # with --force, a model shared by protocols (the image CNN) is retrained once
    for seed in config.seeds:
        for protocol in protocols:
            tick = time.perf_counter()
            log.info("stage train: protocol %s, seed %d", protocol, seed)
            done = train_protocol(config, root, out, protocol, seed, force=force, progress=progress, train=train,
                                  retrained=retrained, hardware=hardware)
            timings[f"train {done.folder.name} seed{seed}"] = time.perf_counter() - tick
            tick = time.perf_counter()
            log.info("stage evaluate: protocol %s, seed %d", done.folder.name, seed)
            results = evaluate_protocol(done.runs, done.bundle, seed, done.folder / "evaluation",
                                        max_pairs=config.test_pairs,
                                        robustness=group_of(done.folder.name) in config.sweep_groups,
                                        lab_audio=done.lab_test_audio)
            timings[f"evaluate {done.folder.name} seed{seed}"] = time.perf_counter() - tick
            entries.append({"protocol": done.folder.name, "seed": seed, "folder": str(done.folder),
                            "split": {"overlap": done.bundle.split.overlap(), "speakers": done.bundle.split.speakers()},
                            "results": results})
    timings["total"] = time.perf_counter() - start
    meta = {"config": config.name, "seeds": config.seeds, "protocols": protocols, "command": command,
            "corpora": list(config.corpora), "images": list(config.images),
            "versions": versions(), "timings_s": {k: round(v, 1) for k, v in timings.items()}}
    write_text(out / "entries.json", json.dumps({"meta": meta, "entries": entries}, indent=1) + "\n")
    from digitfusion.report.build import build_report

    tick = time.perf_counter()
    summary = build_report(out, root, meta, entries)
    log.info("stage report: %s in %.1f s", out / "report.html", time.perf_counter() - tick)
    return summary
