"""``warmup-parity experiment warmup``: what warmup does to Adam on a post-LN Transformer,
measured in both frameworks.

The claim our subject rests on is that warmup stabilises early training, above all with
Adam and post-LN Transformers (Xiong et al. 2020; Liu et al. 2020). This trains the built-in
post-LN Transformer (:mod:`warmup_parity.transformer`) on the character-level help text of
the standard library (:func:`warmup_parity.data.text`) with Adam, for every peak lr of a
grid and four schedules, each in JAX and in torch from the same weights and batches
(:func:`warmup_parity.engine.train_pair`):

- ``none``: the peak lr from step 0 (``warmup_constant``, ``warmup_steps=0``);
- ``linear``: a linear warmup over ``warmup_steps``, then the peak (``warmup_constant``);
- ``noam``: the Transformer schedule, its peak (at step ``warmup_steps - 1``) set to the
  peak lr (``scale = peak * sqrt(d_model * warmup_steps)``), inverse-sqrt decay after;
- ``legacy_noam``: the widely copied ``adjust_learning_rate`` snippet with ``max_lr`` the
  peak lr; it really peaks at ``max_lr * warmup_steps**-0.25`` (a third of it for 60 steps).

Per point it records both frameworks' loss curves, the final loss (the mean of the last
``tail`` training losses, all of them in a shorter run) and how far apart the two runs'
parameters came. The figure shows the final loss against the peak lr per schedule, the loss
curves at the largest lr, and the JAX-vs-torch parameter difference at every point.

Example:
    >>> exp = WarmupExperiment(peak_lrs=(1e-3,), schedules=("linear",), steps=4, warmup_steps=2, d_model=8,
    ...                        n_heads=2, n_layers=1, seq_len=8, batch_size=2, tail=2)
    >>> exp.schedule_config("noam", 1e-3)["scale"] == 1e-3 * (8 * 2) ** 0.5
    True
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PEAK_LRS", "SCHEDULES", "WarmupExperiment", "plot_warmup", "run_warmup", "summary_lines"]

PEAK_LRS = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
"""The default grid of peak learning rates."""


def _templates() -> dict[str, dict[str, Any]]:
    """The schedules compared (``warmup_parity/recipes/warmup_experiment.toml``), by the names
    the figure and the JSON use, each a config with ``"{peak}"``-style placeholders."""
    from importlib import resources

    from warmup_spec import load_config

    with resources.as_file(resources.files("warmup_parity.recipes") / "warmup_experiment.toml") as path:
        return load_config(path)


TEMPLATES = _templates()
SCHEDULES = tuple(TEMPLATES)
"""The schedules compared: ``none``, ``linear`` (warmup), the Transformer schedule and the copied snippet."""


@dataclass(frozen=True)
class WarmupExperiment:
    """The grid and the model. Defaults: 5 peak lrs x 4 schedules x 300 Adam steps of a
    2-layer, 64-wide post-LN Transformer on batches of 16 sequences of 32 characters, float32."""

    peak_lrs: tuple[float, ...] = PEAK_LRS
    schedules: tuple[str, ...] = SCHEDULES
    steps: int = 300
    warmup_steps: int = 60
    batch_size: int = 16
    seq_len: int = 32
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    dtype: str = "float32"
    seed: int = 0
    tail: int = 20

    def __post_init__(self) -> None:
        for name in ("steps", "warmup_steps", "batch_size", "seq_len", "d_model", "n_heads", "n_layers", "tail"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"experiment: {name}={v!r} is invalid; expected an integer >= 1")
        if self.warmup_steps >= self.steps:
            raise ValueError(f"experiment: warmup_steps={self.warmup_steps} is invalid; expected an integer < steps "
                             f"({self.steps})")
        if not self.peak_lrs or any(isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p)
                                    or p <= 0 for p in self.peak_lrs):
            raise ValueError(f"experiment: peak_lrs={self.peak_lrs!r} is invalid; expected finite numbers > 0")
        unknown = [s for s in self.schedules if s not in SCHEDULES]
        if not self.schedules or unknown:
            raise ValueError(f"experiment: schedules={self.schedules!r} is invalid; expected some of "
                             f"{', '.join(map(repr, SCHEDULES))}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"experiment: dtype={self.dtype!r} is invalid; expected 'float32' or 'float64'")
        if self.d_model % self.n_heads:
            raise ValueError(f"experiment: d_model={self.d_model} is invalid; expected a multiple of n_heads "
                             f"({self.n_heads})")

    def schedule_config(self, name: str, peak: float) -> dict[str, Any]:
        """The schedule config of ``name`` at nominal peak lr ``peak`` (its template filled in)."""
        if name not in TEMPLATES:
            raise ValueError(f"experiment: schedule={name!r} is invalid; expected one of "
                             f"{', '.join(map(repr, SCHEDULES))}")
        w = self.warmup_steps
        values = {"{peak}": peak, "{w}": w, "{d_model}": self.d_model,
                  "{noam_scale}": peak * math.sqrt(self.d_model * w)}
        return {k: values.get(v, v) if isinstance(v, str) else v for k, v in TEMPLATES[name].items()}


def _verdict(report: Any) -> str:
    """``agree``; ``chaotic from step k`` (only the parameters parted, after update k > 0, the
    step-0 forward, loss, gradients and update having agreed); or the divergence's kind."""
    d = report.first_divergence
    if d is None and report.passed:
        return "agree"
    if d is not None and d.kind == "parameters" and d.step > 0:
        return f"chaotic from step {d.step}"
    return f"mismatch: {d}" if d is not None else "mismatch: " + ", ".join(report.summary.get("failed", []))


def run_warmup(exp: WarmupExperiment, on_step: Callable[[dict[str, float]], None] | None = None,
               on_run: Callable[[str, float], None] | None = None) -> dict[str, Any]:
    """Trains the whole grid; returns the JSON-ready result (see the module docstring).

    ``on_step`` is called after every training step of every run (a progress bar), ``on_run``
    with ``(schedule, peak)`` before each run.
    """
    import jax
    import jax.numpy as jnp
    import torch
    from flax import nnx

    import warmup_jax
    from warmup_parity.data import batch_indices, text
    from warmup_parity.engine import TorchLR, loss_pair, prepare, train_pair
    from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer
    from warmup_parity.transformer import FlaxTransformer, TorchTransformer, TransformerConfig

    torch.set_num_threads(1)
    ds = text(exp.seq_len)
    idx = batch_indices(len(ds.x), exp.batch_size, exp.steps, exp.seed)
    batches = [(ds.x[i], ds.y[i]) for i in idx]
    cfg = TransformerConfig(vocab_size=ds.n_out, seq_len=exp.seq_len, d_model=exp.d_model, n_heads=exp.n_heads,
                            n_layers=exp.n_layers, norm="post")
    spec = optimizer_from_config({"name": "adam"})
    points = []
    for name in exp.schedules:
        for peak in exp.peak_lrs:
            if on_run is not None:
                on_run(name, peak)
            sched = exp.schedule_config(name, float(peak))
            with jax.enable_x64(exp.dtype == "float64"):
                jdt = jnp.float64 if exp.dtype == "float64" else jnp.float32
                flax_model = FlaxTransformer(cfg, rngs=nnx.Rngs(exp.seed), dtype=jdt)
                torch_model = TorchTransformer(cfg)
                wmap = prepare(flax_model, torch_model, exp.dtype, True)
                schedule = warmup_jax.schedule_from_config(sched)
                topt, tsched = torch_optimizer(spec, torch_model.parameters(), sched)
                report = train_pair(flax_model, torch_model, wmap, batches, losses=loss_pair("cross_entropy"),
                                    tx=optax_transform(spec, schedule, dtype=jdt), schedule=schedule, torch_opt=topt,
                                    torch_lr=TorchLR.scheduler(tsched), dtype=exp.dtype,
                                    config={"schedule": sched}, on_step=on_step)
            loss_j = [r["loss_jax"] for r in report.steps]
            loss_t = [r["loss_torch"] for r in report.steps]
            final_j, final_t = float(np.mean(loss_j[-exp.tail:])), float(np.mean(loss_t[-exp.tail:]))
            points.append({
                "schedule": name, "peak_lr": float(peak), "config": sched,
                "final_loss_jax": final_j, "final_loss_torch": final_t,
                "final_loss_rel_diff": abs(final_j - final_t) / max(abs(final_t), 1e-300),
                "max_lr": max(r["lr_torch"] for r in report.steps),
                "param_max_rel_diff": report.summary["param_max_rel_diff"],
                "step0_grad_rel_diff": report.summary["step0_grad_rel_diff"],
                "lr_max_rel_diff": report.summary["lr_max_rel_diff"],
                "verdict": _verdict(report), "passed": report.passed,
                "first_divergence": report.summary["first_divergence"],
                "diverged": not (math.isfinite(final_j) and final_j < loss_j[0]),
                "loss_jax": loss_j, "loss_torch": loss_t, "lr": [r["lr_torch"] for r in report.steps],
                "param_rel_diff": [r["param_rel_diff"] for r in report.steps],
            })
    mismatches = [p for p in points if p["verdict"].startswith("mismatch")]
    return {
        "experiment": "warmup",
        "config": {**asdict(exp), "model": "post-LN transformer", "optimizer": spec.to_config(),
                   "data": f"pydoc_data.topics, character-level, vocabulary {ds.n_out}",
                   "final_loss": f"mean of the last {exp.tail} training losses"},
        "points": points,
        "summary": {
            "points": len(points), "agree": sum(p["verdict"] == "agree" for p in points),
            "chaotic": sum(p["verdict"].startswith("chaotic") for p in points), "mismatches": len(mismatches),
            "max_param_rel_diff": max(p["param_max_rel_diff"] for p in points),
            "max_final_loss_rel_diff": max(p["final_loss_rel_diff"] for p in points),
            "best": min(points, key=lambda p: p["final_loss_torch"] if math.isfinite(p["final_loss_torch"])
                        else math.inf)["schedule"],
        },
    }


def summary_lines(result: Mapping[str, Any]) -> list[str]:
    """The grid as text: final loss (JAX / torch) per schedule and peak lr, then each point's
    largest parameter difference and verdict."""
    points = result["points"]
    peaks = sorted({p["peak_lr"] for p in points})
    names = list(dict.fromkeys(p["schedule"] for p in points))
    at = {(p["schedule"], p["peak_lr"]): p for p in points}
    lines = ["final loss (JAX / torch), mean of the last steps:",
             f"{'schedule':12s}" + "".join(f"{'peak ' + format(pk, 'g'):>22s}" for pk in peaks)]
    for name in names:
        cells = [f"{at[name, pk]['final_loss_jax']:.4f} / {at[name, pk]['final_loss_torch']:.4f}" for pk in peaks]
        lines.append(f"{name:12s}" + "".join(f"{c:>22s}" for c in cells))
    lines.append("JAX vs torch, largest parameter difference (norm-relative) and verdict:")
    for p in points:
        lines.append(f"  {p['schedule']:12s} peak {p['peak_lr']:<8g} {p['param_max_rel_diff']:9.2e}  {p['verdict']}")
    s = result["summary"]
    lines.append(f"{s['agree']} of {s['points']} points agree within tolerance, {s['chaotic']} chaotic, "
                 f"{s['mismatches']} mismatched")
    return lines


def plot_warmup(result: Mapping[str, Any], out_path: str | os.PathLike[str]) -> Path:
    """Three panels: final loss vs peak lr per schedule (JAX solid, torch dashed), the loss
    curves at the largest peak lr, and the JAX-vs-torch parameter difference at every point."""
    from warmup_parity import plot as plot_mod  # matplotlib with the Agg backend
    from warmup_parity.report import TOLERANCES

    plt = plot_mod.plt
    plot_mod._check_format(out_path)
    points: Sequence[Mapping[str, Any]] = result["points"]
    names = list(dict.fromkeys(p["schedule"] for p in points))
    top = max(p["peak_lr"] for p in points)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    cfg = result["config"]
    fig, (ax_final, ax_curve, ax_diff) = plt.subplots(1, 3, figsize=(16.0, 5.2))
    fig.suptitle(f"Warmup with Adam on a post-LN Transformer ({cfg['n_layers']} layers, d_model {cfg['d_model']}, "
                 f"{cfg['steps']} steps, warmup {cfg['warmup_steps']}, {cfg['dtype']}): JAX solid, torch dashed",
                 fontsize=10)
    for k, name in enumerate(names):
        mine = sorted((p for p in points if p["schedule"] == name), key=lambda p: p["peak_lr"])
        c = colors[k % len(colors)]
        peaks = [p["peak_lr"] for p in mine]
        ax_final.plot(peaks, [p["final_loss_jax"] for p in mine], "o-", color=c, lw=2.2, alpha=0.6, label=f"{name}")
        ax_final.plot(peaks, [p["final_loss_torch"] for p in mine], "x--", color=c, lw=1.2)
        ax_diff.plot(peaks, [max(p["param_max_rel_diff"], 1e-17) for p in mine], "o-", color=c, label=name)
        curve = next(p for p in mine if p["peak_lr"] == top) if top in peaks else None
        if curve is not None:
            steps = np.arange(len(curve["loss_jax"]))
            ax_curve.plot(steps, curve["loss_jax"], color=c, lw=2.2, alpha=0.6, label=f"{name} JAX")
            ax_curve.plot(steps, curve["loss_torch"], color=c, lw=1.0, ls="--", label=f"{name} torch")
    ax_diff.axhline(TOLERANCES[cfg["dtype"]]["params"], color="grey", ls=":", label="tolerance")
    ax_final.set_xscale("log")
    ax_final.set_xlabel("peak learning rate")
    ax_final.set_ylabel(f"final training loss (mean of the last {cfg['tail']} steps)")
    ax_final.set_title("final loss vs peak lr")
    ax_curve.set_xlabel("step")
    ax_curve.set_ylabel("training loss")
    ax_curve.set_title(f"loss curves at peak lr {top:g}")
    ax_diff.set_xscale("log")
    ax_diff.set_yscale("log")
    ax_diff.set_xlabel("peak learning rate")
    ax_diff.set_ylabel("max over steps of ||JAX - torch|| / ||torch|| (parameters)")
    ax_diff.set_title("JAX vs torch at every point")
    for ax in (ax_final, ax_curve, ax_diff):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return plot_mod._save(fig, out_path)
