"""Many devices (issue 5, item 7): the schedule drives data-parallel training exactly
like single-device training.

- JAX: a jitted AdamW train step with the batch sharded over 8 host devices
  (``NamedSharding(mesh, P("data"))``, params replicated) gives the single-device
  trajectory (float64, rtol 1e-9) and the same lr at every update.
- torch: ``DistributedDataParallel`` with gloo, 2 processes on 127.0.0.1: every rank
  sees the same lr at every step, equal to f(k); final params are bitwise equal
  across ranks and equal the single-process full-batch run (rtol 1e-9).

Both run in fresh subprocesses (``parity_tests/distributed/``): ``XLA_FLAGS`` must be
set before jax is imported, and starting processes is more robust outside pytest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from parity_tests.conftest import TOL_F64, assert_close
from warmup_spec import Schedule

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "distributed"
RTOL = 1e-9  # float64 params, different reduction order
TIMEOUT_S = 120
STEPS = 150
CFG = {
    "schedule": "warmup_cosine_decay",
    "peak_value": 1e-2,
    "warmup_steps": 20,
    "total_steps": STEPS,
    "end_value": 1e-4,
}


def _run_script(script: str, out_dir: Path, extra_env: dict[str, str]) -> None:
    """Run ``script OUT CFG STEPS`` in its own session; kill its whole group on timeout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra_env)
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPTS / script), str(out_dir), json.dumps(CFG), str(STEPS)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the forked ranks too
    )
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group this test started, by its id
        out, _ = proc.communicate()
        pytest.fail(f"{script} timed out after {TIMEOUT_S} s:\n{out[-4000:]}")
    finally:
        if proc.poll() is None:  # pragma: no cover - interrupted
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, f"{script} failed (rc {proc.returncode}):\n{out[-4000:]}"


def _ref_lrs() -> np.ndarray:
    f = Schedule(CFG)
    return np.array([f(k) for k in range(STEPS)], np.float64)


def _assert_params_close(got: dict, ref: dict, what: str) -> float:
    """rtol 1e-9 elementwise (atol 1e-9 * max|ref| for entries near 0); max |diff| back."""
    assert got.keys() == ref.keys()
    worst = 0.0
    for k in ref:
        g, r = np.asarray(got[k]), np.asarray(ref[k])
        assert g.dtype == np.float64 and g.shape == r.shape, (what, k, g.dtype, g.shape)
        np.testing.assert_allclose(g, r, rtol=RTOL, atol=RTOL * float(np.max(np.abs(r))),
                                   err_msg=f"{what}: {k}")
        worst = max(worst, float(np.max(np.abs(g - r))))
    return worst


# ---------------------------------------------------------------- JAX, 8 devices


@pytest.fixture(scope="module")
def jax_results(tmp_path_factory):
    pytest.importorskip("jax")
    pytest.importorskip("optax")
    out = tmp_path_factory.mktemp("jax_sharded")
    _run_script(
        "jax_sharded.py",
        out,
        {
            "XLA_FLAGS": "--xla_force_host_platform_device_count=8",
            "JAX_ENABLE_X64": "1",
            "JAX_PLATFORMS": "cpu",
        },
    )
    data = np.load(out / "jax_sharded.npz")
    arrays = {k: data[k] for k in data.files}
    meta = json.loads((out / "jax_sharded.json").read_text())
    return arrays, meta


def _jax_params(arrays: dict, tag: str) -> dict:
    pre = f"{tag}/params/"
    return {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)}


def test_jax_batch_is_sharded_over_8_devices(jax_results):
    _, meta = jax_results
    assert meta["device_count"] == 8 and meta["mesh_shape"] == {"data": 8}
    b = meta["sharded_batch"]
    assert b["n_shards"] == 8 and b["device_set_size"] == 8
    assert "P('data'" in b["sharding"] or "PartitionSpec('data'" in b["sharding"], b["sharding"]
    assert b["shard_shapes"] == [[meta["global_batch"] // 8, 6]] * 8
    assert b["shard_devices"] == sorted(f"cpu:{i}" for i in range(8))
    assert b["shard_row_starts"] == [i * meta["global_batch"] // 8 for i in range(8)]
    assert meta["hlo_all_reduce"], "the sharded step has no all-reduce: gradients not combined"
    for name, p in meta["sharded_params"].items():
        assert p["fully_replicated"] and p["device_set_size"] == 8 and p["n_copies"] == 8, name
        assert p["copies_equal"], f"{name}: the 8 replicas differ"
    # the reference run really was on one device
    assert meta["single_batch"]["n_shards"] == 1 and meta["single_batch"]["shard_shapes"] == [
        [meta["global_batch"], 6]
    ]
    assert all(p["device_set_size"] == 1 for p in meta["single_params"].values())
    assert meta["param_dtype"] == "float64" and meta["lr_dtype"] == "float64"


def test_jax_sharded_lr_matches_single_device_and_schedule(jax_results):
    arrays, _ = jax_results
    np.testing.assert_array_equal(arrays["sharded/counts"], np.arange(STEPS))
    np.testing.assert_array_equal(arrays["single/counts"], np.arange(STEPS))
    assert np.array_equal(arrays["sharded/lrs"], arrays["single/lrs"]), "lr differs between runs"
    assert_close(arrays["sharded/lrs"], _ref_lrs(), TOL_F64, "jax lr vs f(k)")
    assert arrays["sharded/lrs"][0] == 0.0 and arrays["sharded/lrs"][CFG["warmup_steps"]] == CFG["peak_value"]


def test_jax_sharded_params_match_single_device(jax_results):
    arrays, _ = jax_results
    sharded, single = _jax_params(arrays, "sharded"), _jax_params(arrays, "single")
    assert set(single) == {"w1", "b1", "w2", "b2"}
    worst = _assert_params_close(sharded, single, "jax 8 devices vs 1")
    print(f"jax 8-device vs single-device params: max |diff| {worst:.3e}")
    np.testing.assert_allclose(arrays["sharded/losses"], arrays["single/losses"], rtol=RTOL)
    # it trained (the comparison is not between two untouched inits)
    assert arrays["single/losses"][-1] < 0.5 * arrays["single/losses"][0]


# ---------------------------------------------------------------- torch DDP, 2 ranks


@pytest.fixture(scope="module")
def ddp_results(tmp_path_factory):
    torch = pytest.importorskip("torch")
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_gloo_available()):
        pytest.skip("torch.distributed with gloo not available")
    out = tmp_path_factory.mktemp("torch_ddp")
    _run_script("torch_ddp.py", out, {"MASTER_ADDR": "127.0.0.1", "OMP_NUM_THREADS": "1"})
    del torch

    def load(name):
        d = np.load(out / f"{name}.npz")
        return {k: d[k] for k in d.files}

    meta = json.loads((out / "meta.json").read_text())
    return [load(f"rank{r}") for r in range(meta["world_size"])], load("single"), meta


def _torch_params(res: dict) -> dict:
    return {k[len("params/"):]: v for k, v in res.items() if k.startswith("params/")}


def test_ddp_every_rank_sees_the_same_lr(ddp_results):
    ranks, single, meta = ddp_results
    assert meta["world_size"] == 2 and len(ranks) == 2 and meta["backend"] == "gloo"
    for r, res in enumerate(ranks):
        assert res["lrs"].shape == (STEPS,)
        assert np.array_equal(res["lrs"], ranks[0]["lrs"]), f"rank {r} lr differs from rank 0"
    assert np.array_equal(single["lrs"], ranks[0]["lrs"])
    assert_close(ranks[0]["lrs"], _ref_lrs(), TOL_F64, "ddp lr vs f(k)")
    assert ranks[0]["lrs"][CFG["warmup_steps"]] == CFG["peak_value"]


def test_ddp_params_equal_across_ranks_and_single_process(ddp_results):
    ranks, single, _ = ddp_results
    p0 = _torch_params(ranks[0])
    assert len(p0) == 4
    for r, res in enumerate(ranks[1:], 1):
        pr = _torch_params(res)
        for k in p0:
            assert np.array_equal(pr[k], p0[k]), f"rank {r} {k} differs from rank 0 (bitwise)"
    worst = _assert_params_close(p0, _torch_params(single), "ddp vs single process")
    print(f"torch DDP vs single-process params: max |diff| {worst:.3e}")
    # each rank's loss is on its half batch; their mean is the full-batch loss
    mean_loss = np.mean([res["losses"] for res in ranks], axis=0)
    np.testing.assert_allclose(mean_loss, single["losses"], rtol=RTOL)
    assert single["losses"][-1] < 0.5 * single["losses"][0]
