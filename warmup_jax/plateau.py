"""torch's ``ReduceLROnPlateau`` in JAX: the same lr for the same metrics, a warmup before it.

:func:`reduce_lr_on_plateau` is the lr stage of an Optax chain (in place of
``optax.scale_by_learning_rate``): it multiplies the updates by ``-lr``, where ``lr`` is the
warmup's value during the first ``warmup_steps`` updates and then the plateau's lr. The
metric is reported apart from the updates, as torch's ``scheduler.step(metric)`` is, once
an epoch: :func:`plateau_step` returns the optimizer state with every plateau in it
stepped (jittable). The decision is :mod:`warmup_spec.plateau`'s, the same float operations
as torch's, so under ``jax_enable_x64`` the lrs are torch's bit for bit; in float32 the lr
is a float32 and each reduction rounds once (``docs/hyperparameters.md`` has the figures).

Semantics (torch's, not ``optax.contrib.reduce_on_plateau``'s; the differences are in
``docs/hyperparameters.md``): the lr drops by ``factor`` after ``patience + 1`` metrics
without an improvement of ``threshold`` (relative or absolute, ``mode`` min or max), never
below ``min_lr`` nor by less than ``eps``, then ``cooldown`` metrics are ignored; a metric
reported before the warmup is over is ignored.

Example:
    >>> import jax.numpy as jnp, optax
    >>> tx = optax.chain(optax.trace(0.9), reduce_lr_on_plateau(0.1, factor=0.5, patience=0))
    >>> state = tx.init(jnp.zeros(2))
    >>> for metric in (1.0, 1.0, 0.5, 0.5):
    ...     state = plateau_step(state, metric)
    >>> round(float(plateau_lr(state)), 6)
    0.025
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import optax

from warmup_jax._build import JAX_OPS, build
from warmup_spec.definition import WarmupShape
from warmup_spec.plateau import Plateau, PlateauValues, initial, step

__all__ = ["PlateauState", "plateau_lr", "plateau_step", "reduce_lr_on_plateau"]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PlateauState:
    """The lr stage's state: the update count and torch's ``ReduceLROnPlateau`` state; the
    parameters (``spec``) travel with it as static data, so :func:`plateau_step` needs only
    the optimizer state."""

    count: jax.Array
    lr: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array
    last_epoch: jax.Array
    spec: Plateau = dataclasses.field(metadata={"static": True})


def reduce_lr_on_plateau(
    lr: float,
    mode: str = "min",
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
    *,
    warmup_steps: int = 0,
    init_value: float = 0.0,
    warmup_shape: WarmupShape = "linear",
) -> optax.GradientTransformation:
    """The lr stage that reduces the lr on a plateau of a metric, as torch's ``ReduceLROnPlateau``.

    Args:
        lr: the lr the plateau logic starts from (torch: the optimizer's lr).
        mode: ``"min"`` or ``"max"`` (torch's parameters and defaults from here to ``eps``;
            :class:`warmup_spec.plateau.Plateau` checks them).
        factor: the lr's multiplier on a plateau, ``< 1``.
        patience: bad metrics tolerated; the lr drops at the ``patience + 1``-th.
        threshold: the improvement that counts, relative or absolute (``threshold_mode``).
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: metrics ignored after a reduction.
        min_lr: the floor.
        eps: reductions smaller than this are skipped.
        warmup_steps: updates of warmup first, from ``init_value`` to ``lr`` (``warmup_shape``).
        init_value: the warmup's first lr.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An ``optax.GradientTransformation``: ``updates * -lr(k)``; its state is
        :class:`PlateauState` (float64 under x64, else float32). Put it where
        ``optax.scale_by_learning_rate`` would be and report the metric with :func:`plateau_step`.

    Raises:
        ValueError: an invalid parameter (the text of :class:`~warmup_spec.plateau.Plateau`).
    """
    spec = Plateau(lr, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps,
                   warmup_steps=warmup_steps, init_value=init_value, warmup_shape=warmup_shape)

    def init(params: optax.Params) -> PlateauState:
        del params
        dtype, start = JAX_OPS.float_dtype(), initial(spec)
        zero = jnp.zeros([], jnp.int32)
        return PlateauState(count=zero, lr=jnp.asarray(start.lr, dtype), best=jnp.asarray(start.best, dtype),
                            num_bad_epochs=zero, cooldown_counter=zero, last_epoch=zero, spec=spec)

    def update(updates: optax.Updates, state: PlateauState, params: optax.Params | None = None
               ) -> tuple[optax.Updates, PlateauState]:
        del params
        step_size = -1 * plateau_lr(state)  # as optax.scale_by_learning_rate: cast, then multiply
        updates = jax.tree.map(lambda g: jnp.array(step_size, dtype=g.dtype) * g, updates)
        return updates, dataclasses.replace(state, count=optax.safe_increment(state.count))

    return optax.GradientTransformation(init, update)


def _plateaus(tree: Any) -> list[PlateauState]:
    return [x for x in jax.tree.leaves(tree, is_leaf=_is_plateau) if _is_plateau(x)]


def _is_plateau(x: Any) -> bool:
    return isinstance(x, PlateauState)


def plateau_lr(opt_state: Any) -> jax.Array:
    """The lr of the next update: the warmup's while it lasts, then the plateau's.

    Args:
        opt_state: a :class:`PlateauState`, or an optimizer state holding exactly one.
    """
    states = [opt_state] if _is_plateau(opt_state) else _plateaus(opt_state)
    if len(states) != 1:
        raise ValueError(f"plateau_lr: opt_state holds {len(states)} plateau states; expected one "
                         "(pass the PlateauState itself)")
    state = states[0]
    if state.spec.warmup_steps == 0:
        return state.lr
    warm = build(state.spec)(state.count).astype(state.lr.dtype)
    return jnp.where(state.count < state.spec.warmup_steps, warm, state.lr)


def _stepped(state: PlateauState, metric: Any) -> PlateauState:
    spec = state.spec
    values = PlateauValues(state.lr, state.best, state.num_bad_epochs, state.cooldown_counter, state.last_epoch)
    new = step(spec, values, jnp.asarray(metric, state.best.dtype), jnp.where, jnp.maximum)
    new = PlateauValues(*(jnp.asarray(n, jnp.asarray(o).dtype) for n, o in zip(new, values)))
    if spec.warmup_steps:  # metrics reported during the warmup are ignored
        warming = state.count < spec.warmup_steps
        new = PlateauValues(*(jnp.where(warming, o, n) for n, o in zip(new, values)))
    return dataclasses.replace(state, lr=new.lr, best=new.best, num_bad_epochs=new.num_bad_epochs,
                               cooldown_counter=new.cooldown_counter, last_epoch=new.last_epoch)


def plateau_step(opt_state: Any, metric: Any) -> Any:
    """``opt_state`` with every :class:`PlateauState` in it stepped with ``metric`` (torch's
    ``scheduler.step(metric)``); jittable.

    Args:
        opt_state: the optimizer state (any pytree; a ``PlateauState`` itself).
        metric: the metric (a scalar: the validation loss of the epoch, ...).

    Returns:
        The new optimizer state.

    Raises:
        ValueError: ``opt_state`` holds no plateau.
    """
    if not _plateaus(opt_state):
        raise ValueError("plateau_step: opt_state holds no PlateauState (build the optimizer with "
                         "reduce_lr_on_plateau as its lr stage)")
    return jax.tree.map(lambda x: _stepped(x, metric) if _is_plateau(x) else x, opt_state, is_leaf=_is_plateau)
