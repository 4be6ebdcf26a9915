"""The model shipped inside the package (src/digitfusion/pretrained/): where it is, and the recipe it comes from.

`make model` trains the recipe below (the demo pipeline's attention fusion, official protocol, seed 0) and exports
it into that folder; the export records the fused model's config hash (which covers its unimodal encoders' hashes).
`recipe_hash()` recomputes that hash from the code's configs, so a test can tell a stale shipped model.
This module imports no torch (predict and the app resolve their default model through it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"
RECIPE = {"pipeline": "demo", "protocol": "official", "seed": 0, "strategy": "attention"}
REBUILD_HINT = "run `make model` to rebuild it"


def model_dir(given: str | os.PathLike | None) -> Path:
    """The model folder to load: the one given (--model), else the shipped one."""
    return Path(given) if given is not None else PRETRAINED_DIR


def recorded_hash(folder: Path = PRETRAINED_DIR) -> str | None:
    """The fused config hash an exported folder's preprocessing.json records (None for older exports)."""
    from digitfusion.export.runtime import PREPROCESSING

    return json.loads((folder / PREPROCESSING).read_text()).get("config_hash")


def recipe_hash() -> str:
    """The config hash of the fused model `make model` trains, from the code's configs (needs [train])."""
    from digitfusion.pipeline.configs import get_config
    from digitfusion.pipeline.train_all import fusion_config, unimodal_configs

    config = get_config(RECIPE["pipeline"])
    image, audio = unimodal_configs(config, RECIPE["protocol"], RECIPE["seed"])
    # Run folders do not enter the hash (a fused config knows its encoders by their config hashes).
    init = {"image": "", "audio": "", "image_config": image.digest(), "audio_config": audio.digest()}
    return fusion_config(config, RECIPE["strategy"], RECIPE["protocol"], RECIPE["seed"], init).digest()


def train_recipe(root: Path, out: Path, progress: bool = False, hardware: dict | None = None) -> None:
    """Train the recipe's three models (image CNN, audio CNN, the fusion) into pipeline folder `out`, laid out as
    the pipeline lays them out, so that a `make demo` folder's current runs are reused and the other way round."""
    from digitfusion.data.bundle import load_bundle
    from digitfusion.pipeline.configs import get_config
    from digitfusion.pipeline.train_all import ensure_run, fusion_config, protocol_parts, unimodal_configs

    config, protocol, seed = get_config(RECIPE["pipeline"]), RECIPE["protocol"], RECIPE["seed"]
    bundle = load_bundle(root, *protocol_parts(protocol), seed)
    folder = out / f"seed{seed}" / bundle.split.name
    runs = {"image": out / f"seed{seed}" / "image-cnn", "audio": folder / "audio-cnn"}
    init = {name: str(run) for name, run in runs.items()}
    for (name, run), unimodal in zip(runs.items(), unimodal_configs(config, protocol, seed), strict=True):
        summary = ensure_run(unimodal, root, run, bundle, False, progress, hardware=hardware)
        init[f"{name}_config"] = summary["config_hash"]
    fused = fusion_config(config, RECIPE["strategy"], protocol, seed, init)
    ensure_run(fused, root, folder / RECIPE["strategy"], bundle, False, progress, hardware=hardware)
