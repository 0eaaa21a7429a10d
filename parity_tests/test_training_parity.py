"""Training-loop parity: matched Flax NNX and torch models on real data (digits) and
synthetic regression, every optimizer pair, several schedules. float64 trajectories
agree to 1e-9 (norm-relative) after 300 steps, float32 to 1e-5; the step-0 loss and
gradients agree first, so a model mismatch is told apart from an optimizer mismatch."""

from __future__ import annotations

import numpy as np
import pytest

from warmup_parity.runner import TOLERANCES, RunConfig, run

COSINE = {"schedule": "warmup_cosine_decay", "peak_value": 3e-3, "warmup_steps": 30, "total_steps": 300,
          "end_value": 3e-5}
LINEAR = {"schedule": "warmup_linear_decay", "peak_value": 1e-2, "warmup_steps": 20, "total_steps": 250}
ONE_CYCLE = {"schedule": "one_cycle", "total_steps": 300, "peak_value": 5e-3}
SLOW = {"schedule": "warmup_cosine_decay", "peak_value": 2e-4, "warmup_steps": 30, "total_steps": 300}

# (optimizer, schedules): chaotic optimizers (RMSprop, Adagrad) get moderate peaks (traps.md)
PAIRS = [
    ({"name": "sgd"}, [LINEAR, ONE_CYCLE]),
    ({"name": "sgd_momentum", "momentum": 0.9}, [COSINE, ONE_CYCLE]),
    ({"name": "nesterov", "momentum": 0.9}, [COSINE, LINEAR]),
    ({"name": "sgd_l2", "momentum": 0.9, "weight_decay": 1e-3}, [COSINE, LINEAR]),
    ({"name": "adam"}, [COSINE, ONE_CYCLE]),
    ({"name": "adam_l2", "weight_decay": 1e-3}, [COSINE, LINEAR]),
    ({"name": "adamw", "weight_decay": 1e-2}, [COSINE, ONE_CYCLE]),
    ({"name": "rmsprop"}, [SLOW]),
    ({"name": "rmsprop_momentum", "momentum": 0.9}, [SLOW]),
    ({"name": "rmsprop_centered"}, [SLOW]),
    # eps=0 (the exact pair) with an accumulator from 0 gives torch 0/0 = NaN on the
    # always-blank digit pixels; starting it at 0.1 is exact too and finite
    ({"name": "adagrad", "eps": 0.0, "initial_accumulator_value": 0.1}, [LINEAR, SLOW]),
]
CASES = [(opt, sched) for opt, scheds in PAIRS for sched in scheds]
IDS = [f"{o['name']}-{s['schedule']}" for o, s in CASES]

# Each run compiles its own training step (most of its time): ``make test`` trains a covering
# set through the runner, every schedule kind by at least one optimizer and every optimizer
# family (SGD, momentum, L2, Adam, AdamW, RMSprop, Adagrad) at least once: float64 at six points,
# float32 at two (plain SGD, Adam). Every optimizer pair's own parity, in both precisions, is
# test_optimizer_pairs' (the same ``optax_transform``/``torch_optimizer``); ``make test-all``
# trains every pair here in both precisions.
FAST_FLOAT64 = {"sgd-warmup_linear_decay", "nesterov-warmup_cosine_decay", "adam_l2-warmup_cosine_decay",
                "adamw-one_cycle", "rmsprop_centered-warmup_cosine_decay", "adagrad-warmup_linear_decay"}
FAST_FLOAT32 = {"sgd-warmup_linear_decay", "adam-warmup_cosine_decay"}


def _params(cases, ids, fast):
    """``cases`` as pytest params, those whose id is not in ``fast`` marked ``slow``."""
    assert fast <= set(ids), fast - set(ids)
    return [pytest.param(*c, id=i, marks=() if i in fast else pytest.mark.slow) for c, i in zip(cases, ids)]


def _check(report, dtype):
    s = report.summary
    assert s["failed"] == [], (s["failed"], {k: s[k] for k in s["tolerances"]})
    assert s["param_max_rel_diff"] <= TOLERANCES[dtype]["params"]
    assert np.isfinite(s["final_loss_jax"]) and np.isfinite(s["final_loss_torch"])
    return s


@pytest.mark.parametrize("opt,sched", _params(CASES, IDS, FAST_FLOAT64))
def test_float64_trajectories_agree(opt, sched):
    report = run(RunConfig(schedule=sched, optimizer=opt, steps=300, dtype="float64"))
    s = _check(report, "float64")
    assert s["step0_grad_rel_diff"] <= 1e-14 and s["lr_max_rel_diff"] <= 1e-12
    # the model actually trained: the loss moved
    assert report.steps[-1]["loss_torch"] < report.steps[0]["loss_torch"]


@pytest.mark.parametrize("opt,sched", _params(CASES[::2], IDS[::2], FAST_FLOAT32))
def test_float32_trajectories_agree(opt, sched):
    _check(run(RunConfig(schedule=sched, optimizer=opt, steps=300, dtype="float32")), "float32")


# the CNN's convolutions through the runner: Adam's float32 run (momentum SGD: the MLP's); float64
# convolutions train through the same engine in test_compare's BatchNorm pair and test_real_pairs' ResNet
@pytest.mark.parametrize("dtype", ["float32", pytest.param("float64", marks=pytest.mark.slow)])
@pytest.mark.parametrize("opt", [pytest.param({"name": "adam"}, id="adam"),
                                 pytest.param({"name": "sgd_momentum", "momentum": 0.9}, id="sgd_momentum",
                                              marks=pytest.mark.slow)])
def test_cnn_on_digits(opt, dtype):
    """The CNN's step costs ten times the MLP's: 100 updates, the warmup cosine scaled to them
    (warmup and decay both run; the MLP runs carry the 300-update trajectories)."""
    short = {**COSINE, "warmup_steps": 10, "total_steps": 100}
    report = run(RunConfig(schedule=short, optimizer=opt, model="cnn", steps=100, dtype=dtype))
    _check(report, dtype)
    assert report.steps[-1]["loss_torch"] < report.steps[0]["loss_torch"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_synthetic_regression_mse(dtype):
    _check(run(RunConfig(schedule=COSINE, optimizer={"name": "adamw"}, data="synthetic", batch_size=32,
                         steps=300, dtype=dtype)), dtype)


def test_lr_per_step_is_the_schedule_in_both():
    report = run(RunConfig(schedule=COSINE, optimizer={"name": "adam"}, steps=40, dtype="float64"))
    from warmup_spec import spec_from_config
    from warmup_spec.reference import reference

    spec = spec_from_config(COSINE)
    for rec in report.steps:
        want = reference(spec, rec["step"])
        assert rec["lr_torch"] == pytest.approx(want, rel=1e-12, abs=1e-18)
        assert rec["lr_jax"] == pytest.approx(want, rel=1e-12, abs=1e-18)


def test_per_epoch_recipe_changes_lr_only_at_epoch_boundaries():
    cfg = RunConfig(schedule={"schedule": "legacy_noam", "warmup_steps": 500, "max_lr": 0.01},
                    optimizer={"name": "sgd_momentum", "momentum": 0.9}, steps=28 * 3, stepping="epoch",
                    lr_driver="adjust_learning_rate", dtype="float64")
    report = run(cfg)
    _check(report, "float64")
    lrs = [r["lr_torch"] for r in report.steps]
    assert lrs[0] == lrs[27] == pytest.approx(0.01 / 500)  # epoch 0: s = 1
    assert lrs[28] == lrs[55] == pytest.approx(0.01 * 2 / 500)
    assert [r["lr_jax"] for r in report.steps] == pytest.approx(lrs, rel=1e-12)


def test_a_model_mismatch_shows_at_step_zero(monkeypatch):
    """Break the torch model's weight copy: the step-0 check fails, not only the trajectory."""
    from warmup_parity import models

    real = models.build_torch

    def perturbed(name, weights, dtype):
        weights = {k: (v * 1.001 if k == "l1.weight" else v) for k, v in weights.items()}
        return real(name, weights, dtype)

    monkeypatch.setattr(models, "build_torch", perturbed)
    report = run(RunConfig(schedule=COSINE, optimizer={"name": "adam"}, steps=5, dtype="float64"))
    assert "step0_loss_rel_diff" in report.summary["failed"]
    assert "step0_grad_rel_diff" in report.summary["failed"]


def test_run_config_validation():
    with pytest.raises(ValueError, match="model='resnet' is invalid"):
        RunConfig(schedule=COSINE, optimizer={"name": "adam"}, model="resnet")
    with pytest.raises(ValueError, match="unknown key 'lr'"):
        RunConfig.from_mapping({"schedule": COSINE, "optimizer": {"name": "adam"}, "lr": 1.0})
