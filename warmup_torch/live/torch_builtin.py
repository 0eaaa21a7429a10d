"""torch's own schedulers -> their ``"torch.<Name>"`` configs, read from their attributes.

A scheduler relative to the optimizer's lr gives one config with ``lr`` when every param
group has the same base lr, else a list of configs, one per group. Nested schedulers
(``SequentialLR``, ``ChainedScheduler``) give their children without ``lr``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from torch.optim import lr_scheduler as L

from warmup_spec.definition import Specified
from warmup_spec.registry import PLATEAU, spec_to_config

__all__ = ["config_of"]

Config = dict[str, Any]

_RELATIVE: dict[type, Callable[[Any], dict[str, Any]]] = {
    L.StepLR: lambda s: {"step_size": s.step_size, "gamma": s.gamma},
    L.MultiStepLR: lambda s: {"milestones": sorted(s.milestones.elements()), "gamma": s.gamma},
    L.ConstantLR: lambda s: {"factor": s.factor, "total_iters": s.total_iters},
    L.LinearLR: lambda s: {"start_factor": s.start_factor, "end_factor": s.end_factor, "total_iters": s.total_iters},
    L.ExponentialLR: lambda s: {"gamma": s.gamma},
    L.PolynomialLR: lambda s: {"total_iters": s.total_iters, "power": s.power},
    L.CosineAnnealingLR: lambda s: {"T_max": s.T_max, "eta_min": s.eta_min},
    L.CosineAnnealingWarmRestarts: lambda s: {"T_0": s.T_0, "T_mult": s.T_mult, "eta_min": s.eta_min},
}


def _per_group(name: str, values: list[float], key: str, params: dict[str, Any]) -> Config | list[Config]:
    """One config when the groups agree on ``key``, else one per group."""
    configs = [{"schedule": name, key: float(v), **params} for v in values]
    return configs[0] if all(v == values[0] for v in values) else configs


def _inverse(target: float, value: float, op: Callable[[float, float], float]) -> float:
    """An ``x`` with ``op(value, x) == target`` exactly, near ``value / target`` (a ratio
    torch stored only through its result)."""
    x = value / target
    for candidate in (x, math.nextafter(x, math.inf), math.nextafter(x, -math.inf)):
        if op(value, candidate) == target:
            return candidate
    return x


def _pct_start(end_step: float, total: int) -> float:
    """A ``pct_start`` for which torch computes ``float(pct_start * total) - 1 == end_step``."""
    p = (end_step + 1) / total
    for candidate in (p, math.nextafter(p, math.inf), math.nextafter(p, -math.inf)):
        if float(candidate * total) - 1 == end_step:
            return candidate
    return p


def _onecycle_lr(s: Any) -> Config | list[Config]:
    configs = []
    for g in s.optimizer.param_groups:
        top, initial, low = g["max_lr"], g["initial_lr"], g["min_lr"]
        div = _inverse(initial, top, lambda a, b: a / b)
        final = _inverse(low, initial, lambda a, b: a / b)
        cfg: Config = {"schedule": "torch.OneCycleLR", "max_lr": float(top), "total_steps": s.total_steps,
                       "pct_start": _pct_start(s._schedule_phases[0]["end_step"], s.total_steps),
                       "anneal_strategy": s._anneal_func_type, "cycle_momentum": s.cycle_momentum,
                       "div_factor": div, "final_div_factor": final,
                       "three_phase": len(s._schedule_phases) == 3}
        if s.cycle_momentum:
            cfg["base_momentum"], cfg["max_momentum"] = float(g["base_momentum"]), float(g["max_momentum"])
        configs.append(cfg)
    return configs[0] if all(c == configs[0] for c in configs) else configs


def _cyclic(s: Any) -> Config | list[Config]:
    if s._scale_fn_custom is not None:
        raise ValueError("to_config: this CyclicLR has a custom scale_fn, a function we cannot read; "
                         "write the schedule as a composition (join, scale) instead")
    up = round(s.total_size * s.step_ratio)
    down = round(s.total_size) - up
    configs = []
    for k, (base, top) in enumerate(zip(s.base_lrs, s.max_lrs)):
        cfg: Config = {"schedule": "torch.CyclicLR", "base_lr": float(base), "max_lr": float(top),
                       "step_size_up": up, "step_size_down": down, "mode": s.mode, "gamma": s.gamma,
                       "cycle_momentum": s.cycle_momentum}
        if s.cycle_momentum:
            cfg["base_momentum"] = float(s.base_momentums[k])
            cfg["max_momentum"] = float(s.max_momentums[k])
        configs.append(cfg)
    return configs[0] if all(c == configs[0] for c in configs) else configs


def _nested(name: str, s: Any, params: dict[str, Any]) -> Config | list[Config]:
    """A ``SequentialLR`` / ``ChainedScheduler``: for each param group, its base lr and its
    children's configs for that group (without ``lr``: they share the parent's); one config
    when the groups agree, else one per group."""
    groups = s.optimizer.param_groups
    children: list[list[Config]] = []
    for child in s._schedulers:
        cfg = config_of(child)
        if cfg is None:
            raise ValueError(f"to_config: cannot read the nested {type(child).__name__}")
        children.append([{k: v for k, v in c.items() if k != "lr"} for c in (cfg if isinstance(cfg, list)
                                                                             else [cfg] * len(groups))])
    configs = [{"schedule": name, "lr": float(g["initial_lr"]), "schedulers": [c[k] for c in children], **params}
               for k, g in enumerate(groups)]
    return configs[0] if all(c == configs[0] for c in configs) else configs


def config_of(scheduler: Any) -> Config | list[Config] | None:
    kind = type(scheduler)
    if kind in _RELATIVE:
        return _per_group(f"torch.{kind.__name__}", list(scheduler.base_lrs), "lr", _RELATIVE[kind](scheduler))
    if kind is L.OneCycleLR:
        return _onecycle_lr(scheduler)
    if kind is L.CyclicLR:
        return _cyclic(scheduler)
    if kind is L.SequentialLR:
        return _nested("torch.SequentialLR", scheduler, {"milestones": list(scheduler._milestones)})
    if kind is L.ChainedScheduler:
        return _nested("torch.ChainedScheduler", scheduler, {})
    if kind is L.LambdaLR:
        return _lambda(scheduler)
    if isinstance(scheduler, L.ReduceLROnPlateau):
        raise ValueError(f"to_config: {PLATEAU}")
    if isinstance(scheduler, L.LRScheduler) and kind.__module__ == L.__name__:
        raise ValueError(f"to_config: torch's {kind.__name__} steps by a user's function; write the schedule "
                         "as a config instead")
    return None


def _lambda(s: Any) -> Config | list[Config]:
    """A ``LambdaLR`` over our own schedules (``warmup_torch.warmup_cosine_decay(...)``):
    group ``g`` gets ``base_lr_g * f(t)``, the config ``scale(f, base_lr_g)``."""
    configs = []
    for fn, base in zip(s.lr_lambdas, s.base_lrs):
        if not isinstance(fn, Specified):
            raise ValueError(
                f"to_config: a LambdaLR over {fn!r}, a function we cannot see inside; build it from "
                "one of our schedules (warmup_torch.warmup_cosine_decay(...)) or write the schedule as a config"
            )
        configs.append({"schedule": "scaled", "base": spec_to_config(fn.spec), "factor": float(base)})
    return configs[0] if all(c == configs[0] for c in configs) else configs
