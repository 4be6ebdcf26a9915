"""Run folders as weights + config: model.safetensors and config.json, never a pickled model.

Loading checks the weights against the architecture the config names (names and shapes), so a
tampered or foreign folder is refused with a one-line error instead of a half-loaded model.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from digitfusion.atomic import atomic_path
from digitfusion.errors import DigitfusionError
from digitfusion.training.config import TrainConfig

WEIGHTS, CONFIG = "model.safetensors", "config.json"


def save_weights(model: torch.nn.Module, path: str | os.PathLike) -> None:
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp))


def load_weights(model: torch.nn.Module, path: str | os.PathLike) -> torch.nn.Module:
    """Load safetensors weights into `model`, refusing missing, extra or reshaped tensors."""
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise DigitfusionError(path, f"not a readable safetensors file ({err})") from None
    expected = model.state_dict()
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise DigitfusionError(path, f"weights do not fit the model: missing {missing[:3]}, unexpected {extra[:3]}")
    for name, tensor in state.items():
        if tensor.shape != expected[name].shape:
            raise DigitfusionError(path, f"weight {name} has shape {tuple(tensor.shape)}, "
                                         f"the model expects {tuple(expected[name].shape)}")
    model.load_state_dict(state)
    return model


def load_run(run_dir: str | os.PathLike) -> tuple[torch.nn.Module, TrainConfig]:
    """The trained model of a run folder (in eval mode) and its config."""
    from digitfusion.training.fit import build_model

    run_dir = Path(run_dir)
    for name in (WEIGHTS, CONFIG):
        if not (run_dir / name).is_file():
            raise DigitfusionError(run_dir, f"not a trained run folder (no {name})")
    config = TrainConfig.load(run_dir / CONFIG)
    model = load_weights(build_model(config), run_dir / WEIGHTS)
    return model.eval(), config
