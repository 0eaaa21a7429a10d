"""Periodic pieces: a piece repeated every ``period`` steps, its amplitude optionally
decaying per cycle (torch ``CosineAnnealingLR`` past ``T_max``, ``CyclicLR``, HF cosine
schedules with ``num_cycles``)."""

from __future__ import annotations

import math

from warmup_spec._array_ops import ArrayOps
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Node, Within


class Periodic(Node):
    """``node((t - offset) mod period)``; with ``amplitude_decay = d`` the ``c``-th cycle is
    ``baseline + (node - baseline) d**c`` (torch ``CyclicLR(mode="triangular2")``: d = 1/2).

    ``node`` is evaluated on its own clock within ``[0, period)`` only.
    """

    def __init__(self, node: Node, period: int, *, amplitude_decay: float = 1.0, baseline: float = 0.0) -> None:
        if not (isinstance(period, int) and period >= 1):
            raise ValueError(f"Periodic: period={period!r} is invalid; expected an integer >= 1")
        self.node, self.period, self.decay, self.baseline = node, period, amplitude_decay, baseline

    def closed(self, offset: int = 0) -> ClosedForm:
        f, P, d, base = self.node.closed(0), self.period, self.decay, self.baseline
        if d == 1.0:
            return lambda t: f((t - offset) % P)

        def decaying(t: int) -> float:
            c, x = divmod(t - offset, P)
            try:
                g = d**c
            except OverflowError:  # d > 1 for very many cycles: the amplitude is unbounded
                g = math.inf
            return base + (f(x) - base) * g

        return decaying

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, P, d, base = ops.xp, self.period, self.decay, self.baseline
        f = self.node.array(ops, 0, (0, P - 1))
        log_d = math.log(d) if d > 0 else -math.inf

        def value(t):
            x = xp.maximum(t - offset, 0)
            if not ops.fits(t, P):  # a period longer than the int dtype's range: the first one, always
                return f(x)
            v = f(x % P)
            if d == 1.0:
                return v
            c = ops.to_float(x // P)
            return base + (v - base) * xp.exp(c * log_d)

        return value

    @property
    def end(self) -> int | None:
        return 0 if self.node.end == 0 and self.decay == 1.0 else None

    def events(self) -> list[tuple[int, str]]:
        inner = [(s, kind) for s, kind in self.node.events() if 0 < s < self.period]
        return [(k * self.period + s, kind) for k in range(3) for s, kind in inner] + [
            (k * self.period, "start of a cycle") for k in range(1, 4)]

    def open_horizon(self) -> tuple[int, str]:
        return math.ceil(3.1 * self.period), "three periods + 10%"
