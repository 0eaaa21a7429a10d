"""torch's cosine of a fractional period (``CosineAnnealingLR`` with a float ``T_max``), its
``CyclicLR`` of any step sizes and its ``CosineAnnealingWarmRestarts`` at a float epoch.

:class:`CosineWave`: ``eta_min + (lr - eta_min) (1 + cos(pi x / T)) / 2`` at EVERY local
step ``x`` (torch's recursion rises again past ``T``), for any finite ``T != 0`` (the
cosine is even: ``|T|``). An integer ``T`` is a :class:`~warmup_spec.primitives.Periodic`
of two half-cosines; a fractional one has no integer half-period, so the phase is reduced
here:

- the float64 closed form writes ``|T|`` as its exact ratio ``p / q`` (``q`` a power of 2)
  and reduces ``x / T = x q / p`` modulo 2 on Python ints: ``m = x q mod 2p``, ``d =
  min(m, 2p - m)`` (the distance to the peak, in units of ``pi / p``), and the value is
  ``eta_min + (lr - eta_min) sin(pi (p - d) / 2p)**2`` (``(1 + cos(pi d / p)) / 2``, from
  the nearer end: no ``1 + cos`` near -1);
- the array form reduces the same phase, ``x q / p`` half-turns, on the integer step as
  :class:`~warmup_spec.ports._half_turns.HalfTurns` says (shared with HF's cosines): exactly
  for ``2.5`` (``2 / 5``: its crests and troughs on their steps), chunk by chunk for
  ``2.718281828``, ``123456.789`` and ``0.3`` (whose ``10 / 3`` parts from the double's
  ``q / p`` by 2.6e-7 half-turns at step ``2**31 - 1``).

The float64 closed form is exact for every ``T``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from warmup_spec._array_ops import HALF_PI, INT32_MAX, ArrayOps
from warmup_spec.ports._half_turns import HalfTurns
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within
from warmup_spec.primitives.cycles import Cycles

PHASE_TOLERANCE = 1e-6
"""How far (cycles) :class:`CyclicTriangle`'s integer phase of a fraction near ``1 / total`` may
be from torch's at step ``2**31 - 1`` (:func:`cycle_fraction`)."""


def odd_fraction(T: float, largest: int = 2**20) -> tuple[int, int] | None:
    """``(P, Q)`` with ``Q > 1`` odd and ``float(P / Q) == |T|`` (``Q <= largest``), else None:
    at the odd multiples ``t - 1`` of ``P`` torch's ``cos(pi (t - 1) / T)`` is ``-1.0`` and its
    recursion divides by ``1 + cos = 0`` where its restart test misses in floats (``1 / 3``: at
    step 2; ``0.2``: at step 4; ``2.6 = 13 / 5``: at step 40)."""
    r = Fraction(abs(T)).limit_denominator(largest)
    if r.denominator > 1 and r.denominator % 2 == 1 and float(r) == abs(T):
        return r.numerator, r.denominator
    return None


class CosineWave(Node):
    """``eta_min + (lr - eta_min) (1 + cos(pi x / T)) / 2`` at every local step ``x``, for a
    float ``T != 0``; see the module docstring."""

    label = "cosine"

    def __init__(self, lr: float, eta_min: float, T: float) -> None:
        if not (math.isfinite(T) and T != 0.0):
            raise ValueError(f"CosineWave: T={T!r} is invalid; expected a finite number other than 0")
        self.lr, self.eta_min, self.T = float(lr), float(eta_min), abs(float(T))
        self.p, self.q = self.T.as_integer_ratio()
        self.turns = HalfTurns(Fraction(self.q, self.p))  # pi x / T: q / p half-turns a step

    def closed(self, offset: int = 0) -> ClosedForm:
        lr, e, p, q, sin = self.lr, self.eta_min, self.p, self.q, math.sin
        two_p = 2 * p

        def value(t: int) -> float:
            m = ((t - offset) * q) % two_p
            d = m if m <= p else two_p - m
            s = sin(HALF_PI * ((p - d) / p))
            return e + (lr - e) * (s * s)

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, lr, e, turns = ops.xp, self.lr, self.eta_min, self.turns

        def value(t: Any) -> Any:
            s = turns.crest_cos(ops, xp.maximum(t - offset, 0))  # cos(pi x / 2T)**2 = (1 + cos(pi x / T)) / 2
            return e + (lr - e) * (s * s)

        return value

    @property
    def end(self) -> int | None:
        return 0 if self.lr == self.eta_min else None

    def events(self) -> list[tuple[int, str]]:
        return []  # a smooth wave: no jump

    def open_horizon(self) -> tuple[int, str]:
        return max(10, math.ceil(6.2 * self.T)), "three periods + 10%"


def cycle_fraction(up: float, down: float) -> tuple[int, int, int] | None:
    """``(a, b, D)``: integers with ``up = a / D`` and ``down = b / D``, ``|a + b| D`` within
    int32. Exact for floats with small power-of-2 denominators (``2.5 = 5 / 2``, ``-3``);
    for a triangle (``up, down > 0``) a common fraction to float precision (``0.3, 1.2 = 3 / 10,
    12 / 10``), whose phase ``x D / (a + b)`` is within :data:`PHASE_TOLERANCE` of torch's
    ``x / (up + down)`` over the int32 steps; None if there is none."""
    (pu, qu), (pd, qd) = Fraction(up).as_integer_ratio(), Fraction(down).as_integer_ratio()
    D = max(qu, qd)
    a, b = pu * (D // qu), pd * (D // qd)
    if abs(a + b) * D <= INT32_MAX:
        return a, b, D
    if not (up > 0 and down > 0):  # a sawtooth's drop is where torch's rounding puts it: no approximation
        return None
    total, ratio, q_max = Fraction(up) + Fraction(down), Fraction(up) / (Fraction(up) + Fraction(down)), 1
    while q_max <= INT32_MAX:
        ru, rd = Fraction(up).limit_denominator(q_max), Fraction(down).limit_denominator(q_max)
        D = math.lcm(ru.denominator, rd.denominator)
        a, b = ru.numerator * (D // ru.denominator), rd.numerator * (D // rd.denominator)
        if (a + b) * D > INT32_MAX:
            return None
        if a > 0 and b > 0 and INT32_MAX * abs(Fraction(D, a + b) - 1 / total) <= PHASE_TOLERANCE \
                and abs(Fraction(a, a + b) - ratio) <= Fraction(1, 2**50):
            return a, b, D
        q_max *= 2
    return None


class CyclicTriangle(Node):
    """torch ``CyclicLR``'s ``base + (amplitude * scale) * fn`` for float step sizes of any sign
    (``step_size_up != 0``, ``step_size_up + step_size_down != 0``), with torch's own arithmetic:
    ``cycle = floor(1 + x / total)``, ``u = 1 + x / total - cycle``, ``scale = u / ratio`` where
    ``u <= ratio`` else ``(u - 1) / (ratio - 1)`` (``total = up + down``, ``ratio = up / total``),
    and ``fn = 1``, or ``1 / 2 ** (cycle - 1)`` with ``halving`` (``"triangular2"``).

    A negative size makes a sawtooth: ``up=-3, down=5`` falls from ``0.4`` of the amplitude at
    the start of each 2-step cycle (``ratio = -1.5`` is never reached), ``down=0`` rises and drops
    back every ``up`` steps; a negative ``total`` counts the cycles down from 1.

    The float64 closed form is torch's arithmetic, operation for operation. The array form, for
    ``up = a / D`` and ``down = b / D`` (:func:`cycle_fraction`: ``2.5``, ``-3``, ``0.3`` with
    ``1.2``), is integer arithmetic: with ``s`` the sign of ``N = a + b``, ``m = s x D mod |N|``,
    ``scale = m / (s a)`` where ``m <= s a`` else ``(|N| - m) / (s b)``; otherwise (``0.3`` with
    ``0``) torch's arithmetic in the float dtype, whose float32 phase ``x / total`` parts from
    torch's by about ``x / total * 6e-8``.
    """

    label = "cycle"

    def __init__(self, base: float, amplitude: float, up: float, down: float, *, halving: bool = False) -> None:
        total = up + down
        if not (math.isfinite(total) and total != 0.0 and up != 0.0):
            raise ValueError(f"CyclicTriangle: up={up!r}, down={down!r} is invalid; expected up != 0, up + down != 0")
        self.base, self.amplitude, self.up, self.down, self.halving = float(base), float(amplitude), up, down, halving
        self.total, self.ratio = float(up) + float(down), float(up) / (float(up) + float(down))
        self.exact = cycle_fraction(float(up), float(down))

    def closed(self, offset: int = 0) -> ClosedForm:
        base, amp, total, ratio, halving = self.base, self.amplitude, self.total, self.ratio, self.halving
        floor = math.floor

        def value(t: int) -> float:
            x = t - offset
            cycle = floor(1 + x / total)
            u = 1.0 + x / total - cycle
            scale = u / ratio if u <= ratio else (u - 1) / (ratio - 1)
            height = amp * scale
            if not halving:
                return base + height * 1.0
            try:
                return base + height * (1 / (2.0 ** (cycle - 1)))
            except OverflowError:  # cycle > 1025: torch raises; the amplitude has long been 0
                return base + height * 0.0

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, base, amp, halving = ops.xp, self.base, self.amplitude, self.halving
        total, ratio, exact = self.total, self.ratio, self.exact
        log_half = math.log(0.5)

        def value(t: Any) -> Any:
            x = xp.maximum(t - offset, 0)
            if exact is not None and ops.fits(t, abs(exact[0] + exact[1]) * exact[2]):
                a, b, D = exact
                sign = 1 if a + b > 0 else -1
                M, a, b = abs(a + b), sign * a, sign * b  # the cycle M / D, rising a / D, falling b / D
                A, B = x // M, x % M
                m = (B * D) % M if sign > 0 else (M - (B * D) % M) % M
                mf = ops.to_float(m)
                scale = xp.where(m <= a, mf * (1.0 / (a or 1)), (M - mf) * (1.0 / (b or 1)))
                cycles = ops.to_float(A) * D + ops.to_float((B * D) // M)  # cycle - 1 (halving: sign > 0)
            else:
                v = ops.to_float(x) / total
                cycle = xp.floor(1.0 + v)
                u = 1.0 + v - cycle
                scale = xp.where(u <= ratio, u * (1.0 / ratio), (u - 1.0) * (1.0 / ((ratio - 1.0) or 1.0)))
                cycles = cycle - 1.0
            height = amp * scale
            if not halving:
                return base + height
            return base + height * xp.exp(cycles * log_half)

        return value

    @property
    def end(self) -> int | None:
        return 0 if self.amplitude == 0.0 else None

    def events(self) -> list[tuple[int, str]]:
        return []  # every drop of a sawtooth is intended

    def open_horizon(self) -> tuple[int, str]:
        return max(10, math.ceil(3.1 * abs(self.total))), "three cycles + 10%"


class TorchRestarts(Cycles):
    """torch ``CosineAnnealingWarmRestarts``: :class:`~warmup_spec.primitives.Cycles` at integer
    steps (``step()``, which counts ``T_cur`` up exactly), and at a float epoch what torch's
    ``step(epoch)`` computes: with ``T_mult > 1`` the cycle ``n = int(log(epoch / T_0 (T_mult - 1)
    + 1, T_mult))``, ``T_cur = epoch - T_0 (T_mult**n - 1) / (T_mult - 1)``, ``T_i = T_0
    T_mult**n``; with ``T_mult = 1`` ``T_cur = epoch % T_0``; then ``eta_min + (lr - eta_min)
    (1 + cos(pi T_cur / T_i)) / 2``.

    torch's logarithm lands a hair below the integer at some cycle starts (``T_0=1, T_mult=3``:
    ``log(243, 3) = 4.999...``, so ``step(121.0)`` is the end of the cycle before, ``eta_min``,
    where ``step()`` restarts at ``lr``): the closed form evaluates torch's own logarithm at a
    float epoch, and the array form looks the cycle up in a table of the cycle starts, those
    starts moved to the cycle before where torch's logarithm puts them there.
    """

    def __init__(self, lr: float, eta_min: float, T_0: int, T_mult: int) -> None:
        super().__init__("cosine", lr, eta_min, T_0, float(T_mult))
        self.T_0, self.T_mult = T_0, T_mult

    def _torch_cycle(self, epoch: float) -> tuple[float, float]:
        """``(T_cur, T_i)`` as torch's ``step(epoch)`` computes them."""
        T_0, m = self.T_0, self.T_mult
        if epoch < T_0:
            return epoch, T_0
        if m == 1:
            return epoch % T_0, T_0
        n = int(math.log((epoch / T_0 * (m - 1) + 1), m))
        return epoch - T_0 * (m**n - 1) / (m - 1), T_0 * m**n

    def closed(self, offset: int = 0) -> ClosedForm:
        at_int = super().closed(offset)
        lr, e, cos, pi = self.peak, self.floor, math.cos, math.pi

        def value(t: Any) -> float:
            if isinstance(t, int):
                return at_int(t)
            T_cur, T_i = self._torch_cycle(min(t - offset, float(STEP_CAP)))
            return e + (lr - e) * (1 + cos(pi * T_cur / T_i)) / 2

        return value

    def _starts(self) -> tuple[list[int], list[int]]:
        """The integer starts of torch's cycles within int32 range, and the cycle torch's
        logarithm gives at each (one less where it lands below the integer)."""
        starts, cycles, k = [], [], 0
        while self.geometry.start(k) <= INT32_MAX:
            s = math.ceil(self.geometry.start(k))
            starts.append(s)
            cycles.append(k if s < self.T_0 else int(math.log((s / self.T_0 * (self.T_mult - 1) + 1), self.T_mult)))
            k += 1
        return starts, cycles

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        at_int = super().array(ops, offset, within)
        xp, lr, e, T_0, m = ops.xp, self.peak, self.floor, self.T_0, self.T_mult
        if m == 1:  # torch's epoch % T_0

            def equal(t: Any) -> Any:
                if ops.is_integer(t):
                    return at_int(t)
                pos = xp.maximum(t - offset, 0.0) % T_0
                return ops.interpolate("cosine", lr, e, pos, T_0 - pos, T_0)

            return equal
        starts, cycles = self._starts()
        misread = [s for s, k, j in zip(starts, cycles, range(len(starts))) if k < j]

        def value(t: Any) -> Any:
            if ops.is_integer(t):
                return at_int(t)
            F = ops.float_dtype()
            x = xp.maximum(t - offset, 0.0)
            c = xp.searchsorted(xp.asarray(starts, F), x, side="right") - 1
            for s in misread:  # torch's logarithm puts this start in the cycle before
                c = xp.where(x == s, c - 1, c)
            start = xp.asarray([float(T_0 * (m**j - 1) // (m - 1)) for j in range(len(starts))], F)[c]
            length = xp.asarray([float(T_0 * m**j) for j in range(len(starts))], F)[c]
            pos = x - start
            return ops.interpolate("cosine", lr, e, pos, length - pos, length)

        return value
