"""Matched optimizer pairs (``warmup_parity.optimizers``): the Optax transformation and the torch
optimizer of every pair train the same 2-layer tanh MLP to the same parameters under our
schedules, in float64 (rtol 1e-9) and float32 (norm-relative 1e-5); the lrs agree step by
step; known wrong mappings fail the same comparison by a wide margin; inexact pairs need
``approximate=True``.

The model is pure functions over a params dict (JAX) and plain leaf tensors (torch), weights
``(in, out)`` on both sides, initial values copied from one numpy draw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import warmup_jax
from warmup_parity.optimizers import (
    DEFAULTS,
    MAPPING,
    PAIR_NAMES,
    OptimizerSpec,
    mapping_table_markdown,
    optax_transform,
    optimizer_from_config,
    pair,
    torch_optimizer,
)

STEPS = 300
N, D_IN, HIDDEN, D_OUT = 64, 5, 16, 3
TOL_F64 = 1e-9  # max |jax - torch| / max |torch| after STEPS updates
TOL_F32 = 1e-5  # ||jax - torch|| / ||torch||
TOL_F32_RADAM = 3e-5  # RAdam's rho_t = rho_inf - 2t b2**t / (1 - b2**t) cancels in float32 (torch: Python float64)
TOL_GRAD_F64, TOL_GRAD_F32 = 1e-14, 1e-6
TOL_LR = 1e-12  # x64 optax schedule(k) vs torch's group lr, pointwise relative (the project's
# float64 lr tolerance): not bit-identical, the two closed forms round differently
KEYS = ("w1", "b1", "w2", "b2")

# Peak lrs: moderate, RMSprop <= 2e-4 and Adagrad <= 1e-2 (chaotic above, traps.md).
PEAK = {"sgd": 0.05, "adam": 1e-3, "rmsprop": 2e-4, "adagrad": 1e-2}

# Every pair under both SCHEDULES; the variants (non-default options) under one each.
PAIRS: list[dict[str, Any]] = [
    {"name": "sgd"},
    {"name": "sgd_momentum"},
    {"name": "nesterov", "momentum": 0.8},
    {"name": "sgd_l2"},
    {"name": "adam"},
    {"name": "adam_l2"},
    {"name": "adamw"},
    {"name": "nadam"},
    {"name": "radam"},
    {"name": "adamax"},
    {"name": "rmsprop"},
    {"name": "rmsprop_momentum"},
    {"name": "rmsprop_centered"},
    {"name": "adagrad", "eps": 0.0},
]
VARIANTS: list[tuple[dict[str, Any], str]] = [
    ({"name": "sgd_l2", "weight_decay": 5e-3, "momentum": 0.9, "nesterov": True}, "one_cycle"),
    ({"name": "adamw", "weight_decay": 0.1, "b1": 0.8, "b2": 0.99}, "warmup_cosine_decay"),
    ({"name": "adam", "amsgrad": True, "eps": 0.0}, "one_cycle"),
    ({"name": "adamw", "amsgrad": True, "eps": 0.0}, "warmup_cosine_decay"),
    ({"name": "rmsprop_centered", "momentum": 0.9}, "one_cycle"),
    ({"name": "nadam", "weight_decay": 0.05, "decoupled_weight_decay": True, "momentum_decay": 0.01},
     "warmup_cosine_decay"),
    ({"name": "nadam", "weight_decay": 0.01, "b2": 0.99}, "one_cycle"),
    ({"name": "radam", "weight_decay": 0.05, "decoupled_weight_decay": True}, "one_cycle"),
    ({"name": "radam", "weight_decay": 0.01, "eps": 1e-3}, "warmup_cosine_decay"),
    ({"name": "adamax", "weight_decay": 0.01, "b1": 0.8}, "one_cycle"),
    ({"name": "adagrad", "eps": 0.0, "initial_accumulator_value": 0.1}, "warmup_cosine_decay"),
]
SCHEDULES = ("warmup_cosine_decay", "one_cycle")


def _case_id(cfg: dict[str, Any]) -> str:
    """``name[key=value-...]`` for the non-name keys."""
    extra = "-".join(f"{k}={v}" for k, v in cfg.items() if k != "name")
    return cfg["name"] + (f"[{extra}]" if extra else "")


def _family(name: str) -> str:
    """The key of PEAK: the torch class, Adam's peak for every Adam variant."""
    cls = pair(name).torch_class.lower()
    return cls if cls in PEAK else "adam"


def schedule_cfg(kind: str, peak: float) -> dict[str, Any]:
    """A schedule config of ``kind`` peaking at ``peak``, ending at STEPS."""
    if kind == "warmup_cosine_decay":
        return {"schedule": kind, "peak_value": peak, "warmup_steps": 40, "total_steps": STEPS,
                "end_value": peak / 100}
    if kind == "warmup_linear_decay":
        return {"schedule": kind, "peak_value": peak, "warmup_steps": 25, "total_steps": STEPS}
    if kind == "one_cycle":
        return {"schedule": kind, "peak_value": peak, "total_steps": STEPS, "pct_start": 0.25}
    raise ValueError(kind)


# --------------------------------------------------------------------------- model and data


def _initial_arrays() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Float64 initial params, inputs and targets, from one fixed numpy seed."""
    rng = np.random.default_rng(20240607)
    params = {
        "w1": rng.normal(size=(D_IN, HIDDEN)) / np.sqrt(D_IN),
        "b1": 0.1 * rng.normal(size=HIDDEN),
        "w2": rng.normal(size=(HIDDEN, D_OUT)) / np.sqrt(HIDDEN),
        "b2": 0.1 * rng.normal(size=D_OUT),
    }
    x = rng.normal(size=(N, D_IN))
    teacher = rng.normal(size=(D_IN, D_OUT))
    y = np.sin(x @ teacher) + 0.1 * rng.normal(size=(N, D_OUT))
    return params, x, y


PARAMS0, X, Y = _initial_arrays()


def jax_loss(params: dict[str, Any], x: Any, y: Any) -> Any:
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.mean((h @ params["w2"] + params["b2"] - y) ** 2)


def torch_loss(params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    h = torch.tanh(x @ params["w1"] + params["b1"])
    return torch.mean((h @ params["w2"] + params["b2"] - y) ** 2)


def _flat(params: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.asarray(params[k], np.float64).ravel() for k in KEYS])


def run_jax(tx: optax.GradientTransformation, dtype: Any, steps: int = STEPS) -> tuple[np.ndarray, float, np.ndarray]:
    """Trains the JAX model with ``tx``: (final params flat, step-0 loss, step-0 grads flat)."""
    params = {k: jnp.asarray(v, dtype) for k, v in PARAMS0.items()}
    x, y = jnp.asarray(X, dtype), jnp.asarray(Y, dtype)
    value_and_grad = jax.value_and_grad(jax_loss)
    loss0, grads0 = value_and_grad(params, x, y)

    @jax.jit
    def train(params: Any, state: Any) -> Any:
        def body(_: Any, carry: Any) -> Any:
            p, s = carry
            g = jax.grad(jax_loss)(p, x, y)
            u, s = tx.update(g, s, p)
            return optax.apply_updates(p, u), s

        return jax.lax.fori_loop(0, steps, body, (params, state))[0]

    final = train(params, tx.init(params))
    assert all(final[k].dtype == dtype for k in KEYS)
    return _flat(final), float(loss0), _flat(grads0)


def _torch_params(dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in PARAMS0.items()}


def run_torch(make: Callable[[list[torch.Tensor]], tuple[torch.optim.Optimizer, Any]], dtype: torch.dtype,
              steps: int = STEPS) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Trains the torch model: (final params flat, step-0 loss, step-0 grads flat, lr of every step)."""
    params = _torch_params(dtype)
    x, y = torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype)
    opt, scheduler = make([params[k] for k in KEYS])
    lrs, loss0, grads0 = [], None, None
    for k in range(steps):
        opt.zero_grad()
        loss = torch_loss(params, x, y)
        loss.backward()
        if k == 0:
            loss0 = float(loss.detach())
            grads0 = np.concatenate([params[n].grad.detach().numpy().astype(np.float64).ravel() for n in KEYS])
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return _flat({k: v.detach().numpy() for k, v in params.items()}), loss0, grads0, np.asarray(lrs, np.float64)


def diffs(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(max |a - b|, max |a - b| / max |b|, ||a - b|| / ||b||)."""
    d = np.abs(a - b)
    return float(d.max()), float(d.max() / np.abs(b).max()), float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _jax_lrs(sched: Callable[[Any], Any], steps: int = STEPS) -> np.ndarray:
    return np.asarray(jax.jit(jax.vmap(sched))(jnp.arange(steps)), np.float64)


def compare_f64(tx_of: Callable[[Any], optax.GradientTransformation], make_torch: Callable, cfg: dict[str, Any]):
    """Float64 run of both sides; returns (jax result, torch result, jax lrs)."""
    with jax.enable_x64(True):
        sched = warmup_jax.schedule_from_config(cfg)
        assert sched(jnp.asarray(3)).dtype == jnp.float64
        j = run_jax(tx_of(sched), jnp.float64)
        lrs = _jax_lrs(sched)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps its mu_product in the default dtype
    try:
        t = run_torch(make_torch, torch.float64)
    finally:
        torch.set_default_dtype(default)
    return j, t, lrs


def compare_f32(tx_of: Callable[[Any], optax.GradientTransformation], make_torch: Callable, cfg: dict[str, Any]):
    j = run_jax(tx_of(warmup_jax.schedule_from_config(cfg)), jnp.float32)
    t = run_torch(make_torch, torch.float32)
    return j, t


def _pair_makers(spec: OptimizerSpec, cfg: dict[str, Any]):
    return (lambda sched: optax_transform(spec, sched)), (lambda params: torch_optimizer(spec, params, cfg))


# --------------------------------------------------------------------------- parity of every pair

RESULTS: dict[str, dict[str, tuple[float, ...]]] = {}  # for the report: id -> measured diffs


def _runs(fast: Callable[[dict[str, Any], str, bool], bool]) -> list[Any]:
    """Every pair under both SCHEDULES and every variant, as pytest params; ``fast(case, kind,
    variant)`` False: under ``slow`` (``make test-all``)."""
    runs = [(c, k, False) for c in PAIRS for k in SCHEDULES] + [(c, k, True) for c, k in VARIANTS]
    return [pytest.param(c, k, id=f"{_case_id(c)}-{k}", marks=() if fast(c, k, v) else pytest.mark.slow)
            for c, k, v in runs]


# Each run compiles its training loop: ``make test`` trains every pair in float64 under
# one_cycle (the lr and, where the pair has one, the momentum cycled) and every variant,
# and in float32 under the warmup cosine one pair of each torch class (F32_FAST: SGD with
# momentum, Adam, AdamW, NAdam, RAdam, Adamax, centred RMSprop, Adagrad); ``make test-all``
# every run in both.
F32_FAST = {"sgd_momentum", "adam", "adamw", "nadam", "radam", "adamax", "rmsprop_centered", "adagrad"}
RUNS_F64 = _runs(lambda case, kind, variant: variant or kind == "one_cycle")
RUNS_F32 = _runs(lambda case, kind, variant: not variant and kind == "warmup_cosine_decay"
                 and case["name"] in F32_FAST)


@pytest.mark.parametrize("case,kind", RUNS_F64)
def test_pair_float64(case: dict[str, Any], kind: str) -> None:
    spec = optimizer_from_config(case)
    assert spec.exact
    cfg = schedule_cfg(kind, PEAK[_family(spec.name)])
    if spec.name == "adagrad" and kind == "one_cycle":  # torch refuses to cycle a momentum Adagrad has not
        cfg["cycle_momentum"] = False
    (pj, lj, gj), (pt, lt, gt, lrs_t), lrs_j = compare_f64(*_pair_makers(spec, cfg), cfg)
    # the model first: step-0 loss and gradients
    assert abs(lj - lt) <= TOL_GRAD_F64 * abs(lt)
    assert np.abs(gj - gt).max() <= TOL_GRAD_F64 * np.abs(gt).max()
    # the lr of every update (the two closed forms differ by a few ulps at most)
    np.testing.assert_allclose(lrs_j, lrs_t, rtol=TOL_LR, atol=0)
    assert lrs_t.max() > 0.5 * PEAK[_family(spec.name)]
    # the parameters after STEPS updates; they moved far more than the tolerance
    max_abs, max_rel, norm_rel = diffs(pj, pt)
    RESULTS.setdefault(f"{_case_id(case)}/{kind}", {})["f64"] = (max_abs, max_rel, norm_rel)
    assert max_rel <= TOL_F64, f"max |diff| {max_abs:.2e}, relative {max_rel:.2e}"
    np.testing.assert_allclose(pj, pt, rtol=TOL_F64, atol=TOL_F64 * np.abs(pt).max())
    assert diffs(pt, _flat(PARAMS0))[1] > 1e3 * TOL_F64


@pytest.mark.parametrize("case,kind", RUNS_F32)
def test_pair_float32(case: dict[str, Any], kind: str) -> None:
    spec = optimizer_from_config(case)
    cfg = schedule_cfg(kind, PEAK[_family(spec.name)])
    if spec.name == "adagrad" and kind == "one_cycle":  # torch refuses to cycle a momentum Adagrad has not
        cfg["cycle_momentum"] = False
    (pj, lj, gj), (pt, lt, gt, _) = compare_f32(*_pair_makers(spec, cfg), cfg)
    assert abs(lj - lt) <= TOL_GRAD_F32 * abs(lt)
    assert np.abs(gj - gt).max() <= TOL_GRAD_F32 * np.abs(gt).max()
    max_abs, max_rel, norm_rel = diffs(pj, pt)
    RESULTS.setdefault(f"{_case_id(case)}/{kind}", {})["f32"] = (max_abs, max_rel, norm_rel)
    tol = TOL_F32_RADAM if spec.name == "radam" else TOL_F32
    assert norm_rel <= tol, f"||diff||/||torch|| {norm_rel:.2e}, max |diff| {max_abs:.2e}"
    assert diffs(pt, _flat(PARAMS0))[2] > 100 * TOL_F32


def test_every_pair_is_tested() -> None:
    assert [c["name"] for c in PAIRS] == list(PAIR_NAMES)


def test_lr_of_every_step_linear_decay_and_param_groups() -> None:
    """A third schedule, and a second param group whose own lr multiplies the schedule."""
    cfg = schedule_cfg("warmup_linear_decay", 1e-3)
    with jax.enable_x64(True):
        lrs_j = _jax_lrs(warmup_jax.schedule_from_config(cfg))
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    opt, sched = torch_optimizer({"name": "adamw"}, [{"params": [a]}, {"params": [b], "lr": 0.5}], cfg)
    got = []
    for _ in range(STEPS):
        got.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    got = np.asarray(got)
    np.testing.assert_allclose(got[:, 0], lrs_j, rtol=TOL_LR, atol=0)
    np.testing.assert_allclose(got[:, 1], 0.5 * lrs_j, rtol=1e-15, atol=0)


# --------------------------------------------------------------------------- wrong mappings fail


def _wrong_cases() -> dict[str, tuple[dict[str, Any], Callable[[Any], optax.GradientTransformation]]]:
    """name -> (the torch side's pair config, a WRONG optax side)."""
    return {
        "rmsprop eps_in_sqrt=True (optax default)": (
            {"name": "rmsprop"}, lambda s: optax.rmsprop(s, decay=0.99, eps=1e-8)),
        "rmsprop optax defaults (decay 0.9)": (
            {"name": "rmsprop"}, lambda s: optax.rmsprop(s, eps_in_sqrt=False)),
        "optax.rmsprop(momentum=) under a changing lr": (
            {"name": "rmsprop_momentum", "momentum": 0.9},
            lambda s: optax.rmsprop(s, decay=0.99, eps=1e-8, eps_in_sqrt=False, momentum=0.9)),
        "add_decayed_weights after sgd": (
            {"name": "sgd_l2", "weight_decay": 1e-2, "momentum": 0.9},
            lambda s: optax.chain(optax.sgd(s, momentum=0.9), optax.add_decayed_weights(1e-2))),
        "adamw with optax's default weight decay": (
            {"name": "adamw"},
            lambda s: optax.adamw(s, b1=jnp.asarray(0.9), b2=jnp.asarray(0.999))),
        "adam_l2 as decoupled decay": (
            {"name": "adam_l2", "weight_decay": 1e-2},
            lambda s: optax.adamw(s, b1=jnp.asarray(0.9), b2=jnp.asarray(0.999), weight_decay=1e-2)),
        "adagrad with optax defaults": (
            {"name": "adagrad", "eps": 0.0}, lambda s: optax.adagrad(s)),
        "optax.amsgrad for torch amsgrad": (
            {"name": "adam", "amsgrad": True, "approximate": True},
            lambda s: optax.amsgrad(s, b1=jnp.asarray(0.9), b2=jnp.asarray(0.999))),
        "optax.nadam for torch NAdam": (
            {"name": "nadam"}, lambda s: optax.nadam(s, b1=jnp.asarray(0.9), b2=jnp.asarray(0.999))),
        "optax.radam for torch RAdam": (
            {"name": "radam", "eps": 1e-3},
            lambda s: optax.radam(s, b1=jnp.asarray(0.9), b2=jnp.asarray(0.999), eps=1e-3)),
    }


@pytest.mark.parametrize("wrong", list(_wrong_cases()))
def test_wrong_mapping_is_caught(wrong: str) -> None:
    case, bad_tx = _wrong_cases()[wrong]
    spec = optimizer_from_config(case)
    cfg = schedule_cfg("warmup_cosine_decay", PEAK[_family(spec.name)])
    (pj, _, gj), (pt, _, gt, _), _ = compare_f64(bad_tx, lambda p: torch_optimizer(spec, p, cfg), cfg)
    np.testing.assert_allclose(gj, gt, rtol=0, atol=TOL_GRAD_F64 * np.abs(gt).max())  # same model
    max_abs, max_rel, _ = diffs(pj, pt)
    RESULTS.setdefault("WRONG " + wrong, {})["f64"] = diffs(pj, pt)
    assert max_rel > 1e5 * TOL_F64, f"wrong mapping not caught: relative diff {max_rel:.2e}"


# --------------------------------------------------------------------------- approximate pairs

APPROXIMATE = [
    ({"name": "adagrad"}, "eps"),  # the default eps=1e-10
    ({"name": "adagrad", "eps": 1e-6, "initial_accumulator_value": 0.1}, "eps"),
    ({"name": "adam", "amsgrad": True}, "amsgrad"),
    ({"name": "adam_l2", "amsgrad": True}, "amsgrad"),
    ({"name": "adamw", "amsgrad": True, "weight_decay": 0.1}, "amsgrad"),
]


@pytest.mark.parametrize("case,word", APPROXIMATE, ids=lambda c: _case_id(c) if isinstance(c, dict) else c)
def test_approximate_pairs_need_the_flag(case: dict[str, Any], word: str) -> None:
    with pytest.raises(ValueError, match=f"no exact optax/torch match.*{word}.*approximate=True"):
        optimizer_from_config(case)
    with pytest.raises(ValueError, match="approximate=True"):
        OptimizerSpec(case["name"], {k: v for k, v in case.items() if k != "name"})
    with pytest.raises(ValueError, match="approximate=True"):
        optax_transform(case, 1e-3)
    spec = optimizer_from_config(case, approximate=True)
    assert spec.approximate and not spec.exact and spec.reasons
    assert optimizer_from_config({**case, "approximate": True}) == spec
    assert spec.to_config()["approximate"] is True
    cfg = schedule_cfg("warmup_cosine_decay", PEAK[_family(spec.name)])
    (pj, _, _), (pt, _, _, _), _ = compare_f64(*_pair_makers(spec, cfg), cfg)
    RESULTS.setdefault("APPROX " + _case_id(case), {})["f64"] = diffs(pj, pt)
    assert diffs(pj, pt)[2] <= 1e-4  # close (measured <= 6e-6), but not claimed exact


def test_approximate_flag_on_an_exact_pair_is_harmless() -> None:
    spec = optimizer_from_config({"name": "adam"}, approximate=True)
    assert spec.exact and not spec.approximate  # the flag reports what was built
    assert spec == optimizer_from_config({"name": "adam"})
    described = optimizer_from_config({"name": "adagrad", "approximate": True}).describe()
    assert described["exact"] is False and described["eps"] == 1e-10 and "outside" in described["reasons"][0]


# --------------------------------------------------------------------------- config errors and table


@pytest.mark.parametrize("cfg,match", [
    ({"name": "lamb"}, r"unknown optimizer pair 'lamb'; valid names: adagrad, adam, adam_l2, adamax, adamw"),
    ({"name": "adamw", "betas": (0.9, 0.99)}, r"unknown hyperparameter\(s\) 'betas'; valid: weight_decay, b1, b2"),
    ({"name": "sgd", "lr": 0.1}, r"'lr' \(the learning rate is the schedule"),
    ({"name": "rmsprop", "decay": 0.9}, r"'decay'; valid: alpha, eps"),
    ({"b1": 0.9}, r"mapping with a 'name'"),
    ({"name": "adam", "b1": 1.0}, r"b1 must be in \[0, 1\)"),
    ({"name": "adam", "eps": -1e-8}, r"eps must be in"),
    ({"name": "adam", "amsgrad": 1}, r"amsgrad must be a bool"),
    ({"name": "sgd_momentum", "momentum": True}, r"momentum must be a number"),
    ({"name": "nesterov", "momentum": 0.0}, r"momentum must be > 0"),
    ({"name": "sgd_l2", "nesterov": True}, r"nesterov=True needs momentum > 0"),
])
def test_config_errors(cfg: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        optimizer_from_config(cfg)


def test_defaults_are_torchs() -> None:
    """Our defaults equal the torch constructor's, except where the pair's name needs a value."""
    import inspect

    def torch_default(cls: type, arg: str) -> Any:
        return inspect.signature(cls.__init__).parameters[arg].default

    assert optimizer_from_config({"name": "adamw"})["weight_decay"] == torch_default(torch.optim.AdamW, "weight_decay")
    b1, b2 = torch_default(torch.optim.Adam, "betas")
    adam = optimizer_from_config({"name": "adam"})
    assert (adam["b1"], adam["b2"], adam["eps"]) == (b1, b2, torch_default(torch.optim.Adam, "eps"))
    rms = optimizer_from_config({"name": "rmsprop"})
    assert (rms["alpha"], rms["eps"]) == (torch_default(torch.optim.RMSprop, "alpha"),
                                         torch_default(torch.optim.RMSprop, "eps"))
    ada = optimizer_from_config({"name": "adagrad"}, approximate=True)
    assert (ada["initial_accumulator_value"], ada["eps"]) == (
        torch_default(torch.optim.Adagrad, "initial_accumulator_value"), torch_default(torch.optim.Adagrad, "eps"))
    assert optimizer_from_config({"name": "rmsprop_centered"})["momentum"] == 0.0


def test_torch_optimizer_objects() -> None:
    p = [torch.zeros(3, requires_grad=True)]
    opt, _ = torch_optimizer({"name": "sgd_l2", "momentum": 0.9, "nesterov": True}, p, schedule_cfg("one_cycle", 0.1))
    g = opt.param_groups[0]
    assert type(opt) is torch.optim.SGD and g["nesterov"] and g["weight_decay"] == 1e-2 and g["dampening"] == 0
    opt, _ = torch_optimizer({"name": "rmsprop_centered", "momentum": 0.5}, p, schedule_cfg("one_cycle", 1e-4))
    assert type(opt) is torch.optim.RMSprop and opt.param_groups[0]["centered"]
    opt, _ = torch_optimizer({"name": "adam_l2"}, p, schedule_cfg("one_cycle", 1e-4))
    assert type(opt) is torch.optim.Adam and opt.param_groups[0]["weight_decay"] == 1e-2


def test_mapping_table() -> None:
    table = mapping_table_markdown()
    lines = table.strip().splitlines()
    assert lines[0].startswith("| pair | torch | optax | defaults | exact | notes |")
    assert len(lines) == 2 + len(MAPPING)
    assert all(line.count(" | ") == 5 for line in lines[2:])  # no stray pipes in cells
    for name in DEFAULTS:
        assert f"| `{name}` |" in table
    assert "eps_in_sqrt=False" in table and "1e-4" in table and "approximate" in table


def test_docs_table_is_current() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs" / "optimizers.md"
    assert mapping_table_markdown() in docs.read_text(), "regenerate the table in docs/optimizers.md"


def test_spec_is_hashable_and_round_trips() -> None:
    spec = optimizer_from_config({"name": "rmsprop_centered", "momentum": 0.5})
    assert spec == optimizer_from_config(spec.to_config())
    assert len({spec, optimizer_from_config(spec.to_config())}) == 1
    assert spec.params == {"alpha": 0.99, "eps": 1e-8, "momentum": 0.5}
