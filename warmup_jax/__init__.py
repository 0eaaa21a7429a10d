"""Learning-rate warmup schedules as Optax schedules (``count -> lr``).

Same names, parameters, defaults and error messages as ``warmup_torch``; both
are built from the specs in ``warmup_spec`` and checked against its float64
reference. Never imports torch.
"""

from warmup_jax._build import Schedule, build
from warmup_jax.combinators import join, scale, untuned_warmup, with_warmup
from warmup_jax.config import from_config
from warmup_jax.precision import scale_by_learning_rate_f32, scale_by_schedule_f32
from warmup_jax.schedules import (
    legacy_noam,
    noam,
    one_cycle,
    tri_stage,
    warmup_constant,
    warmup_cosine_decay,
    warmup_cosine_restarts,
    warmup_exponential_decay,
    warmup_inverse_sqrt,
    warmup_linear_decay,
    warmup_polynomial_decay,
    warmup_stable_decay,
)
from warmup_spec.steps import steps_from_epochs

__all__ = [
    "Schedule",
    "build",
    "from_config",
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
    "steps_from_epochs",
    "scale_by_learning_rate_f32",
    "scale_by_schedule_f32",
]
