"""A parameter's own range is declared once, on its field (``warmup_spec.definition.arg``):
the constructor runs that check, its error says what the check's text says, and the
docstring's ``Args:`` is rendered from the fields (the source has none)."""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

import pytest

from parity_tests.cases import ALL
from warmup_spec import REGISTRY, spec_from_config
from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, arg, definition
from warmup_spec.hyper import Ramp
from warmup_spec.plateau import Plateau

PORTS: list[dict[str, Any]] = [
    {"schedule": "optax.constant_schedule", "value": 0.1},
    {"schedule": "optax.polynomial_schedule", "init_value": 1.0, "end_value": 0.1, "power": 2.0,
     "transition_steps": 10},
    {"schedule": "optax.linear_schedule", "init_value": 1.0, "end_value": 0.1, "transition_steps": 10},
    {"schedule": "optax.exponential_decay", "init_value": 1.0, "transition_steps": 10, "decay_rate": 0.5},
    {"schedule": "optax.cosine_decay_schedule", "init_value": 1.0, "decay_steps": 10},
    {"schedule": "optax.warmup_cosine_decay_schedule", "init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2,
     "decay_steps": 10},
    {"schedule": "optax.warmup_exponential_decay_schedule", "init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2,
     "transition_steps": 10, "decay_rate": 0.5},
    {"schedule": "optax.warmup_constant_schedule", "init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2},
    {"schedule": "optax.piecewise_constant_schedule", "init_value": 1.0, "boundaries_and_scales": {5: 0.1}},
    {"schedule": "optax.piecewise_interpolate_schedule", "interpolate_type": "linear", "init_value": 1.0,
     "boundaries_and_scales": {5: 0.1}},
    {"schedule": "optax.join_schedules", "schedules": [{"schedule": "optax.constant_schedule", "value": 1.0}] * 2,
     "boundaries": [5]},
    {"schedule": "optax.sgdr_schedule", "cosine_kwargs": [
        {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 50}]},
    {"schedule": "optax.linear_onecycle_schedule", "transition_steps": 100, "peak_value": 1.0},
    {"schedule": "optax.cosine_onecycle_schedule", "transition_steps": 100, "peak_value": 1.0},
    {"schedule": "keras.ExponentialDecay", "initial_learning_rate": 1.0, "decay_steps": 10, "decay_rate": 0.5},
    {"schedule": "keras.InverseTimeDecay", "initial_learning_rate": 1.0, "decay_steps": 10, "decay_rate": 0.5},
    {"schedule": "keras.PiecewiseConstantDecay", "boundaries": [10, 20], "values": [1.0, 0.5, 0.1]},
    {"schedule": "keras.PolynomialDecay", "initial_learning_rate": 1.0, "decay_steps": 10},
    {"schedule": "keras.CosineDecay", "initial_learning_rate": 0.0, "decay_steps": 100, "warmup_target": 1.0,
     "warmup_steps": 20},
    {"schedule": "keras.CosineDecayRestarts", "initial_learning_rate": 1.0, "first_decay_steps": 10},
    {"schedule": "megatron.OptimizerParamScheduler", "init_lr": 0.0, "max_lr": 1e-3, "min_lr": 1e-4,
     "lr_warmup_steps": 10, "lr_decay_steps": 100, "lr_decay_style": "WSD", "wsd_decay_steps": 20,
     "lr_wsd_decay_style": "cosine"},
    {"schedule": "torch.StepLR", "lr": 0.1, "step_size": 3},
    {"schedule": "torch.MultiStepLR", "lr": 0.1, "milestones": [6, 2.0, 4]},
    {"schedule": "torch.ConstantLR", "lr": 0.1},
    {"schedule": "torch.LinearLR", "lr": 0.1, "start_factor": 0.5, "total_iters": 2.5},
    {"schedule": "torch.ExponentialLR", "lr": 0.1, "gamma": 0.9},
    {"schedule": "torch.PolynomialLR", "lr": 0.1, "total_iters": 10, "power": 2.0},
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 2.5, "eta_min": 0.01},
    {"schedule": "torch.CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "step_size_down": 2.5,
     "mode": "exp_range", "gamma": 0.99},
    {"schedule": "torch.OneCycleLR", "max_lr": 0.1, "epochs": 2, "steps_per_epoch": 50, "three_phase": True},
    {"schedule": "torch.CosineAnnealingWarmRestarts", "lr": 0.1, "T_0": 5, "T_mult": 2},
    {"schedule": "torch.SequentialLR", "lr": 0.1, "schedulers": [
        {"schedule": "torch.LinearLR", "total_iters": 5}, {"schedule": "torch.ExponentialLR", "gamma": 0.9}],
     "milestones": [5]},
    {"schedule": "torch.ChainedScheduler", "lr": 0.1, "schedulers": [
        {"schedule": "torch.ConstantLR"}, {"schedule": "torch.ExponentialLR", "gamma": 0.9}]},
    {"schedule": "deepspeed.WarmupLR", "warmup_max_lr": 1e-3, "warmup_num_steps": 10, "warmup_type": "linear"},
    {"schedule": "deepspeed.WarmupDecayLR", "total_num_steps": 100, "warmup_num_steps": 10},
    {"schedule": "deepspeed.WarmupCosineLR", "lr": 1e-3, "total_num_steps": 100, "warmup_num_steps": 10},
    {"schedule": "deepspeed.LRRangeTest", "lr_range_test_step_size": 10, "lr_range_test_staircase": True},
    {"schedule": "deepspeed.OneCycle", "cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "cycle_first_step_size": 10,
     "cycle_second_step_size": 6, "cycle_first_stair_count": 2, "decay_lr_rate": 1.0, "decay_step_size": 10},
    {"schedule": "transformers.get_constant_schedule", "lr": 0.1},
    {"schedule": "transformers.get_constant_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2},
    {"schedule": "transformers.get_linear_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2,
     "num_training_steps": 10},
    {"schedule": "transformers.get_cosine_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2,
     "num_training_steps": 10},
    {"schedule": "transformers.get_cosine_with_hard_restarts_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2,
     "num_training_steps": 10, "num_cycles": 2},
    {"schedule": "transformers.get_polynomial_decay_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2,
     "num_training_steps": 10, "lr_end": 1e-3, "power": 2.0},
    {"schedule": "transformers.get_inverse_sqrt_schedule", "lr": 0.1, "num_warmup_steps": 2, "timescale": 5},
    {"schedule": "transformers.get_cosine_with_min_lr_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2,
     "num_training_steps": 10, "min_lr_rate": 0.1},
    {"schedule": "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "lr": 0.1,
     "num_warmup_steps": 2, "num_training_steps": 10, "min_lr": 1e-3, "warmup_lr_rate": 0.5},
    {"schedule": "transformers.get_wsd_schedule", "lr": 0.1, "num_warmup_steps": 2, "num_decay_steps": 3,
     "num_training_steps": 10, "num_stable_steps": 4, "warmup_type": "cosine", "decay_type": "1-sqrt",
     "min_lr_ratio": 0.1},
    {"schedule": "transformers.get_scheduler", "lr": 0.1, "name": "cosine", "num_warmup_steps": 2,
     "num_training_steps": 10, "scheduler_specific_kwargs": {"num_cycles": 1.5}},
    {"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 0.1, "warmup_steps": 2, "total_steps": 10,
     "decay_ratio": 0.5, "decay_type": "cosine", "min_lr_factor": 0.1},
    {"schedule": "maxtext.create_learning_rate_schedule", "learning_rate": 1e-3, "lr_schedule_type": "wsd",
     "learning_rate_schedule_steps": 100, "steps": 120},
    {"schedule": "nanogpt.get_lr", "learning_rate": 6e-4, "warmup_iters": 2, "lr_decay_iters": 12, "min_lr": 6e-5},
    {"schedule": "timm.CosineLRScheduler", "lr": 0.1, "t_initial": 10, "cycle_mul": 2.0, "cycle_decay": 0.5,
     "cycle_limit": 3, "warmup_t": -2, "warmup_prefix": True, "k_decay": 0.5},
    {"schedule": "timm.TanhLRScheduler", "lr": 0.1, "t_initial": 10, "lb": -3.0, "ub": 2.0, "warmup_t": 3},
    {"schedule": "timm.StepLRScheduler", "lr": 0.1, "decay_t": 2.4, "decay_rate": 0.5, "warmup_t": 2},
    {"schedule": "timm.MultiStepLRScheduler", "lr": 0.1, "decay_t": [6, 2, 9], "decay_rate": -2.0},
    {"schedule": "timm.PolyLRScheduler", "lr": 0.1, "t_initial": 10, "power": 2.0, "cycle_limit": 2},
    {"schedule": "fairseq.inverse_sqrt", "lr": [5e-4], "warmup_updates": 100, "warmup_init_lr": 1e-7},
    {"schedule": "fairseq.cosine", "lr": 1e-3, "warmup_updates": 2, "t_mult": 2.0, "lr_period_updates": 10,
     "lr_shrink": -0.5},
]
"""A valid config of each port whose fields declare their checks."""

FIRST = {cfg["schedule"]: cfg for _, cfg in reversed(ALL)}
VALID = [*FIRST.values(), *PORTS]
UNREGISTERED: list[tuple[type[ScheduleSpec], dict[str, Any]]] = [
    (Plateau, {"lr": 0.1, "warmup_steps": 5}), (Ramp, {"start": 0.0, "end": 0.1, "steps": 10})]
CLASSES = [REGISTRY[cfg["schedule"]] for cfg in VALID] + [cls for cls, _ in UNREGISTERED]


def _declared(cls: type) -> list[tuple[str, c.Check]]:
    return [(f.name, f.metadata["check"]) for f in dataclasses.fields(cls) if f.metadata.get("check") is not None]


def _refusal(make: Any, cls: type, kwargs: dict[str, Any]) -> None:
    """Each declared field set to a wrong value (the others valid): the check's own error."""
    for name, check in _declared(cls):  # (optax.sgdr_schedule declares none: its one check is in validate)
        with pytest.raises(ValueError) as err:
            make({**kwargs, name: "wrong"})
        expected = (check.inner if isinstance(check, c.OrNone) else check).text  # None is not a wrong value
        assert str(err.value) == f"{cls.schedule}: {name}='wrong' is invalid; expected {expected}"


@pytest.mark.parametrize("cfg", VALID, ids=lambda cfg: cfg["schedule"])
def test_a_wrong_value_is_refused_with_the_declared_text(cfg):
    spec_from_config(cfg)  # valid as it is
    _refusal(spec_from_config, REGISTRY[cfg["schedule"]], cfg)


@pytest.mark.parametrize("cls,kwargs", UNREGISTERED, ids=lambda x: getattr(x, "__name__", ""))
def test_the_unregistered_definitions_too(cls, kwargs):
    cls(**kwargs)
    _refusal(lambda kw: cls(**kw), cls, kwargs)


def _args(cls: type) -> dict[str, str]:
    """The rendered ``Args:`` section: name -> its text (continuation lines joined)."""
    section = re.search(r"^Args:\n((?:    .*\n?)+)", inspect.getdoc(cls) or "", re.M)
    assert section, cls
    entries = re.split(r"\n    (?=\w+: )", "\n" + section[1].rstrip())[1:]
    return dict(tuple(" ".join(e.split()).split(": ", 1)) for e in entries)  # type: ignore[misc]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.schedule)
def test_args_are_rendered_from_the_fields_and_not_written(cls):
    args = _args(cls)
    assert list(args) == list(inspect.signature(cls).parameters)  # every parameter, in call order
    for name, check in _declared(cls):
        assert args[name].endswith(f"{check.text}."), (name, args[name])
    assert not re.search(r"^\s+Args:$", inspect.getsource(cls), re.M)


def test_an_args_line_as_written():
    from warmup_spec.catalogue import OneCycle, WarmupCosineDecay

    assert _args(WarmupCosineDecay)["exponent"] == "the power of the cosine factor; a finite number > 0.0."
    assert _args(WarmupCosineDecay)["warmup_shape"] == "one of 'linear', 'cosine', 'exponential'."
    assert _args(OneCycle)["base_momentum"] == ("the momentum at the peak lr (torch's 0.85); a finite number in "
                                               "[0.0, 1.0).")
    assert _args(REGISTRY["optax.warmup_cosine_decay_schedule"])["warmup_steps"] == "an integer."


def test_a_check_stores_the_value_it_returns():
    from warmup_spec.catalogue import Join, WarmupCosineRestarts

    spec = WarmupCosineRestarts(1, 0, 4, cycle_limit=2)
    assert type(spec.peak_value) is float and spec.peak_value == 1.0 and spec.cycle_limit == 2
    assert Join([{"schedule": "warmup_constant", "peak_value": 1}, lambda t: 0.5], [3]).schedules[0] == \
        spec_from_config({"schedule": "warmup_constant", "peak_value": 1.0})
    assert spec_from_config({"schedule": "optax.piecewise_constant_schedule", "init_value": 1,
                             "boundaries_and_scales": {"20": 0.5, 10: 1}}).boundaries_and_scales == {10: 1.0, 20: 0.5}


def test_a_field_without_arg_is_refused_at_class_creation():
    with pytest.raises(TypeError, match=r"Bare\.x: declare it with arg\(check, doc\)"):
        @definition
        class Bare(ScheduleSpec):
            """No args."""

            x: float = 1.0

    @definition
    class Declared(ScheduleSpec):
        """One parameter.

        Example:
            nothing.
        """

        schedule = "declared"
        x: float = arg(c.Number(0.0, 1.0, lo_open=True), "a fraction", default=0.5)

    assert inspect.getdoc(Declared) == ("One parameter.\n\nArgs:\n    x: a fraction; a finite number in (0.0, 1.0].\n\n"
                                        "Example:\n    nothing.")
    with pytest.raises(ValueError, match=r"^declared: x=0 is invalid; expected a finite number in \(0.0, 1.0\]$"):
        Declared(0)


def test_the_torch_checks_store_what_torch_computes_with():
    import torch

    def spec(name: str, **kw: Any) -> Any:
        return spec_from_config({"schedule": f"torch.{name}", **kw})

    step = spec("StepLR", lr=0.1, step_size=3).step_size
    assert type(step) is int and step == 3 and spec("StepLR", lr=0.1, step_size=2.5).step_size == 2.5
    assert spec("MultiStepLR", lr=0.1, milestones=[6, 2.0, 4]).milestones == (2.0, 4, 6)  # sorted, 2.0 kept
    T = spec("CosineAnnealingLR", lr=0.1, T_max=4.0).T_max
    assert type(T) is int and T == 4
    total = spec("LinearLR", lr=0.1, total_iters=3.0).total_iters
    assert type(total) is int and total == 3
    cyclic = spec("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range")
    assert (cyclic.step_size_down, cyclic.scale_mode) == (4, "iterations")  # torch's own defaults
    one = spec("OneCycleLR", max_lr=0.1, total_steps=10, div_factor=25, epochs=0, steps_per_epoch=-1)
    assert type(one.div_factor) is float and one.steps == 10
    # torch reads epochs and steps_per_epoch only without total_steps, and so does the port
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10, epochs=0, steps_per_epoch=-1).total_steps == 10
    with pytest.raises(ValueError, match=r"^torch\.OneCycleLR: epochs=0 is invalid; expected an integer >= 1$"):
        spec("OneCycleLR", max_lr=0.1, epochs=0, steps_per_epoch=5)
    assert spec_from_config({"schedule": "deepspeed.OneCycle", "cycle_min_lr": 0.0, "cycle_max_lr": 1.0}) \
        .cycle_second_step_size is None


def test_a_port_s_own_check_renders_its_text():
    """A check written for a port (a ``c.Check`` subclass in its module) renders and refuses
    with the same words."""
    cosine = REGISTRY["transformers.get_cosine_schedule_with_warmup"]
    steps = "a finite number of steps (HF compares the step with it)"
    assert _args(cosine)["num_warmup_steps"] == f"steps of warmup (``w``); {steps}."
    assert cosine(lr=0.1, num_warmup_steps=2, num_training_steps=9.5).num_training_steps == 9.5
    cycles_text = ("a finite number in [-1000000.0, 1000000.0] (HF takes any finite one; past 1e6 cycles over T - w "
                   "HF's float64 phase parts from its wave by over 1e-6 within 5000 steps, where the port's float32 "
                   "forms cannot follow it)")
    assert _args(cosine)["num_cycles"] == f"cosine cycles over ``T - w`` steps (``c``); {cycles_text}."
    with pytest.raises(ValueError, match=re.escape(f"num_cycles=-2000000.0 is invalid; expected {cycles_text}")):
        cosine(lr=0.1, num_warmup_steps=2, num_training_steps=9.5, num_cycles=-2e6)
    assert _args(REGISTRY["maxtext.create_learning_rate_schedule"])["steps"] == ("the run's length (-1: ``L``); -1 or "
                                                                                 "an integer >= 1.")
    restarts = REGISTRY["transformers.get_cosine_with_hard_restarts_schedule_with_warmup"]
    cycles = restarts(lr=0.1, num_warmup_steps=2, num_training_steps=10, num_cycles=2.0).num_cycles
    assert cycles == 2 and type(cycles) is int  # the value the check returns, stored
