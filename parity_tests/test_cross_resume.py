"""Cross-framework resume (issue 12, item 6): a torch run checkpointed mid-warmup and mid-decay
continues in JAX, and a JAX run (saved and restored with orbax-checkpoint) continues in torch,
for SGD with momentum and AdamW in float64.

Bitwise: the converted parameters, moments and step equal the source's; a round trip (torch ->
JAX -> torch, JAX -> torch -> JAX) gives back the same checkpoint, and the run continued from it
equals the uninterrupted run bit for bit; the torch scheduler state built from a JAX run equals
the one torch saves at that step. Across frameworks the continued runs agree to the training-parity
tolerance (float64 1e-9), and the next lr is the schedule at the same step on both sides. A resume
with another schedule is refused, as ``ScheduleLR.load_state_dict`` refuses it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

import warmup_jax
import warmup_torch
from warmup_parity import data, models
from warmup_parity.optimizers import optax_transform, torch_optimizer
from warmup_parity.resume import jax_to_torch, restore_jax, save_jax, torch_to_jax
from warmup_spec import Schedule

STEPS = 30
SCHEDULE = {"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 8, "total_steps": 30,
            "end_value": 0.01}
PAIRS = {
    "sgd_momentum": ({"name": "sgd_momentum", "momentum": 0.9}, 0.05),
    "adamw": ({"name": "adamw", "weight_decay": 0.05}, 5e-3),
    "nadam": ({"name": "nadam", "weight_decay": 0.05, "decoupled_weight_decay": True}, 5e-3),
    "radam": ({"name": "radam"}, 5e-3),
}
STOPS = {"mid-warmup": 4, "mid-decay": 19}
TOL_F64 = 1e-9
DATA = data.synthetic(n=256, d=8, n_out=2, seed=3)
BATCHES = data.batch_indices(256, 32, STEPS, seed=7)


@pytest.fixture(autouse=True)
def _nadam_in_float64(request: pytest.FixtureRequest) -> Any:
    """torch keeps NAdam's mu_product in its default dtype: float64 for a float64 NAdam run (float32 for
    the float32 run, as JAX's)."""
    params = getattr(request.node, "callspec", None)
    nadam = params is not None and params.params.get("pair") == "nadam" and "float32" not in request.node.name
    default = torch.get_default_dtype()
    if nadam:
        torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(default)


def _schedule(pair: str) -> dict[str, Any]:
    return {**SCHEDULE, "peak_value": PAIRS[pair][1], "end_value": PAIRS[pair][1] / 100}


def _flax(seed: int, dtype: str = "float64") -> Any:
    return models.build_flax("mlp", 8, 2, dtype, seed, hidden=16)


def _jax_side(pair: str, seed: int, dtype: str = "float64") -> tuple[Any, Any]:
    model = _flax(seed, dtype)
    tx = optax_transform(PAIRS[pair][0], warmup_jax.schedule_from_config(_schedule(pair)))
    return model, nnx.Optimizer(model, tx, wrt=nnx.Param)


def _torch_side(pair: str, seed: int, dtype: str = "float64") -> tuple[Any, Any, Any]:
    model = models.build_torch("mlp", models.flax_weights(_flax(seed, dtype)), dtype)
    opt, sched = torch_optimizer(PAIRS[pair][0], model.parameters(), _schedule(pair))
    return model, opt, sched


@nnx.jit
def _jax_update(model: Any, optimizer: Any, x: Any, y: Any) -> None:
    optimizer.update(model, nnx.grad(lambda m: jnp.mean((m(x) - y) ** 2))(model))


def train_jax(model: Any, optimizer: Any, start: int, stop: int) -> list[dict[str, np.ndarray]]:
    """Updates ``start..stop-1``; the parameters (torch names and layout) after each."""
    out = []
    for k in range(start, stop):
        idx = BATCHES[k]
        dtype = model.l1.kernel[...].dtype
        _jax_update(model, optimizer, jnp.asarray(DATA.x[idx], dtype), jnp.asarray(DATA.y[idx], dtype))
        out.append(models.flax_weights(model))
    return out


def train_torch(model: Any, opt: Any, sched: Any, start: int, stop: int) -> tuple[list[dict[str, np.ndarray]], list]:
    """Updates ``start..stop-1``: the parameters after each and the lr each used."""
    out, lrs = [], []
    dtype = next(model.parameters()).dtype
    x, y = torch.as_tensor(DATA.x, dtype=dtype), torch.as_tensor(DATA.y, dtype=dtype)
    for k in range(start, stop):
        idx = torch.as_tensor(BATCHES[k])
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x[idx]), y[idx]).backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        out.append({k: v.copy() for k, v in models.torch_weights(model).items()})
    return out, lrs


def _checkpoint(model: Any, opt: Any, sched: Any, path: Path) -> dict[str, Any]:
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    return torch.load(path, weights_only=True)


@functools.cache
def _torch_run(pair: str) -> tuple[list[dict[str, np.ndarray]], list]:
    with jax.enable_x64(True):
        model, opt, sched = _torch_side(pair, 0)
    return train_torch(model, opt, sched, 0, STEPS)


def _max_rel(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    diff = max(float(np.max(np.abs(a[n] - b[n]))) for n in b)
    return diff / max(float(np.max(np.abs(b[n]))) for n in b)


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(a[n].dtype == b[n].dtype and a[n].tobytes() == b[n].tobytes() for n in a)


def _same_checkpoint(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Two torch checkpoints are equal bit for bit (tensors by dtype and value, the rest by ==)."""
    assert a["model"].keys() == b["model"].keys()
    for name in a["model"]:
        assert a["model"][name].dtype == b["model"][name].dtype and torch.equal(a["model"][name], b["model"][name])
    assert a["optimizer"]["param_groups"] == b["optimizer"]["param_groups"]
    sa, sb = a["optimizer"]["state"], b["optimizer"]["state"]
    assert sa.keys() == sb.keys()
    for i in sa:
        assert sa[i].keys() == sb[i].keys(), (sa[i].keys(), sb[i].keys())
        for key in sa[i]:
            assert sa[i][key].dtype == sb[i][key].dtype and torch.equal(sa[i][key], sb[i][key]), (i, key)
    assert a["scheduler"] == b["scheduler"]


def _jax_state(model: Any, optimizer: Any) -> list[tuple[Any, bytes, str]]:
    leaves = jax.tree_util.tree_leaves_with_path(nnx.to_pure_dict(nnx.state((model, optimizer))))
    return [(jax.tree_util.keystr(p), np.asarray(v).tobytes(), str(np.asarray(v).dtype)) for p, v in leaves]


def _crossings(first: int) -> list[Any]:
    """(pair, stop) params of every pair at every stop; ``make test`` (each run compiles its
    JAX update several times) the pairs at alternate stops, the ``first``-th stop for the
    first pair: each direction crosses every pair and both stops, the two directions
    together every pair at both; the others under ``slow``."""
    names = list(STOPS)
    return [pytest.param(pair, STOPS[name], id=f"{pair}-{name}",
                         marks=() if (i + first) % 2 == j else pytest.mark.slow)
            for i, pair in enumerate(PAIRS) for j, name in enumerate(names)]


@pytest.mark.parametrize("pair,stop", _crossings(0))
def test_torch_run_continues_in_jax(pair: str, stop: int, tmp_path: Path) -> None:
    full, full_lrs = _torch_run(pair)
    with jax.enable_x64(True):
        tmodel, topt, tsched = _torch_side(pair, 0)
        assert train_torch(tmodel, topt, tsched, 0, stop)[1] == full_lrs[:stop]
        ckpt = _checkpoint(tmodel, topt, tsched, tmp_path / "torch.pt")
        fmodel, fopt = _jax_side(pair, 1)  # other weights, fresh state
        torch_to_jax(ckpt, tmodel, fmodel, fopt, schedule=_schedule(pair))
        # bitwise: the parameters, the step, every count
        assert _same(models.flax_weights(fmodel), full[stop - 1])
        counts = [int(v) for p, v in jax.tree_util.tree_leaves_with_path(nnx.to_pure_dict(nnx.state(fopt)))
                  if jax.tree_util.keystr(p).endswith(("['count']", "['step']"))]
        assert counts and set(counts) == {stop}
        # the next lr: the schedule at the same step (JAX x64 array form vs torch's float64 closed form)
        lr_jax = float(warmup_jax.schedule_from_config(_schedule(pair))(stop))
        assert topt.param_groups[0]["lr"] == Schedule(_schedule(pair))(stop) == full_lrs[stop]
        assert lr_jax == full_lrs[stop]  # here bit for bit; in general the two forms may differ by an ulp
        # bitwise round trip: back to torch, the same checkpoint; continued, the uninterrupted run
        bmodel, bopt, bsched = _torch_side(pair, 2)
        back = jax_to_torch(fmodel, fopt, bmodel, bopt, bsched)
        _same_checkpoint(back, ckpt)
        bmodel.load_state_dict(back["model"])
        bopt.load_state_dict(back["optimizer"])
        bsched = warmup_torch.resume(bopt, back["scheduler"])
        snaps, lrs = train_torch(bmodel, bopt, bsched, stop, STEPS)
        assert lrs == full_lrs[stop:] and all(_same(a, b) for a, b in zip(snaps, full[stop:]))
        # orbax: saved and restored into a fresh model, the same JAX state bit for bit
        save_jax(tmp_path / "orbax", fmodel, fopt, schedule=_schedule(pair))
        rmodel, ropt = _jax_side(pair, 3)
        restore_jax(tmp_path / "orbax", rmodel, ropt, schedule=_schedule(pair))
        assert _jax_state(rmodel, ropt) == _jax_state(fmodel, fopt)
        # continued in JAX: the torch run, to the training-parity tolerance
        jax_snaps = train_jax(rmodel, ropt, stop, STEPS)
    worst = max(_max_rel(a, b) for a, b in zip(jax_snaps, full[stop:]))
    assert worst <= TOL_F64, worst
    assert not _same(jax_snaps[-1], full[stop - 1])  # it trained on


@pytest.mark.parametrize("pair,stop", _crossings(1))
def test_jax_run_continues_in_torch(pair: str, stop: int, tmp_path: Path) -> None:
    with jax.enable_x64(True):
        fmodel, fopt = _jax_side(pair, 0)
        jax_full = train_jax(fmodel, fopt, 0, STEPS)
        smodel, sopt = _jax_side(pair, 0)
        train_jax(smodel, sopt, 0, stop)
        save_jax(tmp_path / "orbax", smodel, sopt, schedule=_schedule(pair))
        rmodel, ropt = _jax_side(pair, 1)
        restore_jax(tmp_path / "orbax", rmodel, ropt, schedule=_schedule(pair))
        assert _jax_state(rmodel, ropt) == _jax_state(smodel, sopt)
        tmodel, topt, tsched = _torch_side(pair, 2)
        ckpt = jax_to_torch(rmodel, ropt, tmodel, topt, tsched)
        torch.save(ckpt, tmp_path / "converted.pt")
        ckpt = torch.load(tmp_path / "converted.pt", weights_only=True)
        tmodel.load_state_dict(ckpt["model"])
        topt.load_state_dict(ckpt["optimizer"])
        tsched = warmup_torch.resume(topt, ckpt["scheduler"])
        assert _same(models.torch_weights(tmodel), jax_full[stop - 1])
        # the scheduler state is the one torch saves after `stop` updates (a function of the step)
        ref_model, ref_opt, ref_sched = _torch_side(pair, 0)
        train_torch(ref_model, ref_opt, ref_sched, 0, stop)
        assert ckpt["scheduler"] == ref_sched.state_dict()
        assert ckpt["optimizer"]["param_groups"] == ref_opt.state_dict()["param_groups"]
        assert {i: sorted(s) for i, s in ckpt["optimizer"]["state"].items()} == {
            i: sorted(s) for i, s in ref_opt.state_dict()["state"].items()}
        # bitwise round trip: back to JAX, the same state; continued, the uninterrupted JAX run
        bmodel, bopt = _jax_side(pair, 3)
        torch_to_jax(ckpt, tmodel, bmodel, bopt, schedule=_schedule(pair))
        assert _jax_state(bmodel, bopt) == _jax_state(smodel, sopt)
        assert all(_same(a, b) for a, b in zip(train_jax(bmodel, bopt, stop, STEPS), jax_full[stop:]))
        # continued in torch: the JAX run, to the training-parity tolerance; the lr is the schedule's
        assert topt.param_groups[0]["lr"] == Schedule(_schedule(pair))(stop)
        snaps, _ = train_torch(tmodel, topt, tsched, stop, STEPS)
    worst = max(_max_rel(b, a) for a, b in zip(jax_full[stop:], snaps))
    assert worst <= TOL_F64, worst


def test_another_schedule_is_refused_in_both_directions(tmp_path: Path) -> None:
    pair, other = "adamw", {**_schedule("adamw"), "warmup_steps": 5}
    with jax.enable_x64(True):
        tmodel, topt, tsched = _torch_side(pair, 0)
        train_torch(tmodel, topt, tsched, 0, 3)
        ckpt = _checkpoint(tmodel, topt, tsched, tmp_path / "torch.pt")
        fmodel, fopt = _jax_side(pair, 1)
        with pytest.raises(ValueError) as err:
            torch_to_jax(ckpt, tmodel, fmodel, fopt, schedule=other)
        assert str(err.value).startswith(f"torch_to_jax: the saved state is for {ckpt['scheduler']['schedule']!r}, "
                                         f"but this run uses {Schedule(other).config()!r}")
        torch_to_jax(ckpt, tmodel, fmodel, fopt, schedule=_schedule(pair))
        save_jax(tmp_path / "orbax", fmodel, fopt, schedule=_schedule(pair))
        before = _jax_state(*_jax_side(pair, 2))
        model2, opt2 = _jax_side(pair, 2)
        with pytest.raises(ValueError, match=r"^restore_jax: the saved state is for .*'warmup_steps': 8.*, but this "
                                             r"run uses .*'warmup_steps': 5"):
            restore_jax(tmp_path / "orbax", model2, opt2, schedule=other)
        assert _jax_state(model2, opt2) == before  # nothing was restored
        # torch refuses the same mismatch the same way
        with pytest.raises(ValueError, match="the saved state is for"):
            warmup_torch.scheduler_from_config(topt, other).load_state_dict(ckpt["scheduler"])


def test_an_optimizer_without_the_moments_is_refused(tmp_path: Path) -> None:
    with jax.enable_x64(True):
        tmodel, topt, tsched = _torch_side("adamw", 0)
        train_torch(tmodel, topt, tsched, 0, 2)
        ckpt = _checkpoint(tmodel, topt, tsched, tmp_path / "torch.pt")
        model = _flax(1)
        sgd = nnx.Optimizer(model, optax_transform(PAIRS["sgd_momentum"][0], warmup_jax.schedule_from_config(_schedule("adamw"))),
                            wrt=nnx.Param)
        with pytest.raises(ValueError, match="the Optax state field 'trace' .* has no counterpart in torch's AdamW state"):
            torch_to_jax(ckpt, tmodel, model, sgd, schedule=_schedule("adamw"))


@pytest.mark.parametrize("pair", [p if p in ("sgd_momentum", "nadam") else pytest.param(p, marks=pytest.mark.slow)
                                  for p in PAIRS])
def test_float32_runs_cross_too(pair: str, tmp_path: Path) -> None:
    """float32 (JAX without x64): torch -> JAX at mid-decay is bitwise, the continued runs agree to
    1e-5 norm-relative, and JAX -> torch gives the torch checkpoint back bit for bit. ``make
    test``: SGD with momentum and NAdam (its mu_product in torch's default dtype); every pair
    crosses in float64 above, AdamW and RAdam in float32 under slow."""
    stop = STOPS["mid-decay"]
    tmodel, topt, tsched = _torch_side(pair, 0, "float32")
    train_torch(tmodel, topt, tsched, 0, stop)
    ckpt = _checkpoint(tmodel, topt, tsched, tmp_path / "torch.pt")
    fmodel, fopt = _jax_side(pair, 1, "float32")
    torch_to_jax(ckpt, tmodel, fmodel, fopt, schedule=_schedule(pair))
    assert _same(models.flax_weights(fmodel), models.torch_weights(tmodel))
    bmodel, bopt, bsched = _torch_side(pair, 2, "float32")
    _same_checkpoint(jax_to_torch(fmodel, fopt, bmodel, bopt, bsched), ckpt)
    jax_snaps = train_jax(fmodel, fopt, stop, STEPS)
    torch_snaps, _ = train_torch(tmodel, topt, tsched, stop, STEPS)
    for a, b in zip(jax_snaps, torch_snaps):
        diff = np.sqrt(sum(float(np.sum((a[n].astype(np.float64) - b[n]) ** 2)) for n in b))
        assert diff / np.sqrt(sum(float(np.sum(b[n].astype(np.float64) ** 2)) for n in b)) <= 1e-5


def test_a_run_with_parameter_group_rules_crosses_too(tmp_path: Path) -> None:
    """Rules (a frozen layer, an lr multiplier, no decay on the biases): the torch param groups
    (one schedule each) and the Optax ``multi_transform`` state map onto each other, through orbax."""
    from warmup_parity.param_rules import rule_pair

    rules = [{"match": "l2.*", "frozen": True}, {"match": "l3.weight", "lr_mult": 0.5},
             {"match": "*.bias", "weight_decay": 0.0}]
    spec, cfg, stop = PAIRS["adamw"][0], _schedule("adamw"), STOPS["mid-decay"]

    def both(seed: int) -> tuple[Any, Any, Any]:
        fmodel = _flax(seed)
        tmodel = models.build_torch("mlp", models.flax_weights(fmodel), "float64")
        return fmodel, tmodel, rule_pair(spec, cfg, rules, nnx.state(fmodel, nnx.Param), tmodel)

    with jax.enable_x64(True):
        _, tmodel, pair = both(0)
        train_torch(tmodel, pair.optimizer, pair.scheduler, 0, stop)
        ckpt = _checkpoint(tmodel, pair.optimizer, pair.scheduler, tmp_path / "torch.pt")
        schedules = [g["schedule"] for g in pair.optimizer.param_groups]
        fmodel, _, fpair = both(1)
        fopt = nnx.Optimizer(fmodel, fpair.transform, wrt=nnx.Param)
        torch_to_jax(ckpt, tmodel, fmodel, fopt, schedule=schedules)
        save_jax(tmp_path / "orbax", fmodel, fopt, schedule=schedules)
        rmodel, _, rpair = both(2)
        ropt = nnx.Optimizer(rmodel, rpair.transform, wrt=nnx.Param)
        restore_jax(tmp_path / "orbax", rmodel, ropt, schedule=schedules)
        _, bmodel, bpair = both(3)
        _same_checkpoint(jax_to_torch(rmodel, ropt, bmodel, bpair.optimizer, bpair.scheduler), ckpt)
        jax_snaps = train_jax(rmodel, ropt, stop, STEPS)
        torch_snaps, _ = train_torch(tmodel, pair.optimizer, pair.scheduler, stop, STEPS)
        initial = models.flax_weights(_flax(0))
    assert max(_max_rel(a, b) for a, b in zip(jax_snaps, torch_snaps)) <= TOL_F64
    frozen = [n for n in initial if n.startswith("l2.")]
    assert _same({n: jax_snaps[-1][n] for n in frozen}, {n: initial[n] for n in frozen})


# --------------------------------------------------------------------------- the twin's names and layouts


def _round_trip(fmodel: Any, tmodel: Any, x: np.ndarray, y: np.ndarray, tmp_path: Path, **twin: Any) -> None:
    """Two torch AdamW steps -> JAX (parameters and moments equal torch's, in Flax layout) -> torch
    (the same checkpoint, bit for bit); then one more step on each side agrees."""
    from warmup_parity.twin import torch_layout

    cfg = _schedule("adamw")
    topt, tsched = torch_optimizer(PAIRS["adamw"][0], tmodel.parameters(), cfg)
    tx, ty = torch.as_tensor(x), torch.as_tensor(y)
    for _ in range(2):
        topt.zero_grad()
        torch.nn.functional.mse_loss(tmodel(tx), ty).backward()
        topt.step()
        tsched.step()
    ckpt = _checkpoint(tmodel, topt, tsched, tmp_path / "ckpt.pt")
    fopt = nnx.Optimizer(fmodel, optax_transform(PAIRS["adamw"][0], warmup_jax.schedule_from_config(cfg)), wrt=nnx.Param)
    torch_to_jax(ckpt, tmodel, fmodel, fopt, schedule=cfg, **twin)
    if not twin:
        got = torch_layout(fmodel)
        assert all(got[n].tobytes() == ckpt["model"][n].numpy().tobytes() for n in got), "parameters"
    back = jax_to_torch(fmodel, fopt, tmodel, topt, tsched, **twin)
    _same_checkpoint(back, ckpt)

    @nnx.jit
    def step(model: Any, opt: Any) -> None:
        opt.update(model, nnx.grad(lambda m: jnp.mean((m(jnp.asarray(x)) - jnp.asarray(y)) ** 2))(model))

    step(fmodel, fopt)
    topt.zero_grad()
    torch.nn.functional.mse_loss(tmodel(tx), ty).backward()
    topt.step()
    want = jax_to_torch(fmodel, fopt, tmodel, topt, tsched, **twin)["model"]
    assert max(float((want[n] - p).abs().max()) for n, p in tmodel.state_dict().items()) < 1e-14


def test_the_readme_sequential_pair_crosses_both_ways(tmp_path: Path) -> None:
    """Today: "only in JAX ['layers.0.bias', ...], only in torch ['0.bias', ...]"."""
    with jax.enable_x64(True):
        fmodel = nnx.Sequential(nnx.Linear(4, 8, param_dtype=jnp.float64, rngs=nnx.Rngs(0)), nnx.tanh,
                                nnx.Linear(8, 1, param_dtype=jnp.float64, rngs=nnx.Rngs(1)))
        tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
        rng = np.random.default_rng(0)
        _round_trip(fmodel, tmodel, rng.random((16, 4)), rng.random((16, 1)), tmp_path)


def test_attention_and_converters_cross_both_ways(tmp_path: Path) -> None:
    """Gemma-style einsum kernels against transformers-style projections through ``converters``
    (one Flax kernel -> two torch tensors included): the moments converted as the parameters are."""
    from parity_tests.test_weights import EinsumAttention, HFAttention, _gemma_converters

    with jax.enable_x64(True):
        rng = np.random.default_rng(1)
        x = rng.standard_normal((2, 5, 8))
        _round_trip(EinsumAttention(8, 4, 2), HFAttention(8, 4, 2, False).double(), x, x, tmp_path,
                    converters=_gemma_converters(8, 4, 2))


@pytest.mark.parametrize("name", ["nadam", "radam", "adamax"])
def test_the_checkpoint_names_its_pair(name: str) -> None:
    """NAdam, RAdam and Adamax have Adam's param-group keys; resume reads the saved pair, not the keys."""
    from warmup_parity.optimizers import pair_of

    model = torch.nn.Linear(2, 1)
    opt, _ = torch_optimizer({"name": name}, model.parameters(), _schedule("adamw"))
    assert pair_of(opt.state_dict()).name == name
    assert pair_of(opt).name == name


def test_an_optimizer_without_a_twin_is_refused_by_name(tmp_path: Path) -> None:
    from warmup_parity.optimizers import pair_of

    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"torch.optim.ASGD has no Optax twin .*supported: SGD, Adam, AdamW, NAdam"):
        pair_of(torch.optim.ASGD(model.parameters()))
    with pytest.raises(ValueError, match="does not name its pair .*pass pair="):
        pair_of(torch.optim.Adam(model.parameters()).state_dict())
    with jax.enable_x64(True):
        tmodel, topt, tsched = _torch_side("adamw", 0)
        fmodel, fopt = _jax_side("adamw", 1)
        asgd = torch.optim.ASGD(tmodel.parameters())
        with pytest.raises(ValueError, match="torch.optim.ASGD has no Optax twin"):
            jax_to_torch(fmodel, fopt, tmodel, asgd, tsched)
