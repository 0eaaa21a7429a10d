"""HF transformers schedulers: a ``LambdaLR`` built by a ``transformers.get_*`` function.

Its ``lr_lambdas`` are ``functools.partial`` objects of module-level functions of
``transformers.optimization`` (``_get_cosine_schedule_with_warmup_lr_lambda``, ...), or
``_get_constant_lambda`` itself: the function's name and the partial's keywords are the
whole schedule, read here without importing transformers. Each group's config takes the
group's base lr as ``lr`` (the ports in :mod:`warmup_spec.ports.hf_transformers`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from torch.optim.lr_scheduler import LambdaLR

__all__ = ["MODULE", "PREFIX", "READERS", "config_of"]

MODULE = "transformers.optimization"
PREFIX = "transformers."


def _constant(kw: dict[str, Any], lr: float) -> dict[str, Any]:
    return {"schedule": PREFIX + "get_constant_schedule", "lr": lr}


def _keys(schedule: str, *names: str) -> Callable[[dict[str, Any], float], dict[str, Any]]:
    """A reader copying the partial's keywords ``names`` into the port's config."""

    def read(kw: dict[str, Any], lr: float) -> dict[str, Any]:
        return {"schedule": PREFIX + schedule, "lr": lr, **{k: kw[k] for k in names if k in kw}}

    return read


def _cosine(kw: dict[str, Any], lr: float) -> dict[str, Any]:
    # in 5.24 get_cosine_schedule_with_warmup and get_cosine_with_min_lr_schedule_with_warmup share
    # this lambda; only the latter passes min_lr_rate
    names = ("num_warmup_steps", "num_training_steps", "num_cycles")
    if "min_lr_rate" not in kw:
        return _keys("get_cosine_schedule_with_warmup", *names)(kw, lr)
    return _keys("get_cosine_with_min_lr_schedule_with_warmup", *names, "min_lr_rate")(kw, lr)


def _polynomial(kw: dict[str, Any], lr: float) -> dict[str, Any]:
    # lambda = value / lr_init with lr_init = optimizer.defaults["lr"]: a group at another base lr
    # gets lr / lr_init times the schedule, i.e. the port at that lr with lr_end scaled alike
    lr_init, lr_end = kw["lr_init"], kw["lr_end"]
    if lr == 0:
        return _constant(kw, 0.0)
    if lr != lr_init:
        lr_end = lr_end * (lr / lr_init)
    return {"schedule": PREFIX + "get_polynomial_decay_schedule_with_warmup", "lr": lr,
            "num_warmup_steps": kw["num_warmup_steps"], "num_training_steps": kw["num_training_steps"],
            "lr_end": lr_end, "power": kw["power"]}


def _wsd(kw: dict[str, Any], lr: float) -> dict[str, Any]:
    # num_stable_steps is num_training_steps - w - d when HF derived it: negative when T < w + d,
    # which the port takes as num_training_steps only
    cfg = _keys("get_wsd_schedule", "num_warmup_steps", "num_decay_steps", "num_stable_steps", "warmup_type",
                "decay_type", "min_lr_ratio", "num_cycles")(kw, lr)
    s = cfg["num_stable_steps"]
    if isinstance(s, int) and s < 0:
        del cfg["num_stable_steps"]
        cfg["num_training_steps"] = cfg["num_warmup_steps"] + s + cfg["num_decay_steps"]
    return cfg


READERS: dict[str, Callable[[dict[str, Any], float], dict[str, Any]]] = {
    "_get_constant_lambda": _constant,
    "_get_constant_schedule_with_warmup_lr_lambda": _keys("get_constant_schedule_with_warmup", "num_warmup_steps"),
    "_get_linear_schedule_with_warmup_lr_lambda": _keys(
        "get_linear_schedule_with_warmup", "num_warmup_steps", "num_training_steps"),
    "_get_cosine_schedule_with_warmup_lr_lambda": _cosine,
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": _keys(
        "get_cosine_with_hard_restarts_schedule_with_warmup", "num_warmup_steps", "num_training_steps", "num_cycles"),
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": _polynomial,
    "_get_inverse_sqrt_schedule_lr_lambda": _keys("get_inverse_sqrt_schedule", "num_warmup_steps", "timescale"),
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": _keys(
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "num_warmup_steps", "num_training_steps",
        "num_cycles", "min_lr_rate", "warmup_lr_rate"),
    "_get_wsd_scheduler_lambda": _wsd,
}
"""Lambda function name -> ``(partial keywords, group base lr) -> config``."""


def _reader(fn: Any) -> tuple[Callable[[dict[str, Any], float], dict[str, Any]], dict[str, Any]] | None:
    """The reader of one lambda and its keywords, or None if it is not a transformers lambda."""
    kw: dict[str, Any] = {}
    if isinstance(fn, functools.partial):
        if fn.args:
            return None
        kw, fn = dict(fn.keywords), fn.func
    name = getattr(fn, "__name__", None)
    if getattr(fn, "__module__", None) != MODULE or name not in READERS:
        return None
    if name != "_get_constant_lambda" and not kw:
        return None
    return READERS[name], kw


def config_of(scheduler: Any) -> dict[str, Any] | list[dict[str, Any]] | None:
    """The config of an HF ``get_*`` scheduler (a list, one per param group, when the groups
    differ), or None when ``scheduler`` is not a ``LambdaLR`` over transformers' lambdas."""
    if type(scheduler) is not LambdaLR:
        return None
    lambdas, base_lrs = scheduler.lr_lambdas, scheduler.base_lrs
    readers = [_reader(fn) for fn in lambdas]
    if not readers or any(r is None for r in readers) or len(base_lrs) != len(readers):
        return None
    configs = [read(kw, float(lr)) for (read, kw), lr in zip(readers, base_lrs)]  # type: ignore[misc]
    if all(cfg == configs[0] for cfg in configs):
        return configs[0]
    return configs
