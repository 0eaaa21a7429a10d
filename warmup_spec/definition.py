"""What every schedule definition is made of: the base class, the parameter types, the
shared checks of the warmup parameters, and the facts a diagnosis reads.

A definition (:mod:`warmup_spec.catalogue`) is a frozen dataclass: its fields are the
schedule's typed parameters (the same names, order, defaults and keyword-only markers
as every front end), ``__post_init__`` validates them with :mod:`warmup_spec._checks`
(the one validation path: the same ``ValueError`` text in every front end), its
docstring gives the formula and a runnable example, and :meth:`ScheduleSpec.compose`
returns its composition of :mod:`warmup_spec.primitives`. The float64 closed form, the
array forms and the facts (end step, warmup length, default horizon) all come from the
composition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

from warmup_spec import _checks as c
from warmup_spec.primitives import Interp, Join, Node, UserFn

WarmupShape = Literal["linear", "cosine", "exponential"]
DecayShape = Literal["linear", "cosine", "1-sqrt"]
AnnealShape = Literal["cosine", "linear"]
UntunedShape = Literal["linear", "exponential"]
WARMUP_SHAPES: tuple[str, ...] = ("linear", "cosine", "exponential")

BaseLike = Union["ScheduleSpec", Mapping[str, Any], Callable[[Any], Any]]
"""A base schedule of a combinator: a spec, a config mapping, a host ``Schedule``, or a
user's own ``step -> lr`` function (framework-native: it must be traceable for JAX)."""


class ScheduleSpec:
    """Base of every schedule definition (a frozen dataclass; see the module docstring)."""

    schedule: ClassVar[str]
    """The config and public name (``"warmup_cosine_decay"``)."""
    peak_note: ClassVar[str] = ""
    """What a diagnosis advises when the lr peaks below the nominal peak."""
    step_lists: ClassVar[tuple[str, ...]] = ()
    """Fields holding lists of steps (converted from epochs like the ``*_steps`` fields)."""

    def _set(self, attr: str, value: Any) -> None:
        object.__setattr__(self, attr, value)

    def params(self) -> dict[str, Any]:
        """The parameters as a dict in the constructor's order (nested specs stay specs)."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        ordered = [f for f in fields if not f.kw_only] + [f for f in fields if f.kw_only]
        return {f.name: getattr(self, f.name) for f in ordered}

    def compose(self) -> Node:
        """The schedule as a composition of primitives."""
        raise NotImplementedError

    def float_steps(self) -> bool:
        """Whether a float step is computed as the schedule's library computes it (a port of
        Keras or optax, which take float steps); else a non-integer step is refused."""
        return False

    # --- facts (one home; a definition overrides what its composition cannot tell) ---

    @property
    def end_step(self) -> int | None:
        """The first step from which the schedule holds its final value; None if never."""
        return self.compose().end

    def nominal_peak(self) -> tuple[str, float] | None:
        """(the parameter the user set as the peak, its value), or None."""
        peak = getattr(self, "peak_value", None)
        return None if peak is None else ("peak_value", float(peak))

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        """(warmup length, the steps at which a diagnosis reports the end-of-warmup value)."""
        w = getattr(self, "warmup_steps", None)
        if w is None:
            return None, ()
        return w, ((w,) if w > 0 else ())

    def open_horizon(self) -> tuple[int, str]:
        """(steps to show, the rule) for a schedule that never ends."""
        return self.compose().open_horizon()

    def events(self) -> list[tuple[int, str]]:
        """(step, kind) of every place a diagnosis checks for a jump."""
        return self.compose().events()

    def equivalent(self) -> dict[str, Any] | None:
        """A port's nearest catalogue schedule (a config), or None; ``inspect`` says where
        the two agree."""
        return None


# --- the warmup parameters, checked and composed once -------------------------------


def check_peak(spec: Any, name: str = "peak_value") -> None:
    spec._set(name, c.number(spec.schedule, name, getattr(spec, name), 0.0))


def check_warmup(spec: Any, target: float, target_name: str = "peak_value", *, init: bool = True) -> None:
    """Validates ``warmup_steps``, ``warmup_shape`` and (if ``init``) ``init_value`` against ``target``."""
    n = spec.schedule
    spec._set("warmup_steps", c.integer(n, "warmup_steps", spec.warmup_steps, 0))
    spec._set("warmup_shape", c.choice(n, "warmup_shape", spec.warmup_shape, WARMUP_SHAPES))
    exponential = spec.warmup_shape == "exponential"
    if exponential and not target > 0:  # exponential warmup towards 0 has no ratio to interpolate
        raise c.fail(n, target_name, target, "a finite number > 0 with warmup_shape='exponential'")
    if init:
        suffix = " with warmup_shape='exponential'" if exponential else ""
        value = c.number(n, "init_value", spec.init_value, 0.0, target, lo_open=exponential, suffix=suffix)
        spec._set("init_value", value)


def check_total(spec: Any) -> None:
    n, w = spec.schedule, spec.warmup_steps
    spec._set("total_steps", c.integer(n, "total_steps", spec.total_steps, w + 1, lo_text=f"> warmup_steps ({w})"))


def check_end(spec: Any) -> None:
    spec._set("end_value", c.number(spec.schedule, "end_value", spec.end_value, 0.0, spec.peak_value))


@dataclass(frozen=True)
class WarmupParams(ScheduleSpec):
    """The parameters of a warmup from ``init_value`` to ``peak_value`` over ``warmup_steps``,
    shared by the schedules that start with one (their own follow in their definitions)."""

    peak_value: float
    warmup_steps: int
    init_value: float = field(default=0.0, kw_only=True)
    warmup_shape: WarmupShape = field(default="linear", kw_only=True)

    def __post_init__(self) -> None:
        check_peak(self)
        check_warmup(self, self.peak_value)


@dataclass(frozen=True)
class DecayParams(WarmupParams):
    """A warmup, then a decay to ``end_value`` at ``total_steps`` (warmup included)."""

    total_steps: int
    end_value: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_total(self)
        check_end(self)


def warmup_then(spec: Any, after: Node, *, init: float | None = None) -> Node:
    """The spec's warmup (``init_value``, or ``init``, -> ``peak_value`` over
    ``warmup_steps``), then ``after`` on its own clock from ``warmup_steps`` on."""
    w, p = spec.warmup_steps, spec.peak_value
    i = spec.init_value if init is None else init
    warm = Interp(spec.warmup_shape, i, p, max(w, 1), label="warmup")
    return Join([warm, after], [w], ["end of warmup"])


def node_of(base: Any) -> Node:
    """The composition of a spec, or a user's function as a node."""
    return base.compose() if isinstance(base, ScheduleSpec) else UserFn(base)


class Specified:
    """Base of the objects that stand for a spec (the host ``Schedule``): ``obj.spec``."""

    __slots__ = ()
    spec: ScheduleSpec
