"""Spec -> array schedule ``count -> lr``: one builder per spec type (dispatch on the
type, never on a string), over any NumPy-like namespace bound in an :class:`ArrayOps`.

``warmup_jax`` builds with ``jax.numpy`` (traceable Optax schedules); host-side tables
(:mod:`warmup_spec.tables`) build the same forms with ``numpy``. The forms are written
for float32 accuracy; see :mod:`warmup_spec._array_ops`.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

from warmup_spec import specs as S
from warmup_spec._array_ops import INT32_MAX as _INT32_MAX
from warmup_spec._array_ops import ArrayOps
from warmup_spec.closed_form import value_at

Array = Any
Schedule = Callable[[Any], Array]


@functools.singledispatch
def build(spec: Any, ops: ArrayOps) -> Schedule:
    """Returns the schedule ``count -> lr`` of ``spec`` over ``ops`` (or wraps a user's function)."""
    if callable(spec):
        user = spec

        def user_schedule(count: Any) -> Array:
            return ops.xp.asarray(user(count)).astype(ops.float_dtype())

        return user_schedule
    raise TypeError(f"not a schedule spec or callable: {spec!r}")


def _decay_after_warmup(spec: Any, ops: ArrayOps, decay: Callable[[Array], Array]) -> Schedule:
    """Joins the spec's warmup (``init_value`` -> ``peak_value``) with ``decay``."""
    w, shape, i, p = spec.warmup_steps, spec.warmup_shape, spec.init_value, spec.peak_value

    def schedule(count: Any) -> Array:
        t = ops.as_step(count)
        return ops.piecewise(t, [w], [lambda t: ops.warmup(shape, i, p, t, w), decay])

    return schedule


@build.register
def _(spec: S.WarmupConstant, ops: ArrayOps) -> Schedule:
    p = spec.peak_value
    return _decay_after_warmup(spec, ops, lambda t: ops.xp.full(t.shape, p, ops.float_dtype()))


@build.register
def _(spec: S.WarmupLinearDecay, ops: ArrayOps) -> Schedule:
    p, e, T = spec.peak_value, spec.end_value, spec.total_steps
    k = (p - e) / (T - spec.warmup_steps)  # e + (p - e) * (T - t) / (T - w)
    return _decay_after_warmup(spec, ops, lambda t: e + ops.remaining(t, spec.warmup_steps, T) * k)


@build.register
def _(spec: S.WarmupCosineDecay, ops: ArrayOps) -> Schedule:
    p, e, T, x = spec.peak_value, spec.end_value, spec.total_steps, spec.exponent
    L = T - spec.warmup_steps
    return _decay_after_warmup(spec, ops, lambda t: e + (p - e) * ops.sin2(ops.remaining(t, spec.warmup_steps, T), L, x))


@build.register
def _(spec: S.WarmupPolynomialDecay, ops: ArrayOps) -> Schedule:
    p, e, T, power = spec.peak_value, spec.end_value, spec.total_steps, spec.power
    inv_L = 1.0 / (T - spec.warmup_steps)

    def decay(t: Array) -> Array:
        frac = ops.remaining(t, spec.warmup_steps, T) * inv_L  # 1 - u
        return e + (p - e) * (frac if power == 1.0 else ops.xp.power(frac, power))

    return _decay_after_warmup(spec, ops, decay)


@build.register
def _(spec: S.WarmupExponentialDecay, ops: ArrayOps) -> Schedule:
    p, w, n, rate, e = (
        spec.peak_value,
        spec.warmup_steps,
        spec.transition_steps,
        spec.decay_rate,
        spec.end_value,
    )
    log_rate = math.log(rate)
    # Past this step the value is pinned to end_value (a ceiling, rate > 1) or has
    # underflowed to 0 (rate < 1): clipping the step keeps exp() finite.
    if rate > 1:
        cross = math.log(e / p) / log_rate if p > 0 else 0.0
        horizon = w + n * (math.ceil(cross) + 1)
    elif rate < 1:
        horizon = w + n * (math.ceil(800.0 / -log_rate) + 1)
    else:
        horizon = w
    horizon = min(horizon, _INT32_MAX)

    def decay(t: Array) -> Array:
        x = ops.clip_step(t, w, horizon) - w
        q = x // n if spec.staircase else x
        k = log_rate if spec.staircase else log_rate / n
        v = p * ops.xp.exp(ops.to_float(q) * k)
        if e is not None and rate != 1:  # a floor below 1, a ceiling above; rate 1 is constant
            v = ops.xp.maximum(v, e) if rate < 1 else ops.xp.minimum(v, e)
        return v

    return _decay_after_warmup(spec, ops, decay)


@build.register
def _(spec: S.WarmupInverseSqrt, ops: ArrayOps) -> Schedule:
    p, w, ts = spec.peak_value, spec.warmup_steps, spec.effective_timescale
    K = p * math.sqrt(ts)  # p / sqrt((x + ts) / ts) = p sqrt(ts) / sqrt(x + ts)

    def decay(t: Array) -> Array:
        return K * ops.xp.reciprocal(ops.xp.sqrt(ops.float_step(t, w) + ts))

    return _decay_after_warmup(spec, ops, decay)


@build.register
def _(spec: S.Noam, ops: ArrayOps) -> Schedule:
    K = spec.scale * spec.d_model**-0.5
    slope = spec.warmup_steps**-1.5

    def schedule(count: Any) -> Array:
        s = ops.float_step(ops.as_step(count)) + 1.0
        return K * ops.xp.minimum(ops.xp.reciprocal(ops.xp.sqrt(s)), s * slope)

    return schedule


@build.register
def _(spec: S.LegacyNoam, ops: ArrayOps) -> Schedule:
    m, w = spec.max_lr, spec.warmup_steps
    a, b = m / w, m * math.sqrt(w)  # max_lr * min(s / w, w**0.5 / s)

    def schedule(count: Any) -> Array:
        s = ops.float_step(ops.as_step(count)) + 1.0
        return ops.xp.minimum(s * a, b / s)

    return schedule


@build.register
def _(spec: S.WarmupStableDecay, ops: ArrayOps) -> Schedule:
    p, e, D, T = spec.peak_value, spec.end_value, spec.decay_steps, spec.total_steps
    shape, start = spec.decay_shape, T - D

    def decay(t: Array) -> Array:
        rem = ops.remaining(t, start, T)  # (1 - v) * D, exact
        if shape == "linear":
            g = rem * (1.0 / D)
        elif shape == "cosine":
            g = ops.sin2(rem, D)
        else:  # 1 - sqrt(v) = (1 - v) / (1 + sqrt(v)), free of cancellation
            v = ops.to_float(ops.clip_step(t, start, T) - start) * (1.0 / D)
            g = rem * (1.0 / D) / (1.0 + ops.xp.sqrt(v))
        return e + (p - e) * g

    return _decay_after_warmup(spec, ops, decay)


@build.register
def _(spec: S.TriStage, ops: ArrayOps) -> Schedule:
    p, D, T = spec.peak_value, spec.decay_steps, spec.total_steps
    k = math.log(spec.final_scale) / D  # p * exp(log(final_scale) * v)
    start = spec.warmup_steps + spec.hold_steps

    def decay(t: Array) -> Array:
        x = ops.to_float(ops.clip_step(t, start, T) - start)
        return p * ops.xp.exp(x * k)

    return _decay_after_warmup(spec, ops, decay)


@build.register
def _(spec: S.OneCycle, ops: ArrayOps) -> Schedule:
    # torch OneCycleLR (two phases), rewritten free of cancellation by ops.interpolate:
    # phase 1, pct = t / a:               lo -> hi, e.g. lo + (hi - lo) * sin(pi/2 * pct)**2
    # phase 2, pct = (t - a) / (T1 - a):  hi -> end, e.g. end + (hi - end) * sin(pi/2 * (1 - pct))**2
    # (each phase goes up or down: div_factor or div_factor * final_div_factor may be < 1)
    T1 = spec.total_steps - 1
    a = spec.peak_step  # may be fractional
    hi = spec.max_value
    lo = hi / spec.div_factor
    end = lo / spec.final_div_factor
    last_up = math.floor(a)  # integer steps t <= a are in phase 1

    shape = "cosine" if spec.anneal == "cos" else "linear"
    # distances to the fractional peak step a, from integers plus one float64 constant
    a_frac_up = a - last_up  # in [0, 1)
    a_frac_down = last_up + 1 - a  # in (0, 1]

    def up(t: Array) -> Array:  # lo -> hi on [0, a]
        pos = ops.to_float(t)
        rem = ops.to_float(last_up - t) + a_frac_up
        return ops.interpolate(shape, lo, hi, pos, rem, a)

    def down(t: Array) -> Array:  # hi -> end on [a, T1]
        pos = ops.to_float(t - (last_up + 1)) + a_frac_down
        rem = ops.to_float(T1 - t)  # exact
        return ops.interpolate(shape, hi, end, pos, rem, T1 - a)

    def schedule(count: Any) -> Array:
        return ops.piecewise(ops.clip_step(ops.as_step(count), 0, T1), [last_up + 1], [up, down])

    return schedule


@build.register
def _(spec: S.WarmupCosineRestarts, ops: ArrayOps) -> Schedule:
    p, e, w, L0 = spec.peak_value, spec.end_value, spec.warmup_steps, spec.cycle_steps
    mul, dec, limit = spec.cycle_mul, spec.cycle_decay, spec.cycle_limit
    log_dec = math.log(dec)
    if mul == 1.0:
        n_cycles = limit
        starts = None
    else:
        # Every cycle that starts within int32 range, as exact integer step boundaries
        # (the first integer step of each cycle), plus float64 constants per cycle.
        starts_f: list[float] = []
        k = 0
        while (limit is None or k <= limit) and spec.cycle_start(k) <= _INT32_MAX:
            starts_f.append(spec.cycle_start(k))
            k += 1
        ends_f = [spec.cycle_start(j + 1) for j in range(len(starts_f))]
        first_step = [math.ceil(s) for s in starts_f]
        # end of cycle j = last[j] + frac_end[j]: an int32 step plus a remainder in [0, 1), so
        # rem = (last - x) + frac_end adds two non-negative numbers (a negative remainder
        # would cancel in float32 when the cycle ends just after a step: 1e-6 at 1-step cycles)
        last = [min(math.floor(x), _INT32_MAX) for x in ends_f]
        frac_end = [x - b for x, b in zip(ends_f, last)]
        length = [L0 * mul**j for j in range(len(starts_f))]
        peaks = [p * dec**j for j in range(len(starts_f))]
        frac_start = [b - x for x, b in zip(starts_f, first_step)]  # start = first_step - frac_start
        n_cycles = limit
        starts = (first_step, last, frac_end, frac_start, length, peaks)

    def cycles(t: Array) -> Array:
        integer = ops.is_integer(t)
        # the cycle tables cover steps up to int32's maximum; equal cycles any step
        x = ops.clip_step(t, w, _INT32_MAX if (integer and starts is not None) else math.inf) - w
        F = ops.float_dtype()
        if starts is None:
            c = x // L0
            at = x - c * L0  # the position in the cycle, exact
            pos, rem = ops.to_float(at), ops.to_float(L0 - at)
            length_c = float(L0)
            peak = p * ops.xp.exp(ops.to_float(c) * log_dec) if dec != 1.0 else p
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
        if n_cycles is not None:
            v = ops.xp.where(c >= n_cycles, e, v)
        return v

    def schedule(count: Any) -> Array:
        t = ops.as_step(count)
        return ops.piecewise(t, [w], [lambda t: ops.warmup(spec.warmup_shape, spec.init_value, p, t, w), cycles])

    return schedule


# --- combinators -------------------------------------------------------------------


@build.register
def _(spec: S.WithWarmup, ops: ArrayOps) -> Schedule:
    base = build(spec.base, ops)
    w, i, shape = spec.warmup_steps, spec.init_value, spec.warmup_shape

    # over a spec, base(0) as a Python float: the warmup picks its form for the direction statically
    static_target = value_at(spec.base, 0) if isinstance(spec.base, S.ScheduleSpec) else None

    def warm(t: Array) -> Array:
        target = static_target
        if target is None:  # a user's function
            target = base(ops.xp.zeros_like(t[..., :1] if t.ndim else t))  # a constant: XLA folds it
        return ops.warmup(shape, i, target, t, w)

    def schedule(count: Any) -> Array:
        return ops.piecewise(ops.as_step(count), [w], [warm, lambda t: base(ops.xp.maximum(t - w, 0))])

    return schedule


@build.register
def _(spec: S.UntunedWarmup, ops: ArrayOps) -> Schedule:
    base = build(spec.base, ops)
    a = 1.0 - spec.beta2
    linear = spec.shape == "linear"

    def schedule(count: Any) -> Array:
        t = ops.as_step(count)
        s = ops.float_step(t) + 1.0
        factor = ops.xp.minimum(1.0, s * (a / 2)) if linear else -ops.xp.expm1(-a * s)
        return base(t) * factor

    return schedule


@build.register
def _(spec: S.Scale, ops: ArrayOps) -> Schedule:
    base, factor = build(spec.base, ops), spec.factor
    return lambda count: base(count) * factor


@build.register
def _(spec: S.Join, ops: ArrayOps) -> Schedule:
    parts = [build(s, ops) for s in spec.schedules]
    bounds = spec.boundaries

    shifted = [parts[0]] + [(lambda part, b: lambda t: part(t - b))(part, b) for part, b in zip(parts[1:], bounds)]

    def schedule(count: Any) -> Array:
        return ops.piecewise(ops.as_step(count), list(bounds), shifted)

    return schedule
