"""Combinators over ANY schedule: one of ours, a spec, a config or a user's own
traceable ``count -> lr`` function."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, Union

from warmup_jax._build import Schedule, build
from warmup_spec import specs as S
from warmup_spec.registry import spec_from_config

BaseLike = Union[S.ScheduleSpec, Mapping[str, Any], Callable[[Any], Any]]


def _base(base: BaseLike) -> Any:
    """A spec for specs and configs; a user's function stays a function."""
    return spec_from_config(base) if isinstance(base, Mapping) else base


def with_warmup(
    base: BaseLike,
    warmup_steps: int,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Prepends a warmup to ``base`` (optax ``join_schedules`` semantics).

    .. math::
        f(t) = \begin{cases} \mathrm{warmup}_{i \to \mathrm{base}(0)}(t) & t < w \\
        \mathrm{base}(t - w) & t \ge w \end{cases}

    Args:
        base: a schedule spec or config, or a traceable ``count -> lr`` function.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        init_value: value at step 0, ``>= 0`` (``> 0`` for exponential warmup).
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> import optax
        >>> sched = with_warmup(optax.exponential_decay(1.0, 1, 0.5), warmup_steps=2)
        >>> [round(float(sched(t)), 6) for t in range(5)]
        [0.0, 0.5, 1.0, 0.5, 0.25]
    """
    spec = S.WithWarmup(_base(base), warmup_steps, init_value, warmup_shape)
    return build(spec)


def untuned_warmup(base: BaseLike, beta2: float = 0.999, shape: str = "linear") -> Schedule:
    r"""Multiplies ``base`` by the untuned warmup factor of Ma & Yarats (2019).

    .. math::
        f(t) = \mathrm{base}(t) \cdot \begin{cases}
        \min(1, \frac{1 - \beta_2}{2} (t + 1)) & \text{linear} \\
        1 - e^{-(1 - \beta_2)(t + 1)} & \text{exponential} \end{cases}

    The linear factor reaches 1 after ``2 / (1 - beta2)`` steps (2000 for 0.999).

    Args:
        base: a schedule spec or config, or a traceable ``count -> lr`` function.
        beta2: Adam's second-moment decay, in ``[0, 1)``.
        shape: ``"linear"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = untuned_warmup(lambda t: 1.0, beta2=0.5)
        >>> [round(float(sched(t)), 6) for t in range(5)]
        [0.25, 0.5, 0.75, 1.0, 1.0]

    References:
        Ma & Yarats, On the adequacy of untuned warmup for adaptive optimization (2019).
    """
    return build(S.UntunedWarmup(_base(base), beta2, shape))


def scale(base: BaseLike, factor: float) -> Schedule:
    """``f(t) = factor * base(t)``, e.g. half the lr for one parameter group.

    Example:
        >>> [round(float(scale(lambda t: 0.5, 0.5)(t)), 6) for t in range(2)]
        [0.25, 0.25]
    """
    return build(S.Scale(_base(base), factor))


def join(schedules: Sequence[BaseLike], boundaries: Sequence[int]) -> Schedule:
    """optax ``join_schedules``: from ``boundaries[k]`` on, ``schedules[k+1](t - boundaries[k])``.

    Example:
        >>> sched = join([lambda t: 1.0, lambda t: 2.0], [2])
        >>> [float(sched(t)) for t in range(4)]
        [1.0, 1.0, 2.0, 2.0]
    """
    return build(S.Join([_base(s) for s in schedules], list(boundaries)))


__all__ = ["join", "scale", "untuned_warmup", "with_warmup"]
