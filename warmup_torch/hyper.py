"""Scheduled hyperparameters written into a torch optimizer's param groups, beside the lr.

:class:`~warmup_torch.ScheduleLR` writes them at every step, as torch's own ``OneCycleLR``
and ``CyclicLR`` write the momentum:

- ``"momentum"``: into ``group["betas"][0]`` when the optimizer has ``betas`` (Adam,
  AdamW, ...), else into ``group["momentum"]`` (SGD, RMSprop); the same value for every
  group, as torch writes it;
- ``"weight_decay"``: into ``group["weight_decay"]``, times the group's ratio
  ``initial_weight_decay_g / optimizer.defaults["weight_decay"]`` (exactly 1.0 for a group
  at the default): a group built with ``weight_decay=0`` (no decay on biases and norms)
  stays at 0, one with half the default decays half as much. The group's value at
  construction is kept as ``group["initial_weight_decay"]`` (as torch keeps
  ``initial_lr``), so a scheduler rebuilt on a restored optimizer finds the same ratios.
  torch's ``AdamW`` then decays by ``lr * weight_decay`` with both scheduled.

Example:
    >>> import torch
    >>> from warmup_spec import Schedule
    >>> from warmup_spec.hyper import Ramp
    >>> p = torch.zeros(1, requires_grad=True)
    >>> opt = torch.optim.AdamW([{"params": [p]}, {"params": [], "weight_decay": 0.0}], lr=1.0, weight_decay=1.0)
    >>> w = HyperWriter(opt, [{"weight_decay": Schedule(Ramp(0.0, 0.1, steps=2))}] * 2, owner="example")
    >>> w.write(1)
    >>> [g["weight_decay"] for g in opt.param_groups]
    [0.05, 0.0]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from torch.optim import Optimizer

from warmup_spec import _checks as c
from warmup_spec.hyper import HYPERPARAMETERS
from warmup_spec.schedule import Schedule

__all__ = ["HyperWriter", "describe", "momentum_key"]


def momentum_key(optimizer: Optimizer) -> str | None:
    """Where ``optimizer`` keeps its momentum: ``"betas"`` (its first element), ``"momentum"``,
    or ``None`` (Adagrad, ...), decided as torch's ``OneCycleLR`` decides it."""
    if "betas" in optimizer.defaults:
        return "betas"
    return "momentum" if "momentum" in optimizer.defaults else None


def _weight_decay_ratios(optimizer: Optimizer, owner: str, fresh: bool) -> list[float]:
    """Each group's ``initial_weight_decay / defaults["weight_decay"]``; 1.0 at the default."""
    default = float(optimizer.defaults["weight_decay"])
    ratios = []
    for g in optimizer.param_groups:
        if fresh:
            g.setdefault("initial_weight_decay", g["weight_decay"])
        own = float(g.get("initial_weight_decay", g["weight_decay"]))
        if own == default:
            ratios.append(1.0)
        elif math.isfinite(default) and default > 0:
            ratios.append(own / default)
        else:
            raise c.fail(owner, 'optimizer.defaults["weight_decay"]', default,
                         "> 0 when a group sets its own weight_decay (a scheduled weight decay gives group g "
                         "wd(k) * weight_decay_g / defaults['weight_decay']); build the optimizer with "
                         "weight_decay=1.0")
    return ratios


class HyperWriter:
    """Writes the hyperparameter schedules of each param group at a step.

    Args:
        optimizer: the optimizer whose groups are written.
        schedules: one mapping per param group, ``{"momentum": Schedule, "weight_decay": Schedule}``
            (either or both; an empty mapping leaves the group's alone).
        owner: who asks (``"torch.OneCycleLR"``, ``"ScheduleLR"``), named in errors.
        fresh: whether the optimizer is starting (``last_epoch == -1``): then each group's
            ``initial_weight_decay`` is recorded from its ``weight_decay``.
        cycled: whether the momentum is the one the lr schedule cycles (``cycle_momentum=True``),
            named so when the optimizer has none.

    Raises:
        ValueError: a momentum for an optimizer without ``momentum`` or ``betas`` (torch's
            ``OneCycleLR`` refuses it too), a weight decay for one without ``weight_decay``,
            an unknown hyperparameter, or a group count that does not match.

    Attributes:
        weight_decay_ratios: each group's multiplier of the weight-decay schedule.
    """

    def __init__(self, optimizer: Optimizer, schedules: Sequence[Mapping[str, Schedule]], *, owner: str,
                 fresh: bool = True, cycled: bool = False) -> None:
        groups = optimizer.param_groups
        if len(schedules) != len(groups):
            raise ValueError(f"{owner}: got hyperparameter schedules for {len(schedules)} param groups; "
                             f"the optimizer has {len(groups)}")
        names = {k for s in schedules for k in s}
        unknown = sorted(names - set(HYPERPARAMETERS))
        if unknown:
            raise c.fail(owner, "hyper", unknown[0], "one of " + ", ".join(map(repr, HYPERPARAMETERS)))
        self.optimizer = optimizer
        self._momentum = momentum_key(optimizer)
        schedules, self._beta2 = _betas_only(optimizer, schedules, self._momentum)
        names = {k for s in schedules for k in s}
        if "momentum" in names and self._momentum is None:
            name = type(optimizer).__name__
            if cycled:
                raise c.fail(owner, "cycle_momentum", True, f"False for an optimizer without momentum or betas "
                             f"({name}), as torch's OneCycleLR and CyclicLR refuse it")
            raise c.fail(owner, "hyper", "momentum", f"a hyperparameter of the optimizer ({name} has no momentum "
                         "or betas)")
        if "weight_decay" in names and "weight_decay" not in optimizer.defaults:
            raise c.fail(owner, "hyper", "weight_decay", f"a hyperparameter of the optimizer "
                         f"({type(optimizer).__name__} has no weight_decay)")
        self.weight_decay_ratios: list[float] = (
            _weight_decay_ratios(optimizer, owner, fresh) if "weight_decay" in names else [1.0] * len(groups))
        self._schedules = [dict(s) for s in schedules]
        self._plan = self._closed_forms()

    def _closed_forms(self) -> list[tuple[int, str | None, Any]]:
        """``(group, key, closed form)`` of every schedule: what :meth:`write` runs."""
        return [(k, self._momentum if name == "momentum" else name, f.spec.compose().closed())
                for k, fs in enumerate(self._schedules) for name, f in fs.items()]

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the closed forms (local functions): they are rebuilt on unpickling."""
        return {k: v for k, v in self.__dict__.items() if k != "_plan"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._plan = self._closed_forms()

    def __eq__(self, other: object) -> bool:
        """Equal when it writes the same values where the other writes them (any optimizer)."""
        return (isinstance(other, HyperWriter) and other._schedules == self._schedules
                and other._momentum == self._momentum and other.weight_decay_ratios == self.weight_decay_ratios)

    __hash__ = None  # type: ignore[assignment]

    def write(self, step: int) -> None:
        """Writes every group's values at ``step`` (an integer ``>= 0``: the scheduler's ``last_epoch``)."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self._schedules):
            raise ValueError(f"the optimizer has {len(groups)} param groups but the hyperparameter schedules "
                             f"were built for {len(self._schedules)}; build a new scheduler after add_param_group")
        ratios = self.weight_decay_ratios
        for k, name, f in self._plan:  # the closed forms themselves: the step is a valid int already
            group = groups[k]
            if name == "weight_decay":
                group["weight_decay"] = f(step) * ratios[k]
            elif name == "betas":
                beta2 = self._beta2[k]
                group["betas"] = (f(step), *group["betas"][1:]) if beta2 is None else (f(step), beta2)
            else:
                group["momentum"] = f(step)

    def set_ratios(self, ratios: Sequence[float]) -> None:
        """Restores the weight-decay ratios (from a saved state)."""
        if len(ratios) != len(self.weight_decay_ratios):
            raise ValueError(f"the saved state has weight-decay ratios for {len(ratios)} param groups, "
                             f"the optimizer has {len(self.weight_decay_ratios)}")
        self.weight_decay_ratios = [float(r) for r in ratios]


def _betas_only(optimizer: Optimizer, schedules: Sequence[Mapping[str, Schedule]],
                key: str | None) -> tuple[list[Mapping[str, Schedule]], list[float | None]]:
    """The schedules without the momentum of an lr schedule that cycles ``betas[0]`` alone
    (DeepSpeed's ``OneCycle``: ``cycled_betas_only``) when the optimizer has no ``betas``,
    as DeepSpeed turns ``cycle_momentum`` off there (with a warning); and each group's
    ``beta2`` written beside the cycled ``beta1`` (DeepSpeed's ``cycled_beta2``, 0.99), or
    ``None`` to keep the group's own."""
    out: list[Mapping[str, Schedule]] = []
    beta2: list[float | None] = []
    for s in schedules:
        lr_spec: Any = getattr(s["momentum"].spec, "lr_schedule", None) if "momentum" in s else None
        if getattr(lr_spec, "cycled_betas_only", False) and key != "betas":
            warnings.warn(f"{lr_spec.schedule}: cycle_momentum is turned off for {type(optimizer).__name__}, which "
                          "has no betas: the library cycles betas[0] only, and leaves such an optimizer's momentum "
                          "as it is (with a warning)", UserWarning, stacklevel=4)
            s = {k: v for k, v in s.items() if k != "momentum"}
        out.append(s)
        beta2.append(getattr(lr_spec, "cycled_beta2", None) if "momentum" in s else None)
    return out, beta2


def describe(hyper: Mapping[str, Any] | None) -> str:
    """A hyperparameter config for an error message."""
    return "no hyperparameter schedules" if not hyper else f"hyper={dict(hyper)!r}"
