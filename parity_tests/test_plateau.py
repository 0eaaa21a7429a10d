"""torch's ``ReduceLROnPlateau`` twinned (``warmup_spec.plateau``, ``warmup_jax.plateau``): the
same lr after every metric as torch itself, bit for bit in float64 (host and JAX x64), to
the float32 rounding in JAX float32; a warmup before it as torch's recipe runs it; a training
run of SGD momentum in both frameworks; and the worked example of docs/hyperparameters.md,
where torch's built-in and ``optax.contrib.reduce_on_plateau`` part, run on both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import ReduceLROnPlateau

import warmup_torch
from parity_tests.test_optimizer_pairs import KEYS, PARAMS0, X, Y, jax_loss, torch_loss
from warmup_jax.plateau import plateau_lr, plateau_step, reduce_lr_on_plateau
from warmup_parity.optimizers import optax_transform, torch_optimizer
from warmup_spec.plateau import Plateau, plateau_lrs

ROOT = Path(__file__).resolve().parent.parent


def torch_lrs(lr: float, kw: dict[str, Any], metrics: list[float]) -> list[float]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = ReduceLROnPlateau(opt, **kw)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


def jax_lrs(lr: float, kw: dict[str, Any], metrics: list[float]) -> np.ndarray:
    """The JAX twin's lr after each metric, the metrics fed through one jit'd scan."""
    tx = reduce_lr_on_plateau(lr, **kw)
    state = tx.init(jnp.zeros(1))

    def body(s: Any, m: Any) -> Any:
        s = plateau_step(s, m)
        return s, plateau_lr(s)

    dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
    return np.asarray(jax.jit(lambda s, ms: jax.lax.scan(body, s, ms)[1])(state, jnp.asarray(metrics, dtype)))


def ulps32(got: np.ndarray, want: list[float]) -> int:
    """Largest distance in float32 ulps between ``got`` and ``float32(want)``."""
    a = np.asarray(got, np.float32).view(np.int32).astype(np.int64)
    b = np.asarray(want, np.float32).view(np.int32).astype(np.int64)
    return int(np.max(np.abs(a - b)))


METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.89, 0.91, 0.91, 0.91, 0.91, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6,
           0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
CASES = [
    {},
    {"factor": 0.5, "patience": 2, "cooldown": 1},
    {"mode": "max", "factor": 0.3, "patience": 0, "threshold": 0.01},
    {"threshold_mode": "abs", "threshold": 0.02, "patience": 1, "min_lr": 0.02},
    {"factor": 0.5, "patience": 0, "eps": 0.01},  # stops where a reduction is below eps
    {"factor": 0.0, "patience": 1, "cooldown": 3, "min_lr": 1e-4},
]


@pytest.mark.parametrize("kw", CASES, ids=[str(i) for i in range(len(CASES))])
def test_same_lrs_as_torch_bit_for_bit(kw):
    want = torch_lrs(0.1, kw, METRICS)
    assert plateau_lrs(Plateau(0.1, **kw), METRICS) == want
    with jax.enable_x64(True):
        assert jax_lrs(0.1, kw, METRICS).tolist() == want
    assert ulps32(jax_lrs(0.1, kw, METRICS), want) <= len(METRICS)  # one rounding a reduction at most
    assert len(set(want)) > 1 or kw == {}  # something was reduced (the defaults wait 11 metrics)


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(mode=st.sampled_from(["min", "max"]), tmode=st.sampled_from(["rel", "abs"]),
       factor=st.sampled_from([0.1, 0.5, 0.7]), patience=st.integers(0, 3), cooldown=st.integers(0, 2),
       threshold=st.sampled_from([0.0, 1e-4, 0.05]), min_lr=st.sampled_from([0.0, 1e-3]),
       metrics=st.lists(st.sampled_from([0.1, 0.2, 0.3, 0.30001, 0.5, 1.0, float("nan")]), min_size=5, max_size=40))
def test_drawn_configs_and_metrics_bit_for_bit(mode, tmode, factor, patience, cooldown, threshold, min_lr, metrics):
    kw = dict(mode=mode, threshold_mode=tmode, factor=factor, patience=patience, cooldown=cooldown,
              threshold=threshold, min_lr=min_lr)
    want = torch_lrs(0.05, kw, metrics)
    assert plateau_lrs(Plateau(0.05, **kw), metrics) == want
    with jax.enable_x64(True):
        assert jax_lrs(0.05, kw, metrics).tolist() == want


def test_warmup_before_it_is_torchs_recipe():
    """torch: our warmup scheduler stepped for the first warmup_steps updates, then
    ReduceLROnPlateau stepped at the end of each epoch once the warmup is over; JAX: the
    twin with the same warmup, every metric reported (those during the warmup are ignored)."""
    kw = {"factor": 0.5, "patience": 1, "threshold": 0.0}
    warm = {"warmup_steps": 10, "warmup_shape": "cosine", "init_value": 0.001}
    per_epoch, metrics = 7, [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    warmup = warmup_torch.ScheduleLR(opt, Plateau(0.1, **kw, **warm))
    plateau = ReduceLROnPlateau(opt, **kw)
    want, k = [], 0
    for m in metrics:
        for _ in range(per_epoch):
            want.append(opt.param_groups[0]["lr"])
            opt.step()
            k += 1
            if k <= warm["warmup_steps"]:
                warmup.step()
        if k >= warm["warmup_steps"]:
            plateau.step(m)
    with jax.enable_x64(True):
        tx = reduce_lr_on_plateau(0.1, **kw, **warm)
        state = tx.init(jnp.zeros(1))
        update, step, lr = jax.jit(tx.update), jax.jit(plateau_step), jax.jit(plateau_lr)  # as a train step runs them
        got = []
        for m in metrics:
            for _ in range(per_epoch):
                got.append(float(lr(state)))
                _, state = update(jnp.ones(1), state)
            state = step(state, m)
    w = warm["warmup_steps"]
    np.testing.assert_allclose(got[:w], want[:w], rtol=1e-15)  # two closed forms of one cosine
    assert got[w:] == want[w:]  # the plateau: bit for bit
    assert want[-1] == 0.1 * 0.5**2  # the metric of epoch 1 (7 updates, in the warmup) was ignored


PLATEAU_RUN = {"factor": 0.5, "patience": 0, "threshold": 0.1, "cooldown": 1}
PEAK, WARMUP, PER_EPOCH, EPOCHS = 0.05, 20, 10, 25
PAIR = {"name": "sgd_momentum"}


def jax_plateau_run(dtype: Any) -> tuple[list[float], np.ndarray]:
    """(the lr at the start of each epoch, final params): the pair with the twin as its lr stage."""
    tx = optax_transform(PAIR, reduce_lr_on_plateau(PEAK, **PLATEAU_RUN, warmup_steps=WARMUP))
    params = {k: jnp.asarray(v, dtype) for k, v in PARAMS0.items()}
    x, y = jnp.asarray(X, dtype), jnp.asarray(Y, dtype)

    def body(_: Any, c: Any) -> Any:
        u, s = tx.update(jax.grad(jax_loss)(c[0], x, y), c[1], c[0])
        return optax.apply_updates(c[0], u), s

    @jax.jit
    def epoch(p: Any, s: Any) -> Any:
        p, s = jax.lax.fori_loop(0, PER_EPOCH, body, (p, s))
        return p, s, jax_loss(p, x, y)

    state, lrs = tx.init(params), []
    for _ in range(EPOCHS):
        lrs.append(float(plateau_lr(state)))
        params, state, loss = epoch(params, state)
        state = plateau_step(state, loss)
    return lrs, np.concatenate([np.asarray(params[k], np.float64).ravel() for k in KEYS])


def torch_plateau_run(dtype: torch.dtype) -> tuple[list[float], np.ndarray]:
    """The torch recipe: the pair with our warmup scheduler, then ReduceLROnPlateau on the loss."""
    params = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in PARAMS0.items()}
    x, y = torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype)
    opt, warmup = torch_optimizer(PAIR, [params[k] for k in KEYS], Plateau(PEAK, **PLATEAU_RUN, warmup_steps=WARMUP))
    plateau = ReduceLROnPlateau(opt, **PLATEAU_RUN)
    lrs, k = [], 0
    for _ in range(EPOCHS):
        lrs.append(opt.param_groups[0]["lr"])
        for _ in range(PER_EPOCH):
            opt.zero_grad()
            torch_loss(params, x, y).backward()
            opt.step()
            k += 1
            if k <= WARMUP:
                warmup.step()
        with torch.no_grad():
            plateau.step(torch_loss(params, x, y).item())
    return lrs, np.concatenate([params[k].detach().numpy().astype(np.float64).ravel() for k in KEYS])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_training_run_sgd_momentum_with_warmup_then_plateau(dtype):
    """SGD momentum, 20 warmup updates then the plateau on the full-batch loss every 10
    updates, 250 updates: the same lrs and parameters (float64 1e-9, float32 1e-5)."""
    with jax.enable_x64(dtype == "float64"):
        jax_lrs_seen, final_jax = jax_plateau_run(jnp.float64 if dtype == "float64" else jnp.float32)
    torch_lrs_seen, final_torch = torch_plateau_run(getattr(torch, dtype))
    assert len(set(torch_lrs_seen[2:])) >= 5  # it reduced, several times
    if dtype == "float64":
        assert jax_lrs_seen == torch_lrs_seen
        assert np.max(np.abs(final_jax - final_torch)) <= 1e-9 * np.max(np.abs(final_torch))
    else:
        np.testing.assert_allclose(jax_lrs_seen, torch_lrs_seen, rtol=1e-6)
        assert np.linalg.norm(final_jax - final_torch) <= 1e-5 * np.linalg.norm(final_torch)


# --------------------------------------------------------------------------- the two built-ins

DOC_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.89, 0.91, 0.91, 0.91, 0.91, 0.91]
DOC_TORCH = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
DOC_OPTAX = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_the_worked_example_of_the_docs_is_what_both_libraries_do():
    """factor 0.5, patience 2, cooldown 1, threshold/rtol 1e-4, one metric per epoch: torch's lr
    after each metric, optax's scale on the update that delivered it; the table in the docs."""
    assert torch_lrs(1.0, {"factor": 0.5, "patience": 2, "cooldown": 1}, DOC_METRICS) == DOC_TORCH
    tx = optax.contrib.reduce_on_plateau(factor=0.5, patience=2, cooldown=1)
    state, scales, update = tx.init(jnp.zeros(1)), [], jax.jit(tx.update)  # as a train step runs it
    for m in DOC_METRICS:
        u, state = update(jnp.ones(1), state, value=m)
        scales.append(float(u[0]))
    assert scales == DOC_OPTAX
    doc = (ROOT / "docs" / "hyperparameters.md").read_text()
    for name, values in (("metric", DOC_METRICS), ("torch lr", DOC_TORCH), ("optax scale", DOC_OPTAX)):
        assert f"| {name} | " + " | ".join(f"{v:g}" for v in values) + " |" in doc, name


def test_mistakes_one_text_host_and_jax():
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ReduceLROnPlateau(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), factor=1.0)
    for make in (lambda: Plateau(0.1, factor=1.0), lambda: reduce_lr_on_plateau(0.1, factor=1.0)):
        with pytest.raises(ValueError, match=r"torch.ReduceLROnPlateau: factor=1.0 is invalid; expected a finite "
                                             r"number in \[0.0, 1.0\)"):
            make()
    with pytest.raises(ValueError, match="torch.ReduceLROnPlateau: mode='minimum' is invalid"):
        reduce_lr_on_plateau(0.1, mode="minimum")
    with pytest.raises(ValueError, match="plateau_step: opt_state holds no PlateauState"):
        plateau_step(optax.sgd(0.1).init(jnp.zeros(1)), 1.0)
