"""Cycles with restarts, table-driven: torch ``CosineAnnealingWarmRestarts``, Keras
``CosineDecayRestarts``, ``warmup_cosine_restarts``, fairseq's ``cosine`` and timm's
``CosineLRScheduler``, ``TanhLRScheduler`` and ``PolyLRScheduler``.

Cycle ``c`` has length ``L_c = T m**c``; a library decides which cycle a local step ``x``
is in. The port gives that rule (the ``index`` of :class:`Cycles`):

- ``None``: the exact cycle, ``start_c <= x < start_{c + 1}`` with ``start_c = T (m**c - 1) / (m - 1)``;
- :func:`float_log_index`: ``floor(log(1 - x / T (1 - m), m))`` in float64, as timm, fairseq
  and Keras compute it, with their ``start_c = (1 - m**c) / (1 - m) T`` (so that ``x - start_c``
  is their own float64 position). That logarithm lands a hair below an integer at some exact
  starts (``m = 10``: ``log(1000, 10) = 2.9999999999999996``, so ``x = 111`` of ``T = 1``
  stays in cycle 2, at its floor) and a hair above at others (the float ``m = 1.1`` is not
  1.1: ``x = 21`` of ``T = 10`` is already in cycle 2, at its peak); with ``m < 1`` the cycles
  shrink and the logarithm fails (timm raises ``math domain error``) from
  ``x >= T / (1 - m)`` on: the last value before is held.

Equal cycles (``m == 1``) are ``x // T`` for any integer. Otherwise the rule is evaluated at
build time into a table of the first integer step of each cycle starting within int32
range: the array form looks the cycle up with one ``searchsorted`` and gathers its
constants (no float32 or XLA ``log`` decides a cycle); the closed form evaluates the rule.

Cycle ``c`` runs from ``hi_c = peak d**c`` to ``lo_c = floor f**c`` (``d = decay``, ``f =
floor_decay``: fairseq's ``lr_shrink`` scales both ends, timm's ``cycle_decay`` the peak
only); from cycle ``limit`` on the value is ``floor``. At ``u = pos / L_c`` (``pos = x -
start_c``, ``rem = L_c - pos``) the weight ``F`` of the peak (``lo + (hi - lo) F``) is

============  ===============================================================
shape         ``F``
============  ===============================================================
cosine        ``(1 + cos(pi u**k)) / 2``
tanh          ``(1 - tanh(lb (1 - u) + ub u)) / 2``
poly          ``(1 - u**k) ** power``
============  ===============================================================

Every shape is evaluated from its nearer end (``1 + cos`` near ``-1`` and ``1 - tanh`` near 1
would cancel), as ``lo + (hi - lo) F`` or, where a cycle rises (``hi < lo``: a peak decayed
below the floor), ``hi + (lo - hi) (1 - F)``; where a negative ``decay`` puts the peak and the
floor on either side of 0, from the end nearer in position (the value crosses 0):

- cosine: ``F = sin(pi rem / 2 L)**2`` (``k = 1``), else with ``w = u**k = exp(k log u)`` and
  ``1 - w = -expm1(k log u)`` (``log u`` as ``log(pos / L)`` or ``log1p(-rem / L)``,
  whichever distance is the smaller) ``cos(pi w / 2)**2`` or ``sin(pi (1 - w) / 2)**2``;
- tanh: ``F = (1 - tanh(z)) / 2 = 1 / (1 + exp(2 z))`` (clipped to ``|z| <= 40``); the float32
  array form measures ``z = lb + (ub - lb) u`` from the nearest integer ``j`` (``z = j + (ub -
  lb) (x - A_j) / L``, ``x - A_j`` an exact integer less a constant), so that ``z`` is within
  1e-7 wherever ``F`` is sensitive to it, whatever ``lb`` and ``ub``;
- poly: ``F = (1 - w) ** power``, ``1 - F = -expm1(power log(1 - w))``.

Where a library's cycle starts a hair early or late, ``pos`` leaves ``[0, L_c]`` by a hair:
cosine (``k = 1``) and tanh are evaluated there as the library does; ``u**k`` (a fractional
power of a negative number: timm's ``TypeError`` or complex lr) is taken at the cycle's
start or end. The array form takes ``pos`` and ``rem`` as exact integer distances plus
constant fractions. Float32 accuracy: a few 1e-7 relative, growing with ``k`` and ``power``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from warmup_spec._array_ops import HALF_PI, INT32_MAX, ArrayOps
from warmup_spec.primitives._node import STEP_CAP, ArrayForm, ClosedForm, Node, Within

SHAPES = ("cosine", "tanh", "poly")
MAX_CYCLES = 2**16
"""The most cycles the array form's table holds (cycles starting within int32 range, up
to ``limit``); more is a ``ValueError`` at build time."""
TANH_CLIP = 40.0
"""``|z|`` beyond which ``1 / (1 + exp(2 z))`` is taken at ``+-40`` (below 2e-35: no
overflow in float32's ``exp``)."""
MAX_EVENTS = 10_000
MAX_EVENTS_STEPS = 10**8
"""Restart events are listed up to about this many steps (a diagnosis looks at fewer)."""

Index = Callable[[int, int, float], int]
"""A library's cycle of local step ``x >= 0`` for ``(x, T, m)`` (``m != 1``)."""


def float_log_index(x: int, t_initial: int, cycle_mul: float) -> int:
    """``floor(log(1 - x / T (1 - m), m))`` in float64: timm's, fairseq's and Keras's cycle
    of local step ``x`` (``ValueError`` where ``math.log`` fails, ``m < 1``)."""
    return math.floor(math.log(1 - x / t_initial * (1 - cycle_mul), cycle_mul))


class Geometry:
    """Where the cycles of ``(T, m, index)`` lie: float64 starts and lengths, the first
    integer step of each cycle, the first step at which the rule fails (``m < 1``)."""

    def __init__(self, t_initial: int, cycle_mul: float, index: Index | None) -> None:
        self.T, self.m, self.rule = t_initial, cycle_mul, index
        self.singular = self._singular() if index is not None and cycle_mul < 1.0 else None
        self._first: dict[int, int | None] = {0: 0}

    def _raises(self, x: int) -> bool:
        return not (1 - x / self.T * (1 - self.m)) > 0

    def _singular(self) -> int:
        """The first local step at which the library's ``math.log`` raises (``m < 1``)."""
        x = max(math.ceil(self.T / (1.0 - self.m)), 1)
        while x > 1 and self._raises(x - 1):
            x -= 1
        while not self._raises(x):
            x += 1
        return x

    @property
    def last_valid(self) -> int:
        """The last local step the library evaluates (``m < 1``), else ``STEP_CAP``."""
        return STEP_CAP if self.singular is None else self.singular - 1

    def start(self, c: int) -> float:
        """The start of cycle ``c`` as its library computes it (``inf`` where it overflows)."""
        T, m = self.T, self.m
        if m == 1.0:
            return float(T * c)
        try:
            return (1 - m**c) / (1 - m) * T if self.rule is not None else T * (m**c - 1.0) / (m - 1.0)
        except OverflowError:
            return math.inf

    def length(self, c: int) -> float:
        """The length ``m**c T`` of cycle ``c`` (``inf`` where it overflows)."""
        try:
            return self.m**c * self.T
        except OverflowError:
            return math.inf

    def end(self, c: int) -> float:
        """The end of cycle ``c``: the library's ``start + length`` (where the position is the
        length), or the exact next start."""
        return self.start(c) + self.length(c) if self.rule is not None else self.start(c + 1)

    def index(self, x: int) -> int:
        """The cycle of local step ``x >= 0`` (held from :attr:`last_valid` on)."""
        x = min(x, self.last_valid)
        T, m = self.T, self.m
        if m == 1.0:
            return x // T
        if self.rule is not None:
            return self.rule(x, T, m)
        k = max(0, int(math.log1p(x * (m - 1.0) / T) / math.log(m)))
        while self.start(k + 1) <= x:  # at most a step or two: the log is close
            k += 1
        while k > 0 and self.start(k) > x:
            k -= 1
        return k

    def first_step(self, c: int) -> int | None:
        """The first local step in cycle ``c`` or later; None if none (past the step where
        the rule fails, or beyond any float)."""
        if c in self._first:
            return self._first[c]
        if self.m == 1.0:
            out: int | None = c * self.T
        else:
            s = self.start(c)
            last = self.last_valid
            if not math.isfinite(s) or s > 2.0**100 or self.index(last) < c:
                out = None
            else:
                lo = max(min(math.floor(s) - 2, last), 0)
                while lo > 0 and self.index(lo) >= c:
                    lo = max(lo - (1 + (math.floor(s) - lo)), 0)
                hi = min(max(math.ceil(s) + 2, lo), last)
                while self.index(hi) < c:
                    hi = min(hi + 1 + (hi - lo), last)
                if self.index(lo) >= c:  # the first x in (lo, hi] with index >= c
                    out = lo
                else:
                    while hi - lo > 1:
                        mid = (lo + hi) // 2
                        lo, hi = (lo, mid) if self.index(mid) >= c else (mid, hi)
                    out = hi
        self._first[c] = out
        return out

    @functools.lru_cache(maxsize=64)  # noqa: B019  (geometries are cached themselves)
    def firsts(self, limit: int | None) -> tuple[int, ...]:
        """The first step of each cycle ``0, 1, ...`` up to ``limit`` starting within int32
        range (and before the rule fails); a ``ValueError`` past :data:`MAX_CYCLES`."""
        top = min(INT32_MAX, self.last_valid)
        out = [0]
        while limit is None or len(out) <= limit:
            f = self.first_step(len(out))
            if f is None or f > top:
                break
            out.append(f)
            if len(out) > MAX_CYCLES:
                raise ValueError(f"more than {MAX_CYCLES} cycles")
        return tuple(out)


@functools.lru_cache(maxsize=64)
def geometry_of(t_initial: int, cycle_mul: float, index: Index | None = None) -> Geometry:
    """The (cached) :class:`Geometry` of ``(t_initial, cycle_mul, index)``."""
    return Geometry(t_initial, float(cycle_mul), index)


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
        if shape == "cosine":
            a, b = math.sin(HALF_PI * r), math.sin(HALF_PI * u)
            return a * a, b * b
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


def _array_factors(ops: ArrayOps, shape: str, pos: Any, rem: Any, L: Any, k: float, power: float,
                   lb: float, ub: float, z: Any = None) -> tuple[Any, Any]:
    """The array form of :func:`_closed_factors` (no branch on the step; every masked
    element finite and warning-free); ``z``: tanh's argument when the caller has it."""
    xp = ops.xp
    if shape == "cosine" and k == 1.0:
        return ops.sin2(rem, L), ops.sin2(pos, L)
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


def _power(base: float, c: int) -> float:
    """``base ** c`` as the libraries compute it (``inf`` where it overflows)."""
    try:
        return base ** min(c, STEP_CAP)
    except OverflowError:
        return math.inf


class Cycles(Node):
    """Cycles of ``shape`` with restarts on the local clock; see the module docstring.

    Args:
        shape: ``"cosine"``, ``"tanh"`` or ``"poly"``.
        peak: the peak of cycle 0.
        floor: the end of cycle 0, and the value from cycle ``limit`` on.
        t_initial: the length ``T`` of cycle 0, an integer ``>= 1``.
        cycle_mul: ``m > 0``, the growth of the cycle length (``m != 1`` and no ``index``:
            ``m >= 1.001``, the callers' validation).
        decay: the factor on the peak per cycle (negative: the sign alternates).
        limit: the number of cycles before ``floor`` holds (None: no limit).
        floor_decay: the factor on the floor per cycle.
        index: the library's cycle-index rule (:data:`Index`), None for the exact cycle.
        k_decay: the exponent ``k > 0`` of the progress (cosine, poly).
        power: the polynomial's exponent ``>= 0`` (poly).
        lb, ub: tanh's bounds, ``lb < ub``.
    """

    label = "cycles"

    def __init__(
        self, shape: str, peak: float, floor: float, t_initial: int, cycle_mul: float = 1.0,
        decay: float = 1.0, limit: int | None = None, *, floor_decay: float = 1.0, index: Index | None = None,
        k_decay: float = 1.0, power: float = 1.0, lb: float = -7.0, ub: float = 3.0,
    ) -> None:
        if shape not in SHAPES:
            raise ValueError(f"Cycles: shape={shape!r} is invalid; expected one of {SHAPES}")
        self.shape, self.peak, self.floor = shape, float(peak), float(floor)
        self.T, self.m, self.decay, self.limit = t_initial, float(cycle_mul), float(decay), limit
        self.floor_decay, self.k, self.power, self.lb, self.ub = float(floor_decay), float(k_decay), float(power), \
            float(lb), float(ub)
        self.geometry = geometry_of(t_initial, self.m, index if self.m != 1.0 else None)

    def ends(self, c: int) -> tuple[float, float]:
        """``(hi_c, lo_c) = (peak decay**c, floor floor_decay**c)`` as the libraries compute them."""
        lo = self.floor if self.floor_decay == 1.0 else self.floor * _power(self.floor_decay, c)
        return self.peak * _power(self.decay, c), lo

    # --- facts -----------------------------------------------------------------

    @property
    def end(self) -> int | None:
        if self.limit == 0:
            return 0
        if self.limit is None:
            if self.peak == 0.0 and self.floor == 0.0:
                return 0
            return None if self.geometry.singular is None else self.geometry.singular - 1
        f = self.geometry.first_step(self.limit)
        if f is not None:
            return f
        return None if self.geometry.singular is None else self.geometry.singular - 1

    def events(self) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        top = MAX_EVENTS if self.limit is None else min(self.limit, MAX_EVENTS)
        for c in range(1, top + 1):
            f = self.geometry.first_step(c)
            if f is None:
                break
            out.append((f, "end of cycles" if c == self.limit else "restart"))
            if f > MAX_EVENTS_STEPS:
                break
        if self.geometry.singular is not None and (not out or out[-1][1] != "end of cycles"):
            out.append((self.geometry.singular, "timm raises from here (value held)"))
        return out

    def open_horizon(self) -> tuple[int, str]:
        return math.ceil(1.1 * min(self.geometry.start(3), 2.0**62)) + 10, "three cycles + 10%"

    # --- the float64 closed form ---------------------------------------------------

    def closed(self, offset: int = 0) -> ClosedForm:
        g, floor, limit, shape = self.geometry, self.floor, self.limit, self.shape
        T, k, power, lb, ub = self.T, self.k, self.power, self.lb, self.ub
        clip = shape == "poly" or k != 1.0  # u**k needs 0 <= u <= 1
        crossing = self.decay < 0.0 < self.floor_decay
        if limit == 0:
            return lambda t: floor
        cache: dict[int, tuple[float, float, float, float]] = {}
        plain, sin = shape == "cosine" and k == 1.0 and not crossing, math.sin
        exact = g.rule is None  # the cycle of x is c exactly where start(c) <= x < start(c + 1)
        last: list[Any] = [1.0, 0.0, 0]  # [start(c), start(c + 1), c] of the last cycle looked up

        def bounds(c: int) -> tuple[float, float, float, float]:
            if c not in cache:
                if len(cache) > 64:
                    cache.clear()
                cache[c] = (g.start(c), g.length(c), *self.ends(c))
            return cache[c]

        equal, fT = g.m == 1.0, float(T)

        def value(t: int) -> float:
            x = t - offset
            if equal:
                c, at = divmod(x, T)  # exact for any int
                if limit is not None and c >= limit:
                    return floor
                pos, rem, L = float(at), float(T - at), fT
                hi, lo = bounds(c)[2:]
            else:
                x = min(x, g.last_valid)
                if exact and last[0] <= x < last[1]:  # the cycle of the step before (a scheduler's next step)
                    c = last[2]
                else:
                    c = g.index(x)
                    if exact:
                        last[:] = [g.start(c), g.start(c + 1), c]
                if limit is not None and c >= limit:
                    return floor
                s, L, hi, lo = bounds(c)
                pos = x - s  # the library's float64 position, bit for bit
                if clip:
                    pos = 0.0 if pos < 0.0 else (L if pos > L else pos)
                rem = L - pos  # exact where it matters (pos >= L / 2)
            if plain:  # the cosine alone, one sine (the same operations as _closed_factors)
                if hi >= lo:
                    a = sin(HALF_PI * (rem / L))
                    return lo + (hi - lo) * (a * a)
                b = sin(HALF_PI * (pos / L))
                return hi + (lo - hi) * (b * b)
            down, up = _closed_factors(shape, pos, rem, L, k, power, lb, ub)
            if hi * lo < 0.0 and crossing:  # the value crosses 0: from the nearer end
                return hi + (lo - hi) * up if pos <= rem else lo + (hi - lo) * down
            if hi >= lo:
                return lo + (hi - lo) * down
            return hi + (lo - hi) * up

        return value

    # --- the array form --------------------------------------------------------------

    def _direction(self, n: int | None) -> str:
        """``"down"``, ``"up"`` or ``"either"``: how the cycles ``< n`` run (None: all)."""
        d = self.decay
        if self.floor_decay != 1.0 or d < 0.0 or (n is None and d > 1.0):
            return "either"
        last = self.ends(n - 1)[0] if n is not None else (self.peak if d == 1.0 else 0.0 * self.peak)
        lo, hi = min(self.peak, last), max(self.peak, last)
        return "down" if self.floor <= lo else ("up" if self.floor > hi else "either")

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, floor, limit, shape = ops.xp, self.floor, self.limit, self.shape
        k, power, lb, ub, T, g = self.k, self.power, self.lb, self.ub, self.T, self.geometry
        if limit == 0:
            return lambda t: xp.full(t.shape, floor, ops.float_dtype())
        anchors = tanh_anchors(lb, ub) if shape == "tanh" else []
        anchored = bool(anchors)
        clip = shape == "poly" or k != 1.0

        def combine(direction: str, hi: Any, lo: Any, down: Any, up: Any, pos: Any, rem: Any) -> Any:
            if direction == "down":
                return lo + (hi - lo) * down
            if direction == "up":
                return hi + (lo - hi) * up
            rising = hi < lo
            if self.decay < 0.0 < self.floor_decay:  # a peak of the other sign: from the nearer end
                rising = xp.where(hi * lo < 0.0, pos <= rem, rising)
            return xp.where(rising, hi + (lo - hi) * up, lo + (hi - lo) * down)

        if g.m == 1.0:
            direction = self._direction(limit)
            dec, fdec = self.decay, self.floor_decay
            a_pos = [(j - lb) / (ub - lb) * T for j in anchors]  # where z = j, from the cycle's start
            a_int = [min(max(math.floor(a), 0), T) for a in a_pos]
            a_frac = [a - b for a, b in zip(a_pos, a_int)]

            def scaled(value: float, rate: float, c: Any) -> Any:
                """``value * rate**c`` over the cycle array ``c``."""
                if rate == 1.0:
                    return value
                if rate == 0.0:
                    return xp.where(c == 0, value, 0.0).astype(ops.float_dtype())
                v = value * xp.exp(ops.to_float(c) * math.log(abs(rate)))
                return v if rate > 0.0 else xp.where(c % 2 == 0, v, -v)

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
                imax = int(xp.iinfo(c.dtype).max)
                cp = c if limit is None else xp.minimum(c, min(limit - 1, imax))
                down, up = _array_factors(ops, shape, pos, rem, float(T), k, power, lb, ub, z)
                v = combine(direction, scaled(self.peak, dec, cp), scaled(floor, fdec, cp), down, up, pos, rem)
                return xp.where(c >= limit, floor, v) if limit is not None and limit <= imax else v

            return equal_cycles

        firsts = g.firsts(limit)
        n = len(firsts)
        direction = self._direction(n if limit is None else min(n, limit))
        starts = [g.start(c) for c in range(n)]
        ends = [g.end(c) for c in range(n)]
        lasts = [min(math.floor(e), INT32_MAX) if math.isfinite(e) else INT32_MAX for e in ends]
        frac_start = [f - s for f, s in zip(firsts, starts)]  # start = first - frac (a hair < 0: early)
        frac_end = [e - b for e, b in zip(ends, lasts)]  # in [0, 1), more past int32's range
        lengths = [g.length(c) for c in range(n)]
        his = [self.ends(c)[0] if limit is None or c < limit else floor for c in range(n)]
        los = [self.ends(c)[1] if limit is None or c < limit else floor for c in range(n)]
        top = min(INT32_MAX, g.last_valid)
        # tanh's anchors per cycle: the global local step where z = j, an integer in [0, top]
        # plus a float remainder (the cycle's own z = j + d (x - A) / L)
        anchor_pos = [[s + (j - lb) / (ub - lb) * length for j in anchors] for s, length in zip(starts, lengths)]
        anchor_int = [[min(max(math.floor(a), 0), top) for a in row] for row in anchor_pos]
        anchor_frac = [[a - b for a, b in zip(ra, rb)] for ra, rb in zip(anchor_pos, anchor_int)]
        slopes = [(ub - lb) / length for length in lengths]

        def cycles(t: Any) -> Any:
            F = ops.float_dtype()
            itype = t.dtype if ops.is_integer(t) else xp.int32
            xi = (ops.clip_step(t, offset, offset + top) - offset).astype(itype)
            table_first = xp.asarray(firsts, itype)
            c = xp.searchsorted(table_first, xi, side="right") - 1
            pos = ops.to_float(xi - table_first[c]) + xp.asarray(frac_start, F)[c]
            rem = ops.to_float(xp.asarray(lasts, itype)[c] - xi) + xp.asarray(frac_end, F)[c]
            if clip:
                pos, rem = xp.maximum(pos, 0.0), xp.maximum(rem, 0.0)
            length_c = xp.asarray(lengths, F)[c]
            z = None
            if anchored:
                idx = _anchor_of(ops, lb + (ub - lb) * (pos / length_c), anchors)
                a_i = xp.asarray(anchor_int, itype)[c, idx]
                dist = ops.to_float(xi - a_i) - xp.asarray(anchor_frac, F)[c, idx]
                z = xp.asarray(anchors, F)[idx] + dist * xp.asarray(slopes, F)[c]
            down, up = _array_factors(ops, shape, pos, rem, length_c, k, power, lb, ub, z)
            v = combine(direction, xp.asarray(his, F)[c], xp.asarray(los, F)[c], down, up, pos, rem)
            return v if limit is None else xp.where(c >= limit, floor, v)

        return cycles
