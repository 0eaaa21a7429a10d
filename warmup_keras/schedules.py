"""The Keras front ends: one function a definition, ``name(*params) -> KerasSchedule``.

Each is the definition's own signature and docstring (:mod:`warmup_spec.front_end`):
``warmup_cosine_decay(3e-4, 1000, 100_000)`` is ``KerasSchedule(WarmupCosineDecay(3e-4, 1000, 100_000))``.
"""

from __future__ import annotations

from warmup_keras.schedule import KerasSchedule
from warmup_spec import catalogue as C
from warmup_spec.front_end import front_end

RETURNS = "A Keras ``LearningRateSchedule`` (:class:`~warmup_keras.KerasSchedule`), computed in ``keras.ops``."

warmup_constant = front_end(C.WarmupConstant, KerasSchedule, __name__, returns=RETURNS)
warmup_linear_decay = front_end(C.WarmupLinearDecay, KerasSchedule, __name__, returns=RETURNS)
warmup_cosine_decay = front_end(C.WarmupCosineDecay, KerasSchedule, __name__, returns=RETURNS)
warmup_polynomial_decay = front_end(C.WarmupPolynomialDecay, KerasSchedule, __name__, returns=RETURNS)
warmup_exponential_decay = front_end(C.WarmupExponentialDecay, KerasSchedule, __name__, returns=RETURNS)
warmup_inverse_sqrt = front_end(C.WarmupInverseSqrt, KerasSchedule, __name__, returns=RETURNS)
noam = front_end(C.Noam, KerasSchedule, __name__, returns=RETURNS)
legacy_noam = front_end(C.LegacyNoam, KerasSchedule, __name__, returns=RETURNS)
warmup_stable_decay = front_end(C.WarmupStableDecay, KerasSchedule, __name__, returns=RETURNS)
warmup_cosine_restarts = front_end(C.WarmupCosineRestarts, KerasSchedule, __name__, returns=RETURNS)
one_cycle = front_end(C.OneCycle, KerasSchedule, __name__, returns=RETURNS)
tri_stage = front_end(C.TriStage, KerasSchedule, __name__, returns=RETURNS)
warmup_stable_decay_cycles = front_end(C.WarmupStableDecayCycles, KerasSchedule, __name__, returns=RETURNS)
with_warmup = front_end(C.WithWarmup, KerasSchedule, __name__, returns=RETURNS)
untuned_warmup = front_end(C.UntunedWarmup, KerasSchedule, __name__, returns=RETURNS)
scaled = front_end(C.Scaled, KerasSchedule, __name__, returns=RETURNS)
join = front_end(C.Join, KerasSchedule, __name__, returns=RETURNS)
decay_from = front_end(C.DecayFrom, KerasSchedule, __name__, returns=RETURNS)
sample_clock = front_end(C.SampleClock, KerasSchedule, __name__, returns=RETURNS)

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
