"""Traceable building blocks shared by every JAX schedule.

Rules that keep float32 within a few ulps of the float64 reference:
- step arithmetic (clipping, distances to boundaries) is done on the integer step,
  which is exact, and converted to float once;
- constants (ratios, logs, ``pi / 2L``) are computed in float64 in Python at build
  time and rounded once;
- no ``1 + cos(x)`` or ``1 - cos(x)`` near cancellation: ``sin`` of the remaining
  fraction is used instead.
No Python branching on the step: only on parameters, which are static.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

Array = jax.Array

HALF_PI = math.pi / 2


def float_dtype() -> Any:
    """float64 under ``jax_enable_x64``, else float32 (read at call time)."""
    return jax.dtypes.canonicalize_dtype(jnp.float64)


def as_step(count: Any) -> Array:
    """The step as an array: integer dtypes are kept exact, floats stay floats."""
    t = jnp.asarray(count)
    if t.dtype == jnp.bool_:
        t = t.astype(jnp.int32)
    return t


def clip_step(t: Array, lo: int, hi: int) -> Array:
    """``clip(t, lo, hi)`` with Python-int bounds clamped to ``t``'s dtype range."""
    if jnp.issubdtype(t.dtype, jnp.integer):
        info = jnp.iinfo(t.dtype)
        lo, hi = max(lo, int(info.min)), min(hi, int(info.max))
    return jnp.clip(t, lo, hi)


def to_float(x: Array) -> Array:
    return x.astype(float_dtype())


def warmup(shape: str, i: float, p: Any, t: Array, w: int) -> Array:
    """The warmup value at ``clip(t, 0, w)``; equals ``p`` at ``t >= w``.

    ``p`` (the target) is a Python float for the catalogue and a traced value for
    ``with_warmup`` over a user's function.
    """
    tc = to_float(clip_step(t, 0, w))
    static = isinstance(p, (int, float))
    if shape == "linear":
        # i + (p - i) * t / w
        k = (p - i) / w if static else (p - i) * (1.0 / w)
        return i + tc * k
    if shape == "cosine":
        # i + (p - i) * (1 - cos(pi t / w)) / 2 = i + (p - i) * sin(pi t / 2w)**2
        s = jnp.sin(tc * (HALF_PI / w))
        return i + (p - i) * (s * s)
    # exponential: i * (p / i) ** (t / w) = p * exp(-(w - t) * log(p / i) / w)
    rem = to_float(w - clip_step(t, 0, w))
    k = -math.log(p / i) / w if static else -jnp.log(p / i) * (1.0 / w)
    return p * jnp.exp(rem * k)


def sin2(rem: Array, length: float, exponent: float = 1.0) -> Array:
    """``(sin(pi/2 * rem / length))**(2 * exponent)``: the cosine factor
    ``((1 + cos(pi u)) / 2)**exponent`` written with ``rem = (1 - u) * length``."""
    s = jnp.sin(rem * (HALF_PI / length))
    return s * s if exponent == 1.0 else jnp.power(s, 2.0 * exponent)


def with_warmup_phase(t: Array, w: int, warm: Array, rest: Array) -> Array:
    """``warm`` before step ``w``, ``rest`` from it on (no-op when ``w == 0``)."""
    if w == 0:
        return rest
    return jnp.where(t < w, warm, rest)
