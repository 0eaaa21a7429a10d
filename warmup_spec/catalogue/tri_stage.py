"""``tri_stage``: fairseq's warmup, hold, exponential decay."""

from __future__ import annotations

import math
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WARMUP_SHAPES, ScheduleSpec, WarmupShape, arg, definition, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@definition
class TriStage(ScheduleSpec):
    r"""fairseq's tri-stage schedule: warmup from ``p * init_scale``, hold, exponential decay.

    .. math::
        f(t) = p \exp(\log(\mathrm{final\_scale}) \cdot v), \quad
        v = \mathrm{clip}\left(\frac{t - w - H}{D}, 0, 1\right)

    after warmup and ``hold_steps`` at ``p``; ``p * final_scale`` from ``w + H + D`` on.

    Example:
        >>> f = tri_stage(1.0, 2, hold_steps=1, decay_steps=2, init_scale=0.5, final_scale=0.25)
        >>> [round(float(f(t)), 6) for t in range(7)]
        [0.5, 0.75, 1.0, 1.0, 0.5, 0.25, 0.25]

    References:
        fairseq ``tri_stage`` LR scheduler; Park et al., SpecAugment (2019).
    """

    schedule: ClassVar[str] = "tri_stage"
    peak_value: float = arg(c.Number(0.0), "the value of the hold phase")
    warmup_steps: int = arg(c.Integer(0), "steps of warmup (``w``)")
    hold_steps: int = arg(c.Integer(0), "steps at ``peak_value`` (``H``)")
    decay_steps: int = arg(c.Integer(1), "steps of the decay (``D``)")
    init_scale: float = arg(None, "the warmup starts at ``peak_value * init_scale``, in ``[0, 1]`` (``(0, 1]`` for an "
                            "exponential warmup)", default=0.01)
    final_scale: float = arg(c.Number(0.0, 1.0, lo_open=True), "the end value is ``peak_value * final_scale``",
                             default=0.01)
    warmup_shape: WarmupShape = arg(c.Choice(WARMUP_SHAPES), default="linear", kw_only=True)

    def validate(self) -> None:
        n = self.schedule
        exponential = self.warmup_shape == "exponential"
        self._set("init_scale", c.number(n, "init_scale", self.init_scale, 0.0, 1.0, lo_open=exponential))
        if exponential and self.peak_value <= 0:
            raise c.fail(n, "peak_value", self.peak_value, "a finite number > 0 with warmup_shape='exponential'")

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.hold_steps + self.decay_steps

    def compose(self) -> Node:
        p, fs, h = self.peak_value, self.final_scale, self.hold_steps  # the decay holds p until its start
        decay = Interp("exponential", p, p * fs, h + self.decay_steps, start=h, log_ratio=math.log(fs), label="decay")
        return warmup_then(self, decay, init=p * self.init_scale)
