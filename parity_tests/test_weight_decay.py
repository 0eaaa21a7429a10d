"""Weight-decay schedules (``warmup_spec.hyper.Ramp``): Megatron-LM's ``get_wd`` (start -> end,
constant / linear / cosine) at every step in every front end, each param group's multiplier
(Megatron's ``wd_mult``), torch's AdamW coupling ``p *= 1 - lr * wd`` with both scheduled and
optax's matched, ``ScheduleLR``'s state, and training parity on top of an lr schedule."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import warmup_torch
from parity_tests.conftest import errors
from parity_tests.test_momentum import train_both
from parity_tests.test_optimizer_pairs import diffs, run_jax, run_torch
from warmup_jax.hyper import hyper_schedules
from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer
from warmup_spec import Schedule
from warmup_spec.hyper import Ramp, hyper_spec

# =========================================================================================
# Megatron-LM: megatron/core/optimizer_param_scheduler.py, NVIDIA/Megatron-LM commit
# 00caa53af30912914981c86f39db123961678bbd (OptimizerParamScheduler: the weight-decay part
# of __init__, get_wd and step, verbatim; the lr part is in parity_tests/anchors/formulas.py).
# =========================================================================================


class MegatronWeightDecay:
    def __init__(self, optimizer, start_wd, end_wd, wd_incr_steps, wd_incr_style):
        self.optimizer = optimizer
        self.start_wd = start_wd
        self.end_wd = end_wd
        assert self.start_wd >= 0.0
        assert self.end_wd >= self.start_wd
        self.wd_incr_steps = wd_incr_steps
        self.wd_incr_style = wd_incr_style
        self.num_steps = 0
        self.step(0)

    def get_wd(self) -> float:
        """Weight decay incr functions"""
        if self.num_steps > self.wd_incr_steps:
            return self.end_wd

        if self.wd_incr_style == 'constant':
            assert self.start_wd == self.end_wd
            return self.end_wd

        incr_ratio = float(self.num_steps) / float(self.wd_incr_steps)
        assert incr_ratio >= 0.0
        assert incr_ratio <= 1.0
        delta_wd = self.end_wd - self.start_wd

        if self.wd_incr_style == 'linear':
            coeff = incr_ratio
        elif self.wd_incr_style == 'cosine':
            coeff = 0.5 * (math.cos(math.pi * (1 - incr_ratio)) + 1.0)
        else:
            raise Exception(f'{self.wd_incr_style} weight decay increment style is not supported.')

        return self.start_wd + coeff * delta_wd

    def step(self, increment: int) -> None:
        self.num_steps += increment
        new_wd = self.get_wd()
        for param_group in self.optimizer.param_groups:
            param_group['weight_decay'] = new_wd * param_group.get('wd_mult', 1.0)


# =========================================================================================

TOL_F64, TOL_F32 = 1e-12, 1e-6


class Groups:
    def __init__(self, mults: list[float]) -> None:
        self.param_groups = [{"wd_mult": m} for m in mults]


def megatron_wds(start: float, end: float, steps: int, style: str, n: int, mults: list[float]) -> np.ndarray:
    """Megatron's training loop: built (``step(0)``), ``step(1)`` after every update; the
    weight decay of each group at each of ``n`` updates."""
    opt = Groups(mults)
    sched = MegatronWeightDecay(opt, start, end, steps, style)
    out = []
    for _ in range(n):
        out.append([g["weight_decay"] for g in opt.param_groups])
        sched.step(1)
    return np.asarray(out)


RAMPS = [(0.0, 0.1, 100, "cosine"), (0.01, 0.1, 37, "linear"), (0.05, 0.05, 10, "constant"),
         (0.033, 0.2, 1, "cosine")]
MULTS = [1.0, 0.0, 0.5]  # a group at the default, a no-decay group, a half-decay group


@pytest.mark.parametrize("start,end,steps,style", RAMPS)
def test_ramp_is_megatron_get_wd_in_every_front_end(start, end, steps, style):
    n = 2 * steps + 5
    expected = megatron_wds(start, end, steps, style, n, MULTS)
    ramp = Ramp(start, end, steps, style)
    host = np.array([Schedule(ramp)(t) for t in range(n)])
    (fn,) = hyper_schedules({"weight_decay": ramp}).values()
    with jax.enable_x64(True):
        x64 = np.asarray(jax.jit(jax.vmap(fn))(jnp.arange(n, dtype=jnp.int64)))
    f32 = np.asarray(jax.jit(jax.vmap(fn))(jnp.arange(n, dtype=jnp.int32)), np.float64)
    # torch: our scheduler writes it beside the lr, each group times its own / the default
    params = [torch.zeros(1, requires_grad=True) for _ in MULTS]
    opt = torch.optim.AdamW([{"params": [p], "weight_decay": m} for p, m in zip(params, MULTS)], lr=1.0,
                            weight_decay=1.0)
    sched = warmup_torch.ScheduleLR(opt, {"schedule": "warmup_constant", "peak_value": 1e-3, "warmup_steps": 5},
                                    hyper={"weight_decay": ramp.config()})
    written = []
    for _ in range(n):
        written.append([g["weight_decay"] for g in opt.param_groups])
        opt.step()
        sched.step()
    for got, tol in ((host, TOL_F64), (x64, TOL_F64), (f32, TOL_F32)):
        assert max(errors(got, expected[:, 0], end)) <= tol
    np.testing.assert_allclose(np.asarray(written), expected, rtol=TOL_F64, atol=TOL_F64 * end)
    assert np.asarray(written)[:, 1].tolist() == [0.0] * n  # no decay stays no decay


def test_adamw_coupling_is_lr_times_wd_in_both():
    """With a zero gradient AdamW's update is the decay alone: p_k = prod_j (1 - lr(j) wd(j))."""
    lr_cfg = {"schedule": "warmup_linear_decay", "peak_value": 0.5, "warmup_steps": 3, "total_steps": 10}
    pair = {"name": "adamw", "weight_decay": {"start": 0.0, "end": 0.2, "steps": 8, "style": "cosine"}}
    lr, wd = Schedule(lr_cfg), Schedule(Ramp(0.0, 0.2, 8, "cosine"))
    expected = [1.0]
    for k in range(12):
        expected.append(expected[-1] * (1 - lr(k) * wd(k)))
    with jax.enable_x64(True):
        tx = optax_transform(pair, lr_cfg)
        p = jnp.ones(1, jnp.float64)
        state = tx.init(p)
        got_jax = [1.0]
        for _ in range(12):
            u, state = tx.update(jnp.zeros(1, jnp.float64), state, p)
            p = p + u
            got_jax.append(float(p[0]))
    w = torch.ones(1, dtype=torch.float64, requires_grad=True)
    opt, sched = torch_optimizer(pair, [w], lr_cfg)
    got_torch = [1.0]
    for _ in range(12):
        w.grad = torch.zeros_like(w)
        opt.step()
        sched.step()
        got_torch.append(float(w.detach()[0]))
    np.testing.assert_allclose(got_jax, expected, rtol=1e-15)
    np.testing.assert_allclose(got_torch, expected, rtol=1e-15)
    assert expected[-1] < 0.85  # the decay did something


def test_scheduler_state_keeps_the_weight_decay_schedule():
    ramp = {"start": 0.0, "end": 0.1, "steps": 20, "style": "linear"}
    cfg = {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 5, "total_steps": 40}
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.AdamW([{"params": [p]}, {"params": [], "weight_decay": 0.0}], lr=1.0, weight_decay=1.0)
    sched = warmup_torch.ScheduleLR(opt, cfg, hyper={"weight_decay": ramp})
    for _ in range(7):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert state["hyper"] == {"weight_decay": ramp} and state["hyper_ratios"] == [1.0, 0.0]
    fresh = torch.optim.AdamW([{"params": [p]}, {"params": [], "weight_decay": 0.0}], lr=1.0, weight_decay=1.0)
    again = warmup_torch.ScheduleLR(fresh, cfg, hyper={"weight_decay": ramp})
    again.load_state_dict(state)
    again.write_lrs()
    assert [g["weight_decay"] for g in fresh.param_groups] == [Schedule(Ramp(**ramp))(7), 0.0]
    with pytest.raises(ValueError, match=r"the saved state has hyper=\{'weight_decay'.*but this scheduler has no "
                                         r"hyperparameter schedules"):
        warmup_torch.ScheduleLR(fresh, cfg).load_state_dict(state)
    assert "hyper" not in warmup_torch.ScheduleLR(fresh, cfg).state_dict()


@pytest.mark.parametrize("value,match", [
    ({"start": 0.0, "end": 0.1, "steps": 10, "style": "cosin"}, "ramp: style='cosin' is invalid; expected one of"),
    ({"start": 0.0, "end": 0.1, "steps": 10, "style": "constant"},
     r"ramp: end=0.1 is invalid; expected start \(0.0\) with style='constant'"),
    ({"start": -0.1, "end": 0.1, "steps": 10}, "ramp: start=-0.1 is invalid; expected a finite number >= 0.0"),
    ({"start": 0.0, "end": 0.1, "steps": 0}, "ramp: steps=0 is invalid; expected an integer >= 1"),
    ({"start": 0.0, "end": 0.1}, "ramp: missing required parameter 'steps'"),
    ({"start": 0.0, "end": 0.1, "steps": 5, "sytle": "linear"}, "ramp: unknown parameter 'sytle'"),
    (0.1j, r"adamw: weight_decay must be a number, got 0.1j"),
])
def test_ramp_mistakes(value, match):
    with pytest.raises(ValueError, match=match):
        optimizer_from_config({"name": "adamw", "weight_decay": value})


def test_schedules_only_where_the_pair_has_the_hyperparameter():
    with pytest.raises(ValueError, match="adam: unknown hyperparameter"):
        optimizer_from_config({"name": "adam", "weight_decay": {"start": 0.0, "end": 0.1, "steps": 5}})
    with pytest.raises(ValueError, match=r"adamw: b1=.* is invalid; expected a schedule within \[0, 1\)"):
        optimizer_from_config({"name": "adamw", "b1": {"start": 0.9, "end": 1.0, "steps": 5}})
    spec = optimizer_from_config({"name": "adamw", "weight_decay": {"schedule": "warmup_constant",
                                                                    "peak_value": 0.1, "warmup_steps": 10}})
    assert spec.to_config()["weight_decay"]["schedule"] == "warmup_constant"
    assert hyper_spec("wd", spec.to_config()["weight_decay"]) == spec["weight_decay"]


@pytest.mark.parametrize("make,hyper,match", [
    (torch.optim.Rprop, {"weight_decay": {"start": 0.0, "end": 0.1, "steps": 5}},
     r"ScheduleLR: hyper='weight_decay' is invalid; expected a hyperparameter of the optimizer \(Rprop has no "),
    (torch.optim.Adagrad, {"momentum": {"start": 0.9, "end": 0.8, "steps": 5}},
     r"ScheduleLR: hyper='momentum' is invalid; expected a hyperparameter of the optimizer \(Adagrad has no "),
    (torch.optim.SGD, {"nesterov": {"start": 0.9, "end": 0.8, "steps": 5}},
     r"ScheduleLR: hyper='nesterov' is invalid; expected one of 'momentum', 'weight_decay'"),
    (torch.optim.SGD, {"weight_decay": 0.1}, r"ScheduleLR: hyper\['weight_decay'\]=0.1 is invalid; expected a number"),
])
def test_scheduler_refuses_what_the_optimizer_lacks(make, hyper, match):
    cfg = {"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 0}
    with pytest.raises(ValueError, match=match):
        warmup_torch.ScheduleLR(make([torch.zeros(1, requires_grad=True)], lr=0.1), cfg, hyper=hyper)


# --------------------------------------------------------------------------- training parity

COSINE = {"schedule": "warmup_cosine_decay", "warmup_steps": 40, "total_steps": 300}
WD_UP = {"start": 0.0, "end": 0.3, "steps": 300, "style": "cosine"}  # Megatron's increment
WD_DOWN = {"start": 0.05, "end": 0.005, "steps": 200, "style": "linear"}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_adamw_weight_decay_schedule_trains_the_same(dtype):
    pair = {"name": "adamw", "weight_decay": WD_UP}
    cfg = {**COSINE, "peak_value": 3e-3}
    max_abs, rel_max, norm_rel = train_both(pair, cfg, dtype)
    if dtype == "float64":
        assert rel_max <= 1e-9, (max_abs, rel_max)
        # the schedule matters: its final value held throughout is another run
        assert train_both({"name": "adamw", "weight_decay": 0.3}, cfg, "float64")[1] <= 1e-9
        with jax.enable_x64(True):
            j = run_jax(optax_transform({"name": "adamw", "weight_decay": 0.3}, cfg), jnp.float64)
        t = run_torch(lambda p: torch_optimizer(pair, p, cfg), torch.float64)
        assert diffs(j[0], t[0])[1] > 1e-6
    else:
        assert norm_rel <= 1e-5, (max_abs, norm_rel)


@pytest.mark.parametrize("pair,peak", [({"name": "adam_l2", "weight_decay": WD_DOWN}, 1e-3),
                                       ({"name": "sgd_l2", "momentum": 0.9, "weight_decay": WD_DOWN}, 0.05)])
def test_coupled_weight_decay_schedule_trains_the_same(pair, peak):
    assert train_both(pair, {**COSINE, "peak_value": peak}, "float64")[1] <= 1e-9
