"""Exponential decay (or growth) by a factor per ``every`` steps, optionally in stairs,
clipped at a bound: optax ``exponential_decay``, torch ``ExponentialLR``/``StepLR``."""

from __future__ import annotations

import math

from warmup_spec._array_ops import INT32_MAX, ArrayOps
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within

MAX_HORIZON = 1_000_000
FLOAT32_BIG = 3e38
"""How large a growing value may get in the array form (float32 overflows at 3.4e38)."""


class Exponential(Node):
    """``value * rate ** q`` at local step ``x``, ``q = x / every`` (``floor`` with ``staircase``).

    ``bound`` clips every value: ``max(v, bound)`` when ``rate < 1``, ``min(v, bound)`` when
    ``rate > 1`` (required then: the array form evaluates exp() only up to the step where the
    ceiling is reached, or where a negative value reaches -3e38); ``rate == 1`` is constant.
    """

    def __init__(
        self,
        value: float,
        rate: float,
        every: int,
        *,
        staircase: bool = False,
        bound: float | None = None,
        label: str = "",
    ) -> None:
        if rate > 1.0 and bound is None:
            raise ValueError(f"Exponential: a rate > 1 ({rate!r}) needs a ceiling (bound)")
        self.value, self.rate, self.every, self.staircase, self.bound, self.label = (
            value, rate, every, staircase, bound, label)

    def closed(self, offset: int = 0) -> ClosedForm:
        p, rate, n, staircase, e = self.value, self.rate, self.every, self.staircase, self.bound
        clip = e is not None and rate != 1  # a floor below 1, a ceiling above; rate 1 is constant
        bound = 0.0 if e is None else e

        def value(t: int) -> float:
            if p == 0.0:  # every bound lies in [0, p] or is >= p = 0 with a rate > 1
                return 0.0
            x = min(t - offset, STEP_CAP)
            q: float = x // n if staircase else x / n
            try:
                g = rate**q  # rate < 1 underflows quietly to 0.0; rate > 1 may overflow
            except OverflowError:
                g = math.inf
            v = p * g
            if clip:
                v = max(v, bound) if rate < 1 else min(v, bound)
            return v

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        p, rate, n, e, staircase = self.value, self.rate, self.every, self.bound, self.staircase
        xp, w = ops.xp, offset
        log_rate = math.log(rate)
        # Past this step the value is pinned to the bound (a ceiling, rate > 1) or has
        # underflowed to 0 (rate < 1): clipping the step keeps exp() finite.
        if rate > 1 and p != 0:  # |value| grows: pinned at a ceiling above p > 0, else held finite in float32
            cap = e / p if (p > 0 and e is not None) else FLOAT32_BIG / max(abs(p), 1.0)
            cross = math.log(max(cap, 1.0)) / log_rate
            horizon = w + n * (math.ceil(cross) + 1)
        elif rate < 1:
            horizon = w + n * (math.ceil(800.0 / -log_rate) + 1)
        else:
            horizon = w
        horizon = min(horizon, INT32_MAX)
        k = log_rate if staircase else log_rate / n
        # from the step where the closed form reaches the bound, the bound itself: exp() may
        # land an ulp short of it there (rate 2.3684006342899475 over 3 steps: at step 3)
        stop = self.end if e is not None and rate != 1 and p != 0 else None

        def value(t):
            x = ops.clip_step(t, w, horizon) - w
            if staircase:  # a stair longer than the int dtype's range: the first stair, always
                q = x // n if ops.fits(t, n) else ops.xp.zeros_like(x)
            else:
                q = x
            v = p * xp.exp(ops.to_float(q) * k)
            if e is not None and rate != 1:
                v = xp.maximum(v, e) if rate < 1 else xp.minimum(v, e)
            if stop and ops.fits(t, stop):  # a stop past the dtype's range is never reached
                v = xp.where(x >= stop, e, v)
            return v

        return value

    @property
    def end(self) -> int | None:
        """The first step from which the value holds its bound (or 0 when it is constant)."""
        p, rate, e = self.value, self.rate, self.bound
        if rate == 1.0 or p == 0.0 or (e is not None and e == p):
            return 0
        if p < 0.0:  # rises to 0 (rate < 1: held at a bound >= 0) or falls without end
            return 0 if rate < 1 and e is not None and e >= 0.0 else None
        if e is None or e <= 0.0:
            return None
        f = self.closed(0)
        q = math.log(e / p) / math.log(rate)
        n = self.every
        c = max(math.ceil(q) * n if self.staircase else math.ceil(q * n), 0)
        while c > 0 and f(c - 1) == e:  # fix the float rounding of the estimate by evaluation
            c -= 1
        while f(c) != e:
            c += 1
        return c

    def events(self) -> list[tuple[int, str]]:
        return [] if self.staircase else super().events()  # every stair is an intended jump

    def open_horizon(self) -> tuple[int, str]:
        n = 10 * self.every
        if self.rate < 1:
            n = max(n, math.ceil(math.log(0.01) / math.log(self.rate)) * self.every)
        return min(n, MAX_HORIZON), "until the lr falls to 1% of its peak"
