"""Hyperparameter schedules beside the lr: momentum (SGD, RMSprop) or Adam's ``beta1``, and weight decay.

They come from two places:

- **the lr schedule itself.** torch's ``OneCycleLR`` and ``CyclicLR`` cycle the momentum
  (or ``beta1``) inversely to the lr by default (``cycle_momentum=True``); so do their ports
  (``"torch.OneCycleLR"``, ``"torch.CyclicLR"``) and the catalogue's ``one_cycle``; DeepSpeed's
  ``OneCycle`` (``"deepspeed.OneCycle"``) cycles ``beta1`` alone, with ``beta2 = 0.99``. Such a
  definition has a method ``momentum_node()`` returning the momentum as a composition of the
  same primitives as its lr (``None`` with ``cycle_momentum=False``); :func:`momentum_of`
  reads it. Other schedules, and combinators over these, have none;
- **the optimizer config**: a hyperparameter given as a schedule instead of a number, a
  :class:`Ramp` (Megatron-LM's ``get_wd``: ``start -> end`` over ``steps``, constant, linear
  or cosine) or any schedule config (:func:`hyper_spec`).

Either way the result is a :class:`~warmup_spec.definition.ScheduleSpec`, so the front
ends are the lr's own: the float64 host :class:`~warmup_spec.Schedule` (what
``warmup_torch`` writes into the param groups) and ``warmup_jax.build`` (what the Optax
side computes from the update count). The value of update ``k`` is the schedule at ``k``,
as for the lr.

Example:
    >>> from warmup_spec import Schedule
    >>> wd = Schedule(Ramp(0.0, 0.1, steps=4, style="cosine"))     # Megatron's cosine increment
    >>> [round(wd(t), 6) for t in range(6)]
    [0.0, 0.014645, 0.05, 0.085355, 0.1, 0.1]
    >>> from warmup_spec import spec_from_config
    >>> m = momentum_of(spec_from_config({"schedule": "one_cycle", "total_steps": 10, "peak_value": 1.0}))
    >>> [round(Schedule(m)(t), 4) for t in (0, 2, 9)]
    [0.95, 0.85, 0.95]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, Specified, arg, definition
from warmup_spec.primitives import Constant, Interp, Node
from warmup_spec.registry import spec_of, spec_to_config

__all__ = [
    "HYPERPARAMETERS",
    "MomentumOf",
    "Ramp",
    "RampStyle",
    "bounds",
    "hyper_config",
    "hyper_spec",
    "momentum_of",
]

HYPERPARAMETERS: tuple[str, ...] = ("momentum", "weight_decay")
"""The hyperparameters a schedule can drive besides the lr. ``"momentum"`` is SGD's and
RMSprop's momentum or the first element of Adam's ``betas`` (``b1``), as in torch's
``cycle_momentum``."""

RampStyle = Literal["constant", "linear", "cosine"]
RAMP_STYLES: tuple[str, ...] = ("constant", "linear", "cosine")


@definition
class Ramp(ScheduleSpec):
    r"""Megatron-LM's weight-decay increment (``OptimizerParamScheduler.get_wd``): ``start``
    to ``end`` over ``steps`` updates, held at ``end`` after.

    .. math::
        v(t) = s + (e - s)\, c(\min(t / n, 1)), \quad c(r) = r \text{ (linear)},\;
        \frac{1 - \cos(\pi r)}{2} \text{ (cosine: Megatron's } \tfrac12(\cos(\pi (1 - r)) + 1))

    ``style="constant"`` is ``end`` at every step and, as Megatron asserts, needs
    ``start == end``. Megatron's names: ``start_weight_decay`` = ``start``,
    ``end_weight_decay`` = ``end``, ``weight_decay_incr_style`` = ``style``,
    ``wd_incr_steps`` = ``steps`` (Megatron counts samples there; here the clock is the
    update count, as for every schedule). ``end < start`` decays instead. Any
    hyperparameter can follow a ramp; a config writes it as a mapping
    ``{"start": 0.0, "end": 0.1, "steps": 1000, "style": "cosine"}``.

    Example:
        >>> from warmup_spec import Schedule
        >>> [Schedule(Ramp(0.1, 0.0, steps=2))(t) for t in range(4)]
        [0.1, 0.05, 0.0, 0.0]
    """

    schedule: ClassVar[str] = "ramp"
    start: float = arg(c.Number(0.0), "the value at step 0")
    end: float = arg(c.Number(0.0), "the value from step ``steps`` on (``start`` with ``style='constant'``)")
    steps: int = arg(c.Integer(1), "the length of the ramp")
    style: RampStyle = arg(c.Choice(RAMP_STYLES), "the ramp's curve", default="linear")

    def validate(self) -> None:
        if self.style == "constant" and self.end != self.start:
            raise c.fail(self.schedule, "end", self.end,
                         f"start ({self.start!r}) with style='constant' (Megatron asserts it)")

    def compose(self) -> Node:
        if self.style == "constant" or self.start == self.end:
            return Constant(self.end)
        return Interp(self.style, self.start, self.end, self.steps, label="ramp")

    def config(self) -> dict[str, Any]:
        """The mapping that rebuilds it (:func:`hyper_spec` reads it back)."""
        return {"start": self.start, "end": self.end, "steps": self.steps, "style": self.style}

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> Ramp:
        """A ramp from ``{"start", "end", "steps", "style"}`` (unknown or missing keys are a
        ``ValueError`` naming them)."""
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(cfg) - set(fields))
        if unknown:
            raise ValueError(f"{cls.schedule}: unknown parameter {unknown[0]!r}; valid parameters: {', '.join(fields)}")
        missing = [k for k in ("start", "end", "steps") if k not in cfg]
        if missing:
            raise ValueError(f"{cls.schedule}: missing required parameter {missing[0]!r}; required: start, end, steps")
        return cls(**cfg)


@definition
class MomentumOf(ScheduleSpec):
    """The momentum (or ``beta1``) schedule an lr schedule implies (:func:`momentum_of`):
    ``schedule.momentum_node()`` as a spec of its own, so that the host ``Schedule`` and
    ``warmup_jax.build`` evaluate it like any schedule.

    """

    schedule: ClassVar[str] = "momentum"
    lr_schedule: ScheduleSpec = arg(None, "a definition with a ``momentum_node()`` that returns a node")

    def validate(self) -> None:
        if _momentum_node(self.lr_schedule) is None:
            raise c.fail(self.schedule, "lr_schedule", self.lr_schedule, "a schedule that cycles the momentum")

    def float_steps(self) -> bool:
        """Float steps as the lr schedule's library takes them (DeepSpeed's ``OneCycle``)."""
        return self.lr_schedule.float_steps()

    def compose(self) -> Node:
        node = _momentum_node(self.lr_schedule)
        assert node is not None  # checked at construction
        return node


def _momentum_node(spec: Any) -> Node | None:
    method = getattr(spec, "momentum_node", None)
    return method() if callable(method) else None


def momentum_of(schedule: Any) -> MomentumOf | None:
    """The momentum schedule an lr schedule implies, or ``None``.

    Args:
        schedule: a spec, a host ``Schedule``, or anything else (a user's function, an
            Optax schedule: ``None`` unless it carries its spec as ``.spec``).

    Returns:
        :class:`MomentumOf` for torch's ``OneCycleLR``/``CyclicLR`` and DeepSpeed's ``OneCycle``
        (their ports, the catalogue's one-cycle) with ``cycle_momentum=True``; ``None`` otherwise.
    """
    if isinstance(schedule, Specified):
        schedule = schedule.spec
    spec = schedule if isinstance(schedule, ScheduleSpec) else getattr(schedule, "spec", None)
    if not isinstance(spec, ScheduleSpec) or _momentum_node(spec) is None:
        return None
    return MomentumOf(spec)


def hyper_spec(what: str, value: Any) -> ScheduleSpec:
    """A hyperparameter's schedule from what a config gives for it.

    Args:
        what: what the value is for (``"adamw: weight_decay"``), named in errors.
        value: a :class:`Ramp` or any spec; a mapping with a ``"schedule"`` key (any
            schedule config); a mapping ``{"start", "end", "steps", "style"}`` (a ramp).

    Returns:
        The validated spec.

    Raises:
        ValueError: anything else, or an invalid config.

    Example:
        >>> hyper_spec("weight_decay", {"start": 0.0, "end": 0.1, "steps": 100})
        Ramp(start=0.0, end=0.1, steps=100, style='linear')
    """
    if isinstance(value, ScheduleSpec):
        return value
    if isinstance(value, Specified):
        return value.spec
    if isinstance(value, Mapping):
        return spec_of(value) if "schedule" in value else Ramp.from_mapping(value)
    raise ValueError(
        f"{what}={value!r} is invalid; expected a number, a ramp {{'start', 'end', 'steps', 'style'}} "
        "or a schedule config"
    )


def hyper_config(spec: ScheduleSpec) -> dict[str, Any]:
    """The config of a hyperparameter's schedule: a ramp's mapping or a schedule config."""
    return spec.config() if isinstance(spec, Ramp) else spec_to_config(spec)


def bounds(spec: ScheduleSpec) -> tuple[float, float] | None:
    """``(lowest, highest)`` value of a ramp or of an implied momentum (the ends it moves
    between), ``None`` for any other schedule (not bounded here).

    Example:
        >>> bounds(Ramp(0.2, 0.05, steps=10))
        (0.05, 0.2)
    """
    if isinstance(spec, Ramp):
        return min(spec.start, spec.end), max(spec.start, spec.end)
    if isinstance(spec, MomentumOf):
        lo, hi = getattr(spec.lr_schedule, "base_momentum", None), getattr(spec.lr_schedule, "max_momentum", None)
        if isinstance(lo, float) and isinstance(hi, float):
            return min(lo, hi), max(lo, hi)
    return None
