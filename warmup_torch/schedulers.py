"""The ``LRScheduler`` front ends: one function a definition, ``name(optimizer, *params) -> ScheduleLR``.

Each is the definition's own signature, with the optimizer first, and its docstring
(:mod:`warmup_spec.front_end`): ``schedulers.warmup_cosine_decay(opt, 3e-4, 1000, 100_000)`` is
``ScheduleLR(opt, WarmupCosineDecay(3e-4, 1000, 100_000))``, whose lr at the ``k``-th
``optimizer.step()`` is ``warmup_torch.warmup_cosine_decay(3e-4, 1000, 100_000)(k)``. To resume
at a step, use :func:`warmup_torch.resume` (or ``ScheduleLR(opt, spec, last_epoch=k)``).
"""

from __future__ import annotations

from warmup_spec import catalogue as C
from warmup_spec.front_end import scheduler_front_end
from warmup_torch.scheduler import ScheduleLR

RETURNS = (
    "The :class:`~warmup_torch.ScheduleLR` driving ``optimizer``: the lr of the ``k``-th ``optimizer.step()``\n"
    "    is ``f(k)``, with ``scheduler.step()`` after it."
)

warmup_constant = scheduler_front_end(C.WarmupConstant, ScheduleLR, __name__, returns=RETURNS)
warmup_linear_decay = scheduler_front_end(C.WarmupLinearDecay, ScheduleLR, __name__, returns=RETURNS)
warmup_cosine_decay = scheduler_front_end(C.WarmupCosineDecay, ScheduleLR, __name__, returns=RETURNS)
warmup_polynomial_decay = scheduler_front_end(C.WarmupPolynomialDecay, ScheduleLR, __name__, returns=RETURNS)
warmup_exponential_decay = scheduler_front_end(C.WarmupExponentialDecay, ScheduleLR, __name__, returns=RETURNS)
warmup_inverse_sqrt = scheduler_front_end(C.WarmupInverseSqrt, ScheduleLR, __name__, returns=RETURNS)
noam = scheduler_front_end(C.Noam, ScheduleLR, __name__, returns=RETURNS)
legacy_noam = scheduler_front_end(C.LegacyNoam, ScheduleLR, __name__, returns=RETURNS)
warmup_stable_decay = scheduler_front_end(C.WarmupStableDecay, ScheduleLR, __name__, returns=RETURNS)
warmup_cosine_restarts = scheduler_front_end(C.WarmupCosineRestarts, ScheduleLR, __name__, returns=RETURNS)
one_cycle = scheduler_front_end(C.OneCycle, ScheduleLR, __name__, returns=RETURNS)
tri_stage = scheduler_front_end(C.TriStage, ScheduleLR, __name__, returns=RETURNS)
warmup_stable_decay_cycles = scheduler_front_end(C.WarmupStableDecayCycles, ScheduleLR, __name__, returns=RETURNS)
with_warmup = scheduler_front_end(C.WithWarmup, ScheduleLR, __name__, returns=RETURNS)
untuned_warmup = scheduler_front_end(C.UntunedWarmup, ScheduleLR, __name__, returns=RETURNS)
scaled = scheduler_front_end(C.Scaled, ScheduleLR, __name__, returns=RETURNS)
join = scheduler_front_end(C.Join, ScheduleLR, __name__, returns=RETURNS)
decay_from = scheduler_front_end(C.DecayFrom, ScheduleLR, __name__, returns=RETURNS)
sample_clock = scheduler_front_end(C.SampleClock, ScheduleLR, __name__, returns=RETURNS)

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
