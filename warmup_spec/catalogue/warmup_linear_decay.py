"""``warmup_linear_decay``: warmup, then linear decay."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec.definition import DecayParams, definition, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@definition
class WarmupLinearDecay(DecayParams):
    r"""Warmup, then linear decay to ``end_value`` at ``total_steps``.

    .. math::
        f(t) = p + (e - p)\,u, \quad u = \mathrm{clip}\left(\frac{t - w}{T - w}, 0, 1\right)

    Computed as ``e + (p - e) (T - t) / (T - w)`` from the integer step, without
    cancellation near the end.

    Example:
        >>> f = warmup_linear_decay(1.0, warmup_steps=2, total_steps=6, end_value=0.2)
        >>> [round(float(f(t)), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2]

    References:
        HF ``get_linear_schedule_with_warmup``.
    """

    schedule: ClassVar[str] = "warmup_linear_decay"

    def compose(self) -> Node:
        decay = Interp("linear", self.peak_value, self.end_value, self.total_steps - self.warmup_steps, label="decay")
        return warmup_then(self, decay)
