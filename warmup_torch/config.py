"""The config edge: ``{"schedule": NAME, **params}`` (or a JSON/TOML file) -> scheduler."""

from __future__ import annotations

import os
from typing import Any, Mapping, Union

from torch.optim import Optimizer
from warmup_spec.registry import load_config, spec_from_config
from warmup_spec.specs import ScheduleSpec

from warmup_spec.closed_form import Schedule
from warmup_torch.scheduler import ScheduleLR, scheduler_for

__all__ = ["ConfigLike", "from_config", "schedule_from_config"]

ConfigLike = Union[Mapping[str, Any], str, "os.PathLike[str]", ScheduleSpec, Schedule]
"""A config mapping, a path to a ``.json``/``.toml`` file, a JSON string, a spec or a Schedule."""


def _spec(cfg: ConfigLike) -> ScheduleSpec:
    if isinstance(cfg, Schedule):
        return cfg.spec
    if isinstance(cfg, ScheduleSpec):
        return cfg
    return spec_from_config(load_config(cfg))


def schedule_from_config(cfg: ConfigLike) -> Schedule:
    """The :class:`~warmup_torch.functional.Schedule` a config describes.

    Unknown names or keys raise ``ValueError`` listing the valid ones.

    Example:
        >>> f = schedule_from_config({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 2})
        >>> [f(t) for t in range(3)]
        [0.0, 0.05, 0.1]
    """
    return Schedule(_spec(cfg))


def from_config(optimizer: Optimizer, cfg: ConfigLike, last_epoch: int = -1) -> ScheduleLR:
    """The ``LRScheduler`` a config describes: its catalogue class, or ``ScheduleLR`` for a combinator.

    Args:
        optimizer: the wrapped optimizer.
        cfg: a mapping ``{"schedule": NAME, **params}``, a path to a ``.json``/``.toml``
            file, a JSON string, a spec or a Schedule.
        last_epoch: as in every ``LRScheduler``.

    Returns:
        The scheduler (a :class:`~warmup_torch.scheduler.ScheduleLR` subclass).

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
        >>> sched = from_config(opt, {"schedule": "warmup_cosine_decay", "peak_value": 1.0,
        ...                           "warmup_steps": 2, "total_steps": 6})
        >>> type(sched).__name__, opt.param_groups[0]["lr"]
        ('WarmupCosineDecay', 0.0)
    """
    return scheduler_for(optimizer, _spec(cfg), last_epoch)
