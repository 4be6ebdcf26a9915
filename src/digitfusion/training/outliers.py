"""Outlier exposure (Hendrycks, Mazeika & Dietterich, ICLR 2019): while a unimodal model learns the ten digits,
it also sees non-digits and is taught to spread its answer evenly over the ten for them, so that its confidence
and energy later tell a letter, a scribble or a spoken word from a digit (issue 18).

The non-digits are the generated set's "training" part (data/nondigit.py): letters, symbols, scribbles,
specks, textures; words, syllables, tones, fragments, noise and silence by espeak-ng voices. None of its
letters, words or voices is in the halves that choose and test the abstention. Each item goes through predict's
own input pipeline, then the model's features; the result is cached under `.cache/outliers/`. For audio,
`outlier_copies` adds augmented copies of each recording, made with the config's wave ops as the digits' copies
are (training/feature_copies.py), so that "augmented" need not mean "a digit". Measured for the head over the speech
embedding and not taken: it flagged fewer of the threshold half (docs/results.md, "Abstention", stop 30).
For images, `outlier_augment` passes each batch's non-digits through the digits' image ops as they are drawn
(LitClassifier._with_outliers), for the same reason. `outlier_mix` also shows digits mixed with non-digits, their
target between the digit and the even spread (MixOE, Zhang et al., WACV 2023): letters and symbols far from every
digit teach little about a letter that is nearly a digit; the mixtures fill the space between. `outlier_glyphs`
draws more letters (of other scripts: the Latin ones are the halves') with the fonts that hold them.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from digitfusion.data import nondigit
from digitfusion.errors import DigitfusionError
from digitfusion.features.audio import clip_features
from digitfusion.features.mel import LogMelParams
from digitfusion.features.speech_embedding import SpeechEmbeddingParams
from digitfusion.inputs import prepare_audio, prepare_image
from digitfusion.paths import cache_dir
from digitfusion.training.augment import BatchAugmenter
from digitfusion.training.augment.image import rectangle_mask
from digitfusion.training.feature_copies import cached_copy, clips_digest

PART = nondigit.PART_TRAINING  # the part a model learns "not a digit" from


def uniform_loss(logits: torch.Tensor) -> torch.Tensor:
    """Cross-entropy from the uniform distribution over the classes to softmax(logits) [B, C], averaged."""
    return -F.log_softmax(logits, dim=-1).mean(dim=-1).mean()


def exposure_set(config, params, augmenter: BatchAugmenter | None, train=None) -> torch.Tensor | None:
    """The non-digits a model (TrainConfig `config`) is exposed to: None without outlier exposure; else the
    training part's inputs, for images the extra letters `config.outlier_glyphs` and `config.outlier_mirrors`
    mirrored digits of the training side `train` after them, and for audio `config.outlier_copies` augmented copies
    of each recording after them."""
    if not config.outlier_exposure:
        for option in ("outlier_copies", "outlier_augment", "outlier_mirrors", "outlier_mix", "outlier_glyphs"):
            if getattr(config, option):
                raise DigitfusionError(option, "needs outlier exposure (outlier_exposure > 0)")
        return None
    if config.outlier_mix not in MIXES:
        raise DigitfusionError(f"outlier_mix {config.outlier_mix!r}", f"unknown (choose from {', '.join(MIXES)})")
    if config.outlier_augment and (config.modality != "image" or not config.augment_image):
        raise DigitfusionError("outlier_augment", "needs an image model with image augmentation ops (augment_image)")
    if config.outlier_glyphs and config.modality != "image":
        raise DigitfusionError("outlier_glyphs", "needs an image model")
    inputs = outlier_inputs(config.modality, params)
    if config.outlier_glyphs:
        inputs = torch.cat([inputs, torch.from_numpy(_cached_glyphs(config.outlier_glyphs))])
    if config.outlier_mirrors:
        if config.modality != "image" or train is None:
            raise DigitfusionError("outlier_mirrors", "needs an image model and its training images")
        inputs = torch.cat([inputs, mirrored_digits(train.images, train.image_labels, config.outlier_mirrors,
                                                    config.seed)])
    if not config.outlier_copies:
        return inputs
    if config.modality != "audio" or augmenter is None or not augmenter.config.needs_waves:
        raise DigitfusionError("outlier_copies", "needs an audio model with wave augmentation ops (augment_audio)")
    clips = _cached_part(config.modality, params)
    digest = clips_digest(clips)
    copies = [cached_copy(clips, augmenter, params, c, digest) for c in range(1, config.outlier_copies + 1)]
    return torch.cat([inputs, *copies])


# digits whose mirror image is no digit (0, 1 and 8 are their own mirror images, near enough)
MIRRORED = (2, 3, 4, 5, 6, 7, 9)


def mirrored_digits(images: torch.Tensor, labels: torch.Tensor, count: int, seed: int) -> torch.Tensor:
    """`count` training digits of MIRRORED [N, 1, 28, 28], each flipped left to right, drawn with `seed`: shapes
    made of a digit's own strokes that are not a digit (negative data augmentation, Sinha et al., ICLR 2021), so
    that a detector learns where the digits' shapes end and not only that letters are not digits."""
    rows = torch.nonzero(torch.isin(labels, torch.tensor(MIRRORED))).flatten()
    chosen = rows[torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))[:count]]
    return torch.flip(images[chosen], dims=[-1])


MIXES = ("", "mixup", "cutmix")


def mixed_outliers(digits: torch.Tensor, labels: torch.Tensor, odd: torch.Tensor, kind: str,
                   classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Each digit's input [B, 1, H, W] (an image, or log-mel [B, 1, n_mels, T]) mixed with a non-digit's of `odd`,
    with a share lam ~ U(0, 1) of the digit: blended value by value ("mixup") or with a box of the non-digit pasted
    over 1 - lam of its area ("cutmix", lam then the digit's exact share). Returns the mixtures and their targets
    [B, classes]: lam on the digit's label plus (1 - lam) spread evenly (MixOE)."""
    lam = torch.rand(len(digits), device=digits.device)
    if kind == "mixup":
        mixed = lam.view(-1, 1, 1, 1) * digits + (1 - lam.view(-1, 1, 1, 1)) * odd
    else:
        mixed, lam = _cut_and_paste(digits, odd, lam)
    spread = torch.full((len(digits), classes), 1 / classes, device=digits.device)
    targets = lam[:, None] * F.one_hot(labels, classes).float() + (1 - lam[:, None]) * spread
    return mixed, targets


def _cut_and_paste(digits: torch.Tensor, odd: torch.Tensor, lam: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """CutMix (Yun et al., ICCV 2019): per image a box of about 1 - lam of the area, at a random place, taken from
    `odd`; returns the images and the digit's exact share of each."""
    (height, width), device = digits.shape[-2:], digits.device
    side = torch.sqrt(1 - lam)
    box_h, box_w = (side * height).round().long(), (side * width).round().long()
    top = (torch.rand(len(digits), device=device) * (height - box_h + 1)).long()
    left = (torch.rand(len(digits), device=device) * (width - box_w + 1)).long()
    inside = rectangle_mask(top, left, box_h, box_w, (height, width))
    return torch.where(inside, odd, digits), 1 - inside.float().mean(dim=(1, 2, 3))


def outlier_inputs(modality: str, params: LogMelParams) -> torch.Tensor:
    """The training part's non-digits as model inputs: images [M, 1, 28, 28] normalised, or log-mel
    [M, 1, n_mels, T] (what the input pipeline refuses, e.g. a blank image, is left out)."""
    if modality not in ("image", "audio"):
        raise DigitfusionError(f"outlier exposure for {modality!r}", "only unimodal image or audio models")
    if modality == "audio" and not isinstance(params, (LogMelParams, SpeechEmbeddingParams)):
        raise DigitfusionError("outlier exposure", "needs the log-mel or speech-embedding front end (not the lab's)")
    array = torch.from_numpy(_cached_part(modality, params))
    return array if modality == "image" else clip_features(array, params)


def _cached_part(modality: str, params: LogMelParams) -> np.ndarray:
    """The training part through the input pipeline (_prepared: images or clips), from the cache, stored there when
    absent."""
    return _cached(cache_dir() / "outliers" / f"{modality}-{_key(modality, params)}.npy",
                   lambda: _prepared(modality, params))


def _cached(path: Path, make) -> np.ndarray:
    """The array stored at `path`, made by `make()` and stored there (whole or not at all) when absent."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npy")
        np.save(partial, make())
        partial.replace(path)
    return np.load(path)


def _cached_glyphs(glyphs: str) -> np.ndarray:
    """Images [M, 1, 28, 28] of the extra glyphs (nondigit.make_extra_glyphs) through the input pipeline, cached."""
    # the training part's own key already covers the seed, sizes and fonts the glyphs are drawn with
    spec = {"part": _key("image", None), "glyphs": glyphs}
    key = hashlib.sha1(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]

    def make() -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            items = nondigit.make_extra_glyphs(Path(tmp), glyphs)
            arrays, refused = nondigit.prepared([item.path for item in items], prepare_image, (1, 28, 28))
        return arrays[~refused]

    return _cached(cache_dir() / "outliers" / f"glyphs-{key}.npy", make)


def _prepared(modality: str, params: LogMelParams) -> np.ndarray:
    """Images [M, 1, 28, 28] or clips [M, clip_samples] of the training part, through the input pipeline (what it
    refuses is nothing a model would be asked about: left out)."""
    with tempfile.TemporaryDirectory() as tmp:
        if modality == "image":
            items, prepare, shape = nondigit.make_images(Path(tmp), PART), prepare_image, (1, 28, 28)
        else:
            items = nondigit.make_audio(Path(tmp), PART)
            prepare, shape = (lambda p: prepare_audio(p, params.clip)), (params.clip_samples,)
        arrays, refused = nondigit.prepared([item.path for item in items], prepare, shape)
    return arrays[~refused]


def _key(modality: str, params: LogMelParams | None) -> str:
    """Changes with anything that changes the set: its definition and, for audio, the front end's parameters."""
    spec = {name: getattr(nondigit, name)[PART] for name in ("GLYPHS", "WORDS", "SYLLABLES", "VOICES", "SEEDS",
                                                               "SIZES")}
    spec["fonts"] = [p.name for p in nondigit.system_fonts(nondigit.SIZES[PART][1])]
    spec["params"] = asdict(params) if modality == "audio" else None
    return hashlib.sha1(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
