"""The Optax front ends: one function a definition, ``name(*params) -> Optax schedule``.

Each is the definition's own signature and docstring (:mod:`warmup_spec.front_end`):
``warmup_cosine_decay(3e-4, 1000, 100_000)`` is ``build(WarmupCosineDecay(3e-4, 1000, 100_000))``.
"""

from __future__ import annotations

from warmup_jax._build import build
from warmup_spec import catalogue as C
from warmup_spec.front_end import front_end

RETURNS = "An Optax schedule ``count -> lr`` (float32; float64 under ``jax_enable_x64``)."

warmup_constant = front_end(C.WarmupConstant, build, __name__, returns=RETURNS)
warmup_linear_decay = front_end(C.WarmupLinearDecay, build, __name__, returns=RETURNS)
warmup_cosine_decay = front_end(C.WarmupCosineDecay, build, __name__, returns=RETURNS)
warmup_polynomial_decay = front_end(C.WarmupPolynomialDecay, build, __name__, returns=RETURNS)
warmup_exponential_decay = front_end(C.WarmupExponentialDecay, build, __name__, returns=RETURNS)
warmup_inverse_sqrt = front_end(C.WarmupInverseSqrt, build, __name__, returns=RETURNS)
noam = front_end(C.Noam, build, __name__, returns=RETURNS)
legacy_noam = front_end(C.LegacyNoam, build, __name__, returns=RETURNS)
warmup_stable_decay = front_end(C.WarmupStableDecay, build, __name__, returns=RETURNS)
warmup_cosine_restarts = front_end(C.WarmupCosineRestarts, build, __name__, returns=RETURNS)
one_cycle = front_end(C.OneCycle, build, __name__, returns=RETURNS)
tri_stage = front_end(C.TriStage, build, __name__, returns=RETURNS)
warmup_stable_decay_cycles = front_end(C.WarmupStableDecayCycles, build, __name__, returns=RETURNS)
with_warmup = front_end(C.WithWarmup, build, __name__, returns=RETURNS)
untuned_warmup = front_end(C.UntunedWarmup, build, __name__, returns=RETURNS)
scaled = front_end(C.Scaled, build, __name__, returns=RETURNS)
join = front_end(C.Join, build, __name__, returns=RETURNS)
decay_from = front_end(C.DecayFrom, build, __name__, returns=RETURNS)
sample_clock = front_end(C.SampleClock, build, __name__, returns=RETURNS)

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
