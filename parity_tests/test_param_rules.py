"""Parameter-group rules (issue 12, item 3): one rule list, first match wins, compiled to torch
param groups (``warmup_torch.param_groups``) and to an optax ``multi_transform``
(``warmup_jax.rules_transform``), trained with a matched optimizer pair on the built-in MLP in
both frameworks: no decay on the biases, an lr multiplier, a frozen part and another schedule
for one group, float64 to 1e-9 and float32 to 1e-5 (``rule_pair`` builds both sides).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from flax import nnx

import warmup_jax
import warmup_torch
from warmup_parity import data, models
from warmup_parity.optimizers import torch_optimizer
from warmup_parity.param_rules import rule_pair
from warmup_spec import Schedule, spec_from_config
from warmup_spec.param_rules import parse_rules, plan, torch_style_name
from warmup_spec.reference import reference

SCHEDULE = {"schedule": "warmup_cosine_decay", "peak_value": 2e-3, "warmup_steps": 10, "total_steps": 100,
            "end_value": 2e-5}
# every kind of rule at once on the MLP (l1, l2, l3, each a weight and a bias):
RULES = [
    {"match": "l2.*", "frozen": True},                                        # l2.weight, l2.bias
    {"match": "l3.weight", "lr_mult": 0.5},
    {"match": "l1.bias", "schedule": {"warmup_steps": 40, "peak_value": 4e-3}},  # the run's, changed
    {"match": "*.bias", "weight_decay": 0.0},                                 # l3.bias (l1.bias is taken)
]
# (label, names, lr at step k, weight decay) worked out by hand from the rules above
EXPECTED_GROUPS = [
    ("default", ("l1.weight",), lambda k: reference(spec_from_config(SCHEDULE), k), 0.1),
    ("param_rules[1]", ("l3.weight",), lambda k: 0.5 * reference(spec_from_config(SCHEDULE), k), 0.1),
    ("param_rules[2]", ("l1.bias",),
     lambda k: reference(spec_from_config({**SCHEDULE, "warmup_steps": 40, "peak_value": 4e-3}), k), 0.1),
    ("param_rules[3]", ("l3.bias",), lambda k: reference(spec_from_config(SCHEDULE), k), 0.0),
]
ADAMW = {"name": "adamw", "weight_decay": 0.1}
STEPS = 100
TOL = {"float64": 1e-9, "float32": 1e-5}


# --------------------------------------------------------------------------- parsing and matching


@pytest.mark.parametrize("rules,message", [
    ({"match": "*"}, "param_rules: rules={'match': '*'} is invalid; expected a list of rules"),
    (["*.bias"], "param_rules: [0]='*.bias' is invalid; expected a mapping"),
    ([{"lr_mult": 2.0}], "param_rules[0]: missing key 'match'"),
    ([{"match": "*", "lr": 0.1}], "param_rules[0]: unknown key 'lr'; valid keys: match, lr_mult, weight_decay, schedule, frozen"),
    ([{"match": ""}], "param_rules[0]: match='' is invalid; expected a non-empty glob"),
    ([{"match": "a*"}, {"match": "*", "lr_mult": -1}], "param_rules[1]: lr_mult=-1 is invalid; expected a finite number >= 0.0"),
    ([{"match": "*", "weight_decay": float("nan")}], "param_rules[0]: weight_decay=nan is invalid"),
    ([{"match": "*", "frozen": 1}], "param_rules[0]: frozen=1 is invalid; expected True or False"),
    ([{"match": "*", "frozen": True, "lr_mult": 2.0}], "param_rules[0]: lr_mult=2.0 is invalid; expected no such key with frozen=True"),
    ([{"match": "*", "schedule": "cosine"}], "param_rules[0]: schedule='cosine' is invalid; expected a schedule config"),
])
def test_invalid_rules_name_the_rule_key_and_value(rules: Any, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_rules(rules)
    assert str(err.value).startswith(message), str(err.value)


NAMES = ["embed.weight", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "norm.weight",
         "norm.bias", "head.weight"]


def test_first_match_wins_and_the_rest_take_the_defaults() -> None:
    rules = [{"match": "layers.1.*", "lr_mult": 2.0}, {"match": "*.bias", "weight_decay": 0.0},
             {"match": "norm.*", "weight_decay": 0.0}, {"match": "embed.*", "frozen": True}]
    groups = plan(NAMES, rules, schedule=SCHEDULE, weight_decay=0.05)
    assert [(g.label, g.names, g.weight_decay, g.frozen) for g in groups] == [
        ("default", ("layers.0.weight", "head.weight"), 0.05, False),
        ("param_rules[0]", ("layers.1.weight", "layers.1.bias"), 0.05, False),
        ("param_rules[1]", ("layers.0.bias", "norm.bias"), 0.0, False),  # norm.bias: the first match
        ("param_rules[2]", ("norm.weight",), 0.0, False),
        ("param_rules[3]", ("embed.weight",), None, True),
    ]
    f = Schedule(SCHEDULE)
    assert [g.lr(30) for g in groups] == [f(30), 2.0 * f(30), f(30), f(30), 0.0]
    assert groups[1].config() == {"schedule": "scaled", "base": Schedule(SCHEDULE).config(), "factor": 2.0}


def test_a_rule_that_matches_nothing_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError) as err:
        plan(NAMES, [{"match": "*.bias", "weight_decay": 0.0}, {"match": "nrom.*", "weight_decay": 0.0}],
             schedule=SCHEDULE)
    assert str(err.value) == (
        "param_rules[1]: match='nrom.*' is invalid; expected a glob matching at least one parameter name; the "
        "names are: embed.weight, layers.0.weight, layers.0.bias, layers.1.weight, layers.1.bias, norm.weight, "
        "norm.bias, head.weight")


def test_a_rule_whose_parameters_earlier_rules_take_is_an_error() -> None:
    with pytest.raises(ValueError) as err:
        plan(NAMES, [{"match": "*.bias", "weight_decay": 0.0}, {"match": "layers.*.bias", "lr_mult": 2.0}],
             schedule=SCHEDULE)
    assert str(err.value) == (
        "param_rules[1]: match='layers.*.bias' is invalid; expected a glob matching a parameter no earlier rule "
        "takes; param_rules[0] already take layers.0.bias, layers.1.bias")


def test_a_rule_schedule_is_a_full_config_or_the_keys_to_change() -> None:
    other = {"schedule": "warmup_linear_decay", "peak_value": 1e-3, "warmup_steps": 0, "total_steps": 50}
    groups = plan(NAMES, [{"match": "head.*", "schedule": other, "lr_mult": 3.0},
                          {"match": "embed.*", "schedule": {"warmup_steps": 50}}], schedule=SCHEDULE)
    head, embed = groups[1], groups[2]
    for k in (0, 7, 25, 60):
        assert head.lr(k) == 3.0 * reference(spec_from_config(other), k)
        assert embed.lr(k) == Schedule({**SCHEDULE, "warmup_steps": 50})(k)
    with pytest.raises(ValueError, match="warmup_cosine_decay: total_steps=5 is invalid"):
        plan(NAMES, [{"match": "head.*", "schedule": {"total_steps": 5}}], schedule=SCHEDULE)


def test_flax_paths_convert_to_torch_names() -> None:
    assert torch_style_name(("l1", "kernel")) == "l1.weight"
    assert torch_style_name(("blocks", 3, "attn", "out", "bias")) == "blocks.3.attn.out.bias"
    assert torch_style_name(("ln", "scale")) == torch_style_name(("emb", "embedding")).replace("emb", "ln")
    types = {(): "Sequential", ("layers", 0): "BatchNorm", ("layers", 1): "Block", ("layers", 1, "seq"): "Sequential"}
    assert [torch_style_name(p, types) for p in [("layers", 0, "mean"), ("layers", 0, "scale"),
                                                 ("layers", 1, "kernel"), ("layers", 1, "seq", "layers", 0, "w")]] \
        == ["0.running_mean", "0.weight", "1.kernel", "1.seq.0.w"]


def _readme_pair() -> tuple[Any, Any]:
    flax_model = nnx.Sequential(nnx.Linear(4, 8, rngs=nnx.Rngs(0)), nnx.tanh, nnx.Linear(8, 1, rngs=nnx.Rngs(1)))
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    return flax_model, torch_model


def test_a_rule_selects_the_same_parameters_of_the_readme_sequential_pair_in_both_frameworks() -> None:
    """Today: ``{"match": "2.*"}`` built torch groups and was refused by ``warmup_jax.param_labels``."""
    flax_model, torch_model = _readme_pair()
    rules = [{"match": "2.*", "lr_mult": 0.1}]
    groups = warmup_torch.param_groups(torch_model, rules, schedule=SCHEDULE)
    assert [g["param_names"] for g in groups] == [["0.weight", "0.bias"], ["2.weight", "2.bias"]]
    labels = warmup_jax.param_labels(flax_model, rules)
    assert jax.tree_util.tree_leaves(labels) == ["default", "default", "param_rules[0]", "param_rules[0]"]
    assert warmup_jax.param_rules.param_names(flax_model) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    tx = warmup_jax.rules_transform(flax_model, [{"match": "2.*", "frozen": True}], lambda s, wd: optax.sgd(s),
                                    schedule=SCHEDULE)
    opt = nnx.Optimizer(flax_model, tx, wrt=nnx.Param)
    before = np.asarray(flax_model.layers[2].kernel[...]).copy()
    grads = jax.tree.map(jnp.ones_like, nnx.state(flax_model, nnx.Param))
    opt.update(flax_model, grads)
    np.testing.assert_array_equal(np.asarray(flax_model.layers[2].kernel[...]), before)  # frozen
    # a parameter tree without its model has no module types: the Sequential's level stays
    with pytest.raises(ValueError, match=r"param_rules\[0\]: match='2.\*' is invalid; expected a glob matching at "
                                         r"least one parameter name; the names are: layers.0.bias"):
        warmup_jax.param_labels(nnx.state(flax_model, nnx.Param), rules)


class _FlaxNet(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.embed = nnx.Embed(10, 4, rngs=rngs)
        self.layers = nnx.List([nnx.Linear(4, 4, rngs=rngs), nnx.Linear(4, 4, rngs=rngs)])
        self.conv = nnx.Conv(4, 2, kernel_size=(3,), rngs=rngs)
        self.norm = nnx.LayerNorm(2, rngs=rngs)
        self.rms = nnx.RMSNorm(2, rngs=rngs)
        self.head = nnx.Linear(2, 3, use_bias=False, rngs=rngs)


class _TorchNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(10, 4)
        self.layers = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)])
        self.conv = torch.nn.Conv1d(4, 2, 3)
        self.norm = torch.nn.LayerNorm(2)
        self.rms = torch.nn.RMSNorm(2)
        self.head = torch.nn.Linear(2, 3, bias=False)


@pytest.mark.parametrize("given", ["model", "state"])
def test_the_nnx_names_are_the_torch_twins_names_and_group_alike(given: str) -> None:
    flax_model = _FlaxNet(nnx.Rngs(0))
    flax_params = flax_model if given == "model" else nnx.state(flax_model, nnx.Param)
    torch_model = _TorchNet()
    assert sorted(warmup_jax.param_rules.param_names(flax_params)) == sorted(n for n, _ in torch_model.named_parameters())
    rules = [{"match": "layers.0.*", "frozen": True}, {"match": "*norm.*", "weight_decay": 0.0},
             {"match": "rms.*", "weight_decay": 0.0}, {"match": "*.bias", "weight_decay": 0.0},
             {"match": "embed.*", "lr_mult": 0.1}]
    groups = warmup_torch.param_groups(torch_model, rules, schedule=SCHEDULE, weight_decay=0.1)
    torch_groups = {frozenset(g["param_names"]) for g in groups}
    labels = warmup_jax.param_labels(flax_params, rules)
    by_label: dict[str, set[str]] = {}
    for name, label in zip(warmup_jax.param_rules.param_names(flax_params), jax.tree_util.tree_leaves(labels)):
        by_label.setdefault(label, set()).add(name)
    assert by_label.pop("frozen") == {"layers.0.weight", "layers.0.bias"}
    assert {frozenset(v) for v in by_label.values()} == torch_groups
    assert torch_groups == {frozenset({"layers.1.weight", "conv.weight", "head.weight"}),
                            frozenset({"norm.weight", "norm.bias"}), frozenset({"rms.weight"}),
                            frozenset({"layers.1.bias", "conv.bias"}), frozenset({"embed.weight"})}


def test_the_optax_side_refuses_another_tree_and_a_rule_matching_nothing() -> None:
    params = {"a": {"kernel": jnp.ones(2)}, "b": {"bias": jnp.ones(2)}}
    tx = warmup_jax.rules_transform(params, [{"match": "*.bias", "lr_mult": 0.0}], lambda s, wd: optax.sgd(s),
                                    schedule=SCHEDULE)
    with pytest.raises(ValueError, match="parameter 'c.weight' is not in the tree the rules were compiled for"):
        tx.init({"c": {"kernel": jnp.ones(2)}})
    with pytest.raises(ValueError, match=r"param_rules\[0\]: match='\*.scale' is invalid"):
        warmup_jax.rules_transform(params, [{"match": "*.scale"}], lambda s, wd: optax.sgd(s), schedule=SCHEDULE)


def test_weight_decay_rules_need_a_pair_with_weight_decay() -> None:
    with pytest.raises(ValueError) as err:
        rule_pair({"name": "adam"}, SCHEDULE, [{"match": "*.bias", "weight_decay": 0.0}], {}, torch.nn.Linear(2, 1))
    assert str(err.value) == ("param_rules[0]: weight_decay=0.0 is invalid; expected no weight_decay: the "
                              "optimizer pair 'adam' has none (adamw, adam_l2 and sgd_l2 have one)")


# --------------------------------------------------------------------------- training parity


@functools.cache
def _digits() -> data.Dataset:
    return data.load("digits")


def train_both(rules: Any, optimizer: dict[str, Any], schedule: dict[str, Any], dtype: str, steps: int,
               hidden: int = 16) -> dict[str, Any]:
    """Trains the built-in MLP pair with the rules: per step, the parameters of both sides (torch
    layout and names), torch's lr of every group, and the groups."""
    ds = _digits()
    batches = data.batch_indices(len(ds.x), 64, steps, seed=0)
    x = ds.x[np.stack(batches)].astype(dtype)
    y = ds.y[np.stack(batches)]
    with jax.enable_x64(dtype == "float64"):
        fmodel = models.build_flax("mlp", 64, 10, dtype, 0, hidden)
        tmodel = models.build_torch("mlp", models.flax_weights(fmodel), dtype)
        pair = rule_pair(optimizer, schedule, rules, nnx.state(fmodel, nnx.Param), tmodel)
        jloss, tloss = models.losses("classification")
        graphdef, state = nnx.split((fmodel, nnx.Optimizer(fmodel, pair.transform, wrt=nnx.Param)))

        def body(state: Any, batch: Any) -> Any:
            model, opt = nnx.merge(graphdef, state)
            grads = nnx.grad(lambda m: jloss(m(batch[0]), batch[1]))(model)
            opt.update(model, grads)
            return nnx.state((model, opt)), models.to_torch_layout(nnx.state(model, nnx.Param))

        _, jax_params = jax.jit(lambda s: jax.lax.scan(body, s, (jnp.asarray(x), jnp.asarray(y))))(state)
        jax_params = {k: np.asarray(v) for k, v in jax_params.items()}
        group_lrs = [np.asarray(jax.vmap(warmup_jax.schedule_from_config(g["schedule"]))(jnp.arange(steps)))
                     for g in pair.optimizer.param_groups]
    torch_params: dict[str, list[np.ndarray]] = {k: [] for k in jax_params}
    torch_lrs = []
    tdt = torch.float64 if dtype == "float64" else torch.float32
    for k in range(steps):
        torch_lrs.append([g["lr"] for g in pair.optimizer.param_groups])
        pair.optimizer.zero_grad()
        tloss(tmodel(torch.as_tensor(x[k], dtype=tdt)), torch.as_tensor(y[k])).backward()
        pair.optimizer.step()
        pair.scheduler.step()
        for name, value in models.torch_weights(tmodel).items():
            torch_params[name].append(value.copy())
    return {"jax": jax_params, "torch": {k: np.stack(v) for k, v in torch_params.items()},
            "torch_lrs": np.asarray(torch_lrs), "jax_lrs": np.stack(group_lrs, axis=1),
            "groups": pair.groups, "initial": models.flax_weights(fmodel)}


def _torch_without_rules(dtype: str, steps: int, hidden: int = 16) -> dict[str, np.ndarray]:
    """The torch side of :func:`train_both` with one group (the run's schedule and decay for all)."""
    ds = _digits()
    batches = data.batch_indices(len(ds.x), 64, steps, seed=0)
    with jax.enable_x64(dtype == "float64"):
        weights = models.flax_weights(models.build_flax("mlp", 64, 10, dtype, 0, hidden))
    tmodel = models.build_torch("mlp", weights, dtype)
    opt, sched = torch_optimizer(ADAMW, tmodel.parameters(), SCHEDULE)
    tloss = models.losses("classification")[1]
    for idx in batches:
        opt.zero_grad()
        tloss(tmodel(torch.as_tensor(ds.x[idx].astype(dtype))), torch.as_tensor(ds.y[idx])).backward()
        opt.step()
        sched.step()
    return models.torch_weights(tmodel)


def _worst(run: dict[str, Any]) -> tuple[float, float]:
    """Worst over the steps: (max |jax - torch| / max |torch|, ||jax - torch|| / ||torch||)."""
    names = sorted(run["torch"])
    diff = np.concatenate([(run["jax"][n] - run["torch"][n]).reshape(len(run["torch"][n]), -1) for n in names], 1)
    ref = np.concatenate([run["torch"][n].reshape(len(run["torch"][n]), -1) for n in names], 1)
    max_rel = np.max(np.abs(diff), 1) / np.max(np.abs(ref), 1)
    norm_rel = np.linalg.norm(diff, axis=1) / np.linalg.norm(ref, axis=1)
    return float(max_rel.max()), float(norm_rel.max())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rules_train_alike_in_both_frameworks(dtype: str) -> None:
    run = train_both(RULES, ADAMW, SCHEDULE, dtype, STEPS)
    max_rel, norm_rel = _worst(run)
    if dtype == "float64":
        assert max_rel <= TOL["float64"], max_rel
    else:
        assert norm_rel <= TOL["float32"], norm_rel
    # the groups, each with its lr at every step (torch: the float64 closed form, bitwise)
    assert run["groups"] == tuple(names for _, names, _, _ in EXPECTED_GROUPS)
    for g, (_, _, lr, _) in enumerate(EXPECTED_GROUPS):
        want = np.array([lr(k) for k in range(STEPS)])
        np.testing.assert_allclose(run["torch_lrs"][:, g], want, rtol=1e-13, atol=0)
        np.testing.assert_allclose(run["jax_lrs"][:, g], want, rtol=1e-12 if dtype == "float64" else 1e-6,
                                   atol=1e-9 * want.max())
    # the rules are not a no-op: torch without them (one group, decay on everything) ends elsewhere
    plain = _torch_without_rules(dtype, STEPS)
    for name in run["torch"]:
        assert not np.allclose(plain[name], run["torch"][name][-1], rtol=0, atol=1e-12), name
    # the frozen part never moves, on either side; everything else does
    for name in run["torch"]:
        moved = not np.array_equal(run["torch"][name][-1], run["initial"][name])
        assert moved == (not name.startswith("l2.")), name
        if name.startswith("l2."):
            assert np.array_equal(run["jax"][name][-1], run["initial"][name])


def test_rules_under_one_cycle_which_cycles_the_momentum() -> None:
    """torch's OneCycleLR (and ``one_cycle``) cycles AdamW's beta1 by default: each rule group's
    optimizer follows its own schedule's momentum on both sides."""
    one_cycle = {"schedule": "one_cycle", "total_steps": 60, "peak_value": 5e-3}
    rules = [{"match": "l3.weight", "lr_mult": 0.5}, {"match": "*.bias", "weight_decay": 0.0}]
    max_rel, _ = _worst(train_both(rules, ADAMW, one_cycle, "float64", 60))
    assert max_rel <= TOL["float64"], max_rel


SLOW_CASES = [
    ({"name": "adamw", "weight_decay": 0.05}, [{"match": "*.bias", "weight_decay": 0.0}]),
    ({"name": "sgd_l2", "weight_decay": 1e-3, "momentum": 0.9}, [{"match": "*.bias", "weight_decay": 0.0}]),
    ({"name": "sgd_momentum"}, [{"match": "l1.*", "lr_mult": 10.0}]),
    ({"name": "adam"}, [{"match": "l3.*", "frozen": True}]),
    ({"name": "adam_l2", "weight_decay": 1e-3},
     [{"match": "l3.*", "schedule": {"schedule": "warmup_constant", "peak_value": 5e-4, "warmup_steps": 50}}]),
]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer,rules", SLOW_CASES, ids=[f"{o['name']}-{r[0]['match']}" for o, r in SLOW_CASES])
def test_each_rule_alone_with_more_pairs(optimizer: dict[str, Any], rules: Any, dtype: str) -> None:
    schedule = {**SCHEDULE, "peak_value": 0.05} if optimizer["name"].startswith("sgd") else SCHEDULE
    max_rel, norm_rel = _worst(train_both(rules, optimizer, {**schedule, "total_steps": 300}, dtype, 300, hidden=32))
    assert (max_rel if dtype == "float64" else norm_rel) <= TOL[dtype], (max_rel, norm_rel)


def test_warmup_parity_run_takes_param_rules():
    """``param_rules`` in a run config: no decay on biases, a frozen layer, a multiplier."""
    from warmup_parity.runner import run

    report = run({"schedule": {"schedule": "warmup_cosine_decay", "peak_value": 0.01, "warmup_steps": 5,
                               "total_steps": 40},
                  "optimizer": {"name": "adamw", "weight_decay": 0.1}, "dtype": "float64", "steps": 40,
                  "param_rules": [{"match": "*.bias", "weight_decay": 0.0}, {"match": "l2.*", "frozen": True},
                                  {"match": "l3.weight", "lr_mult": 0.5}]})
    assert report.passed, str(report)
    assert report.summary["param_max_rel_diff"] <= 1e-9


@pytest.mark.parametrize("extra,message", [
    ({"param_rules": [{"match": "nothing.*", "lr_mult": 2.0}]}, "expected a glob matching at least one parameter name"),
    ({"param_rules": [{"match": "*.bias", "weight_decay": 0.0}], "lr_driver": "adjust_learning_rate",
      "schedule": {"schedule": "legacy_noam", "max_lr": 0.01, "warmup_steps": 5}},
     "param_rules need lr_driver='scheduler'"),
    ({"stepping": "epoch", "schedule": {"schedule": "one_cycle", "total_steps": 10, "peak_value": 0.01}},
     "stepping='epoch' with one_cycle, which cycles the momentum per update"),
])
def test_run_config_refuses(extra, message):
    from warmup_parity.runner import run

    cfg = {"schedule": {"schedule": "warmup_constant", "peak_value": 0.01, "warmup_steps": 5},
           "optimizer": {"name": "adamw"}, "steps": 5, **extra}
    with pytest.raises(ValueError, match=re.escape(message) if "'" in message else message):
        run(cfg)
