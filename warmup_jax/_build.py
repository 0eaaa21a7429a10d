"""Spec -> Optax schedule: the composition's array form over ``jax.numpy``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from warmup_spec._array_ops import ArrayOps
from warmup_spec.definition import ScheduleSpec
from warmup_spec.display import Displayed
from warmup_spec.hyper import MomentumOf, momentum_of

OptaxSchedule = Callable[[Any], jax.Array]
"""Any Optax schedule: ``count -> lr`` (what optax calls ``optax.Schedule``)."""

JAX_OPS = ArrayOps(jnp, lambda: jax.dtypes.canonicalize_dtype(jnp.float64))


class CycledMomentumWarning(UserWarning):
    """A schedule that cycles the momentum (torch's ``OneCycleLR``/``CyclicLR``, DeepSpeed's
    ``OneCycle`` and their ports, ``one_cycle``, with ``cycle_momentum=True``) is used as a plain
    lr schedule: the optimizer's momentum stays fixed where the library cycles it, so the two runs part."""


def _cycled_momentum_message(spec: ScheduleSpec) -> str:
    return (
        f"{spec.schedule} cycles the momentum (cycle_momentum=True) as well as the lr, and this optax schedule is "
        "the lr alone: in a plain optax optimizer (optax.sgd(schedule, momentum=0.9), optax.adamw(schedule)) "
        "the momentum stays fixed while the schedule cycles it. Apply both with the matched optimizer pair "
        "(warmup_parity.optimizers.optax_transform(pair, schedule)) or the schedule-driven transformation "
        "(warmup_jax.hyper.with_schedules(lambda momentum: optax.sgd(schedule, momentum=momentum), "
        "warmup_jax.hyper.hyper_schedules({'momentum': warmup_spec.hyper.momentum_of(schedule)}))), "
        "or build it with cycle_momentum=False"
    )


_MOMENTUM_BUILT: set[ScheduleSpec] = set()
"""The lr schedules whose momentum was built as an Optax schedule (``build(MomentumOf(spec))``,
what the matched optimizer pairs and ``hyper_schedules`` do): their momentum is applied."""


class JaxSchedule(Displayed):
    """An Optax schedule ``count -> lr`` (float32, or float64 under ``jax_enable_x64``) that
    carries its definition as ``.spec`` (what the matched optimizer pairs of ``warmup_parity``
    read the momentum a schedule cycles from): what every ``warmup_jax`` front end returns.
    It pickles as its spec.

    A schedule that cycles the momentum warns once (:class:`CycledMomentumWarning`), at its
    first call, unless the momentum it implies was built too (by a matched optimizer pair,
    or ``warmup_jax.hyper.hyper_schedules({"momentum": momentum_of(schedule)})``): then it
    is applied, and nothing is dropped.
    """

    __slots__ = ("_fn", "_momentum_unchecked", "spec", "__weakref__")

    def __init__(self, spec: ScheduleSpec, fn: Callable[[Any], jax.Array]) -> None:
        self.spec, self._fn = spec, fn
        self._momentum_unchecked = momentum_of(spec) is not None

    def __call__(self, count: Any) -> jax.Array:
        if self._momentum_unchecked:
            self._momentum_unchecked = False
            if self.spec not in _MOMENTUM_BUILT:
                warnings.warn(CycledMomentumWarning(_cycled_momentum_message(self.spec)), stacklevel=2)
        return self._fn(count)

    def __reduce__(self) -> tuple[Callable[[ScheduleSpec], JaxSchedule], tuple[ScheduleSpec]]:
        """Pickles as its spec (the traced function is rebuilt), as a host ``Schedule`` does."""
        return (build, (self.spec,))

    def __repr__(self) -> str:
        return f"<Optax schedule of {self.spec!r}>"


def build(spec: ScheduleSpec) -> JaxSchedule:
    """The Optax schedule of a spec: traceable, any integer step (int32 up to ``2**31 - 1``)."""
    if isinstance(spec, MomentumOf):
        _MOMENTUM_BUILT.add(spec.lr_schedule)
    f = spec.compose().array(JAX_OPS, 0, (0, None))  # steps are >= 0
    as_step, name, floats = JAX_OPS.as_step, spec.schedule, spec.float_steps()
    return JaxSchedule(spec, lambda count: f(as_step(count, name, floats)))
