"""Cosine cycles of geometrically growing length whose cycle index is a float64 logarithm:
fairseq's ``cosine`` scheduler with ``t_mult != 1``.

fairseq finds the cycle of update ``x`` as ``floor(log(1 - x / P (1 - m), m))`` in
float64. That logarithm lands a hair below an integer at some exact cycle starts
(``m = 3``: ``log(243, 3) = 4.999...``) and a hair above at others (the float ``m = 1.1``
is not 1.1), so fairseq's cycles start one update late or early there, where the value
jumps between a cycle's floor and the next cycle's peak. :class:`~warmup_spec.primitives.Restarts`
places its cycles at their exact starts; this piece places them where fairseq's
logarithm does: its closed form evaluates that logarithm, its array form looks the cycle
up in a table of the first integer update of each cycle, found with the same logarithm
at build time (no float32 or XLA ``log`` decides a cycle).
"""

from __future__ import annotations

import math
from typing import Any

from warmup_spec._array_ops import HALF_PI, INT32_MAX, ArrayOps
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within


class LogCycles(Node):
    """In fairseq's cycle ``i`` of update ``x`` (see the module docstring), with
    ``T_i = P m**i`` and ``t = x - P (1 - m**i) / (1 - m)``:
    ``s**i (lo + (hi - lo) (1 + cos(pi t / T_i)) / 2)``, written ``lo_i + (hi_i - lo_i)
    sin(pi/2 (T_i - t) / T_i)**2`` (no cancellation as a cycle reaches ``lo_i``).

    Args:
        hi: the value at the start of cycle 0 (fairseq's ``lr``).
        lo: the value at the end of cycle 0 (fairseq's ``min_lr``), ``<= hi``.
        period: the length ``P`` of cycle 0, an integer ``>= 1``.
        mul: the growth ``m`` of the cycle length, ``> 1``.
        shrink: the factor ``s`` of both ends per cycle, in ``[-1, 1]`` (negative: the sign alternates).
    """

    label = "cycles"

    def __init__(self, hi: float, lo: float, period: int, mul: float, shrink: float) -> None:
        if not (isinstance(period, int) and period >= 1 and mul > 1.0 and -1.0 <= shrink <= 1.0 and lo <= hi):
            raise ValueError(f"LogCycles: needs an integer period >= 1, mul > 1, shrink in [-1, 1], lo <= hi; got "
                             f"period={period!r}, mul={mul!r}, shrink={shrink!r}, lo={lo!r}, hi={hi!r}")
        self.hi, self.lo, self.period, self.mul, self.shrink = hi, lo, period, mul, shrink
        self._table: Any = None

    def index(self, x: int) -> int:
        """fairseq's cycle index of local update ``x >= 0``, its float64 expression verbatim."""
        P, m = self.period, self.mul
        return math.floor(math.log(1 - min(x, STEP_CAP) / P * (1 - m), m))

    def cycle(self, i: int) -> tuple[float, float, float, float]:
        """(start ``P (1 - m**i) / (1 - m)`` and length ``P m**i`` as fairseq computes
        them, the cycle's peak ``hi s**i`` and floor ``lo s**i``)."""
        P, m = self.period, self.mul
        try:
            g = m**i
        except OverflowError:
            g = math.inf
        scale = self.shrink ** min(i, STEP_CAP)
        return (1 - g) / (1 - m) * P, g * P, self.hi * scale, self.lo * scale

    def first_step(self, i: int) -> int:
        """The first integer local update that fairseq puts in cycle ``i`` or later."""
        P, m = self.period, self.mul
        x = max(0, math.floor(P * (m**i - 1) / (m - 1)) - 2)  # the exact start, less a margin
        while x > 0 and self.index(x - 1) >= i:
            x -= 1
        while self.index(x) < i:
            x += 1
        return x

    # --- facts -----------------------------------------------------------------

    @property
    def end(self) -> int | None:
        return 0 if self.hi == 0.0 else None

    def events(self) -> list[tuple[int, str]]:
        return [(self.first_step(k), "restart") for k in range(1, 4)]

    def open_horizon(self) -> tuple[int, str]:
        return math.ceil(1.1 * self.first_step(3)) + 10, "three cycles + 10%"

    # --- forms -----------------------------------------------------------------

    def closed(self, offset: int = 0) -> ClosedForm:
        sin = math.sin

        def value(t: int) -> float:
            x = t - offset
            start, length, hi, lo = self.cycle(self.index(x))
            s = sin(HALF_PI * ((start + length - min(x, STEP_CAP)) / length))
            return lo + (hi - lo) * (s * s)

        return value

    def table(self) -> tuple[list[int], list[int], list[float], list[float], list[float], list[float]]:
        """Per cycle starting within int32 range: (first integer update, the integer part
        and the fraction in ``[0, 1)`` of its end, its length, peak and floor)."""
        if self._table is None:
            firsts: list[int] = []
            lasts: list[int] = []
            fracs, lengths, his, los = [], [], [], []
            i = 0
            while True:
                first = self.first_step(i)
                if first > INT32_MAX:
                    break
                start, length, hi, lo = self.cycle(i)
                end = start + length
                last = min(math.floor(end), INT32_MAX)
                firsts.append(first)
                lasts.append(last)
                fracs.append(end - last)
                lengths.append(length)
                his.append(hi)
                los.append(lo)
                i += 1
            self._table = (firsts, lasts, fracs, lengths, his, los)
        return self._table

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        firsts, lasts, fracs, lengths, his, los = self.table()
        xp = ops.xp

        def cycles(t: Any) -> Any:
            F = ops.float_dtype()
            itype = t.dtype if ops.is_integer(t) else xp.int32
            x = (ops.clip_step(t, offset, INT32_MAX) - offset).astype(itype)
            i = xp.searchsorted(xp.asarray(firsts, itype), x, side="right") - 1
            # the distance to the cycle's end: an exact integer plus the end's fraction
            # (negative by less than a step where fairseq's logarithm starts a cycle late)
            rem = ops.to_float(xp.asarray(lasts, itype)[i] - x) + xp.asarray(fracs, F)[i]
            s = xp.sin(rem * (HALF_PI / xp.asarray(lengths, F)[i]))
            lo = xp.asarray(los, F)[i]
            return lo + (xp.asarray(his, F)[i] - lo) * (s * s)

        return cycles
