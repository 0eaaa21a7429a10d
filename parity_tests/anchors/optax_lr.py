"""optax's own schedules (``optax.schedules``, optax 0.2.8), called on the count as users
call them, against our ports ``"optax.<name>"`` (the adapter of ``test_anchors.py``).

The truth is optax evaluated under ``jax.enable_x64`` on int64 counts: every optax
schedule then computes in float64 (checked here: its result dtype is float64); the fixed
cases' jitted, a few XLA programs for all (``optax_truths``), the drawn configs' op by op. Our
float32 JAX form is compared with that float64 truth (1e-6), not with optax's own
float32, which loses digits (its ``1 + cos`` cancels near the end of a cosine decay, its
``decay_rate ** (count / steps)`` rounds the exponent): ``test_optax_float32_loses_digits``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from hypothesis import strategies as st

import warmup_jax
import warmup_torch
from parity_tests.anchor_harness import Adapter, Case, Refusal
from parity_tests.conftest import TOL_F32, errors
from parity_tests.jitted import JitTables
from warmup_spec import REGISTRY, Schedule, spec_from_config, spec_to_config
from warmup_spec.reference import reference_table


def optax_schedule(cfg: Mapping[str, Any]) -> Any:
    """optax's own schedule for one of our ``"optax.<name>"`` configs (nested ones too)."""
    kw = {k: v for k, v in cfg.items() if k != "schedule"}
    name = cfg["schedule"].removeprefix("optax.")
    if name == "join_schedules":
        return optax.join_schedules([optax_schedule(s) for s in kw["schedules"]], kw["boundaries"])
    if "boundaries_and_scales" in kw and kw["boundaries_and_scales"] is not None:
        kw["boundaries_and_scales"] = {int(k): v for k, v in kw["boundaries_and_scales"].items()}
    return getattr(optax, name)(**kw)


def optax_truth(cfg: Mapping[str, Any], n: int) -> np.ndarray:
    """optax's values at counts ``0..n-1`` in float64: under x64 on int64 counts, op by op
    (under ``jit`` XLA turns ``count / transition_steps`` into a product with a rounded
    reciprocal: ``polynomial_schedule`` with ``power=0.5`` is then ``NaN`` at its end,
    ``(-2e-16) ** 0.5``)."""
    with jax.enable_x64(True):
        out = jax.vmap(optax_schedule(cfg))(jnp.arange(n, dtype=jnp.int64))
        assert jnp.asarray(out).dtype == jnp.float64, "optax should compute in float64 under x64"
        return np.broadcast_to(np.asarray(out, np.float64), (n,)).copy()


def optax_truths(cases: list[Case]) -> list[np.ndarray]:
    """optax's float64 values of many fixed cases: each schedule jitted as its users jit it, under
    x64 on int64 counts, in a few XLA programs (``JitTables``, which checks that optax computes
    in float64 there); within 1e-13 of op by op (XLA's rounded reciprocals), but where that gives
    a NaN or an inf (``polynomial_schedule`` with ``power=0.5``), op by op (:func:`optax_truth`)."""
    out = JitTables([c.cfg for c in cases], [np.arange(c.n) for c in cases], optax_schedule, forms=("x64",),
                    chunk=16).form("x64")
    return [v if np.isfinite(v).all() else optax_truth(c.cfg, c.n) for v, c in zip(out, cases)]


def optax_float32(cfg: Mapping[str, Any], n: int) -> np.ndarray:
    """optax's own values as trained: jitted, int32 counts, float32."""
    out = jax.jit(jax.vmap(optax_schedule(cfg)))(jnp.arange(n, dtype=jnp.int32))
    return np.broadcast_to(np.asarray(out, np.float64), (n,)).copy()


LENGTHS = (64, 400, 1280, 3072)
"""Counts are compared over the first of these lengths that covers a case's ``n``: the
tail only grows, and optax's op-by-op x64 kernels are compiled for a few shapes only."""


def length(n: int) -> int:
    """The first of ``LENGTHS`` that covers ``n`` steps."""
    return next(m for m in LENGTHS if m >= n)


def o(name: str, **kw: Any) -> dict[str, Any]:
    return {"schedule": f"optax.{name}", **kw}


# (config, steps): every schedule with its defaults, edge cases and quirks
_ROWS: list[tuple[dict[str, Any], int]] = [
    (o("constant_schedule", value=0.1), 50),
    (o("constant_schedule", value=0.0), 10),
    # linear_schedule
    (o("linear_schedule", init_value=1e-3, end_value=0.0, transition_steps=100), 160),
    (o("linear_schedule", init_value=0.0, end_value=1e-3, transition_steps=100, transition_begin=20), 200),
    (o("linear_schedule", init_value=1.0, end_value=0.1, transition_steps=1), 10),
    (o("linear_schedule", init_value=0.5, end_value=0.1, transition_steps=0), 20),  # constant init_value
    (o("linear_schedule", init_value=0.5, end_value=0.1, transition_steps=-5), 20),
    (o("linear_schedule", init_value=0.5, end_value=0.1, transition_steps=30, transition_begin=-10), 60),  # begin 0
    (o("linear_schedule", init_value=0.2, end_value=0.2, transition_steps=30), 40),
    # polynomial_schedule
    (o("polynomial_schedule", init_value=1.0, end_value=0.01, power=2, transition_steps=100), 150),
    (o("polynomial_schedule", init_value=1.0, end_value=0.01, power=2, transition_steps=100, transition_begin=5), 150),
    (o("polynomial_schedule", init_value=3e-4, end_value=1e-6, power=0.5, transition_steps=257), 400),
    (o("polynomial_schedule", init_value=0.1, end_value=0.0, power=0, transition_steps=50), 80),  # 0 ** 0 == 1
    (o("polynomial_schedule", init_value=0.0, end_value=1.0, power=3, transition_steps=40, transition_begin=7), 80),
    (o("polynomial_schedule", init_value=1.0, end_value=0.0, power=1.5, transition_steps=1), 10),
    (o("polynomial_schedule", init_value=0.0, end_value=1e-3, power=2.0, transition_steps=1000), 1100),  # a rise
    (o("polynomial_schedule", init_value=1e-5, end_value=1e-3, power=0.3, transition_steps=99), 120),
    # exponential_decay
    (o("exponential_decay", init_value=0.1, transition_steps=100, decay_rate=0.9), 3000),
    (o("exponential_decay", init_value=1.0, transition_steps=30, decay_rate=0.5, staircase=True), 400),
    (o("exponential_decay", init_value=1e-2, transition_steps=7, decay_rate=0.8, transition_begin=50,
       end_value=1e-3), 300),
    (o("exponential_decay", init_value=1e-4, transition_steps=10, decay_rate=1.5, end_value=1e-2), 300),  # ceiling
    (o("exponential_decay", init_value=1e-5, transition_steps=20, decay_rate=10.0, end_value=1.0), 200),  # lr range
    (o("exponential_decay", init_value=1e-4, transition_steps=100, decay_rate=2.0), 400),  # growth, no ceiling
    (o("exponential_decay", init_value=1e-3, transition_steps=3, decay_rate=2.0, staircase=True,
       transition_begin=4, end_value=0.1), 60),
    (o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=1.0, end_value=0.05), 30),  # min
    (o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=0.5, end_value=0.2), 30),  # max
    (o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=2.0, end_value=0.05,
       transition_begin=5), 30),
    (o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=0.0, end_value=0.5), 30),  # constant
    (o("exponential_decay", init_value=0.1, transition_steps=0, decay_rate=0.5), 30),
    (o("exponential_decay", init_value=0.1, transition_steps=1, decay_rate=0.5, transition_begin=-3), 30),
    (o("exponential_decay", init_value=0.0, transition_steps=5, decay_rate=0.5, end_value=0.01), 30),
    # cosine_decay_schedule
    (o("cosine_decay_schedule", init_value=1.0, decay_steps=100), 150),
    (o("cosine_decay_schedule", init_value=0.1, decay_steps=1000, alpha=0.1), 1100),
    (o("cosine_decay_schedule", init_value=3e-4, decay_steps=333, alpha=0.01, exponent=2.0), 400),
    (o("cosine_decay_schedule", init_value=1.0, decay_steps=1), 5),
    (o("cosine_decay_schedule", init_value=0.1, decay_steps=50, alpha=3.0), 80),  # rises to alpha * init
    (o("cosine_decay_schedule", init_value=0.1, decay_steps=50, exponent=0.0), 80),
    # warmup_cosine_decay_schedule
    (o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=1e-3, warmup_steps=100, decay_steps=1000), 1200),
    (o("warmup_cosine_decay_schedule", init_value=1e-5, peak_value=3e-4, warmup_steps=0, decay_steps=500,
       end_value=3e-6), 600),
    (o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=997,
       end_value=0.1, exponent=2.0), 1100),
    (o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=1.0, warmup_steps=1, decay_steps=2), 10),
    (o("warmup_cosine_decay_schedule", init_value=0.1, peak_value=0.0, warmup_steps=5, decay_steps=20,
       end_value=0.05), 40),  # peak 0 ignores end_value
    (o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=0.1, warmup_steps=5, decay_steps=20,
       end_value=0.2), 40),  # rises after warmup
    (o("warmup_cosine_decay_schedule", init_value=0.2, peak_value=0.1, warmup_steps=8, decay_steps=30), 50),
    # warmup_exponential_decay_schedule
    (o("warmup_exponential_decay_schedule", init_value=0.0, peak_value=1e-3, warmup_steps=100,
       transition_steps=100, decay_rate=0.9), 2000),
    (o("warmup_exponential_decay_schedule", init_value=1e-5, peak_value=1e-3, warmup_steps=50,
       transition_steps=30, decay_rate=0.5, staircase=True, end_value=1e-5, transition_begin=20), 600),
    (o("warmup_exponential_decay_schedule", init_value=0.0, peak_value=1e-4, warmup_steps=0,
       transition_steps=100, decay_rate=1.05, end_value=1e-3), 3000),
    (o("warmup_exponential_decay_schedule", init_value=0.0, peak_value=0.1, warmup_steps=10,
       transition_steps=0, decay_rate=0.5), 30),
    # warmup_constant_schedule
    (o("warmup_constant_schedule", init_value=0.01, peak_value=0.1, warmup_steps=10), 40),
    (o("warmup_constant_schedule", init_value=0.01, peak_value=0.1, warmup_steps=0), 40),  # init_value forever
    (o("warmup_constant_schedule", init_value=0.0, peak_value=0.1, warmup_steps=1), 10),
    # piecewise_constant_schedule
    (o("piecewise_constant_schedule", init_value=1.0, boundaries_and_scales={100: 0.1, 200: 0.1}), 300),
    (o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={"30": 0.5, "10": 2.0}), 50),
    (o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={0: 0.5, -4: 0.5, 7: 0.0}), 20),
    (o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales=None), 10),
    (o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={}), 10),
    # piecewise_interpolate_schedule
    (o("piecewise_interpolate_schedule", interpolate_type="linear", init_value=1.0,
       boundaries_and_scales={4: 0.1, 8: 0.01}), 20),
    (o("piecewise_interpolate_schedule", interpolate_type="cosine", init_value=1e-3,
       boundaries_and_scales={"50": 2.0, "200": 0.01, "201": 0.5}), 260),
    (o("piecewise_interpolate_schedule", interpolate_type="linear", init_value=0.1,
       boundaries_and_scales={0: 10.0, 30: 0.1}), 50),
    (o("piecewise_interpolate_schedule", interpolate_type="cosine", init_value=0.1,
       boundaries_and_scales={-10: 0.5, 20: 0.1}), 40),  # starts mid-way
    (o("piecewise_interpolate_schedule", interpolate_type="linear", init_value=0.1,
       boundaries_and_scales={-10: 0.5, -3: 0.1}), 20),
    (o("piecewise_interpolate_schedule", interpolate_type="cosine", init_value=0.1), 10),
    # join_schedules
    (o("join_schedules", schedules=[o("linear_schedule", init_value=0.0, end_value=1e-3, transition_steps=100),
                                    o("cosine_decay_schedule", init_value=1e-3, decay_steps=900)],
       boundaries=[100]), 1100),
    (o("join_schedules", schedules=[o("constant_schedule", value=0.1), o("constant_schedule", value=0.2),
                                    o("linear_schedule", init_value=0.3, end_value=0.0, transition_steps=20)],
       boundaries=[10, 5]), 40),  # the later boundary overrides
    (o("join_schedules", schedules=[o("constant_schedule", value=0.1),
                                    o("exponential_decay", init_value=0.2, transition_steps=3, decay_rate=0.7),
                                    o("constant_schedule", value=0.3)],
       boundaries=[10]), 40),  # zip: the third schedule is ignored
    (o("join_schedules", schedules=[o("constant_schedule", value=0.1),
                                    o("cosine_decay_schedule", init_value=0.2, decay_steps=30)],
       boundaries=[-10, 15]), 40),  # starts mid-way; zip ignores 15
    (o("join_schedules", schedules=[o("warmup_constant_schedule", init_value=0.0, peak_value=0.1, warmup_steps=5)],
       boundaries=[]), 20),
    # sgdr_schedule
    (o("sgdr_schedule", cosine_kwargs=[dict(init_value=0.0, peak_value=0.1, warmup_steps=10, decay_steps=100)] * 3),
     350),
    (o("sgdr_schedule", cosine_kwargs=[
        dict(init_value=1e-4, peak_value=1e-3, warmup_steps=5, decay_steps=50, end_value=1e-5),
        dict(init_value=1e-5, peak_value=5e-4, warmup_steps=0, decay_steps=101, end_value=1e-5, exponent=2.0),
        dict(init_value=0.0, peak_value=2e-4, warmup_steps=1, decay_steps=2)]), 200),
    # linear_onecycle_schedule
    (o("linear_onecycle_schedule", transition_steps=1000, peak_value=0.1), 1100),
    (o("linear_onecycle_schedule", transition_steps=10, peak_value=1.0, pct_start=0.25, pct_final=0.75,
       div_factor=10.0, final_div_factor=100.0), 20),
    (o("linear_onecycle_schedule", transition_steps=100, peak_value=0.1, pct_final=1.0), 120),  # T overwrites
    (o("linear_onecycle_schedule", transition_steps=100, peak_value=0.1, pct_start=0.5, pct_final=0.5), 120),
    (o("linear_onecycle_schedule", transition_steps=100, peak_value=0.1, pct_start=0.0), 120),
    (o("linear_onecycle_schedule", transition_steps=100, peak_value=0.1, pct_start=0.9, pct_final=0.2), 120),
    (o("linear_onecycle_schedule", transition_steps=1, peak_value=0.1), 5),
    # cosine_onecycle_schedule
    (o("cosine_onecycle_schedule", transition_steps=1000, peak_value=0.1), 1100),
    (o("cosine_onecycle_schedule", transition_steps=777, peak_value=3e-3, pct_start=0.25, div_factor=10.0,
       final_div_factor=100.0), 800),
    (o("cosine_onecycle_schedule", transition_steps=100, peak_value=0.1, pct_start=1.0), 120),  # never peaks
    (o("cosine_onecycle_schedule", transition_steps=100, peak_value=0.1, pct_start=0.0), 120),  # starts at peak
    (o("cosine_onecycle_schedule", transition_steps=3, peak_value=0.1), 8),
    (o("cosine_onecycle_schedule", transition_steps=1, peak_value=0.1), 5),
]


CASES = [Case(cfg, length(n)) for cfg, n in _ROWS]
"""Each compared over the first of ``LENGTHS`` that covers its steps."""


REFUSED_BY_OPTAX = [
    (o("cosine_decay_schedule", init_value=0.1, decay_steps=0), "decay_steps=0 is invalid"),
    (o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=0.1, warmup_steps=10, decay_steps=10),
     r"decay_steps=10 is invalid; expected an integer > warmup_steps \(10\)"),
    (o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={10: -0.5}),
     r"boundaries_and_scales\[10\]=-0.5 is invalid"),
    (o("piecewise_interpolate_schedule", interpolate_type="linear", init_value=0.1,
       boundaries_and_scales={"10": -1.0}), r"boundaries_and_scales\['10'\]=-1.0 is invalid"),
    (o("piecewise_interpolate_schedule", interpolate_type="quadratic", init_value=0.1),
     "interpolate_type='quadratic' is invalid; expected one of 'linear', 'cosine'"),
    (o("linear_onecycle_schedule", transition_steps=0, peak_value=0.1), "transition_steps=0 is invalid"),
    (o("cosine_onecycle_schedule", transition_steps=-1, peak_value=0.1), "transition_steps=-1 is invalid"),
    (o("linear_onecycle_schedule", transition_steps=10, peak_value=0.1, div_factor=0.0), "div_factor=0.0 is invalid"),
    (o("cosine_onecycle_schedule", transition_steps=10, peak_value=0.1, final_div_factor=-2.0),
     "final_div_factor=-2.0 is invalid"),
    (o("join_schedules", schedules=[], boundaries=[]), "schedules=.* is invalid; expected a non-empty list"),
    (o("sgdr_schedule", cosine_kwargs=[]), "cosine_kwargs=.* is invalid"),
]

REFUSED_HERE = [  # optax gives inf/NaN or negative lrs for these, or rejects them at call time
    (o("polynomial_schedule", init_value=0.1, end_value=0.0, power=-1.0, transition_steps=10),
     "power=-1.0 is invalid; expected a finite number >= 0.0"),
    (o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=-0.5), "decay_rate=-0.5 is invalid"),
    (o("cosine_decay_schedule", init_value=0.1, decay_steps=10, exponent=-1.0), "exponent=-1.0 is invalid"),
    (o("linear_schedule", init_value=0.1, end_value=0.0, transition_steps=10.0), "transition_steps=10.0 is invalid"),
    (o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=0.5, staircase=1),
     "staircase=1 is invalid; expected True or False"),
    (o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={"1e2": 0.5}),
     "boundaries_and_scales key='1e2' is invalid"),
    (o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={"100": 0.5, 100: 0.1}),
     r"expected distinct steps \(step 100 is given twice\)"),
    (o("join_schedules", schedules=[o("constant_schedule", value=0.1)] * 2, boundaries=["10"]),
     r"boundaries\[0\]='10' is invalid"),
    (o("sgdr_schedule", cosine_kwargs=[dict(init_value=0.0, peak_value=0.1, warmup_steps=2)]),
     "missing required parameter 'decay_steps'"),
]


REFUSED = [Refusal(cfg, match, lambda cfg=cfg: optax_schedule(cfg)(0), (ValueError, ZeroDivisionError, IndexError))
           for cfg, match in REFUSED_BY_OPTAX] + [Refusal(cfg, match) for cfg, match in REFUSED_HERE]


DRAWN_STEPS = 400
_values = st.sampled_from([0.0, 1e-5, 3e-4, 1e-3, 0.1, 1.0])
_steps = st.integers(0, 150)


@st.composite
def optax_configs(draw: Any) -> Case:
    kind = draw(st.sampled_from(["warmup_cosine", "warmup_exponential", "polynomial", "onecycle", "interpolate"]))
    if kind == "warmup_cosine":
        w = draw(_steps)
        d = w + draw(st.integers(1, 200))
        cfg = o("warmup_cosine_decay_schedule", init_value=draw(_values), peak_value=draw(_values), warmup_steps=w,
                decay_steps=d, end_value=draw(_values), exponent=draw(st.sampled_from([1.0, 2.0, 0.7])))
        return Case(cfg, DRAWN_STEPS)
    if kind == "warmup_exponential":
        rate = draw(st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0, 1.1, 2.0]))
        cfg = o("warmup_exponential_decay_schedule", init_value=draw(_values), peak_value=draw(_values),
                warmup_steps=draw(_steps), transition_steps=draw(st.integers(-1, 40)), decay_rate=rate,
                transition_begin=draw(st.integers(-5, 40)), staircase=draw(st.booleans()),
                end_value=draw(st.one_of(st.none(), _values)))
        if rate > 1.0 and cfg["end_value"] is None:
            cfg["end_value"] = 1.0
        return Case(cfg, DRAWN_STEPS)
    if kind == "polynomial":
        cfg = o("polynomial_schedule", init_value=draw(_values), end_value=draw(_values),
                power=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])), transition_steps=draw(st.integers(-2, 200)),
                transition_begin=draw(st.integers(-5, 50)))
        return Case(cfg, DRAWN_STEPS)
    if kind == "onecycle":
        T = draw(st.integers(1, 300))
        pct = st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.85, 1.0])
        if draw(st.booleans()):
            cfg = o("linear_onecycle_schedule", transition_steps=T, peak_value=draw(_values), pct_start=draw(pct),
                    pct_final=draw(pct), div_factor=draw(st.sampled_from([1.0, 10.0, 25.0])),
                    final_div_factor=draw(st.sampled_from([1.0, 100.0, 1e4])))
        else:
            cfg = o("cosine_onecycle_schedule", transition_steps=T, peak_value=draw(_values), pct_start=draw(pct),
                    div_factor=draw(st.sampled_from([1.0, 10.0, 25.0])),
                    final_div_factor=draw(st.sampled_from([1.0, 100.0, 1e4])))
        return Case(cfg, DRAWN_STEPS)
    keys = draw(st.lists(st.integers(-20, 200), min_size=0, max_size=4, unique=True))
    table = {str(k): draw(st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.0, 10.0])) for k in keys}
    cfg = o("piecewise_interpolate_schedule", interpolate_type=draw(st.sampled_from(["linear", "cosine"])),
            init_value=draw(_values), boundaries_and_scales=table)
    return Case(cfg, DRAWN_STEPS)


ADAPTER = Adapter("optax", optax_truth, CASES, drawn=[optax_configs()], refused=REFUSED, values_of_cases=optax_truths)


# --- optax's own ---------------------------------------------------------------------------


def test_optax_every_schedule_is_ported_and_tested():
    public = {n for n in dir(optax.schedules) if n.endswith(("_schedule", "_schedules", "_decay")) and n[0] != "_"}
    tested = {c.cfg["schedule"].removeprefix("optax.") for c in CASES}
    ported = {name.removeprefix("optax.") for name in REGISTRY if name.startswith("optax.")}
    assert len(public) == 14 and public == tested == ported, (public, tested, ported)


def test_optax_quirks_hold_their_values():
    """A few quirks, as plain values of optax and of the port."""
    def both(cfg: dict[str, Any], t: int) -> tuple[float, float]:
        return float(optax_schedule(cfg)(t)), Schedule(cfg)(t)

    # warmup_steps=0: init_value forever, never the peak
    cfg = o("warmup_constant_schedule", init_value=0.01, peak_value=0.1, warmup_steps=0)
    assert both(cfg, 10**6) == (pytest.approx(0.01), 0.01)
    # end_value clips the hold before transition_begin too
    cfg = o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=0.5, transition_begin=50,
            end_value=0.2)
    assert both(cfg, 0) == (pytest.approx(0.2), 0.2)
    # cosine_onecycle peaks at int(pct_start * T) = 29 for T = 99, pct_start = 0.3 (29.7)
    cfg = o("cosine_onecycle_schedule", transition_steps=99, peak_value=1.0, pct_start=0.3)
    assert Schedule(cfg)(29) == pytest.approx(1.0) and float(optax_schedule(cfg)(29)) == pytest.approx(1.0)
    # linear_onecycle: three phases, back to peak / div_factor at int(pct_final * T)
    cfg = o("linear_onecycle_schedule", transition_steps=100, peak_value=1.0)
    assert [Schedule(cfg)(t) for t in (0, 30, 85, 100)] == pytest.approx([0.04, 1.0, 0.04, 4e-6])
    # piecewise_interpolate moves from step 0 (optax's docstring example)
    cfg = o("piecewise_interpolate_schedule", interpolate_type="linear", init_value=1.0,
            boundaries_and_scales={4: 0.1, 8: 0.01})
    assert [Schedule(cfg)(t) for t in (0, 2, 4, 6, 8, 10)] == pytest.approx([1.0, 0.55, 0.1, 0.0505, 0.001, 0.001])


def test_optax_config_round_trips_through_json():
    """String step keys from JSON give the same schedule; the config of a spec reloads."""
    cfg = o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={100: 0.1, 200: 0.5})
    from_json = json.loads(json.dumps(cfg))
    assert from_json["boundaries_and_scales"] == {"100": 0.1, "200": 0.5}
    a, b = Schedule(cfg), Schedule(from_json)
    assert a == b and hash(a) == hash(b)
    assert [a(t) for t in (99, 100, 199, 200)] == [b(t) for t in (99, 100, 199, 200)] == pytest.approx(
        [0.1, 0.01, 0.01, 0.005])
    sgdr = o("sgdr_schedule", cosine_kwargs=[dict(init_value=0.0, peak_value=0.1, warmup_steps=2, decay_steps=10)])
    back = json.loads(json.dumps(spec_to_config(spec_from_config(sgdr))))
    assert back["cosine_kwargs"] == [dict(init_value=0.0, peak_value=0.1, warmup_steps=2, decay_steps=10,
                                          end_value=0.0, exponent=1.0)]
    assert [Schedule(back)(t) for t in range(25)] == [Schedule(sgdr)(t) for t in range(25)]


def test_optax_toml_config_with_step_keys(tmp_path):
    """A TOML table's keys are strings (``100 = 0.1``): the same schedule as optax's int keys."""
    path = tmp_path / "schedule.toml"
    path.write_text('schedule = "optax.piecewise_interpolate_schedule"\ninterpolate_type = "cosine"\n'
                    'init_value = 0.1\n[boundaries_and_scales]\n100 = 0.1\n300 = 0.5\n', encoding="utf-8")
    ours = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(str(path))))(jnp.arange(400)), np.float64)
    theirs = optax_truth(o("piecewise_interpolate_schedule", interpolate_type="cosine", init_value=0.1,
                           boundaries_and_scales={100: 0.1, 300: 0.5}), 400)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7 * 0.1)
    assert ours[100] == pytest.approx(0.01, rel=1e-6) and ours[399] == pytest.approx(0.005, rel=1e-6)


def test_optax_one_line_port_of_an_optax_recipe_to_torch():
    """``optax.warmup_cosine_decay_schedule(...)`` becomes, in torch, one line:
    ``warmup_torch.scheduler_from_config(opt, {"schedule": "optax.warmup_cosine_decay_schedule", ...})``."""
    kw = dict(init_value=1e-6, peak_value=3e-4, warmup_steps=200, decay_steps=2000, end_value=3e-5)
    n = 2300
    truth = optax_truth(o("warmup_cosine_decay_schedule", **kw), n)

    model = torch.nn.Linear(2, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    sched = warmup_torch.scheduler_from_config(opt, {"schedule": "optax.warmup_cosine_decay_schedule", **kw})
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    abs_err, rel_err = errors(lrs, truth, 3e-4)
    assert abs_err <= 1e-12 and rel_err <= 1e-12, (abs_err, rel_err)
    assert lrs[200] == pytest.approx(3e-4, rel=1e-15) and lrs[-1] == pytest.approx(3e-5, rel=1e-15)


def test_optax_float32_loses_digits():
    """optax's own float32 is further from its float64 than ours: its cosine decay to 0
    cancels in ``1 + cos`` (over 1e-6 relative near the end), ours stays within 1e-6."""
    cfg = o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=1e-3, warmup_steps=100, decay_steps=1000)
    n = 1100
    truth, theirs = optax_truth(cfg, n), optax_float32(cfg, n)
    ours = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.arange(n, dtype=jnp.int32)), np.float64)
    _, theirs_rel = errors(theirs, truth, 1e-3)
    _, ours_rel = errors(ours, truth, 1e-3)
    assert ours_rel <= 1e-6 < theirs_rel, (ours_rel, theirs_rel)


def _tables(n: int, *scheds: Any) -> list[np.ndarray]:
    """Each schedule jitted as users jit it, float32 at int32 steps ``0..n-1`` (one XLA program)."""
    return JitTables(scheds, [np.arange(n)] * len(scheds), lambda sched: sched, forms=("f32",)).form("f32")


@pytest.mark.parametrize("init,peak,w,T,end,exponent", [
    (0.0, 1e-3, 100, 1000, 0.0, 1.0),
    (1e-5, 3e-4, 2000, 30000, 3e-6, 1.0),
    (0.0, 1.0, 10, 997, 0.1, 2.0),
])
def test_optax_warmup_cosine_decay_equals_optax_and_is_more_accurate(init, peak, w, T, end, exponent):
    cfg = {"schedule": "warmup_cosine_decay", "peak_value": peak, "warmup_steps": w, "total_steps": T,
           "end_value": end, "exponent": exponent, "init_value": init}
    n = T + 20
    ours, theirs = _tables(n, warmup_jax.schedule_from_config(cfg),
                           optax.warmup_cosine_decay_schedule(init, peak, w, T, end, exponent))
    # the same schedule to float32 precision (optax loses digits near the end)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6 * peak)
    ref = np.asarray(reference_table(spec_from_config(cfg), range(n)))
    _, ours_rel = errors(ours, ref)
    _, theirs_rel = errors(theirs, ref)
    assert ours_rel <= TOL_F32 and ours_rel <= theirs_rel, (ours_rel, theirs_rel)
    if end == 0.0:  # decaying to 0, optax's 1 + cos(pi u) cancels: over 1e-6 off
        assert theirs_rel > TOL_F32, theirs_rel


@pytest.mark.parametrize("w,n,rate,staircase,end", [
    (100, 100, 0.9, False, None), (50, 30, 0.5, True, 1e-5), (0, 100, 1.05, False, 1e-3)])
def test_optax_warmup_exponential_decay_equals_optax(w, n, rate, staircase, end):
    peak = 1e-4 if rate > 1 else 1e-3
    cfg = {"schedule": "warmup_exponential_decay", "peak_value": peak, "warmup_steps": w,
           "transition_steps": n, "decay_rate": rate, "staircase": staircase, "end_value": end}
    steps = 3000
    ours, theirs = _tables(steps, warmup_jax.schedule_from_config(cfg),
                           optax.warmup_exponential_decay_schedule(0.0, peak, w, n, rate, 0, staircase, end))
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7 * peak)


def test_optax_warmup_constant_equals_optax_and_fixes_zero_warmup():
    ours, theirs = _tables(30, warmup_jax.warmup_constant(0.1, 10, init_value=0.01),
                           optax.warmup_constant_schedule(0.01, 0.1, 10))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # optax returns the init value forever with warmup_steps=0; warmup_steps=0 means no warmup here
    assert float(optax.warmup_constant_schedule(0.0, 1.0, 0)(100)) == 0.0
    assert float(warmup_jax.warmup_constant(1.0, 0)(100)) == 1.0


def test_optax_polynomial_decay_equals_optax_join():
    p, e, w, T, power = 1e-3, 1e-5, 100, 1000, 2.0
    theirs = optax.join_schedules(
        [optax.linear_schedule(0.0, p, w), optax.polynomial_schedule(p, e, power, T - w)], [w])
    ours = warmup_jax.warmup_polynomial_decay(p, w, T, e, power)
    np.testing.assert_allclose(*_tables(T + 20, ours, theirs), rtol=1e-6, atol=1e-9)
