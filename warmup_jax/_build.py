"""Spec -> Optax schedule: one builder per spec type (dispatch on the type, not a string)."""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import jax.numpy as jnp
import numpy as np

from warmup_jax._numerics import (
    HALF_PI,
    Array,
    as_step,
    clip_step,
    float_dtype,
    sin2,
    to_float,
    warmup,
    with_warmup_phase,
)
from warmup_spec import specs as S

Schedule = Callable[[Any], Array]
_INT32_MAX = 2**31 - 1


@functools.singledispatch
def build(spec: Any) -> Schedule:
    """Returns the Optax schedule ``count -> lr`` of ``spec`` (or wraps a user's function)."""
    if callable(spec):
        user = spec

        def user_schedule(count: Any) -> Array:
            return jnp.asarray(user(count)).astype(float_dtype())

        return user_schedule
    raise TypeError(f"not a schedule spec or callable: {spec!r}")


def _decay_after_warmup(spec: Any, decay: Callable[[Array], Array]) -> Schedule:
    """Joins the spec's warmup (``init_value`` -> ``peak_value``) with ``decay``."""
    w, shape, i, p = spec.warmup_steps, spec.warmup_shape, spec.init_value, spec.peak_value

    def schedule(count: Any) -> Array:
        t = as_step(count)
        rest = decay(t)
        if w == 0:
            return rest
        return with_warmup_phase(t, w, warmup(shape, i, p, t, w), rest)

    return schedule


def _float_step(t: Array, start: int = 0) -> Array:
    """``max(t - start, 0)`` as a float, for schedules that never end (no int overflow)."""
    return jnp.maximum(to_float(t) - start, 0.0)


def _remaining(t: Array, start: int, end: int) -> Array:
    """``end - clip(t, start, end)`` as a float: the exact integer distance to ``end``."""
    return to_float(end - clip_step(t, start, end))


@build.register
def _(spec: S.WarmupConstant) -> Schedule:
    p = spec.peak_value
    return _decay_after_warmup(spec, lambda t: jnp.full(t.shape, p, float_dtype()))


@build.register
def _(spec: S.WarmupLinearDecay) -> Schedule:
    p, e, T = spec.peak_value, spec.end_value, spec.total_steps
    k = (p - e) / (T - spec.warmup_steps)  # e + (p - e) * (T - t) / (T - w)
    return _decay_after_warmup(spec, lambda t: e + _remaining(t, spec.warmup_steps, T) * k)


@build.register
def _(spec: S.WarmupCosineDecay) -> Schedule:
    p, e, T, x = spec.peak_value, spec.end_value, spec.total_steps, spec.exponent
    L = T - spec.warmup_steps
    return _decay_after_warmup(spec, lambda t: e + (p - e) * sin2(_remaining(t, spec.warmup_steps, T), L, x))


@build.register
def _(spec: S.WarmupPolynomialDecay) -> Schedule:
    p, e, T, power = spec.peak_value, spec.end_value, spec.total_steps, spec.power
    inv_L = 1.0 / (T - spec.warmup_steps)

    def decay(t: Array) -> Array:
        frac = _remaining(t, spec.warmup_steps, T) * inv_L  # 1 - u
        return e + (p - e) * (frac if power == 1.0 else jnp.power(frac, power))

    return _decay_after_warmup(spec, decay)


@build.register
def _(spec: S.WarmupExponentialDecay) -> Schedule:
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
        x = clip_step(t, w, horizon) - w
        q = x // n if spec.staircase else x
        k = log_rate if spec.staircase else log_rate / n
        v = p * jnp.exp(to_float(q) * k)
        if e is not None:
            v = jnp.maximum(v, e) if rate < 1 else jnp.minimum(v, e)
        return v

    return _decay_after_warmup(spec, decay)


@build.register
def _(spec: S.WarmupInverseSqrt) -> Schedule:
    p, w, ts = spec.peak_value, spec.warmup_steps, spec.effective_timescale
    K = p * math.sqrt(ts)  # p / sqrt((x + ts) / ts) = p sqrt(ts) / sqrt(x + ts)

    def decay(t: Array) -> Array:
        return K * jnp.reciprocal(jnp.sqrt(_float_step(t, w) + ts))

    return _decay_after_warmup(spec, decay)


@build.register
def _(spec: S.Noam) -> Schedule:
    K = spec.scale * spec.d_model**-0.5
    slope = spec.warmup_steps**-1.5

    def schedule(count: Any) -> Array:
        s = _float_step(as_step(count)) + 1.0
        return K * jnp.minimum(jnp.reciprocal(jnp.sqrt(s)), s * slope)

    return schedule


@build.register
def _(spec: S.LegacyNoam) -> Schedule:
    m, w = spec.max_lr, spec.warmup_steps
    a, b = m / w, m * math.sqrt(w)  # max_lr * min(s / w, w**0.5 / s)

    def schedule(count: Any) -> Array:
        s = _float_step(as_step(count)) + 1.0
        return jnp.minimum(s * a, b / s)

    return schedule


@build.register
def _(spec: S.WarmupStableDecay) -> Schedule:
    p, e, D, T = spec.peak_value, spec.end_value, spec.decay_steps, spec.total_steps
    shape, start = spec.decay_shape, T - D

    def decay(t: Array) -> Array:
        rem = _remaining(t, start, T)  # (1 - v) * D, exact
        if shape == "linear":
            g = rem * (1.0 / D)
        elif shape == "cosine":
            g = sin2(rem, D)
        else:  # 1 - sqrt(v) = (1 - v) / (1 + sqrt(v)), free of cancellation
            v = to_float(clip_step(t, start, T) - start) * (1.0 / D)
            g = rem * (1.0 / D) / (1.0 + jnp.sqrt(v))
        return e + (p - e) * g

    return _decay_after_warmup(spec, decay)


@build.register
def _(spec: S.TriStage) -> Schedule:
    p, D, T = spec.peak_value, spec.decay_steps, spec.total_steps
    k = math.log(spec.final_scale) / D  # p * exp(log(final_scale) * v)
    start = spec.warmup_steps + spec.hold_steps

    def decay(t: Array) -> Array:
        x = to_float(clip_step(t, start, T) - start)
        return p * jnp.exp(x * k)

    return _decay_after_warmup(spec, decay)


@build.register
def _(spec: S.OneCycle) -> Schedule:
    # torch OneCycleLR (two phases), rewritten free of cancellation:
    # phase 1, pct = t / a:               lo + (hi - lo) * sin(pi/2 * pct)**2
    # phase 2, 1 - pct = (T1 - t) / (T1 - a): end + (hi - end) * sin(pi/2 * (1 - pct))**2
    T1 = spec.total_steps - 1
    a = spec.peak_step  # may be fractional
    hi = spec.max_value
    lo = hi / spec.div_factor
    end = lo / spec.final_div_factor
    last_up = math.floor(a)  # integer steps t <= a are in phase 1
    cos = spec.anneal == "cos"

    def schedule(count: Any) -> Array:
        t = clip_step(as_step(count), 0, T1)
        tf = to_float(t)
        down = to_float(T1 - t)  # exact
        if cos:
            up_v = lo + (hi - lo) * sin2(tf, a)
            down_v = end + (hi - end) * sin2(down, T1 - a)
        else:
            up_v = lo + tf * ((hi - lo) / a)
            down_v = end + down * ((hi - end) / (T1 - a))
        return jnp.where(t <= last_up, up_v, down_v)

    return schedule


@build.register
def _(spec: S.WarmupCosineRestarts) -> Schedule:
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
        first_step = np.array([math.ceil(s) for s in starts_f], dtype=np.int64)
        # end of cycle j = last[j] + frac_end[j]: an int32 step plus a float64 remainder
        last = np.array([min(math.ceil(x), _INT32_MAX) for x in ends_f], dtype=np.int64)
        frac_end = np.array([x - b for x, b in zip(ends_f, last)])
        length = np.array([L0 * mul**j for j in range(len(starts_f))])
        peaks = np.array([p * dec**j for j in range(len(starts_f))])
        n_cycles = limit
        starts = (first_step, last, frac_end, length, peaks)

    def schedule(count: Any) -> Array:
        t = as_step(count)
        integer = jnp.issubdtype(t.dtype, jnp.integer)
        x = clip_step(t, w, _INT32_MAX if integer else math.inf) - w
        F = float_dtype()
        if starts is None:
            c = x // L0
            rem = to_float(L0 - (x - c * L0))  # L0 - position, exact
            length_c = float(L0)
            peak = p * jnp.exp(to_float(c) * log_dec) if dec != 1.0 else p
        else:
            first_step, last, frac_end, length, peaks = starts
            itype = t.dtype if integer else jnp.int32
            c = jnp.searchsorted(jnp.asarray(first_step, itype), x.astype(itype), side="right") - 1
            rem = to_float(jnp.asarray(last, itype)[c] - x.astype(itype)) + jnp.asarray(frac_end, F)[c]
            length_c = jnp.asarray(length, F)[c]
            peak = jnp.asarray(peaks, F)[c]
        v = e + (peak - e) * sin2(rem, length_c)
        if n_cycles is not None:
            v = jnp.where(c >= n_cycles, e, v)
        if w == 0:
            return v
        return with_warmup_phase(t, w, warmup(spec.warmup_shape, spec.init_value, p, t, w), v)

    return schedule


# --- combinators -------------------------------------------------------------------


@build.register
def _(spec: S.WithWarmup) -> Schedule:
    base = build(spec.base)
    w, i, shape = spec.warmup_steps, spec.init_value, spec.warmup_shape

    def schedule(count: Any) -> Array:
        t = as_step(count)
        rest = base(jnp.maximum(t - w, 0))
        if w == 0:
            return rest
        target = base(jnp.zeros_like(t))  # a constant: XLA folds it
        return with_warmup_phase(t, w, warmup(shape, i, target, t, w), rest)

    return schedule


@build.register
def _(spec: S.UntunedWarmup) -> Schedule:
    base = build(spec.base)
    a = 1.0 - spec.beta2
    linear = spec.shape == "linear"

    def schedule(count: Any) -> Array:
        t = as_step(count)
        s = _float_step(t) + 1.0
        factor = jnp.minimum(1.0, s * (a / 2)) if linear else -jnp.expm1(-a * s)
        return base(t) * factor

    return schedule


@build.register
def _(spec: S.Scale) -> Schedule:
    base, factor = build(spec.base), spec.factor
    return lambda count: base(count) * factor


@build.register
def _(spec: S.Join) -> Schedule:
    parts = [build(s) for s in spec.schedules]
    bounds = spec.boundaries

    def schedule(count: Any) -> Array:
        t = as_step(count)
        out = parts[0](t)
        for b, part in zip(bounds, parts[1:]):
            out = jnp.where(t < b, out, part(t - b))
        return out

    return schedule
