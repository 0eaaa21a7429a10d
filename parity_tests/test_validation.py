"""Bad parameters raise ValueError at construction, with the same text everywhere:
the config edge and the public functions of both frameworks, and the torch classes."""

from __future__ import annotations

import math
import re

import pytest
import torch

import warmup_jax
import warmup_torch
from warmup_spec import REGISTRY, spec_from_config

NAN, INF = math.nan, math.inf
BASE = {"schedule": "warmup_constant", "peak_value": 1.0}

# (config, words the message must contain: parameter, value and the allowed range)
INVALID = [
    ({"schedule": "warmup_constant", "peak_value": -1.0}, ["peak_value=-1.0", ">= 0"]),
    ({"schedule": "warmup_constant", "peak_value": NAN}, ["peak_value=nan", "finite"]),
    ({"schedule": "warmup_constant", "peak_value": INF}, ["peak_value=inf", "finite"]),
    ({"schedule": "warmup_constant", "peak_value": "0.1"}, ["peak_value='0.1'", "finite number"]),
    ({"schedule": "warmup_constant", "peak_value": True}, ["peak_value=True"]),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": -1}, ["warmup_steps=-1", "integer >= 0"]),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 10.5}, ["warmup_steps=10.5", "integer"]),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 10.0}, ["warmup_steps=10.0", "integer"]),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "init_value": 2.0}, ["init_value=2.0", "[0.0, 1.0]"]),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 5, "warmup_shape": "exponential"},
     ["init_value=0.0", "warmup_shape='exponential'"]),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_shape": "quadratic"},
     ["warmup_shape='quadratic'", "'linear', 'cosine', 'exponential'"]),
    ({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 100, "total_steps": 50},
     ["total_steps=50", "> warmup_steps (100)"]),
    ({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 100, "total_steps": 100},
     ["total_steps=100", "> warmup_steps (100)"]),
    ({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 1, "total_steps": 9,
      "end_value": 2.0}, ["end_value=2.0", "[0.0, 1.0]"]),
    ({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 1, "total_steps": 9,
      "exponent": 0.0}, ["exponent=0.0", "> 0.0"]),
    ({"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 1}, ["missing required parameter 'total_steps'"]),
    ({"schedule": "warmup_polynomial_decay", "peak_value": 1.0, "warmup_steps": 1, "total_steps": 9,
      "power": -1.0}, ["power=-1.0"]),
    ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 1, "transition_steps": 0,
      "decay_rate": 0.5}, ["transition_steps=0", "integer >= 1"]),
    ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 1, "transition_steps": 5,
      "decay_rate": 1.5}, ["end_value=None", "ceiling"]),
    ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 1, "transition_steps": 5,
      "decay_rate": 0.0}, ["decay_rate=0.0", "> 0.0"]),
    ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 1, "transition_steps": 5,
      "decay_rate": 0.5, "staircase": 1}, ["staircase=1", "True or False"]),
    ({"schedule": "warmup_inverse_sqrt", "peak_value": 1.0, "warmup_steps": 0}, ["timescale=None", "warmup_steps=0"]),
    ({"schedule": "noam", "d_model": 0, "warmup_steps": 10}, ["d_model=0", "> 0.0"]),
    ({"schedule": "noam", "d_model": 512, "warmup_steps": 0}, ["warmup_steps=0", "integer >= 1"]),
    ({"schedule": "legacy_noam", "max_lr": -0.1, "warmup_steps": 10}, ["max_lr=-0.1"]),
    ({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 1, "stable_steps": 1,
      "decay_steps": 0}, ["decay_steps=0"]),
    ({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 1, "stable_steps": 1,
      "decay_steps": 5, "decay_shape": "sqrt"}, ["decay_shape='sqrt'", "'1-sqrt'"]),
    ({"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 1, "cycle_steps": 10,
      "cycle_mul": 0.5}, ["cycle_mul=0.5", "expected 1.0 or a finite number in [1.001, 64.0]"]),
    ({"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 1, "cycle_steps": 1,
      "cycle_mul": 1.0000001}, ["cycle_mul=1.0000001", "expected 1.0 or a finite number in [1.001, 64.0]"]),
    ({"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 1, "cycle_steps": 10,
      "cycle_decay": 1.5}, ["cycle_decay=1.5", "(0.0, 1.0]"]),
    ({"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 1, "cycle_steps": 10,
      "cycle_limit": 0}, ["cycle_limit=0"]),
    ({"schedule": "one_cycle", "total_steps": 100, "peak_value": 1.0, "pct_start": 1.0}, ["pct_start=1.0"]),
    ({"schedule": "one_cycle", "total_steps": 100, "peak_value": 1.0, "pct_start": 0.005}, ["pct_start=0.005"]),
    ({"schedule": "one_cycle", "total_steps": 100, "peak_value": 1.0, "anneal": "cubic"}, ["anneal='cubic'"]),
    ({"schedule": "one_cycle", "total_steps": 1, "peak_value": 1.0}, ["total_steps=1", "integer >= 2"]),
    ({"schedule": "tri_stage", "peak_value": 1.0, "warmup_steps": 1, "hold_steps": 1, "decay_steps": 1,
      "final_scale": 0.0}, ["final_scale=0.0", "(0.0, 1.0]"]),
    ({"schedule": "tri_stage", "peak_value": 1.0, "warmup_steps": 1, "hold_steps": 1, "decay_steps": 1,
      "init_scale": 0.0, "warmup_shape": "exponential"}, ["init_scale=0.0"]),
    ({"schedule": "untuned_warmup", "base": BASE, "beta2": 1.0}, ["beta2=1.0", "[0.0, 1.0)"]),
    ({"schedule": "untuned_warmup", "base": BASE, "shape": "cosine"}, ["shape='cosine'"]),
    ({"schedule": "with_warmup", "base": BASE, "warmup_steps": -3}, ["warmup_steps=-3"]),
    ({"schedule": "with_warmup", "base": 3.0, "warmup_steps": 3}, ["base=3.0"]),
    ({"schedule": "scaled", "base": BASE, "factor": NAN}, ["factor=nan"]),
    ({"schedule": "join", "schedules": [BASE, BASE], "boundaries": []}, ["boundaries=[]"]),
    ({"schedule": "join", "schedules": [BASE, BASE, BASE], "boundaries": [5, 5]}, ["strictly increasing"]),
    ({"schedule": "warmup_cosine", "peak_value": 1.0}, ["schedule='warmup_cosine'", "warmup_cosine_decay"]),
    ({"peak_value": 1.0}, ["missing key 'schedule'", "warmup_constant"]),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "peak": 2.0},
     ["unknown parameter 'peak'", "valid parameters: init_value, peak_value, warmup_shape, warmup_steps"]),
    ({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 10, "total_steps": 100,
      "decay_steps": 90}, ["unknown parameter 'decay_steps'", "total_steps"]),
]
IDS = [f"{k}-{cfg.get('schedule', 'none')}" for k, (cfg, _) in enumerate(INVALID)]


def _message(fn) -> str:
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value)


def _optimizer():
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


@pytest.mark.parametrize("cfg,words", INVALID, ids=IDS)
def test_same_error_text_in_both_frameworks(cfg, words):
    expected = _message(lambda: spec_from_config(cfg))
    for w in words:
        assert w in expected, (w, expected)
    assert _message(lambda: warmup_jax.schedule_from_config(cfg)) == expected
    assert _message(lambda: warmup_torch.scheduler_from_config(_optimizer(), cfg)) == expected
    assert _message(lambda: warmup_torch.schedule_from_config(cfg)) == expected
    name = cfg.get("schedule")
    if name in REGISTRY and not any(w.startswith(("unknown", "missing")) for w in words):
        params = {k: v for k, v in cfg.items() if k != "schedule"}
        for k in ("base",):
            if isinstance(params.get(k), dict):
                params[k] = spec_from_config(params[k])
        if name == "join":
            params["schedules"] = [spec_from_config(s) for s in params["schedules"]]
        assert _message(lambda: getattr(warmup_jax, name)(**params)) == expected
        assert _message(lambda: getattr(warmup_torch, name)(**params)) == expected


def test_error_names_parameter_value_and_range():
    msg = _message(lambda: warmup_jax.warmup_cosine_decay(1e-3, 500, 100))
    assert re.fullmatch(
        r"warmup_cosine_decay: total_steps=100 is invalid; expected an integer > warmup_steps \(500\)", msg)


def test_never_another_exception_type():
    """Odd types still give ValueError, not TypeError."""
    for bad in (None, [1], {"a": 1}, object(), 1j):
        with pytest.raises(ValueError):
            warmup_jax.warmup_constant(bad)
        with pytest.raises(ValueError):
            warmup_torch.warmup_constant(bad)
