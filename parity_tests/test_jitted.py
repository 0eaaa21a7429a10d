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


def test_xdist_group_sends_a_group_to_one_worker(tmp_path):
    """The tables above are computed once only if ``make test``'s ``--dist loadgroup`` keeps an
    ``xdist_group`` on one worker (pytest 9.2 with pytest-xdist 3.8 silently did not: each worker
    computed every group's tables). Eight tests of one group, two workers: one worker ran them."""
    import os
    import subprocess
    import sys

    (tmp_path / "test_grouped.py").write_text(
        "import os\nimport pytest\n\n\n"
        "@pytest.mark.xdist_group('tables')\n"
        "@pytest.mark.parametrize('i', range(8))\n"
        "def test_member(i, tmp_path_factory):\n"
        "    out = tmp_path_factory.getbasetemp().parent.parent / f'ran{i}'\n"
        "    out.write_text(os.environ['PYTEST_XDIST_WORKER'])\n")
    (tmp_path / "base").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider",
                          "--rootdir", str(tmp_path), "--basetemp", str(tmp_path / "base" / "t"), "-c", os.devnull,
                          str(tmp_path / "test_grouped.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    workers = {(tmp_path / "base" / f"ran{i}").read_text() for i in range(8)}
    assert len(workers) == 1, f"one xdist_group ran on workers {sorted(workers)}"
