"""``noam``: the Transformer schedule of Vaswani et al. (2017)."""

from __future__ import annotations

from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, arg, definition
from warmup_spec.primitives import Described, Min, Node, PowerLaw, Scale
from warmup_spec.registry import register


@register
@definition
class Noam(ScheduleSpec):
    r"""The Transformer schedule of Vaswani et al. (2017).

    .. math::
        f(t) = \mathrm{scale} \cdot d^{-1/2} \min(s^{-1/2},\ s\, w^{-3/2}), \quad s = t + 1

    Peaks at ``t = w - 1`` with ``scale * (d_model * w) ** -0.5``.

    Example:
        >>> f = noam(512, warmup_steps=4000)
        >>> [round(float(f(t)), 8) for t in (0, 3999, 15999)]
        [1.7e-07, 0.00069877, 0.00034939]

    References:
        Vaswani et al., Attention Is All You Need (2017), eq. 3.
    """

    schedule: ClassVar[str] = "noam"
    d_model: float = arg(c.Number(0.0, lo_open=True), "the model width ``d``")
    warmup_steps: int = arg(c.Integer(1), "``w``")
    scale: float = arg(c.Number(0.0), "the overall factor", default=1.0)

    def compose(self) -> Node:
        ramp = PowerLaw(self.warmup_steps**-1.5, 1)  # s w^-1.5, s = t + 1
        rsqrt = PowerLaw(1.0, 1, power=-0.5)  # s^-0.5
        w = self.warmup_steps
        return Described(Scale(Min(rsqrt, ramp), self.scale * self.d_model**-0.5),
                         events=[(w - 1, "end of warmup (peak)")], horizon=(10 * w, "10 * warmup_steps"))

    def nominal_peak(self) -> tuple[str, float] | None:
        return "scale * (d_model * warmup_steps)**-0.5", self.scale * (self.d_model * self.warmup_steps) ** -0.5

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = self.warmup_steps
        return w, tuple(sorted({max(w - 1, 0), w}))
