"""``warmup-parity experiment NAME``: the field's warmup results, each trained in JAX and in torch.

Every experiment is one record of :data:`EXPERIMENTS`: the arms it compares and the points
(arm, x) it trains, each a schedule config and an optimizer config. One runner
(:func:`run_experiment`) trains every point on the built-in post-LN Transformer
(:mod:`warmup_parity.transformer`) over the character-level help text of the standard
library (:func:`warmup_parity.data.text`), in JAX and in torch from the same weights and
batches (:func:`warmup_parity.engine.train_pair`), and gives each point a verdict:

- ``agree``: the two runs' parameters stayed within the dtype's tolerance at every step;
- ``chaos``: they parted after the step-0 forward, loss, gradients and update agreed, and
  either the torch run against itself started one ulp away parts as fast
  (:func:`warmup_parity.chaos.verdict`), or, where it does not, the same pair trained in
  float64 agrees at every step or parts more than twice as late: the frameworks compute the
  same training and the run amplifies their rounding (Adam turns the two frameworks'
  different rounding of near-zero gradients into full-size steps, which a one-ulp move of
  the weights does not);
- ``bug``: they parted at step 0, in the lr, or (parting later) far sooner than the one-ulp
  run and as soon in float64: a real difference between the frameworks.

The experiments:

- ``warmup``: peak lrs x no warmup / linear / noam / the copied ``legacy_noam`` snippet.
- ``untuned`` (Ma & Yarats 2019): Adam with no warmup, the untuned linear warmup over
  ``2 / (1 - beta2)`` steps, the untuned exponential warmup ``1 - exp(-(1 - beta2) t)``,
  and RAdam without warmup, at each peak lr.
- ``wsd`` (Hägele et al. 2024; MiniCPM): at each budget ``T``, cosine to 0 at ``T``
  against warmup-stable-decay with a linear and a ``1-sqrt`` cooldown over the last
  ``cooldown`` fraction, and the ``1-sqrt`` cooldown written as a branch of one constant
  run (``decay_from``).
- ``lr-tolerance`` (Kalra & Barkeshli 2024): target lrs x linear warmup lengths; where
  each warmup length starts to diverge (on the digits MLP: its runs are cheap enough for
  a grid up to lr 3).

Example:
    >>> opts = Options.of("wsd", quick=True)
    >>> for p in EXPERIMENTS["wsd"].points(opts):
    ...     print(p.arm, p.x, p.schedule["schedule"])
    cosine 16.0 warmup_cosine_decay
    wsd-1-sqrt 16.0 warmup_stable_decay
    branch-1-sqrt 16.0 decay_from
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["EXPERIMENTS", "Experiment", "Options", "Point", "output_stem", "plot_experiment", "run_experiment",
           "summary_lines"]


@dataclass(frozen=True)
class Point:
    """One trained pair: ``arm`` (the curve it belongs to), ``x`` (its place on the x axis:
    a peak lr, a budget), the schedule and optimizer configs, and its length in steps."""

    arm: str
    x: float
    schedule: Mapping[str, Any]
    optimizer: Mapping[str, Any]
    steps: int


@dataclass(frozen=True)
class Options:
    """An experiment's grid and model. :meth:`of` fills in the experiment's defaults.

    Attributes:
        experiment: a name of :data:`EXPERIMENTS`.
        lrs: peak (target) learning rates.
        steps: steps a run (``wsd``: at least its largest budget).
        warmups: warmup lengths (one, except for ``lr-tolerance``).
        arms: the arms compared (empty for ``lr-tolerance``, whose arms are its warmup lengths).
        budgets: ``wsd``'s training lengths.
        beta2: Adam's second-moment decay (``untuned``'s warmups are set by it; 0.999 is
            torch's and Optax's default).
        cooldown: ``wsd``'s cooldown, a fraction of the budget.
        batch_size, seq_len, d_model, n_heads, n_layers: the data and the post-LN Transformer
            (``d_model``: the MLP's hidden width).
        dtype: ``"float32"`` or ``"float64"``, both frameworks.
        seed: the weights' and the batches' seed.
        tail: the final loss is the mean of the last ``tail`` training losses.
        model: ``"transformer"`` (the post-LN Transformer on characters) or ``"mlp"`` (the
            digits MLP: its step compiles in a fraction of the time, for the quick grids).
    """

    experiment: str
    lrs: tuple[float, ...]
    steps: int
    warmups: tuple[int, ...]
    arms: tuple[str, ...] = ()
    budgets: tuple[int, ...] = ()
    beta2: float = 0.999
    cooldown: float = 0.2
    batch_size: int = 16
    seq_len: int = 32
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    dtype: str = "float32"
    seed: int = 0
    tail: int = 20
    model: str = "transformer"

    @classmethod
    def of(cls, experiment: str, quick: bool = False, **given: Any) -> Options:
        """The options of ``experiment``: its defaults (its small grid with ``quick``: a tiny
        model, a few steps), then ``given`` (``None`` values ignored)."""
        rec = _experiment(experiment)
        values = {**rec.defaults, **(rec.quick if quick else {}), **{k: v for k, v in given.items() if v is not None}}
        if "steps" not in values and values.get("budgets"):
            values["steps"] = max(values["budgets"])
        return cls(experiment, **values)

    def __post_init__(self) -> None:
        self._check(_experiment(self.experiment))

    def _check(self, rec: Experiment) -> None:
        def bad(name: str, expected: str) -> ValueError:
            return ValueError(f"experiment: {name}={getattr(self, name)!r} is invalid; expected {expected}")

        for name in ("steps", "batch_size", "seq_len", "d_model", "n_heads", "n_layers", "tail"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(name, "an integer >= 1")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise bad("seed", "an integer >= 0")
        if not self.lrs or any(isinstance(p, bool) or not isinstance(p, (int, float)) or not math.isfinite(p)
                               or p <= 0 for p in self.lrs):
            raise bad("lrs", "finite numbers > 0")
        if not self.warmups or any(isinstance(w, bool) or not isinstance(w, int) or not 0 <= w < self.steps
                                   for w in self.warmups):
            raise bad("warmups", f"integers >= 0 and < steps ({self.steps})")
        if not rec.arms and self.arms:
            raise bad("arms", f"none for {rec.name}: its arms are its warmup lengths (warmups)")
        unknown = [a for a in self.arms if a not in rec.arms]
        if rec.arms and (not self.arms or unknown):
            raise bad("arms", f"some of {', '.join(map(repr, rec.arms))}")
        if rec.name != "lr-tolerance" and len(self.warmups) != 1:
            raise bad("warmups", f"one warmup length for {rec.name}")
        if self.model not in ("transformer", "mlp"):
            raise bad("model", "'transformer' or 'mlp'")
        if self.dtype not in ("float32", "float64"):
            raise bad("dtype", "'float32' or 'float64'")
        if self.d_model % self.n_heads:
            raise bad("d_model", f"a multiple of n_heads ({self.n_heads})")
        if isinstance(self.beta2, bool) or not isinstance(self.beta2, (int, float)) or not 0 < self.beta2 < 1:
            raise bad("beta2", "a number in (0, 1)")
        if isinstance(self.cooldown, bool) or not isinstance(self.cooldown, (int, float)) or not 0 < self.cooldown < 1:
            raise bad("cooldown", "a number in (0, 1)")
        if rec.name == "wsd":
            if len(self.lrs) != 1:
                raise bad("lrs", "one peak lr for wsd (its x axis is the budget)")
            w = self.warmups[0]
            if not self.budgets or any(isinstance(t, bool) or not isinstance(t, int) or t - w - _cooldown(self, t) < 0
                                       or t > self.steps for t in self.budgets):
                raise bad("budgets", f"integers with room for the warmup ({w}) and the cooldown, <= steps "
                                     f"({self.steps})")

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


FULL: dict[str, Any] = {"d_model": 32}
"""The full grids of untuned, wsd and lr-tolerance: the post-LN Transformer 32 wide (two shared CPU cores)."""
QUICK: dict[str, Any] = {"model": "mlp", "d_model": 16, "batch_size": 16, "tail": 4}
"""The quick grids' model: the digits MLP, 16 wide, batches of 16 (its step compiles in seconds)."""


def _experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ValueError(f"experiment: experiment={name!r} is invalid; expected one of "
                         f"{', '.join(map(repr, EXPERIMENTS))}")
    return EXPERIMENTS[name]


@dataclass(frozen=True)
class Experiment:
    """One experiment: its name, what it compares (``arms``, ``x_label``), its default and
    quick options, and ``points(options)``, the pairs it trains."""

    name: str
    title: str
    arms: tuple[str, ...]
    x_label: str
    points: Callable[[Options], list[Point]]
    defaults: Mapping[str, Any]
    quick: Mapping[str, Any]
    x_log: bool = True
    curves: str = "largest"
    """The x whose loss curves the figure shows: ``"largest"``, or ``"last trained"`` (the
    largest x at which the last arm still trains)."""


def _adam(o: Options) -> dict[str, Any]:
    return {"name": "adam", "b2": o.beta2}


def _templates() -> dict[str, dict[str, Any]]:
    """The warmup experiment's schedules (``warmup_parity/recipes/warmup_experiment.toml``),
    each a config with ``"{peak}"``-style placeholders."""
    from importlib import resources

    from warmup_spec import load_config

    with resources.as_file(resources.files("warmup_parity.recipes") / "warmup_experiment.toml") as path:
        return load_config(path)


TEMPLATES = _templates()


def _warmup_points(o: Options) -> list[Point]:
    """Each schedule of :data:`TEMPLATES` at each nominal peak lr (noam's scale puts its
    peak, at step ``w - 1``, at the peak lr)."""
    w = o.warmups[0]
    out = []
    for arm in o.arms:
        for peak in o.lrs:
            values = {"{peak}": float(peak), "{w}": w, "{d_model}": o.d_model,
                      "{noam_scale}": peak * math.sqrt(o.d_model * w)}
            sched = {k: values.get(v, v) if isinstance(v, str) else v for k, v in TEMPLATES[arm].items()}
            out.append(Point(arm, float(peak), sched, _adam(o), o.steps))
    return out


def _untuned_points(o: Options) -> list[Point]:
    """Adam at each peak lr with no warmup, the untuned linear and exponential warmups of
    ``beta2``, and RAdam (the same betas) without warmup."""
    out = []
    for arm in o.arms:
        for peak in o.lrs:
            constant = {"schedule": "warmup_constant", "peak_value": float(peak), "warmup_steps": 0}
            if arm in ("linear", "exponential"):
                sched = {"schedule": "untuned_warmup", "base": constant, "beta2": o.beta2, "shape": arm}
            else:
                sched = constant
            opt = {"name": "radam", "b2": o.beta2} if arm == "radam" else _adam(o)
            out.append(Point(arm, float(peak), sched, opt, o.steps))
    return out


def _cooldown(o: Options, budget: int) -> int:
    return max(1, round(o.cooldown * budget))


def _wsd_points(o: Options) -> list[Point]:
    """At each budget ``T``: cosine to 0 at ``T``; warmup-stable-decay with a linear and a
    ``1-sqrt`` cooldown over the last ``D`` steps; and ``decay_from`` a constant run at
    ``T - D`` (``1-sqrt``), the branch one stable run would give."""
    peak, w = float(o.lrs[0]), o.warmups[0]
    stable = {"schedule": "warmup_constant", "peak_value": peak, "warmup_steps": w}
    out = []
    for arm in o.arms:
        for t in o.budgets:
            d = _cooldown(o, t)
            if arm == "cosine":
                sched: dict[str, Any] = {"schedule": "warmup_cosine_decay", "peak_value": peak, "warmup_steps": w,
                                         "total_steps": t}
            elif arm.startswith("wsd-"):
                sched = {"schedule": "warmup_stable_decay", "peak_value": peak, "warmup_steps": w,
                         "stable_steps": t - w - d, "decay_steps": d, "decay_shape": arm[4:]}
            else:
                sched = {"schedule": "decay_from", "base": stable, "base_steps": t - d, "decay_steps": d,
                         "decay_shape": "1-sqrt"}
            out.append(Point(arm, float(t), sched, _adam(o), t))
    return out


def _tolerance_points(o: Options) -> list[Point]:
    """Each warmup length (linear, then constant) at each target lr."""
    return [Point(f"warmup {w}", float(peak),
                  {"schedule": "warmup_constant", "peak_value": float(peak), "warmup_steps": w}, _adam(o), o.steps)
            for w in o.warmups for peak in o.lrs]


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("warmup", "Warmup with Adam", tuple(TEMPLATES), "peak learning rate", _warmup_points,
               {"lrs": (3e-4, 1e-3, 3e-3, 1e-2, 3e-2), "arms": tuple(TEMPLATES), "steps": 300, "warmups": (60,)},
               {**QUICK, "lrs": (1e-2,), "arms": ("none", "linear"), "steps": 12, "warmups": (4,)}),
    Experiment("untuned", "Untuned warmup for Adam (Ma & Yarats 2019)", ("none", "linear", "exponential", "radam"),
               "peak learning rate", _untuned_points,
               {**FULL, "lrs": (3e-3, 1e-2, 3e-2), "arms": ("none", "linear", "exponential", "radam"), "steps": 200,
                "warmups": (0,), "beta2": 0.95},
               {**QUICK, "lrs": (3e-2,), "arms": ("none", "linear", "exponential", "radam"), "steps": 12,
                "warmups": (0,), "beta2": 0.8}),
    Experiment("wsd", "Cosine against warmup-stable-decay (Hägele et al. 2024)",
               ("cosine", "wsd-linear", "wsd-1-sqrt", "branch-1-sqrt"), "budget (steps)", _wsd_points,
               {**FULL, "lrs": (3e-3,), "arms": ("cosine", "wsd-linear", "wsd-1-sqrt", "branch-1-sqrt"),
                "budgets": (80, 160), "warmups": (16,)},
               {**QUICK, "lrs": (1e-2,), "arms": ("cosine", "wsd-1-sqrt", "branch-1-sqrt"), "budgets": (16,),
                "warmups": (2,), "cooldown": 0.25}, x_log=False),
    Experiment("lr-tolerance", "Warmup and the largest trainable lr (Kalra & Barkeshli 2024)", (),
               "target learning rate", _tolerance_points,
               {"model": "mlp", "d_model": 32, "batch_size": 32, "lrs": (3e-2, 1e-1, 3e-1, 1.0, 3.0), "steps": 200,
                "warmups": (0, 20, 80)},
               {**QUICK, "lrs": (1e-2, 3.0), "steps": 12, "warmups": (0, 8)}, curves="last trained"),
)}
"""The experiments, by name."""


# --------------------------------------------------------------------------- verdicts


def _capped(d: float) -> float:
    """A norm-relative difference, NaN (a run blew up) and anything above 1 as 1 (fully apart)."""
    return 1.0 if not d <= 1.0 else float(d)


Trained = tuple[Any, Any, list[tuple[np.ndarray, np.ndarray]]]
"""What :func:`_trainer`'s function returns: the :class:`~warmup_parity.report.Report`, the
untrained torch model and the batches (for the one-ulp pair)."""


def _verdict(trained: Trained, point: Point, train: Callable[[Point, str], Trained], loss: Callable[..., Any],
             dtype: str) -> dict[str, Any]:
    """``agree``; for a pair whose parameters alone parted, after update k > 0, ``chaos`` when
    the torch run against itself moved by one ulp parts as fast (:func:`warmup_parity.chaos.verdict`),
    or (a float32 pair) when the same pair trained in float64 agrees within float64's
    tolerance at every step or parts more than ``chaos.SLACK`` times later: the two frameworks
    compute the same training, whose rounding the run amplifies; ``bug`` otherwise, and for any
    other divergence (step 0, the lr)."""
    import torch

    from warmup_parity import chaos
    from warmup_parity.optimizers import optimizer_from_config, torch_optimizer
    from warmup_parity.report import TOLERANCES

    report, initial, batches = trained
    d = report.first_divergence
    largest = max(_capped(r["param_rel_diff"]) for r in report.steps)
    if d is None and report.passed:
        return {"verdict": "agree", "parted_at": None, "max_rel_diff": largest}
    if d is None or d.kind != "parameters" or d.step == 0:
        return {"verdict": "bug", "parted_at": d.step if d is not None else None, "max_rel_diff": largest,
                "why": str(d) if d is not None else ", ".join(report.summary.get("failed", []))}
    spec = optimizer_from_config(point.optimizer)

    def optimizer(model: Any) -> tuple[Any, Callable[[], None]]:
        opt, sched = torch_optimizer(spec, model.parameters(), point.schedule)
        return opt, sched.step

    def tensor(v: np.ndarray) -> Any:
        return torch.as_tensor(v.astype(dtype) if np.issubdtype(v.dtype, np.floating) else v)

    tol = TOLERANCES[dtype]["params"]
    ulp_at = chaos.ulp_parting_step(initial, optimizer, [(tensor(x), tensor(y)) for x, y in batches], loss,
                                    tolerance=tol)
    v = chaos.verdict(d.step, ulp_at, tolerance=tol, tried=len(batches))
    out = {"verdict": v.kind, "parted_at": v.parted_at, "ulp_parted_at": v.ulp_parted_at, "max_rel_diff": largest}
    if v.kind == "bug" and dtype == "float32":
        f64 = train(point, "float64")[0]
        d64 = f64.first_divergence
        out["float64_max_rel_diff"] = f64.summary["param_max_rel_diff"]
        out["float64_parted_at"] = d64.step if d64 is not None else None
        parted64 = None if d64 is None else d64.step if d64.kind == "parameters" else 0
        if f64.passed or chaos.float64_says_chaos(d.step, parted64):
            out["verdict"] = "chaos"
    return out


def _trainer(opts: Options, on_step: Callable[[dict[str, float]], None] | None
             ) -> tuple[Any, Callable[[Point, str], Trained]]:
    """The data set, and ``train(point, dtype)``: both models from the same weights, trained
    on the point's batches with its schedule and optimizer."""
    import jax
    import jax.numpy as jnp
    import torch
    from flax import nnx

    import warmup_jax
    from warmup_parity import data, models
    from warmup_parity.engine import TorchLR, prepare, train_pair
    from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer
    from warmup_parity.transformer import FlaxTransformer, TorchTransformer, TransformerConfig

    torch.set_num_threads(1)
    ds = data.digits() if opts.model == "mlp" else data.text(opts.seq_len)
    loss_fns = models.losses(ds.task)
    batches = [(ds.x[i], ds.y[i]) for i in data.batch_indices(len(ds.x), opts.batch_size, opts.steps, opts.seed)]
    cfg = TransformerConfig(vocab_size=ds.n_out, seq_len=opts.seq_len, d_model=opts.d_model, n_heads=opts.n_heads,
                            n_layers=opts.n_layers, norm="post")

    def build(dtype: str) -> tuple[Any, Any, Any]:
        if opts.model == "mlp":
            fm = models.build_flax("mlp", int(np.prod(ds.x.shape[1:])), ds.n_out, dtype, opts.seed, opts.d_model)
            tm = models.build_torch("mlp", models.flax_weights(fm), dtype)
            return fm, tm, prepare(fm, tm, dtype, False)
        fm = FlaxTransformer(cfg, rngs=nnx.Rngs(opts.seed), dtype=jnp.float64 if dtype == "float64" else jnp.float32)
        tm = TorchTransformer(cfg)
        return fm, tm, prepare(fm, tm, dtype, True)

    def train(point: Point, dtype: str) -> Trained:
        spec = optimizer_from_config(point.optimizer)
        with jax.enable_x64(dtype == "float64"):
            flax_model, torch_model, wmap = build(dtype)
            initial = copy.deepcopy(torch_model)
            schedule = warmup_jax.schedule_from_config(point.schedule)
            topt, tsched = torch_optimizer(spec, torch_model.parameters(), point.schedule)
            report = train_pair(flax_model, torch_model, wmap, batches[:point.steps], losses=loss_fns,
                                tx=optax_transform(spec, schedule,
                                                   dtype=jnp.float64 if dtype == "float64" else jnp.float32),
                                schedule=schedule, torch_opt=topt, torch_lr=TorchLR.scheduler(tsched), dtype=dtype,
                                config={"schedule": point.schedule}, on_step=on_step if dtype == opts.dtype else None)
        return report, initial, batches[:point.steps]

    return ds, train


def run_experiment(opts: Options, on_step: Callable[[dict[str, float]], None] | None = None,
                   on_run: Callable[[Point], None] | None = None) -> dict[str, Any]:
    """Trains every point of ``opts.experiment``; returns the JSON-ready result: its config,
    every point (configs, both loss curves, the lr, the parameter difference per step, final
    losses, whether each side diverged, the verdict) and a summary.

    ``on_step`` is called after every training step (a progress bar), ``on_run`` with each
    point before it trains.
    """
    from warmup_parity.models import losses
    from warmup_parity.report import TOLERANCES

    rec = EXPERIMENTS[opts.experiment]
    ds, train = _trainer(opts, on_step)
    points = []
    for point in rec.points(opts):
        if on_run is not None:
            on_run(point)
        trained = train(point, opts.dtype)
        verdict = _verdict(trained, point, train, losses(ds.task)[1], opts.dtype)
        points.append(_point_record(point, trained[0], opts.tail, verdict))
    model = (f"digits MLP (hidden {opts.d_model})" if opts.model == "mlp" else
             f"post-LN transformer ({opts.n_layers} layers, d_model {opts.d_model})")
    data = ("sklearn digits, 8x8 images, 10 classes" if opts.model == "mlp" else
            f"pydoc_data.topics, character-level, vocabulary {ds.n_out}, sequences of {opts.seq_len}")
    return {"experiment": rec.name, "title": rec.title, "x_label": rec.x_label,
            "config": {**opts.to_dict(), "model_description": model, "data": data,
                       "final_loss": f"mean of the last {opts.tail} training losses",
                       "param_tolerance": TOLERANCES[opts.dtype]["params"]},
            "points": points, "summary": _summary(points)}


def _point_record(point: Point, report: Any, tail: int, verdict: Mapping[str, Any]) -> dict[str, Any]:
    loss_j = [r["loss_jax"] for r in report.steps]
    loss_t = [r["loss_torch"] for r in report.steps]
    final_j, final_t = float(np.mean(loss_j[-tail:])), float(np.mean(loss_t[-tail:]))
    return {
        "arm": point.arm, "x": point.x, "schedule": dict(point.schedule), "optimizer": dict(point.optimizer),
        "steps": point.steps, "final_loss_jax": final_j, "final_loss_torch": final_t,
        "final_loss_rel_diff": abs(final_j - final_t) / max(abs(final_t), 1e-300),
        "diverged_jax": not (math.isfinite(final_j) and final_j < loss_j[0]),
        "diverged_torch": not (math.isfinite(final_t) and final_t < loss_t[0]),
        "max_lr": max(r["lr_torch"] for r in report.steps),
        "param_max_rel_diff": report.summary["param_max_rel_diff"],
        "step0_grad_rel_diff": report.summary["step0_grad_rel_diff"],
        "lr_max_rel_diff": report.summary["lr_max_rel_diff"],
        **verdict, "first_divergence": report.summary["first_divergence"],
        "loss_jax": loss_j, "loss_torch": loss_t, "lr": [r["lr_torch"] for r in report.steps],
        "param_rel_diff": [r["param_rel_diff"] for r in report.steps],
    }


def _summary(points: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts of the verdicts; per arm the best point and the smallest x at which either
    framework diverged (None: none did)."""
    arms: dict[str, Any] = {}
    for arm in dict.fromkeys(p["arm"] for p in points):
        mine = sorted((p for p in points if p["arm"] == arm), key=lambda p: p["x"])
        finite = [p for p in mine if math.isfinite(p["final_loss_torch"])]
        best = min(finite, key=lambda p: p["final_loss_torch"]) if finite else None
        diverged = [p["x"] for p in mine if p["diverged_jax"] or p["diverged_torch"]]
        arms[arm] = {"best_x": best["x"] if best else None,
                     "best_final_loss": [best["final_loss_jax"], best["final_loss_torch"]] if best else None,
                     "diverges_from": diverged[0] if diverged else None,
                     "largest_trained": max((p["x"] for p in mine if p["x"] not in diverged), default=None)}
    return {"points": len(points), **{v: sum(p["verdict"] == v for p in points) for v in ("agree", "chaos", "bug")},
            "max_param_rel_diff": max(p["param_max_rel_diff"] for p in points),
            "max_final_loss_rel_diff": max(p["final_loss_rel_diff"] for p in points), "arms": arms}


def summary_lines(result: Mapping[str, Any]) -> list[str]:
    """The grid as text: final loss (JAX / torch) per arm and x, each point's verdict, and
    per arm where it started to diverge."""
    points = result["points"]
    xs = sorted({p["x"] for p in points})
    at = {(p["arm"], p["x"]): p for p in points}
    lines = [f"final loss (JAX / torch), {result['config']['final_loss']}; columns: {result['x_label']}:",
             f"{'arm':14s}" + "".join(f"{format(x, 'g'):>22s}" for x in xs)]
    for arm in result["summary"]["arms"]:
        cells = [f"{at[arm, x]['final_loss_jax']:.4f} / {at[arm, x]['final_loss_torch']:.4f}" if (arm, x) in at
                 else "" for x in xs]
        lines.append(f"{arm:14s}" + "".join(f"{c:>22s}" for c in cells))
    lines.append("JAX vs torch, largest parameter difference (norm-relative), verdict:")
    for p in points:
        ulp = f" (one ulp: {'no parting' if p['ulp_parted_at'] is None else 'after ' + str(p['ulp_parted_at'])})" \
            if "ulp_parted_at" in p else ""
        ulp += (f" (float64: {p['float64_max_rel_diff']:.2e}"
                f"{'' if p['float64_parted_at'] is None else ', parted after ' + str(p['float64_parted_at'])})"
                if "float64_max_rel_diff" in p else "")
        parted = f", parted after update {p['parted_at']}" if p.get("parted_at") is not None else ""
        lines.append(f"  {p['arm']:14s} {format(p['x'], 'g'):>8s} {p['param_max_rel_diff']:9.2e}  "
                     f"{p['verdict']}{parted}{ulp}")
    for arm, s in result["summary"]["arms"].items():
        if s["diverges_from"] is not None:
            lines.append(f"{arm}: diverges from {s['diverges_from']:g}; largest that trains: "
                         f"{'none' if s['largest_trained'] is None else format(s['largest_trained'], 'g')}")
    s = result["summary"]
    lines.append(f"{s['points']} points: {s['agree']} agree, {s['chaos']} chaos, {s['bug']} bug")
    return lines


# --------------------------------------------------------------------------- the figure


def _smooth(values: Sequence[float], window: int) -> np.ndarray:
    v = np.asarray(values, np.float64)
    if window <= 1 or len(v) < window:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    head = c[1:window] / np.arange(1, window)
    return np.concatenate([head, (c[window:] - c[:-window]) / window])


def _curve_x(result: Mapping[str, Any], rule: str) -> float:
    points = result["points"]
    if rule == "last trained":
        last = list(result["summary"]["arms"].values())[-1]["largest_trained"]
        if last is not None:
            return float(last)
    return max(p["x"] for p in points)


def plot_experiment(result: Mapping[str, Any], out_path: str | os.PathLike[str]) -> Path:
    """Four panels, JAX solid and torch dashed: final loss against x per arm; the lr and the
    loss curves (moving mean over 10 steps) at one x; the JAX-vs-torch parameter difference of
    every point, marked by verdict."""
    from warmup_parity import plot as plot_mod  # matplotlib with the Agg backend

    plt = plot_mod.plt
    plot_mod._check_format(out_path)
    rec = EXPERIMENTS[result["experiment"]]
    points: Sequence[Mapping[str, Any]] = result["points"]
    arms = list(result["summary"]["arms"])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    cfg = result["config"]
    at_x = _curve_x(result, rec.curves)
    fig, (ax_final, ax_lr, ax_curve, ax_diff) = plt.subplots(1, 4, figsize=(21.0, 5.2))
    fig.suptitle(f"{result['title']}: {cfg['model_description']}, {cfg['data'].split(',')[0]}, {cfg['dtype']}; "
                 "JAX solid, torch dashed", fontsize=11)
    markers = {"agree": "o", "chaos": "^", "bug": "X"}
    for k, arm in enumerate(arms):
        mine = sorted((p for p in points if p["arm"] == arm), key=lambda p: p["x"])
        c = colors[k % len(colors)]
        xs = [p["x"] for p in mine]
        ax_final.plot(xs, [p["final_loss_jax"] for p in mine], "o-", color=c, lw=2.2, alpha=0.6, label=arm)
        ax_final.plot(xs, [p["final_loss_torch"] for p in mine], "x--", color=c, lw=1.2)
        ax_diff.plot(xs, [max(p["param_max_rel_diff"], 1e-17) if math.isfinite(p["param_max_rel_diff"]) else 1.0
                          for p in mine], "-", color=c, lw=1.0, alpha=0.5)
        for p in mine:
            d = p["param_max_rel_diff"]
            ax_diff.plot([p["x"]], [max(d, 1e-17) if math.isfinite(d) else 1.0], markers[p["verdict"]], color=c,
                         ms=7)
        curve = next((p for p in mine if p["x"] == at_x), None)
        if curve is not None:
            steps = np.arange(len(curve["loss_jax"]))
            ax_lr.plot(steps, curve["lr"], color=c, lw=1.5, label=arm)
            ax_curve.plot(steps, _smooth(curve["loss_jax"], 10), color=c, lw=2.2, alpha=0.6, label=f"{arm} JAX")
            ax_curve.plot(steps, _smooth(curve["loss_torch"], 10), color=c, lw=1.0, ls="--", label=f"{arm} torch")
    for verdict, m in markers.items():
        ax_diff.plot([], [], m, color="grey", label=verdict)
    ax_diff.axhline(cfg["param_tolerance"], color="grey", ls=":", label="tolerance")
    ax_final.set_ylabel(f"final training loss ({cfg['final_loss']})")
    ax_final.set_title(f"final loss vs {rec.x_label}")
    ax_lr.set_title(f"lr (torch) at {rec.x_label} {at_x:g}")
    ax_lr.set_xlabel("step")
    ax_lr.set_ylabel("learning rate")
    ax_curve.set_xlabel("step")
    ax_curve.set_ylabel("training loss (moving mean over 10 steps)")
    ax_curve.set_title(f"loss curves at {rec.x_label} {at_x:g}")
    finals = [p["final_loss_torch"] for p in points if math.isfinite(p["final_loss_torch"])]
    if finals and max(finals) > 10 * min(finals):  # a diverged run next to trained ones
        ax_final.set_yscale("log")
    ax_diff.set_yscale("log")
    ax_diff.set_ylabel("max over steps of ||JAX - torch|| / ||torch|| (parameters)")
    ax_diff.set_title("JAX vs torch at every point")
    for ax in (ax_final, ax_diff):
        ax.set_xlabel(rec.x_label)
        if rec.x_log:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(plt.NullFormatter())
        xs = sorted({p["x"] for p in points})
        ax.set_xticks(xs, [format(x, "g") for x in xs])
    for ax in (ax_final, ax_lr, ax_curve, ax_diff):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return plot_mod._save(fig, out_path)


def output_stem(name: str) -> str:
    """The files' stem: ``lr-tolerance`` writes ``lr_tolerance_experiment.json`` and ``.png``."""
    return f"{name.replace('-', '_')}_experiment"

