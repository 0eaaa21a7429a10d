"""Cosine cycles with warm restarts (SGDR): timm ``CosineLRScheduler`` cycles, torch
``CosineAnnealingWarmRestarts``, optax ``sgdr_schedule``."""

from __future__ import annotations

import math
from typing import Any

from warmup_spec._array_ops import INT32_MAX, ArrayOps
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within


class Restarts(Node):
    """Cycles of length ``cycle_steps * cycle_mul**c``; in cycle ``c`` at position ``x`` of
    length ``L``: ``end + (peak * cycle_decay**c - end) (1 + cos(pi x / L)) / 2``; after
    ``cycle_limit`` cycles (if set) the value holds ``end``.

    ``cycle_mul`` is 1.0 or at least 1.001 (the callers' validation): the array form keeps
    an exact table of the cycles that start within int32 range.
    """

    label = "cycles"

    def __init__(
        self, peak: float, end_value: float, cycle_steps: int, cycle_mul: float = 1.0,
        cycle_decay: float = 1.0, cycle_limit: int | None = None,
    ) -> None:
        self.peak, self.end_value, self.cycle_steps = peak, end_value, cycle_steps
        self.cycle_mul, self.cycle_decay, self.cycle_limit = cycle_mul, cycle_decay, cycle_limit

    def cycle_start(self, k: int) -> float:
        """Start of cycle ``k`` (float64; ``inf`` where it overflows, a huge ``cycle_limit``)."""
        m, L = self.cycle_mul, float(self.cycle_steps)
        try:
            return L * k if m == 1.0 else L * (m**k - 1.0) / (m - 1.0)
        except OverflowError:
            return math.inf

    def _cycle_index(self, x: int) -> int:
        """The largest ``k`` with ``cycle_start(k) <= x`` (``cycle_mul > 1``)."""
        m, L = self.cycle_mul, self.cycle_steps
        k = max(0, int(math.log1p(x * (m - 1.0) / L) / math.log(m)))
        while self.cycle_start(k + 1) <= x:  # at most a step or two: the log is close
            k += 1
        while k > 0 and self.cycle_start(k) > x:
            k -= 1
        return k

    # --- facts -----------------------------------------------------------------

    @property
    def end(self) -> int | None:
        if self.cycle_limit is None:
            return None
        return math.ceil(self.cycle_start(self.cycle_limit))

    def events(self) -> list[tuple[int, str]]:
        """Every restart within three cycles past the first (more are not reported)."""
        out: list[tuple[int, str]] = []
        k, limit = 1, self.cycle_limit
        while (limit is None or k <= limit) and k <= 10_000:
            step = math.ceil(self.cycle_start(k))
            last = limit is not None and k == limit
            out.append((step, "end of cycles" if last else "restart"))
            if step > 10 * MAX_EVENTS_STEPS:
                break
            k += 1
        return out

    def open_horizon(self) -> tuple[int, str]:
        return math.ceil(1.1 * self.cycle_start(3)) + 10, "three cycles + 10%"

    # --- forms -----------------------------------------------------------------

    def closed(self, offset: int = 0) -> ClosedForm:
        p, e, L, m = self.peak, self.end_value, self.cycle_steps, self.cycle_mul
        dec, limit = self.cycle_decay, self.cycle_limit
        limit_start = self.cycle_start(limit) if limit is not None else None
        sin = math.sin
        half_pi = math.pi / 2

        def value(t: int) -> float:
            x = t - offset
            if limit_start is not None and x >= limit_start:
                return e
            if m == 1.0:
                k, pos = divmod(x, L)  # exact for any int
                rem = (L - pos) / L
            else:
                x = min(x, STEP_CAP)
                k = self._cycle_index(x)
                length = L * m**k
                rem = (length - (x - self.cycle_start(k))) / length
            peak = p * dec ** min(k, STEP_CAP)
            s = sin(half_pi * rem)
            return e + (peak - e) * (s * s)

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        p, e, w, L0 = self.peak, self.end_value, offset, self.cycle_steps
        mul, dec, limit = self.cycle_mul, self.cycle_decay, self.cycle_limit
        log_dec = math.log(dec)
        starts: Any = None
        if mul != 1.0:
            # Every cycle that starts within int32 range, as exact integer step boundaries
            # (the first integer step of each cycle), plus float64 constants per cycle.
            starts_f: list[float] = []
            k = 0
            while (limit is None or k <= limit) and self.cycle_start(k) <= INT32_MAX:
                starts_f.append(self.cycle_start(k))
                k += 1
            ends_f = [self.cycle_start(j + 1) for j in range(len(starts_f))]
            first_step = [math.ceil(s) for s in starts_f]
            # end of cycle j = last[j] + frac_end[j]: an int32 step plus a remainder in [0, 1), so
            # rem = (last - x) + frac_end adds two non-negative numbers (a negative remainder
            # would cancel in float32 when the cycle ends just after a step: 1e-6 at 1-step cycles)
            last = [min(math.floor(x), INT32_MAX) for x in ends_f]
            frac_end = [x - b for x, b in zip(ends_f, last)]
            length = [L0 * mul**j for j in range(len(starts_f))]
            peaks = [p * dec**j for j in range(len(starts_f))]
            frac_start = [b - x for x, b in zip(starts_f, first_step)]  # start = first_step - frac_start
            starts = (first_step, last, frac_end, frac_start, length, peaks)

        def cycles(t):
            integer = ops.is_integer(t)
            # the cycle tables cover steps up to int32's maximum; equal cycles any step
            x = ops.clip_step(t, w, INT32_MAX if (integer and starts is not None) else math.inf) - w
            F = ops.float_dtype()
            if starts is None and not (integer and not ops.fits(t, L0)):
                c = x // L0
                at = x - c * L0  # the position in the cycle, exact
                pos, rem = ops.to_float(at), ops.to_float(L0 - at)
            elif starts is None:  # a cycle longer than the int dtype's range: always the first
                c = ops.xp.zeros_like(x)
                pos, rem = ops.to_float(x), ops.distance(L0, x, t)
            if starts is None:
                length_c: Any = float(L0)
                peak: Any = p * ops.xp.exp(ops.to_float(c) * log_dec) if dec != 1.0 else p
            else:
                first_step, last, frac_end, frac_start, length, peaks = starts
                itype = t.dtype if integer else ops.xp.int32
                firsts, xi = ops.xp.asarray(first_step, itype), x.astype(itype)
                c = ops.xp.searchsorted(firsts, xi, side="right") - 1
                rem = ops.to_float(ops.xp.asarray(last, itype)[c] - xi) + ops.xp.asarray(frac_end, F)[c]
                pos = ops.to_float(xi - firsts[c]) + ops.xp.asarray(frac_start, F)[c]
                length_c = ops.xp.asarray(length, F)[c]
                peak = ops.xp.asarray(peaks, F)[c]
            # a decayed cycle peak may fall below end_value (a cycle that goes UP to it):
            # interpolate picks the direction, per cycle when the peaks decay and e > 0
            v = ops.interpolate("cosine", peak, e, pos, rem, length_c)
            if limit is not None:
                v = ops.xp.where(c >= limit, e, v)
            return v

        return cycles


MAX_EVENTS_STEPS = 10**7
"""Restart events are listed up to about this many steps (a diagnosis looks at fewer)."""
