"""torch ``torch.optim.lr_scheduler``, by its own names and parameters (``"torch.StepLR"``, ...).

Transcribed from ``torch/optim/lr_scheduler.py`` of torch 2.13.0 and tested against it
(``parity_tests/test_anchor_torch.py``). Every scheduler is relative to the optimizer's
lr, given here as ``lr``, except ``OneCycleLR`` and ``CyclicLR``, which set their own
lrs. torch steps most of them recursively (each lr from the previous one); the ports are
the closed forms that recursion follows, so they agree to rounding (1e-15 relative over
10^4 steps), and reproduce what the recursion does where the two part (a ``total_iters``
of 0, ``CosineAnnealingLR`` rising again past ``T_max``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.anchors._base import Relative
from warmup_spec.primitives import Exponential, Interp, Join, Node, Periodic
from warmup_spec.registry import register


@register
@dataclass(frozen=True)
class StepLR(Relative):
    """``lr * gamma ** (t // step_size)``."""

    name: ClassVar[str] = "torch.StepLR"
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("step_size", c.integer(self.name, "step_size", self.step_size, 1))
        self._set("gamma", c.number(self.name, "gamma", self.gamma, 0.0, lo_open=True))

    def compose(self) -> Node:
        return Exponential(self.lr, self.gamma, self.step_size, staircase=True)


@register
@dataclass(frozen=True)
class ExponentialLR(Relative):
    """``lr * gamma ** t``."""

    name: ClassVar[str] = "torch.ExponentialLR"
    gamma: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("gamma", c.number(self.name, "gamma", self.gamma, 0.0, lo_open=True))

    def compose(self) -> Node:
        return Exponential(self.lr, self.gamma, 1)


@register
@dataclass(frozen=True)
class CosineAnnealingLR(Relative):
    """``eta_min + (lr - eta_min) (1 + cos(pi t / T_max)) / 2`` for EVERY ``t``: past
    ``T_max`` it rises again (period ``2 T_max``), as torch's recursion does."""

    name: ClassVar[str] = "torch.CosineAnnealingLR"
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("T_max", c.integer(self.name, "T_max", self.T_max, 1))
        self._set("eta_min", c.number(self.name, "eta_min", self.eta_min, 0.0))

    def compose(self) -> Node:
        T, lr, e = self.T_max, self.lr, self.eta_min
        half_period = Join([Interp("cosine", lr, e, T, label="anneal"), Interp("cosine", e, lr, T)], [T], ["T_max"])
        return Periodic(half_period, 2 * T)
