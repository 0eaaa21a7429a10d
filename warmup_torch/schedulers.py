"""The ``LRScheduler`` front ends: one function a definition, ``name(optimizer, *params) -> ScheduleLR``.

Each is the definition's own signature, with the optimizer first, and its docstring
(:mod:`warmup_spec.front_end`): ``schedulers.warmup_cosine_decay(opt, 3e-4, 1000, 100_000)`` is
``ScheduleLR(opt, WarmupCosineDecay(3e-4, 1000, 100_000))``, whose lr at the ``k``-th
``optimizer.step()`` is ``warmup_torch.warmup_cosine_decay(3e-4, 1000, 100_000)(k)``. To resume
at a step, use :func:`warmup_torch.resume` (or ``ScheduleLR(opt, spec, last_epoch=k)``).
"""

from warmup_spec import catalogue as _C
from warmup_spec.front_end import scheduler_front_end as _scheduler_front_end
from warmup_torch.scheduler import ScheduleLR as _ScheduleLR

_RETURNS = (
    "The :class:`~warmup_torch.ScheduleLR` driving ``optimizer``: the lr of the ``k``-th ``optimizer.step()``\n"
    "    is ``f(k)``, with ``scheduler.step()`` after it."
)

warmup_constant = _scheduler_front_end(_C.WarmupConstant, _ScheduleLR, __name__, returns=_RETURNS)
warmup_linear_decay = _scheduler_front_end(_C.WarmupLinearDecay, _ScheduleLR, __name__, returns=_RETURNS)
warmup_cosine_decay = _scheduler_front_end(_C.WarmupCosineDecay, _ScheduleLR, __name__, returns=_RETURNS)
warmup_polynomial_decay = _scheduler_front_end(_C.WarmupPolynomialDecay, _ScheduleLR, __name__, returns=_RETURNS)
warmup_exponential_decay = _scheduler_front_end(_C.WarmupExponentialDecay, _ScheduleLR, __name__, returns=_RETURNS)
warmup_inverse_sqrt = _scheduler_front_end(_C.WarmupInverseSqrt, _ScheduleLR, __name__, returns=_RETURNS)
noam = _scheduler_front_end(_C.Noam, _ScheduleLR, __name__, returns=_RETURNS)
legacy_noam = _scheduler_front_end(_C.LegacyNoam, _ScheduleLR, __name__, returns=_RETURNS)
warmup_stable_decay = _scheduler_front_end(_C.WarmupStableDecay, _ScheduleLR, __name__, returns=_RETURNS)
warmup_cosine_restarts = _scheduler_front_end(_C.WarmupCosineRestarts, _ScheduleLR, __name__, returns=_RETURNS)
one_cycle = _scheduler_front_end(_C.OneCycle, _ScheduleLR, __name__, returns=_RETURNS)
tri_stage = _scheduler_front_end(_C.TriStage, _ScheduleLR, __name__, returns=_RETURNS)
warmup_stable_decay_cycles = _scheduler_front_end(_C.WarmupStableDecayCycles, _ScheduleLR, __name__, returns=_RETURNS)
with_warmup = _scheduler_front_end(_C.WithWarmup, _ScheduleLR, __name__, returns=_RETURNS)
untuned_warmup = _scheduler_front_end(_C.UntunedWarmup, _ScheduleLR, __name__, returns=_RETURNS)
scaled = _scheduler_front_end(_C.Scaled, _ScheduleLR, __name__, returns=_RETURNS)
join = _scheduler_front_end(_C.Join, _ScheduleLR, __name__, returns=_RETURNS)
decay_from = _scheduler_front_end(_C.DecayFrom, _ScheduleLR, __name__, returns=_RETURNS)
sample_clock = _scheduler_front_end(_C.SampleClock, _ScheduleLR, __name__, returns=_RETURNS)

