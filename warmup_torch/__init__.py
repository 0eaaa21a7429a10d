"""PyTorch back end: every schedule as a closed-form ``LRScheduler`` and as a callable.

- ``warmup_torch.warmup_cosine_decay(...)`` (every schedule of :mod:`warmup_spec.catalogue`):
  the float64 ``step -> lr`` :class:`~warmup_spec.Schedule` (picklable; an absolute lr: as a
  ``LambdaLR`` lambda, a factor of the optimizer's lr, so build that optimizer at ``lr=1.0``);
- ``warmup_torch.WarmupCosineDecayLR(optimizer, ...)``: the ``LRScheduler`` of each
  schedule, generated from its definition; :class:`ScheduleLR` drives any schedule (or
  one per param group);
- :func:`from_config` / :func:`schedule_from_config` / :func:`resume`; :func:`to_config`, the
  config of a live scheduler (torch's, HF's, timm's or ours), so a torch recipe ports to JAX
  in one line: ``warmup_jax.from_config(warmup_torch.to_config(scheduler))``;
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

from warmup_spec import _catalogue as _host
from warmup_spec._catalogue import *  # noqa: F403  (the float64 callables)
from warmup_spec.schedule import Schedule
from warmup_spec.steps import steps_from_epochs
from warmup_torch import _catalogue
from warmup_torch._catalogue import *  # noqa: F403  (the generated LRScheduler classes)
from warmup_torch.config import from_config, resume, schedule_from_config, scheduler_for
from warmup_torch.legacy import adjust_learning_rate
from warmup_torch.live import to_config
from warmup_torch.param_rules import param_groups
from warmup_torch.scheduler import ScheduleLR

__all__ = [
    "Schedule",
    "ScheduleLR",
    "adjust_learning_rate",
    "from_config",
    "param_groups",
    "resume",
    "schedule_from_config",
    "scheduler_for",
    "steps_from_epochs",
    "to_config",
]
__all__ += _host.__all__
__all__ += _catalogue.__all__
