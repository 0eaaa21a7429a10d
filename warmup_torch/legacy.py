"""A drop-in for the widely copied ``adjust_learning_rate`` warmup snippet."""

from __future__ import annotations

from torch import Tensor
from torch.optim import Optimizer

from warmup_spec.catalogue import LegacyNoam
from warmup_spec.schedule import Schedule

__all__ = ["adjust_learning_rate"]


def adjust_learning_rate(optimizer: Optimizer, epoch: int, warmup_steps: int, max_lr: float) -> float:
    r"""Sets every param group's lr to the ``legacy_noam`` value at step ``epoch``; returns it.

    The snippet this replaces, reproduced exactly (bugs included), with ``s = epoch + 1``:

    .. math::

        \text{lr} = \text{max\_lr} \cdot \min\!\left(\frac{s}{w},\; \frac{\sqrt{w}}{s}\right)

    Its real peak is NOT ``max_lr`` at ``warmup_steps``: the two branches cross at
    ``s = w**0.75``, where the lr is about ``max_lr * w**-0.25``. With ``w = 500`` the
    peak is at step 105 (``s = 106``), at 21% of ``max_lr``. The corrected forms are
    :func:`warmup_torch.noam` (Vaswani et al.) and :func:`warmup_torch.warmup_inverse_sqrt`
    (peak exactly ``peak_value`` at ``warmup_steps``).

    Args:
        optimizer: the optimizer whose groups all get the lr (a tensor lr is ``fill_``'ed in place).
        epoch: the step, an integer ``>= 0`` (called once per update, despite its name).
        warmup_steps: ``w >= 1``.
        max_lr: the nominal peak, ``>= 0``.

    Returns:
        The lr set, a float.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        >>> round(adjust_learning_rate(opt, 105, warmup_steps=500, max_lr=1.0), 4)
        0.2109
        >>> round(opt.param_groups[0]["lr"], 4)
        0.2109
    """
    lr = Schedule(LegacyNoam(max_lr, warmup_steps))(epoch)
    for group in optimizer.param_groups:
        if isinstance(group["lr"], Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr
    return lr
