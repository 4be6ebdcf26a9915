"""Latency per pair through the exported ONNX model (batch 1: median and p95), features included
(the log-mel front end is inside the graph), from a decoded clip and from files; throughput at batch 256."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from common import latencies, table, timed

from digitfusion.data.corpora import list_recordings
from digitfusion.data.mnist import load_mnist
from digitfusion.export.runtime import ExportedRunner
from digitfusion.features.image import normalise
from digitfusion.predict import predict_files


def run(root: Path, model_dir: Path) -> tuple[str, dict]:
    runner = ExportedRunner(model_dir)
    images, _ = load_mnist(root, "test")
    image = normalise(images[:1])
    wave = np.zeros((1, runner.clip_samples), np.float32)
    wave[0, 2000:6000] = np.sin(np.arange(4000) / 5) * 0.3
    one = np.ones(1, np.float32)
    graph = latencies(lambda: runner.run(image, wave, one, one), n=300)
    wav = root / list_recordings(root)[0].path
    png = Path(__file__).with_name("seven.png")
    from PIL import Image

    Image.fromarray(255 - images[0]).resize((280, 280)).save(png)
    files = latencies(lambda: predict_files(runner, str(png), str(wav)), n=100)
    png.unlink()
    batch_images, batch_waves = normalise(images[:256]), np.repeat(wave, 256, axis=0)
    ones = np.ones(256, np.float32)
    seconds = timed(lambda: runner.run(batch_images, batch_waves, ones, ones), repeat=5)
    text = table(["measure", "median", "p95"],
                 [["one pair, model + log-mel (batch 1)", f"{graph['median_ms']:.2f} ms", f"{graph['p95_ms']:.2f} ms"],
                  ["one pair from files (decode, resample, trim, image conversion, model)",
                   f"{files['median_ms']:.2f} ms", f"{files['p95_ms']:.2f} ms"],
                  ["throughput at batch 256", f"{256 / seconds:.0f} pairs/s", ""]])
    return text, {"graph": graph, "files": files, "pairs_per_s": 256 / seconds}
