"""Hyperparameters computed from the update count inside an Optax transformation.

An Optax optimizer takes its momentum, ``b1`` or weight decay as numbers when it is built.
:func:`with_schedules` rebuilds the inner transformation at every update with the values
of their schedules at the update count, ``factory(**{name: schedule(count)})``, exactly as
``optax.inject_hyperparams`` does, but without storing the values: its state is the
count (one int32 leaf) and the inner state, unchanged. ``inject_hyperparams`` stores every
value and one count per schedule besides (the benchmarks measure both, ``make bench``,
rows ``jax.f.*``). The value of update ``k`` is ``schedule(k)``, as for the lr, so the
torch scheduler that writes the same schedules into the param groups gives the same run.

:func:`hyper_schedules` builds the Optax schedules of the hyperparameter specs of
:mod:`warmup_spec.hyper` (a ramp, the momentum ``one_cycle`` implies, any schedule config).

Example:
    >>> import jax.numpy as jnp, optax
    >>> from warmup_spec.hyper import Ramp
    >>> b1 = hyper_schedules({"b1": Ramp(0.5, 0.9, steps=4)})["b1"]
    >>> tx = with_schedules(lambda b1: optax.scale_by_adam(b1=b1), {"b1": b1})
    >>> state = tx.init(jnp.zeros(2))
    >>> for _ in range(3):
    ...     u, state = tx.update(jnp.ones(2), state)
    >>> int(state.count), round(float(b1(state.count)), 6)
    (3, 0.8)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from warmup_jax._build import OptaxSchedule, build
from warmup_spec.definition import ScheduleSpec

__all__ = ["ScheduledState", "hyper_schedules", "with_schedules"]


class ScheduledState(NamedTuple):
    """The state of :func:`with_schedules`: the update count and the inner transformation's state."""

    count: jax.Array
    inner: optax.OptState


def hyper_schedules(specs: Mapping[str, ScheduleSpec]) -> dict[str, OptaxSchedule]:
    """The Optax schedule ``count -> value`` of each hyperparameter spec (float32, float64
    under ``jax_enable_x64``)."""
    return {name: build(spec) for name, spec in specs.items()}


def with_schedules(
    factory: Callable[..., optax.GradientTransformation],
    schedules: Mapping[str, Callable[[jax.Array], Any]],
    *,
    dtype: Any = None,
) -> optax.GradientTransformation:
    """``factory(**values)`` with each value its schedule at the update count.

    Args:
        factory: builds the inner transformation from keyword hyperparameters; its state's
            structure must not depend on their values (true of ``trace``, ``scale_by_adam``,
            ``add_decayed_weights``, ...).
        schedules: ``{keyword: schedule}``; ``schedule(count)`` is the value for the update
            at ``count`` (0 for the first update).
        dtype: the dtype of the values (``None``: the schedules' own, float32 or, under
            x64, float64); pass the parameters' dtype to train float32 under x64.

    Returns:
        An ``optax.GradientTransformation`` whose state is :class:`ScheduledState`.
    """
    names = tuple(schedules)

    def values(count: jax.Array) -> dict[str, Any]:
        out = {k: schedules[k](count) for k in names}
        return out if dtype is None else {k: jnp.asarray(v, dtype) for k, v in out.items()}

    def init(params: optax.Params) -> ScheduledState:
        count = jnp.zeros([], jnp.int32)
        return ScheduledState(count=count, inner=factory(**values(count)).init(params))

    def update(updates: optax.Updates, state: ScheduledState, params: optax.Params | None = None
               ) -> tuple[optax.Updates, ScheduledState]:
        updates, inner = factory(**values(state.count)).update(updates, state.inner, params)
        return updates, ScheduledState(count=optax.safe_increment(state.count), inner=inner)

    return optax.GradientTransformation(init, update)
