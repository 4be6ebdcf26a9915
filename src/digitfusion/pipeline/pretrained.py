"""Train the model shipped inside the package (`make model`): the recipe of export/pretrained.py, laid out as
every pipeline folder is, so a `make demo` folder's current runs are reused and the other way round."""

from __future__ import annotations

from pathlib import Path

from digitfusion.data.bundle import load_bundle
from digitfusion.errors import DigitfusionError
from digitfusion.export.pretrained import (
    DETECTOR_SUFFIX,
    RECIPE,
    recipe_config,
    recipe_detectors,
    recipe_encoders,
    recipe_fusion,
)
from digitfusion.pipeline.train_all import ensure_run, write_protocol_files
from digitfusion.runs import RunLayout
from digitfusion.training.config import front_end_params
from digitfusion.training.recipe import image_split

FAILED_BELOW = 0.5  # a recipe model's validation accuracy under this is a failed training (all of them reach 0.9)


def train_recipe(root: Path, out: Path, progress: bool = False, hardware: dict | None = None) -> str:
    """Train (or reuse) the recipe's models — the image and audio encoders' runs, the fusion — into pipeline
    folder `out`. Returns the split's name (the folder export reads)."""
    layout, seed, fusion, encoders = RunLayout(out), RECIPE["seed"], recipe_fusion(), recipe_encoders()
    image, audio = recipe_config(encoders["image"]), recipe_config(encoders["audio"])
    bundles = {}

    def data(config):  # the bundle of the model's own audio front end (the log-mel detector's is not the head's)
        features = audio.features if config.modality == "image" else config.features  # images: any bundle
        if features not in bundles:
            bundles[features] = load_bundle(root, RECIPE["protocol"], RECIPE["holdout"], seed,
                                            params=front_end_params(features), corpora=RECIPE["corpora"],
                                            images=RECIPE["images"])
        return bundles[features]

    bundle = data(audio)
    split = bundle.split.name
    write_protocol_files(bundle, seed, layout.split_dir(seed, split))  # the model card counts its speakers
    runs = encoder_dirs(out, split)
    jobs = [(image, runs["image"]), (audio, runs["audio"]),
            *((config, folder) for modality, folders in detector_dirs(runs).items()
              for config, folder in zip(recipe_detectors(modality), folders, strict=True)),
            (recipe_config(fusion, runs), layout.run_dir(fusion, seed, split))]  # last: it starts from the encoders
    for config, folder in jobs:
        refuse_failed(ensure_run(config, root, folder, data(config), False, progress, hardware=hardware), folder)
    return split


def refuse_failed(summary: dict, folder: Path) -> dict:
    """`summary` of the run in `folder`, refused when its validation accuracy says the training failed: a detector
    at chance once went into the shipped model unseen (stop 33: the log-mel detector was validated on the speech
    embedding's features, so its first epoch was kept; its calibration then left it off)."""
    accuracy = summary.get("val_acc")
    if accuracy is not None and accuracy < FAILED_BELOW:
        raise DigitfusionError(folder, f"validation accuracy {100 * accuracy:.1f} % (chance: 10 %): this training "
                                       "failed; delete the folder and run `make model` again")
    return summary


def encoder_dirs(out: Path, split: str) -> dict[str, Path]:
    """{modality: run folder} of the recipe's unimodal encoders in pipeline folder `out`."""
    layout, seed, encoders = RunLayout(out), RECIPE["seed"], recipe_encoders()
    image = recipe_config(encoders["image"])
    return {"image": layout.run_dir(image.model, seed, split, "image", image_split(image)),
            "audio": layout.run_dir(encoders["audio"], seed, split)}


def detector_dirs(runs: dict[str, Path]) -> dict[str, list[Path]]:
    """{modality: [run folder of each member]} of the recipe's outlier detectors, beside the encoders' run folders
    `runs`: `<model>-detector` at the recipe's seed, `<model>-detector-seed<seed>` at another."""
    return {m: [runs[m].with_name(spec["model"] + DETECTOR_SUFFIX
                                  + ("" if config.seed == RECIPE["seed"] else f"-seed{config.seed}"))
                for config in recipe_detectors(m)] for m, spec in RECIPE["detectors"].items()}
