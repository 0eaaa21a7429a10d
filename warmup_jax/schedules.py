"""The Optax front ends: one function a definition, ``name(*params) -> Optax schedule``.

Each is the definition's own signature and docstring (:mod:`warmup_spec.front_end`):
``warmup_cosine_decay(3e-4, 1000, 100_000)`` is ``build(WarmupCosineDecay(3e-4, 1000, 100_000))``.
"""

from warmup_jax._build import build as _build
from warmup_spec import catalogue as _C
from warmup_spec.front_end import front_end as _front_end

_RETURNS = "An Optax schedule ``count -> lr`` (float32; float64 under ``jax_enable_x64``)."

warmup_constant = _front_end(_C.WarmupConstant, _build, __name__, returns=_RETURNS)
warmup_linear_decay = _front_end(_C.WarmupLinearDecay, _build, __name__, returns=_RETURNS)
warmup_cosine_decay = _front_end(_C.WarmupCosineDecay, _build, __name__, returns=_RETURNS)
warmup_polynomial_decay = _front_end(_C.WarmupPolynomialDecay, _build, __name__, returns=_RETURNS)
warmup_exponential_decay = _front_end(_C.WarmupExponentialDecay, _build, __name__, returns=_RETURNS)
warmup_inverse_sqrt = _front_end(_C.WarmupInverseSqrt, _build, __name__, returns=_RETURNS)
noam = _front_end(_C.Noam, _build, __name__, returns=_RETURNS)
legacy_noam = _front_end(_C.LegacyNoam, _build, __name__, returns=_RETURNS)
warmup_stable_decay = _front_end(_C.WarmupStableDecay, _build, __name__, returns=_RETURNS)
warmup_cosine_restarts = _front_end(_C.WarmupCosineRestarts, _build, __name__, returns=_RETURNS)
one_cycle = _front_end(_C.OneCycle, _build, __name__, returns=_RETURNS)
tri_stage = _front_end(_C.TriStage, _build, __name__, returns=_RETURNS)
warmup_stable_decay_cycles = _front_end(_C.WarmupStableDecayCycles, _build, __name__, returns=_RETURNS)
with_warmup = _front_end(_C.WithWarmup, _build, __name__, returns=_RETURNS)
untuned_warmup = _front_end(_C.UntunedWarmup, _build, __name__, returns=_RETURNS)
scaled = _front_end(_C.Scaled, _build, __name__, returns=_RETURNS)
join = _front_end(_C.Join, _build, __name__, returns=_RETURNS)
decay_from = _front_end(_C.DecayFrom, _build, __name__, returns=_RETURNS)
sample_clock = _front_end(_C.SampleClock, _build, __name__, returns=_RETURNS)

