"""Data-parallel JAX train step over 8 host devices vs the same step on one device.

Run as a script (``python jax_sharded.py OUT_DIR CONFIG_JSON STEPS``) in a fresh
process: ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` must be set before
jax is imported, so it is set here, before the first jax import, unless the caller
already did. Writes ``OUT_DIR/jax_sharded.npz`` (params of both runs, the lr of every
update) and ``OUT_DIR/jax_sharded.json`` (what the sharding looked like).

Importing this module does nothing (pytest's doctest collection imports it).
"""

from __future__ import annotations

import json
import os
import sys

N_DEVICES = 8
N_IN, N_HIDDEN, N_OUT = 6, 16, 3
GLOBAL_BATCH = 64  # 8 rows per device
WEIGHT_DECAY = 0.01


def make_data(steps: int, seed: int = 0):
    """Per-step global batches (same arrays, same order, for both runs): a noisy teacher."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, GLOBAL_BATCH, N_IN))
    w_true = rng.standard_normal((N_IN, N_OUT))
    y = np.tanh(x @ w_true) + 0.1 * rng.standard_normal((steps, GLOBAL_BATCH, N_OUT))
    return x, y


def init_params(seed: int = 1):
    import numpy as np

    rng = np.random.default_rng(seed)
    return {
        "w1": rng.standard_normal((N_IN, N_HIDDEN)) / np.sqrt(N_IN),
        "b1": np.zeros(N_HIDDEN),
        "w2": rng.standard_normal((N_HIDDEN, N_OUT)) / np.sqrt(N_HIDDEN),
        "b2": np.zeros(N_OUT),
    }


def main(out_dir: str, cfg: dict, steps: int) -> None:
    os.environ.setdefault("XLA_FLAGS", f"--xla_force_host_platform_device_count={N_DEVICES}")
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    import warmup_jax

    jax.config.update("jax_enable_x64", True)
    devices = jax.devices()
    assert len(devices) == N_DEVICES, f"expected {N_DEVICES} host devices, got {len(devices)}"

    params_name = {k: v for k, v in cfg.items() if k != "schedule"}
    assert cfg["schedule"] == "warmup_cosine_decay", cfg
    schedule = warmup_jax.warmup_cosine_decay(**params_name)
    tx = optax.adamw(schedule, weight_decay=WEIGHT_DECAY)

    def loss_fn(params, x, y):
        h = jnp.tanh(x @ params["w1"] + params["b1"])
        pred = h @ params["w2"] + params["b2"]
        return jnp.mean((pred - y) ** 2)  # mean over the global batch

    def train_step(params, opt_state, x, y):
        # the lr this update uses: the schedule at the optimizer's count before the update
        sched_state = opt_state[-1]
        assert isinstance(sched_state, optax.ScaleByScheduleState)
        lr = schedule(sched_state.count)
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        return params, opt_state, loss, lr

    xs, ys = make_data(steps)
    p0 = init_params()

    def run(step_fn, put_params, put_batch):
        params = put_params(jax.tree.map(jnp.asarray, p0))
        opt_state = put_params(tx.init(params))
        lrs, counts, losses = [], [], []
        batch_info = None
        for k in range(steps):
            x, y = put_batch(xs[k]), put_batch(ys[k])
            if k == 0:
                batch_info = {
                    "n_shards": len(x.addressable_shards),
                    "shard_shapes": [list(s.data.shape) for s in x.addressable_shards],
                    "shard_devices": sorted(str(s.device) for s in x.addressable_shards),
                    "shard_row_starts": sorted(
                        int(s.index[0].start or 0) for s in x.addressable_shards
                    ),
                    "sharding": repr(x.sharding),
                    "device_set_size": len(x.sharding.device_set),
                }
            counts.append(int(opt_state[-1].count))
            params, opt_state, loss, lr = step_fn(params, opt_state, x, y)
            lrs.append(lr)
            losses.append(loss)
        params_info = {
            name: {
                "fully_replicated": bool(v.sharding.is_fully_replicated),
                "device_set_size": len(v.sharding.device_set),
                "n_copies": len(v.addressable_shards),
                # every device's copy equals device 0's (bitwise)
                "copies_equal": all(
                    np.array_equal(np.asarray(s.data), np.asarray(v.addressable_shards[0].data))
                    for s in v.addressable_shards
                ),
            }
            for name, v in params.items()
        }
        out = {
            "params": {k: np.asarray(v) for k, v in params.items()},
            "lrs": np.asarray([np.asarray(v) for v in lrs]),
            "losses": np.asarray([np.asarray(v) for v in losses]),
            "counts": np.asarray(counts),
        }
        return out, batch_info, params_info

    # 8 devices: batch split on its leading axis over the "data" mesh axis, params replicated
    mesh = Mesh(np.array(devices), ("data",))
    rep = NamedSharding(mesh, P())
    data = NamedSharding(mesh, P("data"))
    sharded_step = jax.jit(
        train_step,
        in_shardings=(rep, rep, data, data),
        out_shardings=(rep, rep, rep, rep),
        donate_argnums=(0, 1),
    )
    sharded, sharded_batch, sharded_params = run(
        sharded_step,
        lambda t: jax.device_put(t, rep),
        lambda a: jax.device_put(a, data),
    )
    hlo = sharded_step.lower(
        jax.device_put(jax.tree.map(jnp.asarray, p0), rep),
        jax.device_put(tx.init(jax.tree.map(jnp.asarray, p0)), rep),
        jax.device_put(xs[0], data),
        jax.device_put(ys[0], data),
    ).compile().as_text()

    # one device: the same step, same global batches, same order
    dev0 = devices[0]
    single_step = jax.jit(train_step, donate_argnums=(0, 1))
    single, single_batch, single_params = run(
        single_step,
        lambda t: jax.device_put(t, dev0),
        lambda a: jax.device_put(a, dev0),
    )

    arrays = {}
    for tag, res in (("sharded", sharded), ("single", single)):
        for k, v in res["params"].items():
            arrays[f"{tag}/params/{k}"] = v
        for k in ("lrs", "losses", "counts"):
            arrays[f"{tag}/{k}"] = res[k]
    np.savez(os.path.join(out_dir, "jax_sharded.npz"), **arrays)
    meta = {
        "device_count": len(devices),
        "mesh_shape": dict(mesh.shape),
        "global_batch": GLOBAL_BATCH,
        "steps": steps,
        "sharded_batch": sharded_batch,
        "single_batch": single_batch,
        "sharded_params": sharded_params,
        "single_params": single_params,
        "hlo_all_reduce": "all-reduce" in hlo,
        "lr_dtype": str(sharded["lrs"].dtype),
        "param_dtype": str(sharded["params"]["w1"].dtype),
        "jax_version": jax.__version__,
    }
    with open(os.path.join(out_dir, "jax_sharded.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]))
