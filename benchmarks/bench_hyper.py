"""What scheduled hyperparameters cost inside a jit'd Optax train step (section (f) of the JAX
table): AdamW whose ``b1`` follows ``one_cycle``'s momentum (and whose weight decay follows a
Megatron ramp) through ``warmup_jax.hyper.with_schedules`` (the route the matched pairs
take) and through ``optax.inject_hyperparams``, against the same AdamW with constant
hyperparameters; optimizer-state leaves; and, on the torch side (rows ``torch.f.*``), ``ScheduleLR.step()`` with
the momentum written beside the lr against torch's own ``OneCycleLR`` doing the same.

Run: ``python -m benchmarks.bench_hyper --out rows.json [--quick]`` (``make bench`` runs it).
"""

from __future__ import annotations

from typing import Any

import jax
import optax

from benchmarks._timing import interleave, ratios, stats
from benchmarks._timing import main as timing_main
from benchmarks._timing import row as _row
from benchmarks.bench_jax import MODELS, fusion_count, ratio_row, row, train_runner
from warmup_jax import schedule_from_config
from warmup_jax.hyper import hyper_schedules
from warmup_parity.optimizers import optax_transform
from warmup_spec import spec_from_config
from warmup_spec.hyper import Ramp, momentum_of

TOTAL = 10_000
CYCLE = {"schedule": "one_cycle", "total_steps": TOTAL, "peak_value": 1e-3}
RAMP = {"start": 0.0, "end": 0.1, "steps": TOTAL, "style": "cosine"}


def variants() -> dict[str, optax.GradientTransformation]:
    """AdamW under one_cycle: constant b1 and weight decay; b1 scheduled (ours, inject_hyperparams);
    b1 and weight decay scheduled (ours, inject_hyperparams)."""
    lr = schedule_from_config({**CYCLE, "cycle_momentum": False})
    b1 = hyper_schedules({"b1": momentum_of(spec_from_config(CYCLE))})["b1"]  # type: ignore[dict-item]
    wd = hyper_schedules({"wd": Ramp(**RAMP)})["wd"]
    inject = optax.inject_hyperparams(optax.adamw)
    return {
        "fixed": optax_transform({"name": "adamw"}, lr),
        "ours_b1": optax_transform({"name": "adamw"}, CYCLE),
        "inject_b1": inject(learning_rate=lr, b1=b1, weight_decay=0.01),
        "ours_b1_wd": optax_transform({"name": "adamw", "weight_decay": RAMP}, CYCLE),
        "inject_b1_wd": inject(learning_rate=lr, b1=b1, weight_decay=wd),
    }


def bench_train_step(mode: str, rounds: int, best_of: int) -> list[dict]:
    txs = variants()
    runners = {name: train_runner(tx, "tiny", mode) for name, tx in txs.items()}
    times = interleave({name: r[0] for name, r in runners.items()}, rounds, best_of)
    n = MODELS["tiny"][mode]
    how = f"{n} steps in one jit'd lax.fori_loop" if mode == "free" else f"Python loop of {n} calls of a jit'd step"
    setting = f"AdamW under one_cycle, tiny MLP {MODELS['tiny']['sizes']} batch {MODELS['tiny']['batch']}, {how}"
    fusions = {k: fusion_count(runners[k][1], *runners[k][2]) for k in txs}
    mid = "dispatch_free" if mode == "free" else "dispatch_inclusive"
    rows = []
    for what in ("b1", "b1_wd"):
        label = "b1" if what == "b1" else "b1 and weight decay"
        rows.append(ratio_row(
            f"jax.f.{mid}.ours_{what}_vs_fixed", f"per-step time, {label} scheduled by with_schedules / constant "
            f"hyperparameters; {setting}", times[f"ours_{what}"], times["fixed"], "<= 1.05",
            note=f"fusions: {fusions[f'ours_{what}']} vs {fusions['fixed']}; one int32 count leaf added"))
        rows.append(ratio_row(
            f"jax.f.{mid}.inject_{what}_vs_fixed", f"per-step time, {label} scheduled by optax.inject_hyperparams / "
            f"constant hyperparameters; {setting}", times[f"inject_{what}"], times["fixed"],
            note=f"fusions: {fusions[f'inject_{what}']} vs {fusions['fixed']}"))
        rows.append(ratio_row(
            f"jax.f.{mid}.ours_vs_inject_{what}", f"per-step time, with_schedules / inject_hyperparams, {label}; "
            f"{setting}", times[f"ours_{what}"], times[f"inject_{what}"], "<= 1.0"))
    for name, ts in times.items():
        med, lo, hi = stats([t / n * 1e6 for t in ts])
        rows.append(row(f"jax.f.{mid}.us.{name}", f"us per step, {name}; {setting}", med, "us", min=lo, max=hi))
    return rows


def leaf_rows() -> list[dict]:
    params = jax.tree.map(lambda s: s, train_runner(optax.sgd(0.1), "tiny", "free")[2][0])
    leaves = {k: len(jax.tree.leaves(tx.init(params))) for k, tx in variants().items()}
    rows = [row(f"jax.f.leaves.{k}", f"optimizer-state leaves, AdamW, tiny MLP, {k}", v, "leaves")
            for k, v in leaves.items()]
    rows.append(row("jax.f.leaves_added.ours_b1_wd", "leaves with_schedules adds for two scheduled hyperparameters",
                    leaves["ours_b1_wd"] - leaves["fixed"], "leaves", target="== 1", note="the update count"))
    rows.append(row("jax.f.leaves_added.inject_b1_wd", "leaves inject_hyperparams adds for the same two",
                    leaves["inject_b1_wd"] - leaves["fixed"], "leaves",
                    note="its count, each value, each schedule's own count, the lr"))
    return rows


def torch_rows(rounds: int) -> list[dict]:
    """``ScheduleLR.step()`` writing lr and momentum vs torch's ``OneCycleLR`` (momentum on)."""
    import torch
    from torch.optim.lr_scheduler import OneCycleLR

    import warmup_torch

    steps = 1000

    def block(make: Any) -> Any:
        def run() -> None:
            sched = make(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9))
            sched.optimizer.step()
            for _ in range(steps):
                sched.step()
        return run

    cfg = {"schedule": "one_cycle", "total_steps": steps, "peak_value": 0.1}
    makers = {
        "ours": block(lambda o: warmup_torch.scheduler_from_config(o, cfg)),
        "ours_lr_only": block(lambda o: warmup_torch.scheduler_from_config(o, {**cfg, "cycle_momentum": False})),
        "torch": block(lambda o: OneCycleLR(o, max_lr=0.1, total_steps=steps)),
    }
    times = interleave(makers, rounds, 3)

    def ratio(id: str, description: str, num: str, den: str, target: str = "") -> dict:
        med, lo, hi = stats(ratios(times[num], times[den]))
        return _row("torch", id, description, med, "ratio", lo, hi, target)

    out = [ratio("torch.f.step.ours_vs_onecyclelr", "one_cycle: ScheduleLR.step() writing lr and momentum / torch "
                 "OneCycleLR.step() (cycle_momentum=True), 1000 steps", "ours", "torch", "<= 1.0"),
           ratio("torch.f.step.momentum_cost", "one_cycle: ScheduleLR.step() with the momentum / the lr only",
                 "ours", "ours_lr_only")]
    for name, ts in times.items():
        med, lo, hi = stats([t / steps * 1e6 for t in ts])
        out.append(_row("torch", f"torch.f.step.us.{name}", f"us per scheduler.step(), {name}", med, "us", lo, hi))
    return out


def run(quick: bool = False) -> list[dict]:
    rows = bench_train_step("free", *((3, 1) if quick else (61, 5)))
    rows += bench_train_step("inclusive", *((3, 1) if quick else (41, 5)))
    rows += leaf_rows()
    rows += torch_rows(3 if quick else 31)
    return rows


if __name__ == "__main__":
    timing_main(run, __doc__)
