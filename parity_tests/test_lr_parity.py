"""Every schedule, several configs, every step from 0 to well past the end: JAX
float32 (jit), JAX x64 and torch (the plain callable and the real scheduler driving
an optimizer) against the independent float64 reference."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import warmup_jax
import warmup_torch
from parity_tests.cases import ALL, FAR_STEPS, steps_for
from parity_tests.conftest import TOL_F32, TOL_F64, assert_close
from warmup_spec import spec_from_config
from warmup_spec.reference import reference_table

IDS = [case_id for case_id, _ in ALL]
CFGS = [cfg for _, cfg in ALL]


def _reference(cfg, steps):
    return np.asarray(reference_table(spec_from_config(cfg), steps), np.float64)


@pytest.mark.parametrize("cfg", CFGS, ids=IDS)
def test_jax_float32_jit_matches_reference(cfg):
    """Every step to well past the end, and the far steps up to the int32 maximum (where
    optax's counter saturates), in one compiled evaluation: finite and equal."""
    steps = steps_for(cfg)
    ref = _reference(cfg, steps)
    sched = warmup_jax.schedule_from_config(cfg)
    got = np.asarray(jax.jit(jax.vmap(sched))(jnp.asarray(np.concatenate([steps, FAR_STEPS]), jnp.int32)))
    assert got.dtype == np.float32
    assert_close(got[:len(steps)], ref, TOL_F32, "jax float32")
    far = _reference(cfg, FAR_STEPS)
    assert_close(got[len(steps):], far, TOL_F32, "jax float32 far", max(float(np.max(ref)), float(np.max(far))))


@pytest.mark.parametrize("cfg", CFGS, ids=IDS)
def test_jax_x64_matches_reference(cfg):
    steps = steps_for(cfg)
    ref = _reference(cfg, steps)
    with jax.enable_x64(True):
        sched = warmup_jax.schedule_from_config(cfg)
        got = jax.jit(jax.vmap(sched))(jnp.asarray(steps))
        assert got.dtype == jnp.float64
        got = np.asarray(got)
    assert_close(got, ref, TOL_F64, "jax x64")


@pytest.mark.parametrize("cfg", CFGS, ids=IDS)
def test_torch_callable_matches_reference(cfg):
    steps = steps_for(cfg)
    ref = _reference(cfg, steps)
    sched = warmup_torch.schedule_from_config(cfg)
    got = np.array([sched(int(t)) for t in steps])
    assert_close(got, ref, TOL_F64, "torch callable")


@pytest.mark.parametrize("cfg", CFGS, ids=IDS)
def test_torch_scheduler_drives_optimizer_like_reference(cfg):
    """The lr seen by the k-th optimizer.step() is f(k) (scheduler.step() after it)."""
    steps = steps_for(cfg)
    ref = _reference(cfg, steps)
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=123.0)  # one group: the optimizer's lr is irrelevant
    scheduler = warmup_torch.scheduler_from_config(opt, cfg)
    seen = []
    for _ in steps:
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    assert_close(np.array(seen), ref, TOL_F64, "torch scheduler")


@pytest.mark.parametrize("cfg", CFGS, ids=IDS)
def test_far_steps_torch(cfg):
    """Steps up to the int32 maximum: finite, equal (JAX float32's far steps:
    ``test_jax_float32_jit_matches_reference``; the jitted scalar form: ``test_step_types_agree``)."""
    ref = _reference(cfg, FAR_STEPS)
    peak = max(float(np.max(_reference(cfg, steps_for(cfg)))), float(np.max(ref)))
    t_sched = warmup_torch.schedule_from_config(cfg)
    assert_close([t_sched(t) for t in FAR_STEPS], ref, TOL_F64, "torch far", peak)


@pytest.mark.parametrize("cfg", CFGS, ids=IDS)
def test_step_types_agree(cfg):
    """A Python int, a NumPy int and a traced int32 give the same value."""
    sched = warmup_jax.schedule_from_config(cfg)
    jitted = jax.jit(sched)
    for t in (0, 1, 7, 99, 100, 101, 1234):
        a = sched(t)
        b = sched(np.int32(t))
        c = sched(np.int64(t))
        d = jitted(jnp.int32(t))
        assert a.dtype == d.dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray([a, a]), np.asarray([b, c]))
        # op-by-op (eager) and fused (jit) evaluation may differ by an ulp in sin/exp
        np.testing.assert_allclose(np.asarray(a), np.asarray(d), rtol=2.5e-7, atol=0)


def test_x64_beyond_int32_matches_torch_and_reference():
    cfg = {"schedule": "warmup_inverse_sqrt", "peak_value": 1e-3, "warmup_steps": 1000}
    steps = [2**31, 2**40, 10**15]
    ref = _reference(cfg, steps)
    with jax.enable_x64(True):
        got = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, jnp.int64)))
    assert_close(got, ref, TOL_F64, "jax x64 int64", peak=1e-3)
    t_sched = warmup_torch.schedule_from_config(cfg)
    assert_close([t_sched(t) for t in steps], ref, TOL_F64, "torch int", peak=1e-3)
