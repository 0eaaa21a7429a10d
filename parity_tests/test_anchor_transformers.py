"""HF transformers' schedulers (``transformers.optimization``, transformers 5.24.0), built by
their ``get_*`` functions and stepped as users step them, against our ports
``"transformers.<get_*>"`` in every front end (``anchor_harness``); ``warmup_torch.to_config``
of a live HF scheduler, round-tripped through both frameworks."""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import transformers
from hypothesis import given, settings
from hypothesis import strategies as st

import warmup_jax
import warmup_torch
from parity_tests.anchor_harness import check
from warmup_spec import Schedule, spec_from_config
from warmup_torch.live import hf_transformers as live

LIB = "transformers"


def _optimizer(lr: float, group_lrs: tuple[float | None, ...] = (None,)) -> torch.optim.Optimizer:
    groups: list[dict[str, Any]] = []
    for g in group_lrs:
        group: dict[str, Any] = {"params": [torch.zeros(1, requires_grad=True)]}
        if g is not None:
            group["lr"] = g
        groups.append(group)
    return torch.optim.SGD(groups, lr=lr)


def hf_lrs(make: Any, lr: float, n: int, group_lrs: tuple[float | None, ...] = (None,)) -> np.ndarray:
    """The lr of each group at each of ``n`` updates of an HF scheduler ``make(optimizer)``
    (shape ``(n, groups)``): read the lr, ``optimizer.step()``, ``scheduler.step()``."""
    opt = _optimizer(lr, group_lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_wsd_schedule warns when both step counts are given
        sched = make(opt)
    out = np.empty((n, len(group_lrs)))
    for k in range(n):
        out[k] = [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    return out


def run(fn: str, kw: dict[str, Any], lr: float, n: int) -> np.ndarray:
    """HF's ``fn`` against the port ``transformers.<fn>`` at steps ``0..n-1``; returns HF's lrs."""
    expected = hf_lrs(lambda opt: getattr(transformers, fn)(opt, **kw), lr, n)[:, 0]
    check(LIB, {"schedule": f"transformers.{fn}", "lr": lr, **kw}, expected)
    return expected


C = "get_constant_schedule"
CW = "get_constant_schedule_with_warmup"
LIN = "get_linear_schedule_with_warmup"
COS = "get_cosine_schedule_with_warmup"
HARD = "get_cosine_with_hard_restarts_schedule_with_warmup"
POLY = "get_polynomial_decay_schedule_with_warmup"
ISQRT = "get_inverse_sqrt_schedule"
MIN = "get_cosine_with_min_lr_schedule_with_warmup"
RATE = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
WSD = "get_wsd_schedule"


def wt(w: int, T: int, **kw: Any) -> dict[str, Any]:
    return {"num_warmup_steps": w, "num_training_steps": T, **kw}


CASES: list[tuple[str, dict[str, Any], float, int]] = [
    (C, {}, 0.1, 50),
    (CW, {"num_warmup_steps": 10}, 0.1, 40),
    (CW, {"num_warmup_steps": 0}, 3e-4, 20),
    (CW, {"num_warmup_steps": 1}, 1.0, 20),
    (LIN, wt(100, 1000), 1e-3, 1200),
    (LIN, wt(0, 50), 0.1, 80),
    (LIN, wt(10, 10), 0.1, 30),  # T == w: 0 from step w
    (LIN, wt(20, 5), 0.1, 40),  # T < w: the warmup, then 0
    (COS, wt(100, 1000), 1e-3, 3000),  # 0 at 1000, back to the lr at 1900, 0 again at 2800
    (COS, wt(0, 100, num_cycles=1), 0.1, 350),
    (COS, wt(10, 310, num_cycles=0.3), 0.1, 1500),  # period 1000 steps
    (COS, wt(20, 20), 0.1, 60),  # T == w: lr, 0, lr, 0, ...
    (COS, wt(5, 3, num_cycles=1.5), 0.1, 30),
    (COS, wt(50, 500, num_cycles=0), 0.1, 600),
    (HARD, wt(100, 1000), 1e-3, 1200),
    (HARD, wt(10, 310, num_cycles=3), 0.1, 400),
    (HARD, wt(0, 100, num_cycles=7), 0.1, 150),  # cycles of 100/7 steps
    (HARD, wt(0, 22, num_cycles=22), 0.1, 30),  # HF's rounding: 0 instead of lr at step 15
    (HARD, wt(10, 5, num_cycles=2), 0.1, 30),  # T < w: lr at w, then 0
    (HARD, wt(0, 50, num_cycles=0), 0.1, 80),
    (POLY, wt(100, 1000), 1e-3, 1200),
    (POLY, wt(10, 300, lr_end=1e-4, power=2.0), 1e-3, 400),
    (POLY, wt(0, 200, lr_end=0.0, power=0.5), 0.1, 250),
    (POLY, wt(10, 100, lr_end=1e-3, power=0.0), 0.1, 150),  # 0 ** 0: lr through step T
    (POLY, wt(20, 10, lr_end=1e-3), 0.1, 40),  # T < w: lr_end from w
    (ISQRT, {"num_warmup_steps": 100}, 1e-3, 3000),
    (ISQRT, {"num_warmup_steps": 0}, 0.1, 2000),  # timescale 10000
    (ISQRT, {"num_warmup_steps": 10, "timescale": 1}, 0.1, 500),
    (ISQRT, {"num_warmup_steps": 50, "timescale": 7}, 0.1, 500),
    (MIN, wt(100, 1000, min_lr=1e-5), 1e-3, 3000),
    (MIN, wt(0, 200, num_cycles=1, min_lr_rate=0.1), 0.1, 500),
    (MIN, wt(10, 10, min_lr_rate=0.5), 0.1, 40),
    (MIN, wt(20, 200, min_lr_rate=2.0), 0.1, 500),  # a "minimum" above the lr: rises
    (RATE, wt(100, 1000, min_lr_rate=0.1), 1e-3, 2000),
    (RATE, wt(1, 50, min_lr=1e-4, warmup_lr_rate=0.1), 1e-3, 150),
    (RATE, wt(10, 100, min_lr_rate=0.0, warmup_lr_rate=0.0), 0.1, 300),
    (RATE, wt(0, 100, num_cycles=1, min_lr_rate=0.05), 0.1, 300),
    (RATE, wt(5, 5, min_lr_rate=0.1), 0.1, 30),
    (WSD, {"num_warmup_steps": 1000, "num_decay_steps": 500, "num_training_steps": 3000}, 1e-3, 3500),
    (WSD, {"num_warmup_steps": 100, "num_decay_steps": 300, "num_stable_steps": 200, "warmup_type": "1-sqrt",
           "decay_type": "1-sqrt", "min_lr_ratio": 0.1}, 1e-3, 700),
    (WSD, {"num_warmup_steps": 50, "num_decay_steps": 100, "num_training_steps": 120, "warmup_type": "cosine",
           "decay_type": "linear", "min_lr_ratio": 0.01}, 0.1, 200),  # stable = -30: the decay starts 30% in
    (WSD, {"num_warmup_steps": 30, "num_decay_steps": 120, "num_stable_steps": 10, "num_cycles": 1.5}, 0.1, 250),
    (WSD, {"num_warmup_steps": 0, "num_decay_steps": 0, "num_stable_steps": 10, "min_lr_ratio": 0.2}, 0.1, 30),
    (WSD, {"num_warmup_steps": 20, "num_decay_steps": 80, "num_training_steps": 100, "num_stable_steps": 5,
           "decay_type": "cosine", "num_cycles": 0.25}, 0.1, 150),  # both given: num_stable_steps wins
]


@pytest.mark.parametrize("fn,kw,lr,n", CASES, ids=[f"{c[0].removeprefix('get_')}-{i}" for i, c in enumerate(CASES)])
def test_hf_scheduler_equals_port(fn, kw, lr, n):
    run(fn, kw, lr, n)


GET_SCHEDULER = [
    ("constant", {"num_warmup_steps": 10, "num_training_steps": 100, "scheduler_specific_kwargs": {"x": 1}}),
    ("constant_with_warmup", {"num_warmup_steps": 10, "scheduler_specific_kwargs": {"ignored": True}}),
    ("linear", {"num_warmup_steps": 10, "num_training_steps": 100}),
    ("cosine", {"num_warmup_steps": 10, "num_training_steps": 100, "scheduler_specific_kwargs": {"num_cycles": 1}}),
    ("cosine_with_restarts", {"num_warmup_steps": 5, "num_training_steps": 100,
                              "scheduler_specific_kwargs": {"num_cycles": 3}}),
    ("polynomial", {"num_warmup_steps": 10, "num_training_steps": 100,
                    "scheduler_specific_kwargs": {"lr_end": 1e-3, "power": 2.0}}),
    ("inverse_sqrt", {"num_warmup_steps": 10, "num_training_steps": 5, "scheduler_specific_kwargs": {"timescale": 20}}),
    ("cosine_with_min_lr", {"num_warmup_steps": 10, "num_training_steps": 100,
                            "scheduler_specific_kwargs": {"min_lr": 1e-3}}),
    ("cosine_warmup_with_min_lr", {"num_warmup_steps": 10, "num_training_steps": 100,
                                   "scheduler_specific_kwargs": {"min_lr_rate": 0.1}}),
    ("warmup_stable_decay", {"num_warmup_steps": 10, "scheduler_specific_kwargs": {
        "num_stable_steps": 40, "num_decay_steps": 50, "decay_type": "1-sqrt"}}),
]


@pytest.mark.parametrize("name,kw", GET_SCHEDULER, ids=[g[0] for g in GET_SCHEDULER])
def test_get_scheduler_equals_port(name, kw):
    expected = hf_lrs(lambda opt: transformers.get_scheduler(name, opt, **kw), 0.1, 250)[:, 0]
    check(LIB, {"schedule": "transformers.get_scheduler", "lr": 0.1, "name": name, **kw}, expected)


# --- the quirks, value by value -------------------------------------------------------


def test_quirks_at_their_steps():
    lin = run(LIN, wt(4, 8), 1.0, 12)
    assert list(lin) == [0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0, 0.0]
    cos = run(COS, wt(0, 10), 1.0, 31)  # rises back to the lr: 1 at 0, 0 at 10, 1 at 20, 0 at 30
    assert (cos[0], cos[10], cos[20], cos[30]) == (1.0, 0.0, 1.0, 0.0)
    assert list(run(COS, wt(3, 3), 1.0, 8)) == [0.0, 1 / 3, 2 / 3, 1.0, 0.0, 1.0, 0.0, 1.0]
    hard = run(HARD, wt(0, 22, num_cycles=22), 1.0, 24)
    assert hard[14] == 1.0 and hard[15] == 0.0 and hard[16] == 1.0 and hard[22] == 0.0  # step 15: HF's rounding
    rate = run(RATE, wt(4, 10, min_lr_rate=0.0), 1.0, 12)
    assert list(rate[:4]) == [0.25, 0.5, 0.75, 1.0] and rate[9] == 0.0 and rate[10] > 0  # min at T - 1
    poly = run(POLY, wt(2, 6, lr_end=0.25, power=0.0), 1.0, 9)
    assert list(poly) == [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.25]  # 0 ** 0 = 1 through T
    wsd = run(WSD, {"num_warmup_steps": 2, "num_decay_steps": 4, "num_training_steps": 4, "decay_type": "linear",
                    "min_lr_ratio": 0.5}, 1.0, 6)
    assert list(wsd) == [0.5, 0.75, 0.75, 0.625, 0.5, 0.5]  # from m lr; stable = -2: the decay half done at w


def test_polynomial_with_no_decay_steps_holds_where_hf_raises():
    """``T == w``: HF divides by ``T - w = 0`` at step ``w``; the port holds ``lr (w - 1) / w``."""
    opt = _optimizer(0.1)
    sched = transformers.get_polynomial_decay_schedule_with_warmup(opt, 4, 4, lr_end=1e-3)
    lrs = []
    for _ in range(3):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    lrs.append(opt.param_groups[0]["lr"])
    opt.step()
    with pytest.raises(ZeroDivisionError):
        sched.step()
    expected = lrs + [lrs[-1]] * 20
    check(LIB, {"schedule": f"transformers.{POLY}", "lr": 0.1, **wt(4, 4, lr_end=1e-3)}, expected)
    assert expected[3] == 0.1 * 3 / 4


# --- configs drawn at random ------------------------------------------------------------

CYCLES = [0.5, 0.5, 1.0, 0.25, 2.0, 1.5, 0.3, 0.0, 0.75]


@st.composite
def hf_configs(draw: Any) -> tuple[str, dict[str, Any], float]:
    fn = draw(st.sampled_from([CW, LIN, COS, HARD, POLY, ISQRT, MIN, RATE, WSD]))
    w = draw(st.integers(0, 40))
    T = draw(st.integers(0, 200))
    lr = draw(st.sampled_from([1.0, 0.1, 3e-4]))
    kw: dict[str, Any] = {"num_warmup_steps": w}
    if fn in (LIN, COS, HARD, POLY, MIN, RATE):
        kw["num_training_steps"] = T
    if fn in (COS, MIN, RATE, WSD):
        kw["num_cycles"] = draw(st.sampled_from(CYCLES))
    if fn == HARD:
        kw["num_cycles"] = draw(st.integers(0, 6))
    if fn == POLY:
        if T == w:
            kw["num_training_steps"] = T + 1
        kw["power"] = draw(st.sampled_from([1.0, 2.0, 0.5, 3.0]))
        kw["lr_end"] = lr * draw(st.sampled_from([0.0, 1e-4, 0.1]))
    if fn == ISQRT:
        kw["timescale"] = draw(st.sampled_from([None, 1, 10, 1000]))
    if fn in (MIN, RATE):
        rate = draw(st.sampled_from([0.0, 0.01, 0.1, 0.5]))
        kw.update({"min_lr": rate * lr} if draw(st.booleans()) else {"min_lr_rate": rate})
    if fn == RATE:
        kw["warmup_lr_rate"] = draw(st.sampled_from([None, 0.0, 0.1]))
    if fn == WSD:
        kw["num_decay_steps"] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            kw["num_stable_steps"] = draw(st.integers(0, 100))
        else:
            kw["num_training_steps"] = T
        kw["warmup_type"] = draw(st.sampled_from(["linear", "cosine", "1-sqrt"]))
        kw["decay_type"] = draw(st.sampled_from(["linear", "cosine", "1-sqrt"]))
        kw["min_lr_ratio"] = draw(st.sampled_from([0.0, 0.1]))
    return fn, kw, lr


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(hf_configs())
def test_drawn_configs_equal_hf(drawn):
    fn, kw, lr = drawn
    run(fn, kw, lr, 2 * max(kw["num_warmup_steps"], kw.get("num_training_steps") or 0, 100) + 50)


# --- validation -------------------------------------------------------------------------


def _spec(fn: str, **kw: Any) -> Any:
    return spec_from_config({"schedule": f"transformers.{fn}", **kw})


@pytest.mark.parametrize("fn,kw,match", [
    (LIN, dict(lr=-0.1, **wt(0, 10)), r"lr=-0\.1 is invalid"),
    (COS, dict(lr=0.1, **wt(0, 10, num_cycles=2e6)), r"num_cycles=2000000\.0 is invalid; expected a finite number "
                                                    r"in \[-1000000\.0, 1000000\.0\] \(HF takes any finite one"),
    (LIN, dict(lr=0.1, **wt(math.nan, 10)), r"num_warmup_steps=nan is invalid; expected a finite number of steps"),
    (WSD, dict(lr=0.1, num_warmup_steps=0, num_decay_steps=10, num_stable_steps=0, num_cycles=math.pi),
     r"num_cycles=3\.14.* is invalid; expected a finite number k / q"),
    (COS, dict(lr=0.1, **wt(0, 10, num_cycles=math.inf)), r"num_cycles=inf is invalid"),
    (HARD, dict(lr=0.1, **wt(0, 10, num_cycles=1001)), r"num_cycles=1001 is invalid; expected a finite number in \[-1000, "),
    (POLY, dict(lr=0.1, **wt(0, 10, lr_end=0.1)), r"lr_end=0\.1 is invalid; expected .* < lr \(0\.1\)"),
    (POLY, dict(lr=0.1, **wt(0, 10, power=-1.0)), r"power=-1\.0 is invalid; expected a finite number >= 0"),
    (POLY, dict(lr=0.1, **wt(0, 0)), r"num_training_steps=0 is invalid"),
    (ISQRT, dict(lr=0.1, num_warmup_steps=10, timescale=0), r"timescale=0 is invalid; expected a finite number > 0"),
    (MIN, dict(lr=0.1, **wt(0, 10)), r"min_lr_rate=None is invalid; expected a finite number when min_lr is None"),
    (MIN, dict(lr=0.1, **wt(0, 10, min_lr=1e-3, min_lr_rate=0.1)), r"min_lr=0\.001 is invalid; expected None when"),
    (RATE, dict(lr=0.0, **wt(0, 10, min_lr=0.0)), r"min_lr=0\.0 is invalid; expected None with lr=0"),
    (WSD, dict(lr=0.1, num_warmup_steps=0, num_decay_steps=10), r"num_stable_steps=None is invalid"),
    (WSD, dict(lr=0.1, num_warmup_steps=0, num_decay_steps=10, num_stable_steps=0, warmup_type="exp"),
     r"warmup_type='exp' is invalid; expected one of 'linear', 'cosine', '1-sqrt'"),
    ("get_scheduler", dict(lr=0.1, name="reduce_lr_on_plateau"), r"name='reduce_lr_on_plateau' is invalid"),
    ("get_scheduler", dict(lr=0.1, name="linear", num_training_steps=10),
     r"num_warmup_steps=None is invalid; expected a number of steps \(name='linear' requires it\)"),
    ("get_scheduler", dict(lr=0.1, name="cosine", num_warmup_steps=10),
     r"num_training_steps=None is invalid; expected a number of steps \(name='cosine' requires it\)"),
    ("get_scheduler", dict(lr=0.1, name="cosine", num_warmup_steps=1, num_training_steps=10,
                           scheduler_specific_kwargs={"last_epoch": 5}), r"scheduler_specific_kwargs=.* is invalid"),
    ("get_scheduler", dict(lr=0.1, name="warmup_stable_decay", num_warmup_steps=1,
                           scheduler_specific_kwargs={"num_decay_steps": 5}), r"num_stable_steps=None is invalid"),
])
def test_invalid_parameters_are_refused(fn, kw, match):
    with pytest.raises(ValueError, match=match):
        _spec(fn, **kw)


def test_hf_refuses_what_the_port_refuses():
    """The checks the port copies from HF: HF raises on the same arguments."""
    opt = _optimizer(0.1)
    with pytest.raises(ValueError, match="must be smaller than initial lr"):
        transformers.get_polynomial_decay_schedule_with_warmup(opt, 0, 10, lr_end=0.1)
    with pytest.raises(ValueError, match="Only one of min_lr or min_lr_rate"):
        transformers.get_cosine_with_min_lr_schedule_with_warmup(opt, 0, 10, min_lr=1e-3, min_lr_rate=0.1)
    with pytest.raises(ValueError, match="One of min_lr or min_lr_rate"):
        transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(opt, 0, 10)
    with pytest.raises(ValueError, match="Either num_training_steps or num_stable_steps"):
        transformers.get_wsd_schedule(opt, 0, 10)
    with pytest.raises(ValueError, match="requires `num_warmup_steps`"):
        transformers.get_scheduler("linear", opt, num_training_steps=10)
    with pytest.raises(ValueError, match="requires `num_training_steps`"):
        transformers.get_scheduler("cosine", opt, num_warmup_steps=10)
    with pytest.raises(TypeError):  # an unknown scheduler_specific_kwargs key
        transformers.get_scheduler("cosine", opt, 1, 10, {"last_epochs": 5})
    with pytest.raises(ZeroDivisionError):
        transformers.get_polynomial_decay_schedule_with_warmup(opt, 0, 0)
    with pytest.raises(ZeroDivisionError):
        transformers.get_cosine_with_min_lr_schedule_with_warmup(_optimizer(0.0), 0, 10, min_lr=0.0)


# --- to_config of a live HF scheduler ----------------------------------------------------

LIVE = [
    (C, {}),
    (CW, {"num_warmup_steps": 7}),
    (LIN, wt(7, 60)),
    (COS, wt(7, 60, num_cycles=1.5)),
    (HARD, wt(7, 60, num_cycles=3)),
    (POLY, wt(7, 60, lr_end=1e-3, power=2.0)),
    (ISQRT, {"num_warmup_steps": 7}),
    (MIN, wt(7, 60, min_lr=1e-3)),
    (RATE, wt(7, 60, min_lr_rate=0.1, warmup_lr_rate=0.05)),
    (WSD, {"num_warmup_steps": 7, "num_decay_steps": 40, "num_training_steps": 30, "warmup_type": "1-sqrt"}),
]


@pytest.mark.parametrize("fn,kw", LIVE, ids=[f[0].removeprefix("get_") for f in LIVE])
def test_to_config_round_trips(fn, kw):
    make = lambda opt: getattr(transformers, fn)(opt, **kw)  # noqa: E731
    n = 150
    # one group: one config, equal to HF in every front end
    opt = _optimizer(0.1)
    cfg = warmup_torch.to_config(make(opt))
    assert isinstance(cfg, dict) and cfg["schedule"] == f"transformers.{fn}" and cfg["lr"] == 0.1
    check(LIB, cfg, hf_lrs(make, 0.1, n)[:, 0])
    # two groups at different lrs: one config per group
    groups = (None, 0.02)
    expected = hf_lrs(make, 0.1, n, groups)
    cfgs = warmup_torch.to_config(make(_optimizer(0.1, groups)))
    assert isinstance(cfgs, list) and [c["lr"] for c in cfgs] == [0.1, 0.02]
    ours = warmup_torch.ScheduleLR(_optimizer(0.1, groups), cfgs)  # one config a param group
    got = np.empty_like(expected)
    for k in range(n):
        got[k] = [g["lr"] for g in ours.optimizer.param_groups]
        ours.optimizer.step()
        ours.step()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    with jax.enable_x64(True):
        steps = jnp.arange(n)
        for g, c in enumerate(cfgs):
            np.testing.assert_allclose(np.asarray(jax.vmap(warmup_jax.schedule_from_config(c))(steps)), expected[:, g],
                                       rtol=1e-12, atol=1e-15)


def test_to_config_reads_only_transformers_lambdas():
    opt = _optimizer(0.1)
    assert live.config_of(torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0)) is None
    assert live.config_of(torch.optim.lr_scheduler.StepLR(opt, 10)) is None
    assert live.config_of(Schedule({"schedule": "transformers.get_constant_schedule", "lr": 0.1})) is None
    # get_scheduler builds the get_* function's LambdaLR: its config is that function's
    sched = transformers.get_scheduler("cosine_with_restarts", _optimizer(0.1), 5, 50, {"num_cycles": 2})
    assert live.config_of(sched) == {"schedule": f"transformers.{HARD}", "lr": 0.1, "num_warmup_steps": 5,
                                     "num_training_steps": 50, "num_cycles": 2}
    # a derived negative stable phase comes back as num_training_steps
    sched = transformers.get_wsd_schedule(_optimizer(0.1), 10, 50, num_training_steps=40)
    cfg = live.config_of(sched)
    assert isinstance(cfg, dict) and cfg["num_training_steps"] == 40 and "num_stable_steps" not in cfg
