"""Train matched Flax NNX and torch models side by side and record where they differ.

Per step: the lr each side used, each side's loss, and the parameter difference
(max abs, and norm-relative ``||jax - torch|| / ||torch||`` over all parameters).
Before any update the step-0 loss and gradients are compared, so a model mismatch
is told apart from an optimizer mismatch.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from warmup_parity import data as data_mod
from warmup_parity import models

# (step-0 loss and gradients, parameters after training, lr) per dtype
TOLERANCES = {
    "float64": {"step0": 1e-14, "params": 1e-9, "lr": 1e-12},
    "float32": {"step0": 1e-6, "params": 1e-5, "lr": 1e-6},
}


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

    def __post_init__(self) -> None:
        checks = [
            ("model", self.model, models.MODELS),
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
        if self.lr_driver == "adjust_learning_rate" and self.schedule.get("schedule") != "legacy_noam":
            raise ValueError("run: lr_driver='adjust_learning_rate' reproduces legacy_noam only")

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


@dataclass
class Report:
    """What a run measured; ``to_json()`` is the ``parity_report.json`` format."""

    config: dict[str, Any]
    steps: list[dict[str, float]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.summary.get("passed"))

    def to_json(self) -> dict[str, Any]:
        return {"title": self.config.get("title", ""), "config": self.config, "summary": self.summary,
                "steps": self.steps}

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=1))
        return path


def _norm_rel(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> tuple[float, float]:
    """(max |a - b|, ||a - b|| / ||b||) over all entries of matching dicts."""
    diff = np.concatenate([(np.asarray(a[k], np.float64) - b[k]).ravel() for k in b])
    ref = np.concatenate([np.asarray(b[k], np.float64).ravel() for k in b])
    return float(np.max(np.abs(diff))), float(np.linalg.norm(diff) / max(np.linalg.norm(ref), 1e-300))


def run(cfg: RunConfig | Mapping[str, Any], on_step: Callable[[dict[str, float]], None] | None = None) -> Report:
    """Trains both sides for ``cfg.steps`` updates and returns the :class:`Report`."""
    cfg = cfg if isinstance(cfg, RunConfig) else RunConfig.from_mapping(cfg)
    import jax

    with jax.enable_x64(cfg.dtype == "float64"):
        return _run(cfg, on_step)


def _run(cfg: RunConfig, on_step: Callable[[dict[str, float]], None] | None) -> Report:
    import jax
    import jax.numpy as jnp
    import torch
    from flax import nnx

    import warmup_jax
    import warmup_torch
    from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer

    t_start = time.perf_counter()
    tol = TOLERANCES[cfg.dtype]
    torch.set_num_threads(1)
    ds = data_mod.load(cfg.data)
    n_in = int(np.prod(ds.x.shape[1:]))
    batches = data_mod.batch_indices(len(ds.x), cfg.batch_size, cfg.steps, cfg.seed)
    steps_per_epoch = max(1, len(ds.x) // cfg.batch_size)
    tdt = torch.float64 if cfg.dtype == "float64" else torch.float32
    x_all = ds.x.astype(cfg.dtype)
    y_all = ds.y if ds.task == "classification" else ds.y.astype(cfg.dtype)

    # --- the two models, same weights --------------------------------------------
    fmodel = models.build_flax(cfg.model, n_in, ds.n_out, cfg.dtype, cfg.seed, cfg.hidden)
    tmodel = models.build_torch(cfg.model, models.flax_weights(fmodel), cfg.dtype)
    jloss, tloss = models.losses(ds.task)

    # --- the two optimizers, one description -------------------------------------
    base = warmup_jax.from_config(cfg.schedule)
    if cfg.stepping == "epoch":
        def schedule(count):  # the schedule's step is the epoch index
            return base(count // steps_per_epoch)
    else:
        schedule = base
    ospec = optimizer_from_config(cfg.optimizer)
    optimizer = nnx.Optimizer(fmodel, optax_transform(ospec, schedule), wrt=nnx.Param)
    topt, tsched = torch_optimizer(ospec, tmodel.parameters(), cfg.schedule)

    graphdef, state = nnx.split((fmodel, optimizer))

    @jax.jit
    def jax_step(state, x, y):
        model, opt = nnx.merge(graphdef, state)
        lr = schedule(opt.step[...])
        loss, grads = nnx.value_and_grad(lambda m: jloss(m(x), y))(model)
        opt.update(model, grads)
        params = models.to_torch_layout(nnx.state(model, nnx.Param))
        return nnx.state((model, opt)), loss, lr, params

    # --- step 0: loss and gradients before any update ----------------------------
    x0, y0 = x_all[batches[0]], y_all[batches[0]]
    loss0_j, grads0 = nnx.value_and_grad(lambda m: jloss(m(jnp.asarray(x0)), jnp.asarray(y0)))(fmodel)
    g_j = {k: np.asarray(v) for k, v in models.to_torch_layout(grads0).items()}
    out0 = tmodel(torch.as_tensor(x0, dtype=tdt))
    loss0_t = tloss(out0, torch.as_tensor(y0))
    tmodel.zero_grad()
    loss0_t.backward()
    g_t = {k: p.grad.detach().numpy().copy() for k, p in tmodel.named_parameters()}
    tmodel.zero_grad()
    step0_loss = abs(float(loss0_j) - loss0_t.item()) / max(abs(loss0_t.item()), 1e-300)
    _, step0_grad = _norm_rel(g_j, g_t)

    # --- training ----------------------------------------------------------------
    report = Report(config={**cfg.to_dict(), "optimizer_resolved": ospec.describe()
                            if hasattr(ospec, "describe") else dict(cfg.optimizer)})
    worst_lr = 0.0
    for k, idx in enumerate(batches):
        x, y = x_all[idx], y_all[idx]
        # torch: the lr in effect at the k-th optimizer.step()
        if cfg.lr_driver == "adjust_learning_rate" and k % steps_per_epoch == 0:
            warmup_torch.adjust_learning_rate(topt, k // steps_per_epoch, cfg.schedule["warmup_steps"],
                                              cfg.schedule["max_lr"])
        lr_t = float(topt.param_groups[0]["lr"])
        topt.zero_grad()
        loss_t = tloss(tmodel(torch.as_tensor(x, dtype=tdt)), torch.as_tensor(y))
        loss_t.backward()
        topt.step()
        if cfg.lr_driver == "scheduler" and (cfg.stepping == "step" or (k + 1) % steps_per_epoch == 0):
            tsched.step()
        # jax
        state, loss_j, lr_j, params = jax_step(state, jnp.asarray(x), jnp.asarray(y))
        params = jax.device_get(params)
        max_abs, rel = _norm_rel(params, models.torch_weights(tmodel))
        lr_j = float(lr_j)
        if lr_t != 0.0 or lr_j != 0.0:
            worst_lr = max(worst_lr, abs(lr_j - lr_t) / max(abs(lr_t), 1e-300))
        rec = {"step": k, "lr_jax": lr_j, "lr_torch": lr_t, "loss_jax": float(loss_j),
               "loss_torch": loss_t.item(), "param_max_abs_diff": max_abs, "param_rel_diff": rel}
        report.steps.append(rec)
        if on_step is not None:
            on_step(rec)

    worst_rel = max(r["param_rel_diff"] for r in report.steps)
    checks = {
        "step0_loss_rel_diff": (step0_loss, tol["step0"]),
        "step0_grad_rel_diff": (step0_grad, tol["step0"]),
        "lr_max_rel_diff": (worst_lr, tol["lr"]),
        "param_max_rel_diff": (worst_rel, tol["params"]),
    }
    report.summary = {
        **{name: value for name, (value, _) in checks.items()},
        "param_max_abs_diff": max(r["param_max_abs_diff"] for r in report.steps),
        "tolerances": {name: t for name, (_, t) in checks.items()},
        "failed": [name for name, (value, t) in checks.items() if not value <= t],
        "approximate_mapping": bool(getattr(ospec, "approximate", False)),
        "final_loss_jax": report.steps[-1]["loss_jax"],
        "final_loss_torch": report.steps[-1]["loss_torch"],
        "elapsed_s": round(time.perf_counter() - t_start, 3),
    }
    report.summary["passed"] = not report.summary["failed"]
    return report
