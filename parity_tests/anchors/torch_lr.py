"""torch's own schedulers (``torch.optim.lr_scheduler``, torch 2.13.0), stepped as users
step them, against our ports ``"torch.<Name>"``: every step from 0 to well past the end,
edge cases where torch's recursion parts from its closed forms, nested
``SequentialLR``/``ChainedScheduler``, hypothesis-drawn configs, refusals and
``warmup_torch.to_config`` of every case's live scheduler."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import strategies as st
from torch.optim import lr_scheduler as L

from parity_tests.anchor_harness import Adapter, Case, Live, Refusal
from warmup_spec import spec_from_config


def _opt(lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)


def drive(sched: Any, opt: torch.optim.Optimizer, n: int) -> list[float]:
    """The lr of each of ``n`` updates of a torch scheduler (it may raise past its end: the
    last lr is then held, as the port does)."""
    out: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's own deprecation warnings
        for _ in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            try:
                sched.step()
            except ValueError:  # OneCycleLR past total_steps
                out += [opt.param_groups[0]["lr"]] * (n - len(out))
                break
    return out[:n]


def torch_lrs(make: Any, lr: float, n: int) -> list[float]:
    """The lr of each of ``n`` updates of the scheduler ``make(optimizer)``."""
    opt = _opt(lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(opt)
    return drive(sched, opt, n)


def build(opt: torch.optim.Optimizer, cfg: dict[str, Any]) -> Any:
    """The torch scheduler a port config describes (nested ones too), built as users build it."""
    kw = {k: v for k, v in cfg.items() if k not in ("schedule", "lr")}
    name = cfg["schedule"].removeprefix("torch.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name in ("SequentialLR", "ChainedScheduler"):
            kw["schedulers"] = [build(opt, s) for s in cfg["schedulers"]]
            if name == "SequentialLR":
                return L.SequentialLR(opt, **kw)
            return L.ChainedScheduler(kw["schedulers"], optimizer=opt)
        return getattr(L, name)(opt, **kw)


def values(cfg: dict[str, Any], n: int) -> list[float]:
    return torch_lrs(lambda opt: build(opt, cfg), float(cfg.get("lr", 0.1)), n)


def T(name: str, lr: float | None = 0.1, **kw: Any) -> dict[str, Any]:
    return {"schedule": f"torch.{name}", **({} if lr is None else {"lr": lr}), **kw}


CASES = [Case(cfg, n) for cfg, n in [
    (T("StepLR", step_size=30), 200),
    (T("StepLR", lr=1.0, step_size=1, gamma=0.97), 500),
    (T("MultiStepLR", milestones=[30, 80], gamma=0.1), 150),
    (T("MultiStepLR", milestones=[50, 10, 10, 0], gamma=0.5), 100),  # unsorted, repeated, at 0
    (T("ConstantLR"), 20),
    (T("ConstantLR", factor=0.5, total_iters=0), 20),  # torch never restores the lr
    (T("LinearLR", start_factor=0.01, total_iters=100), 300),
    (T("LinearLR", start_factor=1.0, end_factor=0.0, total_iters=37), 80),
    (T("LinearLR", start_factor=0.25, total_iters=0), 10),  # stays at start_factor
    (T("ExponentialLR", lr=3e-4, gamma=0.999), 3000),
    (T("ExponentialLR", lr=1e-7, gamma=1.01), 1000),  # an lr range test: grows 2e4 times
    (T("StepLR", lr=1e-6, step_size=10, gamma=2.0), 320),
    (T("CyclicLR", None, base_lr=1e-3, max_lr=1e-2, step_size_up=5, mode="exp_range", gamma=1.02), 100),
    (T("PolynomialLR", total_iters=50, power=2.0), 120),
    (T("PolynomialLR", total_iters=4, power=0.5), 20),
    (T("CosineAnnealingLR", T_max=100), 450),  # rises again past T_max
    (T("CosineAnnealingLR", lr=0.05, T_max=37, eta_min=1e-3), 300),
    (T("CosineAnnealingLR", lr=0.01, T_max=1), 10),
    (T("CyclicLR", None, base_lr=1e-3, max_lr=1e-2, step_size_up=10), 95),
    (T("CyclicLR", None, base_lr=1e-3, max_lr=1e-2, step_size_up=7, step_size_down=3, mode="triangular2"), 80),
    (T("CyclicLR", None, base_lr=1e-3, max_lr=1e-2, step_size_up=5, mode="exp_range", gamma=0.99), 120),
    (T("OneCycleLR", None, max_lr=0.1, total_steps=100), 130),
    (T("OneCycleLR", None, max_lr=1.0, total_steps=37, pct_start=0.25, anneal_strategy="linear",
       div_factor=10.0, final_div_factor=100.0), 50),
    (T("OneCycleLR", None, max_lr=0.3, epochs=4, steps_per_epoch=25, three_phase=True), 120),
    (T("OneCycleLR", None, max_lr=0.3, total_steps=10, pct_start=0.05), 15),  # the first phase before step 0
    (T("CosineAnnealingWarmRestarts", T_0=10), 100),
    (T("CosineAnnealingWarmRestarts", lr=0.05, T_0=3, T_mult=2, eta_min=1e-4), 200),
    (T("SequentialLR", schedulers=[T("LinearLR", None, start_factor=0.01, total_iters=100),
                                   T("CosineAnnealingLR", None, T_max=900)], milestones=[100]), 2500),
    (T("SequentialLR", lr=1e-3, schedulers=[T("ConstantLR", None, factor=0.1, total_iters=20),
                                            T("ExponentialLR", None, gamma=0.9)], milestones=[20]), 80),
    (T("SequentialLR", schedulers=[T("LinearLR", None, start_factor=0.1, total_iters=5),
                                   T("StepLR", None, step_size=7), T("CosineAnnealingWarmRestarts", None, T_0=9)],
       milestones=[5, 30]), 100),
    (T("SequentialLR", schedulers=[T("ChainedScheduler", None, schedulers=[
        T("LinearLR", None, start_factor=0.1, total_iters=10), T("ExponentialLR", None, gamma=0.95)]),
        T("PolynomialLR", None, total_iters=40)], milestones=[30]), 90),
    (T("ChainedScheduler", schedulers=[T("ConstantLR", None, factor=0.1, total_iters=10),
                                       T("ExponentialLR", None, gamma=0.9)]), 60),
    (T("ChainedScheduler", schedulers=[T("LinearLR", None, start_factor=0.2, total_iters=8),
                                       T("MultiStepLR", None, milestones=[5, 12]),
                                       T("StepLR", None, step_size=4, gamma=0.8)]), 40),
]]
LIVE = [Live(c.cfg['schedule'][6:], lambda opt, cfg=c.cfg: build(opt, cfg), c.n,
             lr=float(c.cfg.get("lr", 0.1)), shape=lambda got, _, cfg=c.cfg: _same_spec(got, cfg))
        for c in CASES]
# Growing e^G times, float32's exp() of a float32 argument is off by about G * 6e-8 relative (the
# rounding of ``t * log(gamma)``): 1e-7 * 1.01**t to 1e6 (G = 30) within 2.5e-6 of torch, in float64 to 1e-13
CASES.append(Case(T("ExponentialLR", lr=1e-7, gamma=1.01), 3000, tol_f64=1e-13, tol_f32=2.5e-6))


def _same_spec(got: Any, cfg: dict[str, Any]) -> None:
    """``to_config`` of the live scheduler: the same spec (OneCycleLR: one with the same phase
    ends and lrs, equal to torch at every step)."""
    if cfg["schedule"] != "torch.OneCycleLR":
        assert spec_from_config(got) == spec_from_config(cfg)


@st.composite
def _cosine(draw: Any) -> Case:
    """Where the cosine rises from ``lr`` to a higher ``eta_min``, torch's recursion drifts from
    its closed form near the low, more than 1e-12 relative (lr 1e-3, eta_min 5e-3, T_max 160, step
    285: 3.3e-12; T_max 111, step 206: torch 0.001201585570207113, the port 0.0012015855702083265,
    the exact value to 17 digits (mpmath)): 1e-11 there, 1e-12 elsewhere."""
    T_max = draw(st.integers(1, 200))
    cfg = T("CosineAnnealingLR", lr=draw(st.sampled_from([1e-3, 0.1, 1.0])), T_max=T_max,
            eta_min=draw(st.sampled_from([0.0, 1e-4, 5e-3])))
    return Case(cfg, int(draw(st.floats(1.0, 3.5)) * T_max) + 2, tol_f64=1e-11 if cfg["eta_min"] > cfg["lr"] else 1e-12)


@st.composite
def _one_cycle(draw: Any) -> Case:
    """Drawn where torch divides by 0 in an empty phase too: then refused (``drawn_refusal``)."""
    total = draw(st.integers(2, 300))
    cfg = T("OneCycleLR", None, max_lr=0.1, total_steps=total, pct_start=draw(st.floats(0.05, 0.95)),
            div_factor=draw(st.sampled_from([5.0, 25.0])), final_div_factor=draw(st.sampled_from([10.0, 1e4])),
            anneal_strategy=draw(st.sampled_from(["cos", "linear"])), three_phase=draw(st.booleans()))
    return Case(cfg, total + 5)


@st.composite
def _cyclic(draw: Any) -> Case:
    up, down = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    cfg = T("CyclicLR", None, base_lr=1e-3, max_lr=1e-2, step_size_up=up, step_size_down=down,
            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
            gamma=draw(st.sampled_from([1.0, 0.99, 0.95])))
    return Case(cfg, 4 * (up + down) + 3)


REFUSED = [Refusal(cfg, match) for cfg, match in [
    (T("StepLR", step_size=0), "step_size=0 is invalid"),
    (T("ConstantLR", factor=1.5), "factor=1.5 is invalid"),
    (T("LinearLR", start_factor=0.0), "start_factor=0.0 is invalid"),
    (T("CosineAnnealingLR", T_max=0), "T_max=0 is invalid"),
    (T("CyclicLR", None, base_lr=0.1, max_lr=1.0, mode="sawtooth"), "mode='sawtooth' is invalid"),
    (T("OneCycleLR", None, max_lr=0.1), "total_steps=None is invalid"),
    (T("CosineAnnealingWarmRestarts", T_0=10, T_mult=0), "T_mult=0 is invalid"),
    (T("SequentialLR", schedulers=[T("StepLR", None, step_size=3)], milestones=[5]), "milestones=\\[5\\] is invalid"),
    (T("SequentialLR", schedulers=[T("StepLR", None, step_size=3), T("ChainedScheduler", None, schedulers=[
        T("StepLR", None, step_size=2)])], milestones=[5]), "cannot restart a nested"),
    (T("ChainedScheduler", schedulers=[T("CosineAnnealingLR", None, T_max=5)]), "multiplicative"),
    (T("ChainedScheduler", lr=0.1, schedulers=[T("StepLR", lr=0.2, step_size=5)]), "share the optimizer"),
]]
# a pct_start that empties a phase: torch constructs the scheduler, then divides by 0 at its first step
_EMPTY = T("OneCycleLR", None, max_lr=0.1, total_steps=10, pct_start=0.1)
REFUSED.insert(6, Refusal(_EMPTY, "pct_start=0.1 is invalid", lambda: values(_EMPTY, 5), ZeroDivisionError))

ADAPTER = Adapter("torch", values, CASES, drawn=[_cosine(), _one_cycle(), _cyclic()], refused=REFUSED, live=LIVE,
                  drive=drive, drawn_refusal=ZeroDivisionError)


# --- torch's own -------------------------------------------------------------------------


@pytest.mark.parametrize("cfg", [T("ExponentialLR", lr=0.1, gamma=1.5), T("StepLR", lr=0.1, step_size=3, gamma=10.0)],
                         ids=["ExponentialLR", "StepLR"])
def test_torch_growth_without_end_holds_3e38(cfg):
    """torch's float lr grows on to inf; the ports follow it up to 3e38, just within
    float32's range, and hold there in every front end (never inf, never NaN)."""
    import warmup_jax
    import warmup_torch
    from warmup_spec import tables

    lrs = values(cfg, 301)
    assert lrs[300] > 1e50  # torch's own
    host = warmup_torch.schedule_from_config(cfg)
    jax_fn = warmup_jax.schedule_from_config(cfg)
    table = tables.lr_table(cfg, np.arange(1001))
    assert np.isfinite(table).all() and table[300:].tolist() == [3e38] * 701
    for k in [0, 10, 100, 299, 300, 1000, 10**6, 2**31 - 1]:
        expected = min(lrs[k], 3e38) if k <= 300 else 3e38
        assert host(k) == pytest.approx(expected, rel=1e-12), k
        growth = math.log(expected / 0.1)  # float32: about 6e-8 relative per e-fold
        assert float(jax_fn(k)) == pytest.approx(expected, rel=1e-7 * (1 + growth)), k


def test_torch_to_config_one_per_group_when_base_lrs_differ():
    import warmup_torch

    params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.02}], lr=0.1)
    sched = L.CosineAnnealingLR(opt, T_max=20, eta_min=1e-3)
    got = warmup_torch.to_config(sched)
    assert got == [{"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 20, "eta_min": 1e-3},
                   {"schedule": "torch.CosineAnnealingLR", "lr": 0.02, "T_max": 20, "eta_min": 1e-3}]
    ours_opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                                {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.02}], lr=0.1)
    ours = warmup_torch.ScheduleLR(ours_opt, got)
    for _ in range(60):  # every group follows torch's own per-group lr
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx([g["lr"] for g in opt.param_groups],
                                                                          rel=1e-13)
        opt.step(), sched.step(), ours_opt.step(), ours.step()


def test_torch_to_config_of_lambdas_and_plateau():
    import warmup_torch

    opt = _opt(0.5)
    with pytest.raises(ValueError, match="cannot see inside"):
        warmup_torch.to_config(L.LambdaLR(opt, lambda t: 0.9**t))
    with pytest.raises(ValueError, match="follows a metric"):
        warmup_torch.to_config(L.ReduceLROnPlateau(_opt(0.5)))
    f = warmup_torch.warmup_linear_decay(1.0, warmup_steps=2, total_steps=6)  # ours, as a LambdaLR factor
    got = warmup_torch.to_config(L.LambdaLR(_opt(0.5), f))
    assert got == {"schedule": "scaled", "base": f.config(), "factor": 0.5}
    ours = warmup_torch.schedulers.warmup_cosine_decay(_opt(0.5), 0.5, 10, 100)
    assert warmup_torch.to_config(ours) == ours.schedule.config()
    with pytest.raises(ValueError, match="is not a scheduler we can read"):
        warmup_torch.to_config(object())


def test_a_torch_recipe_ports_to_jax_in_one_line():
    """The issue's example: SequentialLR(LinearLR(0.01, 1000), CosineAnnealingLR(9000)), to JAX."""
    import jax
    import jax.numpy as jnp

    import warmup_jax
    import warmup_torch

    def make(o: torch.optim.Optimizer) -> Any:
        return L.SequentialLR(o, [L.LinearLR(o, start_factor=0.01, total_iters=1000),
                                  L.CosineAnnealingLR(o, T_max=9000)], milestones=[1000])

    sched = make(_opt(1e-3))
    expected = torch_lrs(make, 1e-3, 12000)
    with jax.enable_x64(True):
        schedule = warmup_jax.schedule_from_config(warmup_torch.to_config(sched))  # the one line
        got = np.asarray(jax.jit(jax.vmap(schedule))(jnp.arange(12000)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert got[10000] == 0.0 and got[10001] > 0.0  # torch's cosine rises again past T_max: so does the port


def _catalogue_vs_torch(make: Any, lr: float, n: int, cfg: dict[str, Any]) -> None:
    """A catalogue schedule's jax form, jitted (float32 within 1e-6, x64 within 1e-12), against torch's."""
    from parity_tests.conftest import TOL_F32, assert_close
    from parity_tests.jitted import JitTables

    lrs = np.array(torch_lrs(make, lr, n))
    x64, f32 = JitTables([cfg], [np.arange(n)]).get(0)
    assert_close(f32, lrs, TOL_F32, "jax vs torch")
    assert_close(x64, lrs, 1e-12, "jax x64 vs torch")


@pytest.mark.parametrize("total,pct,div,final,anneal", [
    (1000, 0.3, 25.0, 1e4, "cos"), (777, 0.25, 10.0, 100.0, "cos"), (500, 0.45, 25.0, 1e4, "linear")])
def test_torch_one_cycle_jax_matches_onecyclelr(total, pct, div, final, anneal):
    def make(opt: torch.optim.Optimizer) -> Any:
        return L.OneCycleLR(opt, max_lr=0.1, total_steps=total, pct_start=pct, anneal_strategy=anneal,
                            div_factor=div, final_div_factor=final, cycle_momentum=False)

    cfg = {"schedule": "one_cycle", "total_steps": total, "peak_value": 0.1, "pct_start": pct,
           "div_factor": div, "final_div_factor": final, "anneal": {"cos": "cosine"}.get(anneal, anneal)}
    _catalogue_vs_torch(make, 0.1, total, cfg)


@pytest.mark.parametrize("T0,mult,eta_min", [(100, 1, 0.0), (50, 2, 1e-5), (37, 3, 1e-4)])
def test_torch_cosine_restarts_jax_matches_cawr(T0, mult, eta_min):
    cfg = {"schedule": "warmup_cosine_restarts", "peak_value": 1e-3, "warmup_steps": 0,
           "cycle_steps": T0, "cycle_mul": float(mult), "end_value": eta_min}
    _catalogue_vs_torch(lambda opt: L.CosineAnnealingWarmRestarts(opt, T_0=T0, T_mult=mult, eta_min=eta_min),
                        1e-3, 2000, cfg)
