"""``warmup_exponential_decay``: warmup, then exponential decay (or growth, with a ceiling)."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WarmupParams, arg, definition, warmup_then
from warmup_spec.primitives import Exponential, Node
from warmup_spec.registry import register


@register
@definition
class WarmupExponentialDecay(WarmupParams):
    r"""Warmup, then exponential decay (or growth, with a ceiling).

    .. math::
        f(t) = p \cdot \mathrm{decay\_rate}^{q}, \quad q = \frac{t - w}{\mathrm{transition\_steps}}

    ``q`` is floored when ``staircase``. ``end_value`` is a floor when
    ``decay_rate < 1`` and a ceiling (required) when ``decay_rate > 1``.

    Example:
        >>> f = warmup_exponential_decay(1.0, 2, transition_steps=1, decay_rate=0.5, end_value=0.2)
        >>> [round(float(f(t)), 6) for t in range(7)]
        [0.0, 0.5, 1.0, 0.5, 0.25, 0.2, 0.2]

    References:
        optax ``warmup_exponential_decay_schedule``.
    """

    schedule: ClassVar[str] = "warmup_exponential_decay"
    transition_steps: int = arg(c.Integer(1), "steps per factor of ``decay_rate``")
    decay_rate: float = arg(c.Number(0.0, lo_open=True), "the factor per ``transition_steps``")
    staircase: bool = arg(c.Flag(), "decay in discrete jumps", default=False)
    end_value: float | None = arg(None, "a floor in ``[0, peak_value]`` (``decay_rate < 1``), or None; a ceiling "
                                  "``>= peak_value`` (``decay_rate > 1``, required)", default=None)

    def validate(self) -> None:
        super().validate()
        n, rate, p = self.schedule, self.decay_rate, self.peak_value
        if rate > 1:
            if self.end_value is None:
                raise c.fail(n, "end_value", None, f"a finite ceiling >= peak_value ({p!r}) when decay_rate > 1")
            self._set("end_value", c.number(n, "end_value", self.end_value, p))
        elif self.end_value is not None:
            self._set("end_value", c.number(n, "end_value", self.end_value, 0.0, p))

    def compose(self) -> Node:
        decay = Exponential(self.peak_value, self.decay_rate, self.transition_steps, staircase=self.staircase,
                            bound=self.end_value, label="decay")
        return warmup_then(self, decay)
