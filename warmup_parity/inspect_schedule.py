"""Diagnose a schedule config: where it peaks, where it ends, and what will surprise you.

:func:`diagnose` evaluates a config on the host in float64 with the vectorised NumPy
table of :mod:`warmup_spec.tables` (tens of millions of steps a second; never eager ``jnp``)
over steps ``0..H`` and returns a frozen :class:`Diagnosis`; :func:`format_diagnosis`
renders it one fact a line.

The horizon ``H``: ``horizon`` when given, else :func:`warmup_spec.horizon.default_horizon`.

Everything schedule-specific (nominal peak, warmup length, join steps, end step, the
horizon of a schedule that never ends) is a fact of the schedule's definition
(:class:`warmup_spec.ScheduleSpec`), derived from its composition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from warmup_spec.definition import ScheduleSpec
from warmup_spec.horizon import MAX_DEFAULT_HORIZON, default_horizon, default_horizon_spec
from warmup_spec.registry import spec_of, spec_to_config

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
PEAK_SHORTFALL = 1e-3
"""A peak more than this fraction below the nominal peak is warned about."""
WARMUP_FRACTION = 0.5
"""Warmups longer than this fraction of the total steps are warned about."""


# --- the facts, from the definitions (warmup_spec.definition.ScheduleSpec) -----------


def _joins(spec: ScheduleSpec, h: int) -> list[tuple[int, str]]:
    """(step, kind) of every join of ``spec`` up to step ``h``."""
    return [(s, kind) for s, kind in spec.events() if 0 < s <= h]


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
    equivalent: str | None = None
    """How the schedule compares with its catalogue equivalent, when it has one."""

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


def _evaluate(spec: ScheduleSpec, h: int) -> np.ndarray:
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


def _rises_again(values: np.ndarray, peak_step: int, peak_abs: float,
                 events: list[tuple[int, str]]) -> tuple[int, int] | None:
    """(step of the low, step of the highest later value) when the lr climbs back by more
    than 1e-6 of the peak after its post-peak low; None for intended restarts (SGDR)."""
    if any(kind == "restart" for _, kind in events) or peak_step >= len(values) - 1:
        return None
    tail = values[peak_step:]
    running_min = np.minimum.accumulate(tail)
    climb = tail - running_min
    k = int(np.argmax(climb))
    if climb[k] <= 1e-6 * peak_abs:
        return None
    low = int(np.argmin(tail[: k + 1]))
    return peak_step + low, peak_step + k


def _equivalent(spec: ScheduleSpec, h: int) -> str | None:
    """"equals <catalogue schedule> ..." for a port that has a catalogue equivalent."""
    cfg = spec.equivalent()
    if cfg is None:
        return None
    from warmup_parity.diff import diff

    d = diff(spec, cfg, horizon=h)
    name = json.dumps(cfg)
    if d.same:
        return f"equals the catalogue's {name} at every step to {h}"
    fd = d.first_difference
    if fd == 0:
        return f"nearest catalogue schedule: {name} (differs from step 0 on)"
    return (f"equals the catalogue's {name} up to step {fd - 1}; from step {fd} on they differ "  # type: ignore[operator]
            f"(largest difference {_fmt(d.largest)} at step {d.largest_at})")


def _fmt(x: float) -> str:
    return f"{x:.6g}"


START_PARAMS = ("init_value", "start_factor", "warmup_lr_init", "warmup_init_lr", "warmup_min_lr", "warmup_min_ratio",
                "warmup_lr_rate", "init_scale", "init_lr")
"""The parameters that set a schedule's first lr (ours and the ports'), in the order looked for."""
END_PARAMS = ("end_value", "eta_min", "lr_min", "min_lr", "min_lr_rate", "min_lr_ratio", "min_lr_factor", "lr_end",
              "end_factor", "end_learning_rate", "alpha", "final_scale", "cos_min_ratio")
"""The parameters that set a schedule's final lr."""


def _avoided_by(spec: Any, params: tuple[str, ...]) -> str:
    """`` (a P > 0 avoids it)`` with the schedule's own parameter P, or nothing when it has none."""
    own = {f.name for f in fields(spec)} if is_dataclass(spec) else set()
    name = next((p for p in params if p in own), None)
    if name is None:
        return f" ({spec.schedule} has no parameter that changes it)"
    return f" ({'an' if name[0] in 'aeiou' else 'a'} {name} > 0 avoids it)"


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
        config = {"schedule": spec.schedule, "repr": repr(spec)}
    end = spec.end_step
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
    nominal = spec.nominal_peak()
    n_warm, warm_at = spec.warmup()
    warm_values = tuple((s, float(values[s])) for s in warm_at if s <= h)

    ended = end is not None and end <= h
    e_at = end if end is not None and end <= h else h
    end_value = float(values[e_at])
    holds = bool(ended and np.all(values[e_at:] == end_value))
    tail_min = float(values[peak_step:].min())
    never_decays = tail_min >= peak - 1e-12 * abs(peak)
    mean_to = e_at if (ended and not never_decays and e_at > 0) else h
    mean_lr = float(values[: mean_to + 1].mean())
    joins = _check_joins(values, _joins(spec, h), peak_abs)

    warnings: list[str] = []
    if peak_abs == 0.0:
        what = f"{nominal[0]} = 0" if nominal is not None and nominal[1] == 0 else "its peak is 0"
        warnings.append(f"the lr is 0 at every step up to {h} ({what}): no update moves the parameters")
    elif values[0] == 0.0:
        warnings.append("lr is 0 at step 0: the first update does nothing" + _avoided_by(spec, START_PARAMS))
    if nominal is not None:
        what, nom = nominal
        if nom > 0 and peak < nom * (1 - PEAK_SHORTFALL):
            msg = (
                f"peak {_fmt(peak)} at step {peak_step} is below {what} = {_fmt(nom)}: "
                f"only {100 * peak / nom:.1f}% of it"
            )
            if peak_step == h and (end is None or end > h):
                msg += f" within the horizon {h} (the schedule has not peaked yet)"
            elif spec.peak_note:
                msg += "; " + spec.peak_note
            warnings.append(msg)
        elif nom > 0 and peak > nom * (1 + 1e-9):
            warnings.append(
                f"peak {_fmt(peak)} at step {peak_step} exceeds {what} = {_fmt(nom)} "
                f"({100 * peak / nom:.1f}% of it): the lr grows after warmup"
            )
    negative = np.nonzero(values < 0.0)[0]
    if negative.size:
        k = int(negative[0])
        warnings.append(
            f"negative lr: from step {k} the lr is below 0 ({_fmt(values[k])}; {_fmt(values.min())} at step "
            f"{int(np.argmin(values))}): updates climb the loss there; stop before step {k}"
        )
    rise = _rises_again(values, peak_step, peak_abs, spec.events())
    if rise is not None:
        low_at, up_at = rise
        warnings.append(
            f"rises again: after falling to {_fmt(values[low_at])} at step {low_at} the lr climbs back to "
            f"{_fmt(values[up_at])} by step {up_at} (a periodic or rising tail; training past step {low_at} "
            "sees it)"
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
    elif end_value == 0.0 and peak_abs > 0.0:
        warnings.append(
            f"end value is 0: from step {end} on the lr is 0 and updates do nothing" + _avoided_by(spec, END_PARAMS))
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

    equivalent = _equivalent(spec, h)
    return Diagnosis(
        equivalent=equivalent,
        name=spec.schedule,
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
    if d.equivalent:
        lines.append(d.equivalent)
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
