"""``decay_from``: turn any schedule into a cooldown from its value at a given step."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import DECAY_SHAPES, BaseLike, DecayShape, ScheduleSpec, arg, definition, node_of
from warmup_spec.primitives import Constant, Interp, Join, Node
from warmup_spec.registry import Base, register


@register
@definition
class DecayFrom(ScheduleSpec):
    r"""Runs ``base`` for ``base_steps`` steps, then cools down from the value the base has at
    that step (``v = base(k)``, ``k = base_steps``) to ``end_value`` over ``decay_steps``: "decay
    now, from this checkpoint", on top of any schedule (a WSD's stable phase, a cosine halfway, a
    constant, another library's schedule).

    .. math::
        f(t) = \begin{cases} \mathrm{base}(t) & t < k \\
        e + (v - e)\, g(u), \; u = \mathrm{clip}\left(\frac{t - k}{D}, 0, 1\right) & t \ge k \end{cases}

    with ``g(u)`` = ``1 - u`` (linear), ``(1 + cos(pi u)) / 2`` (cosine) or ``1 - sqrt(u)``
    (``"1-sqrt"``). ``f(k) = base(k)``: the update that would have run at the base's lr still
    does, and the cooldown reaches ``end_value`` at ``k + D``, held after (0 with ``zero_tail``).

    Example:
        >>> f = decay_from(lambda t: 1.0, 2, 4, end_value=0.2)
        >>> [round(float(f(t)), 6) for t in range(8)]
        [1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2]

    References:
        Hägele et al., Scaling Laws and Compute-Optimal Training Beyond Fixed Training
        Durations (2024): cooldowns from any point of a constant-lr run.
    """

    schedule: ClassVar[str] = "decay_from"
    base: BaseLike = arg(Base(), "the schedule (a user's function: traceable for JAX, called once with "
                         "``base_steps`` when built)")
    base_steps: int = arg(c.Integer(0), "the step ``k`` at which the cooldown starts")
    decay_steps: int = arg(c.Integer(1), "the cooldown's length ``D``")
    end_value: float = arg(None, "the value from ``k + D`` on, in ``[0, base(k)]``", default=0.0)
    decay_shape: DecayShape = arg(c.Choice(DECAY_SHAPES), "the cooldown's curve ``g``", default="linear")
    zero_tail: bool = arg(c.Flag(), "0 instead of ``end_value`` from ``k + D`` on", default=False, kw_only=True)

    def validate(self) -> None:
        n = self.schedule
        if isinstance(self.base, ScheduleSpec):
            v = self.start_value
            self._set("end_value", c.number(n, "end_value", self.end_value, 0.0, v,
                                            suffix=f" (the base's value at step {self.base_steps})"))
        else:  # a user's function is called when the schedule is built, not here
            self._set("end_value", c.number(n, "end_value", self.end_value, 0.0))

    @property
    def start_value(self) -> float:
        """``v = base(base_steps)``, the cooldown's first value (float64)."""
        return float(node_of(self.base).closed()(self.base_steps))

    def compose(self) -> Node:
        k, d = self.base_steps, self.decay_steps
        cooldown = Interp(self.decay_shape, self.start_value, self.end_value, d, label="cooldown")
        pieces: list[Node] = [node_of(self.base), cooldown]
        bounds, labels = [k], ["start of cooldown"]
        if self.zero_tail:
            pieces.append(Constant(0.0, label="zero tail"))
            bounds.append(k + d)
            labels.append("zero tail")
        return Join(pieces, bounds, labels)

    def nominal_peak(self) -> tuple[str, float] | None:
        return self.base.nominal_peak() if isinstance(self.base, ScheduleSpec) else None

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        n, at = self.base.warmup() if isinstance(self.base, ScheduleSpec) else (None, ())
        if n is not None and n > self.base_steps:  # the cooldown starts inside the base's warmup
            return self.base_steps, ((self.base_steps,) if self.base_steps > 0 else ())
        return n, at
