"""Schedule specifications: one frozen dataclass per catalogue row.

A spec is the framework-free description of a schedule: its parameters, checked
once here at construction (see :mod:`warmup_spec._checks`). ``warmup_jax`` turns a
spec into an Optax schedule, ``warmup_torch`` into an ``LRScheduler`` or a plain
``step -> lr`` callable, and :mod:`warmup_spec.reference` evaluates it in float64.

Notation (``../shared/design/schedules.md``): ``t`` the step (0-based), ``w`` the
warmup steps, ``T`` the total steps (warmup included), ``p`` the peak value,
``i`` the init value, ``e`` the end value, ``u = clip((t - w) / (T - w), 0, 1)``.
During warmup (``t < w``, ``r = t / w``) the shape is linear ``i + (p - i) r``,
cosine ``i + (p - i) (1 - cos(pi r)) / 2`` or exponential ``i (p / i) ** r``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence, Union

from warmup_spec import _checks as c

WARMUP_SHAPES = ("linear", "cosine", "exponential")
DECAY_SHAPES = ("linear", "cosine", "1-sqrt")
ANNEAL_SHAPES = ("cos", "linear")
UNTUNED_SHAPES = ("linear", "exponential")


class ScheduleSpec:
    """Base of all specs. ``name`` is the config/public name of the schedule."""

    name: ClassVar[str]

    def _set(self, attr: str, value: Any) -> None:
        object.__setattr__(self, attr, value)

    def params(self) -> dict[str, Any]:
        """The parameters as a dict (nested specs stay specs)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def _check_warmup(spec: Any, target: float, target_name: str = "peak_value") -> None:
    """Validates ``warmup_steps``, ``init_value`` and ``warmup_shape`` against ``target``."""
    n = spec.name
    spec._set("warmup_steps", c.integer(n, "warmup_steps", spec.warmup_steps, 0))
    spec._set(
        "warmup_shape", c.choice(n, "warmup_shape", spec.warmup_shape, WARMUP_SHAPES)
    )
    if spec.warmup_shape == "exponential":
        if target <= 0:  # exponential warmup towards 0 has no ratio to interpolate
            raise c.fail(n, target_name, target, "a finite number > 0 with warmup_shape='exponential'")
        x = spec.init_value
        if not (isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x <= target):
            raise c.fail(n, "init_value", x, f"a finite number in (0.0, {target!r}] with warmup_shape='exponential'")
        spec._set("init_value", float(x))
    else:
        spec._set("init_value", c.number(n, "init_value", spec.init_value, 0.0, target))


def _check_peak(spec: Any) -> None:
    spec._set("peak_value", c.number(spec.name, "peak_value", spec.peak_value, 0.0))


def _check_total(spec: Any) -> None:
    n, w = spec.name, spec.warmup_steps
    spec._set(
        "total_steps",
        c.integer(n, "total_steps", spec.total_steps, w + 1, lo_text=f"> warmup_steps ({w})"),
    )


def _check_end(spec: Any) -> None:
    spec._set(
        "end_value", c.number(spec.name, "end_value", spec.end_value, 0.0, spec.peak_value)
    )


@dataclass(frozen=True)
class WarmupConstant(ScheduleSpec):
    """Warmup to ``peak_value``, then constant: ``f(t) = p`` for ``t >= w``."""

    name: ClassVar[str] = "warmup_constant"
    peak_value: float
    warmup_steps: int = 0
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        _check_peak(self)
        _check_warmup(self, self.peak_value)


@dataclass(frozen=True)
class WarmupLinearDecay(ScheduleSpec):
    """Warmup, then linear decay: ``f(t) = p + (e - p) u``."""

    name: ClassVar[str] = "warmup_linear_decay"
    peak_value: float
    warmup_steps: int
    total_steps: int
    end_value: float = 0.0
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        _check_peak(self)
        _check_warmup(self, self.peak_value)
        _check_total(self)
        _check_end(self)


@dataclass(frozen=True)
class WarmupCosineDecay(ScheduleSpec):
    """Warmup, then cosine decay: ``f(t) = e + (p - e) ((1 + cos(pi u)) / 2) ** exponent``."""

    name: ClassVar[str] = "warmup_cosine_decay"
    peak_value: float
    warmup_steps: int
    total_steps: int
    end_value: float = 0.0
    exponent: float = 1.0
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        _check_peak(self)
        _check_warmup(self, self.peak_value)
        _check_total(self)
        _check_end(self)
        self._set("exponent", c.number(self.name, "exponent", self.exponent, 0.0, lo_open=True))


@dataclass(frozen=True)
class WarmupPolynomialDecay(ScheduleSpec):
    """Warmup, then polynomial decay: ``f(t) = e + (p - e) (1 - u) ** power``."""

    name: ClassVar[str] = "warmup_polynomial_decay"
    peak_value: float
    warmup_steps: int
    total_steps: int
    end_value: float = 0.0
    power: float = 1.0
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        _check_peak(self)
        _check_warmup(self, self.peak_value)
        _check_total(self)
        _check_end(self)
        self._set("power", c.number(self.name, "power", self.power, 0.0, lo_open=True))


@dataclass(frozen=True)
class WarmupExponentialDecay(ScheduleSpec):
    """Warmup, then ``f(t) = p * decay_rate ** q`` with ``q = (t - w) / transition_steps``.

    ``q`` is floored when ``staircase``. ``end_value`` is a floor when
    ``decay_rate < 1`` and a ceiling (required) when ``decay_rate > 1``.
    """

    name: ClassVar[str] = "warmup_exponential_decay"
    peak_value: float
    warmup_steps: int
    transition_steps: int
    decay_rate: float
    staircase: bool = False
    end_value: float | None = None
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        n = self.name
        _check_peak(self)
        _check_warmup(self, self.peak_value)
        self._set("transition_steps", c.integer(n, "transition_steps", self.transition_steps, 1))
        rate = c.number(n, "decay_rate", self.decay_rate, 0.0, lo_open=True)
        self._set("decay_rate", rate)
        self._set("staircase", c.flag(n, "staircase", self.staircase))
        p = self.peak_value
        if rate > 1:
            if self.end_value is None:
                raise c.fail(n, "end_value", None, f"a finite ceiling >= peak_value ({p!r}) when decay_rate > 1")
            self._set("end_value", c.number(n, "end_value", self.end_value, p))
        elif self.end_value is not None:
            self._set("end_value", c.number(n, "end_value", self.end_value, 0.0, p))


@dataclass(frozen=True)
class WarmupInverseSqrt(ScheduleSpec):
    """Warmup, then ``f(t) = p / sqrt((t - w + timescale) / timescale)``.

    ``timescale`` defaults to ``warmup_steps``.
    """

    name: ClassVar[str] = "warmup_inverse_sqrt"
    peak_value: float
    warmup_steps: int
    timescale: float | None = None
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        _check_peak(self)
        _check_warmup(self, self.peak_value)
        if self.timescale is None and self.warmup_steps == 0:
            raise c.fail(self.name, "timescale", None, "a finite number > 0 when warmup_steps=0")
        if self.timescale is not None:
            self._set("timescale", c.number(self.name, "timescale", self.timescale, 0.0, lo_open=True))

    @property
    def effective_timescale(self) -> float:
        return float(self.warmup_steps) if self.timescale is None else self.timescale


@dataclass(frozen=True)
class Noam(ScheduleSpec):
    """Vaswani et al. (2017): ``scale * d_model**-0.5 * min(s**-0.5, s * w**-1.5)``, ``s = t + 1``."""

    name: ClassVar[str] = "noam"
    d_model: float
    warmup_steps: int
    scale: float = 1.0

    def __post_init__(self) -> None:
        n = self.name
        self._set("d_model", c.number(n, "d_model", self.d_model, 0.0, lo_open=True))
        self._set("warmup_steps", c.integer(n, "warmup_steps", self.warmup_steps, 1))
        self._set("scale", c.number(n, "scale", self.scale, 0.0))


@dataclass(frozen=True)
class LegacyNoam(ScheduleSpec):
    """The copied ``adjust_learning_rate`` snippet: ``max_lr * min(s / w, w**0.5 / s)``, ``s = t + 1``.

    Its real peak is at ``s = w**0.75`` with value ``max_lr * w**-0.25`` (w=500:
    step 105, 21% of ``max_lr``); ``noam`` and ``warmup_inverse_sqrt`` are the
    corrected forms.
    """

    name: ClassVar[str] = "legacy_noam"
    max_lr: float
    warmup_steps: int

    def __post_init__(self) -> None:
        self._set("max_lr", c.number(self.name, "max_lr", self.max_lr, 0.0))
        self._set("warmup_steps", c.integer(self.name, "warmup_steps", self.warmup_steps, 1))


@dataclass(frozen=True)
class WarmupStableDecay(ScheduleSpec):
    """Warmup, hold ``p`` for ``stable_steps``, then decay to ``e`` over ``decay_steps``.

    With ``v = clip((t - w - stable_steps) / decay_steps, 0, 1)``:
    ``f(t) = e + (p - e) g(v)``, ``g`` = ``1 - v``, ``(1 + cos(pi v)) / 2`` or ``1 - sqrt(v)``.
    """

    name: ClassVar[str] = "warmup_stable_decay"
    peak_value: float
    warmup_steps: int
    stable_steps: int
    decay_steps: int
    end_value: float = 0.0
    decay_shape: str = "linear"
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        n = self.name
        _check_peak(self)
        _check_warmup(self, self.peak_value)
        self._set("stable_steps", c.integer(n, "stable_steps", self.stable_steps, 0))
        self._set("decay_steps", c.integer(n, "decay_steps", self.decay_steps, 1))
        _check_end(self)
        self._set("decay_shape", c.choice(n, "decay_shape", self.decay_shape, DECAY_SHAPES))

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.stable_steps + self.decay_steps


MIN_CYCLE_MUL = 1.001
"""The smallest ``cycle_mul`` above 1. Closer to 1, cycles stay short for so long that
the array forms' exact table of cycle boundaries (one entry per cycle starting within
int32 range) explodes (1e6 entries at 1.00001, 1e9 at 1.0000001: a build that never ends),
and the float64 boundaries ``L (m**c - 1) / (m - 1)`` lose ``1 / (m - 1)`` ulps."""


@dataclass(frozen=True)
class WarmupCosineRestarts(ScheduleSpec):
    """Warmup, then cosine cycles (SGDR) of length ``cycle_steps * cycle_mul**c``.

    In cycle ``c`` at position ``x`` of length ``L``:
    ``e + (p * cycle_decay**c - e) * (1 + cos(pi x / L)) / 2``; after
    ``cycle_limit`` cycles (if set) the value holds ``e``.
    """

    name: ClassVar[str] = "warmup_cosine_restarts"
    peak_value: float
    warmup_steps: int
    cycle_steps: int
    cycle_mul: float = 1.0
    cycle_decay: float = 1.0
    cycle_limit: int | None = None
    end_value: float = 0.0
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        n = self.name
        _check_peak(self)
        _check_warmup(self, self.peak_value)
        self._set("cycle_steps", c.integer(n, "cycle_steps", self.cycle_steps, 1))
        self._set("cycle_mul", c.number_or(n, "cycle_mul", self.cycle_mul, 1.0, MIN_CYCLE_MUL, 64.0))
        self._set("cycle_decay", c.number(n, "cycle_decay", self.cycle_decay, 0.0, 1.0, lo_open=True))
        if self.cycle_limit is not None:
            self._set("cycle_limit", c.integer(n, "cycle_limit", self.cycle_limit, 1))
        _check_end(self)

    def cycle_start(self, k: int) -> float:
        """Start of cycle ``k`` measured from the end of warmup (float64)."""
        m, L = self.cycle_mul, float(self.cycle_steps)
        return L * k if m == 1.0 else L * (m**k - 1.0) / (m - 1.0)


@dataclass(frozen=True)
class OneCycle(ScheduleSpec):
    """torch ``OneCycleLR`` (two phases), held at its final value from ``total_steps - 1``.

    Starts at ``max_value / div_factor``, anneals to ``max_value`` at step
    ``pct_start * total_steps - 1``, then to ``max_value / div_factor / final_div_factor``
    at step ``total_steps - 1``.
    """

    name: ClassVar[str] = "one_cycle"
    total_steps: int
    max_value: float
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal: str = "cos"

    def __post_init__(self) -> None:
        n = self.name
        self._set("total_steps", c.integer(n, "total_steps", self.total_steps, 2))
        self._set("max_value", c.number(n, "max_value", self.max_value, 0.0))
        T = self.total_steps
        self._set(
            "pct_start",
            c.number(n, "pct_start", self.pct_start, 1.0 / T, 1.0, lo_open=True, hi_open=True),
        )
        if float(self.pct_start * T) - 1.0 <= 0.0:  # torch's end of phase 1 rounds to step 0
            raise c.fail(n, "pct_start", self.pct_start, f"pct_start * total_steps > 1 (total_steps={T})")
        self._set("div_factor", c.number(n, "div_factor", self.div_factor, 0.0, lo_open=True))
        self._set(
            "final_div_factor",
            c.number(n, "final_div_factor", self.final_div_factor, 0.0, lo_open=True),
        )
        self._set("anneal", c.choice(n, "anneal", self.anneal, ANNEAL_SHAPES))

    @property
    def peak_step(self) -> float:
        """torch's end of phase 1, ``float(pct_start * total_steps) - 1``."""
        return float(self.pct_start * self.total_steps) - 1.0


@dataclass(frozen=True)
class TriStage(ScheduleSpec):
    """fairseq ``tri_stage``: warmup from ``p * init_scale``, hold ``p``, exponential decay.

    With ``v = clip((t - w - hold_steps) / decay_steps, 0, 1)`` after the hold:
    ``f(t) = p * exp(log(final_scale) * v)``.
    """

    name: ClassVar[str] = "tri_stage"
    peak_value: float
    warmup_steps: int
    hold_steps: int
    decay_steps: int
    init_scale: float = 0.01
    final_scale: float = 0.01
    warmup_shape: str = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        n = self.name
        _check_peak(self)
        lo_open = self.warmup_shape == "exponential"
        self._set("init_scale", c.number(n, "init_scale", self.init_scale, 0.0, 1.0, lo_open=lo_open))
        self._set("warmup_steps", c.integer(n, "warmup_steps", self.warmup_steps, 0))
        self._set("warmup_shape", c.choice(n, "warmup_shape", self.warmup_shape, WARMUP_SHAPES))
        if lo_open and self.peak_value <= 0:
            raise c.fail(n, "peak_value", self.peak_value, "a finite number > 0 with warmup_shape='exponential'")
        self._set("hold_steps", c.integer(n, "hold_steps", self.hold_steps, 0))
        self._set("decay_steps", c.integer(n, "decay_steps", self.decay_steps, 1))
        self._set("final_scale", c.number(n, "final_scale", self.final_scale, 0.0, 1.0, lo_open=True))

    @property
    def init_value(self) -> float:
        return self.peak_value * self.init_scale

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.hold_steps + self.decay_steps


# --- combinators -------------------------------------------------------------------

Base = Union[ScheduleSpec, Callable[[Any], Any]]
"""A base schedule: a spec, or a user's own ``step -> lr`` function (framework-native)."""


def _check_base(schedule: str, name: str, base: Any) -> None:
    if not (isinstance(base, ScheduleSpec) or callable(base)):
        raise c.fail(schedule, name, base, "a schedule spec, a schedule config or a callable step -> lr")


@dataclass(frozen=True)
class WithWarmup(ScheduleSpec):
    """Prepends a warmup to any ``base``: ``t < w`` warms up from ``i`` to ``base(0)``,
    ``t >= w`` gives ``base(t - w)`` (optax ``join_schedules`` semantics)."""

    name: ClassVar[str] = "with_warmup"
    base: Base
    warmup_steps: int
    init_value: float = 0.0
    warmup_shape: str = "linear"

    def __post_init__(self) -> None:
        n = self.name
        _check_base(n, "base", self.base)
        self._set("warmup_steps", c.integer(n, "warmup_steps", self.warmup_steps, 0))
        self._set("warmup_shape", c.choice(n, "warmup_shape", self.warmup_shape, WARMUP_SHAPES))
        lo_open = self.warmup_shape == "exponential"
        self._set("init_value", c.number(n, "init_value", self.init_value, 0.0, lo_open=lo_open))
        if lo_open and isinstance(self.base, ScheduleSpec):
            from warmup_spec.closed_form import value_at

            start = value_at(self.base, 0)
            if not start > 0.0:
                raise c.fail(n, "warmup_shape", "exponential", f"'linear' or 'cosine' for a base starting at 0 (base(0)={start!r})")


@dataclass(frozen=True)
class UntunedWarmup(ScheduleSpec):
    """Multiplies any ``base`` by the untuned warmup factor of Ma & Yarats (2019).

    linear: ``min(1, (1 - beta2) / 2 * (t + 1))``; exponential: ``1 - exp(-(1 - beta2) (t + 1))``.
    """

    name: ClassVar[str] = "untuned_warmup"
    base: Base
    beta2: float = 0.999
    shape: str = "linear"

    def __post_init__(self) -> None:
        n = self.name
        _check_base(n, "base", self.base)
        self._set("beta2", c.number(n, "beta2", self.beta2, 0.0, 1.0, hi_open=True))
        self._set("shape", c.choice(n, "shape", self.shape, UNTUNED_SHAPES))


@dataclass(frozen=True)
class Scale(ScheduleSpec):
    """``f(t) = factor * base(t)``."""

    name: ClassVar[str] = "scale"
    base: Base
    factor: float

    def __post_init__(self) -> None:
        _check_base(self.name, "base", self.base)
        self._set("factor", c.number(self.name, "factor", self.factor, 0.0))


@dataclass(frozen=True)
class Join(ScheduleSpec):
    """optax ``join_schedules``: from ``boundaries[k]`` on, ``schedules[k + 1](t - boundaries[k])``."""

    name: ClassVar[str] = "join"
    schedules: Sequence[Base]
    boundaries: Sequence[int]

    def __post_init__(self) -> None:
        n = self.name
        if not isinstance(self.schedules, (list, tuple)) or len(self.schedules) < 1:
            raise c.fail(n, "schedules", self.schedules, "a non-empty list of schedules")
        for k, s in enumerate(self.schedules):
            _check_base(n, f"schedules[{k}]", s)
        m = len(self.schedules) - 1
        if not isinstance(self.boundaries, (list, tuple)) or len(self.boundaries) != m:
            raise c.fail(n, "boundaries", self.boundaries, f"a list of {m} increasing integers (one fewer than schedules)")
        bs = [c.integer(n, f"boundaries[{k}]", b, 0) for k, b in enumerate(self.boundaries)]
        if any(b1 <= b0 for b0, b1 in zip(bs, bs[1:])):
            raise c.fail(n, "boundaries", self.boundaries, "strictly increasing integers")
        self._set("schedules", tuple(self.schedules))
        self._set("boundaries", tuple(bs))


SPECS: tuple[type[ScheduleSpec], ...] = (
    WarmupConstant,
    WarmupLinearDecay,
    WarmupCosineDecay,
    WarmupPolynomialDecay,
    WarmupExponentialDecay,
    WarmupInverseSqrt,
    Noam,
    LegacyNoam,
    WarmupStableDecay,
    WarmupCosineRestarts,
    OneCycle,
    TriStage,
    WithWarmup,
    UntunedWarmup,
    Scale,
    Join,
)
"""Every spec class, in catalogue order."""


def end_step(spec: ScheduleSpec) -> int | None:
    """The step from which ``spec`` holds its final value, or None if it never does."""
    if isinstance(spec, (WarmupLinearDecay, WarmupCosineDecay, WarmupPolynomialDecay)):
        return spec.total_steps
    if isinstance(spec, (WarmupStableDecay, TriStage)):
        return spec.total_steps
    if isinstance(spec, OneCycle):
        return spec.total_steps - 1
    if isinstance(spec, WarmupConstant):
        return spec.warmup_steps
    if isinstance(spec, WarmupCosineRestarts) and spec.cycle_limit is not None:
        return spec.warmup_steps + math.ceil(spec.cycle_start(spec.cycle_limit))
    return None
