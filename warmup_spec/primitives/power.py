"""Pieces that never end: power laws of the step (inverse square root, noam's ramp) and
the saturating ``1 - exp(-rate (x + shift))`` of the untuned warmup."""

from __future__ import annotations

import math

from warmup_spec._array_ops import ArrayOps
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within


class PowerLaw(Node):
    """``coef * ((x + shift) / scale) ** power`` at local step ``x`` (capped at ``STEP_CAP``).

    ``power = -0.5`` is the inverse square root (``coef / sqrt((x + shift) / scale)``,
    evaluated in float32 as ``coef sqrt(scale) / sqrt(x + shift)``), ``1`` a ramp and
    ``-1`` an inverse; each has its own form with one rounding in its constant.
    """

    def __init__(self, coef: float, shift: float, scale: float = 1.0, power: float = 1.0, *, label: str = "") -> None:
        if not (scale > 0 and shift >= 0):
            raise ValueError(f"PowerLaw: needs scale > 0 and shift >= 0; got scale={scale!r}, shift={shift!r}")
        self.coef, self.shift, self.scale, self.power, self.label = coef, shift, scale, power, label

    def closed(self, offset: int = 0) -> ClosedForm:
        coef, shift, scale, power, cap, sqrt = self.coef, self.shift, self.scale, self.power, STEP_CAP, math.sqrt
        if power == -0.5:
            if scale == 1.0:  # one rounding (pow) rather than two (sqrt, divide)

                def rsqrt(t: int) -> float:
                    x = t - offset
                    return coef * ((x if x < cap else cap) + shift) ** -0.5

                return rsqrt

            def scaled_rsqrt(t: int) -> float:
                x = t - offset
                return coef / sqrt(((x if x < cap else cap) + shift) / scale)

            return scaled_rsqrt
        if power == -1.0:
            k = coef * scale

            def inverse(t: int) -> float:
                x = t - offset
                return k / ((x if x < cap else cap) + shift)

            return inverse

        def power_law(t: int) -> float:
            x = t - offset
            s = ((x if x < cap else cap) + shift) / scale
            return coef * s if power == 1.0 else coef * s**power

        return power_law

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        of_s, shift = self.of_shifted(ops), self.shift
        return lambda t: of_s(ops.float_step(t, offset) + shift)  # x + shift as a float: no int overflow

    def of_shifted(self, ops: ArrayOps) -> ArrayForm:
        """The array form as a function of ``s = x + shift`` (pieces with one shift share it)."""
        xp, coef, scale, power = ops.xp, self.coef, self.scale, self.power
        if power == -0.5:
            k = coef * math.sqrt(scale)  # coef / sqrt(s / scale) = coef sqrt(scale) / sqrt(s)
            if k == 1.0:
                return lambda s: xp.reciprocal(xp.sqrt(s))
            return lambda s: k * xp.reciprocal(xp.sqrt(s))
        if power == 1.0:
            slope = coef / scale
            return lambda s: s * slope
        if power == -1.0:
            k = coef * scale
            return lambda s: k / s
        return lambda s: coef * xp.power(s * (1.0 / scale), power)

    @property
    def end(self) -> int | None:
        return 0 if self.coef == 0 else None

    def first_at_least(self, value: float) -> int | None:
        if not (self.power > 0 and self.coef > 0):
            return None
        f = self.closed(0)
        x = max(math.ceil(self.scale * (value / self.coef) ** (1.0 / self.power) - self.shift), 0)
        while x > 0 and f(x - 1) >= value:  # the estimate's rounding, fixed by evaluation
            x -= 1
        while f(x) < value:
            x += 1
        return x

    def open_horizon(self) -> tuple[int, str]:
        return math.ceil(10 * self.scale), "10 * timescale"


class Saturation(Node):
    """``1 - exp(-rate (x + shift))`` at local step ``x``: rises towards 1, never reaching it."""

    def __init__(self, rate: float, shift: float, *, label: str = "") -> None:
        self.rate, self.shift, self.label = rate, shift, label

    def closed(self, offset: int = 0) -> ClosedForm:
        rate, shift = self.rate, self.shift
        return lambda t: -math.expm1(-rate * (min(t - offset, STEP_CAP) + shift))  # 1 - exp(-x) without cancellation

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        rate, shift = self.rate, self.shift
        return lambda t: -ops.xp.expm1(-rate * (ops.float_step(t, offset) + shift))

    @property
    def end(self) -> int | None:
        return None

    def open_horizon(self) -> tuple[int, str]:
        return math.ceil(2 / self.rate), "2 / rate"
