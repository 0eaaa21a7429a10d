"""Every catalogue schedule as a typed function returning a Keras schedule.

``warmup_keras.warmup_cosine_decay(...)`` takes exactly the parameters of the definition
:class:`warmup_spec.WarmupCosineDecay` (the same names, order, defaults, keyword-only
markers and error messages as ``warmup_jax`` and ``warmup_torch``): :func:`front_end` carries
the definition's signature with a ``ParamSpec``, so type checkers and ``help()`` see it,
and nothing is generated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec

from warmup_keras.schedule import SpecSchedule
from warmup_spec import catalogue as C
from warmup_spec.definition import ScheduleSpec

P = ParamSpec("P")


def front_end(cls: Callable[P, ScheduleSpec]) -> Callable[P, SpecSchedule]:
    """The typed front end of a definition: same parameters, returns its :class:`SpecSchedule`.

    Example:
        >>> from warmup_spec import WarmupConstant
        >>> warmup_constant = front_end(WarmupConstant)
        >>> round(float(warmup_constant(0.1, warmup_steps=4)(1)), 6)
        0.025
    """

    def make(*args: P.args, **kwargs: P.kwargs) -> SpecSchedule:
        return SpecSchedule(cls(*args, **kwargs))

    name = getattr(cls, "name", make.__name__)
    make.__name__ = make.__qualname__ = name
    make.__doc__ = cls.__doc__
    make.__wrapped__ = cls  # type: ignore[attr-defined]  # inspect.signature shows the definition's
    return make


warmup_constant = front_end(C.WarmupConstant)
warmup_linear_decay = front_end(C.WarmupLinearDecay)
warmup_cosine_decay = front_end(C.WarmupCosineDecay)
warmup_polynomial_decay = front_end(C.WarmupPolynomialDecay)
warmup_exponential_decay = front_end(C.WarmupExponentialDecay)
warmup_inverse_sqrt = front_end(C.WarmupInverseSqrt)
noam = front_end(C.Noam)
legacy_noam = front_end(C.LegacyNoam)
warmup_stable_decay = front_end(C.WarmupStableDecay)
warmup_cosine_restarts = front_end(C.WarmupCosineRestarts)
one_cycle = front_end(C.OneCycle)
tri_stage = front_end(C.TriStage)
warmup_stable_decay_cycles = front_end(C.WarmupStableDecayCycles)
with_warmup = front_end(C.WithWarmup)
untuned_warmup = front_end(C.UntunedWarmup)
scale = front_end(C.Scale)
join = front_end(C.Join)
decay_from = front_end(C.DecayFrom)
sample_clock = front_end(C.SampleClock)

__all__ = [
    "decay_from",
    "join",
    "legacy_noam",
    "noam",
    "one_cycle",
    "sample_clock",
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
    "warmup_stable_decay_cycles",
    "with_warmup",
]
