"""Hand-computed values at the joins (0, w-1, w, w+1, T-1, T, T+1) for every schedule,
checked in the reference, JAX (float32 and x64) and torch."""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import pytest

import warmup_jax
import warmup_torch
from warmup_spec import spec_from_config
from warmup_spec.reference import reference

pi, cos, sqrt = math.pi, math.cos, math.sqrt
C8 = (1 + cos(pi / 8)) / 2  # cosine factor one eighth into a decay

# (config, {step: value worked out by hand from the formula})
HAND = [
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 4},
     {0: 0.0, 1: 0.25, 3: 0.75, 4: 1.0, 5: 1.0, 10**6: 1.0}),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 0}, {0: 1.0, 1: 1.0}),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 4, "warmup_shape": "cosine"},
     {0: 0.0, 1: (1 - cos(pi / 4)) / 2, 2: 0.5, 3: (1 - cos(3 * pi / 4)) / 2, 4: 1.0}),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 4, "init_value": 1 / 16,
      "warmup_shape": "exponential"}, {0: 1 / 16, 1: 1 / 8, 2: 1 / 4, 3: 1 / 2, 4: 1.0}),
    ({"schedule": "warmup_constant", "peak_value": 1.0, "warmup_steps": 4, "init_value": 0.2},
     {0: 0.2, 2: 0.6, 4: 1.0}),
    ({"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 4, "total_steps": 12,
      "end_value": 0.2}, {0: 0.0, 3: 0.75, 4: 1.0, 5: 0.9, 11: 0.3, 12: 0.2, 13: 0.2}),
    ({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 4, "total_steps": 12},
     {0: 0.0, 3: 0.75, 4: 1.0, 5: C8, 8: 0.5, 11: 1 - C8, 12: 0.0, 13: 0.0}),
    ({"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 4, "total_steps": 12,
      "end_value": 0.5, "exponent": 2.0}, {4: 1.0, 5: 0.5 + 0.5 * C8**2, 8: 0.625, 12: 0.5}),
    ({"schedule": "warmup_polynomial_decay", "peak_value": 1.0, "warmup_steps": 4, "total_steps": 12,
      "power": 2.0}, {3: 0.75, 4: 1.0, 5: (7 / 8) ** 2, 11: (1 / 8) ** 2, 12: 0.0, 13: 0.0}),
    ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 4,
      "transition_steps": 2, "decay_rate": 0.5},
     {3: 0.75, 4: 1.0, 5: 0.5**0.5, 6: 0.5, 11: 0.5**3.5, 12: 0.0625, 13: 0.5**4.5}),
    ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 4,
      "transition_steps": 2, "decay_rate": 0.5, "staircase": True, "end_value": 0.1},
     {4: 1.0, 5: 1.0, 6: 0.5, 9: 0.25, 11: 0.125, 12: 0.1, 10**6: 0.1}),
    ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 0,
      "transition_steps": 1, "decay_rate": 2.0, "end_value": 5.0},
     {0: 1.0, 1: 2.0, 2: 4.0, 3: 5.0, 2**31 - 1: 5.0}),
    ({"schedule": "warmup_inverse_sqrt", "peak_value": 1.0, "warmup_steps": 4},
     {3: 0.75, 4: 1.0, 5: 1 / sqrt(5 / 4), 16: 0.5, 40: 1 / sqrt(10)}),
    ({"schedule": "noam", "d_model": 16, "warmup_steps": 4},
     {0: 0.25 * 4**-1.5, 2: 0.25 * 3 / 8, 3: 0.125, 4: 0.25 / sqrt(5), 99: 0.025}),
    ({"schedule": "legacy_noam", "max_lr": 1.0, "warmup_steps": 16},
     {0: 1 / 16, 6: 7 / 16, 7: 0.5, 8: 4 / 9, 15: 0.25, 16: 4 / 17}),
    ({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 4, "stable_steps": 4,
      "decay_steps": 4}, {3: 0.75, 4: 1.0, 7: 1.0, 8: 1.0, 9: 0.75, 11: 0.25, 12: 0.0, 13: 0.0}),
    ({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 4, "stable_steps": 4,
      "decay_steps": 4, "end_value": 0.2, "decay_shape": "1-sqrt"},
     {8: 1.0, 9: 0.2 + 0.8 * 0.5, 11: 0.2 + 0.8 * (1 - sqrt(0.75)), 12: 0.2}),
    ({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 0, "stable_steps": 0,
      "decay_steps": 4, "decay_shape": "cosine"}, {0: 1.0, 2: 0.5, 4: 0.0}),
    ({"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 4, "cycle_steps": 4,
      "cycle_decay": 0.5}, {3: 0.75, 4: 1.0, 5: (1 + cos(pi / 4)) / 2, 6: 0.5, 8: 0.5, 10: 0.25, 12: 0.25}),
    ({"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 0, "cycle_steps": 2,
      "cycle_mul": 2.0, "cycle_limit": 2, "end_value": 0.1},
     {0: 1.0, 1: 0.55, 2: 1.0, 3: 0.1 + 0.9 * (1 + cos(pi / 4)) / 2, 4: 0.55, 5: 0.1 + 0.9 * (1 - cos(pi / 4)) / 2,
      6: 0.1, 100: 0.1}),
    ({"schedule": "one_cycle", "total_steps": 10, "peak_value": 1.0, "pct_start": 0.3,
      "div_factor": 10.0, "final_div_factor": 10.0},
     {0: 0.1, 1: 0.55, 2: 1.0, 3: 0.01 + 0.99 * (1 + cos(pi / 7)) / 2, 9: 0.01, 10: 0.01}),
    ({"schedule": "one_cycle", "total_steps": 10, "peak_value": 1.0, "pct_start": 0.3,
      "div_factor": 10.0, "final_div_factor": 10.0, "anneal": "linear"},
     {0: 0.1, 1: 0.55, 2: 1.0, 3: 1.0 - 0.99 / 7, 9: 0.01, 10: 0.01}),
    ({"schedule": "tri_stage", "peak_value": 1.0, "warmup_steps": 2, "hold_steps": 1, "decay_steps": 2,
      "init_scale": 0.5, "final_scale": 0.25}, {0: 0.5, 1: 0.75, 2: 1.0, 3: 1.0, 4: 0.5, 5: 0.25, 6: 0.25}),
    ({"schedule": "with_warmup", "warmup_steps": 4,
      "base": {"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_steps": 0, "total_steps": 8}},
     {0: 0.0, 3: 0.75, 4: 1.0, 5: C8, 12: 0.0}),
    ({"schedule": "untuned_warmup", "beta2": 0.9, "base": {"schedule": "warmup_constant", "peak_value": 2.0}},
     {0: 0.1, 9: 1.0, 19: 2.0, 20: 2.0}),
    ({"schedule": "untuned_warmup", "beta2": 0.9, "shape": "exponential",
      "base": {"schedule": "warmup_constant", "peak_value": 1.0}}, {0: 1 - math.exp(-0.1), 9: 1 - math.exp(-1)}),
    ({"schedule": "scaled", "factor": 0.5, "base": {"schedule": "warmup_constant", "peak_value": 1.0,
                                                   "warmup_steps": 2}}, {0: 0.0, 1: 0.25, 2: 0.5}),
    ({"schedule": "join", "boundaries": [2],
      "schedules": [{"schedule": "warmup_constant", "peak_value": 1.0},
                    {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 0, "total_steps": 4}]},
     {0: 1.0, 1: 1.0, 2: 1.0, 3: 0.75, 6: 0.0}),
]
IDS = [f"{cfg['schedule']}-{k}" for k, (cfg, _) in enumerate(HAND)]


@functools.cache
def _scalar_jits() -> tuple[list[dict[int, float]], list[dict[int, float]]]:
    """Each hand case's schedule jitted on a scalar step (as optax calls it), at its steps:
    float32 at an int32 step, x64 at a Python int; every case in one program a mode."""
    steps = sorted({t for _, expected in HAND for t in expected})
    out = []
    for x64, as_step in ((False, jnp.int32), (True, int)):
        with jax.enable_x64(x64), warnings.catch_warnings():
            warnings.simplefilter("ignore", warmup_jax.CycledMomentumWarning)  # one_cycle's, as a plain lr schedule
            scheds = [warmup_jax.schedule_from_config(cfg) for cfg, _ in HAND]
            program = jax.jit(lambda t, scheds=scheds: [s(t) for s in scheds])
            at = {t: program(as_step(t)) for t in steps}
            out.append([{t: float(at[t][k]) for t in expected} for k, (_, expected) in enumerate(HAND)])
            assert {v.dtype for vs in at.values() for v in vs} == {jnp.dtype("float64" if x64 else "float32")}
    return out[0], out[1]


@pytest.mark.xdist_group("test_boundaries")
@pytest.mark.parametrize("k", range(len(HAND)), ids=IDS)
def test_hand_values(k):
    cfg, expected = HAND[k]
    spec = spec_from_config(cfg)
    torch_sched = warmup_torch.schedule_from_config(cfg)
    peak = max(expected.values())
    got32, got64 = _scalar_jits()[0][k], _scalar_jits()[1][k]
    for t, want in expected.items():
        assert reference(spec, t) == pytest.approx(want, rel=1e-14, abs=1e-15), f"reference t={t}"
        assert torch_sched(t) == pytest.approx(want, rel=1e-13, abs=1e-15 * peak), f"torch t={t}"
        assert got32[t] == pytest.approx(want, rel=1e-6, abs=1e-7 * peak), f"jax f32 t={t}"
        assert got64[t] == pytest.approx(want, rel=1e-13, abs=1e-15 * peak), f"jax x64 t={t}"


def test_legacy_noam_real_peak_is_near_w_to_the_three_quarters():
    """With w=500 the copied snippet peaks at step 105, at 21% of max_lr."""
    sched = warmup_torch.schedule_from_config({"schedule": "legacy_noam", "max_lr": 0.01, "warmup_steps": 500})
    values = [sched(t) for t in range(2000)]
    t_peak = max(range(2000), key=values.__getitem__)
    assert t_peak == 105  # s = 106, the integer nearest w**0.75 = 105.7 on the falling side
    assert values[t_peak] == pytest.approx(0.01 * 500**0.5 / 106, rel=1e-14)
    assert values[t_peak] / 0.01 == pytest.approx(500**-0.25, rel=3e-3)  # about 21% of max_lr
    assert values[499] < 0.5 * values[t_peak]


def test_an_exponential_that_reaches_its_bound_holds_it_from_that_step_in_every_array_form():
    """A growth reaching ``end_value`` exactly at step 3 (``rate**1``): the host form gives
    the bound there, and ``exp(3 * log(rate) / 3)`` lands an ulp short of it, so the array
    forms take the bound from the step the closed form reaches it (NumPy gave 0x1.2f27c0820cecep+1
    at step 3 and the bound 0x1.2f27c0820cecfp+1 from step 4)."""
    import numpy as np

    from warmup_spec import lr_table

    rate = 2.3684006342899475
    cfg = {"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 0, "transition_steps": 3,
           "decay_rate": rate, "end_value": rate}
    steps = np.arange(8)
    assert spec_from_config(cfg).compose().end == 3
    assert list(lr_table(cfg, steps)[3:]) == [rate] * 5
    with jax.enable_x64(True):
        x64 = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps))
    assert list(np.asarray(x64)[3:]) == [rate] * 5
    f32 = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, jnp.int32))
    assert list(np.asarray(f32)[3:]) == [np.float32(rate)] * 5
