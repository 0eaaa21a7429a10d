"""The one case table: configs of every catalogue schedule, fed to the lr-parity,
boundary, property and benchmark code. Each schedule has several configs that
exercise its options (warmup shapes, w = 0, end values, exponents, staircases,
cycles, ...). :data:`ALL` walks the catalogue itself, so a schedule without cases here
fails at collection instead of being skipped."""

from __future__ import annotations

from typing import Any

import numpy as np

from warmup_spec import spec_from_config
from warmup_spec.catalogue import CATALOGUE

_COSINE = {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 50, "total_steps": 600}

CASES: dict[str, list[dict[str, Any]]] = {
    "warmup_constant": [
        {"peak_value": 1e-3, "warmup_steps": 100},
        {"peak_value": 0.1, "warmup_steps": 0},
        {"peak_value": 3e-4, "warmup_steps": 777, "init_value": 1e-6, "warmup_shape": "cosine"},
        {"peak_value": 1e-3, "warmup_steps": 500, "init_value": 1e-7, "warmup_shape": "exponential"},
    ],
    "warmup_linear_decay": [
        {"peak_value": 1e-3, "warmup_steps": 100, "total_steps": 1000},
        {"peak_value": 5e-4, "warmup_steps": 0, "total_steps": 333, "end_value": 1e-5},
        {"peak_value": 2.0, "warmup_steps": 1, "total_steps": 2},
        {"peak_value": 1e-3, "warmup_steps": 250, "total_steps": 20000, "end_value": 1e-4,
         "init_value": 1e-5, "warmup_shape": "cosine"},
    ],
    "warmup_cosine_decay": [
        {"peak_value": 1e-3, "warmup_steps": 100, "total_steps": 1000},
        {"peak_value": 3e-4, "warmup_steps": 2000, "total_steps": 30000, "end_value": 3e-6},
        {"peak_value": 1.0, "warmup_steps": 0, "total_steps": 997, "exponent": 2.0},
        {"peak_value": 6e-4, "warmup_steps": 300, "total_steps": 5000, "end_value": 6e-5,
         "exponent": 0.5, "init_value": 6e-7, "warmup_shape": "exponential"},
        {"peak_value": 1e-3, "warmup_steps": 10, "total_steps": 11},
    ],
    "warmup_polynomial_decay": [
        {"peak_value": 1e-3, "warmup_steps": 100, "total_steps": 1000, "power": 2.0},
        {"peak_value": 1e-3, "warmup_steps": 0, "total_steps": 5000, "end_value": 1e-7, "power": 1.0},
        {"peak_value": 5e-3, "warmup_steps": 321, "total_steps": 4321, "end_value": 1e-4,
         "power": 0.5, "warmup_shape": "cosine"},
    ],
    "warmup_exponential_decay": [
        {"peak_value": 1e-3, "warmup_steps": 100, "transition_steps": 100, "decay_rate": 0.9},
        {"peak_value": 1e-3, "warmup_steps": 50, "transition_steps": 30, "decay_rate": 0.5,
         "staircase": True, "end_value": 1e-5},
        {"peak_value": 1e-4, "warmup_steps": 0, "transition_steps": 100, "decay_rate": 1.05,
         "end_value": 1e-3},
        {"peak_value": 2e-3, "warmup_steps": 200, "transition_steps": 1000, "decay_rate": 0.1,
         "end_value": 2e-6, "init_value": 2e-5, "warmup_shape": "exponential"},
    ],
    "warmup_inverse_sqrt": [
        {"peak_value": 1e-3, "warmup_steps": 4000},
        {"peak_value": 5e-4, "warmup_steps": 0, "timescale": 100.0},
        {"peak_value": 1e-3, "warmup_steps": 500, "timescale": 50.0, "warmup_shape": "cosine"},
    ],
    "noam": [
        {"d_model": 512, "warmup_steps": 4000},
        {"d_model": 1024, "warmup_steps": 100, "scale": 2.0},
        {"d_model": 64, "warmup_steps": 1},
    ],
    "legacy_noam": [
        {"max_lr": 0.01, "warmup_steps": 500},
        {"max_lr": 1e-3, "warmup_steps": 4000},
        {"max_lr": 0.1, "warmup_steps": 1},
    ],
    "warmup_stable_decay": [
        {"peak_value": 1e-3, "warmup_steps": 100, "stable_steps": 600, "decay_steps": 300},
        {"peak_value": 1e-3, "warmup_steps": 0, "stable_steps": 0, "decay_steps": 1000,
         "end_value": 1e-5, "decay_shape": "cosine"},
        {"peak_value": 2e-3, "warmup_steps": 200, "stable_steps": 3000, "decay_steps": 800,
         "end_value": 2e-5, "decay_shape": "1-sqrt", "warmup_shape": "cosine"},
    ],
    "warmup_cosine_restarts": [
        {"peak_value": 1e-3, "warmup_steps": 100, "cycle_steps": 500},
        {"peak_value": 1e-3, "warmup_steps": 50, "cycle_steps": 100, "cycle_mul": 2.0,
         "cycle_decay": 0.5, "cycle_limit": 4, "end_value": 1e-5},
        {"peak_value": 1e-2, "warmup_steps": 0, "cycle_steps": 37, "cycle_mul": 1.5,
         "cycle_decay": 0.9, "end_value": 1e-4},
        {"peak_value": 1e-3, "warmup_steps": 20, "cycle_steps": 200, "cycle_decay": 0.7,
         "cycle_limit": 3, "init_value": 1e-6, "warmup_shape": "exponential"},
    ],
    "one_cycle": [
        {"total_steps": 1000, "peak_value": 1e-2},
        {"total_steps": 777, "peak_value": 3e-3, "pct_start": 0.25, "div_factor": 10.0,
         "final_div_factor": 100.0},
        {"total_steps": 500, "peak_value": 0.1, "pct_start": 0.45, "anneal": "linear"},
        {"total_steps": 10, "peak_value": 1.0, "pct_start": 0.33},
    ],
    "tri_stage": [
        {"peak_value": 1e-3, "warmup_steps": 100, "hold_steps": 400, "decay_steps": 500},
        {"peak_value": 5e-4, "warmup_steps": 0, "hold_steps": 0, "decay_steps": 2000,
         "final_scale": 0.05},
        {"peak_value": 1e-3, "warmup_steps": 300, "hold_steps": 100, "decay_steps": 600,
         "init_scale": 0.001, "warmup_shape": "exponential"},
    ],
    "with_warmup": [
        {"base": {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 0,
                  "total_steps": 900}, "warmup_steps": 100},
        {"base": {"schedule": "warmup_exponential_decay", "peak_value": 1e-3, "warmup_steps": 0,
                  "transition_steps": 200, "decay_rate": 0.5}, "warmup_steps": 300,
         "init_value": 1e-6, "warmup_shape": "exponential"},
        {"base": {"schedule": "noam", "d_model": 256, "warmup_steps": 10}, "warmup_steps": 50,
         "warmup_shape": "cosine"},
    ],
    "untuned_warmup": [
        {"base": {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 0,
                  "total_steps": 5000}},
        {"base": {"schedule": "warmup_constant", "peak_value": 3e-4}, "beta2": 0.99,
         "shape": "exponential"},
    ],
    "scaled": [
        {"base": {"schedule": "warmup_linear_decay", "peak_value": 1e-3, "warmup_steps": 10,
                  "total_steps": 100}, "factor": 0.5},
    ],
    "join": [
        {"schedules": [{"schedule": "warmup_constant", "peak_value": 1e-3, "warmup_steps": 100},
                       {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 0,
                        "total_steps": 400},
                       {"schedule": "warmup_constant", "peak_value": 1e-4}],
         "boundaries": [300, 800]},
    ],
    "warmup_stable_decay_cycles": [
        {"peak_values": [1e-3, 8e-4, 6e-4], "warmup_steps": [100, 50, 50], "stable_steps": [500, 300, 200],
         "decay_steps": [200, 150, 300], "end_values": [1e-4, 5e-5, 0.0]},
        {"peak_values": [2e-3, 2e-3], "warmup_steps": [0, 30], "stable_steps": [100, 0], "decay_steps": [77, 123],
         "end_values": [2e-4, 1e-5], "decay_shape": "cosine", "warmup_shape": "cosine", "zero_tail": True},
    ],
    "decay_from": [
        {"base": _COSINE, "base_steps": 420, "decay_steps": 250, "end_value": 1e-6, "decay_shape": "1-sqrt"},
        {"base": _COSINE, "base_steps": 37, "decay_steps": 63, "decay_shape": "cosine", "zero_tail": True},
    ],
    "sample_clock": [
        {"base": _COSINE, "batch_size": 4},
        {"base": _COSINE, "batch_size": 2, "rampup_start": 1, "rampup_increment": 1, "rampup_samples": 300},
    ],
}

_MISSING = sorted(({d.schedule for d in CATALOGUE} ^ set(CASES)) | {name for name, cases in CASES.items() if not cases})
if _MISSING:
    raise LookupError(f"parity_tests/cases.py: {_MISSING} are catalogue schedules without cases, or CASES keys "
                      "that are no catalogue schedule; give every schedule cases")

ALL: list[tuple[str, dict[str, Any]]] = [
    (f"{d.schedule}-{k}", {"schedule": d.schedule, **params})
    for d in CATALOGUE
    for k, params in enumerate(CASES[d.schedule])
]
"""(case id, config) for every case of every catalogue schedule, in catalogue order."""

FAR_STEPS = [10**5, 10**6, 2**24 + 1, 10**8, 2**31 - 2, 2**31 - 1]
"""Steps far past any end, all within int32."""


def horizon(cfg: dict[str, Any]) -> int:
    """How many steps to sweep: well past the end (or a long stretch if there is none)."""
    end = spec_from_config(cfg).end_step
    if end is None:
        return 12000
    return end + max(50, end // 10)


def steps_for(cfg: dict[str, Any]) -> np.ndarray:
    """Every step from 0 to well past the end."""
    return np.arange(horizon(cfg), dtype=np.int64)
