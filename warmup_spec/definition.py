"""What every schedule definition is made of: the base class, the parameter types, the
shared checks of the warmup parameters, and the facts a diagnosis reads.

A definition (:mod:`warmup_spec.catalogue`) is a frozen dataclass made by :func:`definition`:
its fields are the schedule's typed parameters (the same names, order, defaults and
keyword-only markers as every front end), each declared with :func:`arg`: its own range
(a check of :mod:`warmup_spec._checks`, run at construction: the one validation path, the
same ``ValueError`` text in every front end) and a one-line description, from which the
docstring's ``Args:`` is rendered; :meth:`ScheduleSpec.validate` checks what depends on
several parameters. Its docstring gives the formula and a runnable example, and
:meth:`ScheduleSpec.compose` returns its composition of :mod:`warmup_spec.primitives`.
The float64 closed form, the array forms and the facts (end step, warmup length, default
horizon) all come from the composition.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, Union

from warmup_spec import _checks as c
from warmup_spec.primitives import Interp, Join, Node, UserFn

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers read it
    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda f: f

WarmupShape = Literal["linear", "cosine", "exponential"]
DecayShape = Literal["linear", "cosine", "1-sqrt"]
AnnealShape = Literal["cosine", "linear"]
UntunedShape = Literal["linear", "exponential"]
WARMUP_SHAPES: tuple[str, ...] = ("linear", "cosine", "exponential")
DECAY_SHAPES: tuple[str, ...] = ("linear", "cosine", "1-sqrt")

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

    def __post_init__(self) -> None:
        """Runs each field's check (:func:`arg`) in field order, storing the value it
        returns, then :meth:`validate`."""
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            check = f.metadata.get("check")
            if check is not None:
                self._set(f.name, check(self.schedule, f.name, getattr(self, f.name)))
        self.validate()

    def validate(self) -> None:
        """Checks what depends on several parameters (after each field's own check), with
        :mod:`warmup_spec._checks`; where the parent definition has its own, an override
        calls ``super().validate()`` first."""

    def _set(self, attr: str, value: Any) -> None:
        object.__setattr__(self, attr, value)

    def params(self) -> dict[str, Any]:
        """The parameters as a dict in the constructor's order (nested specs stay specs)."""
        return {f.name: getattr(self, f.name) for f in _in_call_order(self)}

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


def _in_call_order(cls_or_spec: Any) -> list[dataclasses.Field]:
    """The fields in the constructor's order: the positional ones, then the keyword-only."""
    fields = dataclasses.fields(cls_or_spec)
    return [f for f in fields if not f.kw_only] + [f for f in fields if f.kw_only]


# --- declaring a definition -----------------------------------------------------------


def arg(check: c.Check | None = None, doc: str = "", *, default: Any = MISSING, kw_only: bool = False) -> Any:
    """A definition's field: its own range ``check`` (run at construction; None where the range
    depends on other fields, which :meth:`ScheduleSpec.validate` checks) and ``doc``, what it is
    (with that range in words when there is no ``check``): the docstring's ``Args:`` line
    ``name: doc; check.text.``"""
    return field(default=default, kw_only=kw_only, metadata={"check": check, "doc": doc})


_S = TypeVar("_S", bound=ScheduleSpec)
_SECTION = re.compile(r"^(Example|References):$", re.M)
_UNBROKEN = re.compile(r"``.+?``|[\[(][^\s\[\]()]+, [^\s\[\]()]+[\])]|[<>]=? \S+|\S+ -> \S+")
"""What a rendered ``Args:`` line never breaks inside: inline code, a range (``[0.0, 1.0)``,
``>= 0``), an arrow (``step -> lr``)."""


@dataclass_transform(frozen_default=True, field_specifiers=(arg, field))
def definition(cls: type[_S]) -> type[_S]:
    """Class decorator: ``cls`` as a frozen dataclass whose docstring gets its ``Args:``
    section rendered from the fields' :func:`arg` (before ``Example:`` or ``References:``)."""
    cls = dataclass(frozen=True)(cls)
    lines = []
    for f in _in_call_order(cls):
        check, doc = f.metadata.get("check"), f.metadata.get("doc", "")
        if check is None and not doc:
            raise TypeError(f"{cls.__name__}.{f.name}: declare it with arg(check, doc)")
        what = "; ".join(s for s in (doc, check.text if check is not None else "") if s)
        line = _UNBROKEN.sub(lambda m: m[0].replace(" ", "\0"), f"{f.name}: {what}.")  # no break inside
        lines.append(textwrap.fill(line, 92, initial_indent="    ", subsequent_indent="        ",
                                   break_long_words=False, break_on_hyphens=False).replace("\0", " "))
    doc = inspect.cleandoc(cls.__doc__ or "")
    section = "Args:\n" + "\n".join(lines) + "\n\n"
    found = _SECTION.search(doc)
    cls.__doc__ = doc[:found.start()] + section + doc[found.start():] if found else doc + "\n\n" + section.rstrip()
    return cls


# --- the warmup parameters, checked and composed once -------------------------------


def check_init(spec: Any, target: float, target_name: str = "peak_value") -> None:
    """``init_value`` in ``[0, target]``; with ``warmup_shape='exponential'`` in ``(0, target]``
    and ``target > 0`` (an exponential warmup interpolates a ratio)."""
    n = spec.schedule
    exponential = spec.warmup_shape == "exponential"
    if exponential and not target > 0:
        raise c.fail(n, target_name, target, "a finite number > 0 with warmup_shape='exponential'")
    suffix = " with warmup_shape='exponential'" if exponential else ""
    spec._set("init_value", c.number(n, "init_value", spec.init_value, 0.0, target, lo_open=exponential, suffix=suffix))


def check_total(spec: Any) -> None:
    n, w = spec.schedule, spec.warmup_steps
    spec._set("total_steps", c.integer(n, "total_steps", spec.total_steps, w + 1, lo_text=f"> warmup_steps ({w})"))


def check_end(spec: Any) -> None:
    spec._set("end_value", c.number(spec.schedule, "end_value", spec.end_value, 0.0, spec.peak_value))


@definition
class WarmupParams(ScheduleSpec):
    """The parameters of a warmup from ``init_value`` to ``peak_value`` over ``warmup_steps``,
    shared by the schedules that start with one (their own follow in their definitions)."""

    peak_value: float = arg(c.Number(0.0), "the value at the end of the warmup")
    warmup_steps: int = arg(c.Integer(0), "steps of warmup (``w``)")
    init_value: float = arg(None, "the value at step 0, in ``[0, peak_value]`` (``(0, peak_value]`` for an exponential "
                            "warmup)", default=0.0, kw_only=True)
    warmup_shape: WarmupShape = arg(c.Choice(WARMUP_SHAPES), default="linear", kw_only=True)

    def validate(self) -> None:
        check_init(self, self.peak_value)


@definition
class DecayParams(WarmupParams):
    """A warmup, then a decay to ``end_value`` at ``total_steps`` (warmup included)."""

    total_steps: int = arg(None, "the schedule's length, warmup included (``T``), an integer ``> warmup_steps``")
    end_value: float = arg(None, "the value from ``total_steps`` on, in ``[0, peak_value]``", default=0.0)

    def validate(self) -> None:
        super().validate()
        check_total(self)
        check_end(self)


def warmup_then(spec: Any, after: Node, *, init: float | None = None) -> Node:
    """The spec's warmup (``init_value``, or ``init``, -> ``peak_value`` over
    ``warmup_steps``), then ``after`` on its own clock from ``warmup_steps`` on."""
    w, p = spec.warmup_steps, spec.peak_value
    i = spec.init_value if init is None else init
    warm = Interp(spec.warmup_shape, i, p, max(w, 1), label="warmup")
    return Join([warm, after], [w], ["end of warmup"])


def highest_peak(schedules: Any) -> tuple[str, float] | None:
    """The nominal peak of a sequence of schedules: the highest of the specs' own
    (``("schedules[k].<param>", value)``), or None (user functions have none)."""
    parts = [(k, s.nominal_peak()) for k, s in enumerate(schedules) if isinstance(s, ScheduleSpec)]
    known = [(k, p) for k, p in parts if p is not None]
    if not known:
        return None
    k, (what, value) = max(known, key=lambda kp: kp[1][1])
    return f"schedules[{k}].{what}", value


def node_of(base: Any) -> Node:
    """The composition of a spec, or a user's function as a node."""
    return base.compose() if isinstance(base, ScheduleSpec) else UserFn(base)


class Specified:
    """Base of the objects that stand for a spec (the host ``Schedule``): ``obj.spec``."""

    __slots__ = ()
    spec: ScheduleSpec
