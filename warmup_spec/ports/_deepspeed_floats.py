"""DeepSpeed's schedules at a float step: what ``get_lr`` computes when ``step(x)`` is given a
float ``x`` (DeepSpeed takes any number as ``last_batch_iteration``).

The ports run update ``k`` at ``last_batch_iteration = k - 1``; at a float ``k`` DeepSpeed's
comparisons on ``k - 1`` put its phase changes between integers, where no integer step
sees them: a log warmup goes on rising past ``warmup_max_lr`` over ``(W, W + 1)`` (``log(k) /
log(W) > 1``), ``OneCycle`` starts a second cycle over ``(f + s, f + s + 1)`` before its
decay, and its stairs change at ``j f / n`` rather than at the next integer. :class:`AtFloats`
keeps a port's composition at integer steps and evaluates DeepSpeed's own ``get_lr`` at a
float step, written once over a namespace (:data:`PY`: Python floats, the float64 host form,
operation for operation DeepSpeed's; an array namespace: the array forms, every branch
computed and selected with ``where``, each on arguments kept valid).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from warmup_spec._array_ops import ArrayOps
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within

PY = SimpleNamespace(
    where=lambda cond, a, b: a if cond else b, maximum=max, minimum=min, log=math.log, cos=math.cos,
    floor=lambda x: float(math.floor(x)), mod=lambda a, b: a % b,
)
"""The namespace of Python floats: DeepSpeed's own arithmetic."""

AtFloat = Callable[[Any, Any], Any]
"""``(namespace, k) -> value`` at update ``k`` (a float, or a float array)."""


class AtFloats(Node):
    """``inner`` at integer steps; at a float step ``k``, ``at(namespace, k)`` (DeepSpeed's
    ``get_lr`` at ``last_batch_iteration = k - 1``); facts are ``inner``'s."""

    def __init__(self, inner: Node, at: AtFloat) -> None:
        self.inner, self.at, self.label = inner, at, inner.label

    def closed(self, offset: int = 0) -> ClosedForm:
        f, at = self.inner.closed(offset), self.at

        def value(t: Any) -> float:
            if isinstance(t, int):
                return f(t)
            return float(at(PY, min(t - offset, float(STEP_CAP))))

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        f, at, xp = self.inner.array(ops, offset, within), self.at, ops.xp
        ns = SimpleNamespace(where=xp.where, maximum=xp.maximum, minimum=xp.minimum, log=xp.log, cos=xp.cos,
                             floor=xp.floor, mod=xp.mod)

        def value(t: Any) -> Any:
            if ops.is_integer(t):
                return f(t)
            return xp.asarray(at(ns, t - offset), ops.float_dtype()) + xp.zeros(t.shape, ops.float_dtype())

        return value

    @property
    def end(self) -> int | None:
        return self.inner.end

    def events(self) -> list[tuple[int, str]]:
        return self.inner.events()

    def open_horizon(self) -> tuple[int, str]:
        return self.inner.open_horizon()


def warmup_gamma(warmup_type: str, W: int) -> AtFloat:
    """DeepSpeed's ``_get_gamma`` of the warmup at update ``k`` (``last_batch_iteration = k - 1``,
    ``W`` the bumped ``warmup_num_steps``), valid for ``k >= 1``."""
    inverse_log = 1.0 / math.log(W)
    if warmup_type == "log":
        return lambda ns, k: inverse_log * ns.log(ns.maximum(k - 1 + 1, 1.0))
    return lambda ns, k: (k - 1) / W
