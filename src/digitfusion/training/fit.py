"""fit(): train any model of the registry from a TrainConfig, keep the best weights on validation.

A run folder holds config.json, model.safetensors (best validation loss), summary.json,
logs/metrics.csv (per-epoch curves), curves.png and checkpoints/last.ckpt (for --resume).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import warnings
from collections import Counter
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.accelerators import CUDAAccelerator
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from digitfusion.atomic import write_text
from digitfusion.data.bundle import Bundle, load_bundle
from digitfusion.errors import DigitfusionError
from digitfusion.features.pca import PCAImages
from digitfusion.features.speech_embedding import SpeechEmbeddingParams
from digitfusion.models import build_model as build_named
from digitfusion.plots import curves_figure, save
from digitfusion.training.augment import LOW_RANK_MAX, AugmentConfig, BatchAugmenter
from digitfusion.training.augment.registry import ops_in
from digitfusion.training.checkpoint import CONFIG, WEIGHTS, save_weights
from digitfusion.training.config import TrainConfig, front_end_params
from digitfusion.training.data import loader, side_dataset
from digitfusion.training.faults import fault_callbacks
from digitfusion.training.feature_copies import copies_dataset
from digitfusion.training.module import LitClassifier
from digitfusion.training.outliers import exposure_set
from digitfusion.training.sampling import check_weights, epoch_sampler

log = logging.getLogger("digitfusion")


def build_model(config: TrainConfig, initialise: bool = False) -> torch.nn.Module:
    """The config's architecture; with `initialise`, fused encoders and per-modality heads start from the
    unimodal runs named in `config.init_from` ({"image": run_dir, "audio": run_dir})."""
    model = build_named(config.model, **({"encoders": config.encoders} if config.modality == "pair" else {}),
                        **config.model_kwargs)
    if initialise and config.init_from:
        from digitfusion.training.checkpoint import load_run

        for modality in ("image", "audio"):
            if modality in config.init_from:
                model.load_unimodal(modality, load_run(config.init_from[modality])[0])
    return model


def build_augmenter(config: TrainConfig, params, train_images: torch.Tensor) -> BatchAugmenter | None:
    image = tuple(config.augment_image) if config.modality in ("image", "pair") else ()
    audio = tuple(config.augment_audio) if config.modality in ("audio", "pair") and config.features != "lab" else ()
    if isinstance(params, SpeechEmbeddingParams):  # log-mel ops mean nothing to embeddings: the clip's ops only
        audio = tuple(name for name in audio if name in ops_in("wave"))
    if not image and not audio:
        return None
    augment = AugmentConfig(image=image, audio=audio, noise_snr_db=tuple(config.noise_snr_db), p=config.augment_p)
    # The low-rank op's basis: the leading principal components of this run's own training images.
    basis = None
    if "lowrank" in image:
        pixels = train_images[0].numel()
        basis = PCAImages(keep=min(1.0, LOW_RANK_MAX / pixels), by="components").fit(train_images)
    return BatchAugmenter(augment, frontend=params.frontend(), seed=config.seed, basis=basis)


def data_counts(bundle: Bundle, modality: str) -> dict:
    """Training items per corpus (speech) or per image source, and per side: what the run really learnt from."""
    counts: dict = {}
    for side in ("train", "val", "test"):
        sources = bundle[side].image_source if modality == "image" else bundle[side].audio_corpus
        counts[side] = dict(sorted(Counter(sources).items()))
    return counts


def run_data(config: TrainConfig, bundle: Bundle) -> dict:
    """{modality: {side: {source: count}}} of what this run reads, logged and kept in its summary."""
    counts = {m: data_counts(bundle, m) for m in (("image", "audio") if config.modality == "pair"
                                                   else (config.modality,))}
    for modality, per_side in counts.items():
        log.info("  %s data of %s: %s", modality, config.model, json.dumps(per_side))
    return counts


def fit(config: TrainConfig, data_root: str | Path, run_dir: str | Path, bundle: Bundle | None = None,
        progress: bool = True, resume: bool = False) -> dict:
    """Train, keep the best validation weights, write the run folder; returns the summary."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    quiet_lightning()
    L.seed_everything(config.seed, workers=True, verbose=False)
    params = front_end_params(config.features)
    bundle = bundle or load_bundle(data_root, config.protocol, config.holdout, config.data_seed, params=params,
                                   corpora=config.corpus, images=config.images)
    if config.modality != "image" and bundle.params != params:  # validation would read other features
        raise DigitfusionError(config.model, f"reads {config.features} features, but the data given holds "
                                             f"{type(bundle.params).__name__}'s: load it with the model's front end")
    check_weights(config.corpus_weights, config.corpus)
    counts = run_data(config, bundle)
    model = build_model(config, initialise=not resume)
    augmenter = build_augmenter(config, params, bundle["train"].images)
    outliers = exposure_set(config, params, augmenter, bundle["train"])
    audio_rows = epoch_sampler(bundle["train"].audio_corpus, config.corpus_weights, config.seed)
    if config.feature_copies:  # the clips are augmented once, ahead of training
        train_set = copies_dataset(bundle["train"], augmenter, params, config)
        augmenter = None
    else:
        needs_waves = augmenter is not None and augmenter.config.needs_waves
        train_set = side_dataset(bundle["train"], config.modality, config.seed, train=True, with_waves=needs_waves,
                                 audio_rows=audio_rows)
    val_set = side_dataset(bundle["val"], config.modality, config.seed, train=False)
    lit = LitClassifier(model, config, augmenter, outliers)
    best = ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="best", monitor="val_loss", mode="min",
                           save_last=True, save_weights_only=False)
    callbacks = [best] + ([EarlyStopping("val_loss", patience=config.patience)] if config.patience else [])
    callbacks += fault_callbacks()
    trainer = L.Trainer(
        max_epochs=config.epochs, accelerator=config.accelerator, devices=config.devices, num_nodes=config.num_nodes,
        strategy=config.lightning_strategy, precision=config.precision, logger=loggers(config, run_dir),
        callbacks=callbacks, deterministic=True,
        enable_progress_bar=progress, enable_model_summary=False, num_sanity_val_steps=0,
        limit_train_batches=config.limit_train_batches, limit_val_batches=config.limit_val_batches,
        use_distributed_sampler=True)
    if resume:
        keep_history(run_dir)
    else:
        clear_previous_run(run_dir)
    start = time.perf_counter()
    on_gpu = isinstance(trainer.accelerator, CUDAAccelerator)  # then batches load in workers, into pinned memory
    rows = audio_rows if config.modality == "audio" else None  # pairs draw from audio_rows themselves
    trainer.fit(lit, loader(train_set, config.batch_size, True, config.seed, on_gpu, rows),
                loader(val_set, 512, False, config.seed, on_gpu), ckpt_path="last" if resume else None,
                weights_only=True)  # a checkpoint is never unpickled beyond tensors and plain values
    seconds = time.perf_counter() - start
    if trainer.global_rank != 0:
        return {}
    return finish_run(run_dir, config, model, best, seconds, counts)


def loggers(config: TrainConfig, run_dir: Path) -> list:
    """logs/metrics.csv always (the summary and curves read it); TensorBoard's event files beside it on request."""
    chosen = [CSVLogger(run_dir, name="", version="logs")]
    if config.logger == "tensorboard":
        from lightning.pytorch.loggers import TensorBoardLogger

        chosen.append(TensorBoardLogger(run_dir, name="", version="tensorboard"))
    return chosen


def finish_run(run_dir: Path, config: TrainConfig, model: torch.nn.Module, best: ModelCheckpoint,
               seconds: float, counts: dict) -> dict:
    """Best weights -> model.safetensors; config, summary and curves beside them."""
    state = torch.load(best.best_model_path, map_location="cpu", weights_only=True)["state_dict"]
    weights = {k.removeprefix("model."): v.contiguous() for k, v in state.items() if k.startswith("model.")}
    model.load_state_dict(weights)
    save_weights(model, run_dir / WEIGHTS)
    write_text(run_dir / CONFIG, config.to_json() + "\n")
    history = read_history(run_dir / "logs" / "metrics.csv")
    save(curves_figure(history, f"{config.model} ({config.protocol})"), run_dir / "curves.png")
    best_epoch = int(min(range(len(history["val_loss"])), key=history["val_loss"].__getitem__)) + 1
    summary = {"model": config.model, "modality": config.modality, "protocol": config.protocol, "corpus": config.corpus,
               "holdout": config.holdout, "seed": config.seed, "config_hash": config.digest(),
               "epochs_run": len(history["val_loss"]), "best_epoch": best_epoch,
               "val_loss": history["val_loss"][best_epoch - 1], "val_acc": history["val_acc"][best_epoch - 1],
               "train_seconds": round(seconds, 2),
               "parameters": sum(p.numel() for p in model.parameters()), "data": counts}
    write_text(run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def clear_previous_run(run_dir: Path) -> None:
    """A fresh (not resumed) training into a used folder starts from empty logs and checkpoints: Lightning would
    otherwise version its checkpoints beside the old ones, and the old history would be read as this run's.
    Only the launching process clears (DDP ranks started by Lightning carry LOCAL_RANK)."""
    if os.environ.get("LOCAL_RANK", "0") != "0":
        return
    for name in ("logs", "checkpoints"):
        shutil.rmtree(run_dir / name, ignore_errors=True)


def keep_history(run_dir: Path) -> None:
    """Lightning's CSV logger starts metrics.csv afresh on resume: keep the epochs logged before the crash."""
    current = run_dir / "logs" / "metrics.csv"
    if current.is_file():
        earlier = run_dir / "logs" / "metrics-before-resume.csv"
        earlier.write_text(current.read_text() if not earlier.exists() else earlier.read_text() +
                           "".join(current.read_text().splitlines(keepends=True)[1:]))


def read_history(metrics_csv: Path) -> dict[str, list[float]]:
    """Per-epoch values from Lightning's CSV log (train and val metrics arrive on separate rows), with the
    epochs logged before a resume (later rows of an epoch win: a resumed epoch was run again)."""
    import csv

    per_epoch: dict[int, dict[str, float]] = {}
    sources = [metrics_csv.with_name("metrics-before-resume.csv"), metrics_csv]
    for source in [s for s in sources if s.is_file()]:
        with open(source, newline="") as handle:
            for row in csv.DictReader(handle):
                epoch = per_epoch.setdefault(int(row["epoch"]), {})
                epoch.update({k: float(v) for k, v in row.items()
                              if v not in ("", None) and k not in ("epoch", "step")})
    keys = ("train_loss", "train_acc", "val_loss", "val_acc")
    return {k: [per_epoch[e][k] for e in sorted(per_epoch) if k in per_epoch[e]] for k in keys}


def quiet_lightning() -> None:
    """Lightning's banner lines and CPU-only hints are noise in a CLI."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*GPU available but not used.*")
    warnings.filterwarnings("ignore", ".*LeafSpec.*")
    warnings.filterwarnings("ignore", ".*smaller than the logging interval.*")

