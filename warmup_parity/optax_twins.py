"""Optax transformations that compute torch's update rules where optax's own builder computes another.

- :func:`scale_by_torch_nadam`: torch ``NAdam`` uses Dozat's momentum schedule
  ``mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))`` and its running product;
  ``optax.nadam`` uses a constant ``b1``. No optax argument gives torch's ``mu_t`` (even
  ``momentum_decay=0`` gives ``b1 / 2``), so the rule is written here.
- :func:`scale_by_torch_radam`: torch ``RAdam`` divides by ``sqrt(v) + eps`` and multiplies by
  ``sqrt(1 - b2**t)``, i.e. its eps is ``eps / sqrt(1 - b2**t)`` against the bias-corrected
  ``v``; ``optax.radam`` adds ``eps`` to ``sqrt(v_hat)``. torch rectifies when ``rho_t > 5``,
  optax when ``rho_t >= 5``.

Both return the direction (the lr and the sign come from ``scale_by_learning_rate`` after
them), keep the first and second moments in fields ``mu`` and ``nu`` (as ``optax.adam``), and
count updates in ``count`` (the k-th update has ``t = k + 1``, torch's ``step``).

Example:
    >>> import jax.numpy as jnp, optax
    >>> tx = optax.chain(scale_by_torch_radam(0.9, 0.999, 1e-8), optax.scale_by_learning_rate(1e-3))
    >>> state = tx.init({"w": jnp.zeros(2)})
    >>> updates, state = tx.update({"w": jnp.ones(2)}, state)
    >>> round(float(updates["w"][0]), 6)  # rho_1 <= 5: the bias-corrected momentum, times -lr
    -0.001
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["TorchNAdamState", "scale_by_torch_nadam", "scale_by_torch_radam"]


class TorchNAdamState(NamedTuple):
    """The state of :func:`scale_by_torch_nadam`: torch's ``step``, ``exp_avg``, ``exp_avg_sq``,
    ``mu_product``."""

    count: jax.Array
    mu: Any
    nu: Any
    mu_product: jax.Array


def _dtype(dtype: Any) -> Any:
    return jax.dtypes.canonicalize_dtype(jnp.float64 if dtype is None else dtype)


def scale_by_torch_nadam(b1: Any, b2: Any, eps: float, momentum_decay: float, *, dtype: Any = None
                         ) -> optax.GradientTransformation:
    """torch ``NAdam``'s direction (``lr = 1``, before the sign): for update ``t = k + 1``,

    ``mu_t = b1 (1 - 0.5 * 0.96**(t psi))``, ``P_t = P_{t-1} mu_t`` (``mu_product``),
    ``(1 - mu_t) / (1 - P_t) * g / d + mu_{t+1} / (1 - P_t mu_{t+1}) * m / d`` with
    ``d = sqrt(v / (1 - b2**t)) + eps``.

    Args:
        b1, b2: the moment decay rates (numbers, or arrays of a scheduled ``b1``).
        eps: added to the bias-corrected root of ``v`` (torch's place).
        momentum_decay: torch's ``psi``.
        dtype: the dtype of ``mu_product`` (torch keeps it in its default dtype); ``None``:
            float64 when x64 is enabled, else float32.

    Returns:
        The transformation; its state is :class:`TorchNAdamState`.
    """
    def init(params: Any) -> TorchNAdamState:
        zeros = optax.tree.zeros_like(params)
        return TorchNAdamState(jnp.zeros([], jnp.int32), zeros, optax.tree.zeros_like(params),
                               jnp.ones([], _dtype(dtype)))

    def update(updates: Any, state: TorchNAdamState, params: Any = None) -> tuple[Any, TorchNAdamState]:
        del params
        count = optax.safe_increment(state.count)
        t = count.astype(state.mu_product.dtype)
        mu_t = b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        product = state.mu_product * mu_t
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        correction2 = 1 - b2 ** t
        c_grad = (1.0 - mu_t) / (1.0 - product)
        c_mom = mu_next / (1.0 - product * mu_next)

        def direction(g: Any, m: Any, v: Any) -> Any:
            d = jnp.sqrt(v / correction2) + eps
            return (c_grad * g / d + c_mom * m / d).astype(g.dtype)

        out = jax.tree.map(direction, updates, mu, nu)
        return out, TorchNAdamState(count, mu, nu, product)

    return optax.GradientTransformation(init, update)


def scale_by_torch_radam(b1: Any, b2: Any, eps: float) -> optax.GradientTransformation:
    """torch ``RAdam``'s direction (``lr = 1``, before the sign): for update ``t = k + 1``,

    ``m / (1 - b1**t)``, times ``r_t sqrt(1 - b2**t) / (sqrt(v) + eps)`` when
    ``rho_t = rho_inf - 2 t b2**t / (1 - b2**t) > 5`` (``rho_inf = 2 / (1 - b2) - 1``,
    ``r_t`` the rectification term).

    Args:
        b1, b2: the moment decay rates (numbers, or arrays of a scheduled ``b1``).
        eps: added to ``sqrt(v)`` before the bias correction (torch's place).

    Returns:
        The transformation; its state is ``optax.ScaleByAdamState(count, mu, nu)``.
    """
    def init(params: Any) -> optax.ScaleByAdamState:
        return optax.ScaleByAdamState(jnp.zeros([], jnp.int32), optax.tree.zeros_like(params),
                                      optax.tree.zeros_like(params))

    def update(updates: Any, state: optax.ScaleByAdamState, params: Any = None) -> tuple[Any, Any]:
        del params
        count = optax.safe_increment(state.count)
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        b2t = b2 ** count
        correction1, correction2 = 1 - b1 ** count, 1 - b2t
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * count * b2t / correction2
        rect = jnp.sqrt(jnp.maximum((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho), 0.0))

        def direction(m: Any, v: Any) -> Any:
            m_hat = m / correction1
            rectified = m_hat * (jnp.sqrt(correction2) / (jnp.sqrt(v) + eps)) * rect
            return jnp.where(rho > 5.0, rectified, m_hat).astype(m.dtype)

        return jax.tree.map(direction, mu, nu), optax.ScaleByAdamState(count, mu, nu)

    return optax.GradientTransformation(init, update)
