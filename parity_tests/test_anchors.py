"""Equality with the anchor libraries where they define the same schedule."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import warmup_jax
from parity_tests.conftest import TOL_F32, assert_close, errors
from warmup_spec import spec_from_config
from warmup_spec.reference import reference_table


def _table(sched, n):
    return np.asarray(jax.jit(jax.vmap(sched))(jnp.arange(n, dtype=jnp.int32)), np.float64)


@pytest.mark.parametrize("init,peak,w,T,end,exponent", [
    (0.0, 1e-3, 100, 1000, 0.0, 1.0),
    (1e-5, 3e-4, 2000, 30000, 3e-6, 1.0),
    (0.0, 1.0, 10, 997, 0.1, 2.0),
])
def test_warmup_cosine_decay_equals_optax_and_is_more_accurate(init, peak, w, T, end, exponent):
    cfg = {"schedule": "warmup_cosine_decay", "peak_value": peak, "warmup_steps": w, "total_steps": T,
           "end_value": end, "exponent": exponent, "init_value": init}
    n = T + 20
    ours = _table(warmup_jax.schedule_from_config(cfg), n)
    theirs = _table(optax.warmup_cosine_decay_schedule(init, peak, w, T, end, exponent), n)
    # the same schedule to float32 precision (optax loses digits near the end)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6 * peak)
    ref = np.asarray(reference_table(spec_from_config(cfg), range(n)))
    _, ours_rel = errors(ours, ref)
    _, theirs_rel = errors(theirs, ref)
    assert ours_rel <= TOL_F32 and ours_rel <= theirs_rel, (ours_rel, theirs_rel)
    if end == 0.0:  # decaying to 0, optax's 1 + cos(pi u) cancels: over 1e-6 off
        assert theirs_rel > TOL_F32, theirs_rel


@pytest.mark.parametrize("w,n,rate,staircase,end", [
    (100, 100, 0.9, False, None), (50, 30, 0.5, True, 1e-5), (0, 100, 1.05, False, 1e-3)])
def test_warmup_exponential_decay_equals_optax(w, n, rate, staircase, end):
    peak = 1e-4 if rate > 1 else 1e-3
    cfg = {"schedule": "warmup_exponential_decay", "peak_value": peak, "warmup_steps": w,
           "transition_steps": n, "decay_rate": rate, "staircase": staircase, "end_value": end}
    steps = 3000
    ours = _table(warmup_jax.schedule_from_config(cfg), steps)
    theirs = _table(optax.warmup_exponential_decay_schedule(0.0, peak, w, n, rate, 0, staircase, end), steps)
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7 * peak)


def test_warmup_constant_equals_optax_and_fixes_zero_warmup():
    ours = _table(warmup_jax.warmup_constant(0.1, 10, init_value=0.01), 30)
    theirs = _table(optax.warmup_constant_schedule(0.01, 0.1, 10), 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # optax returns the init value forever with warmup_steps=0; warmup_steps=0 means no warmup here
    assert float(optax.warmup_constant_schedule(0.0, 1.0, 0)(100)) == 0.0
    assert float(warmup_jax.warmup_constant(1.0, 0)(100)) == 1.0


def test_polynomial_decay_equals_optax_join():
    p, e, w, T, power = 1e-3, 1e-5, 100, 1000, 2.0
    theirs = optax.join_schedules(
        [optax.linear_schedule(0.0, p, w), optax.polynomial_schedule(p, e, power, T - w)], [w])
    ours = warmup_jax.warmup_polynomial_decay(p, w, T, e, power)
    np.testing.assert_allclose(_table(ours, T + 20), _table(theirs, T + 20), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("total,pct,div,final,anneal", [
    (1000, 0.3, 25.0, 1e4, "cos"), (777, 0.25, 10.0, 100.0, "cos"), (500, 0.45, 25.0, 1e4, "linear")])
def test_one_cycle_jax_matches_torch_onecyclelr(total, pct, div, final, anneal):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=total, pct_start=pct,
                                                anneal_strategy=anneal, div_factor=div,
                                                final_div_factor=final, cycle_momentum=False)
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step() if len(lrs) < total else None
    cfg = {"schedule": "one_cycle", "total_steps": total, "peak_value": 0.1, "pct_start": pct,
           "div_factor": div, "final_div_factor": final, "anneal": {"cos": "cosine"}.get(anneal, anneal)}
    assert_close(_table(warmup_jax.schedule_from_config(cfg), total), np.array(lrs), TOL_F32, "jax vs OneCycleLR")
    with jax.enable_x64(True):
        x64 = np.asarray(jax.vmap(warmup_jax.schedule_from_config(cfg))(jnp.arange(total)))
    assert_close(x64, np.array(lrs), 1e-12, "jax x64 vs OneCycleLR")


@pytest.mark.parametrize("T0,mult,eta_min", [(100, 1, 0.0), (50, 2, 1e-5), (37, 3, 1e-4)])
def test_cosine_restarts_jax_matches_torch_cawr(T0, mult, eta_min):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=T0, T_mult=mult, eta_min=eta_min)
    n = 2000
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    cfg = {"schedule": "warmup_cosine_restarts", "peak_value": 1e-3, "warmup_steps": 0,
           "cycle_steps": T0, "cycle_mul": float(mult), "end_value": eta_min}
    assert_close(_table(warmup_jax.schedule_from_config(cfg), n), np.array(lrs), TOL_F32, "jax vs CAWR")
    with jax.enable_x64(True):
        x64 = np.asarray(jax.vmap(warmup_jax.schedule_from_config(cfg))(jnp.arange(n)))
    assert_close(x64, np.array(lrs), 1e-12, "jax x64 vs CAWR")


def test_the_ports_report_adds_up_across_xdist_workers(monkeypatch):
    """What a worker exports the controller merges: configs add up, the worst errors and the
    library's own float32 records survive (the report printed at the end of ``make test``)."""
    from parity_tests import anchor_harness as H

    monkeypatch.setattr(H, "REPORT", {})
    H.REPORT["keras"] = H.LibraryReport({"CosineDecay"}, 2, 600, 1e-15, 2e-7, "CosineDecay", "CosineDecay")
    H.record_own_float32("keras", "CosineDecay", 3e-7, 4e-7, 1)
    worker = H.export()
    monkeypatch.setattr(H, "REPORT", {})
    H.merge(worker)
    H.merge(worker)
    rep = H.REPORT["keras"]
    assert (rep.configs, rep.steps, rep.worst_f32, rep.own_f32) == (4, 1200, 2e-7, {"CosineDecay": [3e-7, 4e-7, 2]})
    assert H.summary()[1].startswith("  keras's own float32 CosineDecay")
