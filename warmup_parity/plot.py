"""PNG plots: schedules in JAX vs torch, and a training-parity report.

matplotlib with the Agg backend (no display), numpy; nothing else. Log axes draw an
exact 0 at a floor (a tenth of the smallest positive value shown, or ``1e-16``), and
the axis label says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["DPI", "SCHEDULES_FIGSIZE", "TRAINING_FIGSIZE", "plot_schedules", "plot_training"]

DPI = 100
SCHEDULES_FIGSIZE = (10.0, 7.0)
"""inches; at ``DPI`` the schedules PNG is 1000 x 700 pixels."""
TRAINING_FIGSIZE = (10.0, 10.0)
"""inches; at ``DPI`` the training PNG is 1000 x 1000 pixels."""
DEFAULT_FLOOR = 1e-16
LOG_LR_RATIO = 20.0
"""The lr panel of :func:`plot_schedules` is logarithmic when the configs' peaks differ
by more than this factor (so that a small schedule is not drawn as a flat line)."""


def _floor(*arrays: np.ndarray) -> float:
    """A tenth of the smallest positive finite value in ``arrays`` (``DEFAULT_FLOOR`` if none)."""
    pos = [a[(a > 0) & np.isfinite(a)] for a in arrays]
    pos = [p for p in pos if p.size]
    return float(min(p.min() for p in pos)) / 10 if pos else DEFAULT_FLOOR


def _short_label(cfg: Mapping[str, Any]) -> str:
    keys = ("warmup_steps", "total_steps", "peak_value", "max_lr")
    parts = [f"{k.split('_')[0]}={cfg[k]:g}" for k in keys if isinstance(cfg.get(k), (int, float))]
    return f"{cfg.get('schedule', '?')}" + (f" ({', '.join(parts)})" if parts else "")


def _jax_curve(cfg: Mapping[str, Any], steps: np.ndarray) -> np.ndarray:
    import jax
    import jax.numpy as jnp

    import warmup_jax

    f = jax.jit(jax.vmap(warmup_jax.from_config(cfg)))
    return np.asarray(f(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)


def _torch_curve(cfg: Mapping[str, Any], steps: np.ndarray) -> np.ndarray:
    import warmup_torch

    f = warmup_torch.schedule_from_config(cfg)
    return np.fromiter((f(int(t)) for t in steps), dtype=np.float64, count=len(steps))


def _save(fig: Any, out_path: str | os.PathLike[str]) -> Path:
    path = Path(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png")
    plt.close(fig)
    return path


def plot_schedules(
    cfgs: Sequence[Mapping[str, Any]],
    out_path: str | os.PathLike[str],
    steps: int | None = None,
    labels: Sequence[str] | None = None,
) -> Path:
    """One PNG: each config's lr in JAX (float32, jit+vmap, solid) and torch (float64, dashed).

    Args:
        cfgs: schedule configs ``{"schedule": NAME, **params}``.
        out_path: the PNG to write (parent folders are created).
        steps: plot steps ``0..steps``; default the largest
            :func:`~warmup_parity.inspect_schedule.default_horizon` of the configs.
        labels: one legend label per config; default the name and main parameters.

    Returns:
        ``Path(out_path)``. Top panel: the lr curves (log scale when the peaks differ
        by more than ``LOG_LR_RATIO``); bottom: ``|JAX - torch| / peak`` on a log scale
        (exact zeros at a floor).
    """
    from warmup_parity.inspect_schedule import default_horizon

    cfgs = list(cfgs)
    if not cfgs:
        raise ValueError("plot_schedules: cfgs is empty; expected at least one config")
    if labels is not None and len(labels) != len(cfgs):
        raise ValueError(f"plot_schedules: {len(labels)} labels for {len(cfgs)} configs")
    last = int(steps) if steps is not None else max(default_horizon(c) for c in cfgs)
    x = np.arange(last + 1)
    curves = []
    for k, cfg in enumerate(cfgs):
        j, t = _jax_curve(cfg, x), _torch_curve(cfg, x)
        peak = float(np.max(np.abs(t))) or 1.0
        label = labels[k] if labels is not None else _short_label(cfg)
        curves.append((label, j, t, np.abs(j - t) / peak))
    floor = _floor(*(c[3] for c in curves))
    peaks = [float(np.max(np.abs(c[2]))) for c in curves]
    log_lr = min(peaks) > 0 and max(peaks) > LOG_LR_RATIO * min(peaks)
    lr_floor = max(_floor(*(c[2] for c in curves)), 1e-4 * min(peaks)) if log_lr else 0.0

    fig, (ax_lr, ax_d) = plt.subplots(
        2, 1, figsize=SCHEDULES_FIGSIZE, sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (label, j, t, d) in enumerate(curves):
        c = colors[k % len(colors)]
        jv, tv = (np.maximum(j, lr_floor), np.maximum(t, lr_floor)) if log_lr else (j, t)
        ax_lr.plot(x, jv, color=c, lw=2.2, alpha=0.6, label=f"{label} - JAX f32")
        ax_lr.plot(x, tv, color=c, lw=1.2, ls="--", label=f"{label} - torch f64")
        ax_d.plot(x, np.maximum(d, floor), color=c, lw=1.0, label=label)
    ax_lr.set_title("Learning-rate schedules: JAX (solid) vs PyTorch (dashed)")
    if log_lr:
        ax_lr.set_yscale("log")
        ax_lr.set_ylabel(f"learning rate (log)\n(0 drawn at {lr_floor:.0e})")
    else:
        ax_lr.set_ylabel("learning rate")
    ax_lr.grid(alpha=0.3)
    ax_lr.legend(fontsize=8, loc="best")
    ax_d.set_yscale("log")
    ax_d.set_xlabel("step")
    ax_d.set_ylabel(f"|JAX - torch| / peak\n(0 drawn at {floor:.0e})")
    ax_d.grid(alpha=0.3, which="both")
    if len(curves) > 1:
        ax_d.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _save(fig, out_path)


def _column(records: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    return np.asarray([float(r[key]) for r in records], dtype=np.float64)


def plot_training(report: Mapping[str, Any], out_path: str | os.PathLike[str]) -> Path:
    """A 3-panel PNG of a training-parity report: lr, loss, parameter difference.

    Args:
        report: ``{"title": str, "steps": [{"step", "lr_jax", "lr_torch", "loss_jax",
            "loss_torch", "param_max_abs_diff", "param_rel_diff"}, ...]}``.
        out_path: the PNG to write (parent folders are created).

    Returns:
        ``Path(out_path)``.
    """
    records = list(report["steps"])
    if not records:
        raise ValueError("plot_training: report['steps'] is empty")
    step = _column(records, "step")
    lr_j, lr_t = _column(records, "lr_jax"), _column(records, "lr_torch")
    loss_j, loss_t = _column(records, "loss_jax"), _column(records, "loss_torch")
    d_abs = _column(records, "param_max_abs_diff")
    d_rel = _column(records, "param_rel_diff")

    fig, (ax_lr, ax_loss, ax_d) = plt.subplots(3, 1, figsize=TRAINING_FIGSIZE, sharex=True)
    fig.suptitle(str(report.get("title", "training parity")))
    ax_lr.plot(step, lr_j, lw=2.2, alpha=0.6, label="JAX")
    ax_lr.plot(step, lr_t, lw=1.2, ls="--", label="torch")
    ax_lr.set_ylabel("learning rate")
    ax_lr.legend(fontsize=8)
    ax_loss.plot(step, loss_j, lw=2.2, alpha=0.6, label="JAX")
    ax_loss.plot(step, loss_t, lw=1.2, ls="--", label="torch")
    losses = np.concatenate([loss_j, loss_t])
    if np.all(losses > 0) and np.all(np.isfinite(losses)) and losses.max() > 100 * losses.min():
        ax_loss.set_yscale("log")
    ax_loss.set_ylabel("loss")
    ax_loss.legend(fontsize=8)
    floor = _floor(d_abs, d_rel)
    ax_d.plot(step, np.maximum(d_abs, floor), lw=1.2, label="max |JAX - torch|")
    ax_d.plot(step, np.maximum(d_rel, floor), lw=1.2, label="||JAX - torch|| / ||torch||")
    ax_d.set_yscale("log")
    ax_d.set_ylabel(f"parameter difference\n(0 drawn at {floor:.0e})")
    ax_d.set_xlabel("step")
    ax_d.legend(fontsize=8)
    for ax in (ax_lr, ax_loss, ax_d):
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _save(fig, out_path)
