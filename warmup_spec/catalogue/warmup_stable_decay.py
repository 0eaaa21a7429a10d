"""``warmup_stable_decay``: warmup, hold the peak, then decay (WSD)."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import DECAY_SHAPES, DecayShape, WarmupParams, arg, check_end, definition, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@definition
class WarmupStableDecay(WarmupParams):
    r"""Warmup, hold ``peak_value`` (stable), then decay over ``decay_steps`` (WSD).

    .. math::
        f(t) = e + (p - e)\, g(v), \quad v = \mathrm{clip}\left(\frac{t - w - S}{D}, 0, 1\right)

    with ``g(v)`` = ``1 - v`` (linear), ``(1 + cos(pi v)) / 2`` (cosine) or
    ``1 - sqrt(v)`` (``"1-sqrt"``).

    Example:
        >>> f = warmup_stable_decay(1.0, 2, stable_steps=2, decay_steps=4)
        >>> [round(float(f(t)), 6) for t in range(10)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]

    References:
        HF ``get_wsd_schedule``; Hu et al., MiniCPM (2024).
    """

    schedule: ClassVar[str] = "warmup_stable_decay"
    stable_steps: int = arg(c.Integer(0), "steps at ``peak_value`` after the warmup (``S``)")
    decay_steps: int = arg(c.Integer(1), "steps of the decay (``D``)")
    end_value: float = arg(None, "the value from ``w + S + D`` on, in ``[0, peak_value]``", default=0.0)
    decay_shape: DecayShape = arg(c.Choice(DECAY_SHAPES), "the decay's curve ``g``", default="linear")

    def validate(self) -> None:
        super().validate()
        check_end(self)

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.stable_steps + self.decay_steps

    def compose(self) -> Node:
        s = self.stable_steps  # the decay holds peak_value until its start
        decay = Interp(self.decay_shape, self.peak_value, self.end_value, s + self.decay_steps, start=s, label="decay")
        return warmup_then(self, decay)
