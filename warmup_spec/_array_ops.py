"""Array building blocks shared by every array schedule, over any NumPy-like namespace.

:class:`ArrayOps` binds an array namespace (``jax.numpy`` for ``warmup_jax``,
``numpy`` for host-side tables) and its float dtype. Rules that keep float32 within a
few ulps of the float64 reference:

- step arithmetic (clipping, distances to boundaries) is done on the integer step,
  which is exact, and converted to float once;
- constants (ratios, logs, ``pi / 2L``) are computed in float64 in Python at build
  time and rounded once;
- no ``1 + cos(x)`` or ``1 - cos(x)`` near cancellation: ``sin`` of the remaining
  fraction is used instead;
- an interpolation from ``a`` to ``b`` adds non-negative terms only, whichever way it
  goes (:meth:`ArrayOps.interpolate`), and an exponential is anchored at its larger end:
  ``a + (b - a) r`` going down to ``b << a`` would cancel (1e-5 relative in float32).

No Python branching on the step (it may be traced): only on parameters, which are static.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

HALF_PI = math.pi / 2
INT32_MAX = 2**31 - 1


class ArrayOps:
    """The operations the schedule forms need, over namespace ``xp``.

    Args:
        xp: a NumPy-like module (``numpy``, ``jax.numpy``).
        float_dtype: returns the float dtype of results, read at call time (float64
            under ``jax_enable_x64`` or for NumPy, else float32).
    """

    def __init__(self, xp: Any, float_dtype: Callable[[], Any]) -> None:
        self.xp = xp
        self.float_dtype = float_dtype

    def as_step(self, count: Any, name: str = "schedule", floats: bool = False) -> Any:
        """The step as an integer array (kept exact), or as a float array where the schedule's
        library takes float steps (``floats``); any other float step is the library's
        ``ValueError``, the same text as the host ``Schedule``'s."""
        t = self.xp.asarray(count)
        if t.dtype == self.xp.bool_:
            return t.astype(self.xp.int32)
        if floats and self.xp.issubdtype(t.dtype, self.xp.floating):
            return self.to_float(t)
        if not self.is_integer(t):
            raise ValueError(f"{name}: a non-integer step is invalid; expected an integer >= 0")
        return t

    def is_integer(self, t: Any) -> bool:
        return bool(self.xp.issubdtype(t.dtype, self.xp.integer))

    def clip_step(self, t: Any, lo: int, hi: int | float) -> Any:
        """``clip(t, lo, hi)`` with Python bounds clamped to ``t``'s dtype range."""
        if self.is_integer(t):
            info = self.xp.iinfo(t.dtype)
            lo_i, hi_i = int(info.min), int(info.max)
            lo, hi = min(max(lo, lo_i), hi_i), max(min(hi, hi_i), lo_i)
        return self.xp.clip(t, lo, hi)

    def to_float(self, x: Any) -> Any:
        return x.astype(self.float_dtype())

    def fits(self, t: Any, value: int) -> bool:
        """Whether the Python int ``value`` is representable in ``t``'s integer dtype (always for a float step)."""
        if not self.is_integer(t):
            return True
        info = self.xp.iinfo(t.dtype)
        return int(info.min) <= value <= int(info.max)

    def distance(self, hi: Any, lo: Any, t: Any) -> Any:
        """``hi - lo`` as a float, where one is a Python int and the other an integer array of
        ``t``'s dtype: exact integer arithmetic when the int fits the dtype (every catalogue
        case), else split at the dtype's maximum ``M`` so nothing overflows: an int32 step
        with a parameter up to ``2**53``."""
        big = hi if isinstance(hi, int) else lo
        if not self.is_integer(t) or self.fits(t, big):
            return self.to_float(hi - lo)
        m = int(self.xp.iinfo(t.dtype).max)
        if isinstance(hi, int):  # hi > M >= lo: (hi - M) + (M - lo), both exact
            return float(hi - m) + self.to_float(m - lo)
        return self.to_float(hi) - float(lo)

    def float_step(self, t: Any, start: int = 0) -> Any:
        """``max(t - start, 0)`` as a float, for schedules that never end (no int overflow)."""
        return self.xp.maximum(self.to_float(t) - start, 0.0)

    def fraction(self, x: Any, length: Any, shape: str) -> Any:
        """The warmup/annealing fraction ``r(x / length)``: ``x / length`` (linear) or
        ``sin(pi/2 * x / length)**2`` (cosine, ``(1 - cos(pi x / length)) / 2``)."""
        return x * (1.0 / length) if shape == "linear" else self.sin2(x, length)

    def interpolate(self, shape: str, a: Any, b: Any, pos: Any, rem: Any, length: Any) -> Any:
        """``a + (b - a) * r(pos / length)``, linear or cosine, with ``pos + rem == length``.

        Written so that float32 stays within a few ulps of the RESULT in either
        direction (``pos`` and ``rem`` are exact distances from integer steps):

        - up (``a <= b``): ``a + (b - a) r(pos)``, two non-negative terms;
        - down (``a > b``): ``b + (a - b) r(rem)``, as ``1 - r(u) = r(1 - u)``; the
          literal form would cancel near ``b`` when ``b << a``.

        The direction is static when both bounds are Python numbers, or when one of
        them is a Python 0 (lrs are never negative); else it is picked per element
        with ``where``.
        """
        up = _direction(a, b)
        if up is None:
            return self.xp.where(b >= a, self.lerp(shape, a, b, pos, length), self.lerp(shape, b, a, rem, length))
        return self.lerp(shape, a, b, pos, length) if up else self.lerp(shape, b, a, rem, length)

    def lerp(self, shape: str, lo: Any, hi: Any, x: Any, length: Any) -> Any:
        """``lo + (hi - lo) * r(x / length)`` for ``lo <= hi``."""
        if shape == "linear" and all(isinstance(v, (int, float)) for v in (lo, hi, length)):
            return lo + x * ((hi - lo) / length)  # one rounding in the slope, float64 at build time
        return lo + (hi - lo) * self.fraction(x, length, shape)

    def geometric(self, a: float, b: Any, pos: Any, rem: Any, length: Any, log_ratio: float | None = None) -> Any:
        """``a * (b / a) ** (pos / length)``, anchored at the LARGER end so that the exponent
        is small where the value is large (float32 ``exp(x)`` is off by ~``|x|`` ulps):
        up (``a <= b``) ``b * exp(-rem * log(b / a) / length)``, down ``a * exp(pos * log(b / a) / length)``.

        ``b`` is a Python float, or an array for a warmup towards a user's own function;
        ``log_ratio`` is ``log(b / a)`` when the caller has it exactly.
        """
        xp = self.xp
        if isinstance(b, (int, float)):
            lr = math.log(b / a) if log_ratio is None else log_ratio
            if b >= a:
                return b * xp.exp(rem * (-lr / length))
            return a * xp.exp(pos * (lr / length))
        # A user's target <= 0 has no exponential path (checked for specs at construction):
        # its limit, a at the start and the target after, instead of 0 * inf = NaN.
        ok = b > 0
        safe = xp.where(ok, b, a)
        k = xp.log(safe / a) * (1.0 / length)
        v = xp.where(safe >= a, safe * xp.exp(rem * -k), a * xp.exp(pos * k))
        return xp.where(ok, v, xp.where(pos == 0, a, b))

    def sin2(self, rem: Any, length: Any, exponent: float = 1.0) -> Any:
        """``(sin(pi/2 * rem / length))**(2 * exponent)``: the cosine factor
        ``((1 + cos(pi u)) / 2)**exponent`` written with ``rem = (1 - u) * length``."""
        s = self.xp.sin(rem * (HALF_PI / length))
        return s * s if exponent == 1.0 else self.xp.power(s, 2.0 * exponent)

    def piecewise(self, t: Any, bounds: Sequence[int], pieces: Sequence[Callable[[Any], Any]]) -> Any:
        """``pieces[k](t)`` where ``bounds[k-1] <= t < bounds[k]`` (``bounds`` increasing).

        Every piece is evaluated on every step and selected with ``where``: the only
        way for a traced step. Empty phases (a bound of 0) are skipped.
        """
        bounds, pieces = _drop_empty(bounds, pieces)
        bounds, pieces = self._reachable(t, bounds, pieces)
        out = pieces[0](t)
        for b, piece in zip(bounds, pieces[1:]):
            out = self.xp.where(t < b, out, piece(t))
        return out

    def _reachable(self, t: Any, bounds: Sequence[int], pieces: Sequence[Callable]) -> tuple[list[int], list[Callable]]:
        """Drops the pieces that start past the largest step of ``t``'s integer dtype."""
        if not self.is_integer(t):
            return list(bounds), list(pieces)
        m = int(self.xp.iinfo(t.dtype).max)
        k = sum(1 for b in bounds if b <= m)
        return list(bounds[:k]), list(pieces[: k + 1])


def _direction(a: Any, b: Any) -> bool | None:
    """True if ``a -> b`` goes up, False if down, None if only the arrays' values can tell."""
    static_a, static_b = isinstance(a, (int, float)), isinstance(b, (int, float))
    if static_a and static_b:
        return a <= b
    if static_b and b == 0:
        return False
    if static_a and a == 0:
        return True
    return None


def _drop_empty(bounds: Sequence[int], pieces: Sequence[Callable]) -> tuple[list[int], list[Callable]]:
    """Drops the pieces before a bound of 0 (e.g. a warmup of 0 steps)."""
    k = sum(1 for b in bounds if b <= 0)
    return list(bounds[k:]), list(pieces[k:])


class NumpyOps(ArrayOps):
    """Float64 NumPy operations for host-side tables (plots, inspect, logging).

    On a sorted 1-D step array each phase of :meth:`piecewise` is evaluated only on
    its own slice, so a table pays for one phase per step, not for all of them.
    """

    def __init__(self) -> None:
        import numpy as np

        super().__init__(np, lambda: np.float64)

    def piecewise(self, t: Any, bounds: Sequence[int], pieces: Sequence[Callable[[Any], Any]]) -> Any:
        np = self.xp
        if t.ndim != 1 or t.size < 2 or not bool(np.all(t[:-1] <= t[1:])):
            return super().piecewise(t, bounds, pieces)
        bounds, pieces = _drop_empty(bounds, pieces)
        bounds, pieces = self._reachable(t, bounds, pieces)
        edges = [0, *np.searchsorted(t, bounds, side="left").tolist(), t.size]
        out = np.empty(t.shape, np.float64)
        for (a, b), piece in zip(zip(edges, edges[1:]), pieces):
            if b > a:
                out[a:b] = piece(t[a:b])
        return out


def numpy_ops() -> ArrayOps:
    """Float64 NumPy operations, for host-side tables (plots, inspect, logging)."""
    return NumpyOps()
