"""``warmup_torch.to_config`` of torch's nested schedulers (``SequentialLR``, ``ChainedScheduler``)
over param groups with different lrs: one config per group, equal to torch at every step."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.optim.lr_scheduler import (
    ChainedScheduler,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    OneCycleLR,
    SequentialLR,
    StepLR,
)

import warmup_torch as W
from warmup_spec import Schedule

STEPS = 40

NESTED: dict[str, Callable[[torch.optim.Optimizer], Any]] = {
    "SequentialLR": lambda o: SequentialLR(
        o, [LinearLR(o, 0.1, total_iters=5), CosineAnnealingLR(o, T_max=20, eta_min=1e-3)], milestones=[5]),
    "ChainedScheduler": lambda o: ChainedScheduler([ExponentialLR(o, 0.9), StepLR(o, 4, 0.5)]),
    "SequentialLR into OneCycleLR": lambda o: SequentialLR(
        o, [LinearLR(o, 0.1, total_iters=5), OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS)], milestones=[5]),
}


def two_groups() -> torch.optim.SGD:
    """The default group at lr 0.1, the second at its own lr 0.01."""
    return torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.01}], lr=0.1, momentum=0.9)


@pytest.mark.parametrize("name", list(NESTED))
def test_one_config_per_group_equal_to_torch_at_every_step(name: str) -> None:
    opt = two_groups()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's own deprecation of step(epoch) inside
        sched = NESTED[name](opt)
        configs = W.to_config(sched)
        assert isinstance(configs, list) and len(configs) == 2
        assert [c["lr"] for c in configs] == [g["initial_lr"] for g in opt.param_groups]
        schedules = [Schedule(c) for c in configs]
        for k in range(STEPS):
            for group, f in zip(opt.param_groups, schedules):
                assert f(k) == pytest.approx(group["lr"], rel=1e-14, abs=0.0), (k, group["lr"])
            opt.step()
            sched.step()


def test_groups_at_one_lr_give_one_config() -> None:
    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                           {"params": [torch.zeros(1, requires_grad=True)]}], lr=0.1)
    cfg = W.to_config(NESTED["ChainedScheduler"](opt))
    assert cfg == {"schedule": "torch.ChainedScheduler", "lr": 0.1, "schedulers": [
        {"schedule": "torch.ExponentialLR", "gamma": 0.9},
        {"schedule": "torch.StepLR", "step_size": 4, "gamma": 0.5}]}
