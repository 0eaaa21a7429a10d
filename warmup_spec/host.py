"""The float64 host front ends: one function a definition, ``name(*params) -> Schedule``.

Each is the definition's own signature and docstring (:mod:`warmup_spec.front_end`):
``warmup_cosine_decay(3e-4, 1000, 100_000)`` is ``Schedule(WarmupCosineDecay(3e-4, 1000, 100_000))``.
``warmup_torch`` offers the same functions (``LambdaLR``-ready).
"""

from warmup_spec import catalogue as _C
from warmup_spec.front_end import front_end as _front_end
from warmup_spec.schedule import Schedule as _Schedule

_RETURNS = "A float64 :class:`~warmup_spec.Schedule` ``step -> lr`` (picklable; any step size)."

warmup_constant = _front_end(_C.WarmupConstant, _Schedule, __name__, returns=_RETURNS)
warmup_linear_decay = _front_end(_C.WarmupLinearDecay, _Schedule, __name__, returns=_RETURNS)
warmup_cosine_decay = _front_end(_C.WarmupCosineDecay, _Schedule, __name__, returns=_RETURNS)
warmup_polynomial_decay = _front_end(_C.WarmupPolynomialDecay, _Schedule, __name__, returns=_RETURNS)
warmup_exponential_decay = _front_end(_C.WarmupExponentialDecay, _Schedule, __name__, returns=_RETURNS)
warmup_inverse_sqrt = _front_end(_C.WarmupInverseSqrt, _Schedule, __name__, returns=_RETURNS)
noam = _front_end(_C.Noam, _Schedule, __name__, returns=_RETURNS)
legacy_noam = _front_end(_C.LegacyNoam, _Schedule, __name__, returns=_RETURNS)
warmup_stable_decay = _front_end(_C.WarmupStableDecay, _Schedule, __name__, returns=_RETURNS)
warmup_cosine_restarts = _front_end(_C.WarmupCosineRestarts, _Schedule, __name__, returns=_RETURNS)
one_cycle = _front_end(_C.OneCycle, _Schedule, __name__, returns=_RETURNS)
tri_stage = _front_end(_C.TriStage, _Schedule, __name__, returns=_RETURNS)
warmup_stable_decay_cycles = _front_end(_C.WarmupStableDecayCycles, _Schedule, __name__, returns=_RETURNS)
with_warmup = _front_end(_C.WithWarmup, _Schedule, __name__, returns=_RETURNS)
untuned_warmup = _front_end(_C.UntunedWarmup, _Schedule, __name__, returns=_RETURNS)
scaled = _front_end(_C.Scaled, _Schedule, __name__, returns=_RETURNS)
join = _front_end(_C.Join, _Schedule, __name__, returns=_RETURNS)
decay_from = _front_end(_C.DecayFrom, _Schedule, __name__, returns=_RETURNS)
sample_clock = _front_end(_C.SampleClock, _Schedule, __name__, returns=_RETURNS)

