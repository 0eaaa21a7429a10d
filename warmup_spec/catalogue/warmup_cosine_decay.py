"""``warmup_cosine_decay``: warmup, then (half-)cosine decay."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import DecayParams, arg, definition, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@definition
class WarmupCosineDecay(DecayParams):
    r"""Warmup, then cosine decay to ``end_value`` at ``total_steps``.

    .. math::
        f(t) = e + (p - e) \left(\frac{1 + \cos(\pi u)}{2}\right)^{\mathrm{exponent}},
        \quad u = \mathrm{clip}\left(\frac{t - w}{T - w}, 0, 1\right)

    Computed as ``sin(pi/2 * (T - t) / (T - w)) ** (2 * exponent)`` from the integer
    step, so float32 stays within a few ulps of float64 down to the last step
    (optax's form loses up to 5e-3 relatively there). ``total_steps`` has the meaning of
    optax's ``decay_steps``.

    Example:
        >>> f = warmup_cosine_decay(1.0, warmup_steps=2, total_steps=6)
        >>> [round(float(f(t)), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.853553, 0.5, 0.146447, 0.0, 0.0]

    References:
        optax ``warmup_cosine_decay_schedule``; Loshchilov & Hutter, SGDR (2017).
    """

    schedule: ClassVar[str] = "warmup_cosine_decay"
    exponent: float = arg(c.Number(0.0, lo_open=True), "the power of the cosine factor", default=1.0)

    def compose(self) -> Node:
        decay = Interp("cosine", self.peak_value, self.end_value, self.total_steps - self.warmup_steps,
                       power=self.exponent, label="decay")
        return warmup_then(self, decay)
