"""torch's own schedulers (``torch.optim.lr_scheduler``, torch 2.13.0), stepped as users
step them, against our ports ``"torch.<Name>"`` in every front end (``anchor_harness``)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.optim import lr_scheduler as L

from parity_tests.anchor_harness import check


def torch_lrs(make: Any, lr: float, n: int) -> list[float]:
    """The lr of each of ``n`` updates of a torch scheduler built by ``make(optimizer)``."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


CASES = [
    ("StepLR", dict(step_size=30, gamma=0.1), 0.1, 200),
    ("StepLR", dict(step_size=1, gamma=0.97), 1.0, 500),
    ("ExponentialLR", dict(gamma=0.999), 3e-4, 3000),
    ("CosineAnnealingLR", dict(T_max=100), 0.1, 450),
    ("CosineAnnealingLR", dict(T_max=37, eta_min=1e-3), 0.05, 300),
]


@pytest.mark.parametrize("name,kw,lr,n", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_torch_scheduler_equals_port(name, kw, lr, n):
    expected = torch_lrs(lambda opt: getattr(L, name)(opt, **kw), lr, n)
    check("torch", {"schedule": f"torch.{name}", "lr": lr, **kw}, expected)
