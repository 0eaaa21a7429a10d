"""PyTorch back end: the warmup catalogue as closed-form ``LRScheduler``\\ s and callables.

- :mod:`warmup_torch.functional`: ``step -> lr`` float64 callables (:class:`Schedule`),
  one per spec, with the spec's exact parameters, and the combinators;
- :mod:`warmup_torch.scheduler`: :class:`ScheduleLR` and one ``LRScheduler`` subclass
  per catalogue schedule;
- :mod:`warmup_torch.config`: :func:`from_config` / :func:`schedule_from_config` / :func:`resume`;
- :mod:`warmup_torch.legacy`: :func:`adjust_learning_rate`, the copied snippet.

Imports torch and :mod:`warmup_spec` only (never jax).
"""

from warmup_torch.config import from_config, resume, schedule_from_config
from warmup_torch.functional import (
    Schedule,
    join,
    legacy_noam,
    noam,
    one_cycle,
    scale,
    tri_stage,
    untuned_warmup,
    warmup_constant,
    warmup_cosine_decay,
    warmup_cosine_restarts,
    warmup_exponential_decay,
    warmup_inverse_sqrt,
    warmup_linear_decay,
    warmup_polynomial_decay,
    warmup_stable_decay,
    with_warmup,
)
from warmup_torch.legacy import adjust_learning_rate
from warmup_torch.scheduler import (
    LegacyNoam,
    Noam,
    OneCycle,
    ScheduleLR,
    TriStage,
    WarmupConstant,
    WarmupCosineDecay,
    WarmupCosineRestarts,
    WarmupExponentialDecay,
    WarmupInverseSqrt,
    WarmupLinearDecay,
    WarmupPolynomialDecay,
    WarmupStableDecay,
    scheduler_for,
)
from warmup_spec.steps import steps_from_epochs

__all__ = [
    # functional
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
    # schedulers
    "LegacyNoam",
    "Noam",
    "OneCycle",
    "ScheduleLR",
    "TriStage",
    "WarmupConstant",
    "WarmupCosineDecay",
    "WarmupCosineRestarts",
    "WarmupExponentialDecay",
    "WarmupInverseSqrt",
    "WarmupLinearDecay",
    "WarmupPolynomialDecay",
    "WarmupStableDecay",
    "scheduler_for",
    # config and legacy
    "adjust_learning_rate",
    "from_config",
    "resume",
    "schedule_from_config",
    "steps_from_epochs",
]
