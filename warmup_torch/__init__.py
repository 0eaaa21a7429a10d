"""PyTorch back end: every schedule as a closed-form ``LRScheduler`` and as a callable.

- ``warmup_torch.warmup_cosine_decay(...)`` (every schedule of :mod:`warmup_spec.catalogue`):
  the float64 ``step -> lr`` :class:`~warmup_spec.Schedule` (picklable; an absolute lr: as a
  ``LambdaLR`` lambda, a factor of the optimizer's lr, so build that optimizer at ``lr=1.0``);
- ``warmup_torch.schedulers.warmup_cosine_decay(optimizer, ...)``: the ``LRScheduler`` of each
  schedule (a :class:`ScheduleLR`, which drives any schedule, or one per param group);
- :func:`scheduler_from_config` / :func:`schedule_from_config` / :func:`resume`; :func:`to_config`,
  the config of a live scheduler (torch's, HF's, timm's or ours), so a torch recipe ports to JAX
  in one line: ``warmup_jax.schedule_from_config(warmup_torch.to_config(scheduler))``;
- :func:`param_groups`: a parameter-group rule list as the optimizer's param groups;
- :func:`adjust_learning_rate`, the copied snippet.

Imports torch and :mod:`warmup_spec` only (never jax).
"""

try:
    import torch  # noqa: F401
except ImportError as err:  # pragma: no cover - only without the extra
    raise ImportError(
        f"warmup_torch needs torch ({err}); install it with: pip install 'warmup-schedules[torch]' "
        "(or torch first, from the index your platform needs)",
        name=err.name,
    ) from err

import functools
from collections.abc import Callable
from typing import Any

from warmup_spec import _front_end_names, host
from warmup_spec.catalogue import CATALOGUE
from warmup_spec.definition import ScheduleSpec
from warmup_spec.deprecation import renamed
from warmup_spec.host import *  # noqa: F403  (the float64 callables)
from warmup_spec.schedule import Schedule
from warmup_spec.steps import steps_from_epochs
from warmup_torch import schedulers
from warmup_torch.config import resume, schedule_from_config, scheduler_from_config
from warmup_torch.legacy import adjust_learning_rate
from warmup_torch.live import to_config
from warmup_torch.param_rules import param_groups
from warmup_torch.scheduler import ScheduleLR

__all__ = [
    "Schedule",
    "ScheduleLR",
    "adjust_learning_rate",
    "param_groups",
    "resume",
    "schedule_from_config",
    "scheduler_from_config",
    "schedulers",
    "steps_from_epochs",
    "to_config",
]
__all__ += _front_end_names.__all__


def _old_class(definition: type[ScheduleSpec]) -> Any:
    """What ``warmup_torch.<Name>LR`` was: ``(optimizer, *params, last_epoch=-1) -> scheduler``."""

    def scheduler(optimizer: torch.optim.Optimizer, *args: Any, last_epoch: int = -1, **kwargs: Any) -> ScheduleLR:
        return ScheduleLR(optimizer, definition(*args, **kwargs), last_epoch=last_epoch)

    return scheduler


_OLD_NAMES: dict[str, tuple[str, Callable[[], Any]]] = {
    "from_config": ("warmup_torch.scheduler_from_config", lambda: scheduler_from_config),
    "scheduler_for": ("warmup_torch.scheduler_from_config", lambda: scheduler_from_config),
    "scale": ("warmup_torch.scaled", lambda: host.scaled),
}
for _definition in CATALOGUE:  # the LRScheduler classes <Name>LR (OneCycleLR hid torch's own)
    _OLD_NAMES[_definition.__name__ + "LR"] = (f"warmup_torch.schedulers.{_definition.schedule}",
                                                functools.partial(_old_class, _definition))
_OLD_NAMES["ScaleLR"] = _OLD_NAMES.pop("ScaledLR")  # scale was renamed scaled
__getattr__ = renamed(__name__, _OLD_NAMES)
