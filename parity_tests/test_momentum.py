"""Momentum / beta1 schedules (``warmup_spec.hyper``): torch's ``OneCycleLR`` and ``CyclicLR``
cycle the momentum (SGD) or ``betas[0]`` (Adam) by default; our ports, ``one_cycle`` and
``ScheduleLR`` reproduce torch's value at every step (torch itself stepped as users step it,
against the float64 host schedule, the values ``ScheduleLR`` writes, JAX x64 and float32),
the float64 reference agrees, the matched optimizer pairs apply it on the Optax side and
train to the same parameters, and the mistakes torch refuses are refused with one text."""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as L

import warmup_torch
from parity_tests.conftest import errors
from parity_tests.test_optimizer_pairs import diffs, run_jax, run_torch
from warmup_jax.hyper import hyper_schedules
from warmup_parity.optimizers import optax_transform, scheduled_hyperparams, torch_optimizer
from warmup_spec import Schedule, spec_from_config
from warmup_spec.hyper import MomentumOf, momentum_of
from warmup_spec.reference import momentum_reference

TOL_F64, TOL_F32 = 1e-12, 1e-6
SGD, ADAM = "sgd", "adam"


def _optimizer(kind: str) -> torch.optim.Optimizer:
    p = [torch.zeros(1, requires_grad=True)]
    return torch.optim.SGD(p, lr=0.1, momentum=0.9) if kind == SGD else torch.optim.Adam(p, lr=0.1)


def _momentum(opt: torch.optim.Optimizer) -> float:
    g = opt.param_groups[0]
    return float(g["betas"][0] if "betas" in g else g["momentum"])


def stepped(opt: torch.optim.Optimizer, sched: Any, n: int) -> tuple[list[float], list[float]]:
    """(momentum, lr) in effect at each of ``n`` updates, stepped as users step (torch's own
    schedulers raise past their end: stop there)."""
    moms, lrs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):
            moms.append(_momentum(opt))
            lrs.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            try:
                sched.step()
            except ValueError:  # OneCycleLR past total_steps
                break
    return moms, lrs


def torch_scheduler(opt: torch.optim.Optimizer, cfg: dict[str, Any]) -> Any:
    kw = {k: v for k, v in cfg.items() if k != "schedule"}
    return getattr(L, cfg["schedule"].removeprefix("torch."))(opt, **kw)


def _rel(got: Any, ref: Any) -> float:
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    return float(np.max(np.abs(got - ref) / np.abs(ref)))


def check_momentum(cfg: dict[str, Any], kind: str, n: int) -> tuple[float, float]:
    """torch's momentum of update k against ours in every front end; returns (worst f64, f32)."""
    opt = _optimizer(kind)
    expected, torch_lrs = stepped(opt, torch_scheduler(opt, cfg), n)
    opt = _optimizer(kind)
    written, ours_lrs = stepped(opt, warmup_torch.scheduler_from_config(opt, cfg), len(expected))
    m = momentum_of(spec_from_config(cfg))
    assert m is not None
    steps = np.arange(len(expected))
    host = [Schedule(m)(int(t)) for t in steps]
    (fn,) = hyper_schedules({"m": m}).values()
    with jax.enable_x64(True):
        x64 = np.asarray(jax.jit(jax.vmap(fn))(jnp.asarray(steps, jnp.int64)), np.float64)
    f32 = np.asarray(jax.jit(jax.vmap(fn))(jnp.asarray(steps, jnp.int32)), np.float64)
    worst64 = max(_rel(host, expected), _rel(written, expected), _rel(x64, expected))
    worst32 = _rel(f32, expected)
    assert worst64 <= TOL_F64 and worst32 <= TOL_F32, (cfg, kind, worst64, worst32)
    lr_abs, lr_rel = errors(ours_lrs, torch_lrs)  # the lr is still torch's (the torch anchor tests' measure)
    assert lr_abs <= TOL_F64 and lr_rel <= TOL_F64, (lr_abs, lr_rel)
    return worst64, worst32


def T(name: str, **kw: Any) -> dict[str, Any]:
    return {"schedule": f"torch.{name}", **kw}


CASES = [
    (T("OneCycleLR", max_lr=0.1, total_steps=100), 101),
    (T("OneCycleLR", max_lr=1.0, total_steps=37, pct_start=0.25, anneal_strategy="linear",
       base_momentum=0.8, max_momentum=0.99), 38),
    (T("OneCycleLR", max_lr=0.3, epochs=4, steps_per_epoch=25, three_phase=True), 101),
    (T("OneCycleLR", max_lr=0.3, total_steps=10, pct_start=0.05), 11),  # the first phase before step 0
    (T("CyclicLR", base_lr=1e-3, max_lr=1e-2, step_size_up=10), 95),
    (T("CyclicLR", base_lr=1e-3, max_lr=1e-2, step_size_up=7, step_size_down=3, mode="triangular2"), 80),
    (T("CyclicLR", base_lr=1e-3, max_lr=1e-2, step_size_up=5, mode="exp_range", gamma=0.99,
       base_momentum=0.7, max_momentum=0.95), 120),
]


@pytest.mark.parametrize("kind", [SGD, ADAM])
@pytest.mark.parametrize("cfg,n", CASES, ids=[f"{c['schedule'][6:]}-{i}" for i, (c, _) in enumerate(CASES)])
def test_torch_momentum_equals_ours_at_every_step(cfg, n, kind):
    check_momentum(cfg, kind, n)


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(total=st.integers(4, 120), pct=st.floats(0.1, 0.9), anneal=st.sampled_from(["cos", "linear"]),
       three=st.booleans(), base=st.sampled_from([0.5, 0.85]), top=st.sampled_from([0.9, 0.95]))
def test_one_cycle_momentum_drawn(total, pct, anneal, three, base, top):
    cfg = T("OneCycleLR", max_lr=0.1, total_steps=total, pct_start=pct, anneal_strategy=anneal,
            three_phase=three, base_momentum=base, max_momentum=top)
    try:
        spec_from_config(cfg)
    except ValueError:  # an empty phase: torch divides by 0 there (parity_tests/anchors/torch_lr.py checks it)
        return
    check_momentum(cfg, SGD, total + 1)


@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(up=st.integers(1, 20), down=st.integers(1, 20), mode=st.sampled_from(["triangular", "triangular2", "exp_range"]))
def test_cyclic_momentum_drawn(up, down, mode):
    cfg = T("CyclicLR", base_lr=1e-3, max_lr=1e-2, step_size_up=up, step_size_down=down, mode=mode, gamma=0.98)
    check_momentum(cfg, ADAM, 3 * (up + down) + 2)


@pytest.mark.parametrize("kw", [
    dict(total_steps=100, peak_value=0.1),
    dict(total_steps=37, peak_value=1.0, pct_start=0.25, anneal="linear", base_momentum=0.6, max_momentum=0.9),
    dict(total_steps=7, peak_value=2.0, pct_start=0.9, div_factor=10.0),
])
def test_one_cycle_momentum_is_torch_one_cycle_lr_and_the_reference(kw):
    """The catalogue's one_cycle: torch's momentum at steps 0..T-1 (torch's defaults are ours),
    the literal float64 reference, held at max_momentum after T - 1."""
    T_ = kw["total_steps"]
    torch_kw = {"max_lr": kw["peak_value"], "total_steps": T_, "pct_start": kw.get("pct_start", 0.3),
                "anneal_strategy": kw.get("anneal", "cos"), "div_factor": kw.get("div_factor", 25.0)}
    for key in ("base_momentum", "max_momentum"):
        if key in kw:
            torch_kw[key] = kw[key]
    opt = _optimizer(SGD)
    expected, _ = stepped(opt, L.OneCycleLR(opt, **torch_kw), T_)
    spec = spec_from_config({"schedule": "one_cycle", **kw})
    opt = _optimizer(SGD)
    written, _ = stepped(opt, warmup_torch.scheduler_from_config(opt, spec), T_ + 5)
    reference = [momentum_reference(spec, t) for t in range(T_ + 5)]
    assert _rel(written[:T_], expected) <= TOL_F64
    assert _rel(reference[:T_], expected) <= TOL_F64
    assert _rel(written, reference) <= TOL_F64
    assert written[T_:] == [kw.get("max_momentum", 0.95)] * 5


def test_no_momentum_without_cycle_momentum():
    cfg = {"schedule": "one_cycle", "total_steps": 20, "peak_value": 0.1, "cycle_momentum": False}
    assert momentum_of(spec_from_config(cfg)) is None
    opt = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)])  # no momentum: fine without cycling
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    opt2 = _optimizer(SGD)
    moms, _ = stepped(opt2, warmup_torch.scheduler_from_config(opt2, cfg), 10)
    assert moms == [0.9] * 10 and sched.last_epoch == 0


def test_per_group_schedules_cycle_only_their_group():
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1, momentum=0.5)
    cycling = {"schedule": "one_cycle", "total_steps": 10, "peak_value": 0.1}
    sched = warmup_torch.ScheduleLR(opt, [cycling, {"schedule": "warmup_constant", "peak_value": 0.1,
                                                    "warmup_steps": 2}])
    for _ in range(3):
        opt.step()
        sched.step()
    m = Schedule(MomentumOf(spec_from_config(cycling)))
    assert [g["momentum"] for g in opt.param_groups] == [m(3), 0.5]


@pytest.mark.parametrize("cfg", [
    {"schedule": "one_cycle", "total_steps": 50, "peak_value": 0.1},
    T("CyclicLR", base_lr=1e-3, max_lr=1e-2, step_size_up=4),
])
def test_resume_puts_the_momentum_back(cfg):
    """``warmup_torch.resume`` on a fresh Adam puts torch's beta1 of the next update back, as the lr."""
    opt = _optimizer(ADAM)
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    for _ in range(17):
        opt.step()
        sched.step()
    fresh = _optimizer(ADAM)
    fresh.load_state_dict(opt.state_dict())
    again = warmup_torch.resume(fresh, sched.state_dict())
    assert fresh.param_groups[0]["betas"] == opt.param_groups[0]["betas"]
    assert fresh.param_groups[0]["betas"][0] == Schedule(momentum_of(spec_from_config(cfg)))(17)
    for _ in range(5):
        for o, s in ((opt, sched), (fresh, again)):
            o.step()
            s.step()
        assert fresh.param_groups[0]["betas"] == opt.param_groups[0]["betas"]


# --------------------------------------------------------------------------- refused as torch refuses


def test_an_optimizer_without_momentum_is_refused_like_torch():
    params = [torch.zeros(1, requires_grad=True)]
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        L.OneCycleLR(torch.optim.Adagrad(params), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match=r"one_cycle: cycle_momentum=True is invalid; expected False for an "
                                         r"optimizer without momentum or betas \(Adagrad\)"):
        warmup_torch.schedulers.one_cycle(torch.optim.Adagrad(params), 10, 0.1)


def test_pairs_refuse_with_one_text_in_both_frameworks():
    cfg = {"schedule": "torch.OneCycleLR", "max_lr": 0.1, "total_steps": 10}
    params = [torch.zeros(1, requires_grad=True)]
    cases = [
        ({"name": "adagrad", "eps": 0.0}, cfg, r"torch.OneCycleLR: cycle_momentum=True is invalid; expected False "
                                               r"with optimizer pair 'adagrad'"),
        ({"name": "adamw", "b1": {"start": 0.9, "end": 0.8, "steps": 10}}, cfg,
         r"adamw: b1=.* is invalid; expected a number: torch.OneCycleLR cycles the b1 itself"),
        ({"name": "sgd"}, {**cfg, "base_momentum": 0.0}, r"sgd: momentum=.* is invalid; expected a schedule > 0"),
    ]
    for pair, sched, match in cases:
        with pytest.raises(ValueError, match=match):
            optax_transform(pair, sched)
        with pytest.raises(ValueError, match=match):
            torch_optimizer(pair, params, sched)


def test_momentum_of_what_carries_no_spec_is_none():
    assert momentum_of(lambda t: 0.1) is None
    assert momentum_of(spec_from_config({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 2})) is None
    keys = scheduled_hyperparams({"name": "rmsprop"}, T("CyclicLR", base_lr=1e-3, max_lr=1e-2, step_size_up=4))
    assert list(keys) == ["momentum"]
    with pytest.raises(ValueError, match=r"one_cycle: base_momentum=1.0 is invalid; expected a finite number in \[0.0, "
                                         r"1.0\)"):
        spec_from_config({"schedule": "one_cycle", "total_steps": 10, "peak_value": 0.1, "base_momentum": 1.0})
    with pytest.raises(ValueError, match="cycle_momentum=1 is invalid; expected True or False"):
        spec_from_config({"schedule": "one_cycle", "total_steps": 10, "peak_value": 0.1, "cycle_momentum": 1})


# --------------------------------------------------------------------------- training parity

ONE_CYCLE = {"schedule": "torch.OneCycleLR", "total_steps": 300}  # torch's defaults: momentum cycling on
PEAKS = {"sgd_momentum": 0.05, "nesterov": 0.05, "adamw": 1e-3, "rmsprop_momentum": 2e-4, "sgd": 0.05}
TOL_PARAMS_F64, TOL_PARAMS_F32 = 1e-9, 1e-5


def train_both(pair: dict[str, Any], cfg: dict[str, Any], dtype: str) -> tuple[float, float, float]:
    """Final-parameter differences (max abs, max abs / max |param|, norm-rel) of one pair."""
    jdt, tdt = (jnp.float64, torch.float64) if dtype == "float64" else (jnp.float32, torch.float32)
    with jax.enable_x64(dtype == "float64"):
        j = run_jax(optax_transform(pair, cfg), jdt)
    t = run_torch(lambda p: torch_optimizer(pair, p, cfg), tdt)
    return diffs(j[0], t[0])


@pytest.mark.parametrize("name,dtype", [("sgd_momentum", "float64"), ("adamw", "float64"), ("adamw", "float32"),
                                        pytest.param("sgd_momentum", "float32", marks=pytest.mark.slow)])
def test_one_cycle_defaults_train_the_same(name, dtype):
    """torch.OneCycleLR with its defaults (momentum cycling on): SGD momentum and AdamW's beta1
    cycle in both frameworks and the runs agree; without the Optax momentum they do not.
    (SGD's in float32 under slow: AdamW's float32 run covers the float32 side.)"""
    cfg = {**ONE_CYCLE, "max_lr": PEAKS[name]}
    max_abs, rel_max, norm_rel = train_both({"name": name}, cfg, dtype)
    if dtype == "float64":
        assert rel_max <= TOL_PARAMS_F64, (max_abs, rel_max)
        lr_only = optax_transform({"name": name}, warmup_jax_lr(cfg))
        with jax.enable_x64(True):
            j = run_jax(lr_only, jnp.float64)
        t = run_torch(lambda p: torch_optimizer({"name": name}, p, cfg), torch.float64)
        assert diffs(j[0], t[0])[1] > 1e3 * TOL_PARAMS_F64  # moving the lr only is another run
    else:
        assert norm_rel <= TOL_PARAMS_F32, (max_abs, norm_rel)


def warmup_jax_lr(cfg: dict[str, Any]) -> Any:
    """The lr alone, as a plain function (no spec: the pair cannot see the momentum)."""
    import warmup_jax

    f = warmup_jax.schedule_from_config(cfg)
    return lambda count: f(count)


@pytest.mark.parametrize("name", ["sgd", "nesterov", "rmsprop_momentum"])
def test_cycled_momentum_other_pairs_float64(name):
    """Plain SGD (torch's OneCycleLR gives it a momentum), Nesterov and RMSprop's momentum."""
    cfg = {**ONE_CYCLE, "max_lr": PEAKS[name]}
    assert train_both({"name": name}, cfg, "float64")[1] <= TOL_PARAMS_F64


def test_cyclic_lr_momentum_trains_the_same():
    cfg = T("CyclicLR", base_lr=1e-3, max_lr=0.05, step_size_up=40, mode="triangular2")
    assert train_both({"name": "sgd_momentum"}, cfg, "float64")[1] <= TOL_PARAMS_F64


# --------------------------------------------------------------------------- the Optax route


def test_with_schedules_adds_one_count_and_keeps_the_inner_state():
    """The pair's state is ScheduledState(count, inner): inner is the state the chain has with
    constant hyperparameters; optax.inject_hyperparams adds 8 leaves for the same b1."""
    import optax

    from warmup_jax import schedule_from_config
    from warmup_jax.hyper import ScheduledState

    cfg = {"schedule": "one_cycle", "total_steps": 100, "peak_value": 1e-3}
    params = {"w": jnp.zeros((3, 2)), "b": jnp.zeros(2)}
    fixed = optax_transform({"name": "adamw"}, {**cfg, "cycle_momentum": False}).init(params)
    ours = optax_transform({"name": "adamw"}, cfg).init(params)
    assert isinstance(ours, ScheduledState) and int(ours.count) == 0
    assert jax.tree.structure(ours.inner) == jax.tree.structure(fixed)
    b1 = hyper_schedules({"b1": momentum_of(spec_from_config(cfg))})["b1"]
    inject = optax.inject_hyperparams(optax.adamw)(learning_rate=schedule_from_config(cfg), b1=b1, weight_decay=0.01)
    sizes = [len(jax.tree.leaves(s)) for s in (fixed, ours, inject.init(params))]
    assert sizes == [6, 7, 14], sizes  # adam: mu, nu (2 leaves each), counts


@pytest.mark.slow
def test_hyper_benchmark_rows():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_hyper", "--quick"], check=True,
                         capture_output=True, text=True).stdout
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith(("jax.f.", "torch.f."))}
    assert "jax.f.leaves_added.ours_b1_wd" in rows and rows["jax.f.leaves_added.ours_b1_wd"].split()[1] == "1"
    assert len(rows) == 34
