"""Learning-rate schedules as Optax schedules (``count -> lr``).

Every schedule of :mod:`warmup_spec.catalogue` as a typed function
(``warmup_cosine_decay(3e-4, 1000, 100_000)``), with the same names, parameters,
defaults and error messages as ``warmup_torch``; :func:`schedule_from_config` for configs;
:func:`rules_transform`, a parameter-group rule list as one optax transformation.
Never imports torch.
"""

try:
    import jax  # noqa: F401
    import optax  # noqa: F401
except ImportError as err:  # pragma: no cover - only without the extra
    raise ImportError(
        f"warmup_jax needs jax and optax ({err}); install them with: pip install 'warmup-schedules[jax]'",
        name=err.name,
    ) from err

from warmup_jax import schedules
from warmup_jax._build import CycledMomentumWarning, JaxSchedule, build
from warmup_jax.config import schedule_from_config
from warmup_jax.param_rules import param_labels, rules_transform
from warmup_jax.precision import scale_by_learning_rate_f32, scale_by_schedule_f32
from warmup_jax.schedules import *  # noqa: F403  (one front end a definition)
from warmup_spec import _front_end_names
from warmup_spec.deprecation import renamed
from warmup_spec.steps import steps_from_epochs

__all__ = [
    "CycledMomentumWarning",
    "JaxSchedule",
    "build",
    "param_labels",
    "rules_transform",
    "scale_by_learning_rate_f32",
    "scale_by_schedule_f32",
    "schedule_from_config",
    "steps_from_epochs",
]
__all__ += _front_end_names.__all__

__getattr__ = renamed(__name__, {
    "from_config": ("warmup_jax.schedule_from_config", lambda: schedule_from_config),
    "Schedule": ("warmup_jax.JaxSchedule", lambda: JaxSchedule),
    "scale": ("warmup_jax.scaled (optax.scale is a gradient transformation)", lambda: schedules.scaled),
})
