"""Plots: schedules in JAX vs torch, and training-parity reports (PNG, PDF or SVG, by the
file's extension).

matplotlib with the Agg backend (no display), numpy; nothing else. A log axis cannot
show 0: exact zeros are drawn at a floor (a tenth of the smallest positive value shown,
or ``1e-16``), and the axis label says at which value.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from warmup_spec.display import DPI, png, schedule_figure, short_label  # noqa: E402

__all__ = ["DPI", "FORMATS", "SCHEDULES_FIGSIZE", "TRAINING_FIGSIZE", "figure", "plot_schedules", "plot_training",
           "png", "training_figure"]

FORMATS = (".png", ".pdf", ".svg")
"""The image formats written, chosen by the output's extension."""

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


def _jax_curve(cfg: Mapping[str, Any], steps: np.ndarray) -> np.ndarray:
    import jax
    import jax.numpy as jnp

    import warmup_jax

    f = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))
    with warnings.catch_warnings():  # the lr alone is plotted: a momentum it cycles is not dropped here
        warnings.simplefilter("ignore", warmup_jax.CycledMomentumWarning)
        return np.asarray(f(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)


def _torch_curve(cfg: Mapping[str, Any], steps: np.ndarray) -> np.ndarray:
    import warmup_torch

    f = warmup_torch.schedule_from_config(cfg)
    return np.fromiter((f(int(t)) for t in steps), dtype=np.float64, count=len(steps))


def _check_format(out_path: str | os.PathLike[str]) -> Path:
    path = Path(out_path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"plot: {path}: unknown format {path.suffix or '(none)'!r}; expected one of "
                         + ", ".join(FORMATS))
    return path


def _save(fig: Any, out_path: str | os.PathLike[str]) -> Path:
    path = _check_format(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format=path.suffix.lower()[1:])
    plt.close(fig)
    return path


def _zero_note(floor: float) -> str:
    return f"(log scale: exact zeros drawn at {floor:.0e})"


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
    from warmup_spec.horizon import default_horizon

    cfgs = list(cfgs)
    _check_format(out_path)
    if not cfgs:
        raise ValueError("plot_schedules: cfgs is empty; expected at least one config")
    if labels is not None and len(labels) != len(cfgs):
        raise ValueError(f"plot_schedules: {len(labels)} labels for {len(cfgs)} configs")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValueError(f"plot_schedules: steps={steps!r} is invalid; expected an integer >= 1")
    last = int(steps) if steps is not None else max(default_horizon(c) for c in cfgs)
    x = np.arange(last + 1)
    curves = []
    for k, cfg in enumerate(cfgs):
        j, t = _jax_curve(cfg, x), _torch_curve(cfg, x)
        peak = float(np.max(np.abs(t))) or 1.0
        label = labels[k] if labels is not None else short_label(cfg)
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
    ax_lr.set_title("Learning-rate schedules: JAX float32 (solid) vs PyTorch float64 (dashed)")
    if log_lr:
        ax_lr.set_yscale("log")
        ax_lr.set_ylabel(f"learning rate\n{_zero_note(lr_floor)}")
    else:
        ax_lr.set_ylabel("learning rate")
    ax_lr.grid(alpha=0.3)
    ax_lr.legend(fontsize=8, loc="best")
    ax_d.set_yscale("log")
    ax_d.set_xlabel("step")
    ax_d.set_ylabel(f"|JAX - torch| / peak\n{_zero_note(floor)}")
    ax_d.grid(alpha=0.3, which="both")
    if len(curves) > 1:
        ax_d.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _save(fig, out_path)


def _column(records: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    return np.asarray([float(r[key]) for r in records], dtype=np.float64)


def _run_title(report: Mapping[str, Any]) -> str:
    """``title [dtype]: schedule, optimizer: PASS (param diff x <= tol)``."""
    cfg = report.get("config", {})
    summary = report.get("summary", {})
    schedule = cfg.get("schedule", {})
    name = schedule.get("schedule", "?") if isinstance(schedule, Mapping) else str(schedule)
    opt = cfg.get("optimizer", {})
    opt_name = opt.get("name", "?") if isinstance(opt, Mapping) else str(opt)
    head = f"{report.get('title') or 'run'} [{cfg.get('dtype', '?')}]: {name}, {opt_name}"
    if "passed" not in summary:
        return head
    diff = summary.get("param_max_rel_diff")
    tol = summary.get("tolerances", {}).get("param_max_rel_diff")
    detail = f" (param diff {diff:.1e} <= {tol:.0e})" if diff is not None and tol is not None and summary["passed"] \
        else (f" (param diff {diff:.1e} > {tol:.0e})" if diff is not None and tol is not None else "")
    return head + (": PASS" if summary["passed"] else ": FAIL") + detail


def _tag(report: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> str:
    """A run's legend prefix: its dtype when the runs differ only by it, else its title too."""
    if len(runs) == 1:
        return ""
    dtype = f"[{report.get('config', {}).get('dtype', '?')}]"
    if len({r.get("title") for r in runs}) == 1:
        return dtype
    return f"{report.get('title') or 'run'} {dtype}"


def plot_training(reports: Mapping[str, Any] | Sequence[Mapping[str, Any]], out_path: str | os.PathLike[str]) -> Path:
    """A 3-panel figure of one or several training-parity runs (:func:`training_figure`), written to a file.

    Args:
        reports: a run's ``Report.to_json()``, or a list of them.
        out_path: the image to write (``.png``, ``.pdf`` or ``.svg``; parent folders are created).

    Returns:
        ``Path(out_path)``.
    """
    _check_format(out_path)
    return _save(training_figure(reports), out_path)


def training_figure(reports: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Figure:
    """A 3-panel figure of one or several training-parity runs: lr, loss, parameter difference.

    Each run has a colour: its JAX curve solid, its torch curve dashed; the title has one
    line per run with its schedule, optimizer, dtype and verdict.

    Args:
        reports: a run's ``Report.to_json()`` (``{"title", "config", "summary", "steps":
            [{"step", "lr_jax", "lr_torch", "loss_jax", "loss_torch", "param_max_abs_diff",
            "param_rel_diff"}, ...]}``), or a list of them.

    Returns:
        A matplotlib ``Figure`` (not registered with pyplot: a notebook shows it once).
    """
    runs = [reports] if isinstance(reports, Mapping) else list(reports)
    if not runs or any(not r.get("steps") for r in runs):
        raise ValueError("plot_training: a report has no steps")
    fig = Figure(figsize=TRAINING_FIGSIZE)
    ax_lr, ax_loss, ax_d = fig.subplots(3, 1, sharex=True)
    fig.suptitle("\n".join(_run_title(r) for r in runs), fontsize=10)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    floors, all_losses = [], []
    for k, report in enumerate(runs):
        records = list(report["steps"])
        c = colors[k % len(colors)]
        tag = _tag(report, runs)
        step = _column(records, "step")
        loss_j, loss_t = _column(records, "loss_jax"), _column(records, "loss_torch")
        all_losses += [loss_j, loss_t]
        ax_lr.plot(step, _column(records, "lr_jax"), color=c, lw=2.2, alpha=0.6, label=f"{tag} JAX".strip())
        ax_lr.plot(step, _column(records, "lr_torch"), color=c, lw=1.2, ls="--", label=f"{tag} torch".strip())
        ax_loss.plot(step, loss_j, color=c, lw=2.2, alpha=0.6, label=f"{tag} JAX".strip())
        ax_loss.plot(step, loss_t, color=c, lw=1.2, ls="--", label=f"{tag} torch".strip())
        d_abs, d_rel = _column(records, "param_max_abs_diff"), _column(records, "param_rel_diff")
        floors.append((step, d_abs, d_rel, c, tag))
    floor = _floor(*[a for _, a, _, _, _ in floors], *[r for _, _, r, _, _ in floors])
    for step, d_abs, d_rel, c, tag in floors:
        ax_d.plot(step, np.maximum(d_abs, floor), color=c, lw=1.2, label=f"{tag} max |JAX - torch|".strip())
        ax_d.plot(step, np.maximum(d_rel, floor), color=c, lw=1.2, ls=":",
                  label=f"{tag} ||JAX - torch|| / ||torch||".strip())
    ax_lr.set_ylabel("learning rate")
    losses = np.concatenate(all_losses)
    if np.all(losses > 0) and np.all(np.isfinite(losses)) and losses.max() > 100 * losses.min():
        ax_loss.set_yscale("log")
    ax_loss.set_ylabel("loss")
    ax_d.set_yscale("log")
    ax_d.set_ylabel(f"parameter difference\n{_zero_note(floor)}")
    ax_d.set_xlabel("step")
    for ax in (ax_lr, ax_loss, ax_d):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebooks



def _is_report(item: Any) -> bool:
    return hasattr(item, "to_json") and hasattr(item, "first_divergence") or (
        isinstance(item, Mapping) and isinstance(item.get("steps"), list))


def figure(*items: Any, steps: int | range | None = None, labels: Sequence[str] | None = None,
           log: bool = False) -> Figure:
    """A matplotlib ``Figure`` for a notebook: one or more schedules, or one or more parity reports.

    Args:
        *items: schedules (configs, specs, ``warmup_spec.Schedule``, ``warmup_jax``/``warmup_keras``
            schedules, ``warmup_torch.ScheduleLR``), each drawn as its float64 lr per step; or
            reports (``compare``'s ``Report`` or its JSON), drawn as :func:`training_figure`.
        steps: the step range of schedules: ``N`` for steps ``0..N``, or a ``range``;
            default the longest default horizon (the end plus 10%).
        labels: one legend label per schedule; default the name and main parameters.
        log: a logarithmic lr axis.

    Returns:
        The ``Figure`` (not registered with pyplot: a notebook shows it once; ``fig.savefig``
        writes it).

    Example:
        >>> fig = figure({"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 10,
        ...               "total_steps": 100}, steps=120)
        >>> [int(line.get_xdata()[-1]) for line in fig.axes[0].lines]
        [120]
    """
    if not items:
        raise ValueError("figure: nothing to draw; expected schedules or reports")
    reports = [_is_report(i) for i in items]
    if all(reports):
        return training_figure([i.to_json() if hasattr(i, "to_json") else i for i in items])
    if any(reports):
        raise ValueError("figure: schedules and reports together; expected one kind")
    return schedule_figure(*items, steps=steps, labels=labels, log=log)
