"""Framework-free core shared by ``warmup_jax`` and ``warmup_torch``: imports neither.

- the schedule definitions (:mod:`warmup_spec.catalogue`), each composed of the
  primitives of :mod:`warmup_spec.primitives`, validated at construction;
- :class:`Schedule`, the host-side float64 ``step -> lr`` of any schedule, and the
  float64 host front ends (``warmup_spec.warmup_cosine_decay(...)``: a ``Schedule``);
- :func:`lr_table`, a vectorised NumPy table (needs NumPy);
- the config edge: :func:`load_config`, :func:`spec_from_config`, :func:`spec_to_config`;
- :func:`steps_from_epochs`, schedules written in epochs.

The float64 oracle of the parity suite is :mod:`warmup_spec.reference` (not exported).
"""

from warmup_spec import _front_end_names, catalogue, host
from warmup_spec.catalogue import *  # noqa: F403  (the definitions)
from warmup_spec.config_files import load_config
from warmup_spec.definition import ScheduleSpec
from warmup_spec.deprecation import renamed
from warmup_spec.host import *  # noqa: F403  (the float64 host front ends)
from warmup_spec.registry import REGISTRY, spec_from_config, spec_of, spec_to_config
from warmup_spec.schedule import Schedule
from warmup_spec.steps import steps_from_epochs
from warmup_spec.tables import lr_table

__all__ = [
    "REGISTRY",
    "Schedule",
    "ScheduleSpec",
    "load_config",
    "lr_table",
    "spec_from_config",
    "spec_of",
    "spec_to_config",
    "steps_from_epochs",
]
__all__ += catalogue.__all__
__all__ += _front_end_names.__all__

__getattr__ = renamed(__name__, {
    "scale": ("warmup_spec.scaled (optax.scale is a gradient transformation)", lambda: host.scaled),
    "Scale": ("warmup_spec.Scaled", lambda: catalogue.Scaled),
})
