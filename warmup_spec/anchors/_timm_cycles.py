"""timm's cycles (``CosineLRScheduler``, ``TanhLRScheduler``, ``PolyLRScheduler``) and the
stairs of a fractional period (``StepLRScheduler`` with a float ``decay_t``).

:class:`TimmCycles`: timm 1.0.31 (``timm/scheduler/cosine_lr.py``, ``tanh_lr.py``,
``poly_lr.py``) puts local step ``x`` in cycle

- ``i = x // T`` when ``cycle_mul == 1``;
- ``i = floor(log(1 - x / T * (1 - m), m))`` in float64 otherwise. That logarithm lands a
  hair below an integer at some exact cycle starts (``m = 10``: ``log(1000, 10) =
  2.9999999999999996``, so ``x = 111`` of ``T = 1`` stays in cycle 2, at its floor) and a
  hair above at others (the float ``m = 1.1`` is not 1.1: ``x = 21`` of ``T = 10`` is
  already in cycle 2, at its peak); with ``m < 1`` the cycles shrink and timm raises
  (``math domain error``) from ``x >= T / (1 - m)`` on.

Cycle ``i`` has timm's length ``t_i = m**i T`` and start ``(1 - m**i) / (1 - m) T`` (so that
``t_curr = x - start`` is timm's own float64 ``t_curr``, bit for bit), and peaks at
``peak * cycle_decay**i``; at ``u = t_curr / t_i``:

============  ===============================================================
shape         value (``lo`` = the floor, ``hi`` = the cycle's peak)
============  ===============================================================
cosine        ``lo + (hi - lo) (1 + cos(pi u**k)) / 2``
tanh          ``lo + (hi - lo) (1 - tanh(lb (1 - u) + ub u)) / 2``
poly          ``lo + (hi - lo) (1 - u**k) ** power``
============  ===============================================================

From timm's cycle ``cycle_limit`` on the value is ``lo`` forever (past ``T / (1 - m)``
where timm raises, the last value before it is held). Where timm's cycle starts a hair
early or late, ``t_curr`` leaves ``[0, t_i]`` by a hair (timm takes a fractional power of
a negative number there: a complex lr); it is clipped to ``[0, t_i]``.

The closed form evaluates timm's logarithm itself; the array form looks the cycle up in
a table of the first integer step of each cycle, found with that same logarithm at build
time (no float32 or XLA ``log`` decides a cycle), and takes ``t_curr`` and ``t_i - t_curr``
as exact integer distances plus constant fractions. Every shape is evaluated from its
nearer end (``1 + cos`` near ``-1`` and ``1 - tanh`` near 1 would cancel), as the weight
``F`` of the peak (``lo + (hi - lo) F``), or, where a decayed peak lies below the floor
(the cycle rises), ``hi + (lo - hi) (1 - F)``:

- cosine: ``F = (1 + cos(pi w)) / 2 = cos(pi w / 2)**2 = sin(pi (1 - w) / 2)**2``, with
  ``w = u**k = exp(k log u)`` and ``1 - w = -expm1(k log u)``, ``log u`` taken as
  ``log(pos / L)`` or ``log1p(-rem / L)``, whichever distance is the smaller;
- tanh: ``F = (1 - tanh(z)) / 2 = 1 / (1 + exp(2 z))`` (clipped to ``|z| <= 40``); the
  float32 array form measures ``z = lb + (ub - lb) u`` from the nearest integer ``j``
  (``z = j + (ub - lb) (x - A_j) / t_i``, ``x - A_j`` an exact integer less a constant), so
  that ``z`` is within 1e-7 wherever ``F`` is sensitive to it, whatever ``lb`` and ``ub``;
- poly: ``F = (1 - w) ** power``, ``1 - F = -expm1(power log(1 - w))``.

Float32 accuracy: a few 1e-7 relative, growing with ``k_decay`` and ``power`` (the
condition numbers of ``u**k`` and ``(1 - w)**power``).

:class:`FractionalStairs`: ``value * rate ** (x // every)`` with Python's float floor
division by a float ``every`` (``21 // 2.1 == 9.0``: the float 2.1 is above 21/10). Its
array form is exact integer arithmetic: ``every`` is a fraction ``P / Q`` to float
precision (``2.4 = 12 / 5``), ``x // every = floor(x Q / P)``, one less at the multiples
of ``P`` when the float ``every`` is above ``P / Q``.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

from warmup_spec._array_ops import HALF_PI, INT32_MAX, ArrayOps
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within

SHAPES = ("cosine", "tanh", "poly")
MAX_CYCLES = 2**16
"""The most cycles the array form's table holds (cycles of timm's index starting within
int32 range, up to ``cycle_limit``); more is a ``ValueError`` at construction."""
MAX_START_RATIO = 1000
"""The furthest a cycle used may start, in its own lengths (``start / length``, at most
``1 / (cycle_mul - 1)`` for growing cycles): beyond, timm's float64 ``t_curr = t - start``
has lost over 1e-13 of the cycle. Growing cycles with ``cycle_mul >= 1.001`` are all within
it; closer to 1, and for shrinking cycles (``cycle_mul < 1``, which pile up before
``t_initial / (1 - cycle_mul)``), ``cycle_limit`` is bounded (``cycle_mul=0.5``: 9 cycles)."""
TANH_CLIP = 40.0
"""``|z|`` beyond which ``1 / (1 + exp(2 z))`` is taken at ``+-40`` (below 2e-35: no
overflow in float32's ``exp``)."""
MAX_EVENTS = 10_000


# --- timm's cycle index ------------------------------------------------------------


def timm_index(x: int, t_initial: int, cycle_mul: float) -> int:
    """timm's cycle of local step ``x >= 0``: its float64 expression verbatim for
    ``cycle_mul != 1`` (``ValueError`` where timm's ``math.log`` raises), else ``x // T``."""
    if cycle_mul == 1.0:
        return x // t_initial
    return math.floor(math.log(1 - x / t_initial * (1 - cycle_mul), cycle_mul))


class CycleGeometry:
    """Where timm's cycles lie for ``(T, m)``: float64 bounds, first integer steps, the
    first step at which timm raises (``m < 1``), and the array form's table."""

    def __init__(self, t_initial: int, cycle_mul: float) -> None:
        self.T, self.m = t_initial, cycle_mul
        self.singular = self._singular() if cycle_mul < 1.0 else None
        self._first: dict[int, int | None] = {0: 0}

    def _raises(self, x: int) -> bool:
        return not (1 - x / self.T * (1 - self.m)) > 0

    def _singular(self) -> int:
        """The first local step at which timm's ``math.log`` raises (``m < 1``)."""
        x = max(math.ceil(self.T / (1.0 - self.m)), 1)
        while x > 1 and self._raises(x - 1):
            x -= 1
        while not self._raises(x):
            x += 1
        return x

    @property
    def last_valid(self) -> int:
        """The last local step timm evaluates (``m < 1``), else ``STEP_CAP``."""
        return STEP_CAP if self.singular is None else self.singular - 1

    def index(self, x: int) -> int:
        return timm_index(min(x, self.last_valid), self.T, self.m)

    def start(self, c: int) -> float:
        """The start of cycle ``c`` as timm computes it, ``(1 - m**c) / (1 - m) * T``
        (``inf`` where it overflows): ``x - start`` is timm's ``t_curr``, bit for bit."""
        T, m = self.T, self.m
        if m == 1.0:
            return float(T * c)
        try:
            return (1 - m**c) / (1 - m) * T
        except OverflowError:
            return math.inf

    def length(self, c: int) -> float:
        """The length of cycle ``c`` as timm computes it, ``m**c * T`` (timm's ``t_i``)."""
        try:
            return self.m**c * self.T
        except OverflowError:
            return math.inf

    def first_step(self, c: int) -> int | None:
        """The first local step timm puts in cycle ``c`` or later; None if none (past the
        step where timm raises, or beyond any float)."""
        if c in self._first:
            return self._first[c]
        if self.m == 1.0:
            out: int | None = c * self.T
        else:
            s = self.start(c)
            last = self.last_valid
            if not math.isfinite(s) or s > 2.0**100:
                out = None
            elif self.index(last) < c:
                out = None
            else:
                lo = max(min(math.floor(s) - 2, last), 0)
                while lo > 0 and self.index(lo) >= c:
                    lo = max(lo - (1 + (math.floor(s) - lo)), 0)
                hi = min(max(math.ceil(s) + 2, lo), last)
                while self.index(hi) < c:
                    hi = min(hi + 1 + (hi - lo), last)
                # the first x in (lo, hi] with index >= c (index(lo) < c unless lo == 0)
                if self.index(lo) >= c:
                    out = lo
                else:
                    while hi - lo > 1:
                        mid = (lo + hi) // 2
                        lo, hi = (lo, mid) if self.index(mid) >= c else (mid, hi)
                    out = hi
        self._first[c] = out
        return out


@functools.lru_cache(maxsize=64)
def geometry_of(t_initial: int, cycle_mul: float) -> CycleGeometry:
    """The (cached) :class:`CycleGeometry` of ``(t_initial, cycle_mul)``."""
    return CycleGeometry(t_initial, cycle_mul)


@functools.lru_cache(maxsize=64)
def cycle_table(t_initial: int, cycle_mul: float, cycle_limit: int) -> tuple[tuple[int, ...], ...]:
    """Per cycle ``c = 0, 1, ...`` up to ``cycle_limit`` whose first step (timm's) is within
    int32 range (and before timm raises): ``(first step, ...)`` as a 1-tuple table; a
    ``ValueError`` past :data:`MAX_CYCLES` entries."""
    g = geometry_of(t_initial, cycle_mul)
    top = min(INT32_MAX, g.last_valid)
    firsts = [0]
    c = 1
    while c <= cycle_limit:
        f = g.first_step(c)
        if f is None or f > top:
            break
        firsts.append(f)
        if len(firsts) > MAX_CYCLES:
            raise ValueError(f"more than {MAX_CYCLES} cycles")
        c += 1
    return (tuple(firsts),)


def max_cycle_limit(cycle_mul: float) -> int | None:
    """The largest ``cycle_limit`` whose cycles all start within :data:`MAX_START_RATIO` of
    their own lengths (None: any; ``cycle_mul >= 1.001`` or ``== 1``)."""
    m, R = cycle_mul, MAX_START_RATIO
    if m == 1.0 or R * (m - 1.0) >= 1.0:
        return None
    # start(c) / length(c) = (m**-c - 1) / (1 - m): at most R while m**-c <= 1 + R (1 - m)
    c = math.floor(math.log1p(R * (1.0 - m)) / -math.log(m))
    while c > 0 and (m ** -c - 1.0) / (1.0 - m) > R:  # the float estimate, made exact
        c -= 1
    while (m ** -(c + 1) - 1.0) / (1.0 - m) <= R:
        c += 1
    return c + 1


def check_cycles(t_initial: int, cycle_mul: float, cycle_limit: int) -> str | None:
    """None if the cycles can be placed to timm's float64 precision and the array form can
    hold them, else what is allowed (for a port's error)."""
    if cycle_mul == 1.0:
        return None
    top = max_cycle_limit(cycle_mul)
    if top is not None and cycle_limit > top:
        return (f"an integer in [0, {top}] with cycle_mul={cycle_mul!r} (further cycles start over "
                f"{MAX_START_RATIO} of their lengths in: timm's float64 position in them is rounding noise)")
    try:
        cycle_table(t_initial, cycle_mul, cycle_limit)
    except ValueError:
        return (f"at most {MAX_CYCLES} cycles of cycle_mul={cycle_mul!r}, t_initial={t_initial!r} "
                f"within 2**31 steps (a smaller cycle_limit, or cycle_mul further from 1)")
    return None


# --- the shapes, from their nearer ends --------------------------------------------


def _closed_factors(shape: str, pos: float, rem: float, L: float, k: float, power: float,
                    lb: float, ub: float) -> tuple[float, float]:
    """(the weight ``F`` of the peak, ``1 - F``) at distances ``pos``/``rem`` of a cycle of length ``L``."""
    u, r = pos / L, rem / L
    if shape == "tanh":
        d = ub - lb
        z = lb + d * u if u <= 0.5 else ub - d * r
        z = min(max(z, -TANH_CLIP), TANH_CLIP)
        return 1.0 / (1.0 + math.exp(2.0 * z)), 1.0 / (1.0 + math.exp(-2.0 * z))
    if k == 1.0:
        w, omw = u, r
    elif pos <= 0.0:
        w, omw = 0.0, 1.0
    else:
        z = k * (math.log(u) if u <= 0.5 else math.log1p(-r))
        w, omw = math.exp(z), -math.expm1(z)
    if shape == "cosine":
        if w <= 0.5:
            a, b = math.cos(HALF_PI * w), math.sin(HALF_PI * w)
        else:
            a, b = math.sin(HALF_PI * omw), math.cos(HALF_PI * omw)
        return a * a, b * b
    if power == 0.0:
        return 1.0, 0.0
    g = omw**power
    up = 1.0 if omw <= 0.0 else -math.expm1(power * (math.log1p(-w) if w <= 0.5 else math.log(omw)))
    return g, up


def tanh_anchors(lb: float, ub: float) -> list[int]:
    """The integers ``j`` near which the array form measures tanh's argument ``z``: those
    of ``[floor(lb), ceil(ub)]`` within ``[-8, 8]`` (beyond, the factors are within 1e-7
    of 0 or 1 and ``z`` needs no precision)."""
    return list(range(max(math.floor(lb), -8), min(math.ceil(ub), 8) + 1))


def _anchor_of(ops: ArrayOps, z0: Any, anchors: list[int]) -> Any:
    """The index in ``anchors`` of the integer nearest ``z0`` (clipped to the anchors)."""
    xp = ops.xp
    j = xp.clip(xp.rint(z0), anchors[0], anchors[-1])
    return (j - anchors[0]).astype(xp.int32)


def _array_factors(ops: ArrayOps, shape: str, pos: Any, rem: Any, L: Any, k: float, power: float,
                   lb: float, ub: float, z: Any = None) -> tuple[Any, Any]:
    """The array form of :func:`_closed_factors` (no branch on the step; every masked
    element finite and warning-free); ``z``: tanh's argument when the caller has it."""
    xp = ops.xp
    u, r = pos / L, rem / L  # one rounding each where pos, rem and L are exact (equal cycles)
    near_start = u <= 0.5
    if shape == "tanh":
        d = ub - lb
        if z is None:
            z = xp.where(near_start, lb + d * u, ub - d * r)
        z = xp.clip(z, -TANH_CLIP, TANH_CLIP)
        return 1.0 / (1.0 + xp.exp(2.0 * z)), 1.0 / (1.0 + xp.exp(-2.0 * z))
    if k == 1.0:
        w, omw = u, r
    else:
        started = pos > 0
        lu = xp.where(near_start, xp.log(xp.where(started, u, 1.0)), xp.log1p(-xp.minimum(r, 0.5)))
        z = k * lu
        w = xp.where(started, xp.exp(z), 0.0)
        omw = xp.where(started, -xp.expm1(z), 1.0)
    if shape == "cosine":
        small = w <= 0.5
        a = xp.where(small, xp.cos(HALF_PI * w), xp.sin(HALF_PI * omw))
        b = xp.where(small, xp.sin(HALF_PI * w), xp.cos(HALF_PI * omw))
        return a * a, b * b
    if power == 0.0:
        one = xp.ones_like(u)
        return one, 0.0 * one
    g = xp.power(omw, power)
    left = omw > 0
    # log(1 - w) from the smaller of w and 1 - w (both accurate)
    log_omw = xp.where(w <= 0.5, xp.log1p(-xp.minimum(w, 0.5)), xp.log(xp.where(left, omw, 1.0)))
    up = xp.where(left, -xp.expm1(power * log_omw), 1.0)
    return g, up


class TimmCycles(Node):
    """timm's cycles of ``shape`` on the local clock; see the module docstring.

    Args:
        shape: ``"cosine"``, ``"tanh"`` or ``"poly"``.
        peak: the peak of cycle 0 (timm's base lr).
        floor: ``lr_min``, the value at each cycle's end and from cycle ``cycle_limit`` on.
        t_initial: the length ``T`` of cycle 0, an integer ``>= 1``.
        cycle_mul: ``m > 0``, the growth of the cycle length.
        cycle_decay: the factor ``>= 0`` on the peak per cycle.
        cycle_limit: the number of cycles ``>= 0`` before the floor holds.
        k_decay: the exponent ``k > 0`` of the progress (cosine, poly).
        power: the polynomial's exponent ``>= 0`` (poly).
        lb, ub: tanh's bounds, ``lb < ub``.
    """

    label = "cycles"

    def __init__(
        self, shape: str, peak: float, floor: float, t_initial: int, cycle_mul: float = 1.0,
        cycle_decay: float = 1.0, cycle_limit: int = 1, *, k_decay: float = 1.0, power: float = 1.0,
        lb: float = -7.0, ub: float = 3.0,
    ) -> None:
        if shape not in SHAPES:
            raise ValueError(f"TimmCycles: shape={shape!r} is invalid; expected one of {SHAPES}")
        self.shape, self.peak, self.floor = shape, float(peak), float(floor)
        self.T, self.m, self.decay, self.limit = t_initial, float(cycle_mul), float(cycle_decay), cycle_limit
        self.k, self.power, self.lb, self.ub = float(k_decay), float(power), float(lb), float(ub)
        self.geometry = geometry_of(t_initial, self.m)

    # --- per cycle -----------------------------------------------------------------

    def cycle_peak(self, c: int) -> float:
        """``peak * cycle_decay**c``, as timm computes it (``v * cycle_decay ** i``)."""
        try:
            return self.peak * self.decay ** min(c, STEP_CAP)
        except OverflowError:
            return math.inf

    # --- facts -----------------------------------------------------------------

    @property
    def end(self) -> int | None:
        if self.limit == 0:
            return 0
        f = self.geometry.first_step(self.limit)
        if f is not None:
            return f
        return None if self.geometry.singular is None else self.geometry.singular - 1

    def events(self) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for c in range(1, min(self.limit, MAX_EVENTS) + 1):
            f = self.geometry.first_step(c)
            if f is None:
                break
            out.append((f, "end of cycles" if c == self.limit else "restart"))
        if self.geometry.singular is not None and (not out or out[-1][1] != "end of cycles"):
            out.append((self.geometry.singular, "timm raises from here (value held)"))
        return out

    def open_horizon(self) -> tuple[int, str]:
        return math.ceil(1.1 * min(self.geometry.start(3), 2.0**62)) + 10, "three cycles + 10%"

    # --- the float64 closed form ---------------------------------------------------

    def closed(self, offset: int = 0) -> ClosedForm:
        g, floor, limit, shape = self.geometry, self.floor, self.limit, self.shape
        T, k, power, lb, ub = self.T, self.k, self.power, self.lb, self.ub
        last = g.last_valid
        if limit == 0:
            return lambda t: floor
        cache: dict[int, tuple[float, float, float]] = {}

        def bounds(c: int) -> tuple[float, float, float]:
            if c not in cache:
                if len(cache) > 64:
                    cache.clear()
                cache[c] = (g.start(c), g.length(c), self.cycle_peak(c))
            return cache[c]

        def value(t: int) -> float:
            x = min(t - offset, last)
            if g.m == 1.0:
                c, at = divmod(x, T)
                if c >= limit:
                    return floor
                pos, rem, L, hi = float(at), float(T - at), float(T), self.cycle_peak(c)
            else:
                c = g.index(x)
                if c >= limit:
                    return floor
                s, L, hi = bounds(c)
                t_curr = x - s  # timm's float64 t_curr, bit for bit
                pos = 0.0 if t_curr < 0.0 else (L if t_curr > L else t_curr)
                rem = L - pos  # exact where it matters (pos >= L / 2)
            down, up = _closed_factors(shape, pos, rem, L, k, power, lb, ub)
            if hi >= floor:
                return floor + (hi - floor) * down
            return hi + (floor - hi) * up

        return value

    # --- the array form --------------------------------------------------------------

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, floor, limit, shape = ops.xp, self.floor, self.limit, self.shape
        k, power, lb, ub, T, g = self.k, self.power, self.lb, self.ub, self.T, self.geometry
        if limit == 0:
            return lambda t: xp.full(t.shape, floor, ops.float_dtype())
        last_peak = self.cycle_peak(limit - 1)  # the peaks are monotone in the cycle
        lo_peak, hi_peak = min(self.peak, last_peak), max(self.peak, last_peak)
        direction = "down" if floor <= lo_peak else ("up" if floor > hi_peak else "either")

        def combine(peak: Any, down: Any, up: Any) -> Any:
            if direction == "down":
                return floor + (peak - floor) * down
            if direction == "up":
                return peak + (floor - peak) * up
            return xp.where(peak >= floor, floor + (peak - floor) * down, peak + (floor - peak) * up)

        anchors = tanh_anchors(lb, ub) if shape == "tanh" else []
        anchored = bool(anchors)
        if g.m == 1.0:
            log_dec = math.log(self.decay) if self.decay > 0.0 else 0.0
            a_pos = [(j - lb) / (ub - lb) * T for j in anchors]  # where z = j, from the cycle's start
            a_int = [min(max(math.floor(a), 0), T) for a in a_pos]
            a_frac = [a - b for a, b in zip(a_pos, a_int)]

            def equal_cycles(t: Any) -> Any:
                F = ops.float_dtype()
                x = ops.clip_step(t, offset, math.inf) - offset if offset else ops.clip_step(t, 0, math.inf)
                if ops.fits(t, T):
                    c = x // T
                    at = x - c * T
                    pos, rem = ops.to_float(at), ops.to_float(T - at)
                else:  # a cycle longer than the int dtype's range: always the first
                    c = xp.zeros_like(x)
                    pos, rem = ops.to_float(x), ops.distance(T, x, t)
                z = None
                if anchored and ops.fits(t, T):
                    # tanh's argument from the nearest integer anchor j: z = j + d (at - a_j) / T,
                    # the distance to a_j an exact integer less a constant fraction
                    idx = _anchor_of(ops, lb + (ub - lb) * (pos * (1.0 / T)), anchors)
                    dist = ops.to_float(at - xp.asarray(a_int, at.dtype)[idx]) - xp.asarray(a_frac, F)[idx]
                    z = xp.asarray(anchors, F)[idx] + dist * ((ub - lb) / T)
                cap = min(limit - 1, int(xp.iinfo(c.dtype).max))
                cp = xp.minimum(c, cap)
                if self.decay == 1.0:
                    peak: Any = self.peak
                elif self.decay == 0.0:
                    peak = xp.where(cp == 0, self.peak, 0.0).astype(ops.float_dtype())
                else:
                    peak = self.peak * xp.exp(ops.to_float(cp) * log_dec)
                down, up = _array_factors(ops, shape, pos, rem, float(T), k, power, lb, ub, z)
                v = combine(peak, down, up)
                return xp.where(c >= limit, floor, v) if limit <= int(xp.iinfo(c.dtype).max) else v

            return equal_cycles

        (firsts,) = cycle_table(T, g.m, limit)
        n = len(firsts)
        starts = [g.start(c) for c in range(n)]
        ends = [g.start(c) + g.length(c) for c in range(n)]  # timm's end: t_curr = t_i
        lasts = [min(math.floor(e), INT32_MAX) if math.isfinite(e) else INT32_MAX for e in ends]
        frac_start = [f - s for f, s in zip(firsts, starts)]  # start = first - frac (a hair < 0: timm early)
        frac_end = [e - b for e, b in zip(ends, lasts)]  # in [0, 1), more past int32's range
        lengths = [g.length(c) for c in range(n)]
        peaks = [self.cycle_peak(c) if c < limit else floor for c in range(n)]
        top = min(INT32_MAX, g.last_valid)
        # tanh's anchors per cycle: the global local step where z = j, an integer in [0, top]
        # plus a float remainder (the cycle's own z = j + d (x - A) / L)
        anchor_pos = [[s + (j - lb) / (ub - lb) * length for j in anchors] for s, length in zip(starts, lengths)]
        anchor_int = [[min(max(math.floor(a), 0), top) for a in row] for row in anchor_pos]
        anchor_frac = [[a - b for a, b in zip(ra, rb)] for ra, rb in zip(anchor_pos, anchor_int)]
        slopes = [(ub - lb) / length for length in lengths]

        def cycles(t: Any) -> Any:
            F = ops.float_dtype()
            x = ops.clip_step(t, offset, offset + top) - offset
            xi = x
            table_first = xp.asarray(firsts, xi.dtype)
            c = xp.searchsorted(table_first, xi, side="right") - 1
            pos = ops.to_float(xi - table_first[c]) + xp.asarray(frac_start, F)[c]
            rem = ops.to_float(xp.asarray(lasts, xi.dtype)[c] - xi) + xp.asarray(frac_end, F)[c]
            pos, rem = xp.maximum(pos, 0.0), xp.maximum(rem, 0.0)
            length_c = xp.asarray(lengths, F)[c]
            z = None
            if anchored:
                idx = _anchor_of(ops, lb + (ub - lb) * (pos / length_c), anchors)
                a_i = xp.asarray(anchor_int, xi.dtype)[c, idx]
                dist = ops.to_float(xi - a_i) - xp.asarray(anchor_frac, F)[c, idx]
                z = xp.asarray(anchors, F)[idx] + dist * xp.asarray(slopes, F)[c]
            down, up = _array_factors(ops, shape, pos, rem, length_c, k, power, lb, ub, z)
            v = combine(xp.asarray(peaks, F)[c], down, up)
            return xp.where(c >= limit, floor, v)

        return cycles


# --- stairs of a fractional period ------------------------------------------------------


def fraction_of(every: float, top: int = INT32_MAX) -> tuple[int, int] | None:
    """``(P, Q)`` with ``x // every == floor(x Q / P)`` (one less at the multiples of ``P``
    when ``every > P / Q``) for every integer ``0 <= x <= top``, and ``P Q <= 2**31 - 1``;
    None if no such fraction exists."""
    exact = Fraction(every)
    q_max = 1
    while q_max <= INT32_MAX:
        r = exact.limit_denominator(q_max)
        P, Q = r.numerator, r.denominator
        if P * Q > INT32_MAX:
            return None
        if top * abs(1 / exact - Fraction(Q, P)) < Fraction(1, P):
            return P, Q
        q_max *= 2
    return None


class FractionalStairs(Node):
    """``value * rate ** (x // every)`` for a float ``every >= 1`` and ``0 <= rate <= 1``
    (timm ``StepLRScheduler`` with a fractional ``decay_t``); see the module docstring."""

    label = "stairs"

    def __init__(self, value: float, rate: float, every: float) -> None:
        pq = fraction_of(every)
        if pq is None or not every >= 1.0 or not 0.0 <= rate <= 1.0:
            raise ValueError(f"FractionalStairs: every={every!r}, rate={rate!r} is invalid; expected every >= 1 "
                             "a fraction P / Q (P Q < 2**31) to float precision, rate in [0, 1]")
        self.value, self.rate, self.every = float(value), float(rate), float(every)
        self.P, self.Q = pq
        self.above = Fraction(every) > Fraction(*pq)

    def closed(self, offset: int = 0) -> ClosedForm:
        p, rate, d = self.value, self.rate, self.every
        return lambda t: p * rate ** (min(t - offset, STEP_CAP) // d)

    def _stop(self) -> int:
        """A local step past which the value is 0 in float64 (or the last stair that matters)."""
        if self.rate in (0.0, 1.0):
            return math.ceil(self.every) + 1
        return math.ceil(self.every * (math.ceil(800.0 / -math.log(self.rate)) + 1))

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, p, rate, P, Q, above = ops.xp, self.value, self.rate, self.P, self.Q, self.above
        stop = self._stop()
        log_rate = math.log(rate) if rate > 0.0 else 0.0

        def value(t: Any) -> Any:
            x = ops.clip_step(t, offset, offset + stop) - offset
            if not ops.fits(t, P):  # a stair longer than the int dtype's range: the first, always
                return xp.full(t.shape, p, ops.float_dtype())
            a = x // P
            b = x - a * P
            n = a * Q + (b * Q) // P
            if above:
                n = n - ((b == 0) & (x > 0)).astype(n.dtype)
            if rate == 1.0:
                return xp.full(t.shape, p, ops.float_dtype())
            if rate == 0.0:
                return xp.where(n == 0, p, 0.0).astype(ops.float_dtype())
            return p * xp.exp(ops.to_float(n) * log_rate)

        return value

    @property
    def end(self) -> int | None:
        if self.rate == 1.0 or self.value == 0.0:
            return 0
        if self.rate == 0.0:
            return math.ceil(self.every)  # every is not an integer: the first x with x // every == 1
        return None

    def events(self) -> list[tuple[int, str]]:
        return []  # every stair is an intended jump

    def open_horizon(self) -> tuple[int, str]:
        n = 10.0 * self.every
        if 0.0 < self.rate < 1.0:
            n = max(n, math.ceil(math.log(0.01) / math.log(self.rate)) * self.every)
        return min(math.ceil(n), 1_000_000), "until the lr falls to 1% of its peak"
