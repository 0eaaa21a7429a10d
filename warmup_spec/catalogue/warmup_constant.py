"""``warmup_constant``: warmup, then hold the peak."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from warmup_spec.definition import ScheduleSpec, WarmupShape, check_peak, check_warmup, warmup_then
from warmup_spec.primitives import Constant, Node
from warmup_spec.registry import register


@register
@dataclass(frozen=True)
class WarmupConstant(ScheduleSpec):
    r"""Warmup to ``peak_value``, then constant.

    .. math::
        f(t) = \begin{cases} \mathrm{warmup}(t) & t < w \\ p & t \ge w \end{cases}

    Args:
        peak_value: the constant value after warmup, ``>= 0``.
        warmup_steps: steps of warmup; 0 means none (unlike optax's
            ``warmup_constant_schedule``, which returns 0 forever then).
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Example:
        >>> f = warmup_constant(0.1, warmup_steps=4)
        >>> [round(float(f(t)), 6) for t in range(6)]
        [0.0, 0.025, 0.05, 0.075, 0.1, 0.1]

    References:
        HF ``get_constant_schedule_with_warmup``; optax ``warmup_constant_schedule``.
    """

    schedule: ClassVar[str] = "warmup_constant"
    peak_value: float
    warmup_steps: int = 0
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: WarmupShape = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        check_peak(self)
        check_warmup(self, self.peak_value)

    def compose(self) -> Node:
        return warmup_then(self, Constant(self.peak_value))
