"""``warmup_polynomial_decay``: warmup, then polynomial decay."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import DecayParams, arg, definition, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@definition
class WarmupPolynomialDecay(DecayParams):
    r"""Warmup, then polynomial decay to ``end_value`` at ``total_steps``.

    .. math::
        f(t) = e + (p - e)(1 - u)^{\mathrm{power}},
        \quad u = \mathrm{clip}\left(\frac{t - w}{T - w}, 0, 1\right)

    Example:
        >>> f = warmup_polynomial_decay(1.0, warmup_steps=2, total_steps=6, power=2.0)
        >>> [round(float(f(t)), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]

    References:
        HF ``get_polynomial_decay_schedule_with_warmup``; optax ``polynomial_schedule``.
    """

    schedule: ClassVar[str] = "warmup_polynomial_decay"
    power: float = arg(c.Number(0.0, lo_open=True), "the exponent of the decay (1: linear)", default=1.0)

    def compose(self) -> Node:
        decay = Interp("linear", self.peak_value, self.end_value, self.total_steps - self.warmup_steps,
                       power=self.power, label="decay")
        return warmup_then(self, decay)
