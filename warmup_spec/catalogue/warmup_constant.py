"""``warmup_constant``: warmup, then hold the peak."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WarmupParams, arg, definition, warmup_then
from warmup_spec.primitives import Constant, Node
from warmup_spec.registry import register


@register
@definition
class WarmupConstant(WarmupParams):
    r"""Warmup to ``peak_value``, then constant.

    .. math::
        f(t) = \begin{cases} \mathrm{warmup}(t) & t < w \\ p & t \ge w \end{cases}

    Example:
        >>> f = warmup_constant(0.1, warmup_steps=4)
        >>> [round(float(f(t)), 6) for t in range(6)]
        [0.0, 0.025, 0.05, 0.075, 0.1, 0.1]

    References:
        HF ``get_constant_schedule_with_warmup``; optax ``warmup_constant_schedule``.
    """

    schedule: ClassVar[str] = "warmup_constant"
    warmup_steps: int = arg(c.Integer(0), "steps of warmup; 0 means none (unlike optax's "
                            "``warmup_constant_schedule``, which returns ``init_value`` forever then)", default=0)

    def compose(self) -> Node:
        return warmup_then(self, Constant(self.peak_value))
