"""Our schedules where Optax users put schedules: sgd/adam/adamw, chain with
scale_by_schedule, inject_hyperparams, multi_transform, flax.nnx.Optimizer; under
jit, vmap and x64. The k-th update uses schedule(k)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import warmup_jax

SCHED = warmup_jax.warmup_cosine_decay(0.1, warmup_steps=5, total_steps=20, end_value=0.01)
LRS = np.array([float(SCHED(k)) for k in range(30)])


def _run(tx, steps=30, params=None):
    """Gradient 1 on every parameter: after k updates params = -sum(lr_0..lr_{k-1})."""
    params = {"w": jnp.zeros(3)} if params is None else params
    state = tx.init(params)

    @jax.jit
    def step(params, state):
        grads = jax.tree.map(jnp.ones_like, params)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    trace = []
    for _ in range(steps):
        params, state = step(params, state)
        trace.append(params)
    return trace, state


def test_sgd_uses_schedule_of_update_count():
    trace, _ = _run(optax.sgd(SCHED))
    got = np.array([-float(p["w"][0]) for p in trace])
    np.testing.assert_allclose(got, np.cumsum(LRS), rtol=1e-6)


def test_chain_with_scale_by_schedule():
    trace, _ = _run(optax.chain(optax.scale_by_schedule(SCHED), optax.scale(-1.0)))
    got = np.array([-float(p["w"][0]) for p in trace])
    np.testing.assert_allclose(got, np.cumsum(LRS), rtol=1e-6)


@pytest.mark.parametrize("make", [optax.adam, optax.adamw])
def test_adam_family_equals_manual_lr(make):
    """adam(schedule) equals applying scale_by_adam then our lr by hand."""
    trace, _ = _run(make(SCHED))
    # with constant gradient 1, Adam's direction is 1/(1 + eps') ~ 1 at every step
    direction = optax.scale_by_adam()
    s = direction.init({"w": jnp.zeros(3)})
    expected, total = [], 0.0
    for k in range(30):
        u, s = direction.update({"w": jnp.ones(3)}, s)
        total += LRS[k] * float(u["w"][0])
        expected.append(total)
    got = [-float(p["w"][0]) for p in trace]
    if make is optax.adamw:  # decoupled decay: params start at 0 and stay small
        np.testing.assert_allclose(got, expected, rtol=1e-3)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_inject_hyperparams_reports_the_schedule():
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=SCHED)
    trace, state = _run(tx, steps=12)
    # the stored lr after k updates is schedule(k): what the next update will use
    assert float(state.hyperparams["learning_rate"]) == pytest.approx(LRS[11], rel=1e-6)
    got = np.array([-float(p["w"][0]) for p in trace])
    np.testing.assert_allclose(got, np.cumsum(LRS[:12]), rtol=1e-6)


def test_multi_transform_two_groups():
    """Embeddings: half the lr with a longer warmup (the spec's group rule in optax)."""
    emb = warmup_jax.scaled(warmup_jax.warmup_cosine_decay(0.1, 10, 20, 0.01), 0.5)
    tx = optax.multi_transform({"body": optax.sgd(SCHED), "emb": optax.sgd(emb)},
                               {"w": "body", "e": "emb"})
    trace, _ = _run(tx, params={"w": jnp.zeros(2), "e": jnp.zeros(2)})
    emb_lrs = np.array([float(emb(k)) for k in range(30)])
    np.testing.assert_allclose([-float(p["w"][0]) for p in trace], np.cumsum(LRS), rtol=1e-6)
    np.testing.assert_allclose([-float(p["e"][0]) for p in trace], np.cumsum(emb_lrs), rtol=1e-6)


def test_flax_nnx_optimizer():
    model = nnx.Linear(3, 1, rngs=nnx.Rngs(0))
    start = np.asarray(model.bias[...]).copy()
    optimizer = nnx.Optimizer(model, optax.sgd(SCHED), wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer):
        grads = nnx.grad(lambda m: jnp.sum(m(jnp.zeros((1, 3)))))(model)  # d/d bias = 1
        optimizer.update(model, grads)

    for _ in range(30):
        train_step(model, optimizer)
    assert float(model.bias[...][0]) == pytest.approx(start[0] - LRS.sum(), rel=1e-5)
    assert int(optimizer.step[...]) == 30


def test_vmap_and_x64_dtype():
    table = jax.jit(jax.vmap(SCHED))(jnp.arange(30))
    # eager (op by op) and fused jit evaluation may differ by an ulp in sin
    np.testing.assert_allclose(np.asarray(table), LRS, rtol=2.5e-7, atol=0)
    assert table.dtype == jnp.float32
    with jax.enable_x64(True):
        sched = warmup_jax.warmup_cosine_decay(0.1, warmup_steps=5, total_steps=20, end_value=0.01)
        assert sched(jnp.int32(3)).dtype == jnp.float64
        assert jax.jit(sched)(np.int64(7)).dtype == jnp.float64


def test_int32_counter_at_its_maximum_is_finite():
    for sched in (SCHED, warmup_jax.noam(512, 4000), warmup_jax.legacy_noam(0.01, 500),
                  warmup_jax.warmup_inverse_sqrt(1e-3, 100),
                  warmup_jax.warmup_cosine_restarts(1e-3, 10, 100, cycle_mul=2.0)):
        v = jax.jit(sched)(jnp.int32(2**31 - 1))
        assert np.isfinite(float(v)) and float(v) >= 0.0


def test_one_compilation_for_all_steps():
    traces = []

    def f(count):
        traces.append(1)
        return SCHED(count)

    jitted = jax.jit(f)
    for k in (0, 4, 5, 19, 20, 10**6, 2**31 - 1):
        jitted(jnp.int32(k))
    assert len(traces) == 1
