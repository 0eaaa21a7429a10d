"""optax ``optax.schedules``, by its own names and parameters (``"optax.linear_schedule"``, ...).

Transcribed from ``optax/schedules/_schedule.py`` and ``optax/schedules/_join.py`` of
optax 0.2.8 and tested against optax itself (``parity_tests/anchors/optax_lr.py``),
under ``jax.enable_x64`` where optax computes in float64 (every schedule does). optax
schedules give absolute values (no ``lr``) and count optimizer updates from 0 (the int32
``count`` of the transformation holding the schedule).

optax's quirks are reproduced, not mended: ``transition_steps <= 0`` is a constant
``init_value`` (optax logs this), a negative ``transition_begin`` is 0,
``warmup_constant_schedule`` with ``warmup_steps=0`` is ``init_value`` forever,
``exponential_decay``'s ``end_value`` clips every step (the hold before
``transition_begin`` too), ``piecewise_interpolate_schedule`` interpolates from step 0
towards the first boundary's value, ``join_schedules`` pairs boundaries and schedules
with ``zip`` (the surplus is ignored; a later boundary overrides an earlier one), the
one-cycle boundaries are ``int(pct * transition_steps)`` built into a dict (equal keys
overwrite each other). What optax refuses (a ``ValueError``, a ``ZeroDivisionError``)
is refused here with our ``ValueError``; so is what gives optax ``inf``/``NaN`` (a
negative ``power``, ``exponent`` or ``decay_rate``). Everything else optax takes is taken:
any finite value (``init_value=-0.1``, ``end_value=-3.0``, ``alpha=-0.5``), any integer
step parameter (``decay_steps=10**10``, ``warmup_steps=-3``), and float counts (``2.5``),
computed as optax computes them.

Every schedule is a composition of the shared primitives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from warmup_spec import _checks as c
from warmup_spec.definition import BaseLike, ScheduleSpec, arg, definition, highest_peak, node_of
from warmup_spec.ports._base import FloatSteps, checked, growth_ceiling
from warmup_spec.primitives import Constant, Exponential, Interp, Join, Node
from warmup_spec.registry import Base, register, spec_from_config

# --- checks --------------------------------------------------------------------------

VALUE = c.Number()
"""A value (an lr, a ratio): optax takes any finite number."""
STEP = c.Integer(None)
"""A step parameter: optax takes any Python int."""


def _boundary(schedule: str, name: str, key: Any) -> int:
    """A boundary key: an int or a numeric string (JSON/TOML keys), within int32."""
    if isinstance(key, str):
        try:
            return STEP(schedule, name, int(key.strip()))
        except ValueError:
            raise c.fail(schedule, name, key, "an integer step or its string") from None
    return STEP(schedule, name, key)


class _Scales(c.Check):
    """``{step: scale}`` (keys ints or numeric strings, scales finite ``>= 0``, as optax
    requires), stored sorted with int keys; None stays None."""

    @property
    def text(self) -> str:
        return "a mapping {step: scale} or None"

    def __call__(self, schedule: str, name: str, table: Any) -> dict[int, float] | None:
        if table is None:
            return None
        if not isinstance(table, Mapping):
            raise c.fail(schedule, name, table, self.text)
        out: dict[int, float] = {}
        for key, scale in table.items():
            b = _boundary(schedule, f"{name} key", key)
            if b in out:
                raise c.fail(schedule, name, table, f"distinct steps (step {b} is given twice)")
            out[b] = c.number(schedule, f"{name}[{key!r}]", scale, 0.0)
        return dict(sorted(out.items()))


SCALES_DOC = "steps ints or numeric strings (JSON/TOML keys), scales finite ``>= 0``"


# --- the compositions, shared by the schedules that optax builds from each other ------


def _polynomial(init: float, end: float, power: float, steps: int, begin: int) -> Node:
    """optax ``polynomial_schedule``: ``(init - end) (1 - clip(t - begin, 0, steps) / steps) ** power + end``."""
    if steps <= 0 or power == 0.0 or init == end:  # optax's constant; frac ** 0 == 1 even at the end
        return Constant(init)
    begin = max(begin, 0)
    return Interp("linear", init, end, begin + steps, start=begin, power=power, label="transition")


def _exponential(init: float, steps: int, rate: float, begin: int, staircase: bool, end: float | None) -> Node:
    """optax ``exponential_decay``: ``init * rate ** ((t - begin) / steps)`` (floored with
    ``staircase``) from ``begin`` on, ``init`` before, then every step clipped by ``end``."""
    if steps <= 0 or rate == 0.0:  # optax returns the constant before it sets up the clip
        return Constant(init)
    begin = max(begin, 0)
    first = init if end is None else (max(init, end) if rate < 1.0 else min(init, end))
    # the clip binds at every step: the values lie between init and 0 (rate < 1) or beyond init
    pinned = end is not None and (max(init, 0.0) <= end if rate < 1.0 else 0.0 < init and end <= init)
    if rate == 1.0 or init == 0.0 or pinned:
        return Constant(first)
    bound = end if end is not None else growth_ceiling(init, rate)
    decay = Exponential(init, rate, steps, staircase=staircase, bound=bound, label="decay")
    return Join([Constant(first), decay], [begin], ["start of decay"])


def _cosine(init: float, steps: int, alpha: float, exponent: float) -> Node:
    """optax ``cosine_decay_schedule``: with ``x = min(t, steps)``,
    ``init ((1 - alpha) ((1 + cos(pi x / steps)) / 2) ** exponent + alpha)``."""
    if init == 0.0 or exponent == 0.0 or alpha == 1.0:
        return Constant(init)
    return Interp("cosine", init, init * alpha, steps, power=exponent, label="decay")


def _after_warmup(init: float, peak: float, warmup: int, after: Node) -> Node:
    """optax's ``join_schedules([linear_schedule(init, peak, warmup), after], [warmup])``: ``after``
    on its own clock from ``warmup`` on (mid-way at step 0 when ``warmup < 0``)."""
    if warmup == 0:
        return after
    if warmup < 0:
        return Join([Constant(init), after], [warmup])
    return Join([Interp("linear", init, peak, warmup, label="warmup"), after], [warmup], ["end of warmup"])


def _piecewise_interpolate(shape: str, init: float, table: Mapping[int, float] | None) -> Node:
    """optax ``piecewise_interpolate_schedule`` on steps ``>= 0``: ``bounds = (0, *sorted keys)``,
    ``values = cumprod((init, *scales))``; on ``[bounds[k], bounds[k + 1])`` from ``values[k]``
    to ``values[k + 1]``, ``values[-1]`` from ``bounds[-1]`` on."""
    items = sorted((table or {}).items())
    bounds, values = [0], [init]
    for b, scale in items:
        bounds.append(b)
        values.append(values[-1] * scale)
    pieces: list[Node] = []
    ends: list[int] = []
    for k in range(len(items)):
        lo, hi = bounds[k], bounds[k + 1]
        if hi <= max(lo, 0):  # empty on steps >= 0 (a boundary at or before 0, or before the previous)
            continue
        pieces.append(Interp(shape, values[k], values[k + 1], hi, start=lo))
        ends.append(hi)
    pieces.append(Constant(values[-1]))
    return pieces[0] if not ends else Join(pieces, ends, shift=False)


def _hashable(value: Any) -> Any:
    """``value`` with its dicts and lists as tuples (the specs holding dicts stay hashable)."""
    if isinstance(value, Mapping):
        return tuple((k, _hashable(v)) for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def _hash(spec: ScheduleSpec) -> int:
    return hash((type(spec), *(_hashable(v) for v in spec.params().values())))


def _peak(spec: Any, *names: str) -> tuple[str, float] | None:
    """The largest of the named values, as the nominal peak."""
    return max(((n, float(getattr(spec, n))) for n in names if getattr(spec, n) is not None), key=lambda p: p[1])


# --- the schedules ------------------------------------------------------------------------



def _exponential_equivalent(peak: float, warmup: int, init: float, spec: Any) -> dict[str, Any] | None:
    """The catalogue's ``warmup_exponential_decay`` equal to an optax exponential decay after
    a warmup, where there is one (no ``transition_begin``, a real decay or growth)."""
    rate, end, steps = spec.decay_rate, spec.end_value, spec.transition_steps
    if steps <= 0 or spec.transition_begin != 0 or rate in (0.0, 1.0) or init > peak:
        return None
    if end is None:
        end = growth_ceiling(peak, rate)
    elif (rate < 1.0 and end > peak) or (rate > 1.0 and end < peak):
        return None
    return checked({"schedule": "warmup_exponential_decay", "peak_value": peak, "warmup_steps": warmup,
                    "init_value": init, "transition_steps": steps, "decay_rate": rate, "staircase": spec.staircase,
                    "end_value": end})

@register
@definition
class ConstantSchedule(FloatSteps):
    """optax ``constant_schedule(value)``: ``value`` at every step.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8).
    """

    schedule: ClassVar[str] = "optax.constant_schedule"
    value: float = arg(VALUE)

    def compose(self) -> Node:
        return Constant(self.value)

    def nominal_peak(self) -> tuple[str, float] | None:
        return "value", self.value


@register
@definition
class PolynomialSchedule(FloatSteps):
    """optax ``polynomial_schedule``: with ``x = clip(t - transition_begin, 0, transition_steps)``,
    ``(init_value - end_value) (1 - x / transition_steps) ** power + end_value``.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks: ``transition_steps
    <= 0`` is ``init_value`` at every step; a negative ``transition_begin`` is 0; ``power=0``
    is ``init_value`` at every step (``0 ** 0 == 1`` at the end too). A negative ``power``
    (``inf`` at the end in optax) is refused. Under ``jit`` optax divides by a rounded
    reciprocal: its float32 ``power=0.5`` decay ends at ``end_value + 4.6e-9`` instead of
    ``end_value`` (``0.0003 -> 1e-6`` over 257 steps), its x64 one at ``NaN``; we give ``end_value``.
    """

    schedule: ClassVar[str] = "optax.polynomial_schedule"
    init_value: float = arg(VALUE)
    end_value: float = arg(VALUE)
    power: float = arg(c.Number(0.0))
    transition_steps: int = arg(STEP)
    transition_begin: int = arg(STEP, default=0)

    def compose(self) -> Node:
        return _polynomial(self.init_value, self.end_value, self.power, self.transition_steps, self.transition_begin)

    def nominal_peak(self) -> tuple[str, float] | None:
        return _peak(self, "init_value", "end_value")


@register
@definition
class LinearSchedule(FloatSteps):
    """optax ``linear_schedule``: ``polynomial_schedule`` with ``power=1``: from ``init_value``
    at ``transition_begin`` to ``end_value`` at ``transition_begin + transition_steps``.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks: ``transition_steps
    <= 0`` is ``init_value`` at every step; a negative ``transition_begin`` is 0.
    """

    schedule: ClassVar[str] = "optax.linear_schedule"
    init_value: float = arg(VALUE)
    end_value: float = arg(VALUE)
    transition_steps: int = arg(STEP)
    transition_begin: int = arg(STEP, default=0)

    def compose(self) -> Node:
        return _polynomial(self.init_value, self.end_value, 1.0, self.transition_steps, self.transition_begin)

    def nominal_peak(self) -> tuple[str, float] | None:
        return _peak(self, "init_value", "end_value")


@register
@definition
class ExponentialDecay(FloatSteps):
    """optax ``exponential_decay``: with ``d = t - transition_begin``, ``init_value`` where
    ``d <= 0``, else ``init_value * decay_rate ** (d / transition_steps)`` (the exponent
    floored with ``staircase``); then, if ``end_value`` is set, ``max(value, end_value)``
    when ``decay_rate < 1`` and ``min(value, end_value)`` otherwise.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks:
    ``transition_steps <= 0`` or ``decay_rate == 0`` is ``init_value`` at every step
    (``end_value`` ignored); a negative ``transition_begin`` is 0; ``end_value`` clips EVERY
    step, the hold before ``transition_begin`` too (``init_value=1, decay_rate=0.5,
    end_value=2``: 2 everywhere; ``decay_rate=1, end_value=0.5``: 0.5 everywhere). A growth
    (``decay_rate > 1``, an lr range test) without ``end_value`` holds 3e38 where optax's
    float32 overflows to ``inf`` (and ``init_value=0`` gives ``0 * inf = NaN`` in optax, 0
    here). A negative ``decay_rate`` (``NaN`` in optax) is refused.
    """

    schedule: ClassVar[str] = "optax.exponential_decay"
    init_value: float = arg(VALUE)
    transition_steps: int = arg(STEP)
    decay_rate: float = arg(c.Number(0.0))
    transition_begin: int = arg(STEP, default=0)
    staircase: bool = arg(c.Flag(), default=False)
    end_value: float | None = arg(c.OrNone(VALUE), default=None)

    def equivalent(self) -> dict[str, Any] | None:
        return _exponential_equivalent(self.init_value, 0, 0.0, self)

    def compose(self) -> Node:
        return _exponential(self.init_value, self.transition_steps, self.decay_rate, self.transition_begin,
                            self.staircase, self.end_value)

    def nominal_peak(self) -> tuple[str, float] | None:
        return "init_value", self.init_value


@register
@definition
class CosineDecaySchedule(FloatSteps):
    """optax ``cosine_decay_schedule``: with ``x = min(t, decay_steps)``,
    ``init_value ((1 - alpha) ((1 + cos(pi x / decay_steps)) / 2) ** exponent + alpha)``;
    ``init_value * alpha`` from ``decay_steps`` on (``alpha`` is a RATIO of ``init_value``).

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). optax raises for
    ``decay_steps <= 0``, so do we. ``alpha > 1`` rises to ``alpha * init_value``;
    ``exponent=0`` is ``init_value`` at every step; a negative ``alpha`` ends below 0. A
    negative ``exponent`` (``inf`` at the end in optax) is refused.
    """

    schedule: ClassVar[str] = "optax.cosine_decay_schedule"
    init_value: float = arg(VALUE)
    decay_steps: int = arg(c.Integer(1))
    alpha: float = arg(VALUE, default=0.0)
    exponent: float = arg(c.Number(0.0), default=1.0)

    def equivalent(self) -> dict[str, Any] | None:
        if self.decay_steps <= 0 or not 0.0 <= self.alpha <= 1.0:
            return None
        return checked({"schedule": "warmup_cosine_decay", "peak_value": self.init_value, "warmup_steps": 0,
                        "total_steps": self.decay_steps, "end_value": self.alpha * self.init_value,
                        "exponent": self.exponent})

    def compose(self) -> Node:
        return _cosine(self.init_value, self.decay_steps, self.alpha, self.exponent)

    def nominal_peak(self) -> tuple[str, float] | None:
        return "init_value", self.init_value


@register
@definition
class WarmupCosineDecaySchedule(FloatSteps):
    """optax ``warmup_cosine_decay_schedule``: ``join_schedules([linear_schedule(init_value,
    peak_value, warmup_steps), cosine_decay_schedule(peak_value, decay_steps - warmup_steps,
    alpha, exponent)], [warmup_steps])`` with ``alpha = end_value / peak_value`` (0 if
    ``peak_value == 0``).

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks: ``decay_steps``
    INCLUDES the warmup (the cosine lasts ``decay_steps - warmup_steps``, which optax requires
    ``> 0``); the end value is ``peak_value * (end_value / peak_value)`` (may differ from
    ``end_value`` in the last bit); ``peak_value=0`` ignores ``end_value`` (0 after warmup);
    ``end_value > peak_value`` rises after the warmup; a negative ``warmup_steps`` shifts the
    cosine (at step 0 it is ``-warmup_steps`` steps in).
    """

    schedule: ClassVar[str] = "optax.warmup_cosine_decay_schedule"
    init_value: float = arg(VALUE)
    peak_value: float = arg(VALUE)
    warmup_steps: int = arg(STEP)
    decay_steps: int = arg(None, "an integer > warmup_steps (warmup included)")
    end_value: float = arg(VALUE, default=0.0)
    exponent: float = arg(c.Number(0.0), default=1.0)

    def validate(self) -> None:
        w = self.warmup_steps
        self._set("decay_steps", c.integer(self.schedule, "decay_steps", self.decay_steps, w + 1,
                                           lo_text=f"> warmup_steps ({w})"))

    def equivalent(self) -> dict[str, Any] | None:
        p, w = self.peak_value, self.warmup_steps
        if not (self.init_value <= p and self.end_value <= p):
            return None
        return checked({"schedule": "warmup_cosine_decay", "peak_value": p, "warmup_steps": w,
                        "init_value": self.init_value, "total_steps": self.decay_steps, "end_value": self.end_value,
                        "exponent": self.exponent})

    def compose(self) -> Node:
        p = self.peak_value
        alpha = 0.0 if p == 0.0 else self.end_value / p
        decay = _cosine(p, self.decay_steps - self.warmup_steps, alpha, self.exponent)
        return _after_warmup(self.init_value, p, self.warmup_steps, decay)


@register
@definition
class WarmupExponentialDecaySchedule(FloatSteps):
    """optax ``warmup_exponential_decay_schedule``: ``join_schedules([linear_schedule(init_value,
    peak_value, warmup_steps), exponential_decay(peak_value, transition_steps, decay_rate,
    transition_begin, staircase, end_value)], [warmup_steps])``.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Every quirk of
    ``optax.exponential_decay`` applies after the warmup (``transition_begin`` counts from
    the end of the warmup; ``end_value`` clips every step after it, not the warmup); a
    negative ``warmup_steps`` starts the decay ``-warmup_steps`` steps in at step 0.
    """

    schedule: ClassVar[str] = "optax.warmup_exponential_decay_schedule"
    init_value: float = arg(VALUE)
    peak_value: float = arg(VALUE)
    warmup_steps: int = arg(STEP)
    transition_steps: int = arg(STEP)
    decay_rate: float = arg(c.Number(0.0))
    transition_begin: int = arg(STEP, default=0)
    staircase: bool = arg(c.Flag(), default=False)
    end_value: float | None = arg(c.OrNone(VALUE), default=None)

    def equivalent(self) -> dict[str, Any] | None:
        return _exponential_equivalent(self.peak_value, self.warmup_steps, self.init_value, self)

    def compose(self) -> Node:
        decay = _exponential(self.peak_value, self.transition_steps, self.decay_rate, self.transition_begin,
                             self.staircase, self.end_value)
        return _after_warmup(self.init_value, self.peak_value, self.warmup_steps, decay)


@register
@definition
class WarmupConstantSchedule(FloatSteps):
    """optax ``warmup_constant_schedule``: ``linear_schedule(init_value, peak_value, warmup_steps)``.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirk: ``warmup_steps <= 0``
    is ``init_value`` at EVERY step (the linear schedule's ``transition_steps <= 0``), never
    ``peak_value``.
    """

    schedule: ClassVar[str] = "optax.warmup_constant_schedule"
    init_value: float = arg(VALUE)
    peak_value: float = arg(VALUE)
    warmup_steps: int = arg(STEP)

    def equivalent(self) -> dict[str, Any] | None:
        if self.warmup_steps <= 0 or self.init_value > self.peak_value:
            return None
        return checked({"schedule": "warmup_constant", "peak_value": self.peak_value,
                        "warmup_steps": self.warmup_steps, "init_value": self.init_value})

    def compose(self) -> Node:
        return _polynomial(self.init_value, self.peak_value, 1.0, self.warmup_steps, 0)


@register
@definition
class PiecewiseConstantSchedule(FloatSteps):
    """optax ``piecewise_constant_schedule``: ``init_value`` times the product of the scales of
    every boundary ``<= t`` (``{step: scale}``; in a JSON/TOML config the steps are strings).

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks: the scales
    MULTIPLY (``{100: 0.1, 200: 0.1}`` is 0.01 from step 200); a boundary at or before 0
    scales from step 0; negative scales raise (as in optax). Steps are ints or numeric
    strings within int32; two keys naming one step are refused.
    """

    schedule: ClassVar[str] = "optax.piecewise_constant_schedule"
    init_value: float = arg(VALUE)
    boundaries_and_scales: Mapping[int, float] | None = arg(_Scales(), SCALES_DOC, default=None)

    __hash__ = _hash  # a dict parameter: hashed as sorted pairs

    def compose(self) -> Node:
        v = first = self.init_value
        values: list[float] = []
        bounds: list[int] = []
        for b, scale in (self.boundaries_and_scales or {}).items():  # sorted
            v = scale * v  # optax's order of the products, exactly
            if b <= 0:
                first = v
            else:
                values.append(v)
                bounds.append(b)
        if not bounds:
            return Constant(first)
        return Join([Constant(first), *(Constant(x) for x in values)], bounds, shift=False)

    def nominal_peak(self) -> tuple[str, float] | None:
        return "init_value", self.init_value


@register
@definition
class PiecewiseInterpolateSchedule(FloatSteps):
    """optax ``piecewise_interpolate_schedule``: with ``bounds = (0, *sorted steps)`` and
    ``values = cumprod((init_value, *scales))``, on ``[bounds[k], bounds[k + 1])`` the
    ``interpolate_type`` (``"linear"`` or ``"cosine"``) interpolation from ``values[k]`` to
    ``values[k + 1]`` at ``pct = (t - bounds[k]) / (bounds[k + 1] - bounds[k])``;
    ``values[-1]`` from the last boundary on.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks: it moves from
    step 0 towards the first boundary's value (not piecewise constant); scales multiply; a
    boundary at 0 scales ``init_value`` from step 0; a negative boundary makes the piece
    after it start mid-way at step 0. Negative scales and other types raise (as in optax).
    """

    schedule: ClassVar[str] = "optax.piecewise_interpolate_schedule"
    interpolate_type: Literal["linear", "cosine"] = arg(c.Choice(("linear", "cosine")))
    init_value: float = arg(VALUE)
    boundaries_and_scales: Mapping[int, float] | None = arg(_Scales(), SCALES_DOC, default=None)

    __hash__ = _hash  # a dict parameter: hashed as sorted pairs

    def compose(self) -> Node:
        return _piecewise_interpolate(self.interpolate_type, self.init_value, self.boundaries_and_scales)

    def nominal_peak(self) -> tuple[str, float] | None:
        return "init_value", self.init_value


@register
@definition
class JoinSchedules(FloatSteps):
    """optax ``join_schedules``: ``out = schedules[0](t)``, then for each ``(boundary, s)`` of
    ``zip(boundaries, schedules[1:])``: ``out = s(t - boundary)`` where ``t >= boundary``.

    Transcribed from ``optax/schedules/_join.py`` (optax 0.2.8). Quirks: each schedule runs on
    its own clock from its boundary; ``zip`` ignores surplus schedules or boundaries; the
    boundaries need not increase: a later one overrides an earlier (``[10, 5]``: the third
    schedule from step 5, the second never); a negative boundary starts its schedule mid-way.
    ``schedules`` are configs, specs, ``Schedule``s or a user's ``step -> lr`` functions.
    """

    schedule: ClassVar[str] = "optax.join_schedules"
    step_lists: ClassVar[tuple[str, ...]] = ("boundaries",)
    schedules: Sequence[BaseLike] = arg(c.ListOf(Base(), "a non-empty list of schedules", 1))  # optax: IndexError
    boundaries: Sequence[int] = arg(c.ListOf(STEP, "a list of integer steps"))

    def float_steps(self) -> bool:  # a user's function takes what it takes; a spec says
        return all(s.float_steps() for s in self.schedules if isinstance(s, ScheduleSpec))

    def compose(self) -> Node:
        pairs = list(zip(self.boundaries, self.schedules[1:]))
        pieces, bounds = [node_of(self.schedules[0])], []
        for k, (b, s) in enumerate(pairs):
            if any(later <= b for later, _ in pairs[k + 1:]):  # overridden at every step
                continue
            pieces.append(node_of(s))
            bounds.append(b)
        return pieces[0] if not bounds else Join(pieces, bounds)

    def nominal_peak(self) -> tuple[str, float] | None:
        return highest_peak(self.schedules)


@register
@definition
class SgdrSchedule(FloatSteps):
    """optax ``sgdr_schedule``: ``join_schedules([warmup_cosine_decay_schedule(**kw) for kw in
    cosine_kwargs], boundaries)`` with the boundaries the running sums of the ``decay_steps``.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Each cycle lasts its
    ``decay_steps`` (its warmup included) and runs on its own clock; the last cycle holds its
    end value forever. ``cosine_kwargs`` is a non-empty list of
    ``optax.warmup_cosine_decay_schedule`` parameter dicts (checked as that schedule's).
    """

    schedule: ClassVar[str] = "optax.sgdr_schedule"
    cosine_kwargs: Sequence[Mapping[str, Any]] = arg(None, "a non-empty list of "
                                                     "``optax.warmup_cosine_decay_schedule`` parameter dicts")

    def validate(self) -> None:
        n = self.schedule
        kws = self.cosine_kwargs
        if not isinstance(kws, (list, tuple)) or not kws or not all(isinstance(k, Mapping) for k in kws):
            raise c.fail(n, "cosine_kwargs", kws, "a non-empty list of warmup_cosine_decay_schedule parameter dicts")
        out = []
        for k, kw in enumerate(kws):
            if "schedule" in kw:
                raise c.fail(n, f"cosine_kwargs[{k}]", dict(kw), "parameters only (no 'schedule' key)")
            out.append(self._cycle(kw).params())
        self._set("cosine_kwargs", tuple(out))

    @staticmethod
    def _cycle(kw: Mapping[str, Any]) -> WarmupCosineDecaySchedule:
        spec = spec_from_config({"schedule": WarmupCosineDecaySchedule.schedule, **kw})
        assert isinstance(spec, WarmupCosineDecaySchedule)
        return spec

    __hash__ = _hash  # a dict parameter: hashed as sorted pairs

    def compose(self) -> Node:
        cycles = [self._cycle(kw) for kw in self.cosine_kwargs]
        ends = list(_running_sums([cy.decay_steps for cy in cycles]))
        return Join([cy.compose() for cy in cycles], ends[:-1], [f"restart {k + 1}" for k in range(len(ends) - 1)])

    def nominal_peak(self) -> tuple[str, float] | None:
        k, p = max(enumerate(kw["peak_value"] for kw in self.cosine_kwargs), key=lambda kp: kp[1])
        return f"cosine_kwargs[{k}].peak_value", float(p)

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = self.cosine_kwargs[0]["warmup_steps"]
        return w, ((w,) if w > 0 else ())


def _running_sums(xs: Sequence[int]) -> list[int]:
    out, s = [], 0
    for x in xs:
        s += x
        out.append(s)
    return out


DIV = c.Number(0.0, lo_open=True)
"""A one-cycle's ``div_factor``, ``final_div_factor``: optax divides by them (ZeroDivisionError
at 0) and refuses the negative scales they make."""


def _onecycle_warmup(spec: Any) -> tuple[int | None, tuple[int, ...]]:
    k = max(int(spec.pct_start * spec.transition_steps), 0)
    return k, ((k,) if k > 0 else ())


@register
@definition
class LinearOnecycleSchedule(FloatSteps):
    """optax ``linear_onecycle_schedule``: ``piecewise_interpolate_schedule("linear", peak_value /
    div_factor, {int(pct_start * T): div_factor, int(pct_final * T): 1 / div_factor,
    T: 1 / final_div_factor})`` with ``T = transition_steps``: three linear phases, up to
    ``peak_value`` at ``int(pct_start * T)``, back down to ``peak_value / div_factor`` at
    ``int(pct_final * T)``, then to ``peak_value / div_factor / final_div_factor`` at ``T``, held.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks: the boundaries
    are truncated (``int``); they are dict keys, so equal ones overwrite each other
    (``int(pct_final * T) == T`` drops the second phase's end: the last scale is
    ``1 / final_div_factor`` from the peak); ``pct_start > pct_final`` sorts them the other
    way round. optax raises for ``transition_steps <= 0`` and (dividing by it, or by
    refusing a negative scale) for ``div_factor``/``final_div_factor <= 0``; so do we.
    """

    schedule: ClassVar[str] = "optax.linear_onecycle_schedule"
    transition_steps: int = arg(c.Integer(1))  # optax raises for transition_steps <= 0
    peak_value: float = arg(VALUE)
    pct_start: float = arg(VALUE, default=0.3)
    pct_final: float = arg(VALUE, default=0.85)
    div_factor: float = arg(DIV, default=25.0)
    final_div_factor: float = arg(DIV, default=1e4)

    def compose(self) -> Node:
        T, div = self.transition_steps, self.div_factor
        table = {  # optax's own dict: equal keys overwrite
            int(self.pct_start * T): div,
            int(self.pct_final * T): 1.0 / div,
            T: 1.0 / self.final_div_factor,
        }
        return _piecewise_interpolate("linear", self.peak_value / div, table)

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return _onecycle_warmup(self)


@register
@definition
class CosineOnecycleSchedule(FloatSteps):
    """optax ``cosine_onecycle_schedule``: ``piecewise_interpolate_schedule("cosine", peak_value /
    div_factor, {int(pct_start * T): div_factor, int(T): 1 / (div_factor * final_div_factor)})``
    with ``T = transition_steps``: cosine up to ``peak_value`` at ``int(pct_start * T)``, cosine
    down to ``peak_value / (div_factor * final_div_factor)`` at ``T``, held.

    Transcribed from ``optax/schedules/_schedule.py`` (optax 0.2.8). Quirks: the peak step is
    truncated, ``int(pct_start * T)`` (torch's ``OneCycleLR`` peaks at ``pct_start * T - 1``
    and ends at ``T - 1``); ``int(pct_start * T) == T`` (``pct_start=1``) overwrites the peak:
    it decays from step 0 and never reaches ``peak_value``; ``int(pct_start * T) == 0`` starts
    at the peak. Refusals as ``optax.linear_onecycle_schedule``.
    """

    schedule: ClassVar[str] = "optax.cosine_onecycle_schedule"
    transition_steps: int = arg(c.Integer(1))  # optax raises for transition_steps <= 0
    peak_value: float = arg(VALUE)
    pct_start: float = arg(VALUE, default=0.3)
    div_factor: float = arg(DIV, default=25.0)
    final_div_factor: float = arg(DIV, default=1e4)

    def compose(self) -> Node:
        T, div = self.transition_steps, self.div_factor
        table = {int(self.pct_start * T): div, int(T): 1.0 / (div * self.final_div_factor)}
        return _piecewise_interpolate("cosine", self.peak_value / div, table)

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return _onecycle_warmup(self)
