"""The batched jit of ``jitted.py`` gives each config the values of its own jit, bitwise."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import warmup_jax
from parity_tests.cases import ALL, steps_for
from parity_tests.jitted import JitTables

# every catalogue schedule's first config, and float steps through a port that takes them
CFGS = [next(cfg for _, cfg in ALL if cfg["schedule"] == name) for name in dict.fromkeys(c["schedule"] for _, c in ALL)]
STEPS = [steps_for(cfg) for cfg in CFGS]
CFGS.append({"schedule": "optax.cosine_decay_schedule", "init_value": 0.1, "decay_steps": 7})
STEPS.append(np.linspace(-2.0, 9.5, 40))


def _own_jit(cfg: dict, steps: np.ndarray, x64: bool) -> np.ndarray:
    """``cfg``'s schedule jitted alone, in x64 (int64 or float64 steps) or float32 (int32 or float32)."""
    floating = steps.dtype.kind == "f"
    with jax.enable_x64(x64):
        dtype = (jnp.float64 if x64 else jnp.float32) if floating else (jnp.int64 if x64 else jnp.int32)
        own = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, dtype))
        assert own.dtype == (jnp.float64 if x64 else jnp.float32)
        return np.asarray(own, np.float64)


def test_batched_values_are_each_configs_own_jit_bitwise():
    tables = JitTables(CFGS, STEPS, chunk=16)
    for i, (cfg, steps) in enumerate(zip(CFGS, STEPS)):
        x64, f32 = tables.get(i)
        np.testing.assert_array_equal(x64, _own_jit(cfg, steps, True), err_msg=f"x64 {cfg}")
        np.testing.assert_array_equal(f32, _own_jit(cfg, steps, False), err_msg=f"float32 {cfg}")
    assert [len(v) for v in tables.form("x64")] == [len(s) for s in STEPS]


def test_one_form_tables_are_each_configs_own_jit_bitwise():
    """A table of one form computes that form only, with the values of both forms' table."""
    picked = [0, 5, len(CFGS) - 1]  # the last takes float steps
    cfgs, steps = [CFGS[i] for i in picked], [STEPS[i] for i in picked]
    x64_only, f32_only = JitTables(cfgs, steps, forms=("x64",), chunk=2), JitTables(cfgs, steps, forms=("f32",))
    for k, (cfg, st) in enumerate(zip(cfgs, steps)):
        x64, none = x64_only.get(k)
        none2, f32 = f32_only.get(k)
        assert none is None and none2 is None
        np.testing.assert_array_equal(x64, _own_jit(cfg, st, True), err_msg=f"x64 {cfg}")
        np.testing.assert_array_equal(f32, _own_jit(cfg, st, False), err_msg=f"float32 {cfg}")
        assert x64_only.form("x64")[k] is x64 and f32_only.form("f32")[k] is f32
    with pytest.raises(ValueError, match=r"form 'f32' is not computed; forms=\('x64',\)"):
        x64_only.form("f32")


def test_a_library_build_and_its_dtype_checked():
    """``build`` gives any library's schedule (here optax's own, built under x64 for the x64 form);
    a form computed in another dtype than its own is refused, naming the config."""
    import optax

    steps = [np.arange(12), np.arange(0.0, 12.0, 0.5)]
    tables = JitTables([4, 5], steps, lambda n: optax.linear_schedule(1.0, 0.1, n), forms=("x64",))
    for n, st, got in zip([4, 5], steps, tables.form("x64")):
        with jax.enable_x64(True):
            own = jax.jit(jax.vmap(optax.linear_schedule(1.0, 0.1, n)))(jnp.asarray(st))
        assert own.dtype == jnp.float64
        np.testing.assert_array_equal(got, np.asarray(own))
    assert tables.form("x64")[0][4:].tolist() == [0.1] * 8  # at and past its end (1 - 4 * 0.25 == 0)
    assert tables.form("x64")[1][3] == pytest.approx(0.73, rel=1e-15)  # 1.5 of 5 steps in: 0.9 * 0.7 + 0.1
    narrow = JitTables(["f32 under x64"], [np.arange(3)], lambda _: lambda s: jnp.float32(s), forms=("x64",))
    with pytest.raises(AssertionError, match=r"'f32 under x64' computes float32 in its x64 form, not float64"):
        narrow.get(0)


def test_forms_are_checked():
    for forms in [(), ("f64",), ("x64", "float32")]:
        with pytest.raises(ValueError, match=r"JitTables: forms=.*; expected one or both of \('x64', 'f32'\)"):
            JitTables(CFGS[:1], STEPS[:1], forms=forms)
    with pytest.raises(ValueError, match="JitTables: 2 configs and 1 step arrays"):
        JitTables(CFGS[:2], STEPS[:1])


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
