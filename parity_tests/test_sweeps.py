"""Exhaustive sweeps (marker ``slow``, run by ``make test-all``): long schedules,
every step, float32 JAX against the float64 reference."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import warmup_jax
from parity_tests.conftest import TOL_F32, assert_close
from warmup_spec import spec_from_config
from warmup_spec.reference import reference_table

LONG = [
    {"schedule": "warmup_cosine_decay", "peak_value": 3e-4, "warmup_steps": 10_000, "total_steps": 1_000_000},
    {"schedule": "warmup_linear_decay", "peak_value": 1e-3, "warmup_steps": 2_000, "total_steps": 600_000,
     "end_value": 1e-5},
    {"schedule": "warmup_stable_decay", "peak_value": 1e-3, "warmup_steps": 5_000, "stable_steps": 400_000,
     "decay_steps": 100_000, "decay_shape": "1-sqrt"},
    {"schedule": "one_cycle", "total_steps": 500_000, "peak_value": 1e-2},
    {"schedule": "warmup_cosine_restarts", "peak_value": 1e-3, "warmup_steps": 1000, "cycle_steps": 1000,
     "cycle_mul": 1.3, "cycle_decay": 0.9},
    {"schedule": "tri_stage", "peak_value": 1e-3, "warmup_steps": 30_000, "hold_steps": 100_000,
     "decay_steps": 300_000},
]


@pytest.mark.slow
@pytest.mark.parametrize("cfg", LONG, ids=[c["schedule"] for c in LONG])
def test_long_schedule_every_step(cfg):
    n = 1_000_000
    ref = np.asarray(reference_table(spec_from_config(cfg), range(n)))
    got = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.arange(n, dtype=jnp.int32))
    assert_close(got, ref, TOL_F32, cfg["schedule"])
