"""``warmup_exponential_decay``: warmup, then exponential decay (or growth, with a ceiling)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WarmupParams, warmup_then
from warmup_spec.primitives import Exponential, Node
from warmup_spec.registry import register


@register
@dataclass(frozen=True)
class WarmupExponentialDecay(WarmupParams):
    r"""Warmup, then exponential decay (or growth, with a ceiling).

    .. math::
        f(t) = p \cdot \mathrm{decay\_rate}^{q}, \quad q = \frac{t - w}{\mathrm{transition\_steps}}

    ``q`` is floored when ``staircase``. ``end_value`` is a floor when
    ``decay_rate < 1`` and a ceiling (required) when ``decay_rate > 1``.

    Args:
        peak_value: value at the end of warmup, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        transition_steps: steps per factor of ``decay_rate``, ``>= 1``.
        decay_rate: factor per ``transition_steps``, ``> 0``.
        staircase: decay in discrete jumps.
        end_value: floor (rate < 1) or ceiling (rate > 1), or None.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Example:
        >>> f = warmup_exponential_decay(1.0, 2, transition_steps=1, decay_rate=0.5, end_value=0.2)
        >>> [round(float(f(t)), 6) for t in range(7)]
        [0.0, 0.5, 1.0, 0.5, 0.25, 0.2, 0.2]

    References:
        optax ``warmup_exponential_decay_schedule``.
    """

    schedule: ClassVar[str] = "warmup_exponential_decay"
    transition_steps: int
    decay_rate: float
    staircase: bool = False
    end_value: float | None = None

    def __post_init__(self) -> None:
        n = self.schedule
        super().__post_init__()
        self._set("transition_steps", c.integer(n, "transition_steps", self.transition_steps, 1))
        rate = c.number(n, "decay_rate", self.decay_rate, 0.0, lo_open=True)
        self._set("decay_rate", rate)
        self._set("staircase", c.flag(n, "staircase", self.staircase))
        p = self.peak_value
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
