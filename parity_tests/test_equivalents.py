"""A port's catalogue equivalent (``spec.equivalent()``, named by ``inspect``) is true: the
two agree at every step at least through the catalogue schedule's end (to the horizon when
it never ends), and where a port has no such equivalent it claims none."""

from __future__ import annotations

import pytest

from warmup_parity.diff import diff
from warmup_parity.inspect_schedule import diagnose, format_diagnosis
from warmup_spec import spec_from_config

HF = "transformers."
EQUAL = [
    {"schedule": HF + "get_constant_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 10},
    {"schedule": HF + "get_constant_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 0},
    {"schedule": HF + "get_linear_schedule_with_warmup", "lr": 3e-4, "num_warmup_steps": 50, "num_training_steps": 500},
    {"schedule": HF + "get_cosine_schedule_with_warmup", "lr": 3e-4, "num_warmup_steps": 50, "num_training_steps": 500},
    {"schedule": HF + "get_cosine_with_min_lr_schedule_with_warmup", "lr": 1e-3, "num_warmup_steps": 20,
     "num_training_steps": 300, "min_lr": 1e-5},
    {"schedule": HF + "get_cosine_with_min_lr_schedule_with_warmup", "lr": 1e-3, "num_warmup_steps": 20,
     "num_training_steps": 300, "min_lr_rate": 0.1},
    {"schedule": HF + "get_polynomial_decay_schedule_with_warmup", "lr": 1e-3, "num_warmup_steps": 10,
     "num_training_steps": 200, "lr_end": 1e-5, "power": 2.0},
    {"schedule": HF + "get_inverse_sqrt_schedule", "lr": 1e-3, "num_warmup_steps": 40},
    {"schedule": HF + "get_inverse_sqrt_schedule", "lr": 1e-3, "num_warmup_steps": 40, "timescale": 100},
    {"schedule": HF + "get_cosine_with_hard_restarts_schedule_with_warmup", "lr": 1e-3, "num_warmup_steps": 10,
     "num_training_steps": 310, "num_cycles": 3},
    {"schedule": "optax.cosine_decay_schedule", "init_value": 0.1, "decay_steps": 200, "alpha": 0.1, "exponent": 2.0},
    {"schedule": "optax.exponential_decay", "init_value": 0.1, "transition_steps": 10, "decay_rate": 0.5,
     "staircase": True, "end_value": 1e-4},
    {"schedule": "optax.exponential_decay", "init_value": 1e-7, "transition_steps": 1, "decay_rate": 1.05},
    {"schedule": "optax.warmup_cosine_decay_schedule", "init_value": 1e-5, "peak_value": 1e-3, "warmup_steps": 100,
     "decay_steps": 1000, "end_value": 1e-5},
    {"schedule": "optax.warmup_exponential_decay_schedule", "init_value": 0.0, "peak_value": 1e-3, "warmup_steps": 10,
     "transition_steps": 20, "decay_rate": 0.9},
    {"schedule": "optax.warmup_constant_schedule", "init_value": 0.0, "peak_value": 1e-3, "warmup_steps": 10},
    {"schedule": "keras.ExponentialDecay", "initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.8},
    {"schedule": "keras.PolynomialDecay", "initial_learning_rate": 0.1, "decay_steps": 100, "power": 0.5},
    {"schedule": "keras.CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.1},
    {"schedule": "keras.CosineDecay", "initial_learning_rate": 0.0, "decay_steps": 1000, "warmup_target": 0.1,
     "warmup_steps": 100},
    {"schedule": "keras.CosineDecayRestarts", "initial_learning_rate": 0.1, "first_decay_steps": 20, "m_mul": 0.5},
    {"schedule": "megatron.OptimizerParamScheduler", "init_lr": 0.0, "max_lr": 3e-4, "min_lr": 3e-5,
     "lr_warmup_steps": 20, "lr_decay_steps": 200, "lr_decay_style": "cosine"},
    {"schedule": "megatron.OptimizerParamScheduler", "init_lr": 1e-5, "max_lr": 3e-4, "min_lr": 0.0,
     "lr_warmup_steps": 20, "lr_decay_steps": 200, "lr_decay_style": "linear"},
    {"schedule": "megatron.OptimizerParamScheduler", "init_lr": 0.0, "max_lr": 3e-4, "min_lr": 0.0,
     "lr_warmup_steps": 20, "lr_decay_steps": 200, "lr_decay_style": "constant"},
    {"schedule": "fairseq.inverse_sqrt", "lr": 5e-4, "warmup_updates": 40, "warmup_init_lr": 1e-7},
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 100, "eta_min": 1e-3},
    {"schedule": "torch.StepLR", "lr": 0.1, "step_size": 30},
    {"schedule": "torch.OneCycleLR", "max_lr": 0.1, "total_steps": 100},
]
NONE = [
    {"schedule": HF + "get_cosine_schedule_with_warmup", "lr": 3e-4, "num_warmup_steps": 50, "num_training_steps": 500,
     "num_cycles": 1.0},
    {"schedule": HF + "get_cosine_with_hard_restarts_schedule_with_warmup", "lr": 1e-3, "num_warmup_steps": 10,
     "num_training_steps": 300, "num_cycles": 7},  # 290 / 7 is not a whole number of steps
    {"schedule": "optax.exponential_decay", "init_value": 0.1, "transition_steps": 10, "decay_rate": 0.5,
     "transition_begin": 5},
    {"schedule": "keras.CosineDecayRestarts", "initial_learning_rate": 0.1, "first_decay_steps": 20, "t_mul": 3.0},
    {"schedule": "megatron.OptimizerParamScheduler", "init_lr": 0.0, "max_lr": 3e-4, "min_lr": 0.0,
     "lr_warmup_steps": 20, "lr_decay_steps": 200, "lr_decay_style": "inverse-square-root"},
    {"schedule": "nanogpt.get_lr"},  # its warmup is a step off every catalogue warmup
]


@pytest.mark.parametrize("cfg", EQUAL, ids=lambda c: c["schedule"])
def test_equivalent_agrees_through_its_end(cfg):
    spec = spec_from_config(cfg)
    eq = spec.equivalent()
    assert eq is not None
    cat = spec_from_config(eq)
    end = cat.end_step
    d = diff(spec, cat, horizon=None if end is None else 2 * end + 50)
    assert d.first_difference is None or (end is not None and d.first_difference > end), d.lines()
    assert "equals the catalogue's" in format_diagnosis(diagnose(cfg))


@pytest.mark.parametrize("cfg", NONE, ids=lambda c: c["schedule"])
def test_no_equivalent_claimed_where_none_holds(cfg):
    assert spec_from_config(cfg).equivalent() is None


def test_inspect_warns_of_a_negative_lr():
    """torchtitan's linear decay runs on below its floor past total_steps."""
    from warmup_spec import Schedule

    cfg = {"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 3e-4, "warmup_steps": 10, "total_steps": 100,
           "decay_ratio": 0.2, "min_lr_factor": 0.1}
    f = Schedule(cfg)
    assert f(100) == pytest.approx(3e-5) and f(102) > 0 > f(103)
    text = format_diagnosis(diagnose(cfg))
    assert "negative lr: from step 103 the lr is below 0" in text
    assert "negative lr" not in format_diagnosis(diagnose({**cfg, "min_lr_factor": 0.0, "decay_type": "cosine"}))
