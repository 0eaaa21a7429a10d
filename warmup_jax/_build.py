"""Spec -> Optax schedule: the composition's array form over ``jax.numpy``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from warmup_spec._array_ops import ArrayOps
from warmup_spec.definition import ScheduleSpec

Schedule = Callable[[Any], jax.Array]
"""An Optax schedule: ``count -> lr`` (float32, or float64 under ``jax_enable_x64``)."""

JAX_OPS = ArrayOps(jnp, lambda: jax.dtypes.canonicalize_dtype(jnp.float64))


def build(spec: ScheduleSpec) -> Schedule:
    """The Optax schedule of a spec: traceable, any integer step (int32 up to ``2**31 - 1``)."""
    f = spec.compose().array(JAX_OPS, 0, (0, None))  # steps are >= 0
    as_step, name = JAX_OPS.as_step, spec.name
    return lambda count: f(as_step(count, name))
