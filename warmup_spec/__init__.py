"""Framework-free core shared by ``warmup_jax`` and ``warmup_torch``.

Holds the schedule specs (one frozen dataclass per catalogue row, validated at
construction), the config registry and the float64 reference. Imports neither
jax nor torch.
"""

from warmup_spec.reference import reference, reference_table
from warmup_spec.registry import REGISTRY, load_config, spec_from_config, spec_to_config
from warmup_spec.specs import (
    SPECS,
    Join,
    LegacyNoam,
    Noam,
    OneCycle,
    Scale,
    ScheduleSpec,
    TriStage,
    UntunedWarmup,
    WarmupConstant,
    WarmupCosineDecay,
    WarmupCosineRestarts,
    WarmupExponentialDecay,
    WarmupInverseSqrt,
    WarmupLinearDecay,
    WarmupPolynomialDecay,
    WarmupStableDecay,
    WithWarmup,
    end_step,
)

__all__ = [
    "REGISTRY",
    "SPECS",
    "Join",
    "LegacyNoam",
    "Noam",
    "OneCycle",
    "Scale",
    "ScheduleSpec",
    "TriStage",
    "UntunedWarmup",
    "WarmupConstant",
    "WarmupCosineDecay",
    "WarmupCosineRestarts",
    "WarmupExponentialDecay",
    "WarmupInverseSqrt",
    "WarmupLinearDecay",
    "WarmupPolynomialDecay",
    "WarmupStableDecay",
    "WithWarmup",
    "end_step",
    "load_config",
    "reference",
    "reference_table",
    "spec_from_config",
    "spec_to_config",
]
