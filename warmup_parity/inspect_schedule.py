"""Diagnose a schedule config: where it peaks, where it ends, and what will surprise you.

:func:`diagnose` evaluates a config on the host in float64 with the vectorised NumPy
table of :mod:`warmup_spec.tables` (tens of millions of steps a second; never eager ``jnp``)
over steps ``0..H`` and returns a frozen :class:`Diagnosis`; :func:`format_diagnosis`
renders it one fact a line.

The horizon ``H`` (see :func:`default_horizon`):

- ``horizon`` when given;
- for a schedule that reaches its final value at step ``E``: ``E + ceil(E / 10) + 10``;
- for one that never does (inverse sqrt, ``noam``, ``legacy_noam``, exponential decay
  without a reachable floor, cosine restarts without ``cycle_limit``):
  ``10 * warmup_steps`` (``10 * timescale`` without warmup) for the inverse-sqrt
  family; three cycles plus 10% for cosine restarts; for exponential decay the step at
  which it falls to 1% of its peak (at least ``10 * transition_steps``), capped at
  ``MAX_DEFAULT_HORIZON``; combinators add their offsets to their parts' horizons.

Everything schedule-specific (nominal peak, warmup length, join steps, end step) is
found through tables keyed by the spec TYPE, never by the name string.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from warmup_spec import specs as S
from warmup_spec.closed_form import spec_of
from warmup_spec.registry import spec_to_config

__all__ = [
    "Diagnosis",
    "JoinCheck",
    "MAX_DEFAULT_HORIZON",
    "JUMP_RATIO",
    "default_horizon",
    "diagnose",
    "format_diagnosis",
]

JUMP_RATIO = 5.0
"""A join is a discontinuity when its jump exceeds this many times the largest
step-to-step change in the ``NEIGHBOURS`` steps on either side (and 1e-6 of the peak)."""
NEIGHBOURS = 3
MAX_DEFAULT_HORIZON = 1_000_000
"""Cap on a never-ending schedule's default horizon (a given ``horizon`` is not capped)."""
CALLABLE_HORIZON = 10_000
"""Default horizon of a user's own ``step -> lr`` base (nothing is known about it)."""
PEAK_SHORTFALL = 1e-3
"""A peak more than this fraction below the nominal peak is warned about."""
WARMUP_FRACTION = 0.5
"""Warmups longer than this fraction of the total steps are warned about."""


# --- per-type tables ---------------------------------------------------------------

_PEAK_VALUE_SPECS = (
    S.WarmupConstant,
    S.WarmupLinearDecay,
    S.WarmupCosineDecay,
    S.WarmupPolynomialDecay,
    S.WarmupExponentialDecay,
    S.WarmupInverseSqrt,
    S.WarmupStableDecay,
    S.WarmupCosineRestarts,
    S.TriStage,
)
_WARMUP_SPECS = _PEAK_VALUE_SPECS + (S.WithWarmup,)


def _nominal_peak(spec: Any) -> tuple[str, float] | None:
    """(what the user set as the peak, its value), or None when nothing nominal exists."""
    fn = NOMINAL_PEAK.get(type(spec))
    return fn(spec) if fn is not None else None


def _scaled(spec: S.Scale) -> tuple[str, float] | None:
    inner = _nominal_peak(spec.base)
    return None if inner is None else (f"factor * {inner[0]}", spec.factor * inner[1])


def _join_peak(spec: S.Join) -> tuple[str, float] | None:
    parts = [(k, _nominal_peak(s)) for k, s in enumerate(spec.schedules)]
    parts = [(k, p) for k, p in parts if p is not None]
    if not parts:
        return None
    k, (what, value) = max(parts, key=lambda kp: kp[1][1])
    return f"schedules[{k}].{what}", value


NOMINAL_PEAK: dict[type, Callable[[Any], tuple[str, float] | None]] = {
    **{cls: (lambda s: ("peak_value", s.peak_value)) for cls in _PEAK_VALUE_SPECS},
    S.LegacyNoam: lambda s: ("max_lr", s.max_lr),
    S.OneCycle: lambda s: ("max_value", s.max_value),
    S.Noam: lambda s: (
        "scale * (d_model * warmup_steps)**-0.5",
        s.scale * (s.d_model * s.warmup_steps) ** -0.5,
    ),
    S.WithWarmup: lambda s: _nominal_peak(s.base),
    S.UntunedWarmup: lambda s: _nominal_peak(s.base),
    S.Scale: _scaled,
    S.Join: _join_peak,
}
"""Spec type -> (name of the nominal peak, its value): what the user asked the lr to peak at."""

PEAK_ADVICE: dict[type, str] = {
    S.LegacyNoam: (
        "the copied adjust_learning_rate snippet peaks at s = warmup_steps**0.75 with "
        "max_lr * warmup_steps**-0.25, not at warmup_steps; use `noam` or "
        "`warmup_inverse_sqrt` (the corrected forms) to reach the peak at warmup_steps"
    ),
    S.UntunedWarmup: "the base decays while the untuned warmup factor is still below 1",
    S.OneCycle: "pct_start * total_steps - 1 is not an integer step, so no step lands on the peak",
}
"""Spec type -> what to do about a peak below the nominal one."""


def _untuned_end(spec: S.UntunedWarmup) -> int:
    """First step at which the untuned factor is 1 (linear), or the 2 / (1 - beta2)
    rule of thumb (exponential, which never reaches 1)."""
    a = 1 - spec.beta2
    if spec.shape == "exponential":
        return math.ceil(2 / a)
    t = max(math.ceil(2 / a) - 2, 0)
    while min(1.0, a / 2 * (t + 1)) < 1.0:  # the same expression the schedule evaluates
        t += 1
    return t


def _warmup(spec: Any) -> tuple[int | None, tuple[int, ...]]:
    """(number of warmup steps, the steps at which to report the end-of-warmup value)."""
    if isinstance(spec, _WARMUP_SPECS):
        w = spec.warmup_steps
        return w, ((w,) if w > 0 else ())
    if isinstance(spec, (S.Noam, S.LegacyNoam)):
        w = spec.warmup_steps
        return w, tuple(sorted({max(w - 1, 0), w}))
    if isinstance(spec, S.OneCycle):
        ps = spec.peak_step
        return math.ceil(ps), tuple(sorted({max(math.floor(ps), 0), max(math.ceil(ps), 0)}))
    if isinstance(spec, S.UntunedWarmup):
        n = _untuned_end(spec)
        return n, (n,)
    if isinstance(spec, S.Scale):
        return _warmup(spec.base)
    if isinstance(spec, S.Join):
        n, at = _warmup(spec.schedules[0])
        b = spec.boundaries[0] if spec.boundaries else None
        if n is not None and b is not None and n > b:
            return b, (b,)
        return n, at
    return None, ()


def _exp_end(spec: S.WarmupExponentialDecay) -> int | None:
    """The first step from which the exponential decay holds its end_value, or None."""
    p, w, rate, e = spec.peak_value, spec.warmup_steps, spec.decay_rate, spec.end_value
    if rate == 1.0 or p == 0.0 or (e is not None and e == p):
        return w
    if e is None or e <= 0.0:
        return None
    from warmup_spec.closed_form import Schedule

    f = Schedule(spec)
    q = math.log(e / p) / math.log(rate)
    ts = spec.transition_steps
    c = w + (math.ceil(q) * ts if spec.staircase else math.ceil(q * ts))
    c = max(c, w)
    while c > w and f(c - 1) == e:  # fix float rounding of the estimate by evaluation
        c -= 1
    while f(c) != e:
        c += 1
    return c


def schedule_end(spec: Any) -> int | None:
    """``warmup_spec.end_step`` extended to exponential floors and combinators."""
    if isinstance(spec, S.WarmupExponentialDecay):
        return _exp_end(spec)
    if isinstance(spec, S.WithWarmup):
        e = schedule_end(spec.base)
        return None if e is None else spec.warmup_steps + e
    if isinstance(spec, S.Scale):
        return 0 if spec.factor == 0 else schedule_end(spec.base)
    if isinstance(spec, S.UntunedWarmup):
        e = schedule_end(spec.base)
        if e is None or spec.shape == "exponential":
            return None
        return max(e, _untuned_end(spec))
    if isinstance(spec, S.Join):
        e = schedule_end(spec.schedules[-1])
        b = spec.boundaries[-1] if spec.boundaries else 0
        return None if e is None else b + e
    if isinstance(spec, S.ScheduleSpec):
        return S.end_step(spec)
    return None


def _open_horizon(spec: Any) -> tuple[int, str]:
    """(default horizon, how it was chosen) for a schedule that never ends."""
    if isinstance(spec, (S.WarmupInverseSqrt, S.Noam, S.LegacyNoam)):
        w = spec.warmup_steps
        if w > 0:
            return 10 * w, "10 * warmup_steps"
        return 10 * math.ceil(spec.effective_timescale), "10 * timescale"
    if isinstance(spec, S.WarmupCosineRestarts):
        return (
            spec.warmup_steps + math.ceil(1.1 * spec.cycle_start(3)) + 10,
            "warmup_steps + three cycles + 10%",
        )
    if isinstance(spec, S.WarmupExponentialDecay):
        w, ts, rate = spec.warmup_steps, spec.transition_steps, spec.decay_rate
        n = 10 * ts
        if rate < 1:
            n = max(n, math.ceil(math.log(0.01) / math.log(rate)) * ts)
        return min(w + n, MAX_DEFAULT_HORIZON), "until the lr falls to 1% of its peak"
    if isinstance(spec, S.WithWarmup):
        h, how = _horizon(spec.base)
        return spec.warmup_steps + h, f"warmup_steps + base's ({how})"
    if isinstance(spec, (S.Scale, S.UntunedWarmup)):
        h, how = _horizon(spec.base)
        if isinstance(spec, S.UntunedWarmup):
            h = max(h, 2 * _untuned_end(spec))
        return h, how
    if isinstance(spec, S.Join):
        last = spec.schedules[-1]
        h, how = _horizon(last)
        b = spec.boundaries[-1] if spec.boundaries else 0
        return b + h, f"last boundary + last schedule's ({how})"
    return CALLABLE_HORIZON, f"{CALLABLE_HORIZON} steps (a user function)"


def _horizon(spec: Any) -> tuple[int, str]:
    e = schedule_end(spec)
    if e is not None:
        return e + math.ceil(e / 10) + 10, "end step + 10% + 10"
    h, how = _open_horizon(spec)
    return min(h, MAX_DEFAULT_HORIZON), how


def default_horizon_spec(spec: Any) -> tuple[int, str]:
    """(default horizon, how it was chosen) of a spec; see the module docstring."""
    h, how = _horizon(spec)
    return h, (how if schedule_end(spec) is not None else f"never ends; default horizon: {how}")


def default_horizon(cfg: Any) -> int:
    """The default last step ``H`` that :func:`diagnose` (and the plots) evaluate to."""
    return default_horizon_spec(spec_of(cfg))[0]


def _joins(spec: Any, h: int, offset: int = 0) -> list[tuple[int, str]]:
    """(step, kind) of every join of ``spec`` (shifted by ``offset``) up to step ``h``."""
    out: list[tuple[int, str]] = []
    w = getattr(spec, "warmup_steps", 0) if isinstance(spec, _WARMUP_SPECS) else 0
    if w > 0:
        out.append((w, "end of warmup"))
    if isinstance(spec, (S.WarmupLinearDecay, S.WarmupCosineDecay, S.WarmupPolynomialDecay)):
        out.append((spec.total_steps, "end of decay"))
    elif isinstance(spec, S.WarmupStableDecay):
        out += [(w + spec.stable_steps, "start of decay"), (spec.total_steps, "end of decay")]
    elif isinstance(spec, S.TriStage):
        out += [(w + spec.hold_steps, "start of decay"), (spec.total_steps, "end of decay")]
    elif isinstance(spec, S.WarmupCosineRestarts):
        k = 1
        while spec.cycle_limit is None or k <= spec.cycle_limit:
            step = w + math.ceil(spec.cycle_start(k))
            if step + offset > h:
                break
            last = spec.cycle_limit is not None and k == spec.cycle_limit
            out.append((step, "end of cycles" if last else "restart"))
            k += 1
    elif isinstance(spec, S.OneCycle):
        ps = spec.peak_step
        out += [(max(math.floor(ps), 0), "peak"), (max(math.ceil(ps), 0), "peak")]
        out.append((spec.total_steps - 1, "end"))
    elif isinstance(spec, S.Noam):
        out.append((spec.warmup_steps - 1, "end of warmup (peak)"))
    elif isinstance(spec, S.LegacyNoam):
        w = spec.warmup_steps
        out.append((max(math.ceil(w**0.75) - 1, 0), "real peak (s = warmup_steps**0.75)"))
        out.append((w - 1, "nominal end of warmup"))
    nested: list[tuple[int, str]] = []  # already shifted by offset
    if isinstance(spec, S.WithWarmup):
        nested = _joins(spec.base, h, offset + w)
    elif isinstance(spec, S.Scale):
        nested = _joins(spec.base, h, offset)
    elif isinstance(spec, S.UntunedWarmup):
        if spec.shape == "linear":
            out.append((_untuned_end(spec), "end of untuned warmup"))
        nested = _joins(spec.base, h, offset)
    elif isinstance(spec, S.Join):
        starts = (0,) + tuple(spec.boundaries)
        ends = tuple(spec.boundaries) + (None,)
        for k, (sub, b0, b1) in enumerate(zip(spec.schedules, starts, ends)):
            nested += [
                (s, kind) for s, kind in _joins(sub, h, offset + b0) if b1 is None or s < offset + b1
            ]
            if k > 0:
                out.append((b0, f"join boundary {k}"))
    shifted = [(s + offset, kind) for s, kind in out] + nested
    return [(s, kind) for s, kind in shifted if 0 < s <= h]


# --- the diagnosis -----------------------------------------------------------------


@dataclass(frozen=True)
class JoinCheck:
    """The jump at one join step ``j``: ``|f(j) - f(j - 1)|`` against its neighbours."""

    step: int
    kind: str
    jump: float
    typical: float
    """Largest ``|f(i) - f(i - 1)|`` over the ``NEIGHBOURS`` steps on each side of ``j``."""
    discontinuous: bool

    @property
    def is_restart(self) -> bool:
        """A cosine-restarts cycle start: an intended jump, not a warning."""
        return self.kind == "restart"


@dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found; every value is float64, from :mod:`warmup_spec.tables`."""

    name: str
    config: dict[str, Any]
    horizon: int
    """The last step evaluated (steps ``0..horizon``)."""
    horizon_note: str
    value_at_0: float
    peak_step: int
    """First step where the maximum over ``0..horizon`` is reached."""
    peak_value: float
    nominal_peak_name: str | None
    nominal_peak: float | None
    warmup_steps: int | None
    warmup_values: tuple[tuple[int, float], ...]
    """(step, value) at the end of warmup (``w - 1`` and ``w`` for noam/legacy_noam)."""
    end_step: int | None
    """Step from which the schedule holds its final value; None if it never does."""
    end_value: float
    """Value at ``end_step`` (at ``horizon`` when it never ends)."""
    holds_after_end: bool
    mean_lr: float
    mean_range: tuple[int, int]
    """The steps (inclusive) ``mean_lr`` averages over: ``0..end_step`` when the
    schedule decays and ends, else ``0..horizon``."""
    joins: tuple[JoinCheck, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def peak_fraction(self) -> float | None:
        """``peak_value / nominal_peak`` (None without a nominal peak)."""
        if self.nominal_peak is None or self.nominal_peak == 0:
            return None
        return self.peak_value / self.nominal_peak

    @property
    def discontinuities(self) -> tuple[JoinCheck, ...]:
        """Joins with a jump much larger than their neighbouring changes (restarts excluded)."""
        return tuple(j for j in self.joins if j.discontinuous and not j.is_restart)

    @property
    def restarts(self) -> tuple[JoinCheck, ...]:
        return tuple(j for j in self.joins if j.is_restart)


def _evaluate(spec: S.ScheduleSpec, h: int) -> np.ndarray:
    from warmup_spec.tables import lr_table

    return lr_table(spec, np.arange(h + 1))


def _check_joins(values: np.ndarray, joins: list[tuple[int, str]], peak_abs: float) -> tuple[JoinCheck, ...]:
    h = len(values) - 1
    diffs = np.abs(np.diff(values))  # diffs[i - 1] = |f(i) - f(i - 1)|
    merged: dict[int, list[str]] = {}
    for step, kind in sorted(joins):
        if kind not in merged.setdefault(step, []):
            merged[step].append(kind)
    out = []
    for j, kinds in merged.items():
        if not 1 <= j <= h:
            continue
        jump = float(diffs[j - 1])
        near = np.concatenate([diffs[max(j - 1 - NEIGHBOURS, 0) : j - 1], diffs[j : j + NEIGHBOURS]])
        typical = float(near.max()) if near.size else 0.0
        disc = bool(near.size) and jump > JUMP_RATIO * typical and jump > 1e-6 * peak_abs
        kind = "restart" if "restart" in kinds else " / ".join(kinds)
        out.append(JoinCheck(j, kind, jump, typical, disc))
    return tuple(out)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def diagnose(cfg: Any, horizon: int | None = None) -> Diagnosis:
    """Evaluates ``cfg`` in float64 over steps ``0..H`` and reports what a user should know.

    Args:
        cfg: a config mapping ``{"schedule": NAME, **params}``, a JSON string, a path to
            a ``.json``/``.toml`` file, or a spec.
        horizon: the last step to evaluate; default :func:`default_horizon`.

    Returns:
        A :class:`Diagnosis` (render it with :func:`format_diagnosis`).
    """
    spec = spec_of(cfg)
    try:
        config = spec_to_config(spec)
    except ValueError:  # a user function inside a combinator
        config = {"schedule": spec.name, "repr": repr(spec)}
    end = schedule_end(spec)
    if horizon is None:
        h, note = default_horizon_spec(spec)
    else:
        h = int(horizon)
        if h < 1:
            raise ValueError(f"horizon={horizon!r} is invalid; expected an integer >= 1")
        note = "given"
    values = _evaluate(spec, h)
    peak_step = int(np.argmax(values))
    peak = float(values[peak_step])
    peak_abs = float(np.max(np.abs(values)))
    nominal = _nominal_peak(spec)
    n_warm, warm_at = _warmup(spec)
    warm_values = tuple((s, float(values[s])) for s in warm_at if s <= h)

    ended = end is not None and end <= h
    e_at = end if ended else h
    end_value = float(values[e_at])
    holds = bool(ended and np.all(values[e_at:] == end_value))
    tail_min = float(values[peak_step:].min())
    never_decays = tail_min >= peak - 1e-12 * abs(peak)
    mean_to = e_at if (ended and not never_decays and e_at > 0) else h
    mean_lr = float(values[: mean_to + 1].mean())
    joins = _check_joins(values, _joins(spec, h), peak_abs)

    warnings: list[str] = []
    if values[0] == 0.0:
        warnings.append(
            "lr is 0 at step 0: the first update does nothing (an init_value > 0 avoids it)"
        )
    if nominal is not None:
        what, nom = nominal
        if nom > 0 and peak < nom * (1 - PEAK_SHORTFALL):
            msg = (
                f"peak {_fmt(peak)} at step {peak_step} is below {what} = {_fmt(nom)}: "
                f"only {100 * peak / nom:.1f}% of it"
            )
            if peak_step == h and (end is None or end > h):
                msg += f" within the horizon {h} (the schedule has not peaked yet)"
            elif type(spec) in PEAK_ADVICE:
                msg += "; " + PEAK_ADVICE[type(spec)]
            warnings.append(msg)
        elif nom > 0 and peak > nom * (1 + 1e-9):
            warnings.append(
                f"peak {_fmt(peak)} at step {peak_step} exceeds {what} = {_fmt(nom)} "
                f"({100 * peak / nom:.1f}% of it): the lr grows after warmup"
            )
    if never_decays and peak > 0:
        warnings.append(
            f"never decays: the lr holds {_fmt(peak)} (or grows) from step {peak_step} "
            f"to the horizon {h}"
        )
    if not ended:
        frac = f" ({100 * end_value / peak:.3g}% of the peak)" if peak > 0 else ""
        if end is None:
            warnings.append(
                f"never ends: no final value; diagnosed over steps 0..{h} "
                f"(horizon: {note.removeprefix('never ends; default horizon: ')}); "
                f"lr at step {h} is {_fmt(end_value)}{frac}"
            )
        else:
            warnings.append(
                f"the horizon {h} stops before the schedule ends at step {end}; "
                f"lr at step {h} is {_fmt(end_value)}{frac}"
            )
    elif end_value == 0.0:
        warnings.append(
            f"end value is 0: from step {end} on the lr is 0 and updates do nothing "
            "(an end_value > 0 avoids it)"
        )
    total = getattr(spec, "total_steps", None) or (end if ended else None)
    if n_warm and total and not never_decays and n_warm > WARMUP_FRACTION * total:
        warnings.append(
            f"warmup of {n_warm} steps is {100 * n_warm / total:.0f}% of the {total} total steps "
            f"(more than {100 * WARMUP_FRACTION:.0f}%)"
        )
    for j in joins:
        if j.discontinuous and not j.is_restart:
            warnings.append(
                f"discontinuity at step {j.step} ({j.kind}): jump {_fmt(j.jump)} vs "
                f"neighbouring changes <= {_fmt(j.typical)}"
            )

    return Diagnosis(
        name=spec.name,
        config=config,
        horizon=h,
        horizon_note=note,
        value_at_0=float(values[0]),
        peak_step=peak_step,
        peak_value=peak,
        nominal_peak_name=None if nominal is None else nominal[0],
        nominal_peak=None if nominal is None else float(nominal[1]),
        warmup_steps=n_warm,
        warmup_values=warm_values,
        end_step=end,
        end_value=end_value,
        holds_after_end=holds,
        mean_lr=mean_lr,
        mean_range=(0, mean_to),
        joins=joins,
        warnings=tuple(warnings),
    )


MAX_RESTARTS_SHOWN = 5


def format_diagnosis(d: Diagnosis) -> str:
    """A compact, human-readable report of ``d``, one fact a line."""
    lines = [f"schedule: {d.name}"]
    params = {k: v for k, v in d.config.items() if k != "schedule"}
    lines.append("config: " + json.dumps(params, default=repr))
    lines.append(f"evaluated: steps 0..{d.horizon} in float64 ({d.horizon_note})")
    lines.append(f"step 0: {_fmt(d.value_at_0)}")
    if d.warmup_steps is not None:
        lines.append(f"warmup: {d.warmup_steps} steps")
    for s, v in d.warmup_values:
        lines.append(f"end of warmup, step {s}: {_fmt(v)}")
    peak = f"peak: {_fmt(d.peak_value)} at step {d.peak_step}"
    if d.nominal_peak is not None:
        frac = d.peak_fraction
        share = f": {100 * frac:.1f}% of it" if frac is not None else ""
        peak += f" ({d.nominal_peak_name} = {_fmt(d.nominal_peak)}{share})"
    lines.append(peak)
    if d.end_step is not None and d.end_step <= d.horizon:
        holds = "holds after" if d.holds_after_end else "does NOT hold after"
        lines.append(f"end: {_fmt(d.end_value)} at step {d.end_step} ({holds})")
    elif d.end_step is not None:
        lines.append(f"end: step {d.end_step}, past the horizon; lr at {d.horizon}: {_fmt(d.end_value)}")
    else:
        lines.append(f"end: never; lr at step {d.horizon}: {_fmt(d.end_value)}")
    lines.append(f"mean lr over steps {d.mean_range[0]}..{d.mean_range[1]}: {_fmt(d.mean_lr)}")
    restarts = d.restarts
    for j in d.joins:
        if j.is_restart:
            continue
        verdict = "DISCONTINUOUS" if j.discontinuous else "smooth"
        lines.append(
            f"join at step {j.step} ({j.kind}): jump {j.jump:.3g}, neighbours <= {j.typical:.3g}: {verdict}"
        )
    if restarts:
        shown = ", ".join(f"{j.step} (+{j.jump:.3g})" for j in restarts[:MAX_RESTARTS_SHOWN])
        more = f", ... {len(restarts) - MAX_RESTARTS_SHOWN} more" if len(restarts) > MAX_RESTARTS_SHOWN else ""
        lines.append(f"restarts (intended jumps) at steps: {shown}{more}")
    if d.warnings:
        lines.append(f"warnings ({len(d.warnings)}):")
        lines += [f"  - {w}" for w in d.warnings]
    else:
        lines.append("warnings: none")
    return "\n".join(lines)
