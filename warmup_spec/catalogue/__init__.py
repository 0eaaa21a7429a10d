"""The catalogue: one definition a schedule (see :mod:`warmup_spec.definition`).

Adding a schedule: a new module here with its definition (``@register @definition``, each
parameter declared with ``arg(check, doc)``: :mod:`warmup_spec.definition`), one import line
below, its float64 reference in :mod:`warmup_spec.reference`, configs in
``parity_tests/cases.py``, one front-end line in ``warmup_spec/host.py``,
``warmup_jax/schedules.py``, ``warmup_torch/schedulers.py`` and ``warmup_keras/schedules.py``,
and its name in ``warmup_spec/_front_end_names.py``.
"""

from warmup_spec.catalogue.decay_from import DecayFrom
from warmup_spec.catalogue.join import Join
from warmup_spec.catalogue.legacy_noam import LegacyNoam
from warmup_spec.catalogue.noam import Noam
from warmup_spec.catalogue.one_cycle import OneCycle
from warmup_spec.catalogue.sample_clock import SampleClock
from warmup_spec.catalogue.scaled import Scaled
from warmup_spec.catalogue.tri_stage import TriStage
from warmup_spec.catalogue.untuned_warmup import UntunedWarmup
from warmup_spec.catalogue.warmup_constant import WarmupConstant
from warmup_spec.catalogue.warmup_cosine_decay import WarmupCosineDecay
from warmup_spec.catalogue.warmup_cosine_restarts import WarmupCosineRestarts
from warmup_spec.catalogue.warmup_exponential_decay import WarmupExponentialDecay
from warmup_spec.catalogue.warmup_inverse_sqrt import WarmupInverseSqrt
from warmup_spec.catalogue.warmup_linear_decay import WarmupLinearDecay
from warmup_spec.catalogue.warmup_polynomial_decay import WarmupPolynomialDecay
from warmup_spec.catalogue.warmup_stable_decay import WarmupStableDecay
from warmup_spec.catalogue.warmup_stable_decay_cycles import WarmupStableDecayCycles
from warmup_spec.catalogue.with_warmup import WithWarmup

SCHEDULES = (
    WarmupConstant, WarmupLinearDecay, WarmupCosineDecay, WarmupPolynomialDecay, WarmupExponentialDecay,
    WarmupInverseSqrt, Noam, LegacyNoam, WarmupStableDecay, WarmupCosineRestarts, OneCycle, TriStage,
    WarmupStableDecayCycles,
)
"""The named schedules, in catalogue order."""
COMBINATORS = (WithWarmup, UntunedWarmup, Scaled, Join, DecayFrom, SampleClock)
"""The definitions that take other schedules."""
CATALOGUE = SCHEDULES + COMBINATORS

__all__ = [
    "CATALOGUE", "COMBINATORS", "SCHEDULES",
    "DecayFrom", "Join", "LegacyNoam", "Noam", "OneCycle", "SampleClock", "Scaled", "TriStage", "UntunedWarmup",
    "WarmupConstant", "WarmupCosineDecay", "WarmupCosineRestarts", "WarmupExponentialDecay", "WarmupInverseSqrt",
    "WarmupLinearDecay", "WarmupPolynomialDecay", "WarmupStableDecay", "WarmupStableDecayCycles", "WithWarmup",
]
