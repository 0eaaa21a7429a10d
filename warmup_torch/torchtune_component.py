"""A torchtune ``lr_scheduler`` component for any of our schedules.

torchtune's recipes instantiate ``cfg.lr_scheduler`` as
``config.instantiate(cfg.lr_scheduler, optimizer, num_training_steps=..., last_epoch=...)``;
:func:`lr_scheduler` takes that call (torchtune's ``get_cosine_schedule_with_warmup``
signature, ``(optimizer, num_warmup_steps, num_training_steps, ..., last_epoch=-1)``) and a
schedule named in the YAML::

    lr_scheduler:
      _component_: warmup_torch.torchtune_component.lr_scheduler
      schedule: warmup_cosine_decay   # any of our schedules or ports
      num_warmup_steps: 100
      end_value: 2.0e-6

The schedule's length is the recipe's ``num_training_steps``, its warmup ``num_warmup_steps``
and its peak (or a relative port's ``lr``) the optimizer's lr, where the YAML leaves them out
(:func:`warmup_spec.sizing.fill_sizes`). ``warmup_spec.trainer_configs.to_torchtune`` writes it.
"""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer

from warmup_spec.registry import spec_of
from warmup_spec.sizing import fill_sizes
from warmup_torch.config import scheduler_from_config
from warmup_torch.scheduler import ScheduleLR


def lr_scheduler(optimizer: Optimizer, num_warmup_steps: int | None = None, num_training_steps: int | None = None,
                 *, schedule: str, last_epoch: int = -1, **params: Any) -> ScheduleLR:
    """Our scheduler, called as torchtune calls its ``lr_scheduler`` component.

    Args:
        optimizer: the recipe's optimizer (its lr is the peak, or a relative port's ``lr``).
        num_warmup_steps: the warmup (from the YAML); ``None`` keeps the schedule's own.
        num_training_steps: the recipe's count of optimizer updates.
        schedule: the name of any of our schedules or ports.
        last_epoch: the recipe's ``global_step - 1`` when it resumes; the optimizer's groups
            then hold ``initial_lr`` (restored with its state).
        **params: the schedule's other parameters.

    Returns:
        A :class:`~warmup_torch.ScheduleLR`, stepped once per optimizer update.

    Example:
        >>> import torch
        >>> opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = lr_scheduler(opt, num_warmup_steps=2, num_training_steps=6, schedule="warmup_linear_decay")
        >>> lrs = []
        >>> for _ in range(7):
        ...     lrs.append(opt.param_groups[0]["lr"])
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0]
    """
    group = optimizer.param_groups[0]
    lr = float(group.get("initial_lr", group["lr"]))  # a resumed recipe's optimizer runs at a scheduled lr
    cfg = fill_sizes({"schedule": schedule, **params}, total_steps=num_training_steps, warmup_steps=num_warmup_steps,
                     lr=lr)
    return scheduler_from_config(optimizer, spec_of(cfg), last_epoch=last_epoch)


__all__ = ["lr_scheduler"]
