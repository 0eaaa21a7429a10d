"""A polynomial rise: ``a + (b - a) (1 - (rem / L) ** power)`` from ``a`` up to ``b > a``
(optax ``polynomial_schedule`` with ``init_value < end_value``).

:class:`~warmup_spec.primitives.Interp` evaluates a polynomial as
``b + (a - b) (rem / L) ** power``: two non-negative terms when it decays, but a rise
cancels near its start (``b - (b - a) (1 - u) ** power`` with ``u = pos / L`` small:
``power=2`` from 0 is ``b (2u - u**2)``, 1e-5 relative off in float32 at ``u = 1e-3``).
Here the rise is ``a + (b - a) g`` with ``g = 1 - (rem / L) ** power =
-expm1(power * log(rem / L))``, ``log(rem / L)`` taken from the nearer end
(``log1p(-pos / L)`` in the first half): every term non-negative, ``g`` within a few ulps.
"""

from __future__ import annotations

import math

from warmup_spec._array_ops import ArrayOps
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Node, Within


class PowerRise(Node):
    """From ``a`` at local step ``start`` to ``b`` at ``end`` (``a < b``, integer steps,
    ``power > 0``): ``a + (b - a) (1 - (rem / L) ** power)``, ``rem = end - t``,
    ``L = end - start``; ``a`` before, ``b`` after."""

    def __init__(self, a: float, b: float, end: int, *, start: int = 0, power: float = 1.0, label: str = "") -> None:
        if not (a < b and end > start and power > 0):
            raise ValueError(f"PowerRise: needs a < b, end > start, power > 0; got {a!r}, {b!r}, {start!r}, "
                             f"{end!r}, {power!r}")
        self.a, self.b, self.start, self.stop, self.power, self.label = float(a), float(b), start, end, power, label

    def closed(self, offset: int = 0) -> ClosedForm:
        a, d, b, p = self.a, self.b - self.a, self.b, self.power
        S, n = offset + self.start, self.stop - self.start
        log, log1p, expm1 = math.log, math.log1p, math.expm1

        def value(t: int) -> float:
            pos = t - S
            pos = 0 if pos < 0 else (n if pos > n else pos)
            rem = n - pos
            if rem == 0:
                return b
            lr = log1p(-pos / n) if pos <= rem else log(rem / n)
            return a + d * -expm1(p * lr)

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, a, d, b, p = ops.xp, self.a, self.b - self.a, self.b, self.power
        S, E = offset + self.start, offset + self.stop
        inv = 1.0 / (E - S)

        def value(t):
            tc = ops.clip_step(t, S, E)
            pos, rem = ops.to_float(tc - S), ops.to_float(E - tc)
            ended, near = rem == 0, pos <= rem
            # each branch on safe arguments (no log(0), no log1p(-1)): the end is b itself
            head = xp.where(near, pos, 0.0)
            tail = xp.where(near | ended, 1.0, rem)
            lr = xp.where(near, xp.log1p(-(head * inv)), xp.log(tail * inv))
            return xp.where(ended, b, a + d * -xp.expm1(lr * p))

        return value

    @property
    def end(self) -> int | None:
        return self.stop

    def events(self) -> list[tuple[int, str]]:
        start = [(self.start, f"start of {self.label}")] if self.label and self.start > 0 else []
        return start + super().events()

    def first_at_least(self, value: float) -> int | None:
        f = self.closed(0)
        if value <= self.a:
            return 0
        lo, hi = self.start, self.stop  # f increases on [start, end]: bisect
        if f(hi) < value:
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (mid + 1, hi) if f(mid) < value else (lo, mid)
        return lo
