"""The float64 host front ends: one function a definition, ``name(*params) -> Schedule``.

Each is the definition's own signature and docstring (:mod:`warmup_spec.front_end`):
``warmup_cosine_decay(3e-4, 1000, 100_000)`` is ``Schedule(WarmupCosineDecay(3e-4, 1000, 100_000))``.
``warmup_torch`` offers the same functions (``LambdaLR``-ready).
"""

from __future__ import annotations

from warmup_spec import catalogue as C
from warmup_spec.front_end import front_end
from warmup_spec.schedule import Schedule

RETURNS = "A float64 :class:`~warmup_spec.Schedule` ``step -> lr`` (picklable; any step size)."

warmup_constant = front_end(C.WarmupConstant, Schedule, __name__, returns=RETURNS)
warmup_linear_decay = front_end(C.WarmupLinearDecay, Schedule, __name__, returns=RETURNS)
warmup_cosine_decay = front_end(C.WarmupCosineDecay, Schedule, __name__, returns=RETURNS)
warmup_polynomial_decay = front_end(C.WarmupPolynomialDecay, Schedule, __name__, returns=RETURNS)
warmup_exponential_decay = front_end(C.WarmupExponentialDecay, Schedule, __name__, returns=RETURNS)
warmup_inverse_sqrt = front_end(C.WarmupInverseSqrt, Schedule, __name__, returns=RETURNS)
noam = front_end(C.Noam, Schedule, __name__, returns=RETURNS)
legacy_noam = front_end(C.LegacyNoam, Schedule, __name__, returns=RETURNS)
warmup_stable_decay = front_end(C.WarmupStableDecay, Schedule, __name__, returns=RETURNS)
warmup_cosine_restarts = front_end(C.WarmupCosineRestarts, Schedule, __name__, returns=RETURNS)
one_cycle = front_end(C.OneCycle, Schedule, __name__, returns=RETURNS)
tri_stage = front_end(C.TriStage, Schedule, __name__, returns=RETURNS)
warmup_stable_decay_cycles = front_end(C.WarmupStableDecayCycles, Schedule, __name__, returns=RETURNS)
with_warmup = front_end(C.WithWarmup, Schedule, __name__, returns=RETURNS)
untuned_warmup = front_end(C.UntunedWarmup, Schedule, __name__, returns=RETURNS)
scaled = front_end(C.Scaled, Schedule, __name__, returns=RETURNS)
join = front_end(C.Join, Schedule, __name__, returns=RETURNS)
decay_from = front_end(C.DecayFrom, Schedule, __name__, returns=RETURNS)
sample_clock = front_end(C.SampleClock, Schedule, __name__, returns=RETURNS)

__all__ = [
    "decay_from",
    "join",
    "legacy_noam",
    "noam",
    "one_cycle",
    "sample_clock",
    "scaled",
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
