"""Param groups (issue 5, item 4): the spec's group rule in torch and its
``optax.multi_transform`` equivalent, proven equal by training the matched Flax NNX / torch
MLP (``warmup_parity.models``) in float64 with two groups: the first layer ("emb") and the rest.

1. Half the lr for "emb": torch, ONE scheduler over two param groups (group lr 0.5 and the
   default 1.0, so group g gets ``f(k) * initial_lr_g / defaults["lr"]``); optax,
   ``multi_transform({"emb": adamw(scaled(cfg, 0.5)), "rest": adamw(cfg)})``.
2. A LONGER warmup for "emb": torch, ONE ``ScheduleLR`` with one schedule per group
   (``warmup_torch.ScheduleLR(opt, [cfg_emb, cfg_rest])``), and the routes without it: two
   optimizers each with its own scheduler, or torch's ``LambdaLR`` with one
   ``warmup_torch.Schedule`` per group; optax, ``multi_transform`` with two different
   schedules. All three torch routes are checked against optax and against each other.

Parameters after every step agree to 1e-9 of their max magnitude (float64); each group's lr
at each step agrees to 1e-12 (the two closed forms round differently, not bit for bit).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from flax import nnx
from torch.optim.lr_scheduler import LambdaLR

import warmup_jax
import warmup_torch as W
from warmup_parity.data import batch_indices, synthetic
from warmup_parity.models import build_flax, build_torch, flax_weights
from warmup_parity.optimizers import optax_transform, torch_optimizer

STEPS = 60
TOL_PARAMS = 1e-9  # max |jax - torch| / max |torch|, after every step
TOL_LR = 1e-12  # pointwise relative, each group, each step
ADAMW = {"name": "adamw", "weight_decay": 0.01}
BASE = {"schedule": "warmup_cosine_decay", "peak_value": 0.02, "warmup_steps": 10, "total_steps": 50, "end_value": 1e-4}
LONG = {**BASE, "warmup_steps": 30}  # the embedding group's longer warmup
DATA = synthetic(n=256, d=8, n_out=2, seed=11)
BATCHES = batch_indices(256, 32, STEPS, seed=5)
EMB = "l1"  # the first layer plays the embedding


def label_of(path: tuple[Any, ...]) -> str:
    return "emb" if str(path[0].key) == EMB else "rest"


def labels(params: Any) -> Any:
    """``multi_transform`` labels: "emb" for the first layer's kernel and bias, "rest" otherwise."""
    return jax.tree_util.tree_map_with_path(lambda path, _: label_of(path), params)


# --------------------------------------------------------------------------- the two sides


@functools.cache
def initial_weights() -> dict[str, np.ndarray]:
    with jax.enable_x64(True):
        return flax_weights(build_flax("mlp", 8, 2, "float64", seed=0, hidden=16))


def run_optax(make_tx: Callable[[], optax.GradientTransformation],
              schedules: dict[str, Callable[[Any], Any]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Trains the Flax model: (lr of each group at each step, params after each step in
    torch layout, flattened in torch's parameter order)."""
    with jax.enable_x64(True):
        model = build_flax("mlp", 8, 2, "float64", seed=0, hidden=16)
        optimizer = nnx.Optimizer(model, make_tx(), wrt=nnx.Param)
        x_all, y_all = jnp.asarray(DATA.x), jnp.asarray(DATA.y)

        @nnx.jit
        def step(model: Any, optimizer: Any, idx: Any) -> None:
            grads = nnx.grad(lambda m: jnp.mean((m(x_all[idx]) - y_all[idx]) ** 2))(model)
            optimizer.update(model, grads)

        lrs, snaps = [], []
        for k in range(STEPS):
            lr = {g: schedules[g](jnp.asarray(k)) for g in ("emb", "rest")}
            assert all(v.dtype == jnp.float64 for v in lr.values())
            lrs.append([float(lr["emb"]), float(lr["rest"])])
            step(model, optimizer, jnp.asarray(BATCHES[k]))
            w = flax_weights(model)
            snaps.append(np.concatenate([w[n].ravel() for n in TORCH_ORDER]))
        assert int(optimizer.step[...]) == STEPS
    return np.asarray(lrs), snaps


TORCH_ORDER = ("l1.weight", "l1.bias", "l2.weight", "l2.bias", "l3.weight", "l3.bias")


def torch_model() -> torch.nn.Module:
    model = build_torch("mlp", initial_weights(), "float64")
    assert tuple(n for n, _ in model.named_parameters()) == TORCH_ORDER
    return model


def split_params(model: torch.nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    emb = [p for n, p in model.named_parameters() if n.split(".")[0] == EMB]
    rest = [p for n, p in model.named_parameters() if n.split(".")[0] != EMB]
    return emb, rest


def run_torch(model: torch.nn.Module, steppers: list[tuple[torch.optim.Optimizer, Any]],
              group_lr: Callable[[], list[float]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Trains the torch twin with the given (optimizer, scheduler) pairs, all stepped each step."""
    x_all = torch.tensor(DATA.x, dtype=torch.float64)
    y_all = torch.tensor(DATA.y, dtype=torch.float64)
    lrs, snaps = [], []
    for k in range(STEPS):
        idx = torch.as_tensor(BATCHES[k])
        for opt, _ in steppers:
            opt.zero_grad()
        torch.nn.functional.mse_loss(model(x_all[idx]), y_all[idx]).backward()
        lrs.append(group_lr())
        for opt, sched in steppers:
            opt.step()
            sched.step()
        snaps.append(np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
    return np.asarray(lrs, np.float64), snaps


def param_errors(got: list[np.ndarray], ref: list[np.ndarray]) -> np.ndarray:
    return np.asarray([np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in zip(got, ref)])


def assert_same_training(jax_run: tuple[np.ndarray, list[np.ndarray]], torch_run: tuple[np.ndarray, list[np.ndarray]]) -> float:
    (lr_j, p_j), (lr_t, p_t) = jax_run, torch_run
    assert lr_j.shape == lr_t.shape == (STEPS, 2)
    np.testing.assert_allclose(lr_t, lr_j, rtol=TOL_LR, atol=0)
    err = param_errors(p_j, p_t)
    assert err.max() <= TOL_PARAMS, f"max param error {err.max():.2e} at step {int(err.argmax())}"
    # the run is not trivial: both groups moved, and the groups' lrs differ
    assert not np.allclose(p_t[-1], p_t[0]) and not np.array_equal(lr_t[:, 0], lr_t[:, 1])
    return float(err.max())


# --------------------------------------------------------------------------- case 1: half the lr


@functools.cache
def optax_half() -> tuple[np.ndarray, list[np.ndarray]]:
    with jax.enable_x64(True):
        emb, rest = warmup_jax.scaled(BASE, 0.5), warmup_jax.schedule_from_config(BASE)
    return run_optax(
        lambda: optax.multi_transform(
            {"emb": optax_transform(ADAMW, emb), "rest": optax_transform(ADAMW, rest)}, labels
        ),
        {"emb": emb, "rest": rest},
    )


def test_half_lr_for_embeddings_one_scheduler_two_groups() -> None:
    model = torch_model()
    emb, rest = split_params(model)
    # torch_optimizer builds lr=1.0 (the default), so the emb group's 0.5 is its ratio
    opt, sched = torch_optimizer(ADAMW, [{"params": emb, "lr": 0.5}, {"params": rest}], BASE)
    assert type(sched) is W.ScheduleLR and sched.ratios == [0.5, 1.0]
    run = run_torch(model, [(opt, sched)], lambda: [g["lr"] for g in opt.param_groups])
    lr_t = run[0]
    assert np.array_equal(lr_t[:, 0], 0.5 * lr_t[:, 1])  # the rule, exactly
    f = W.schedule_from_config(BASE)
    assert lr_t[:, 1].tolist() == [f(k) for k in range(STEPS)]
    assert_same_training(optax_half(), run)


def test_group_rule_does_not_depend_on_the_default_lr() -> None:
    """Default lr 3e-4 with the emb group at 1.5e-4: the same ratios, the same training."""
    model = torch_model()
    emb, rest = split_params(model)
    opt = torch.optim.AdamW([{"params": emb, "lr": 1.5e-4}, {"params": rest}], lr=3e-4, weight_decay=0.01)
    sched = W.scheduler_from_config(opt, BASE)
    assert sched.ratios == [1.5e-4 / 3e-4, 1.0]
    run = run_torch(model, [(opt, sched)], lambda: [g["lr"] for g in opt.param_groups])
    assert_same_training(optax_half(), run)


def test_a_wrong_group_factor_is_caught() -> None:
    """The comparison can fail: optax with the emb group at 0.4 instead of 0.5."""
    with jax.enable_x64(True):
        emb, rest = warmup_jax.scaled(BASE, 0.4), warmup_jax.schedule_from_config(BASE)
    wrong = run_optax(
        lambda: optax.multi_transform(
            {"emb": optax_transform(ADAMW, emb), "rest": optax_transform(ADAMW, rest)}, labels
        ),
        {"emb": emb, "rest": rest},
    )
    model = torch_model()
    e, r = split_params(model)
    opt, sched = torch_optimizer(ADAMW, [{"params": e, "lr": 0.5}, {"params": r}], BASE)
    run = run_torch(model, [(opt, sched)], lambda: [g["lr"] for g in opt.param_groups])
    assert param_errors(wrong[1], run[1]).max() > 1e3 * TOL_PARAMS
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(run[0], wrong[0], rtol=TOL_LR, atol=0)


# --------------------------------------------------------------------------- case 2: longer warmup


@functools.cache
def optax_long() -> tuple[np.ndarray, list[np.ndarray]]:
    with jax.enable_x64(True):
        emb, rest = warmup_jax.schedule_from_config(LONG), warmup_jax.schedule_from_config(BASE)
    return run_optax(
        lambda: optax.multi_transform(
            {"emb": optax_transform(ADAMW, emb), "rest": optax_transform(ADAMW, rest)}, labels
        ),
        {"emb": emb, "rest": rest},
    )


def torch_two_optimizers() -> tuple[np.ndarray, list[np.ndarray], list[Any]]:
    model = torch_model()
    emb, rest = split_params(model)
    opt_e, sched_e = torch_optimizer(ADAMW, emb, LONG)
    opt_r, sched_r = torch_optimizer(ADAMW, rest, BASE)
    lrs, snaps = run_torch(model, [(opt_e, sched_e), (opt_r, sched_r)],
                           lambda: [opt_e.param_groups[0]["lr"], opt_r.param_groups[0]["lr"]])
    return lrs, snaps, [sched_e, sched_r]


def torch_lambda_lr() -> tuple[np.ndarray, list[np.ndarray], LambdaLR]:
    model = torch_model()
    emb, rest = split_params(model)
    opt = torch.optim.AdamW([{"params": emb}, {"params": rest}], lr=1.0, weight_decay=0.01)
    f_emb, f_rest = W.schedule_from_config(LONG), W.schedule_from_config(BASE)
    # LambdaLR: lr_g = initial_lr_g * lambda_g(k) = 1.0 * f_g(k), exactly f_g(k)
    sched = LambdaLR(opt, [lambda k: f_emb(k), lambda k: f_rest(k)])
    lrs, snaps = run_torch(model, [(opt, sched)], lambda: [g["lr"] for g in opt.param_groups])
    return lrs, snaps, sched


def test_longer_warmup_two_optimizers_each_with_its_scheduler() -> None:
    lrs, snaps, scheds = torch_two_optimizers()
    f_emb, f_rest = W.schedule_from_config(LONG), W.schedule_from_config(BASE)
    assert lrs[:, 0].tolist() == [f_emb(k) for k in range(STEPS)]
    assert lrs[:, 1].tolist() == [f_rest(k) for k in range(STEPS)]
    assert lrs[10, 1] == 0.02 and lrs[10, 0] == pytest.approx(0.02 / 3, rel=1e-15)  # rest peaks, emb a third up
    assert_same_training(optax_long(), (lrs, snaps))
    # each scheduler's state records its own schedule
    assert [s.state_dict()["schedule"]["warmup_steps"] for s in scheds] == [30, 10]


def test_longer_warmup_lambda_lr_per_group() -> None:
    lrs, snaps, sched = torch_lambda_lr()
    f_emb, f_rest = W.schedule_from_config(LONG), W.schedule_from_config(BASE)
    assert lrs[:, 0].tolist() == [f_emb(k) for k in range(STEPS)]
    assert lrs[:, 1].tolist() == [f_rest(k) for k in range(STEPS)]
    assert_same_training(optax_long(), (lrs, snaps))
    # the two torch routes train identically, bit for bit
    lrs2, snaps2, _ = torch_two_optimizers()
    assert np.array_equal(lrs, lrs2)
    assert all(np.array_equal(a, b) for a, b in zip(snaps, snaps2))


def torch_per_group_scheduler(cfgs: Any = (LONG, BASE)) -> tuple[np.ndarray, list[np.ndarray], W.ScheduleLR]:
    model = torch_model()
    emb, rest = split_params(model)
    opt = torch.optim.AdamW([{"params": emb}, {"params": rest}], lr=123.0, weight_decay=0.01)
    sched = W.ScheduleLR(opt, list(cfgs))
    lrs, snaps = run_torch(model, [(opt, sched)], lambda: [g["lr"] for g in opt.param_groups])
    return lrs, snaps, sched


def test_longer_warmup_one_scheduler_one_schedule_per_group() -> None:
    """``ScheduleLR(optimizer, [f_emb, f_rest])``: group g gets f_g(k) itself, whatever
    lr the optimizer was built with; equal to optax's multi_transform and, bit for bit,
    to the two torch routes above."""
    lrs, snaps, sched = torch_per_group_scheduler()
    f_emb, f_rest = W.schedule_from_config(LONG), W.schedule_from_config(BASE)
    assert type(sched) is W.ScheduleLR and sched.schedule is None and sched.ratios == [1.0, 1.0]
    assert lrs[:, 0].tolist() == [f_emb(k) for k in range(STEPS)]
    assert lrs[:, 1].tolist() == [f_rest(k) for k in range(STEPS)]
    assert sched.get_last_lr() == [f_emb(STEPS), f_rest(STEPS)]
    assert_same_training(optax_long(), (lrs, snaps))
    lrs2, snaps2, _ = torch_two_optimizers()
    assert np.array_equal(lrs, lrs2) and all(np.array_equal(a, b) for a, b in zip(snaps, snaps2))
    # specs, Schedules and configs are accepted alike; a tuple as well as a list
    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                           {"params": [torch.zeros(1, requires_grad=True)]}], lr=1.0)
    same = W.ScheduleLR(opt, (f_emb.spec, W.schedule_from_config(BASE)))
    assert same.spec == [f_emb.spec, f_rest.spec] and same.lrs_at(20) == [f_emb(20), f_rest(20)]


def test_per_group_schedules_resume_and_check_their_configs() -> None:
    """The state records every group's config; it resumes mid-warmup of the emb group, in
    either restore order, to the uninterrupted run's lrs; a different list is refused."""
    full, _, _ = torch_per_group_scheduler()
    for k in (5, 20, 55):
        opt = torch.optim.AdamW([{"params": [torch.zeros(1, requires_grad=True)]},
                                 {"params": [torch.zeros(1, requires_grad=True)]}], lr=1.0)
        sched = W.ScheduleLR(opt, [LONG, BASE])
        for _ in range(k):
            opt.step()
            sched.step()
        buf = io.BytesIO()
        torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, buf)
        buf.seek(0)
        state = torch.load(buf, weights_only=True)
        assert state["sched"]["schedule"] == [W.schedule_from_config(LONG).config(), W.schedule_from_config(BASE).config()]
        for order in ("optimizer_first", "scheduler_first"):
            opt2 = torch.optim.AdamW([{"params": [torch.zeros(1, requires_grad=True)]},
                                      {"params": [torch.zeros(1, requires_grad=True)]}], lr=1.0)
            if order == "optimizer_first":
                opt2.load_state_dict(state["opt"])
                again = W.resume(opt2, state["sched"])
            else:
                again = W.resume(opt2, state["sched"])
                opt2.load_state_dict(state["opt"])
            got = []
            for _ in range(STEPS - k):
                got.append([g["lr"] for g in opt2.param_groups])
                opt2.step()
                again.step()
            assert np.array_equal(np.asarray(got), full[k:]), (k, order)
    swapped = W.ScheduleLR(opt, [BASE, LONG])
    with pytest.raises(ValueError, match="one schedule per param group"):
        swapped.load_state_dict(state["sched"])
    single = W.ScheduleLR(opt, BASE)
    with pytest.raises(ValueError, match="saved state is for one schedule per param group"):
        single.load_state_dict(state["sched"])


def test_per_group_schedules_must_match_the_groups() -> None:
    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                           {"params": [torch.zeros(1, requires_grad=True)]}], lr=1.0)
    for cfgs in ([BASE], [BASE, BASE, LONG], []):
        with pytest.raises(ValueError, match=f"got {len(cfgs)} schedules for 2 param groups"):
            W.ScheduleLR(opt, cfgs)
    bad = {**LONG, "warmup_steps": -1}
    with pytest.raises(ValueError, match=r"warmup_steps=-1 is invalid"):
        W.ScheduleLR(opt, [BASE, bad])
    # scheduler_from_config takes a list too (what to_config gives for groups with different base lrs);
    # warmup_jax.schedule_from_config, which has no param groups, says what to do instead
    both = W.scheduler_from_config(opt, [LONG, BASE])
    assert type(both) is W.ScheduleLR and both.schedule is None and [f.spec for f in both.schedules] == [
        W.schedule_from_config(LONG).spec, W.schedule_from_config(BASE).spec]
    import warmup_jax

    with pytest.raises(ValueError, match="one config per torch param group.*multi_transform"):
        warmup_jax.schedule_from_config([BASE, LONG])


def test_lambda_lr_can_checkpoint_schedule_objects() -> None:
    """``LambdaLR.state_dict`` saves ``fn.__dict__`` of callable objects: a ``Schedule`` has an
    always-empty one (its state is the spec), so LambdaLR over Schedules checkpoints and resumes."""
    def make() -> tuple[torch.optim.Optimizer, LambdaLR]:
        opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                               {"params": [torch.zeros(1, requires_grad=True)]}], lr=1.0)
        return opt, LambdaLR(opt, [W.schedule_from_config(LONG), W.schedule_from_config(BASE)])

    opt, sched = make()
    for _ in range(12):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{}, {}]
    opt2, again = make()
    again.load_state_dict(state)
    opt2.load_state_dict(opt.state_dict())
    assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
    opt.step(), sched.step(), opt2.step(), again.step()
    assert again.get_last_lr() == sched.get_last_lr() == [W.schedule_from_config(LONG)(13), W.schedule_from_config(BASE)(13)]
    _, _, wrapped = torch_lambda_lr()
    assert wrapped.state_dict()["lr_lambdas"] == [None, None]


def test_per_group_schedulers_compose_with_sequential_lr() -> None:
    """Two per-group ScheduleLRs in torch's SequentialLR: each group follows its own schedule,
    then both switch at the milestone (the second restarts at its step 0)."""
    a = {"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 4}
    b = {"schedule": "warmup_constant", "peak_value": 0.5, "warmup_steps": 2}
    c = {"schedule": "warmup_linear_decay", "peak_value": 0.1, "warmup_steps": 0, "total_steps": 4}
    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                           {"params": [torch.zeros(1, requires_grad=True)]}], lr=1.0)
    seq = torch.optim.lr_scheduler.SequentialLR(opt, [W.ScheduleLR(opt, [a, b]), W.ScheduleLR(opt, [c, c])],
                                                milestones=[5])
    got = []
    for _ in range(9):
        got.append([g["lr"] for g in opt.param_groups])
        opt.step()
        seq.step()
    fa, fb, fc = (W.schedule_from_config(x) for x in (a, b, c))
    assert got == [[fa(k), fb(k)] for k in range(5)] + [[fc(k), fc(k)] for k in range(4)]
    assert got[3] == [0.75, 0.5] and got[5] == [0.1, 0.1]
