"""HF transformers' schedulers (``transformers.optimization``, transformers 5.24.0), built by
their ``get_*`` functions (and ``get_scheduler``) and stepped as users step them, against our
ports ``"transformers.<get_*>"``; ``warmup_torch.to_config`` of a live HF scheduler, one config
a param group."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import transformers
from hypothesis import strategies as st

import warmup_torch
from parity_tests.anchor_harness import Above, Adapter, Case, Live, Refusal, optimizer
from warmup_spec import Schedule
from warmup_torch.live import hf_transformers as live

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


def drive(sched: Any, opt: torch.optim.Optimizer, n: int) -> np.ndarray:
    """The lr of each group at each of ``n`` updates (shape ``(n, groups)``): read the lr,
    ``optimizer.step()``, ``scheduler.step()``."""
    out = np.empty((n, len(opt.param_groups)))
    for k in range(n):
        out[k] = [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    return out


def make(fn: str, kw: dict[str, Any]) -> Any:
    """``make(optimizer)``: HF's ``fn(optimizer, **kw)`` (``get_scheduler``: ``kw["name"]``)."""
    def built(opt: torch.optim.Optimizer) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # get_wsd_schedule warns when both step counts are given
            if fn == "get_scheduler":
                rest = dict(kw)
                return transformers.get_scheduler(rest.pop("name"), opt, **rest)
            return getattr(transformers, fn)(opt, **kw)
    return built


def values(cfg: dict[str, Any], n: int) -> np.ndarray:
    kw = {k: v for k, v in cfg.items() if k not in ("schedule", "lr")}
    opt = optimizer(cfg["lr"])
    return drive(make(cfg["schedule"].removeprefix("transformers."), kw)(opt), opt, n)[:, 0]


def hf(fn: str, kw: dict[str, Any], lr: float, n: int, **case: Any) -> Case:
    return Case({"schedule": f"transformers.{fn}", "lr": lr, **kw}, n, **case)


def wt(w: int, T: int, **kw: Any) -> dict[str, Any]:
    return {"num_warmup_steps": w, "num_training_steps": T, **kw}


def _poly_without_decay_steps() -> list[float]:
    """``T == w``: HF divides by ``T - w = 0`` at step ``w``; the port holds ``lr (w - 1) / w``."""
    opt = optimizer(0.1)
    sched = transformers.get_polynomial_decay_schedule_with_warmup(opt, 4, 4, lr_end=1e-3)
    lrs = list(drive(sched, opt, 3)[:, 0]) + [opt.param_groups[0]["lr"]]
    opt.step()
    with pytest.raises(ZeroDivisionError):
        sched.step()
    return lrs + [lrs[-1]] * 20


CASES: list[Case] = [hf(*row) for row in [
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
]] + [hf("get_scheduler", {"name": name, **kw}, 0.1, 250) for name, kw in [
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
]] + [  # the quirks, value by value
    hf(LIN, wt(4, 8), 1.0, 12, at=dict(enumerate([0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0, 0.0]))),
    hf(COS, wt(0, 10), 1.0, 31, at={0: 1.0, 10: 0.0, 20: 1.0, 30: 0.0}),  # rises back to the lr
    hf(COS, wt(3, 3), 1.0, 8, at=dict(enumerate([0.0, 1 / 3, 2 / 3, 1.0, 0.0, 1.0, 0.0, 1.0]))),
    hf(HARD, wt(0, 22, num_cycles=22), 1.0, 24, at={14: 1.0, 15: 0.0, 16: 1.0, 22: 0.0}),  # 15: HF's rounding
    hf(RATE, wt(4, 10, min_lr_rate=0.0), 1.0, 12,
       at={0: 0.25, 1: 0.5, 2: 0.75, 3: 1.0, 9: 0.0, 10: Above(0.0)}),  # the minimum at T - 1
    hf(POLY, wt(2, 6, lr_end=0.25, power=0.0), 1.0, 9,
       at=dict(enumerate([0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.25]))),  # 0 ** 0 = 1 through T
    hf(WSD, {"num_warmup_steps": 2, "num_decay_steps": 4, "num_training_steps": 4, "decay_type": "linear",
             "min_lr_ratio": 0.5}, 1.0, 6,
       at=dict(enumerate([0.5, 0.75, 0.75, 0.625, 0.5, 0.5]))),  # from m lr; stable = -2: the decay half done at w
    hf(POLY, wt(4, 4, lr_end=1e-3), 0.1, 24, lib=_poly_without_decay_steps, at={3: 0.1 * 3 / 4}),
]

CYCLES = [0.5, 0.5, 1.0, 0.25, 2.0, 1.5, 0.3, 0.0, 0.75]


@st.composite
def hf_configs(draw: Any) -> Case:
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
    return hf(fn, kw, lr, 2 * max(kw["num_warmup_steps"], kw.get("num_training_steps") or 0, 100) + 50)


def _r(fn: str, kw: dict[str, Any], match: str) -> Refusal:
    return Refusal({"schedule": f"transformers.{fn}", **kw}, match)


REFUSED = [_r(*row) for row in [
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
]]


def _two_groups(fn: str, kw: dict[str, Any]) -> Live:
    """Two param groups at different lrs: one config per group; one group alone: one config."""
    def shape(cfgs: Any, _: Any) -> None:
        one = make(fn, kw)(optimizer(0.1))
        single = warmup_torch.to_config(one)
        assert isinstance(single, dict) and single["schedule"] == f"transformers.{fn}" and single["lr"] == 0.1
        assert isinstance(cfgs, list) and [c["lr"] for c in cfgs] == [0.1, 0.02] and cfgs[0] == single
    return Live(fn.removeprefix("get_"), make(fn, kw), 150, groups=(None, 0.02), shape=shape)


LIVE = [_two_groups(*row) for row in [
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
]]

ADAPTER = Adapter("transformers", values, CASES, drawn=[hf_configs()], refused=REFUSED, live=LIVE, drive=drive)


# --- transformers' own ---------------------------------------------------------------------


def test_transformers_refuses_what_the_port_refuses():
    """The checks the port copies from HF: HF raises on the same arguments."""
    opt = optimizer(0.1)
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
        transformers.get_cosine_with_min_lr_schedule_with_warmup(optimizer(0.0), 0, 10, min_lr=0.0)


def test_transformers_to_config_reads_only_its_lambdas():
    opt = optimizer(0.1)
    assert live.config_of(torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1.0)) is None
    assert live.config_of(torch.optim.lr_scheduler.StepLR(opt, 10)) is None
    assert live.config_of(Schedule({"schedule": "transformers.get_constant_schedule", "lr": 0.1})) is None
    # get_scheduler builds the get_* function's LambdaLR: its config is that function's
    sched = transformers.get_scheduler("cosine_with_restarts", optimizer(0.1), 5, 50, {"num_cycles": 2})
    assert live.config_of(sched) == {"schedule": f"transformers.{HARD}", "lr": 0.1, "num_warmup_steps": 5,
                                     "num_training_steps": 50, "num_cycles": 2}
    # a derived negative stable phase comes back as num_training_steps
    sched = transformers.get_wsd_schedule(optimizer(0.1), 10, 50, num_training_steps=40)
    cfg = live.config_of(sched)
    assert isinstance(cfg, dict) and cfg["num_training_steps"] == 40 and "num_stable_steps" not in cfg
