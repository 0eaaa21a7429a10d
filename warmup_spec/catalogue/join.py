"""``join``: schedules one after the other (optax ``join_schedules``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import BaseLike, ScheduleSpec, arg, definition, highest_peak, node_of
from warmup_spec.primitives import Join as JoinNode
from warmup_spec.primitives import Node
from warmup_spec.registry import Base, register


@register
@definition
class Join(ScheduleSpec):
    r"""optax ``join_schedules``: from ``boundaries[k]`` on, ``schedules[k + 1](t - boundaries[k])``.

    Example:
        >>> f = join([lambda t: 1.0, lambda t: 2.0], [2])
        >>> [round(float(f(t)), 6) for t in range(4)]
        [1.0, 1.0, 2.0, 2.0]
    """

    schedule: ClassVar[str] = "join"
    step_lists: ClassVar[tuple[str, ...]] = ("boundaries",)
    schedules: Sequence[BaseLike] = arg(c.ListOf(Base(), "a non-empty list of schedules", 1),
                                        "specs, configs, ``Schedule``\\ s or user functions")
    boundaries: Sequence[int] = arg(None, "one fewer strictly increasing integer steps ``>= 0``")

    def validate(self) -> None:
        n, m = self.schedule, len(self.schedules) - 1
        if not isinstance(self.boundaries, (list, tuple)) or len(self.boundaries) != m:
            expected = f"a list of {m} increasing integers (one fewer than schedules)"
            raise c.fail(n, "boundaries", self.boundaries, expected)
        bs = [c.integer(n, f"boundaries[{k}]", b, 0) for k, b in enumerate(self.boundaries)]
        if any(b1 <= b0 for b0, b1 in zip(bs, bs[1:])):
            raise c.fail(n, "boundaries", self.boundaries, "strictly increasing integers")
        self._set("boundaries", tuple(bs))

    def compose(self) -> Node:
        return JoinNode([node_of(s) for s in self.schedules], self.boundaries)

    def nominal_peak(self) -> tuple[str, float] | None:
        return highest_peak(self.schedules)

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        first = self.schedules[0]
        n, at = first.warmup() if isinstance(first, ScheduleSpec) else (None, ())
        b = self.boundaries[0] if self.boundaries else None
        if n is not None and b is not None and n > b:
            return b, (b,)
        return n, at
