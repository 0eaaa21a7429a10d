"""The float64 reference: the catalogue formulas, written literally, one step at a time.

This is the oracle the parity suite checks every front end against. It is
deliberately naive (plain ``math`` on Python floats, loops instead of closed-form
cycle indices, the formulas exactly as ``docs/catalogue.md`` writes them) and reads only
the specs' parameters: it shares no code with the primitives the schedules are composed
of. It is not fast; do not train with it.

Example:
    >>> from warmup_spec import catalogue as S
    >>> reference(S.WarmupLinearDecay(1.0, warmup_steps=2, total_steps=4), 3)
    0.5
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

from warmup_spec import catalogue as S

__all__ = ["momentum_reference", "reference", "reference_table"]


def _warmup(shape: str, i: float, p: float, t: int, w: int) -> float:
    r = t / w
    if shape == "linear":
        return i + (p - i) * r
    if shape == "cosine":
        return i + (p - i) * (1 - math.cos(math.pi * r)) / 2
    return i * (p / i) ** r


def _u(t: int, w: int, T: int) -> float:
    return min(max((t - w) / (T - w), 0.0), 1.0)


@functools.singledispatch
def reference(spec: object, t: int) -> float:
    """The float64 value of ``spec`` at integer step ``t >= 0``."""
    if callable(spec):  # a user's own base schedule
        return float(spec(t))
    raise TypeError(f"no reference for {spec!r}")


@reference.register
def _(spec: S.WarmupConstant, t: int) -> float:
    if t < spec.warmup_steps:
        return _warmup(spec.warmup_shape, spec.init_value, spec.peak_value, t, spec.warmup_steps)
    return spec.peak_value


@reference.register
def _(spec: S.WarmupLinearDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, p, t, w)
    return p + (e - p) * _u(t, w, spec.total_steps)


@reference.register
def _(spec: S.WarmupCosineDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, p, t, w)
    u = _u(t, w, spec.total_steps)
    return e + (p - e) * (0.5 * (1 + math.cos(math.pi * u))) ** spec.exponent


@reference.register
def _(spec: S.WarmupPolynomialDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, p, t, w)
    return e + (p - e) * (1 - _u(t, w, spec.total_steps)) ** spec.power


@reference.register
def _(spec: S.WarmupExponentialDecay, t: int) -> float:
    p, w = spec.peak_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, p, t, w)
    q = (t - w) / spec.transition_steps
    if spec.staircase:
        q = math.floor(q)
    try:
        v = p * spec.decay_rate**q
    except OverflowError:  # growth past float64 range: the ceiling applies below
        v = math.inf if p > 0 else 0.0
    if spec.end_value is not None and spec.decay_rate != 1:  # a floor below 1, a ceiling above
        v = max(v, spec.end_value) if spec.decay_rate < 1 else min(v, spec.end_value)
    return v


@reference.register
def _(spec: S.WarmupInverseSqrt, t: int) -> float:
    p, w = spec.peak_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, p, t, w)
    ts = float(w) if spec.timescale is None else spec.timescale
    return p / math.sqrt((t - w + ts) / ts)


@reference.register
def _(spec: S.Noam, t: int) -> float:
    s, w = t + 1, spec.warmup_steps
    return spec.scale * spec.d_model**-0.5 * min(s**-0.5, s * w**-1.5)


@reference.register
def _(spec: S.LegacyNoam, t: int) -> float:
    s, w = t + 1, spec.warmup_steps
    return spec.max_lr * min(s / w, w**0.5 / s)


@reference.register
def _(spec: S.WarmupStableDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, p, t, w)
    if t < w + spec.stable_steps:
        return p
    v = min(max((t - w - spec.stable_steps) / spec.decay_steps, 0.0), 1.0)
    return e + (p - e) * _decay_weight(spec.decay_shape, v)


def _decay_weight(shape: str, v: float) -> float:
    """WSD's decay weight ``g(v)``: ``1 - v``, ``(1 + cos(pi v)) / 2`` or ``1 - sqrt(v)``."""
    return {
        "linear": lambda: 1 - v,
        "cosine": lambda: 0.5 * (1 + math.cos(math.pi * v)),
        "1-sqrt": lambda: 1 - math.sqrt(v),
    }[shape]()


@reference.register
def _(spec: S.WarmupStableDecayCycles, t: int) -> float:
    start, previous = 0, spec.init_value
    cycles = zip(spec.peak_values, spec.warmup_steps, spec.stable_steps, spec.decay_steps, spec.end_values)
    for p, w, s, d, e in cycles:
        if t < start + w + s + d:
            x = t - start
            if x < w:
                return _warmup(spec.warmup_shape, previous, p, x, w)
            v = min(max((x - w - s) / d, 0.0), 1.0)
            return e + (p - e) * _decay_weight(spec.decay_shape, v)
        start, previous = start + w + s + d, e
    return 0.0 if spec.zero_tail else spec.end_values[-1]


@reference.register
def _(spec: S.DecayFrom, t: int) -> float:
    k, d, e = spec.base_steps, spec.decay_steps, spec.end_value
    if t < k:
        return reference(spec.base, t)
    if spec.zero_tail and t >= k + d:
        return 0.0
    v = reference(spec.base, k)
    return e + (v - e) * _decay_weight(spec.decay_shape, min((t - k) / d, 1.0))


def _megatron_batch(spec: S.SampleClock, consumed: int) -> int:
    """Megatron's global batch size after ``consumed`` samples (its ramp, written out)."""
    start, increment, samples = spec.rampup_start, spec.rampup_increment, spec.rampup_samples
    if start is None or increment is None or samples is None or consumed > samples:
        return spec.batch_size
    n = (spec.batch_size - start) // increment
    return start + int(consumed / (samples / n)) * increment


_SEEN: dict[S.SampleClock, list[int]] = {}


def _samples_seen(spec: S.SampleClock, k: int) -> int:
    """The samples consumed before update ``k``, one update at a time until the batch size is
    the last one for good, then whole batches."""
    seen = _SEEN.setdefault(spec, [0])
    while len(seen) <= k and (len(seen) == 1 or seen[-1] <= (spec.rampup_samples or 0)):
        seen.append(seen[-1] + _megatron_batch(spec, seen[-1]))
    if k < len(seen):
        return seen[k]
    return seen[-1] + (k - len(seen) + 1) * spec.batch_size


@reference.register
def _(spec: S.SampleClock, t: int) -> float:
    return reference(spec.base, _samples_seen(spec, t) * spec.tokens_per_sample)


def _cycle_start(spec: S.WarmupCosineRestarts, k: int) -> float:
    m, L = spec.cycle_mul, spec.cycle_steps
    return L * k if m == 1.0 else L * (m**k - 1) / (m - 1)


@reference.register
def _(spec: S.WarmupCosineRestarts, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, p, t, w)
    x = t - w
    if spec.cycle_mul == 1.0:
        k = x // spec.cycle_steps
    else:  # the last cycle that started at or before x, found by walking
        k = 0
        while _cycle_start(spec, k + 1) <= x:
            k += 1
    if spec.cycle_limit is not None and k >= spec.cycle_limit:
        return e
    start = _cycle_start(spec, k)
    length = spec.cycle_steps * spec.cycle_mul**k
    peak = p * spec.cycle_decay**k
    return e + (peak - e) * 0.5 * (1 + math.cos(math.pi * (x - start) / length))


@reference.register
def _(spec: S.OneCycle, t: int) -> float:
    # torch OneCycleLR.get_lr, two phases, literally; held from total_steps - 1.
    initial = spec.peak_value / spec.div_factor
    return _one_cycle(spec, t, (initial, spec.peak_value, initial / spec.final_div_factor))


def momentum_reference(spec: S.OneCycle, t: int) -> float:
    """The float64 momentum / beta1 of ``one_cycle`` at step ``t`` (``cycle_momentum=True``):
    torch ``OneCycleLR.get_lr``'s ``computed_momentum``, literally; held from ``total_steps - 1``."""
    if not spec.cycle_momentum:
        raise ValueError("cycle_momentum=False: the schedule does not set the momentum")
    return _one_cycle(spec, t, (spec.max_momentum, spec.base_momentum, spec.max_momentum))


def _one_cycle(spec: S.OneCycle, t: int, values: tuple[float, float, float]) -> float:
    step = min(t, spec.total_steps - 1)
    first, middle, last = values
    phases = [
        (float(spec.pct_start * spec.total_steps) - 1, first, middle),
        (float(spec.total_steps - 1), middle, last),
    ]
    start_step = 0.0
    for k, (end, lo, hi) in enumerate(phases):
        if step <= end or k == len(phases) - 1:
            pct = (step - start_step) / (end - start_step)
            if spec.anneal == "cosine":
                return hi + (lo - hi) / 2.0 * (math.cos(math.pi * pct) + 1)
            return (hi - lo) * pct + lo
        start_step = end
    raise AssertionError("unreachable")


@reference.register
def _(spec: S.TriStage, t: int) -> float:
    p, w = spec.peak_value, spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, p * spec.init_scale, p, t, w)
    if t < w + spec.hold_steps:
        return p
    v = min(max((t - w - spec.hold_steps) / spec.decay_steps, 0.0), 1.0)
    return p * math.exp(math.log(spec.final_scale) * v)


@reference.register
def _(spec: S.WithWarmup, t: int) -> float:
    w = spec.warmup_steps
    if t < w:
        return _warmup(spec.warmup_shape, spec.init_value, reference(spec.base, 0), t, w)
    return reference(spec.base, t - w)


@reference.register
def _(spec: S.UntunedWarmup, t: int) -> float:
    a = 1 - spec.beta2
    if spec.shape == "linear":
        factor = min(1.0, a / 2 * (t + 1))
    else:
        factor = 1 - math.exp(-a * (t + 1))
    return reference(spec.base, t) * factor


@reference.register
def _(spec: S.Scaled, t: int) -> float:
    return spec.factor * reference(spec.base, t)


@reference.register
def _(spec: S.Join, t: int) -> float:
    k = sum(1 for b in spec.boundaries if t >= b)
    offset = spec.boundaries[k - 1] if k else 0
    return reference(spec.schedules[k], t - offset)


def reference_table(spec: object, steps: Iterable[int]) -> list[float]:
    """``[reference(spec, t) for t in steps]``."""
    return [reference(spec, int(t)) for t in steps]
