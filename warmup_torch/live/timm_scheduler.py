"""timm's schedulers (``timm.scheduler``): their parameters are attributes of the object.

A timm scheduler is recognised by its class's module (``timm.scheduler...``) and name, so
this reader never imports timm. Its config is the port ``"timm.<ClassName>"``
(:mod:`warmup_spec.ports.timm_scheduler`) with the scheduler's attributes and, as
``lr``, each param group's base lr (timm's ``base_values``); one config per param group
when those differ. A group with timm's ``lr_scale`` (layer-wise lr decay) gets
``{"schedule": "scaled", "base": <config>, "factor": lr_scale}``: timm multiplies every lr
it writes into that group by it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CYCLES", "INTEGERS", "NOT_PORTED", "PARAMS", "WARMUP", "config_of"]

CYCLES = ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit")
WARMUP = ("warmup_t", "warmup_lr_init", "warmup_prefix", "t_in_epochs")
PARAMS: dict[str, tuple[str, ...]] = {
    "CosineLRScheduler": (*CYCLES, *WARMUP, "k_decay"),
    "TanhLRScheduler": ("t_initial", "lb", "ub", *CYCLES[1:], *WARMUP),
    "StepLRScheduler": ("decay_t", "decay_rate", *WARMUP),
    "MultiStepLRScheduler": ("decay_t", "decay_rate", *WARMUP),
    "PolyLRScheduler": ("t_initial", "power", *CYCLES[1:], *WARMUP, "k_decay"),
}
NOT_PORTED = {
    "PlateauLRScheduler": "it follows a metric (reduce on plateau), not the step",
    "WSDLRScheduler": "it is not ported",
}


INTEGERS = ("t_initial", "cycle_limit", "warmup_t")
"""Counts timm also accepts as integral floats (``t_initial=100.0``): given as ints."""


def _plain(value: Any) -> Any:
    """A parameter as a plain Python value (a tensor lr, a tuple of milestones)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def _count(value: Any) -> Any:
    """An integral float as an int (anything else as it is: the port's checks name it)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def config_of(scheduler: Any) -> dict[str, Any] | list[dict[str, Any]] | None:
    cls = type(scheduler)
    if not cls.__module__.startswith("timm.scheduler"):
        return None
    name = cls.__name__
    if name in NOT_PORTED:
        raise ValueError(f"to_config: timm's {name} has no config: {NOT_PORTED[name]}")
    if name not in PARAMS:
        return None
    if getattr(scheduler, "noise_range_t", None) is not None:
        raise ValueError(
            f"to_config: this timm {name} adds lr noise (noise_range_t={scheduler.noise_range_t!r}); "
            "timm's lr noise is not ported (build it with noise_range_t=None)"
        )
    params = {p: _plain(getattr(scheduler, p)) for p in PARAMS[name]}
    for p in INTEGERS:
        if p in params:
            params[p] = _count(params[p])
    if name == "MultiStepLRScheduler":
        params["decay_t"] = [_count(m) for m in params["decay_t"]]
    groups = scheduler.optimizer.param_groups
    configs: list[dict[str, Any]] = []
    for base, group in zip(scheduler.base_values, groups):
        cfg: dict[str, Any] = {"schedule": f"timm.{name}", "lr": float(_plain(base)), **params}
        scale = group.get("lr_scale")
        if scale is not None:
            cfg = {"schedule": "scaled", "base": cfg, "factor": float(_plain(scale))}
        configs.append(cfg)
    if all(cfg == configs[0] for cfg in configs):
        return configs[0]
    return configs
