"""Spec -> Optax schedule: the composition's array form over ``jax.numpy``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from warmup_spec._array_ops import ArrayOps
from warmup_spec.definition import ScheduleSpec

OptaxSchedule = Callable[[Any], jax.Array]
"""Any Optax schedule: ``count -> lr`` (what optax calls ``optax.Schedule``)."""

JAX_OPS = ArrayOps(jnp, lambda: jax.dtypes.canonicalize_dtype(jnp.float64))


class JaxSchedule:
    """An Optax schedule ``count -> lr`` (float32, or float64 under ``jax_enable_x64``) that
    carries its definition as ``.spec`` (what the matched optimizer pairs of ``warmup_parity``
    read the momentum a schedule cycles from): what every ``warmup_jax`` front end returns."""

    __slots__ = ("_fn", "spec", "__weakref__")

    def __init__(self, spec: ScheduleSpec, fn: Callable[[Any], jax.Array]) -> None:
        self.spec, self._fn = spec, fn

    def __call__(self, count: Any) -> jax.Array:
        return self._fn(count)

    def __repr__(self) -> str:
        return f"<Optax schedule of {self.spec!r}>"


def build(spec: ScheduleSpec) -> JaxSchedule:
    """The Optax schedule of a spec: traceable, any integer step (int32 up to ``2**31 - 1``)."""
    f = spec.compose().array(JAX_OPS, 0, (0, None))  # steps are >= 0
    as_step, name = JAX_OPS.as_step, spec.name
    return JaxSchedule(spec, lambda count: f(as_step(count, name)))
