"""``untuned_warmup``: multiply any schedule by the untuned warmup factor of Ma & Yarats."""

from __future__ import annotations

import math
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import BaseLike, ScheduleSpec, UntunedShape, arg, definition, node_of
from warmup_spec.primitives import Constant, Described, Min, Node, PowerLaw, Product, Saturation, reach
from warmup_spec.registry import Base, register


@register
@definition
class UntunedWarmup(ScheduleSpec):
    r"""Multiplies any ``base`` by the untuned warmup factor of Ma & Yarats (2019).

    .. math::
        f(t) = \mathrm{base}(t) \cdot \begin{cases}
        \min(1, \frac{1 - \beta_2}{2} (t + 1)) & \text{linear} \\
        1 - e^{-(1 - \beta_2)(t + 1)} & \text{exponential} \end{cases}

    The linear factor reaches 1 after ``2 / (1 - beta2)`` steps (2000 for 0.999).

    Example:
        >>> f = untuned_warmup(lambda t: 1.0, beta2=0.5)
        >>> [round(float(f(t)), 6) for t in range(5)]
        [0.25, 0.5, 0.75, 1.0, 1.0]

    References:
        Ma & Yarats, On the adequacy of untuned warmup for adaptive optimization (2019).
    """

    schedule: ClassVar[str] = "untuned_warmup"
    peak_note: ClassVar[str] = "the base decays while the untuned warmup factor is still below 1"
    base: BaseLike = arg(Base(), "the schedule (a user's function: traceable for JAX, picklable to pickle the "
                         "schedule)")
    beta2: float = arg(c.Number(0.0, 1.0, hi_open=True), "Adam's second-moment decay", default=0.999)
    shape: UntunedShape = arg(c.Choice(("linear", "exponential")), "the factor's form", default="linear")

    def _factor(self) -> Node:
        a = 1.0 - self.beta2
        if self.shape == "linear":
            return Min(Constant(1.0), PowerLaw(a / 2, 1), label="untuned warmup")
        return Saturation(a, 1, label="untuned warmup")

    def compose(self) -> Node:
        product = Product(node_of(self.base), self._factor())
        if product.end is not None:
            return product
        # never ends: show the base's horizon, and at least twice the warmup factor's length
        how = product.open_horizon()[1]
        return Described(product, horizon=(max(reach(product), 2 * self._length()), how))

    def _length(self) -> int:
        """First step at which the linear factor is 1, or the ``2 / (1 - beta2)`` rule of
        thumb for the exponential one (which never reaches 1)."""
        end = self._factor().end
        return math.ceil(2 / (1.0 - self.beta2)) if end is None else end

    def nominal_peak(self) -> tuple[str, float] | None:
        return self.base.nominal_peak() if isinstance(self.base, ScheduleSpec) else None

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        n = self._length()
        return n, (n,)
