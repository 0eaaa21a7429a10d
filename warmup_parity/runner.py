"""Train matched Flax NNX and torch models side by side and record where they differ.

A run config names the model (a built-in pair, or ``"module.path:factory"`` for your own:
see :func:`warmup_parity.models.user_factory`), the data, the schedule and the optimizer
pair; :func:`run` trains both sides with :func:`warmup_parity.engine.train_pair` and
returns its :class:`~warmup_parity.report.Report`. Per step: the lr each side used, each
side's loss, and the parameter difference (max abs, and norm-relative ``||jax - torch|| /
||torch||`` over all parameters). Before any update the step-0 loss and gradients are
compared, so a model mismatch is told apart from an optimizer mismatch, and the first
divergence is placed (``report.first_divergence``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from warmup_parity import data as data_mod
from warmup_parity import models
from warmup_parity.report import TOLERANCES, Report

__all__ = ["TOLERANCES", "Report", "RunConfig", "run"]


@dataclass(frozen=True)
class RunConfig:
    """One training-parity run: a schedule and an optimizer on a model and data set.

    ``stepping="epoch"`` changes the lr once per epoch (the schedule's step is the
    epoch index), as the widely copied per-epoch recipes do; ``lr_driver`` picks how
    torch sets it: our ``LRScheduler`` or the ``adjust_learning_rate`` drop-in
    (``legacy_noam`` only).
    """

    schedule: Mapping[str, Any]
    optimizer: Mapping[str, Any]
    model: str = "mlp"
    data: str = "digits"
    steps: int = 300
    batch_size: int = 64
    dtype: str = "float32"
    seed: int = 0
    hidden: int = 32
    stepping: str = "step"
    lr_driver: str = "scheduler"
    title: str = ""
    param_rules: Any = None
    """Parameter-group rules (:mod:`warmup_spec.param_rules`): ``[{"match": GLOB, "lr_mult": x,
    "weight_decay": y, "schedule": cfg, "frozen": bool}, ...]``, first match wins."""

    def __post_init__(self) -> None:
        if models.is_factory(self.model):
            models.user_factory(self.model)  # importable, callable: said now, not after the data loads
        checks = [
            ("model", self.model, (*models.MODELS, self.model) if models.is_factory(self.model) else models.MODELS),
            ("data", self.data, data_mod.DATASETS),
            ("dtype", self.dtype, tuple(TOLERANCES)),
            ("stepping", self.stepping, ("step", "epoch")),
            ("lr_driver", self.lr_driver, ("scheduler", "adjust_learning_rate")),
        ]
        for name, value, allowed in checks:
            if value not in allowed:
                raise ValueError(f"run: {name}={value!r} is invalid; expected one of {', '.join(map(repr, allowed))}")
        for name in ("steps", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"run: {name}={v!r} is invalid; expected an integer >= 1")
        if self.model == "cnn" and self.data != "digits":
            raise ValueError("run: model='cnn' needs data='digits' (8x8 images)")
        if self.model in models.TRANSFORMERS and self.data != "text":
            raise ValueError(f"run: model={self.model!r} needs data='text' (token ids)")
        if self.data == "text" and self.model in ("mlp", "cnn"):
            raise ValueError(f"run: data='text' needs a transformer (model='transformer' or 'transformer_post_ln' "
                             f"or your own); got model={self.model!r}")
        if self.model in models.TRANSFORMERS and self.hidden % models.TRANSFORMER_HEADS:
            raise ValueError(f"run: hidden={self.hidden} is invalid for a transformer; expected a multiple of "
                             f"{models.TRANSFORMER_HEADS} (the heads)")
        if self.lr_driver == "adjust_learning_rate" and self.schedule.get("schedule") != "legacy_noam":
            raise ValueError("run: lr_driver='adjust_learning_rate' reproduces legacy_noam only")
        if self.param_rules is not None:
            from warmup_spec.param_rules import parse_rules

            parse_rules(self.param_rules)
            if self.lr_driver != "scheduler":
                raise ValueError("run: param_rules need lr_driver='scheduler' (the copied snippet sets one lr)")
        if self.stepping == "epoch":
            from warmup_spec.hyper import momentum_of
            from warmup_spec.registry import spec_of

            if momentum_of(spec_of(self.schedule)) is not None:
                raise ValueError(f"run: stepping='epoch' with {self.schedule.get('schedule')}, which cycles the "
                                 "momentum per update; expected stepping='step', or cycle_momentum=false")

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> RunConfig:
        if not isinstance(cfg, Mapping):
            raise ValueError(f"run: a run config is a mapping with [schedule] and [optimizer] tables; got {cfg!r}")
        valid = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(cfg) - valid)
        if unknown:
            raise ValueError(f"run: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(valid))}")
        for table in ("schedule", "optimizer"):
            if table not in cfg:
                raise ValueError(f"run: missing [{table}] table; a run config needs [schedule] and [optimizer]")
            if not isinstance(cfg[table], Mapping):
                raise ValueError(f"run: {table}={cfg[table]!r} is invalid; expected a [{table}] table (a mapping)")
        return cls(**cfg)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def run(cfg: RunConfig | Mapping[str, Any], on_step: Callable[[dict[str, float]], None] | None = None) -> Report:
    """Trains both sides for ``cfg.steps`` updates and returns the :class:`Report`."""
    cfg = cfg if isinstance(cfg, RunConfig) else RunConfig.from_mapping(cfg)
    import jax

    with jax.enable_x64(cfg.dtype == "float64"):
        return _run(cfg, on_step)


def _run(cfg: RunConfig, on_step: Callable[[dict[str, float]], None] | None) -> Report:
    import torch

    import warmup_jax
    import warmup_torch
    from warmup_parity.engine import TorchLR, prepare, train_pair
    from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer

    torch.set_num_threads(1)
    ds = data_mod.load(cfg.data)
    n_in = int(np.prod(ds.x.shape[1:]))
    indices = data_mod.batch_indices(len(ds.x), cfg.batch_size, cfg.steps, cfg.seed)
    steps_per_epoch = max(1, len(ds.x) // cfg.batch_size)
    batches = [(ds.x[idx], ds.y[idx]) for idx in indices]

    # --- the two models, same weights --------------------------------------------
    if models.is_factory(cfg.model):
        fmodel, tmodel, mapping = models.call_factory(cfg.model, cfg.dtype, cfg.seed, ds)
        wmap = prepare(fmodel, tmodel, cfg.dtype, True, mapping)
    else:
        fmodel = models.build_flax(cfg.model, n_in, ds.n_out, cfg.dtype, cfg.seed, cfg.hidden)
        tmodel = models.build_torch(cfg.model, models.flax_weights(fmodel), cfg.dtype)
        wmap = prepare(fmodel, tmodel, cfg.dtype, False)  # build_torch loaded the weights

    # --- the two optimizers, one description -------------------------------------
    base = warmup_jax.from_config(cfg.schedule)
    if cfg.stepping == "epoch":
        def schedule(count):  # the schedule's step is the epoch index
            return base(count // steps_per_epoch)
    else:
        schedule = base
    ospec = optimizer_from_config(cfg.optimizer)
    if cfg.param_rules:
        from flax import nnx

        from warmup_parity.param_rules import rule_pair

        wrap = (lambda f: (lambda count: f(count // steps_per_epoch))) if cfg.stepping == "epoch" else None
        pair = rule_pair(ospec, cfg.schedule, cfg.param_rules, nnx.state(fmodel, nnx.Param), tmodel, wrap=wrap)
        tx, topt, tsched, schedule = pair.transform, pair.optimizer, pair.scheduler, pair.lr_schedule
    else:
        tx = optax_transform(ospec, schedule)
        topt, tsched = torch_optimizer(ospec, tmodel.parameters(), cfg.schedule)

    def before(k: int) -> None:  # the copied recipe sets the lr at the start of every epoch
        if k % steps_per_epoch == 0:
            warmup_torch.adjust_learning_rate(topt, k // steps_per_epoch, cfg.schedule["warmup_steps"],
                                              cfg.schedule["max_lr"])

    def after(k: int) -> None:  # scheduler.step() after optimizer.step(), per step or per epoch
        if cfg.stepping == "step" or (k + 1) % steps_per_epoch == 0:
            tsched.step()

    torch_lr = TorchLR(before, None) if cfg.lr_driver == "adjust_learning_rate" else TorchLR(None, after)
    config = {**cfg.to_dict(), "optimizer_resolved": ospec.describe()}
    report = train_pair(fmodel, tmodel, wmap, batches, losses=models.losses(ds.task),
                        tx=tx, schedule=schedule, torch_opt=topt, torch_lr=torch_lr,
                        dtype=cfg.dtype, config=config, on_step=on_step)
    report.summary["approximate_mapping"] = bool(getattr(ospec, "approximate", False))
    return report
