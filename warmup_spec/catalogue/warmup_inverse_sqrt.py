"""``warmup_inverse_sqrt``: warmup, then inverse square-root decay."""

from __future__ import annotations

import math
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import WarmupParams, arg, definition, warmup_then
from warmup_spec.primitives import Described, Node, PowerLaw
from warmup_spec.registry import register


@register
@definition
class WarmupInverseSqrt(WarmupParams):
    r"""Warmup, then inverse square-root decay (never ends).

    .. math::
        f(t) = \frac{p}{\sqrt{(t - w + \tau) / \tau}}, \quad \tau = \mathrm{timescale}

    Example:
        >>> f = warmup_inverse_sqrt(1.0, warmup_steps=4)
        >>> [round(float(f(t)), 6) for t in (0, 2, 4, 8, 16, 40)]
        [0.0, 0.5, 1.0, 0.707107, 0.5, 0.316228]

    References:
        HF ``get_inverse_sqrt_schedule``; fairseq ``inverse_sqrt``.
    """

    schedule: ClassVar[str] = "warmup_inverse_sqrt"
    timescale: float | None = arg(c.OrNone(c.Number(0.0, lo_open=True)),
                                  "``tau``; None: ``warmup_steps`` (then not 0)", default=None)

    def validate(self) -> None:
        super().validate()
        if self.timescale is None and self.warmup_steps == 0:
            raise c.fail(self.schedule, "timescale", None, "a finite number > 0 when warmup_steps=0")

    def compose(self) -> Node:
        w = self.warmup_steps
        ts = float(w) if self.timescale is None else self.timescale
        horizon = (10 * w, "10 * warmup_steps") if w > 0 else (10 * math.ceil(ts), "10 * timescale")
        return Described(warmup_then(self, PowerLaw(self.peak_value, ts, ts, -0.5, label="decay")), horizon=horizon)
