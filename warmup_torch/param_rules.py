"""Parameter-group rules in torch: a rule list -> the param groups of a torch optimizer.

The rules (``[{"match": GLOB, "lr_mult": x, "weight_decay": y, "schedule": cfg, "frozen": bool}, ...]``,
first match wins, unmatched parameters take the defaults) are parsed, validated and matched
by :mod:`warmup_spec.param_rules` against ``model.named_parameters()``; the same rules give
the same groups in ``warmup_jax.rules_transform``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from warmup_spec.param_rules import plan

__all__ = ["param_groups"]


def param_groups(
    model: torch.nn.Module | Iterable[tuple[str, torch.nn.Parameter]],
    rules: Any,
    *,
    schedule: Any,
    weight_decay: float | None = None,
) -> list[dict[str, Any]]:
    """The param groups of a rule list, for any torch optimizer, each with its own schedule.

    Every group is a dict with ``"params"``, ``"param_names"`` (torch's own key: the names,
    saved in the optimizer's ``state_dict``), ``"schedule"`` (the group's schedule config, its
    ``lr_mult`` applied as a ``scale``) and, where the rule or the default sets one,
    ``"weight_decay"``. The parameters no rule matches come first (when there are any), then one
    group per rule in rule order. Frozen parameters are in no group, so the optimizer never
    touches them; call ``requires_grad_(False)`` on them to skip their gradients as well.

    Drive the lrs with one scheduler, one schedule per group (group ``g`` then runs
    ``f_g(k)`` itself): ``ScheduleLR(optimizer, [g["schedule"] for g in groups])``.

    Args:
        model: a module (its ``named_parameters()``) or ``(name, parameter)`` pairs.
        rules: the rule list (:mod:`warmup_spec.param_rules`).
        schedule: the run's schedule (a config, a spec or a ``Schedule``), for the parameters
            no rule matches and the rules without their own.
        weight_decay: the default weight decay (``None``: leave the optimizer's own default).

    Returns:
        The groups, for ``torch.optim.AdamW(groups, lr=...)`` (the lr is then the scheduler's).

    Raises:
        ValueError: an invalid rule, or a rule that matches no parameter (naming the rule).

    Example:
        >>> import torch
        >>> from warmup_torch import ScheduleLR
        >>> model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 1))
        >>> rules = [{"match": "1.*", "weight_decay": 0.0}, {"match": "*.bias", "weight_decay": 0.0},
        ...          {"match": "2.weight", "lr_mult": 0.5}]
        >>> cfg = {"schedule": "warmup_constant", "peak_value": 1e-3, "warmup_steps": 2}
        >>> groups = param_groups(model, rules, schedule=cfg, weight_decay=0.1)
        >>> [(g["param_names"], g["weight_decay"]) for g in groups]
        [(['0.weight'], 0.1), (['1.weight', '1.bias'], 0.0), (['0.bias', '2.bias'], 0.0), (['2.weight'], 0.1)]
        >>> opt = torch.optim.AdamW(groups, lr=1.0)
        >>> sched = ScheduleLR(opt, [g["schedule"] for g in groups])
        >>> opt.step(); sched.step(); opt.step(); sched.step()
        >>> [g["lr"] for g in opt.param_groups]
        [0.001, 0.001, 0.001, 0.0005]
    """
    named = list(model.named_parameters()) if isinstance(model, torch.nn.Module) else list(model)
    by_name = dict(named)
    groups = plan([name for name, _ in named], rules, schedule=schedule, weight_decay=weight_decay)
    out: list[dict[str, Any]] = []
    for g in groups:
        if g.frozen:
            continue
        group: dict[str, Any] = {"params": [by_name[n] for n in g.names], "param_names": list(g.names),
                                 "schedule": g.config()}
        if g.weight_decay is not None:
            group["weight_decay"] = g.weight_decay
        out.append(group)
    return out
