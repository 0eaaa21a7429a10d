"""Keep the learning rate in float32 when gradients are bfloat16/float16.

``optax.scale_by_learning_rate(schedule)`` (and so ``optax.sgd``, ``optax.adam``
...) goes through ``optax.scale_by_schedule``, which does
``jnp.array(step_size, dtype=g.dtype) * g``: the lr is rounded to the *update*
dtype before the multiply. With bfloat16 gradients (8 significant bits) a
1000-step linear warmup to 1e-3 then takes only 504 distinct lr values and every
element of a step is scaled by the same lr, off by up to 0.39%
(``docs/stepping.md``, "Low precision", has the measurements).

:func:`scale_by_schedule_f32` multiplies the updates, upcast to at least
float32, by the lr in at least float32, so the lr itself is never rounded to
bfloat16/float16. The product is then either cast back to the update dtype once
(``keep_float32=False``, the default: a drop-in replacement inside any chain) or
kept in float32 (``keep_float32=True``: use it as the last transformation, and
``optax.apply_updates`` adds the float32 update to the low-precision params and
rounds once). Under ``jax.enable_x64`` with float64 gradients nothing is
downcast: the compute dtype is ``promote_types(update dtype, float32)``.

Example:
    >>> import jax.numpy as jnp, optax
    >>> from warmup_jax import warmup_constant
    >>> from warmup_jax.precision import scale_by_learning_rate_f32
    >>> tx = scale_by_learning_rate_f32(warmup_constant(1e-3, 1000), keep_float32=True)
    >>> g = jnp.ones((), jnp.bfloat16)
    >>> state = tx.init(g)
    >>> for _ in range(3):
    ...     u, state = tx.update(g, state)
    >>> u.dtype, float(u)   # lr(2) = 2e-6 rounded to float32 only
    (dtype('float32'), -1.9999999949504854e-06)
    >>> u_default, _ = optax.scale_by_learning_rate(warmup_constant(1e-3, 1000)).update(
    ...     g, optax.ScaleByScheduleState(count=jnp.asarray(2, jnp.int32)))
    >>> u_default.dtype, float(u_default)   # optax: lr rounded to bfloat16 first
    (dtype(bfloat16), -1.996755599975586e-06)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

__all__ = ["scale_by_learning_rate_f32", "scale_by_schedule_f32"]


def _compute_dtype(dtype: Any) -> Any:
    return jnp.promote_types(dtype, jnp.float32)


def scale_by_schedule_f32(
    step_size_fn: Callable[[jax.Array], Any], *, keep_float32: bool = False
) -> optax.GradientTransformation:
    """``optax.scale_by_schedule`` with the multiply done in (at least) float32.

    Each update leaf ``g`` becomes ``step_size_fn(count) * g`` computed in
    ``promote_types(g.dtype, float32)``, then cast back to ``g.dtype`` once unless
    ``keep_float32``. The state is optax's own ``ScaleByScheduleState`` (same
    count, same checkpoints); the count advances once per ``update`` call.
    """

    def init_fn(params: Any) -> optax.ScaleByScheduleState:
        del params
        return optax.ScaleByScheduleState(count=jnp.zeros([], jnp.int32))

    def update_fn(updates: Any, state: optax.ScaleByScheduleState, params: Any = None):
        del params
        step_size = step_size_fn(state.count)

        def one(g: jax.Array) -> jax.Array:
            ct = _compute_dtype(g.dtype)
            out = jnp.asarray(step_size, ct) * jnp.asarray(g, ct)
            return out if keep_float32 else out.astype(g.dtype)

        new_state = optax.ScaleByScheduleState(count=optax.safe_increment(state.count))
        return jax.tree.map(one, updates), new_state

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_learning_rate_f32(
    learning_rate: float | Callable[[jax.Array], Any],
    *,
    flip_sign: bool = True,
    keep_float32: bool = False,
) -> optax.GradientTransformation:
    """``optax.scale_by_learning_rate`` with the lr kept in (at least) float32.

    ``learning_rate`` is a schedule ``count -> lr`` or a constant; the result is
    ``-lr * g`` (``lr * g`` with ``flip_sign=False``), see
    :func:`scale_by_schedule_f32` for the dtypes. Replace the last
    ``scale_by_learning_rate`` of a chain with it, e.g.
    ``optax.chain(optax.scale_by_adam(), scale_by_learning_rate_f32(schedule))``
    for ``optax.adam(schedule)``.
    """
    m = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        fn = learning_rate
        return scale_by_schedule_f32(lambda count: m * fn(count), keep_float32=keep_float32)
    value = float(learning_rate)
    return scale_by_schedule_f32(lambda count: m * value, keep_float32=keep_float32)
