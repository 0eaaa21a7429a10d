r"""The catalogue as plain ``step -> lr`` callables (float64, picklable).

Every function has the same name, parameters, defaults and keyword-only markers as
its :mod:`warmup_spec` spec class, builds that spec (so a bad value raises the same
``ValueError`` text as in ``warmup_jax``) and returns a :class:`Schedule`.

Notation: ``t`` the step (0-based; the lr of the ``t``-th optimizer update),
``w = warmup_steps``, ``T = total_steps`` (warmup included), ``p = peak_value``,
``i = init_value``, ``e = end_value``, ``u = clip((t - w) / (T - w), 0, 1)``.
For ``t < w`` every schedule with ``warmup_steps`` warms up from ``i`` to ``p``
with ``warmup_shape``:

.. math::

    \text{linear: } i + (p - i)\,\tfrac{t}{w} \qquad
    \text{cosine: } i + (p - i)\,\tfrac{1 - \cos(\pi t / w)}{2} \qquad
    \text{exponential: } i\,(p / i)^{t / w}

Steps past the end hold the final value.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, Union

from warmup_spec import specs as S

from warmup_spec.closed_form import Schedule, as_spec

__all__ = [
    "Schedule",
    "join",
    "legacy_noam",
    "noam",
    "one_cycle",
    "scale",
    "tri_stage",
    "untuned_warmup",
    "warmup_constant",
    "warmup_cosine_decay",
    "warmup_cosine_restarts",
    "warmup_exponential_decay",
    "warmup_inverse_sqrt",
    "warmup_linear_decay",
    "warmup_polynomial_decay",
    "warmup_stable_decay",
    "with_warmup",
]

Base = Union[S.ScheduleSpec, Schedule, Mapping[str, Any], Callable[[int], Any]]
"""A base schedule: a spec, a :class:`Schedule`, a config mapping, or a user's own
``step -> lr`` callable (stored as it is; it must be picklable for the schedule to be)."""


def _base(base: Base) -> Any:
    """Unwraps a :class:`Schedule` or config to its spec; a user callable stays as is."""
    if isinstance(base, (Schedule, S.ScheduleSpec, Mapping)):
        return as_spec(base)
    return base


def warmup_constant(
    peak_value: float,
    warmup_steps: int = 0,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup to ``peak_value``, then constant.

    .. math::

        f(t) = p \quad (t \ge w)

    Args:
        peak_value: the value after warmup, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0`` (0: no warmup).
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        HF ``get_constant_schedule_with_warmup``; optax ``warmup_constant_schedule``.

    Example:
        >>> f = warmup_constant(1.0, warmup_steps=4)
        >>> [f(t) for t in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return Schedule(
        S.WarmupConstant(peak_value, warmup_steps, init_value=init_value, warmup_shape=warmup_shape)
    )


def warmup_linear_decay(
    peak_value: float,
    warmup_steps: int,
    total_steps: int,
    end_value: float = 0.0,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup, then linear decay from ``peak_value`` to ``end_value`` at ``total_steps``.

    .. math::

        f(t) = p + (e - p)\,u = e + (p - e)\,\frac{T - \min(t, T)}{T - w} \quad (t \ge w)

    Args:
        peak_value: the value at ``t = w``, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        total_steps: the whole schedule ``T > w``, warmup included.
        end_value: the value from ``T`` on, in ``[0, peak_value]``.
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        HF ``get_linear_schedule_with_warmup``.

    Example:
        >>> f = warmup_linear_decay(1.0, warmup_steps=2, total_steps=6, end_value=0.2)
        >>> [round(f(t), 4) for t in range(8)]
        [0.0, 0.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2]
    """
    return Schedule(
        S.WarmupLinearDecay(
            peak_value, warmup_steps, total_steps, end_value, init_value=init_value, warmup_shape=warmup_shape
        )
    )


def warmup_cosine_decay(
    peak_value: float,
    warmup_steps: int,
    total_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup, then (half-)cosine decay from ``peak_value`` to ``end_value``.

    .. math::

        f(t) = e + (p - e)\left(\frac{1 + \cos(\pi u)}{2}\right)^{\text{exponent}}
             = e + (p - e)\,\sin\!\left(\frac{\pi}{2}\,\frac{T - \min(t, T)}{T - w}\right)^{2\,\text{exponent}}

    The second form, with the remaining fraction computed from integers, keeps full
    relative precision in the last steps.

    Args:
        peak_value: the value at ``t = w``, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        total_steps: the whole schedule ``T > w``, warmup included.
        end_value: the value from ``T`` on, in ``[0, peak_value]``.
        exponent: the power of the cosine factor, ``> 0``.
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        optax ``warmup_cosine_decay_schedule``; Loshchilov & Hutter (2017), SGDR.

    Example:
        >>> f = warmup_cosine_decay(1.0, warmup_steps=2, total_steps=6)
        >>> [round(f(t), 4) for t in range(8)]
        [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    return Schedule(
        S.WarmupCosineDecay(
            peak_value,
            warmup_steps,
            total_steps,
            end_value,
            exponent,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
    )


def warmup_polynomial_decay(
    peak_value: float,
    warmup_steps: int,
    total_steps: int,
    end_value: float = 0.0,
    power: float = 1.0,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup, then polynomial decay from ``peak_value`` to ``end_value``.

    .. math::

        f(t) = e + (p - e)\,(1 - u)^{\text{power}} \quad (t \ge w)

    Args:
        peak_value: the value at ``t = w``, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        total_steps: the whole schedule ``T > w``, warmup included.
        end_value: the value from ``T`` on, in ``[0, peak_value]``.
        power: the power of the decay, ``> 0`` (1: linear).
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        HF ``get_polynomial_decay_schedule_with_warmup``; optax ``polynomial_schedule``.

    Example:
        >>> f = warmup_polynomial_decay(1.0, warmup_steps=2, total_steps=6, power=2.0)
        >>> [round(f(t), 4) for t in range(8)]
        [0.0, 0.5, 1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """
    return Schedule(
        S.WarmupPolynomialDecay(
            peak_value,
            warmup_steps,
            total_steps,
            end_value,
            power,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
    )


def warmup_exponential_decay(
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    staircase: bool = False,
    end_value: float | None = None,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup, then exponential decay (or growth) by ``decay_rate`` every ``transition_steps``.

    .. math::

        f(t) = p \cdot \text{decay\_rate}^{q}, \quad q = \frac{t - w}{\text{transition\_steps}}
        \quad (\lfloor q \rfloor \text{ if staircase})

    clipped at ``end_value``: a floor when ``decay_rate < 1``, a ceiling (required)
    when ``decay_rate > 1``. Never ``inf``: growth past the ceiling gives the ceiling.

    Args:
        peak_value: the value at ``t = w``, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        transition_steps: the steps over which the value is multiplied by ``decay_rate``, ``>= 1``.
        decay_rate: the factor per ``transition_steps``, ``> 0``.
        staircase: if True, the value changes only every ``transition_steps``.
        end_value: the floor (``decay_rate < 1``, optional) or ceiling (``> 1``, required).
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        optax ``warmup_exponential_decay_schedule``.

    Example:
        >>> f = warmup_exponential_decay(1.0, warmup_steps=2, transition_steps=2, decay_rate=0.5, end_value=0.3)
        >>> [round(f(t), 4) for t in range(8)]
        [0.0, 0.5, 1.0, 0.7071, 0.5, 0.3536, 0.3, 0.3]
    """
    return Schedule(
        S.WarmupExponentialDecay(
            peak_value,
            warmup_steps,
            transition_steps,
            decay_rate,
            staircase,
            end_value,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
    )


def warmup_inverse_sqrt(
    peak_value: float,
    warmup_steps: int,
    timescale: float | None = None,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup, then inverse-square-root decay.

    .. math::

        f(t) = \frac{p}{\sqrt{(t - w + \tau) / \tau}} \quad (t \ge w),
        \qquad \tau = \text{timescale} \text{ (default } w)

    With the default timescale this is the corrected Noam schedule: it peaks at
    ``p`` exactly at ``t = w``.

    Args:
        peak_value: the value at ``t = w``, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        timescale: ``tau > 0``; defaults to ``warmup_steps`` (required when that is 0).
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        HF ``get_inverse_sqrt_schedule``; fairseq ``inverse_sqrt``.

    Example:
        >>> f = warmup_inverse_sqrt(1.0, warmup_steps=4)
        >>> [round(f(t), 4) for t in (0, 2, 4, 8, 16, 100)]
        [0.0, 0.5, 1.0, 0.7071, 0.5, 0.2]
    """
    return Schedule(
        S.WarmupInverseSqrt(
            peak_value, warmup_steps, timescale, init_value=init_value, warmup_shape=warmup_shape
        )
    )


def noam(d_model: float, warmup_steps: int, scale: float = 1.0) -> Schedule:
    r"""The Transformer schedule of Vaswani et al. (2017), with ``s = t + 1``.

    .. math::

        f(t) = \text{scale} \cdot d_{\text{model}}^{-1/2} \cdot \min(s^{-1/2},\; s\,w^{-3/2})

    Linear growth for ``s <= w``, then ``1/sqrt(s)``; the peak is
    ``scale / sqrt(d_model * w)`` at ``s = w`` (``t = w - 1``).

    Args:
        d_model: the model width, ``> 0``.
        warmup_steps: ``w >= 1``.
        scale: a constant factor, ``>= 0``.

    Returns:
        The schedule ``step -> lr``.

    References:
        Vaswani et al. (2017), "Attention Is All You Need", eq. (3).

    Example:
        >>> f = noam(d_model=512, warmup_steps=4000)
        >>> [f"{f(t):.3e}" for t in (0, 3999, 15999)]
        ['1.747e-07', '6.988e-04', '3.494e-04']
    """
    return Schedule(S.Noam(d_model, warmup_steps, scale))


def legacy_noam(max_lr: float, warmup_steps: int) -> Schedule:
    r"""The widely copied ``adjust_learning_rate`` snippet, reproduced exactly, with ``s = t + 1``.

    .. math::

        f(t) = \text{max\_lr} \cdot \min\!\left(\frac{s}{w},\; \frac{\sqrt{w}}{s}\right)

    Its bug is kept: the two branches cross at ``s = w**0.75``, so the real peak
    is about ``max_lr * w**-0.25`` there (w=500: step 105, 21% of ``max_lr``), not
    ``max_lr`` at ``w``. Use :func:`noam` or :func:`warmup_inverse_sqrt` for the
    corrected forms; this one exists to reproduce old runs.

    Args:
        max_lr: the nominal peak, ``>= 0`` (never reached for ``w > 1``).
        warmup_steps: ``w >= 1``.

    Returns:
        The schedule ``step -> lr``.

    Example:
        >>> f = legacy_noam(max_lr=1.0, warmup_steps=500)
        >>> [round(f(t), 4) for t in (0, 104, 105, 499)]
        [0.002, 0.21, 0.2109, 0.0447]
    """
    return Schedule(S.LegacyNoam(max_lr, warmup_steps))


def warmup_stable_decay(
    peak_value: float,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    decay_shape: str = "linear",
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup-stable-decay (trapezoid): warmup, hold ``peak_value``, decay to ``end_value``.

    With ``v = clip((t - w - stable_steps) / decay_steps, 0, 1)``, for ``t >= w + stable_steps``:

    .. math::

        f(t) = e + (p - e)\,g(v), \quad g(v) = 1 - v,\; \frac{1 + \cos(\pi v)}{2}
        \text{ or } 1 - \sqrt{v}

    Args:
        peak_value: the value from ``w`` to ``w + stable_steps``, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        stable_steps: the steps held at ``peak_value``, ``>= 0``.
        decay_steps: the steps of the decay, ``>= 1``.
        end_value: the value from ``w + stable_steps + decay_steps`` on, in ``[0, peak_value]``.
        decay_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        HF ``get_wsd_schedule``; Hägele et al. (2024).

    Example:
        >>> f = warmup_stable_decay(1.0, warmup_steps=2, stable_steps=2, decay_steps=4, decay_shape="1-sqrt")
        >>> [round(f(t), 4) for t in range(10)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.2929, 0.134, 0.0, 0.0]
    """
    return Schedule(
        S.WarmupStableDecay(
            peak_value,
            warmup_steps,
            stable_steps,
            decay_steps,
            end_value,
            decay_shape,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
    )


def warmup_cosine_restarts(
    peak_value: float,
    warmup_steps: int,
    cycle_steps: int,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int | None = None,
    end_value: float = 0.0,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup, then cosine cycles with warm restarts (SGDR).

    Cycle ``c`` (``c = 0, 1, ...``) starts ``cycle_steps * (cycle_mul**c - 1) / (cycle_mul - 1)``
    steps after warmup (``cycle_steps * c`` when ``cycle_mul == 1``) and lasts
    ``L = cycle_steps * cycle_mul**c``; at position ``x`` in it:

    .. math::

        f(t) = e + (p\,\text{cycle\_decay}^{c} - e)\,\frac{1 + \cos(\pi x / L)}{2}

    After ``cycle_limit`` cycles (if set) the value holds ``end_value``. With
    ``warmup_steps=0`` this is torch ``CosineAnnealingWarmRestarts(T_0=cycle_steps,
    T_mult=cycle_mul, eta_min=end_value)``.

    Args:
        peak_value: the value at the start of cycle 0, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        cycle_steps: the length of cycle 0, ``>= 1``.
        cycle_mul: the growth of the cycle length per cycle: 1.0 or in ``[1.001, 64]``.
        cycle_decay: the factor on the peak per cycle, in ``(0, 1]``.
        cycle_limit: the number of cycles before holding ``end_value``; None: forever.
        end_value: the value at the end of every cycle, in ``[0, peak_value]``.
        init_value: the value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        Loshchilov & Hutter (2017), SGDR; timm ``CosineLRScheduler``; optax ``sgdr_schedule``.

    Example:
        >>> f = warmup_cosine_restarts(1.0, warmup_steps=0, cycle_steps=2, cycle_mul=2.0, cycle_decay=0.5)
        >>> [round(f(t), 4) for t in range(8)]
        [1.0, 0.5, 0.5, 0.4268, 0.25, 0.0732, 0.25, 0.2405]
    """
    return Schedule(
        S.WarmupCosineRestarts(
            peak_value,
            warmup_steps,
            cycle_steps,
            cycle_mul,
            cycle_decay,
            cycle_limit,
            end_value,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
    )


def one_cycle(
    total_steps: int,
    max_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
) -> Schedule:
    r"""torch ``OneCycleLR`` (two phases), equal to it bit for bit, held from ``total_steps - 1``.

    With ``i = max_value / div_factor`` and ``m = i / final_div_factor``: anneal from
    ``i`` to ``max_value`` over ``[0, a]``, ``a = pct_start * total_steps - 1``, then
    to ``m`` over ``[a, total_steps - 1]``; with ``pct`` the progress in the phase,

    .. math::

        \text{cos: } \text{end} + \frac{\text{start} - \text{end}}{2}(\cos(\pi\,\text{pct}) + 1)
        \qquad \text{linear: } (\text{end} - \text{start})\,\text{pct} + \text{start}

    torch raises when stepped past ``total_steps``; this holds ``m`` instead.

    Args:
        total_steps: the length of the cycle, ``>= 2``.
        max_value: the peak value, ``>= 0``.
        pct_start: the fraction of the cycle spent increasing, in ``(1/total_steps, 1)``.
        div_factor: ``max_value / initial value``, ``> 0``.
        final_div_factor: ``initial value / final value``, ``> 0``.
        anneal: ``"cos"`` or ``"linear"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        Smith & Topin (2017), "Super-Convergence"; torch ``OneCycleLR``.

    Example:
        >>> f = one_cycle(total_steps=10, max_value=1.0)
        >>> [round(f(t), 4) for t in range(11)]
        [0.04, 0.52, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495, 0.0, 0.0]
    """
    return Schedule(S.OneCycle(total_steps, max_value, pct_start, div_factor, final_div_factor, anneal))


def tri_stage(
    peak_value: float,
    warmup_steps: int,
    hold_steps: int,
    decay_steps: int,
    init_scale: float = 0.01,
    final_scale: float = 0.01,
    *,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""fairseq's tri-stage: warmup from ``p * init_scale``, hold ``p``, exponential decay.

    With ``v = clip((t - w - hold_steps) / decay_steps, 0, 1)``, after the hold:

    .. math::

        f(t) = p \exp(\log(\text{final\_scale})\,v)

    and ``p * final_scale`` from ``w + hold_steps + decay_steps`` on.

    Args:
        peak_value: the held value, ``>= 0``.
        warmup_steps: the number of warmup steps ``w >= 0``.
        hold_steps: the steps held at ``peak_value``, ``>= 0``.
        decay_steps: the steps of the decay, ``>= 1``.
        init_scale: the value at step 0 as a fraction of ``peak_value``, in ``[0, 1]``.
        final_scale: the final value as a fraction of ``peak_value``, in ``(0, 1]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        fairseq ``tri_stage`` (SpecAugment, Park et al. 2019).

    Example:
        >>> f = tri_stage(1.0, warmup_steps=2, hold_steps=1, decay_steps=2)
        >>> [round(f(t), 4) for t in range(7)]
        [0.01, 0.505, 1.0, 1.0, 0.1, 0.01, 0.01]
    """
    return Schedule(
        S.TriStage(
            peak_value, warmup_steps, hold_steps, decay_steps, init_scale, final_scale, warmup_shape=warmup_shape
        )
    )


# --- combinators -------------------------------------------------------------------


def with_warmup(
    base: Base,
    warmup_steps: int,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Prepends a warmup to any ``base`` schedule (ours or a user's own function).

    .. math::

        f(t) = \text{warmup}(i \to \text{base}(0))(t) \;(t < w), \qquad
        f(t) = \text{base}(t - w) \;(t \ge w)

    (optax ``join_schedules`` semantics: the base starts at its own step 0 after warmup.)

    Args:
        base: a spec, a :class:`Schedule`, a config mapping, or a callable ``step -> lr``
            (called with Python ints; stored as it is, so it must be picklable for
            the schedule to pickle, and it has no config).
        warmup_steps: the number of warmup steps ``w >= 0``.
        init_value: the value at step 0, ``>= 0`` (``> 0`` for an exponential warmup).
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    Example:
        >>> f = with_warmup(warmup_cosine_decay(1.0, warmup_steps=0, total_steps=4), warmup_steps=2)
        >>> [round(f(t), 4) for t in range(8)]
        [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    return Schedule(S.WithWarmup(_base(base), warmup_steps, init_value, warmup_shape))


def untuned_warmup(base: Base, beta2: float = 0.999, shape: str = "linear") -> Schedule:
    r"""Multiplies any ``base`` by the untuned warmup factor for Adam of Ma & Yarats (2019).

    .. math::

        \text{linear: } \min\!\left(1, \tfrac{1 - \beta_2}{2}(t + 1)\right) \qquad
        \text{exponential: } 1 - e^{-(1 - \beta_2)(t + 1)}

    Args:
        base: a spec, a :class:`Schedule`, a config mapping, or a callable ``step -> lr``.
        beta2: Adam's second-moment decay, in ``[0, 1)``.
        shape: ``"linear"`` (reaches 1 at ``t = 2 / (1 - beta2) - 1``) or ``"exponential"``.

    Returns:
        The schedule ``step -> lr``.

    References:
        Ma & Yarats (2019), "On the adequacy of untuned warmup for adaptive optimization".

    Example:
        >>> f = untuned_warmup(warmup_constant(1.0), beta2=0.999)
        >>> [round(f(t), 4) for t in (0, 999, 1999, 5000)]
        [0.0005, 0.5, 1.0, 1.0]
    """
    return Schedule(S.UntunedWarmup(_base(base), beta2, shape))


def scale(base: Base, factor: float) -> Schedule:
    r"""``f(t) = factor * base(t)``.

    Args:
        base: a spec, a :class:`Schedule`, a config mapping, or a callable ``step -> lr``.
        factor: the constant factor, ``>= 0``.

    Returns:
        The schedule ``step -> lr``.

    Example:
        >>> f = scale(warmup_constant(1.0, warmup_steps=2), 0.5)
        >>> [f(t) for t in range(4)]
        [0.0, 0.25, 0.5, 0.5]
    """
    return Schedule(S.Scale(_base(base), factor))


def join(schedules: Sequence[Base], boundaries: Sequence[int]) -> Schedule:
    r"""optax ``join_schedules``: from ``boundaries[k]`` on, ``schedules[k + 1](t - boundaries[k])``.

    Args:
        schedules: ``n >= 1`` schedules (specs, :class:`Schedule`\ s, configs or callables).
        boundaries: ``n - 1`` strictly increasing steps ``>= 0``.

    Returns:
        The schedule ``step -> lr``.

    Example:
        >>> f = join([warmup_constant(1.0, warmup_steps=2), warmup_linear_decay(1.0, 0, 4)], [3])
        >>> [f(t) for t in range(9)]
        [0.0, 0.5, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    if isinstance(schedules, (list, tuple)):
        schedules = [_base(s) for s in schedules]
    return Schedule(S.Join(schedules, boundaries))  # the spec validates the rest
