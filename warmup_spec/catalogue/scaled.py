"""``scaled``: a schedule times a constant factor (``scale`` before; ``optax.scale`` is a gradient
transformation)."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import BaseLike, ScheduleSpec, arg, definition, node_of
from warmup_spec.primitives import Node
from warmup_spec.primitives import Scale as ScaleNode
from warmup_spec.registry import Base, register


@register
@definition
class Scaled(ScheduleSpec):
    r"""``f(t) = factor * base(t)``, e.g. half the lr for one parameter group.

    Example:
        >>> f = scaled(lambda t: 0.5, 0.5)
        >>> [round(float(f(t)), 6) for t in range(2)]
        [0.25, 0.25]
    """

    schedule: ClassVar[str] = "scaled"
    base: BaseLike = arg(Base(), "the schedule")
    factor: float = arg(c.Number(0.0), "the factor")

    def compose(self) -> Node:
        return ScaleNode(node_of(self.base), self.factor)

    def nominal_peak(self) -> tuple[str, float] | None:
        inner = self.base.nominal_peak() if isinstance(self.base, ScheduleSpec) else None
        return None if inner is None else (f"factor * {inner[0]}", self.factor * inner[1])

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return self.base.warmup() if isinstance(self.base, ScheduleSpec) else (None, ())
