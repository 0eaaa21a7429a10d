"""Spec -> Optax schedule: the shared array forms of :mod:`warmup_spec._forms` over ``jax.numpy``."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from warmup_spec import _forms
from warmup_spec._array_ops import ArrayOps

Schedule = Callable[[Any], jax.Array]
"""An Optax schedule: ``count -> lr`` (float32, or float64 under ``jax_enable_x64``)."""

JAX_OPS = ArrayOps(jnp, lambda: jax.dtypes.canonicalize_dtype(jnp.float64))


def build(spec: Any) -> Schedule:
    """The Optax schedule of a spec (or a user's traceable function, cast to the float dtype)."""
    return _forms.build(spec, JAX_OPS)
