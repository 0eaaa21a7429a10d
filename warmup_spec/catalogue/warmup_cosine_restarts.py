"""``warmup_cosine_restarts``: warmup, then cosine cycles with warm restarts (SGDR)."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WarmupParams, arg, check_end, definition, warmup_then
from warmup_spec.primitives import Cycles, Node
from warmup_spec.registry import register

MIN_CYCLE_MUL = 1.001
"""The smallest ``cycle_mul`` above 1. Closer to 1, cycles stay short for so long that
the array forms' exact table of cycle boundaries (one entry per cycle starting within
int32 range) explodes (1e6 entries at 1.00001, 1e9 at 1.0000001: a build that never ends),
and the float64 boundaries ``L (m**c - 1) / (m - 1)`` lose ``1 / (m - 1)`` ulps."""


@register
@definition
class WarmupCosineRestarts(WarmupParams):
    r"""Warmup, then cosine cycles with warm restarts (SGDR).

    Cycle ``c`` lasts ``cycle_steps * cycle_mul**c`` steps; at position ``x`` of a
    cycle of length ``L``:

    .. math::
        f = e + (p\, \mathrm{cycle\_decay}^c - e)\, \frac{1 + \cos(\pi x / L)}{2}

    After ``cycle_limit`` cycles (if given) the value holds ``end_value``. With
    ``warmup_steps=0`` it is torch ``CosineAnnealingWarmRestarts(T_0=cycle_steps,
    T_mult=cycle_mul, eta_min=end_value)`` with ``peak_value`` as the base lr.

    Example:
        >>> f = warmup_cosine_restarts(1.0, 0, cycle_steps=4, cycle_decay=0.5)
        >>> [round(float(f(t)), 6) for t in range(9)]
        [1.0, 0.853553, 0.5, 0.146447, 0.5, 0.426777, 0.25, 0.073223, 0.25]

    References:
        timm ``CosineLRScheduler``; torch ``CosineAnnealingWarmRestarts``;
        optax ``sgdr_schedule``; Loshchilov & Hutter, SGDR (2017).
    """

    schedule: ClassVar[str] = "warmup_cosine_restarts"
    cycle_steps: int = arg(c.Integer(1), "the length of cycle 0")
    cycle_mul: float = arg(c.NumberOr(1.0, MIN_CYCLE_MUL, 64.0), "the growth of the cycle length", default=1.0)
    cycle_decay: float = arg(c.Number(0.0, 1.0, lo_open=True), "the factor on the peak per cycle", default=1.0)
    cycle_limit: int | None = arg(c.OrNone(c.Integer(1)), "the number of cycles (None: no limit)", default=None)
    end_value: float = arg(None, "the floor of every cycle, in ``[0, peak_value]``", default=0.0)

    def validate(self) -> None:
        super().validate()
        check_end(self)

    def compose(self) -> Node:
        cycles = Cycles("cosine", self.peak_value, self.end_value, self.cycle_steps, self.cycle_mul,
                        self.cycle_decay, self.cycle_limit)
        return warmup_then(self, cycles)
