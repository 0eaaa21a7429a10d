"""What the schedules of other libraries share: the base lr of the relative ones.

torch, HF transformers and timm schedulers scale each param group's base lr (the
optimizer's lr); a port of one of them takes that base lr as ``lr``. optax, Keras,
Megatron-LM and DeepSpeed give absolute values and take no ``lr``.
"""

from __future__ import annotations

from typing import Any

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, arg, definition
from warmup_spec.primitives import Constant, Exponential, Join, Min, Node, Periodic, Product, Scale
from warmup_spec.registry import spec_from_config

GROWTH_CEILING = 3e38
"""Where a schedule that grows without end (an exponential with a rate above 1: an lr range
test) is held: just within float32's range, where the libraries' float32 overflows to
``inf`` (3.4e38); their float64 grows on to ``inf`` at 1.8e308."""


def growth_ceiling(value: float, rate: float) -> float | None:
    """The bound of ``value * rate ** q``: ``max(value, GROWTH_CEILING)`` when it grows,
    none (it decays to 0) otherwise."""
    return max(value, GROWTH_CEILING) if rate > 1.0 else None


def powers(lr: float, gamma: float, every: int) -> Node:
    """``lr * gamma ** (t // every)`` for any finite ``gamma``, as torch's and timm's Python
    floats give it: ``lr``, then 0 from ``every`` on for ``gamma=0``; a negative ``gamma``
    alternates the sign every ``every`` steps; a ``|gamma| > 1`` holds its magnitude at
    ``max(|lr|, 3e38)``."""
    if gamma == 0.0:
        return Join([Constant(lr), Constant(0.0)], [every], ["first decay"])
    rate = abs(gamma)
    magnitude = Exponential(lr, rate, every, staircase=every > 1, bound=growth_ceiling(lr, rate))
    if gamma > 0.0:
        return magnitude
    sign = Periodic(Join([Constant(1.0), Constant(-1.0)], [every], ["sign flip"]), 2 * every)
    return Product(magnitude, sign)


def at_least_zero(node: Node) -> Node:
    """``max(0, node)`` (HF's and DeepSpeed's ``max(0.0, factor)``), as ``-min(0, -node)``."""
    return Scale(Min(Constant(0.0), Scale(node, -1.0)), -1.0)


def checked(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """``cfg`` if the catalogue accepts it, else None: a port's :meth:`~ScheduleSpec.equivalent`
    where the port's domain (negative values, say) is wider than the catalogue's."""
    try:
        spec_from_config(cfg)
    except ValueError:
        return None
    return cfg


class FloatSteps(ScheduleSpec):
    """A port whose library takes a float step and computes at it (optax, Keras, DeepSpeed's
    ``step(x)``): the host and array forms take float steps too."""

    def float_steps(self) -> bool:
        return True


@definition
class Relative(ScheduleSpec):
    """A schedule relative to the optimizer's lr: ``lr`` is that base lr."""

    lr: float = arg(c.Number(0.0), "the base lr (the optimizer's lr) that the library's scheduler scales")

    def nominal_peak(self) -> tuple[str, float] | None:
        return "lr", self.lr
