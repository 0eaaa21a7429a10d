"""Constant pieces and interpolations: every warmup, hold and finite decay of the catalogue.

:class:`Interp` goes from ``a`` at local step ``start`` to ``b`` at ``end`` and holds
``b`` after and ``a`` before (a hold then a decay is one interpolation with ``start > 0``).
``start`` and ``end`` may be fractional (torch's ``OneCycleLR`` peaks between two steps);
the distances to them are then an exact integer plus a float64 constant in ``[0, 1)``,
never a difference of two floats.

With ``pos`` the distance from ``start``, ``rem`` the distance to ``end`` and
``L = end - start``:

============  ===========================================================  =============================
shape         value                                                        float32 form
============  ===========================================================  =============================
linear        ``a + (b - a) pos / L``                                      from the nearer-to-0 end:
cosine        ``a + (b - a) (1 - cos(pi pos / L)) / 2``                    ``lo + (hi - lo) r(dist)``
exponential   ``a (b / a) ** (pos / L)``                                   anchored at the larger end
1-sqrt        ``b + (a - b) (1 - sqrt(pos / L))``                          ``(rem/L) / (1 + sqrt(pos/L))``
============  ===========================================================  =============================

``power != 1`` makes ``linear`` the polynomial ``b + (a - b) (rem / L) ** power`` and
``cosine`` the cosine decay ``b + (a - b) ((1 + cos(pi pos / L)) / 2) ** power``. A
polynomial that rises (``a < b``) would cancel near its start in that form (``power=2``
from 0 is ``b (2u - u**2)``, 1e-5 relative off in float32 at ``u = pos / L = 1e-3``): it is
``a + (b - a) g`` with ``g = 1 - (rem / L) ** power = -expm1(power log(rem / L))``, the
``log`` taken from the nearer end (``log1p(-pos / L)`` in the first half), every term
non-negative.

``log`` is DeepSpeed's warmup ``a + (b - a) log(1 + pos) / log(1 + L)``.
"""

from __future__ import annotations

import math
from typing import Any

from warmup_spec._array_ops import HALF_PI, ArrayOps
from warmup_spec.primitives._node import Array, ArrayForm, ClosedForm, Node, Within

SHAPES = ("linear", "cosine", "exponential", "1-sqrt", "log")


class Constant(Node):
    """``value`` at every step."""

    def __init__(self, value: float, *, label: str = "") -> None:
        self.value = float(value)
        self.label = label

    def closed(self, offset: int = 0) -> ClosedForm:
        v = self.value
        return lambda t: v

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        v = self.value
        return lambda t: ops.xp.full(t.shape, v, ops.float_dtype())

    @property
    def end(self) -> int | None:
        return 0

    def events(self) -> list[tuple[int, str]]:
        return []


def _split(x: float | int, up: bool) -> tuple[int, float]:
    """``x`` as an integer and a remainder in ``[0, 1)``: ``ceil`` (up) or ``floor``."""
    if isinstance(x, int):
        return x, 0.0
    n = math.ceil(x) if up else math.floor(x)
    return n, (n - x) if up else (x - n)


def _symmetric(shape: str, a: float, b: float, S: int, E: int, L: float | int) -> ClosedForm:
    """The float64 closed form of a linear or cosine interpolation between integer steps
    ``S`` and ``E``, from its nearer end: up ``a + (b - a) r(pos / L)``, down
    ``b + (a - b) r(rem / L)`` (``1 - r(u) = r(1 - u)``), with the distances exact ints."""
    n, sin = E - S, math.sin
    if a <= b:
        lo, d = a, b - a

        def linear_up(t: int) -> float:
            x = t - S
            return lo + d * ((0 if x < 0 else (n if x > n else x)) / L)

        def cosine_up(t: int) -> float:
            x = t - S
            h = sin(HALF_PI * ((0 if x < 0 else (n if x > n else x)) / L))
            return lo + d * (h * h)

        return linear_up if shape == "linear" else cosine_up
    lo, d = b, a - b

    def linear_down(t: int) -> float:
        x = E - t
        return lo + d * ((0 if x < 0 else (n if x > n else x)) / L)

    def cosine_down(t: int) -> float:
        x = E - t
        h = sin(HALF_PI * ((0 if x < 0 else (n if x > n else x)) / L))
        return lo + d * (h * h)

    return linear_down if shape == "linear" else cosine_down


class Interp(Node):
    """From ``a`` at local step ``start`` to ``b`` at ``end``; see the module docstring.

    Args:
        shape: ``"linear"``, ``"cosine"``, ``"exponential"``, ``"1-sqrt"`` or ``"log"``.
        a: the value at ``start`` (and before).
        b: the value at ``end`` (and after); a :class:`Node` stands for that node's
            value at its step 0 (a warmup towards a user's own function).
        end: where ``b`` is reached, ``> start``.
        start: where the interpolation leaves ``a`` (default 0).
        power: the exponent of a polynomial (``linear``) or cosine decay weight.
        log_ratio: ``log(b / a)`` of an exponential interpolation, when the caller has it
            exactly (``log(final_scale)`` rather than ``log(peak * final_scale / peak)``).
        label: what the piece is; a diagnosis names its end ``"end of <label>"``.
    """

    def __init__(
        self,
        shape: str,
        a: float,
        b: float | Node,
        end: float | int,
        *,
        start: float | int = 0,
        power: float = 1.0,
        log_ratio: float | None = None,
        label: str = "",
    ) -> None:
        if shape not in SHAPES:
            raise ValueError(f"Interp: shape={shape!r} is invalid; expected one of {SHAPES}")
        if not end > start:
            raise ValueError(f"Interp: end={end!r} is invalid; expected > start ({start!r})")
        self.shape, self.a, self.b, self.power, self.label = shape, float(a), b, float(power), label
        self.start, self.stop = start, end
        self.length = end - start
        self.log_ratio = log_ratio

    # --- facts -----------------------------------------------------------------

    @property
    def end(self) -> int | None:
        return math.ceil(self.stop)

    def events(self) -> list[tuple[int, str]]:
        start = [(math.ceil(self.start), f"start of {self.label}")] if self.label and self.start > 0 else []
        return start + super().events()

    # --- the float64 closed form ----------------------------------------------

    def _target(self) -> float:
        b = self.b
        return float(b.closed(0)(0)) if isinstance(b, Node) else float(b)

    def closed(self, offset: int = 0) -> ClosedForm:
        a, b, L, power, shape = self.a, self._target(), self.length, self.power, self.shape
        s0, s_frac = _split(self.start, up=True)
        e0, e_frac = _split(self.stop, up=False)
        S, E = offset + s0, offset + e0
        sin = math.sin
        if not (s_frac or e_frac) and shape in ("linear", "cosine") and power == 1.0:
            return _symmetric(shape, a, b, S, E, L)  # warmups and most decays: one flat closure
        fractional = bool(s_frac or e_frac)

        def distances(t: int) -> tuple[float, float]:
            tc = S if t < S else (E if t > E else t)
            if fractional:
                return (tc - S) + s_frac, (E - tc) + e_frac
            return tc - S, E - tc

        if shape == "exponential":
            if not (a > 0 and b > 0):  # a user's target <= 0: its limit, a at the start and b after
                return lambda t: a if t <= S else b
            lr = math.log(b / a) if self.log_ratio is None else self.log_ratio
            exp = math.exp

            def value(t: int) -> float:
                pos, rem = distances(t)
                if b >= a:  # anchored at the larger end: the exponent is small where the value is large
                    return b * exp(-(rem / L) * lr)
                return a * exp(lr * (pos / L))

        elif shape == "1-sqrt":
            sqrt = math.sqrt

            def value(t: int) -> float:
                pos, rem = distances(t)
                return b + (a - b) * ((rem / L) / (1.0 + sqrt(pos / L)))

        elif shape == "log":
            log1p, inv = math.log1p, 1.0 / math.log1p(L)

            def value(t: int) -> float:
                return a + (b - a) * (log1p(distances(t)[0]) * inv)

        elif shape == "linear" and power != 1.0 and a < b:  # a rise: see the module docstring
            log, log1p, expm1 = math.log, math.log1p, math.expm1

            def value(t: int) -> float:
                pos, rem = distances(t)
                if rem == 0:
                    return b
                lr = log1p(-pos / L) if pos <= rem else log(rem / L)
                return a + (b - a) * -expm1(power * lr)

        elif power != 1.0:

            def value(t: int) -> float:
                r = distances(t)[1] / L
                if shape == "linear":
                    return b + (a - b) * r**power
                return b + (a - b) * sin(HALF_PI * r) ** (2.0 * power)

        else:  # linear or cosine between fractional bounds: from the nearer end
            cosine, up = shape == "cosine", a <= b

            def value(t: int) -> float:
                pos, rem = distances(t)
                lo, hi, x = (a, b, pos) if up else (b, a, rem)
                if cosine:
                    h = sin(HALF_PI * (x / L))
                    return lo + (hi - lo) * (h * h)
                return lo + (hi - lo) * (x / L)

        if fractional:
            inner = value

            def value(t: int) -> float:
                if t > E and e_frac:
                    return b
                if t < S and s_frac:
                    return a
                return inner(t)

        return value

    # --- the array form -------------------------------------------------------

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, shape, power, L = ops.xp, self.shape, self.power, self.length
        a = self.a
        b_node = self.b if isinstance(self.b, Node) else None
        b_static = None if b_node is not None else float(self.b)  # type: ignore[arg-type]
        b_form = b_node.array(ops, 0) if b_node is not None else None
        s0, s_frac = _split(self.start, up=True)
        e0, e_frac = _split(self.stop, up=False)
        S, E = offset + s0, offset + e0

        up = None if b_static is None else a <= b_static
        symmetric = shape in ("linear", "cosine") and power == 1.0
        rise = shape == "linear" and power != 1.0 and up is True and a != b_static
        if symmetric:
            needs = {"pos", "rem"} if up is None else ({"pos"} if up else {"rem"})
        elif shape == "exponential":
            needs = {"pos", "rem"} if up is None else ({"rem"} if up else {"pos"})
        elif shape == "1-sqrt" or rise:
            needs = {"pos", "rem"}
        elif shape == "log":
            needs = {"pos"}
        else:
            needs = {"rem"}

        # linear and cosine stay finite past their ends: a side the composition never uses
        # needs no clipping (exp, powers and roots would warn or overflow there: clipped)
        lo_used = within is None or within[0] < S
        hi_used = within is None or within[1] is None or within[1] > E
        if not symmetric:
            lo_used = hi_used = True

        def clip(t: Array) -> Array:
            if lo_used and hi_used:
                return ops.clip_step(t, S, E)
            if lo_used:
                return ops.clip_step(t, S, math.inf)
            if hi_used:
                return ops.clip_step(t, -math.inf, E)  # type: ignore[arg-type]
            return t

        def distances(t: Array) -> tuple[Array, Array]:
            tc = clip(t)
            pos = rem = None
            if "pos" in needs:
                pos = ops.distance(tc, S, t) if S else ops.to_float(tc)
                if s_frac:
                    pos = pos + s_frac
            if "rem" in needs:
                rem = ops.distance(E, tc, t)
                if e_frac:
                    rem = rem + e_frac
            return pos, rem

        def target(t: Array) -> Any:
            if b_form is None:
                return b_static
            return b_form(xp.zeros_like(t[..., :1] if t.ndim else t))  # a constant: XLA folds it

        def value(t: Array) -> Array:
            if S > 0 and not ops.fits(t, S):  # starts past the largest step of t's int dtype: still a
                return xp.full(t.shape, a, ops.float_dtype())
            pos, rem = distances(t)
            b = target(t)
            if symmetric:
                if up is None:
                    return ops.interpolate(shape, a, b, pos, rem, L)
                return ops.lerp(shape, a, b, pos, L) if up else ops.lerp(shape, b, a, rem, L)
            if shape == "exponential":
                return ops.geometric(a, b, pos, rem, L, self.log_ratio)
            if shape == "1-sqrt":
                inv = 1.0 / L
                return b + (a - b) * (rem * inv / (1.0 + xp.sqrt(pos * inv)))
            if shape == "log":
                return a + (b - a) * (xp.log1p(pos) * (1.0 / math.log1p(L)))
            if rise:  # each branch on safe arguments (no log(0), no log1p(-1)): the end is b itself
                inv = 1.0 / L
                ended, near = rem == 0, pos <= rem
                head = xp.where(near, pos, 0.0)
                tail = xp.where(near | ended, 1.0, rem)
                lr = xp.where(near, xp.log1p(-(head * inv)), xp.log(tail * inv))
                return xp.where(ended, b, a + (b - a) * -xp.expm1(lr * power))
            if shape == "linear":
                return b + (a - b) * xp.power(rem * (1.0 / L), power)
            return b + (a - b) * ops.sin2(rem, L, power)

        # past a fractional end (before a fractional start) the distances are not clipped
        # to 0: select the held value, unless the composition never uses those steps
        after = bool(e_frac) and not (within is not None and within[1] is not None and within[1] <= E)
        before = bool(s_frac) and not (within is not None and within[0] >= S)
        if not (after or before):
            return value

        def bounded(t: Array) -> Array:
            v = value(t)
            if after:
                v = xp.where(t > E, target(t), v)
            if before:
                v = xp.where(t < S, a, v)
            return v

        return bounded
