"""HF ``transformers.Trainer`` with any of our schedules.

Two ways, both resuming (``trainer.train(resume_from_checkpoint=...)``) to the exact lrs of
an uninterrupted run, as HF saves ``lr_scheduler.state_dict()`` in each checkpoint and
loads it back:

- :class:`ScheduleTrainerMixin` (or :class:`ScheduleTrainer`, the mixin on ``Trainer``):
  ``lr_schedule=`` a config, sized when HF creates its scheduler
  (``create_scheduler(num_training_steps, optimizer)``): the length HF counts (``max_steps``,
  or epochs of ``ceil(batches / gradient_accumulation_steps)`` updates), the warmup of
  ``args.warmup_steps`` (a count, or a ratio of the length below 1) and the base lr of
  ``args.learning_rate`` fill what the config leaves out (:func:`warmup_spec.sizing.fill_sizes`);
- ``Trainer(..., optimizers=(optimizer, warmup_torch.scheduler_from_config(optimizer, cfg)))`` with a
  complete config.

A config that leaves out its warmup while ``args.warmup_steps`` is 0 (HF's default) keeps
the schedule's default warmup, or, where the schedule has none, is a ``ValueError`` naming
it. Tested in ``parity_tests/test_hf_trainer.py``; guide: ``docs/integrations.md``.
"""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer
from transformers import Trainer

from warmup_spec.registry import spec_of
from warmup_spec.sizing import fill_sizes
from warmup_torch.config import ConfigLike, scheduler_from_config
from warmup_torch.scheduler import ScheduleLR


def trainer_scheduler(optimizer: Optimizer, cfg: ConfigLike, num_training_steps: int,
                      num_warmup_steps: int | None = None) -> ScheduleLR:
    """Our scheduler for a trainer's counts: ``cfg`` with its length, warmup and base lr filled in.

    Args:
        optimizer: the trainer's optimizer (its first group's lr is the base lr of a relative port).
        cfg: a config (mapping, spec, JSON string or file) that may leave out its length, its
            warmup and a relative port's ``lr`` (:func:`warmup_spec.sizing.fill_sizes`).
        num_training_steps: the optimizer updates of the run, as the trainer counts them.
        num_warmup_steps: the trainer's warmup; ``None`` keeps the schedule's default.

    Returns:
        A :class:`~warmup_torch.ScheduleLR`, stepped once per optimizer update.

    Example:
        >>> import torch
        >>> opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=1e-3)
        >>> sched = trainer_scheduler(opt, {"schedule": "transformers.get_cosine_schedule_with_warmup"}, 100, 10)
        >>> sched.schedule.spec.num_training_steps, sched.schedule.spec.num_warmup_steps, sched.schedule.spec.lr
        (100, 10, 0.001)
    """
    sized = fill_sizes(cfg, total_steps=num_training_steps, warmup_steps=num_warmup_steps,
                       lr=float(optimizer.param_groups[0]["lr"]))
    return scheduler_from_config(optimizer, spec_of(sized))


class ScheduleTrainerMixin:
    """A ``transformers.Trainer`` mixin: ``lr_schedule=`` any of our configs instead of
    ``lr_scheduler_type`` (whose names are a closed list), sized as HF sizes its own.

    The warmup comes from ``args.warmup_steps`` where the config leaves it out; a config
    that sets a warmup while ``args`` sets another is a ``ValueError``, not a silent choice.

    Example:
        >>> class MyTrainer(ScheduleTrainerMixin, Trainer):  # or ScheduleTrainer
        ...     pass
        >>> [c.__name__ for c in MyTrainer.__mro__[:3]]
        ['MyTrainer', 'ScheduleTrainerMixin', 'Trainer']
    """

    args: Any
    optimizer: Any
    lr_scheduler: Any

    def __init__(self, *args: Any, lr_schedule: ConfigLike, **kwargs: Any) -> None:
        self.lr_schedule = lr_schedule
        super().__init__(*args, **kwargs)

    def create_scheduler(self, num_training_steps: int, optimizer: Optimizer | None = None) -> ScheduleLR:
        """HF's scheduler hook: our schedule, sized from ``num_training_steps`` and ``self.args``."""
        if self.lr_scheduler is None:
            opt = self.optimizer if optimizer is None else optimizer
            warmup = int(self.args.get_warmup_steps(num_training_steps))  # 0: HF's default, no warmup set
            self.lr_scheduler = trainer_scheduler(opt, self.lr_schedule, num_training_steps, warmup or None)
            self._created_lr_scheduler = True
        return self.lr_scheduler


class ScheduleTrainer(ScheduleTrainerMixin, Trainer):
    """``transformers.Trainer`` with ``lr_schedule=`` (:class:`ScheduleTrainerMixin`)."""


__all__ = ["ScheduleTrainer", "ScheduleTrainerMixin", "trainer_scheduler"]
