"""``with_warmup``: prepend a warmup to any schedule."""

from __future__ import annotations

from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WARMUP_SHAPES, BaseLike, ScheduleSpec, WarmupShape, arg, definition, node_of
from warmup_spec.primitives import Interp, Join, Node
from warmup_spec.registry import Base, register


@register
@definition
class WithWarmup(ScheduleSpec):
    r"""Prepends a warmup to ANY schedule ``base`` (optax ``join_schedules`` semantics).

    .. math::
        f(t) = \begin{cases} \mathrm{warmup}_{i \to \mathrm{base}(0)}(t) & t < w \\
        \mathrm{base}(t - w) & t \ge w \end{cases}

    Example:
        >>> f = with_warmup(lambda t: 0.5 ** t, warmup_steps=2)
        >>> [round(float(f(t)), 6) for t in range(5)]
        [0.0, 0.5, 1.0, 0.5, 0.25]
    """

    schedule: ClassVar[str] = "with_warmup"
    base: BaseLike = arg(Base(), "the schedule (a user's function: traceable for JAX, picklable to pickle the "
                         "schedule)")
    warmup_steps: int = arg(c.Integer(0), "steps of warmup (``w``)")
    init_value: float = arg(None, "the value at step 0, ``>= 0`` (``> 0`` for an exponential warmup)", default=0.0)
    warmup_shape: WarmupShape = arg(c.Choice(WARMUP_SHAPES), default="linear")

    def validate(self) -> None:
        n = self.schedule
        exponential = self.warmup_shape == "exponential"
        self._set("init_value", c.number(n, "init_value", self.init_value, 0.0, lo_open=exponential))
        if exponential and isinstance(self.base, ScheduleSpec):
            start = self.base.compose().closed()(0)
            if not start > 0.0:
                raise c.fail(n, "warmup_shape", "exponential",
                             f"'linear' or 'cosine' for a base starting at 0 (base(0)={start!r})")

    def compose(self) -> Node:
        base = node_of(self.base)
        # over a spec, the target base(0) is a Python float (the warmup's direction is static)
        target: Any = base.closed()(0) if isinstance(self.base, ScheduleSpec) else base
        warm = Interp(self.warmup_shape, self.init_value, target, max(self.warmup_steps, 1), label="warmup")
        return Join([warm, base], [self.warmup_steps], ["end of warmup"])

    def nominal_peak(self) -> tuple[str, float] | None:
        return self.base.nominal_peak() if isinstance(self.base, ScheduleSpec) else None
