"""DeepSpeed's own lr schedules (``deepspeed.runtime.lr_schedules``, DeepSpeed 0.19.8, the
installed package), stepped as the DeepSpeed engine steps them, against our ports
``"deepspeed.<Name>"`` (the adapter of ``test_anchors.py``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import torch
from hypothesis import strategies as st

from parity_tests.anchor_harness import Above, Adapter, Case, Refusal, compare

lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
logging.getLogger("DeepSpeed").setLevel(logging.ERROR)  # "get learning rate before it has started": expected

RELATIVE = {"WarmupCosineLR"}
"""The schedules that scale the optimizer's lr (the others set absolute lrs)."""


def _opt() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def deepspeed_lrs(name: str, kw: dict[str, Any], n: int, lr: float = 0.1) -> list[float]:
    """The lr of each of ``n`` updates, as the DeepSpeed engine drives the scheduler: built
    before training (``last_batch_iteration=-1``, which writes update 0's lr), then
    ``optimizer.step()`` followed by ``lr_scheduler.step()`` for every update."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = getattr(lr_schedules, name)(opt, **kw)
    assert sched.last_batch_iteration == -1
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def config(name: str, kw: dict[str, Any], lr: float = 0.1) -> dict[str, Any]:
    return {"schedule": f"deepspeed.{name}", **({"lr": lr} if name in RELATIVE else {}), **kw}


def values(cfg: dict[str, Any], n: int) -> list[float]:
    kw = {k: v for k, v in cfg.items() if k not in ("schedule", "lr")}
    return deepspeed_lrs(cfg["schedule"].removeprefix("deepspeed."), kw, n, cfg.get("lr", 0.1))


_ROWS = [
    # WarmupLR: log (DeepSpeed's default) and linear, warmup_num_steps 1 (becomes 2), a floor
    ("WarmupLR", dict(warmup_max_lr=1e-3), 1300),
    ("WarmupLR", dict(warmup_max_lr=3e-4, warmup_min_lr=1e-5, warmup_num_steps=37, warmup_type="linear"), 120),
    ("WarmupLR", dict(warmup_max_lr=1e-3, warmup_num_steps=1), 20),
    ("WarmupLR", dict(warmup_max_lr=1e-3, warmup_num_steps=2, warmup_type="linear"), 20),
    ("WarmupLR", dict(warmup_max_lr=1e-4, warmup_min_lr=1e-3, warmup_num_steps=50), 100),  # a falling "warmup"
    # WarmupDecayLR: decays back to warmup_min_lr at total_num_steps + 1
    ("WarmupDecayLR", dict(total_num_steps=3000), 3300),
    ("WarmupDecayLR", dict(total_num_steps=200, warmup_min_lr=1e-5, warmup_num_steps=50,
                           warmup_type="linear"), 400),
    ("WarmupDecayLR", dict(total_num_steps=20, warmup_num_steps=50), 120),  # T < W: a drop after the warmup
    ("WarmupDecayLR", dict(total_num_steps=51, warmup_num_steps=50, warmup_type="linear"), 120),  # 1-step decay
    ("WarmupDecayLR", dict(total_num_steps=0, warmup_num_steps=1, warmup_max_lr=0.1), 10),
    # WarmupCosineLR: ratios of the optimizer's lr, 0 at update 0
    ("WarmupCosineLR", dict(total_num_steps=3000), 3300),
    ("WarmupCosineLR", dict(total_num_steps=300, warmup_num_steps=30, warmup_min_ratio=0.1, cos_min_ratio=0.0,
                            warmup_type="linear"), 400),
    ("WarmupCosineLR", dict(total_num_steps=10, warmup_num_steps=40, cos_min_ratio=0.05), 80),  # T <= W
    ("WarmupCosineLR", dict(total_num_steps=41, warmup_num_steps=40, warmup_min_ratio=0.5), 80),  # 1-step cosine
    ("WarmupCosineLR", dict(total_num_steps=100, warmup_num_steps=1, cos_min_ratio=0.2), 150),
    # LRRangeTest: grows without end, continuous or in stairs
    ("LRRangeTest", dict(), 5000),
    ("LRRangeTest", dict(lr_range_test_min_lr=1e-5, lr_range_test_step_size=7, lr_range_test_step_rate=20.0,
                         lr_range_test_staircase=True), 500),
    ("LRRangeTest", dict(lr_range_test_min_lr=1e-4, lr_range_test_step_size=1, lr_range_test_step_rate=0.5,
                         lr_range_test_staircase=True), 300),
    ("LRRangeTest", dict(lr_range_test_min_lr=1e-4, lr_range_test_step_rate=0.0), 50),
    # OneCycle: one triangle, stairs, asymmetric halves, no second half, post-cycle decay
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3), 4500),
    ("OneCycle", dict(cycle_min_lr=1e-5, cycle_max_lr=1e-3, cycle_first_step_size=30, cycle_second_step_size=70,
                      decay_lr_rate=0.5, decay_step_size=10), 300),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=50, cycle_first_stair_count=7), 150),
    ("OneCycle", dict(cycle_min_lr=0.0, cycle_max_lr=1e-3, cycle_first_step_size=13, cycle_second_step_size=29,
                      cycle_first_stair_count=5, cycle_second_stair_count=40, decay_lr_rate=2.0,
                      decay_step_size=3), 120),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=10, cycle_second_step_size=17,
                      cycle_second_stair_count=4), 60),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=13, cycle_second_step_size=0), 40),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=3, cycle_second_step_size=5,
                      cycle_first_stair_count=8, cycle_second_stair_count=11), 30),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=1, cycle_second_step_size=1,
                      decay_lr_rate=1.0, decay_step_size=1), 30),
]


CASES = [Case(config(name, kw), n) for name, kw, n in _ROWS] + [
    # the warmup runs the first two updates at the min: log(1) = 0 and 0 / W = 0 (update 1 repeats update 0)
    *[Case(config("WarmupLR", dict(warmup_min_lr=1e-5, warmup_max_lr=1e-3, warmup_num_steps=10, warmup_type=kind)),
           15, at={0: 1e-5, 1: 1e-5, 2: Above(1e-5)}) for kind in ("log", "linear")],
    # the max at W (log) vs W + 1 (linear)
    Case(config("WarmupLR", dict(warmup_max_lr=1.0, warmup_num_steps=10)), 12, at={10: pytest.approx(1.0, abs=1e-15)}),
    Case(config("WarmupLR", dict(warmup_max_lr=1.0, warmup_num_steps=10, warmup_type="linear")), 12,
         at={10: 0.9, 11: 1.0}),
    # WarmupDecayLR ends at the min lr, not 0
    Case(config("WarmupDecayLR", dict(total_num_steps=100, warmup_min_lr=1e-4, warmup_num_steps=10,
                                      warmup_type="linear")), 130, at={11: 1e-3, 100: Above(1e-4), 101: 1e-4, 129: 1e-4}),
]


lrs_ = st.sampled_from([0.0, 1e-5, 1e-4, 3e-4, 1e-3, 0.1])
steps_ = st.integers(1, 60)


@st.composite
def deepspeed_configs(draw: Any) -> Case:
    name = draw(st.sampled_from(["WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "LRRangeTest", "OneCycle"]))
    kind = draw(st.sampled_from(["log", "linear"]))
    w = draw(steps_)
    if name == "WarmupLR":
        kw = dict(warmup_min_lr=draw(lrs_), warmup_max_lr=draw(lrs_), warmup_num_steps=w, warmup_type=kind)
        return Case(config(name, kw), w + 20)
    if name == "WarmupDecayLR":
        T = draw(st.integers(0, 150))
        kw = dict(total_num_steps=T, warmup_min_lr=draw(lrs_), warmup_max_lr=draw(lrs_), warmup_num_steps=w,
                  warmup_type=kind)
        return Case(config(name, kw), max(T, w) + 20)
    if name == "WarmupCosineLR":
        T = draw(st.integers(0, 150))
        kw = dict(total_num_steps=T, warmup_min_ratio=draw(st.floats(0.0, 1.0)),
                  cos_min_ratio=draw(st.floats(0.0, 1.0)), warmup_num_steps=w, warmup_type=kind)
        return Case(config(name, kw), max(T, w) + 20)
    if name == "LRRangeTest":
        kw = dict(lr_range_test_min_lr=draw(lrs_), lr_range_test_step_size=w,
                  lr_range_test_step_rate=draw(st.floats(0.0, 10.0)), lr_range_test_staircase=draw(st.booleans()))
        return Case(config(name, kw), 200)
    f, s = w, draw(st.one_of(st.none(), st.integers(0, 60)))
    kw = dict(cycle_min_lr=draw(lrs_), cycle_max_lr=draw(lrs_), cycle_first_step_size=f, cycle_second_step_size=s,
              cycle_first_stair_count=draw(st.integers(0, 12)),
              cycle_second_stair_count=draw(st.one_of(st.none(), st.integers(0, 12))),
              decay_lr_rate=draw(st.sampled_from([0.0, 0.1, 2.0])), decay_step_size=draw(st.integers(0, 20)))
    return Case(config(name, kw), f + (f if s is None else s) + 40)


# --- validation: what DeepSpeed refuses, we refuse; what we refuse besides ---------------------

REFUSED = [Refusal(config(name, kw), rf"^deepspeed\.{name}: {param}=.* is invalid; expected ",
                   lambda name=name, kw=kw: getattr(lr_schedules, name)(_opt(), **kw)) for name, kw, param in [
    ("WarmupLR", dict(warmup_max_lr=1e-3, warmup_num_steps=0), "warmup_num_steps"),
    ("WarmupCosineLR", dict(total_num_steps=10, warmup_num_steps=-3), "warmup_num_steps"),
    ("WarmupLR", dict(warmup_max_lr=1e-3, warmup_num_steps=2.5), "warmup_num_steps"),
    ("LRRangeTest", dict(lr_range_test_step_size=0), "lr_range_test_step_size"),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=0), "cycle_first_step_size"),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_second_step_size=-1), "cycle_second_step_size"),
]]

REFUSED += [Refusal(cfg, match) for cfg, match in [
    ({"schedule": "deepspeed.WarmupLR", "warmup_max_lr": 1e-3, "warmup_type": "exp"},
     r"warmup_type='exp' is invalid; expected one of 'log', 'linear'"),  # DeepSpeed warns and uses "log"
    ({"schedule": "deepspeed.WarmupLR"}, r"missing required parameter 'warmup_max_lr'"),  # DeepSpeed: optimizer's lr
    ({"schedule": "deepspeed.WarmupDecayLR", "total_num_steps": -1}, r"total_num_steps=-1 is invalid"),
    ({"schedule": "deepspeed.OneCycle", "cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "decay_step_size": -1},
     r"decay_step_size=-1 is invalid"),
]]

ADAPTER = Adapter("deepspeed", values, CASES, drawn=[deepspeed_configs()], refused=REFUSED)


# --- DeepSpeed's own ---------------------------------------------------------------------


def test_deepspeed_warmup_cosine_starts_at_zero_and_never_runs_the_peak_after_a_linear_warmup():
    lrs = compare(ADAPTER, Case(config("WarmupCosineLR", dict(total_num_steps=100, warmup_num_steps=10,
                                                              warmup_min_ratio=0.3, warmup_type="linear"), 0.5), 120))
    assert lrs[0] == 0.0 and lrs[1] == pytest.approx(0.15, rel=1e-15)
    assert max(lrs) < 0.5 and lrs[10] == pytest.approx(0.5 * (0.3 + 0.7 * 0.9))


def test_deepspeed_one_cycle_runs_its_peak_once_and_stairs_leave_it_at_once():
    lrs = compare(ADAPTER, Case(config("OneCycle", dict(cycle_min_lr=0.0, cycle_max_lr=1.0, cycle_first_step_size=10,
                                                        cycle_first_stair_count=4)), 30))
    assert lrs[:11].tolist() == [0.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 0.5, 0.75, 0.75, 1.0]
    assert lrs[11] == 0.75 and lrs.tolist().count(1.0) == 1
