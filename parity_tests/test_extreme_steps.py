"""Extreme steps: total_steps up to 1e9 in float32 (within 1e-6 where the lr is at
least 1e-3 of the peak), the int32 counter at its maximum, and Python ints far beyond
int64 on the torch side: finite, never NaN, equal to the reference."""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import warmup_jax
import warmup_torch
from parity_tests.cases import ALL
from parity_tests.conftest import TOL_F32, TOL_F64, assert_close
from parity_tests.jitted import JitTables
from warmup_spec import spec_from_config
from warmup_spec.reference import reference, reference_table

T = 10**9
BILLION = [
    {"schedule": "warmup_cosine_decay", "peak_value": 3e-4, "warmup_steps": 10**7, "total_steps": T, "end_value": 3e-6},
    {"schedule": "warmup_linear_decay", "peak_value": 3e-4, "warmup_steps": 2 * 10**6, "total_steps": T},
    {"schedule": "warmup_polynomial_decay", "peak_value": 3e-4, "warmup_steps": 2 * 10**6, "total_steps": T,
     "power": 2.0},
    {"schedule": "warmup_stable_decay", "peak_value": 3e-4, "warmup_steps": 10**7, "stable_steps": 8 * 10**8,
     "decay_steps": 19 * 10**7, "decay_shape": "1-sqrt"},
    {"schedule": "one_cycle", "total_steps": T, "peak_value": 1e-2},
    {"schedule": "tri_stage", "peak_value": 3e-4, "warmup_steps": 10**7, "hold_steps": 4 * 10**8,
     "decay_steps": 59 * 10**7},
    {"schedule": "warmup_inverse_sqrt", "peak_value": 3e-4, "warmup_steps": 10**7},
    {"schedule": "warmup_cosine_restarts", "peak_value": 3e-4, "warmup_steps": 10**6, "cycle_steps": 10**8,
     "cycle_mul": 1.5},
    {"schedule": "warmup_exponential_decay", "peak_value": 3e-4, "warmup_steps": 10**6,
     "transition_steps": 10**8, "decay_rate": 0.5},
]


BILLION_STEPS = np.unique(np.concatenate([np.random.default_rng(0).integers(0, T + 1000, 5000),
                                          [0, 1, T - 1, T, T + 1, 2**31 - 1]]))
BILLION_JIT = JitTables(BILLION, [BILLION_STEPS] * len(BILLION), forms=("f32",))
"""The float32 ``jit(vmap)`` of every :data:`BILLION` schedule, compiled together on the first request."""


@pytest.mark.xdist_group("test_extreme_steps")
@pytest.mark.parametrize("i", range(len(BILLION)), ids=[c["schedule"] for c in BILLION])
def test_billion_step_schedules_in_float32(i):
    cfg, steps = BILLION[i], BILLION_STEPS
    ref = np.asarray(reference_table(spec_from_config(cfg), steps))
    got = BILLION_JIT.form("f32")[i]
    assert_close(got, ref, TOL_F32, "jax float32, total_steps 1e9")
    closed = warmup_torch.schedule_from_config(cfg)
    assert_close([closed(int(t)) for t in steps], ref, TOL_F64, "torch, total_steps 1e9")


@pytest.mark.parametrize("cfg", [c for _, c in ALL], ids=[i for i, _ in ALL])
def test_torch_python_ints_beyond_int64(cfg):
    f = warmup_torch.schedule_from_config(cfg)
    spec = spec_from_config(cfg)
    end = spec.end_step
    for t in (2**31, 2**63, 10**30, 2**200):
        v = f(t)
        assert math.isfinite(v) and v >= 0.0
        if end is not None:
            assert v == f(end)  # holds its final value exactly


def test_int32_counter_maximum_equals_reference_where_optax_saturates():
    """optax's own counter saturates at int32 max; our schedules stay exact there (each jitted
    on a scalar int32 step, as optax calls it; all the cases in one program)."""
    t = 2**31 - 1
    scheds = [warmup_jax.schedule_from_config(cfg) for _, cfg in ALL]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", warmup_jax.CycledMomentumWarning)  # one_cycle's, as a plain lr schedule
        values = jax.jit(lambda c: [s(c) for s in scheds])(jnp.int32(t))
    for (_, cfg), v in zip(ALL, values):
        assert v.dtype == jnp.float32 and v.shape == ()
        want = reference(spec_from_config(cfg), t)
        got = float(v)
        assert math.isfinite(got)
        assert got == pytest.approx(want, rel=1e-6, abs=1e-6 * max(want, 1e-30) + 1e-12)
