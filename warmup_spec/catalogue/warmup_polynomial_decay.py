"""``warmup_polynomial_decay``: warmup, then polynomial decay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import DecayParams, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@dataclass(frozen=True)
class WarmupPolynomialDecay(DecayParams):
    r"""Warmup, then polynomial decay to ``end_value`` at ``total_steps``.

    .. math::
        f(t) = e + (p - e)(1 - u)^{\mathrm{power}},
        \quad u = \mathrm{clip}\left(\frac{t - w}{T - w}, 0, 1\right)

    Args:
        peak_value: value at the end of warmup, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        total_steps: whole schedule length including warmup (``T > w``).
        end_value: value from ``total_steps`` on, in ``[0, peak_value]``.
        power: exponent of the decay, ``> 0`` (1: linear).
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Example:
        >>> f = warmup_polynomial_decay(1.0, warmup_steps=2, total_steps=6, power=2.0)
        >>> [round(float(f(t)), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]

    References:
        HF ``get_polynomial_decay_schedule_with_warmup``; optax ``polynomial_schedule``.
    """

    schedule: ClassVar[str] = "warmup_polynomial_decay"
    power: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("power", c.number(self.schedule, "power", self.power, 0.0, lo_open=True))

    def compose(self) -> Node:
        decay = Interp("linear", self.peak_value, self.end_value, self.total_steps - self.warmup_steps,
                       power=self.power, label="decay")
        return warmup_then(self, decay)
