"""The config edge: ``{"schedule": NAME, **params}`` (or a JSON/TOML file) -> scheduler."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Union

from torch.optim import Optimizer

from warmup_spec.definition import ScheduleSpec
from warmup_spec.registry import spec_of
from warmup_spec.schedule import Schedule
from warmup_torch.scheduler import ScheduleLR

__all__ = ["ConfigLike", "resume", "schedule_from_config", "scheduler_from_config"]

ConfigLike = Union[Mapping[str, Any], str, "os.PathLike[str]", ScheduleSpec, Schedule]
"""A config mapping, a path to a ``.json``/``.toml`` file, a JSON string, a spec or a Schedule."""


def schedule_from_config(cfg: ConfigLike) -> Schedule:
    """The float64 :class:`~warmup_spec.Schedule` a config describes.

    Unknown names or keys raise ``ValueError`` listing the valid ones.

    Example:
        >>> f = schedule_from_config({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 2})
        >>> [f(t) for t in range(3)]
        [0.0, 0.05, 0.1]
    """
    return Schedule(spec_of(cfg))


def scheduler_from_config(
    optimizer: Optimizer, cfg: ConfigLike | list[Any], *, last_epoch: int = -1, hyper: Mapping[str, Any] | None = None
) -> ScheduleLR:
    """The ``LRScheduler`` a config describes; a list of configs gives each param group its
    own (what :func:`to_config` returns for groups with different base lrs).

    Args:
        optimizer: the wrapped optimizer.
        cfg: a mapping ``{"schedule": NAME, **params}``, a path to a ``.json``/``.toml``
            file, a JSON string, a spec or a Schedule (the schedule of the same config is
            ``warmup_jax.schedule_from_config(cfg)``); or a list of them, one per param group.
        last_epoch: as in every ``LRScheduler``.
        hyper: hyperparameter schedules written beside the lr (see :class:`ScheduleLR`).

    Returns:
        The :class:`~warmup_torch.ScheduleLR`.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
        >>> sched = scheduler_from_config(opt, {"schedule": "warmup_cosine_decay", "peak_value": 1.0,
        ...                                     "warmup_steps": 2, "total_steps": 6})
        >>> sched.spec.schedule, opt.param_groups[0]["lr"]
        ('warmup_cosine_decay', 0.0)
    """
    schedule = [spec_of(c) for c in cfg] if isinstance(cfg, (list, tuple)) else spec_of(cfg)
    return ScheduleLR(optimizer, schedule, last_epoch=last_epoch, hyper=hyper)


def resume(optimizer: Optimizer, state: Mapping[str, Any]) -> ScheduleLR:
    """Rebuilds a scheduler from its ``state_dict()`` and puts its lr back in effect.

    Safe whatever was restored first: building a scheduler writes ``f(0)`` into the
    optimizer and ``load_state_dict`` (like every torch scheduler's) writes nothing, so
    a scheduler built after ``optimizer.load_state_dict`` would run one step at
    ``f(0)``. ``resume`` writes ``f(last_epoch)``, the lr of the next update.

    Args:
        optimizer: the optimizer, its own state already loaded or not.
        state: what ``scheduler.state_dict()`` returned (e.g. from ``torch.load``).

    Returns:
        The scheduler, continuing exactly where the saved one stopped.

    Example:
        >>> import torch
        >>> cfg = {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 2, "total_steps": 4}
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
        >>> sched = scheduler_from_config(opt, cfg)
        >>> for _ in range(3):
        ...     opt.step(); sched.step()
        >>> opt2 = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
        >>> opt2.load_state_dict(opt.state_dict())
        >>> again = resume(opt2, sched.state_dict())
        >>> opt2.param_groups[0]["lr"], again.last_epoch
        (0.5, 3)
    """
    saved = state.get("schedule") if isinstance(state, Mapping) else None
    per_group = isinstance(saved, (list, tuple))
    if saved is None or (per_group and any(c is None for c in saved)):
        raise ValueError(
            "resume: state has no schedule config; expected a warmup_torch scheduler's state_dict() "
            "(a schedule over a user function saves none: rebuild it and call load_state_dict)"
        )
    scheduler = scheduler_from_config(optimizer, list(saved) if per_group else saved, hyper=state.get("hyper"))
    scheduler.load_state_dict(state)
    scheduler.write_lrs()
    return scheduler
