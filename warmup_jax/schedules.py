"""The catalogue as Optax schedules: each function returns ``count -> lr``.

Every schedule is traceable (no Python branching on the step), works with a Python
int, a NumPy int or a traced integer up to ``2**31 - 1``, returns float32 (float64
under ``jax_enable_x64``), and holds its final value past its end. Parameters are
checked at construction by :mod:`warmup_spec`; the same mistake raises the same
``ValueError`` text in ``warmup_torch``.

Warmup (``t < warmup_steps``, ``r = t / w``): ``warmup_shape`` is ``"linear"``
``i + (p - i) r``, ``"cosine"`` ``i + (p - i) (1 - cos(pi r)) / 2``, or
``"exponential"`` ``i (p / i) ** r``.
"""

from __future__ import annotations

from warmup_jax._build import Schedule, build
from warmup_spec import specs as S


def warmup_constant(
    peak_value: float,
    warmup_steps: int = 0,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup to ``peak_value``, then constant.

    .. math::
        f(t) = \begin{cases} \mathrm{warmup}(t) & t < w \\ p & t \ge w \end{cases}

    Args:
        peak_value: the constant value after warmup, ``>= 0``.
        warmup_steps: steps of warmup; 0 means none (unlike optax's
            ``warmup_constant_schedule``, which returns 0 forever then).
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_constant(0.1, warmup_steps=4)
        >>> [round(float(sched(t)), 6) for t in range(6)]
        [0.0, 0.025, 0.05, 0.075, 0.1, 0.1]

    References:
        HF ``get_constant_schedule_with_warmup``; optax ``warmup_constant_schedule``.
    """
    return build(S.WarmupConstant(peak_value, warmup_steps, init_value=init_value, warmup_shape=warmup_shape))


def warmup_linear_decay(
    peak_value: float,
    warmup_steps: int,
    total_steps: int,
    end_value: float = 0.0,
    *,
    init_value: float = 0.0,
    warmup_shape: str = "linear",
) -> Schedule:
    r"""Warmup, then linear decay to ``end_value`` at ``total_steps``.

    .. math::
        f(t) = p + (e - p)\,u, \quad u = \mathrm{clip}\left(\frac{t - w}{T - w}, 0, 1\right)

    Args:
        peak_value: value at the end of warmup, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        total_steps: whole schedule length including warmup (``T > w``).
        end_value: value from ``total_steps`` on, in ``[0, peak_value]``.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_linear_decay(1.0, warmup_steps=2, total_steps=6)
        >>> [round(float(sched(t)), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]

    References:
        HF ``get_linear_schedule_with_warmup``.
    """
    return build(
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
    r"""Warmup, then cosine decay to ``end_value`` at ``total_steps``.

    .. math::
        f(t) = e + (p - e) \left(\frac{1 + \cos(\pi u)}{2}\right)^{\mathrm{exponent}}

    Computed as ``sin(pi/2 * (T - t) / (T - w)) ** (2 * exponent)`` from the integer
    step, so float32 stays within a few ulps of float64 down to the last step
    (optax's form loses up to 5e-3 relatively there).

    Args:
        peak_value: value at the end of warmup, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        total_steps: whole schedule length including warmup (``T > w``), the
            same meaning as optax's ``decay_steps``.
        end_value: value from ``total_steps`` on, in ``[0, peak_value]``.
        exponent: power of the cosine factor, ``> 0``.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_cosine_decay(1.0, warmup_steps=2, total_steps=6)
        >>> [round(float(sched(t)), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.853553, 0.5, 0.146447, 0.0, 0.0]

    References:
        optax ``warmup_cosine_decay_schedule``; Loshchilov & Hutter, SGDR (2017).
    """
    return build(
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
    r"""Warmup, then polynomial decay to ``end_value`` at ``total_steps``.

    .. math::
        f(t) = e + (p - e)(1 - u)^{\mathrm{power}}

    Args:
        peak_value: value at the end of warmup, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        total_steps: whole schedule length including warmup (``T > w``).
        end_value: value from ``total_steps`` on, in ``[0, peak_value]``.
        power: exponent of the decay, ``> 0``.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_polynomial_decay(1.0, warmup_steps=2, total_steps=6, power=2.0)
        >>> [round(float(sched(t)), 6) for t in range(8)]
        [0.0, 0.5, 1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]

    References:
        HF ``get_polynomial_decay_schedule_with_warmup``; optax ``polynomial_schedule``.
    """
    return build(
        S.WarmupPolynomialDecay(
            peak_value, warmup_steps, total_steps, end_value, power, init_value=init_value, warmup_shape=warmup_shape
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
    r"""Warmup, then exponential decay (or growth, with a ceiling).

    .. math::
        f(t) = p \cdot \mathrm{decay\_rate}^{q}, \quad q = \frac{t - w}{\mathrm{transition\_steps}}

    ``q`` is floored when ``staircase``. ``end_value`` is a floor when
    ``decay_rate < 1`` and a ceiling (required) when ``decay_rate > 1``.

    Args:
        peak_value: value at the end of warmup, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        transition_steps: steps per factor of ``decay_rate``, ``>= 1``.
        decay_rate: factor per ``transition_steps``, ``> 0``.
        staircase: decay in discrete jumps.
        end_value: floor (rate < 1) or ceiling (rate > 1), or None.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_exponential_decay(1.0, 2, transition_steps=1, decay_rate=0.5, end_value=0.2)
        >>> [round(float(sched(t)), 6) for t in range(7)]
        [0.0, 0.5, 1.0, 0.5, 0.25, 0.2, 0.2]

    References:
        optax ``warmup_exponential_decay_schedule``.
    """
    return build(
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
    r"""Warmup, then inverse square-root decay (never ends).

    .. math::
        f(t) = \frac{p}{\sqrt{(t - w + \tau) / \tau}}, \quad \tau = \mathrm{timescale}

    Args:
        peak_value: value at the end of warmup, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        timescale: ``tau > 0``; defaults to ``warmup_steps`` (required if that is 0).
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_inverse_sqrt(1.0, warmup_steps=4)
        >>> [round(float(sched(t)), 6) for t in (0, 2, 4, 8, 16, 40)]
        [0.0, 0.5, 1.0, 0.707107, 0.5, 0.316228]

    References:
        HF ``get_inverse_sqrt_schedule``; fairseq ``inverse_sqrt``.
    """
    return build(S.WarmupInverseSqrt(peak_value, warmup_steps, timescale, init_value=init_value, warmup_shape=warmup_shape))


def noam(d_model: float, warmup_steps: int, scale: float = 1.0) -> Schedule:
    r"""The Transformer schedule of Vaswani et al. (2017).

    .. math::
        f(t) = \mathrm{scale} \cdot d^{-1/2} \min(s^{-1/2},\ s\, w^{-3/2}), \quad s = t + 1

    Peaks at ``t = w - 1`` with ``scale * (d_model * w) ** -0.5``.

    Args:
        d_model: model width, ``> 0``.
        warmup_steps: ``w >= 1``.
        scale: overall factor, ``>= 0``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = noam(512, warmup_steps=4000)
        >>> [round(float(sched(t)), 8) for t in (0, 3999, 15999)]
        [1.7e-07, 0.00069877, 0.00034939]

    References:
        Vaswani et al., Attention Is All You Need (2017), eq. 3.
    """
    return build(S.Noam(d_model, warmup_steps, scale))


def legacy_noam(max_lr: float, warmup_steps: int) -> Schedule:
    r"""The widely copied ``adjust_learning_rate`` snippet, reproduced exactly.

    .. math::
        f(t) = \mathrm{max\_lr} \cdot \min(s / w,\ w^{1/2} / s), \quad s = t + 1

    Beware: its real peak is near ``s = w**0.75`` with value ``max_lr * w**-0.25``
    (w = 500: step 105, 21% of ``max_lr``), not ``max_lr`` at ``w``. Use
    :func:`noam` or :func:`warmup_inverse_sqrt` for the intended shape.

    Args:
        max_lr: the snippet's ``max_lr``, ``>= 0``.
        warmup_steps: the snippet's ``warmup_steps``, ``>= 1``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = legacy_noam(0.01, warmup_steps=500)
        >>> [round(float(sched(t)), 6) for t in (0, 105, 499)]
        [2e-05, 0.002109, 0.000447]
    """
    return build(S.LegacyNoam(max_lr, warmup_steps))


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
    r"""Warmup, hold ``peak_value`` (stable), then decay over ``decay_steps`` (WSD).

    .. math::
        f(t) = e + (p - e)\, g(v), \quad v = \mathrm{clip}\left(\frac{t - w - S}{D}, 0, 1\right)

    with ``g(v)`` = ``1 - v`` (linear), ``(1 + cos(pi v)) / 2`` (cosine) or
    ``1 - sqrt(v)`` (``"1-sqrt"``).

    Args:
        peak_value: value of the stable phase, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        stable_steps: steps at ``peak_value`` after warmup (``S >= 0``).
        decay_steps: steps of the decay (``D >= 1``).
        end_value: value from ``w + S + D`` on, in ``[0, peak_value]``.
        decay_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_stable_decay(1.0, 2, stable_steps=2, decay_steps=4)
        >>> [round(float(sched(t)), 6) for t in range(10)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]

    References:
        HF ``get_wsd_schedule``; Hu et al., MiniCPM (2024).
    """
    return build(
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

    Cycle ``c`` lasts ``cycle_steps * cycle_mul**c`` steps; at position ``x`` of a
    cycle of length ``L``:

    .. math::
        f = e + (p\, \mathrm{cycle\_decay}^c - e)\, \frac{1 + \cos(\pi x / L)}{2}

    After ``cycle_limit`` cycles (if given) the value holds ``end_value``.

    Args:
        peak_value: value at the start of cycle 0, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        cycle_steps: length of cycle 0, ``>= 1``.
        cycle_mul: growth of the cycle length: 1.0 or in ``[1.001, 64]``.
        cycle_decay: factor on the peak per cycle, in ``(0, 1]``.
        cycle_limit: number of cycles, or None for no limit.
        end_value: the floor of every cycle, in ``[0, peak_value]``.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = warmup_cosine_restarts(1.0, 0, cycle_steps=4, cycle_decay=0.5)
        >>> [round(float(sched(t)), 6) for t in range(9)]
        [1.0, 0.853553, 0.5, 0.146447, 0.5, 0.426777, 0.25, 0.073223, 0.25]

    References:
        timm ``CosineLRScheduler``; torch ``CosineAnnealingWarmRestarts``;
        optax ``sgdr_schedule``; Loshchilov & Hutter, SGDR (2017).
    """
    return build(
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
    r"""torch ``OneCycleLR`` (two-phase) semantics, held from ``total_steps - 1``.

    From ``max_value / div_factor`` up to ``max_value`` at step
    ``a = pct_start * total_steps - 1``, then down to
    ``max_value / div_factor / final_div_factor`` at ``total_steps - 1``; each phase
    anneals with ``anneal`` (``"cos"`` or ``"linear"``). Unlike torch, steps past
    the end hold the final value instead of raising. (optax's ``cosine_onecycle_schedule``
    peaks and ends one step later.)

    Args:
        total_steps: steps of the cycle, ``>= 2``.
        max_value: the peak, ``>= 0``.
        pct_start: fraction of steps rising, in ``(1 / total_steps, 1)``.
        div_factor: ``max_value / initial value``, ``> 0``.
        final_div_factor: ``initial value / final value``, ``> 0``.
        anneal: ``"cos"`` or ``"linear"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = one_cycle(10, 1.0, pct_start=0.3, div_factor=10.0, final_div_factor=10.0)
        >>> [round(float(sched(t)), 6) for t in (0, 1, 2, 9, 10)]
        [0.1, 0.55, 1.0, 0.01, 0.01]

    References:
        torch ``OneCycleLR``; Smith & Topin, Super-Convergence (2018).
    """
    return build(S.OneCycle(total_steps, max_value, pct_start, div_factor, final_div_factor, anneal))


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
    r"""fairseq's tri-stage schedule: warmup from ``p * init_scale``, hold, exponential decay.

    .. math::
        f(t) = p \exp(\log(\mathrm{final\_scale}) \cdot v), \quad
        v = \mathrm{clip}\left(\frac{t - w - H}{D}, 0, 1\right)

    after warmup and ``hold_steps`` at ``p``; ``p * final_scale`` from ``w + H + D`` on.

    Args:
        peak_value: value of the hold phase, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        hold_steps: steps at ``peak_value`` (``H >= 0``).
        decay_steps: steps of the decay (``D >= 1``).
        init_scale: warmup starts at ``peak_value * init_scale``, in ``[0, 1]``.
        final_scale: the end value is ``peak_value * final_scale``, in ``(0, 1]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Returns:
        An Optax schedule ``count -> lr``.

    Example:
        >>> sched = tri_stage(1.0, 2, hold_steps=1, decay_steps=2, init_scale=0.5, final_scale=0.25)
        >>> [round(float(sched(t)), 6) for t in range(7)]
        [0.5, 0.75, 1.0, 1.0, 0.5, 0.25, 0.25]

    References:
        fairseq ``tri_stage`` LR scheduler; Park et al., SpecAugment (2019).
    """
    return build(
        S.TriStage(peak_value, warmup_steps, hold_steps, decay_steps, init_scale, final_scale, warmup_shape=warmup_shape)
    )


__all__ = [
    "legacy_noam",
    "noam",
    "one_cycle",
    "tri_stage",
    "warmup_constant",
    "warmup_cosine_decay",
    "warmup_cosine_restarts",
    "warmup_exponential_decay",
    "warmup_inverse_sqrt",
    "warmup_linear_decay",
    "warmup_polynomial_decay",
    "warmup_stable_decay",
]
