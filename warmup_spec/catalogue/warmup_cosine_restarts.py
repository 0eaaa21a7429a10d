"""``warmup_cosine_restarts``: warmup, then cosine cycles with warm restarts (SGDR)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WarmupParams, check_end, warmup_then
from warmup_spec.primitives import Cycles, Node
from warmup_spec.registry import register

MIN_CYCLE_MUL = 1.001
"""The smallest ``cycle_mul`` above 1. Closer to 1, cycles stay short for so long that
the array forms' exact table of cycle boundaries (one entry per cycle starting within
int32 range) explodes (1e6 entries at 1.00001, 1e9 at 1.0000001: a build that never ends),
and the float64 boundaries ``L (m**c - 1) / (m - 1)`` lose ``1 / (m - 1)`` ulps."""


@register
@dataclass(frozen=True)
class WarmupCosineRestarts(WarmupParams):
    r"""Warmup, then cosine cycles with warm restarts (SGDR).

    Cycle ``c`` lasts ``cycle_steps * cycle_mul**c`` steps; at position ``x`` of a
    cycle of length ``L``:

    .. math::
        f = e + (p\, \mathrm{cycle\_decay}^c - e)\, \frac{1 + \cos(\pi x / L)}{2}

    After ``cycle_limit`` cycles (if given) the value holds ``end_value``. With
    ``warmup_steps=0`` it is torch ``CosineAnnealingWarmRestarts(T_0=cycle_steps,
    T_mult=cycle_mul, eta_min=end_value)`` with ``peak_value`` as the base lr.

    Args:
        peak_value: value at the start of cycle 0, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        cycle_steps: length of cycle 0, ``>= 1``.
        cycle_mul: growth of the cycle length: 1.0 or in ``[1.001, 64]``.
        cycle_decay: factor on the peak per cycle, in ``(0, 1]``.
        cycle_limit: number of cycles, or None for no limit.
        end_value: the floor of every cycle, in ``[0, peak_value]``.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Example:
        >>> f = warmup_cosine_restarts(1.0, 0, cycle_steps=4, cycle_decay=0.5)
        >>> [round(float(f(t)), 6) for t in range(9)]
        [1.0, 0.853553, 0.5, 0.146447, 0.5, 0.426777, 0.25, 0.073223, 0.25]

    References:
        timm ``CosineLRScheduler``; torch ``CosineAnnealingWarmRestarts``;
        optax ``sgdr_schedule``; Loshchilov & Hutter, SGDR (2017).
    """

    schedule: ClassVar[str] = "warmup_cosine_restarts"
    cycle_steps: int
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int | None = None
    end_value: float = 0.0

    def __post_init__(self) -> None:
        n = self.schedule
        super().__post_init__()
        self._set("cycle_steps", c.integer(n, "cycle_steps", self.cycle_steps, 1))
        self._set("cycle_mul", c.number_or(n, "cycle_mul", self.cycle_mul, 1.0, MIN_CYCLE_MUL, 64.0))
        self._set("cycle_decay", c.number(n, "cycle_decay", self.cycle_decay, 0.0, 1.0, lo_open=True))
        if self.cycle_limit is not None:
            self._set("cycle_limit", c.integer(n, "cycle_limit", self.cycle_limit, 1))
        check_end(self)

    def compose(self) -> Node:
        cycles = Cycles("cosine", self.peak_value, self.end_value, self.cycle_steps, self.cycle_mul,
                        self.cycle_decay, self.cycle_limit)
        return warmup_then(self, cycles)
