"""``tri_stage``: fairseq's warmup, hold, exponential decay."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WARMUP_SHAPES, ScheduleSpec, WarmupShape, check_peak, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@dataclass(frozen=True)
class TriStage(ScheduleSpec):
    r"""fairseq's tri-stage schedule: warmup from ``p * init_scale``, hold, exponential decay.

    .. math::
        f(t) = p \exp(\log(\mathrm{final\_scale}) \cdot v), \quad
        v = \mathrm{clip}\left(\frac{t - w - H}{D}, 0, 1\right)

    after warmup and ``hold_steps`` at ``p``; ``p * final_scale`` from ``w + H + D`` on.

    Args:
        peak_value: value of the hold phase, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        hold_steps: steps at ``peak_value`` (``H >= 0``).
        decay_steps: steps of the decay (``D >= 1``).
        init_scale: warmup starts at ``peak_value * init_scale``, in ``[0, 1]``.
        final_scale: the end value is ``peak_value * final_scale``, in ``(0, 1]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Example:
        >>> f = tri_stage(1.0, 2, hold_steps=1, decay_steps=2, init_scale=0.5, final_scale=0.25)
        >>> [round(float(f(t)), 6) for t in range(7)]
        [0.5, 0.75, 1.0, 1.0, 0.5, 0.25, 0.25]

    References:
        fairseq ``tri_stage`` LR scheduler; Park et al., SpecAugment (2019).
    """

    schedule: ClassVar[str] = "tri_stage"
    peak_value: float
    warmup_steps: int
    hold_steps: int
    decay_steps: int
    init_scale: float = 0.01
    final_scale: float = 0.01
    warmup_shape: WarmupShape = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        n = self.schedule
        check_peak(self)
        exponential = self.warmup_shape == "exponential"
        self._set("init_scale", c.number(n, "init_scale", self.init_scale, 0.0, 1.0, lo_open=exponential))
        self._set("warmup_steps", c.integer(n, "warmup_steps", self.warmup_steps, 0))
        self._set("warmup_shape", c.choice(n, "warmup_shape", self.warmup_shape, WARMUP_SHAPES))
        if exponential and self.peak_value <= 0:
            raise c.fail(n, "peak_value", self.peak_value, "a finite number > 0 with warmup_shape='exponential'")
        self._set("hold_steps", c.integer(n, "hold_steps", self.hold_steps, 0))
        self._set("decay_steps", c.integer(n, "decay_steps", self.decay_steps, 1))
        self._set("final_scale", c.number(n, "final_scale", self.final_scale, 0.0, 1.0, lo_open=True))

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.hold_steps + self.decay_steps

    def compose(self) -> Node:
        p, fs, h = self.peak_value, self.final_scale, self.hold_steps  # the decay holds p until its start
        decay = Interp("exponential", p, p * fs, h + self.decay_steps, start=h, log_ratio=math.log(fs), label="decay")
        return warmup_then(self, decay, init=p * self.init_scale)
