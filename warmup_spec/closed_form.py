"""Float64 closed forms of every spec in pure Python, and the picklable :class:`Schedule`.

The host-side ``step -> lr`` callable of the project: ``warmup_torch``'s schedulers
and plain callables are built on it, and a JAX user logs the lr with it without
``optax.inject_hyperparams`` (about 0.3 us a call, no framework imported):

    >>> from warmup_spec.closed_form import Schedule
    >>> Schedule({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 2})(1)
    0.05

One pure-Python function ``(spec, t) -> float`` per spec class, found through
:data:`CLOSED_FORMS` by the spec's TYPE (never by its name). Rules:

- step arithmetic (clipping, distances to boundaries, cycle indices) is done on the
  Python ``int`` step, which is exact at any size, and turned into a float once;
- no ``1 + cos(x)``, ``1 - cos(x)`` or ``1 - sqrt(v)`` near cancellation: the
  remaining fraction ``(T - t) / (T - w)`` is computed from integers and used in
  ``sin(pi/2 * r)**2``, ``r / (1 + sqrt(v))``, ...;
- steps past the end hold the final value; schedules that never end (inverse sqrt,
  noam, exponential decay, cosine restarts with ``cycle_mul > 1``) are evaluated at
  ``min(t, STEP_CAP)`` with ``STEP_CAP = 2**100``, so no step gives ``inf``/``NaN``
  or an ``OverflowError``.

This module never imports :mod:`warmup_spec.reference`: the parity suite checks these
forms against it, so the two must stay independent.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_right
from typing import Any, Callable, Mapping, Union

from warmup_spec import specs as S
from warmup_spec.registry import load_config, spec_from_config, spec_to_config

__all__ = ["CLOSED_FORMS", "STEP_CAP", "Schedule", "ScheduleLike", "as_spec", "closed_form", "spec_of", "value_at", "warmup"]

HALF_PI = math.pi / 2
STEP_CAP = 2**100
"""Steps beyond this are evaluated at it by the schedules that never end."""

ClosedForm = Callable[[Any, int], float]


# --- warmup, written once ----------------------------------------------------------


def warmup(shape: str, i: float, p: float, t: int, w: int) -> float:
    """The warmup value at ``0 <= t < w`` from ``i`` towards ``p``.

    linear ``i + (p - i) t / w``; cosine ``i + (p - i) sin(pi t / 2w)**2`` (equal to
    ``(1 - cos(pi t / w)) / 2`` without its cancellation near ``t = 0``); exponential
    ``i (p / i)**(t / w) = p exp(-(w - t) / w * log(p / i))``.
    """
    if shape == "linear":
        return i + (p - i) * (t / w)
    if shape == "cosine":
        s = math.sin(HALF_PI * (t / w))
        return i + (p - i) * (s * s)
    if shape == "exponential":
        if not (p > 0 and i > 0):
            raise ValueError(
                f"exponential warmup needs init_value > 0 and a target > 0; got init_value={i!r}, target={p!r}"
            )
        return p * math.exp(-((w - t) / w) * math.log(p / i))
    raise ValueError(f"unknown warmup_shape {shape!r}")


def _remaining(t: int, w: int, T: int) -> float:
    """``1 - u = (T - clip(t, w, T)) / (T - w)`` from integers (exact numerator)."""
    return (T - min(max(t, w), T)) / (T - w)


def _sin2(r: float, exponent: float = 1.0) -> float:
    """``((1 + cos(pi (1 - r))) / 2) ** exponent = sin(pi/2 r) ** (2 exponent)``."""
    s = math.sin(HALF_PI * r)
    return s * s if exponent == 1.0 else s ** (2.0 * exponent)


# --- the catalogue -----------------------------------------------------------------


def _warmup_constant(spec: S.WarmupConstant, t: int) -> float:
    w = spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, spec.peak_value, t, w)
    return spec.peak_value


def _warmup_linear_decay(spec: S.WarmupLinearDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    return e + (p - e) * _remaining(t, w, spec.total_steps)


def _warmup_cosine_decay(spec: S.WarmupCosineDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    return e + (p - e) * _sin2(_remaining(t, w, spec.total_steps), spec.exponent)


def _warmup_polynomial_decay(spec: S.WarmupPolynomialDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    return e + (p - e) * _remaining(t, w, spec.total_steps) ** spec.power


def _warmup_exponential_decay(spec: S.WarmupExponentialDecay, t: int) -> float:
    p, w, rate, e = spec.peak_value, spec.warmup_steps, spec.decay_rate, spec.end_value
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    if p == 0.0:  # every clip bound lies in [0, p] or is >= p = 0 with a rate > 1
        return 0.0
    n = min(t - w, STEP_CAP)
    q: float = n // spec.transition_steps if spec.staircase else n / spec.transition_steps
    try:
        g = rate**q  # rate < 1 underflows quietly to 0.0; rate > 1 may overflow
    except OverflowError:
        g = math.inf
    v = p * g
    if e is not None and rate != 1:  # a floor below 1, a ceiling above; rate 1 is constant
        v = max(v, e) if rate < 1 else min(v, e)
    return v  # rate > 1 always has a finite ceiling e (checked by the spec)


def _warmup_inverse_sqrt(spec: S.WarmupInverseSqrt, t: int) -> float:
    p, w = spec.peak_value, spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    ts = spec.effective_timescale
    return p / math.sqrt((min(t - w, STEP_CAP) + ts) / ts)


def _noam(spec: S.Noam, t: int) -> float:
    s, w = min(t, STEP_CAP) + 1, spec.warmup_steps
    return spec.scale * spec.d_model**-0.5 * min(s**-0.5, s * w**-1.5)


def _legacy_noam(spec: S.LegacyNoam, t: int) -> float:
    s, w = min(t, STEP_CAP) + 1, spec.warmup_steps
    return spec.max_lr * min(s / w, w**0.5 / s)


def _warmup_stable_decay(spec: S.WarmupStableDecay, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    n = t - w - spec.stable_steps
    if n < 0:
        return p
    D = spec.decay_steps
    d = min(n, D)
    r = (D - d) / D  # 1 - v, from integers
    if spec.decay_shape == "linear":
        g = r
    elif spec.decay_shape == "cosine":
        g = _sin2(r)
    else:  # "1-sqrt": 1 - sqrt(v) = (1 - v) / (1 + sqrt(v))
        g = r / (1.0 + math.sqrt(d / D))
    return e + (p - e) * g


def _cycle_start(spec: S.WarmupCosineRestarts, k: int) -> float:
    """``spec.cycle_start(k)``, or ``inf`` where it overflows (a huge ``cycle_limit``)."""
    try:
        return spec.cycle_start(k)
    except OverflowError:
        return math.inf


def _cycle_index(spec: S.WarmupCosineRestarts, x: int) -> int:
    """The largest ``k`` with ``spec.cycle_start(k) <= x`` (``cycle_mul > 1``)."""
    m, L = spec.cycle_mul, spec.cycle_steps
    k = max(0, int(math.log1p(x * (m - 1.0) / L) / math.log(m)))
    while spec.cycle_start(k + 1) <= x:  # at most a step or two: the log is close
        k += 1
    while k > 0 and spec.cycle_start(k) > x:
        k -= 1
    return k


def _warmup_cosine_restarts(spec: S.WarmupCosineRestarts, t: int) -> float:
    p, e, w = spec.peak_value, spec.end_value, spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    x = t - w
    if spec.cycle_limit is not None and x >= _cycle_start(spec, spec.cycle_limit):
        return e
    L, m = spec.cycle_steps, spec.cycle_mul
    if m == 1.0:
        k, pos = divmod(x, L)  # exact for any int
        rem = (L - pos) / L
    else:
        x = min(x, STEP_CAP)
        k = _cycle_index(spec, x)
        length = L * m**k
        rem = (length - (x - spec.cycle_start(k))) / length
    peak = p * spec.cycle_decay ** min(k, STEP_CAP)
    return e + (peak - e) * _sin2(rem)


def _one_cycle(spec: S.OneCycle, t: int) -> float:
    # torch OneCycleLR.get_lr (two phases), operation for operation, so the values
    # are equal bit for bit; held from total_steps - 1 on (torch raises past total_steps).
    step = min(t, spec.total_steps - 1)
    initial = spec.max_value / spec.div_factor
    end1 = spec.peak_step  # float(pct_start * total_steps) - 1
    if step <= end1:
        start_step, end_step, lo, hi = 0.0, end1, initial, spec.max_value
    else:
        start_step, end_step = end1, spec.total_steps - 1
        lo, hi = spec.max_value, initial / spec.final_div_factor
    pct = (step - start_step) / (end_step - start_step)
    if spec.anneal == "cos":
        return hi + (lo - hi) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (hi - lo) * pct + lo


def _tri_stage(spec: S.TriStage, t: int) -> float:
    p, w = spec.peak_value, spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, p, t, w)
    n = t - w - spec.hold_steps
    if n < 0:
        return p
    D = spec.decay_steps
    return p * math.exp(math.log(spec.final_scale) * (min(n, D) / D))


# --- combinators -------------------------------------------------------------------


def _with_warmup(spec: S.WithWarmup, t: int) -> float:
    w = spec.warmup_steps
    if t < w:
        return warmup(spec.warmup_shape, spec.init_value, value_at(spec.base, 0), t, w)
    return value_at(spec.base, t - w)


def _untuned_warmup(spec: S.UntunedWarmup, t: int) -> float:
    a = 1.0 - spec.beta2
    s = min(t, STEP_CAP) + 1
    if spec.shape == "linear":
        factor = min(1.0, a / 2 * s)
    else:  # 1 - exp(-a s), without the cancellation for small a s
        factor = -math.expm1(-a * s)
    return value_at(spec.base, t) * factor


def _scale(spec: S.Scale, t: int) -> float:
    return spec.factor * value_at(spec.base, t)


def _join(spec: S.Join, t: int) -> float:
    k = bisect_right(spec.boundaries, t)
    offset = spec.boundaries[k - 1] if k else 0
    return value_at(spec.schedules[k], t - offset)


CLOSED_FORMS: dict[type[S.ScheduleSpec], ClosedForm] = {
    S.WarmupConstant: _warmup_constant,
    S.WarmupLinearDecay: _warmup_linear_decay,
    S.WarmupCosineDecay: _warmup_cosine_decay,
    S.WarmupPolynomialDecay: _warmup_polynomial_decay,
    S.WarmupExponentialDecay: _warmup_exponential_decay,
    S.WarmupInverseSqrt: _warmup_inverse_sqrt,
    S.Noam: _noam,
    S.LegacyNoam: _legacy_noam,
    S.WarmupStableDecay: _warmup_stable_decay,
    S.WarmupCosineRestarts: _warmup_cosine_restarts,
    S.OneCycle: _one_cycle,
    S.TriStage: _tri_stage,
    S.WithWarmup: _with_warmup,
    S.UntunedWarmup: _untuned_warmup,
    S.Scale: _scale,
    S.Join: _join,
}
"""Spec class -> its closed form ``(spec, t) -> float``."""


def closed_form(cls: type) -> ClosedForm:
    """The closed form of spec class ``cls`` (or of its nearest registered base)."""
    for klass in cls.__mro__:
        if klass in CLOSED_FORMS:
            return CLOSED_FORMS[klass]
    raise TypeError(f"no closed form for {cls.__name__}; expected one of the warmup_spec spec classes")


def value_at(base: Any, t: int) -> float:
    """``base(t)`` as a float, for a spec or a user's own ``step -> lr`` callable."""
    fn = CLOSED_FORMS.get(type(base))  # the common case: a catalogue spec, one dict lookup
    if fn is not None:
        return fn(base, t)
    if isinstance(base, S.ScheduleSpec):
        return closed_form(type(base))(base, t)
    return float(base(t))


# --- the callable ------------------------------------------------------------------

ScheduleLike = Union[S.ScheduleSpec, "Schedule", Mapping[str, Any]]


def spec_of(cfg: Any) -> S.ScheduleSpec:
    """The spec of a spec, a :class:`Schedule`, a config mapping, a JSON string or the
    path of a ``.json``/``.toml`` file (validated; anything else is a ``ValueError``)."""
    if isinstance(cfg, Schedule):
        return cfg.spec
    if isinstance(cfg, S.ScheduleSpec):
        return cfg
    return spec_from_config(load_config(cfg))


def as_spec(schedule: ScheduleLike) -> S.ScheduleSpec:
    """The spec of a spec, a :class:`Schedule` or a config mapping (validated); other types
    are a ``TypeError``."""
    if isinstance(schedule, (Schedule, S.ScheduleSpec, Mapping)):
        return spec_of(schedule)
    raise TypeError(
        f"expected a schedule spec, a warmup_torch Schedule or a config mapping; got {schedule!r}"
    )


class Schedule:
    """A schedule ``step -> lr`` in float64, built from a spec.

    Picklable (it pickles as its spec, and a user's own base function inside a
    combinator is pickled as it is), comparable by spec, and safe at any step: a
    Python ``int`` (or NumPy/torch integer) of any size.

    Attributes:
        spec: the frozen :mod:`warmup_spec` spec it evaluates.

    Example:
        >>> from warmup_spec import WarmupLinearDecay
        >>> f = Schedule(WarmupLinearDecay(1.0, warmup_steps=2, total_steps=4))
        >>> [f(t) for t in range(6)]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    # "__dict__" (always empty) lets torch's LambdaLR checkpoint a Schedule used as an
    # lr_lambda: its state_dict saves ``fn.__dict__`` of callable objects. The schedule's
    # state is its immutable spec, rebuilt with the scheduler, so nothing else is needed.
    __slots__ = ("_fn", "spec", "__dict__")

    def __init__(self, spec: ScheduleLike) -> None:
        spec = as_spec(spec)
        self.spec: S.ScheduleSpec = spec
        self._fn: ClosedForm = closed_form(type(spec))

    def __call__(self, step: int) -> float:
        t = operator.index(step)
        if t < 0:
            raise ValueError(f"{self.spec.name}: step={t!r} is invalid; expected an integer >= 0")
        return self._fn(self.spec, t)

    @property
    def name(self) -> str:
        """The catalogue name of the schedule."""
        return self.spec.name

    def config(self) -> dict[str, Any]:
        """The config mapping of the spec; ``ValueError`` if a base is a user function."""
        return spec_to_config(self.spec)

    def __reduce__(self) -> tuple[type[Schedule], tuple[S.ScheduleSpec]]:
        return (Schedule, (self.spec,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash((Schedule, self.spec))

    def __repr__(self) -> str:
        return f"Schedule({self.spec!r})"
