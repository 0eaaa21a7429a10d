"""``legacy_noam``: the widely copied ``adjust_learning_rate`` snippet, bugs included."""

from __future__ import annotations

import math
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, arg, definition
from warmup_spec.primitives import Described, Min, Node, PowerLaw
from warmup_spec.registry import register


@register
@definition
class LegacyNoam(ScheduleSpec):
    r"""The widely copied ``adjust_learning_rate`` snippet, reproduced exactly.

    .. math::
        f(t) = \mathrm{max\_lr} \cdot \min(s / w,\ w^{1/2} / s), \quad s = t + 1

    Beware: its real peak is near ``s = w**0.75`` with value ``max_lr * w**-0.25``
    (w = 500: step 105, 21% of ``max_lr``), not ``max_lr`` at ``w``. Use ``noam`` or
    ``warmup_inverse_sqrt`` for the intended shape.

    Example:
        >>> f = legacy_noam(0.01, warmup_steps=500)
        >>> [round(float(f(t)), 6) for t in (0, 105, 499)]
        [2e-05, 0.002109, 0.000447]
    """

    schedule: ClassVar[str] = "legacy_noam"
    peak_note: ClassVar[str] = (
        "the copied adjust_learning_rate snippet peaks at s = warmup_steps**0.75 with "
        "max_lr * warmup_steps**-0.25, not at warmup_steps; use `noam` or "
        "`warmup_inverse_sqrt` (the corrected forms) to reach the peak at warmup_steps"
    )
    max_lr: float = arg(c.Number(0.0), "the snippet's ``max_lr``")
    warmup_steps: int = arg(c.Integer(1), "the snippet's ``warmup_steps``")

    def compose(self) -> Node:
        m, w = self.max_lr, self.warmup_steps
        curve = Min(PowerLaw(m, 1, w), PowerLaw(m, 1, math.sqrt(w), power=-1.0))  # m s / w, m sqrt(w) / s
        peak = max(math.ceil(w**0.75) - 1, 0)
        events = [(peak, "real peak (s = warmup_steps**0.75)"), (w - 1, "nominal end of warmup")]
        return Described(curve, events=events, horizon=(10 * w, "10 * warmup_steps"))

    def nominal_peak(self) -> tuple[str, float] | None:
        return "max_lr", self.max_lr

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = self.warmup_steps
        return w, tuple(sorted({max(w - 1, 0), w}))
