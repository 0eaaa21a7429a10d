"""Every schedule, several configs, every step from 0 to well past the end: JAX
float32 (jit), JAX x64 and torch (the plain callable and the real scheduler driving
an optimizer) against the independent float64 reference.

The jitted forms of all the cases are computed in a few XLA programs (:class:`JitTables`,
each config's values bitwise its own jit's), by one worker (``xdist_group``); the reference
of a case is computed once and shared by its tests."""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import warmup_jax
import warmup_torch
from parity_tests.cases import ALL, FAR_STEPS, steps_for
from parity_tests.conftest import TOL_F32, TOL_F64, assert_close
from parity_tests.jitted import JitTables
from warmup_spec import spec_from_config
from warmup_spec.reference import reference_table

IDS = [case_id for case_id, _ in ALL]
CFGS = [cfg for _, cfg in ALL]
CASES = [pytest.param(i, id=case_id) for i, case_id in enumerate(IDS)]
JIT = JitTables(CFGS, [np.concatenate([steps_for(cfg), FAR_STEPS]) for cfg in CFGS])
"""Each case's jitted x64 and float32 forms at every step of ``steps_for`` and the far steps."""
JITTED = pytest.mark.xdist_group("test_lr_parity")
"""The tests that read :data:`JIT`: one worker computes it."""
STEP_TYPE_STEPS = (0, 1, 7, 99, 100, 101, 1234)
OPTIMIZER_STEPS = 200
"""``test_torch_scheduler_drives_optimizer_like_reference``: the updates the optimizer steps through."""


def _reference(cfg, steps):
    return np.asarray(reference_table(spec_from_config(cfg), steps), np.float64)


@functools.cache
def _references(i: int) -> tuple[np.ndarray, np.ndarray]:
    """Case ``i``'s reference at every step of ``steps_for`` and at the far steps."""
    return _reference(CFGS[i], steps_for(CFGS[i])), _reference(CFGS[i], FAR_STEPS)


def _out_dtype(cfg, steps) -> np.dtype:
    """The dtype ``jit(vmap(schedule))`` gives at ``steps`` (traced, not compiled)."""
    return np.dtype(jax.eval_shape(jax.vmap(warmup_jax.schedule_from_config(cfg)), steps).dtype)


@functools.cache
def _scalar_jits() -> list[list[float]]:
    """Each case's schedule jitted on a scalar int32 step (as a user jits ``sched(count)``), at
    :data:`STEP_TYPE_STEPS`: every case in one program, compiled once for all the steps."""
    scheds = [warmup_jax.schedule_from_config(cfg) for cfg in CFGS]
    program = jax.jit(lambda t: [s(t) for s in scheds])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", warmup_jax.CycledMomentumWarning)  # one_cycle's, as a plain lr schedule
        program = program.lower(jnp.int32(0)).compile()
    out = [[] for _ in CFGS]
    for t in STEP_TYPE_STEPS:
        values = program(jnp.int32(t))
        for row, v in zip(out, values):
            assert v.dtype == jnp.float32 and v.shape == ()
            row.append(np.asarray(v))
    return out


@JITTED
@pytest.mark.parametrize("i", CASES)
def test_jax_float32_jit_matches_reference(i):
    """Every step to well past the end, and the far steps up to the int32 maximum (where
    optax's counter saturates), in one compiled evaluation: finite and equal."""
    cfg = CFGS[i]
    ref, far = _references(i)
    assert _out_dtype(cfg, jax.ShapeDtypeStruct((len(ref),), jnp.int32)) == np.float32
    got = JIT.get(i)[1]
    assert_close(got[:len(ref)], ref, TOL_F32, "jax float32")
    assert_close(got[len(ref):], far, TOL_F32, "jax float32 far", max(float(np.max(ref)), float(np.max(far))))


@JITTED
@pytest.mark.parametrize("i", CASES)
def test_jax_x64_matches_reference(i):
    """Every step to well past the end at int64 steps, and the far steps, jitted under x64."""
    cfg = CFGS[i]
    ref, far = _references(i)
    with jax.enable_x64(True):
        assert _out_dtype(cfg, jax.ShapeDtypeStruct((len(ref),), jnp.int64)) == np.float64
    got = JIT.get(i)[0]
    assert got is not None
    assert_close(got[:len(ref)], ref, TOL_F64, "jax x64")
    assert_close(got[len(ref):], far, TOL_F64, "jax x64 far", max(float(np.max(ref)), float(np.max(far))))


@pytest.mark.parametrize("i", CASES)
def test_torch_callable_matches_reference(i):
    cfg, steps, ref = CFGS[i], steps_for(CFGS[i]), _references(i)[0]
    sched = warmup_torch.schedule_from_config(cfg)
    got = np.array([sched(int(t)) for t in steps])
    assert_close(got, ref, TOL_F64, "torch callable")


@pytest.mark.parametrize("i", CASES)
def test_torch_scheduler_drives_optimizer_like_reference(i):
    """The lr seen by the k-th optimizer.step() is f(k) (scheduler.step() after it), at every
    step. The optimizer steps through the first updates (torch's order check, its patched step
    counter); after them its step (SGD of a parameter without a gradient: ~40 us of torch's
    wrappers, most of this test's time over 30000 steps) neither reads nor writes what is
    checked, the group's lr, which only ``scheduler.step()`` writes."""
    cfg, steps, ref = CFGS[i], steps_for(CFGS[i]), _references(i)[0]
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=123.0)  # one group: the optimizer's lr is irrelevant
    scheduler = warmup_torch.scheduler_from_config(opt, cfg)
    seen = []
    for k in range(len(steps)):
        seen.append(opt.param_groups[0]["lr"])
        if k < OPTIMIZER_STEPS:
            opt.step()
        scheduler.step()
    assert_close(np.array(seen), ref, TOL_F64, "torch scheduler")


@pytest.mark.parametrize("i", CASES)
def test_far_steps_torch(i):
    """Steps up to the int32 maximum: finite, equal (JAX float32's far steps:
    ``test_jax_float32_jit_matches_reference``; the jitted scalar form: ``test_step_types_agree``)."""
    near, ref = _references(i)
    peak = max(float(np.max(near)), float(np.max(ref)))
    t_sched = warmup_torch.schedule_from_config(CFGS[i])
    assert_close([t_sched(t) for t in FAR_STEPS], ref, TOL_F64, "torch far", peak)


@pytest.mark.xdist_group("test_lr_parity_scalar")
@pytest.mark.parametrize("i", CASES)
def test_step_types_agree(i):
    """A Python int, a NumPy int and a traced int32 give the same value (the scalar jit of
    every case in one program: :func:`_scalar_jits`)."""
    sched = warmup_jax.schedule_from_config(CFGS[i])
    for t, d in zip(STEP_TYPE_STEPS, _scalar_jits()[i]):
        a = sched(t)
        b = sched(np.int32(t))
        c = sched(np.int64(t))
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
