"""LLM trainers' configs (``warmup_spec.trainer_configs``) and the torchtune component
(``warmup_torch.torchtune_component``).

Measured, per trainer: its documented defaults read as our port's defaults; configs read
and written back unchanged (round trips); a catalogue schedule written as the trainer's
config runs, in the trainer's schedule (our ports, tested against the projects' sources in
``parity_tests/anchors/formulas.py``; torchtune's transcribed below), the same lr at every update of
the run; what a trainer cannot express is a ``ValueError``; the torchtune component,
called as torchtune's recipes call it, runs the schedule and resumes from ``last_epoch``.
"""

from __future__ import annotations

import math

import pytest
import torch

from warmup_spec import Schedule, spec_from_config
from warmup_spec.trainer_configs import (
    from_maxtext,
    from_torchtitan,
    from_torchtune,
    to_maxtext,
    to_torchtitan,
    to_torchtune,
)
from warmup_torch.torchtune_component import lr_scheduler


def lrs(sched: torch.optim.lr_scheduler.LRScheduler, n: int) -> list[float]:
    out = []
    for _ in range(n):
        out.append(sched.optimizer.param_groups[0]["lr"])
        sched.optimizer.step()
        sched.step()
    return out


def sgd(lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


# --- torchtitan ------------------------------------------------------------------------------


def test_torchtitan_defaults_are_its_documented_ones():
    # LRSchedulersContainer.Config: warmup_steps=200, decay_ratio=None, decay_type="linear", min_lr_factor=0.0;
    # total_steps=None -> [training] steps, 10000 by default
    cfg = from_torchtitan({"optimizer": {"lr": 8e-4}})
    assert spec_from_config(cfg) == spec_from_config({
        "schedule": "torchtitan.linear_warmup_stable_decay", "lr": 8e-4, "total_steps": 10_000, "warmup_steps": 200,
        "decay_ratio": None, "decay_type": "linear", "min_lr_factor": 0.0})
    assert to_torchtitan(cfg) == {"optimizer": {"lr": 8e-4}, "training": {"steps": 10_000}, "lr_scheduler": {}}


@pytest.mark.parametrize("section", [
    {"warmup_steps": 10, "decay_ratio": 0.3, "decay_type": "cosine", "min_lr_factor": 0.1},
    {"warmup_steps": 0, "decay_type": "sqrt"},
    {"warmup_steps": 7, "decay_ratio": 0.5},
])
def test_torchtitan_job_round_trips(section):
    job = {"optimizer": {"lr": 3e-4}, "training": {"steps": 120}, "lr_scheduler": section}
    assert to_torchtitan(from_torchtitan(job)) == job


def test_torchtitan_total_steps_overrides_training_steps_and_unknown_keys_are_refused():
    cfg = from_torchtitan({"optimizer": {"lr": 1.0}, "training": {"steps": 50}, "lr_scheduler": {"total_steps": 80}})
    assert cfg["total_steps"] == 80
    with pytest.raises(ValueError, match=r"^torchtitan \[lr_scheduler\]: unknown key 'warmup'; valid keys: warmup_steps"):
        from_torchtitan({"optimizer": {"lr": 1.0}, "lr_scheduler": {"warmup": 3}})
    with pytest.raises(ValueError, match=r"\[optimizer\] lr is missing"):
        from_torchtitan({"lr_scheduler": {}})


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
def test_a_warmup_stable_decay_torchtitan_can_run_is_written_as_torchtitan_and_runs_the_same_lrs(shape):
    peak, w = 2e-3, 4
    ours = {"schedule": "warmup_stable_decay", "peak_value": peak, "warmup_steps": w, "init_value": peak / (w + 1),
            "stable_steps": 30, "decay_steps": 20, "end_value": 2e-4, "decay_shape": shape}
    job = to_torchtitan(ours)
    assert job["training"]["steps"] == 54 and job["lr_scheduler"]["warmup_steps"] == 5
    theirs, mine = Schedule(from_torchtitan(job)), Schedule(ours)
    assert all(math.isclose(theirs(k), mine(k), rel_tol=1e-12) for k in range(54))


def test_what_torchtitan_cannot_express_is_refused():
    with pytest.raises(ValueError, match="^torchtitan cannot express warmup_stable_decay: its schedule is a linear warmup"):
        to_torchtitan({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 4, "stable_steps": 3,
                       "decay_steps": 5})  # a warmup from 0, not from lr / W
    with pytest.raises(ValueError, match="^torchtitan cannot express warmup_cosine_decay"):
        to_torchtitan({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 4, "total_steps": 10})


# --- MaxText ---------------------------------------------------------------------------------

BASE_YML = {"learning_rate": 3.0e-5, "cosine_learning_rate_final_fraction": 0.1, "warmup_steps_fraction": 0.1,
            "learning_rate_schedule_steps": -1, "steps": 150_001, "lr_schedule_type": "cosine",
            "wsd_decay_steps_fraction": 0.1, "wsd_decay_style": "linear"}
"""MaxText's base.yml schedule keys and defaults (with its older name of the final fraction)."""


def test_maxtext_defaults_are_its_documented_ones():
    assert spec_from_config(from_maxtext({})) == spec_from_config(from_maxtext(BASE_YML))
    assert to_maxtext(from_maxtext(BASE_YML)) == {
        ("learning_rate_final_fraction" if k == "cosine_learning_rate_final_fraction" else k): v
        for k, v in BASE_YML.items()}


@pytest.mark.parametrize("keys", [
    {"learning_rate": 3e-4, "steps": 1000, "warmup_steps_fraction": 0.05, "learning_rate_final_fraction": 0.0},
    {"learning_rate": 1e-3, "steps": 500, "learning_rate_schedule_steps": 400, "lr_schedule_type": "wsd",
     "wsd_decay_steps_fraction": 0.2, "wsd_decay_style": "cosine"},
])
def test_maxtext_keys_round_trip(keys):
    out = to_maxtext(from_maxtext({**keys, "per_device_batch_size": 8, "model_name": "llama2-7b"}))
    assert {k: out[k] for k in keys} == keys


@pytest.mark.parametrize("shape", ["linear", "cosine"])
def test_a_warmup_stable_decay_is_written_as_maxtexts_wsd_and_runs_the_same_lrs(shape):
    ours = {"schedule": "warmup_stable_decay", "peak_value": 1e-3, "warmup_steps": 10, "stable_steps": 60,
            "decay_steps": 30, "end_value": 1e-4, "decay_shape": shape}
    keys = to_maxtext(ours)
    assert (keys["lr_schedule_type"], keys["wsd_decay_style"], keys["steps"]) == ("wsd", shape, 101)
    theirs, mine = Schedule(from_maxtext(keys)), Schedule(ours)
    assert all(math.isclose(theirs(k), mine(k), rel_tol=1e-12) for k in range(101))


def test_a_warmup_cosine_decay_is_written_as_maxtext_and_runs_the_same_lrs_over_its_steps():
    ours = {"schedule": "warmup_cosine_decay", "peak_value": 3e-4, "warmup_steps": 37, "total_steps": 999,
            "end_value": 3e-5}
    keys = to_maxtext(ours)
    assert keys["steps"] == keys["learning_rate_schedule_steps"] == 1000
    theirs, mine = Schedule(from_maxtext(keys)), Schedule(ours)
    assert all(math.isclose(theirs(k), mine(k), rel_tol=1e-12) for k in range(1000))
    with pytest.raises(ValueError, match="^MaxText cannot express warmup_cosine_decay"):
        to_maxtext({**ours, "init_value": 1e-6})
    with pytest.raises(ValueError, match="^MaxText config: cosine_learning_rate_final_fraction=0.2 is invalid"):
        from_maxtext({"learning_rate_final_fraction": 0.1, "cosine_learning_rate_final_fraction": 0.2})


# --- torchtune -------------------------------------------------------------------------------


def torchtune_cosine(optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5, last_epoch=-1):
    """torchtune's ``get_cosine_schedule_with_warmup``, transcribed from
    ``torchtune/training/lr_schedulers.py`` (pytorch/torchtune 2463c5f0134c9596f4049406fb9a754fa9030f2e)."""

    def lr_lambda(current_step: int) -> float:
        if current_step < num_warmup_steps:
            return current_step / max(1, num_warmup_steps)
        progress = (current_step - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
        cosine_lr_multiple = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
        return max(0.0, cosine_lr_multiple)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda, last_epoch)


@pytest.mark.parametrize("kwargs", [{"num_warmup_steps": 10}, {"num_warmup_steps": 0, "num_cycles": 1.5}])
def test_torchtunes_cosine_reads_as_our_port_and_runs_torchtunes_lrs(kwargs):
    component = {"_component_": "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup", **kwargs}
    cfg = from_torchtune(component, num_training_steps=60, lr=2e-5)
    theirs = lrs(torchtune_cosine(sgd(2e-5), num_training_steps=60, **kwargs), 70)
    ours = lrs(lr_scheduler(sgd(2e-5), num_training_steps=60, schedule=cfg["schedule"],
                            **{k: v for k, v in cfg.items() if k not in ("schedule", "num_training_steps")}), 70)
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-20) for a, b in zip(ours, theirs))
    assert to_torchtune(cfg) == {**component, "num_cycles": kwargs.get("num_cycles", 0.5)}


def test_our_component_is_instantiated_as_torchtune_does_and_resumes_from_last_epoch():
    yaml = {"_component_": "warmup_torch.torchtune_component.lr_scheduler", "schedule": "warmup_cosine_decay",
            "num_warmup_steps": 5, "end_value": 1e-6}
    kwargs = {k: v for k, v in yaml.items() if k != "_component_"}
    # the recipe: config.instantiate(cfg.lr_scheduler, optimizer, num_training_steps=N, last_epoch=-1)
    opt = sgd(1e-4)
    full = lrs(lr_scheduler(opt, num_training_steps=40, last_epoch=-1, **kwargs), 40)
    expected = Schedule(from_torchtune(yaml, num_training_steps=40, lr=1e-4))
    assert full == [expected(k) for k in range(40)]
    assert expected.spec.peak_value == 1e-4 and expected.spec.total_steps == 40
    # resuming at step 12: the optimizer's state (with initial_lr) restored, last_epoch = 12 - 1
    first = sgd(1e-4)
    lrs(lr_scheduler(first, num_training_steps=40, **kwargs), 12)
    again = sgd(1e-4)
    again.load_state_dict(first.state_dict())
    assert lrs(lr_scheduler(again, num_training_steps=40, last_epoch=11, **kwargs), 28) == full[12:]
    assert from_torchtune(to_torchtune(expected.spec), num_training_steps=40, lr=1e-4) == expected.config()
