"""PyTorch Lightning with any of our schedules: the ``lr_scheduler`` entry of ``configure_optimizers``.

Lightning steps a scheduler once per EPOCH unless its config says ``"interval": "step"``
(a classic trap: a warmup of 1000 steps then lasts 1000 epochs); :func:`scheduler_config`
always says it, and sizes the schedule from ``trainer.estimated_stepping_batches`` (the
optimizer updates Lightning will make: ``max_steps``, or epochs of batches over
``accumulate_grad_batches``) when the config leaves its length out. A resumed run
(``trainer.fit(model, ckpt_path=...)``) restores the scheduler from its checkpoint and
continues with the uninterrupted lrs. Lightning itself is not imported here.

Example:
    >>> import torch
    >>> opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=1e-3)
    >>> cfg = scheduler_config(opt, {"schedule": "warmup_cosine_decay", "peak_value": 1e-3,
    ...                              "warmup_steps": 10, "total_steps": 100})
    >>> from warmup_torch import ScheduleLR
    >>> cfg["interval"], cfg["frequency"], isinstance(cfg["scheduler"], ScheduleLR)
    ('step', 1, True)
"""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer

from warmup_spec.registry import spec_of
from warmup_spec.sizing import fill_sizes
from warmup_torch.config import ConfigLike, scheduler_from_config


def scheduler_config(optimizer: Optimizer, cfg: ConfigLike, trainer: Any = None) -> dict[str, Any]:
    """Lightning's ``lr_scheduler`` config for our schedule, stepped every optimizer update.

    Args:
        optimizer: the optimizer ``configure_optimizers`` returns beside it.
        cfg: a config (mapping, spec, JSON string or file). With ``trainer``, it may leave out
            its length, and a relative port its ``lr`` (the optimizer's):
            :func:`warmup_spec.sizing.fill_sizes`.
        trainer: the Lightning ``Trainer`` (``self.trainer`` in ``configure_optimizers``), whose
            ``estimated_stepping_batches`` is the run's length.

    Returns:
        ``{"scheduler": ScheduleLR, "interval": "step", "frequency": 1}``; in ``configure_optimizers``:
        ``return {"optimizer": opt, "lr_scheduler": scheduler_config(opt, cfg, self.trainer)}``.
    """
    if trainer is not None:
        cfg = fill_sizes(cfg, total_steps=int(trainer.estimated_stepping_batches),
                         lr=float(optimizer.param_groups[0]["lr"]))
    return {"scheduler": scheduler_from_config(optimizer, spec_of(cfg)), "interval": "step", "frequency": 1}


__all__ = ["scheduler_config"]
