"""The Lightning wrapper's optimiser: parameters grouped by the rate their module asks for."""

import torch
from torch import nn

from digitfusion.training.module import parameter_groups


def slow_and_fast() -> nn.Module:
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2))
    model[0].lr_scale = 0.1
    model[1].requires_grad_(False)
    return model


def test_a_module_with_lr_scale_trains_at_that_fraction_of_the_rate():
    model = slow_and_fast()
    groups = parameter_groups(model, 3e-3)
    assert [(g["lr"], len(g["params"])) for g in groups] == [(3e-3 * 0.1, 2), (3e-3, 2)]
    assert {id(p) for g in groups for p in g["params"]} == {id(p) for p in model.parameters() if p.requires_grad}


def test_without_lr_scale_there_is_one_group_at_the_rate():
    assert [g["lr"] for g in parameter_groups(nn.Linear(3, 2), 1e-3)] == [1e-3]


def test_one_cycle_takes_each_groups_peak():
    groups = parameter_groups(slow_and_fast(), 1.0)
    optimizer = torch.optim.AdamW(groups, lr=1.0)
    torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[g["lr"] for g in groups], total_steps=10, pct_start=0.2)
    assert [g["max_lr"] for g in optimizer.param_groups] == [0.1, 1.0]
