"""Initializers that draw on the host (NumPy) instead of compiling a sampler per shape.

Flax's default ``lecun_normal`` is a truncated normal; eagerly, each new kernel shape compiles
its own ``jax.random.truncated_normal`` (about a second apiece on a CPU), which made building a
tiny ResNet take longer than training it. These draw the same kind of values in NumPy, seeded
by the key each layer is given, so a model is still a function of its ``nnx.Rngs`` seed.

Example:
    >>> import jax
    >>> w = lecun_normal(jax.random.key(0), (4, 3))
    >>> w.shape, bool(abs(w).max() < 2 / 4 ** 0.5)  # truncated at two standard deviations
    ((4, 3), True)
    >>> bool((w == lecun_normal(jax.random.key(0), (4, 3))).all())
    True
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["lecun_normal", "normal"]


def _rng(key: Any) -> np.random.Generator | None:
    """A NumPy generator seeded by ``key``; None when ``key`` is traced (``nnx.eval_shape``, a jit)."""
    try:
        seed = np.asarray(jax.random.key_data(key))
    except jax.errors.TracerArrayConversionError:
        return None
    return np.random.default_rng(seed.ravel().tolist())


def lecun_normal(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> Any:
    """Flax's default kernel initializer, drawn on the host: a normal truncated at two standard
    deviations, scaled to variance ``1 / fan_in`` (``fan_in``: every axis but the last).
    Traced (no host values), Flax's own."""
    rng = _rng(key)
    if rng is None:
        return jax.nn.initializers.lecun_normal()(key, shape, dtype)
    fan_in = math.prod(shape[:-1]) or 1
    draw = rng.standard_normal(shape)
    while (out := np.abs(draw) > 2).any():
        draw[out] = rng.standard_normal(int(out.sum()))
    return jnp.asarray(draw / (0.87962566103423978 * math.sqrt(fan_in)), dtype)


def normal(stddev: float) -> Any:
    """``nnx.initializers.normal(stddev)``, drawn on the host."""

    def init(key: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> Any:
        rng = _rng(key)
        if rng is None:
            return jax.nn.initializers.normal(stddev)(key, shape, dtype)
        return jnp.asarray(stddev * rng.standard_normal(shape), dtype)

    return init
