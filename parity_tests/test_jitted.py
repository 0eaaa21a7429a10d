"""The batched jit of ``jitted.py`` gives each config the values of its own jit, bitwise."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import warmup_jax
from parity_tests.cases import ALL, steps_for
from parity_tests.jitted import JitTables

# every catalogue schedule's first config, and float steps through a port that takes them
CFGS = [next(cfg for _, cfg in ALL if cfg["schedule"] == name) for name in dict.fromkeys(c["schedule"] for _, c in ALL)]
STEPS = [steps_for(cfg) for cfg in CFGS]
CFGS.append({"schedule": "optax.cosine_decay_schedule", "init_value": 0.1, "decay_steps": 7})
STEPS.append(np.linspace(-2.0, 9.5, 40))


def test_batched_values_are_each_configs_own_jit_bitwise():
    tables = JitTables(CFGS, STEPS, chunk=16)
    for i, (cfg, steps) in enumerate(zip(CFGS, STEPS)):
        x64, f32 = tables.get(i)
        floating = steps.dtype.kind == "f"
        with jax.enable_x64(True):
            own64 = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(
                jnp.asarray(steps, jnp.float64 if floating else jnp.int64))
            assert own64.dtype == jnp.float64
            own64 = np.asarray(own64)
        own32 = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(
            jnp.asarray(steps, jnp.float32 if floating else jnp.int32))
        assert own32.dtype == jnp.float32
        np.testing.assert_array_equal(x64, own64, err_msg=f"x64 {cfg}")
        np.testing.assert_array_equal(f32, np.asarray(own32, np.float64), err_msg=f"float32 {cfg}")


def test_float32_forms_only():
    x64, f32 = JitTables(CFGS[:2], STEPS[:2], x64=False).get(1)
    assert x64 is None and f32.shape == STEPS[1].shape
