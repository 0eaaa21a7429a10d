"""What bfloat16/float16 gradients and params do to the lr, and the float32-lr way.

Pins the measurements of ``docs/stepping.md`` ("Low precision") for a 1000-step linear
warmup to 1e-3: optax's default path rounds the lr to the update dtype before the
multiply (504 distinct effective lrs with bfloat16), torch's CPU ``SGD`` does the same
with bfloat16/float16 params, ``warmup_jax.precision`` keeps the lr in float32, and
only float32 master params keep the *applied* step accurate.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import optax
import pytest
import torch

import warmup_jax
import warmup_torch
from warmup_jax.precision import scale_by_learning_rate_f32, scale_by_schedule_f32
from warmup_spec import Schedule

CFG = {"schedule": "warmup_constant", "peak_value": 1e-3, "warmup_steps": 1000}
STEPS = 1000
SCHED = warmup_jax.schedule_from_config(CFG)
REF = np.array([Schedule(CFG)(t) for t in range(STEPS)])  # float64
LR32 = np.asarray(jax.vmap(SCHED)(jnp.arange(STEPS)), np.float32)  # what the schedule returns
N = 4096
G64 = np.random.default_rng(0).standard_normal(N)


def _updates(tx, g):
    """The update of each of the first STEPS counts for the constant gradient ``g``."""

    @jax.jit
    def run(g):
        def body(state, _):
            u, state = tx.update(g, state)
            return state, u

        return jax.lax.scan(body, tx.init(g), None, length=STEPS)[1]

    return np.asarray(run(g).astype(jnp.float32), np.float64)


def _rel(eff):
    return np.abs(eff[1:] - REF[1:]) / REF[1:]  # lr(0) = 0 is exact everywhere


def _ls_lr(u, g):
    """Least-squares effective lr of each step: the factor the whole update applies."""
    return (u @ g) / (g @ g)


# --- optax's default path ---------------------------------------------------------------


def test_optax_default_rounds_the_lr_to_bfloat16():
    eff = _updates(optax.sgd(SCHED), jnp.ones((), jnp.bfloat16)) * -1.0
    # exactly the float32 lr rounded to bfloat16
    np.testing.assert_array_equal(eff, LR32.astype(ml_dtypes.bfloat16).astype(np.float64))
    assert len(np.unique(eff)) == 504
    assert _rel(eff).max() == pytest.approx(3.854e-3, rel=1e-3)


def test_optax_default_float16_is_distinct_but_subnormal_below_6e_5():
    eff = _updates(optax.sgd(SCHED), jnp.ones((), jnp.float16)) * -1.0
    np.testing.assert_array_equal(eff, LR32.astype(np.float16).astype(np.float64))
    assert len(np.unique(eff)) == 1000
    rel = _rel(eff)
    assert rel.max() == pytest.approx(1.328e-2, rel=1e-3)
    normal = REF[1:] >= np.finfo(np.float16).tiny  # 6.1e-5: lr of step 62 on
    assert rel[normal].max() < 2**-11 * 1.001  # half an ulp where float16 is normal


def test_optax_default_scales_every_element_by_the_rounded_lr():
    g = jnp.asarray(G64, jnp.bfloat16)
    gf = np.asarray(g, np.float64)
    u = -_updates(optax.scale_by_learning_rate(SCHED), g)
    lr_bf16 = LR32.astype(ml_dtypes.bfloat16).astype(np.float32)
    # two roundings: bf16(bf16(lr) * g)
    want = (lr_bf16[:, None] * gf[None, :].astype(np.float32)).astype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(u, want.astype(np.float64))
    ls = _rel(np.array([_ls_lr(row, gf) for row in u]))
    assert 3e-3 < ls.max() < 5e-3 and ls.mean() > 1e-3  # a bias, not noise


# --- torch ----------------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "distinct"), [(torch.bfloat16, 504), (torch.float16, 1000)])
def test_torch_sgd_rounds_the_lr_to_the_param_dtype(dtype, distinct):
    g = torch.tensor(G64, dtype=dtype)
    p = torch.nn.Parameter(torch.zeros(N, dtype=dtype))
    opt = torch.optim.SGD([p], lr=1e-3)
    scheduler = warmup_torch.scheduler_from_config(opt, CFG)
    eff, rounded_lr = [], []
    for _ in range(STEPS):
        lr = opt.param_groups[0]["lr"]
        with torch.no_grad():
            p.zero_()
        p.grad = g.clone()
        opt.step()
        scheduler.step()
        step = -p.detach()
        assert torch.equal(step, g * torch.tensor(lr, dtype=dtype))  # dtype(lr) * g, rounded
        eff.append(float(step[0] / g[0]))
        rounded_lr.append(float(torch.tensor(lr, dtype=dtype)))
    assert len(np.unique(rounded_lr)) == distinct
    if dtype is torch.bfloat16:
        assert _rel(np.array(rounded_lr)).max() == pytest.approx(3.854e-3, rel=1e-3)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("lr_kind", ["float", "tensor32", "tensor64"])
def test_torch_rounds_a_tensor_lr_too(lr_kind, foreach):
    lr = 1e-3 * 0.5123
    lr_arg = {"float": lr, "tensor32": torch.tensor(lr), "tensor64": torch.tensor(lr, dtype=torch.float64)}[lr_kind]
    g = torch.tensor(G64, dtype=torch.bfloat16)
    p = torch.nn.Parameter(torch.zeros(N, dtype=torch.bfloat16))
    opt = torch.optim.SGD([p], lr=lr_arg, foreach=foreach)
    p.grad = g.clone()
    opt.step()
    assert torch.equal(-p.detach(), g * torch.tensor(lr, dtype=torch.bfloat16))
    assert not torch.equal(-p.detach(), (g.float() * lr).bfloat16())


# --- the float32 lr -----------------------------------------------------------------------


def test_f32_keep_gives_every_lr_exactly():
    tx = scale_by_learning_rate_f32(SCHED, keep_float32=True)
    for dt in (jnp.bfloat16, jnp.float16):
        eff = -_updates(tx, jnp.ones((), dt))
        np.testing.assert_array_equal(eff, LR32.astype(np.float64))
        assert len(np.unique(eff)) == 1000
        assert _rel(eff).max() < 1e-7


def test_f32_cast_back_rounds_once_and_removes_the_bias():
    g = jnp.asarray(G64, jnp.bfloat16)
    gf = np.asarray(g, np.float64)
    u = -_updates(scale_by_learning_rate_f32(SCHED), g)
    want = (LR32[:, None] * gf[None, :].astype(np.float32)).astype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(u, want.astype(np.float64))  # one rounding: bf16(lr * g)
    ls_f32 = np.array([_ls_lr(row, gf) for row in u])
    default = -_updates(optax.scale_by_learning_rate(SCHED), g)
    ls_default = np.array([_ls_lr(row, gf) for row in default])
    assert len(np.unique(ls_f32)) >= 990 and len(np.unique(ls_default)) == 504
    assert _rel(ls_f32).max() < 0.5 * _rel(ls_default).max()
    assert _rel(ls_f32).mean() < 0.1 * _rel(ls_default).mean()


def test_f32_transform_is_a_drop_in_in_float32_and_keeps_float64():
    """With float32 updates it is ``optax.adam(schedule)`` bit for bit; with float64
    updates under x64 nothing is rounded to float32."""
    g = jnp.asarray(G64[:64], jnp.float32)
    ours = optax.chain(optax.scale_by_adam(), scale_by_learning_rate_f32(SCHED))
    np.testing.assert_array_equal(_updates(ours, g), _updates(optax.adam(SCHED), g))
    with jax.enable_x64(True):
        sched64 = warmup_jax.schedule_from_config(CFG)
        tx = scale_by_schedule_f32(lambda c: 0.1 * sched64(c))
        u, state = tx.update(jnp.asarray([1.0 / 3.0], jnp.float64), tx.init(None))
        u, state = tx.update(jnp.asarray([1.0 / 3.0], jnp.float64), state)
        assert u.dtype == jnp.float64 and int(state.count) == 2
        assert float(u[0]) == pytest.approx(0.1 * 1e-6 / 3.0, rel=1e-15)
    const = scale_by_learning_rate_f32(0.1, flip_sign=False)
    u, _ = const.update(jnp.ones(2, jnp.bfloat16), const.init(None))
    assert u.dtype == jnp.bfloat16 and float(u[0]) == float(jnp.asarray(0.1, jnp.bfloat16))


# --- what reaches the params ------------------------------------------------------------


def _displacement_error(p_end, p0, g):
    exact = -g * REF.sum()
    disp = np.asarray(p_end, np.float64) - np.asarray(p0, np.float64)
    return np.linalg.norm(disp - exact) / np.linalg.norm(exact)


def test_low_precision_params_lose_the_step_whatever_the_lr_dtype():
    """1000 SGD steps with a fixed gradient on params ~ N(0, 0.05): the rounding of
    ``p + u`` dominates; float32 master params keep the warmup."""
    p064 = np.random.default_rng(1).normal(0.0, 0.05, N)
    p0 = jnp.asarray(p064, jnp.bfloat16)
    g = jnp.asarray(G64, jnp.bfloat16)
    gf = np.asarray(g, np.float64)

    def train(tx, p):
        @jax.jit
        def run(p):
            def body(c, _):
                p, st = c
                u, st = tx.update(g.astype(p.dtype), st, p)
                return (optax.apply_updates(p, u), st), None

            return jax.lax.scan(body, (p, tx.init(p)), None, length=STEPS)[0][0]

        return run(p)

    errs = {
        "default": _displacement_error(train(optax.sgd(SCHED), p0), p0, gf),
        "f32 keep": _displacement_error(
            train(scale_by_learning_rate_f32(SCHED, keep_float32=True), p0), p0, gf),
        "master": _displacement_error(train(optax.sgd(SCHED), p0.astype(jnp.float32)), p0, gf),
    }
    assert errs["default"] > 0.3 and errs["f32 keep"] > 0.3, errs
    assert errs["master"] < 1e-6, errs

    # torch: the same with bfloat16 params, and float32 master params
    for master, bound in ((False, None), (True, 1e-6)):
        p = torch.nn.Parameter(torch.tensor(np.asarray(p0, np.float64), dtype=torch.float32 if master else torch.bfloat16))
        opt = torch.optim.SGD([p], lr=1e-3)
        scheduler = warmup_torch.scheduler_from_config(opt, CFG)
        gt = torch.tensor(gf, dtype=p.dtype)
        for _ in range(STEPS):
            p.grad = gt.clone()
            opt.step()
            scheduler.step()
        err = _displacement_error(p.detach().double().numpy(), np.asarray(p0, np.float64), gf)
        if bound is None:
            assert err > 0.3
        else:
            assert err < bound
