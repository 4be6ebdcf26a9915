"""The recipe of docs/architecture.md, done once: a new fusion strategy is ONE file in models/fusions/ (here
written to a temporary folder added to that package's path) and every part of the project picks it up."""

import textwrap

import pytest
import torch

from digitfusion.models import build_model, fusions, registry

EXAMPLE = textwrap.dedent('''
    """Example strategy (test only): the sum of the two modalities' projected features."""
    from torch import nn

    from digitfusion.models.classifier import N_CLASSES
    from digitfusion.models.fused import build_encoders, compose
    from digitfusion.models.registry import FusionSpec


    class SumHead(nn.Module):
        def __init__(self, feature_dims, hidden=32):
            super().__init__()
            self.project = nn.ModuleDict({m: nn.Linear(d, hidden) for m, d in feature_dims.items()})
            self.out = nn.Linear(hidden, N_CLASSES)

        def forward(self, features, masks):
            return {"logits": self.out(sum(self.project[m](f) for m, f in features.items()))}


    def build(encoders=None, **kwargs):
        parts = build_encoders(encoders, kwargs)
        return compose(parts, lambda dims: SumHead(dims, **kwargs))


    SPEC = FusionSpec("example-sum", "intermediate", order=50, summary="sum of projected features", build=build,
                      settings={"modality_loss_weight": 0.5})
''')


@pytest.fixture
def example_fusion(tmp_path, monkeypatch):
    (tmp_path / "example_sum.py").write_text(EXAMPLE)
    monkeypatch.setattr(fusions, "__path__", [*fusions.__path__, str(tmp_path)])
    registry._discovered.cache_clear()
    yield "example-sum"
    registry._discovered.cache_clear()


def test_a_new_fusion_file_reaches_every_consumer(example_fusion):
    from digitfusion.cli import build_parser
    from digitfusion.evaluation.aggregate import ordered
    from digitfusion.training.recipe import resolve

    assert example_fusion in registry.fusion_names(trained=True)  # CLI choices, export, the tests' parametrisation
    commands = build_parser()._subparsers._group_actions[0].choices
    assert example_fusion in commands["train"]._option_string_actions["--model"].choices
    assert ordered({example_fusion: {}, "gated": {}, "attention": {}}) == ["attention", "gated", example_fusion]
    config = resolve(example_fusion, size="tiny")  # the recipe: fusion settings + its own
    assert config.modality == "pair" and config.modality_loss_weight == 0.5 and config.epochs == 1
    model = build_model(example_fusion, **config.model_kwargs).eval()
    items = {"image": torch.randn(3, 1, 28, 28), "audio": torch.randn(3, 1, 64, 101)}
    out = model.pair_outputs(items, torch.tensor([[0, 1], [2, 0]]), lambda m, fn: fn(items[m]))  # evaluation
    assert out["probs"].shape == (2, 10)
