"""Formula-level ports (libraries not installed here): Megatron-LM, fairseq, torchtitan,
MaxText and nanoGPT. Each library's schedule code is transcribed below LITERALLY (its
repository, file and commit cited; only imports, logging and the unrelated weight-decay
code left out), driven as the library's training loop drives it: one adapter per library
(``ADAPTERS``) for the parametrised tests of ``test_anchors.py``."""

from __future__ import annotations

import functools
import math
import types as pytypes
from collections.abc import Collection
from enum import Enum
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from hypothesis import strategies as st
from torch.optim.lr_scheduler import LambdaLR

from parity_tests.anchor_harness import Adapter, Below, Case, Refusal, compare
from parity_tests.jitted import JitTables
from warmup_spec import Schedule, spec_from_config


class FakeOptimizer:
    """What the schedulers below touch of an optimizer: its param groups (Megatron), or
    ``set_lr``/``get_lr`` (fairseq's ``FairseqOptimizer``)."""

    def __init__(self) -> None:
        self.param_groups: list[dict[str, Any]] = [{"lr": None}]

    def set_lr(self, lr: float) -> None:
        self.param_groups[0]["lr"] = lr

    def get_lr(self) -> float:
        return self.param_groups[0]["lr"]


# =========================================================================================
# Megatron-LM: megatron/core/optimizer_param_scheduler.py, NVIDIA/Megatron-LM commit
# 00caa53af30912914981c86f39db123961678bbd (OptimizerParamScheduler: __init__'s lr part,
# get_lr and step, verbatim; the weight-decay increment and checkpoint code left out).
# =========================================================================================


class MegatronOptimizerParamScheduler:
    def __init__(self, optimizer, init_lr, max_lr, min_lr, lr_warmup_steps, lr_decay_steps, lr_decay_style,
                 wsd_decay_steps=None, lr_wsd_decay_style=None):
        # Class values.
        self.optimizer = optimizer

        self.init_lr = init_lr
        self.max_lr = float(max_lr)
        self.min_lr = min_lr
        assert self.min_lr >= 0.0
        assert self.max_lr >= self.min_lr
        assert self.init_lr <= self.max_lr

        self.lr_warmup_steps = lr_warmup_steps
        self.num_steps = 0
        self.lr_decay_steps = lr_decay_steps
        self.wsd_decay_steps = wsd_decay_steps
        self.lr_wsd_decay_style = lr_wsd_decay_style
        assert self.lr_decay_steps > 0
        assert self.lr_warmup_steps < self.lr_decay_steps

        self.lr_decay_style = lr_decay_style
        if self.lr_decay_style == "WSD":
            assert self.wsd_decay_steps is not None

        # Set the learning rate
        self.step(0)

    def get_lr(self, param_group: dict) -> float:
        max_lr = param_group.get('max_lr', self.max_lr)
        min_lr = param_group.get('min_lr', self.min_lr)

        # Use linear warmup for the initial part.
        if self.lr_warmup_steps > 0 and self.num_steps <= self.lr_warmup_steps:
            return self.init_lr + (
                (max_lr - self.init_lr) * float(self.num_steps) / float(self.lr_warmup_steps)
            )

        # If the learning rate is constant, just return the initial value.
        if self.lr_decay_style == 'constant':
            return max_lr

        # For any steps larger than `self.lr_decay_steps`, use `min_lr`.
        if self.num_steps > self.lr_decay_steps:
            return min_lr

        # If we are done with the warmup period, use the decay style.
        if self.lr_decay_style == 'inverse-square-root':
            warmup_steps = max(self.lr_warmup_steps, 1)
            num_steps = max(self.num_steps, 1)
            lr = max_lr * warmup_steps**0.5 / (num_steps**0.5)
            return max(min_lr, lr)

        num_steps_ = self.num_steps - self.lr_warmup_steps
        decay_steps_ = self.lr_decay_steps - self.lr_warmup_steps
        decay_ratio = float(num_steps_) / float(decay_steps_)
        assert decay_ratio >= 0.0
        assert decay_ratio <= 1.0
        delta_lr = max_lr - min_lr

        coeff = None
        if self.lr_decay_style == 'linear':
            coeff = 1.0 - decay_ratio
        elif self.lr_decay_style == 'cosine':
            coeff = 0.5 * (math.cos(math.pi * decay_ratio) + 1.0)
        elif self.lr_decay_style == 'WSD':
            wsd_anneal_start_ = self.lr_decay_steps - self.wsd_decay_steps
            if self.num_steps <= wsd_anneal_start_:
                coeff = 1.0
            else:
                wsd_steps = self.num_steps - wsd_anneal_start_
                wsd_decay_ratio = float(wsd_steps) / float(self.wsd_decay_steps)
                if self.lr_wsd_decay_style == "linear":
                    coeff = 1.0 - wsd_decay_ratio
                elif self.lr_wsd_decay_style == "cosine":
                    coeff = 0.5 * (math.cos(math.pi * wsd_decay_ratio) + 1.0)
                elif self.lr_wsd_decay_style == "exponential":
                    coeff = (2.0 * math.pow(0.5, wsd_decay_ratio)) - 1.0
                elif self.lr_wsd_decay_style == "minus_sqrt":
                    coeff = 1.0 - math.sqrt(wsd_decay_ratio)

        else:
            raise Exception(f'{self.lr_decay_style} decay style is not supported.')
        assert coeff is not None

        return min_lr + coeff * delta_lr

    def step(self, increment: int) -> None:
        self.num_steps += increment
        for param_group in self.optimizer.param_groups:
            param_group['lr'] = self.get_lr(param_group)


def megatron_lrs(kw: dict[str, Any], n: int, increment: int = 1) -> list[float]:
    """Megatron's training loop: the scheduler built (``step(0)``), then ``step(increment)``
    after every optimizer step (``increment`` = the global batch size when the steps are
    counted in samples); not after the last update asked for."""
    opt = FakeOptimizer()
    sched = MegatronOptimizerParamScheduler(opt, **kw)
    out = []
    for k in range(n):
        out.append(opt.param_groups[0]["lr"])
        if k < n - 1:
            sched.step(increment)
    return out



def _megatron(kw: dict[str, Any], n: int, **case: Any) -> Case:
    return Case({"schedule": "megatron.OptimizerParamScheduler", **kw}, n, **case)


MEGATRON_BASE = dict(init_lr=1e-6, max_lr=3e-4, min_lr=3e-5, lr_warmup_steps=40, lr_decay_steps=400)
MEGATRON_CASES = [
    *[{**MEGATRON_BASE, "lr_decay_style": s} for s in ("constant", "linear", "cosine", "inverse-square-root")],
    *[{**MEGATRON_BASE, "lr_warmup_steps": 0, "min_lr": 0.0, "lr_decay_style": s}
      for s in ("linear", "cosine", "inverse-square-root")],
    {**MEGATRON_BASE, "min_lr": 2e-4, "lr_decay_style": "inverse-square-root"},  # crosses min_lr before D
    {**MEGATRON_BASE, "lr_warmup_steps": 1, "lr_decay_steps": 2, "lr_decay_style": "cosine"},
    *[{**MEGATRON_BASE, "min_lr": m, "lr_decay_style": "WSD", "wsd_decay_steps": L, "lr_wsd_decay_style": s}
      for s in ("linear", "cosine", "exponential", "minus_sqrt") for L, m in ((80, 0.0), (1, 3e-5))],
    {**MEGATRON_BASE, "lr_decay_style": "WSD", "wsd_decay_steps": 0, "lr_wsd_decay_style": "exponential"},
    {**MEGATRON_BASE, "lr_decay_style": "WSD", "wsd_decay_steps": 500, "lr_wsd_decay_style": "exponential"},
    {**MEGATRON_BASE, "lr_decay_style": "WSD", "wsd_decay_steps": 380, "lr_wsd_decay_style": "minus_sqrt"},
]


_GBS = 256  # Megatron's loop steps by the global batch size with the warmup and decay scaled by it
_SAMPLES = {**MEGATRON_BASE, "lr_decay_style": "cosine", "lr_warmup_steps": 40 * _GBS, "lr_decay_steps": 400 * _GBS}
MEGATRON = [_megatron(kw, kw["lr_decay_steps"] + 100) for kw in MEGATRON_CASES] + [
    # the warmup's last step is inclusive; inverse-square-root drops to min_lr after lr_decay_steps
    _megatron({**MEGATRON_BASE, "lr_decay_style": "inverse-square-root"}, 450,
              at={40: 3e-4, 400: pytest.approx(3e-4 * 0.1**0.5), 401: 3e-5}),
    # with no warmup, updates 0 and 1 both run at max_lr
    _megatron({**MEGATRON_BASE, "lr_warmup_steps": 0, "lr_decay_style": "inverse-square-root"}, 10,
              at={0: 3e-4, 1: 3e-4, 2: Below(3e-4)}),
    # counted in samples: the same lrs as the port counting iterations
    _megatron({**MEGATRON_BASE, "lr_decay_style": "cosine"}, 500, lib=lambda: megatron_lrs(_SAMPLES, 500, _GBS)),
]


@st.composite
def megatron_configs(draw: Any) -> Case:
    D = draw(st.integers(1, 300))
    w = draw(st.integers(0, D - 1))
    mx = draw(st.sampled_from([1e-4, 3e-4, 1e-3, 0.0]))
    lo = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])) * mx
    kw = dict(init_lr=draw(st.sampled_from([0.0, 0.5])) * mx, max_lr=mx, min_lr=lo, lr_warmup_steps=w,
              lr_decay_steps=D, lr_decay_style=draw(st.sampled_from(
                  ["constant", "linear", "cosine", "inverse-square-root", "WSD"])))
    if kw["lr_decay_style"] == "WSD":
        kw.update(wsd_decay_steps=draw(st.integers(0, D + 5)),
                  lr_wsd_decay_style=draw(st.sampled_from(["linear", "cosine", "exponential", "minus_sqrt"])))
    return _megatron(kw, D + 60)


MEGATRON_REFUSED = [  # Megatron's asserts
    Refusal({"schedule": "megatron.OptimizerParamScheduler", **kw},
            rf"^megatron\.OptimizerParamScheduler: {param}=.* is invalid; expected",
            lambda kw=kw: MegatronOptimizerParamScheduler(FakeOptimizer(), **kw), AssertionError) for kw, param in [
        ({**MEGATRON_BASE, "min_lr": 1e-3, "lr_decay_style": "linear"}, "max_lr"),  # max_lr < min_lr
        ({**MEGATRON_BASE, "init_lr": 1e-3, "lr_decay_style": "linear"}, "init_lr"),  # init_lr > max_lr
        ({**MEGATRON_BASE, "lr_warmup_steps": 1000, "lr_decay_style": "linear"}, "lr_warmup_steps"),
        ({**MEGATRON_BASE, "lr_decay_steps": 0, "lr_warmup_steps": 0, "lr_decay_style": "linear"}, "lr_decay_steps"),
        ({**MEGATRON_BASE, "lr_decay_style": "WSD"}, "wsd_decay_steps"),
    ]]


def test_megatron_refuses_what_fails_at_a_later_step():
    unknown = {**MEGATRON_BASE, "lr_decay_style": "step"}
    with pytest.raises(Exception, match="step decay style is not supported"):  # at update lr_warmup_steps + 1
        megatron_lrs(unknown, 42)
    no_style = {**MEGATRON_BASE, "lr_decay_style": "WSD", "wsd_decay_steps": 10}
    megatron_lrs(no_style, 391)
    with pytest.raises(AssertionError):  # coeff is None at the first annealed update
        megatron_lrs(no_style, 392)
    for kw, param in [(unknown, "lr_decay_style"), (no_style, "lr_wsd_decay_style")]:
        with pytest.raises(ValueError, match=rf"{param}=.* is invalid; expected one of"):
            spec_from_config({"schedule": "megatron.OptimizerParamScheduler", **kw})



# =========================================================================================
# fairseq: fairseq/optim/lr_scheduler/inverse_square_root_schedule.py and
# cosine_lr_scheduler.py, facebookresearch/fairseq commit
# 3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99 (__init__ and step_update verbatim; the
# FairseqLRScheduler base only stores cfg and optimizer).
# =========================================================================================


class FairseqInverseSquareRootSchedule:
    def __init__(self, cfg, optimizer):
        self.cfg, self.optimizer = cfg, optimizer
        if isinstance(cfg.lr, Collection) and len(cfg.lr) > 1:
            raise ValueError(
                "Cannot use a fixed learning rate schedule with inverse_sqrt."
                " Consider --lr-scheduler=fixed instead."
            )
        warmup_end_lr = cfg.lr[0] if isinstance(cfg.lr, Collection) else cfg.lr
        if cfg.warmup_init_lr < 0:
            cfg.warmup_init_lr = 0 if cfg.warmup_updates > 0 else warmup_end_lr

        # linearly warmup for the first cfg.warmup_updates
        self.lr_step = (warmup_end_lr - cfg.warmup_init_lr) / cfg.warmup_updates

        # then, decay prop. to the inverse square root of the update number
        self.decay_factor = warmup_end_lr * cfg.warmup_updates**0.5

        # initial learning rate
        self.lr = cfg.warmup_init_lr
        self.optimizer.set_lr(self.lr)

    def step_update(self, num_updates):
        """Update the learning rate after each update."""
        if num_updates < self.cfg.warmup_updates:
            self.lr = self.cfg.warmup_init_lr + num_updates * self.lr_step
        else:
            self.lr = self.decay_factor * num_updates**-0.5
        self.optimizer.set_lr(self.lr)
        return self.lr


class FairseqCosineLRSchedule:
    def __init__(self, cfg, fairseq_optimizer):
        self.cfg, self.optimizer = cfg, fairseq_optimizer
        if isinstance(cfg.lr, Collection) and len(cfg.lr) > 1:
            raise ValueError(
                "Cannot use a fixed learning rate schedule with cosine."
                f" Consider --lr-scheduler=fixed instead. ({cfg.lr})"
            )

        self.max_lr = cfg.lr[0] if isinstance(cfg.lr, Collection) else cfg.lr
        if self.max_lr < cfg.min_lr:
            cfg.min_lr = self.max_lr

        warmup_end_lr = self.max_lr
        if cfg.warmup_init_lr < 0:
            cfg.warmup_init_lr = cfg.min_lr

        self.t_mult = cfg.t_mult
        self.period = cfg.lr_period_updates

        if self.period <= 0:
            assert (
                cfg.max_update > 0
            ), "Either --max_update or --lr-period-updates must be set"
            self.period = cfg.max_update - cfg.warmup_updates

        if cfg.warmup_updates > 0:
            # linearly warmup for the first cfg.warmup_updates
            self.lr_step = (warmup_end_lr - cfg.warmup_init_lr) / cfg.warmup_updates
        else:
            self.lr_step = 1

        self.warmup_updates = cfg.warmup_updates
        self.lr_shrink = cfg.lr_shrink

        # initial learning rate
        self.lr = cfg.warmup_init_lr
        self.optimizer.set_lr(self.lr)

    def step_update(self, num_updates):
        """Update the learning rate after each update."""
        if num_updates < self.cfg.warmup_updates:
            self.lr = self.cfg.warmup_init_lr + num_updates * self.lr_step
        else:
            curr_updates = num_updates - self.cfg.warmup_updates
            if self.t_mult != 1:
                i = math.floor(
                    math.log(
                        1 - curr_updates / self.period * (1 - self.t_mult), self.t_mult
                    )
                )
                t_i = self.t_mult**i * self.period
                t_curr = (
                    curr_updates
                    - (1 - self.t_mult**i) / (1 - self.t_mult) * self.period
                )
            else:
                i = math.floor(curr_updates / self.period)
                t_i = self.period
                t_curr = curr_updates - (self.period * i)

            lr_shrink = self.lr_shrink**i
            min_lr = self.cfg.min_lr * lr_shrink
            max_lr = self.max_lr * lr_shrink

            self.lr = min_lr + 0.5 * (max_lr - min_lr) * (
                1 + math.cos(math.pi * t_curr / t_i)
            )

        self.optimizer.set_lr(self.lr)
        return self.lr


FAIRSEQ_DEFAULTS = {
    "inverse_sqrt": dict(warmup_updates=4000, warmup_init_lr=-1),
    "cosine": dict(warmup_updates=0, warmup_init_lr=-1, min_lr=0.0, t_mult=1.0, lr_period_updates=-1,
                   lr_shrink=0.1, max_update=0),
}


def fairseq_lrs(name: str, kw: dict[str, Any], n: int) -> list[float]:
    """fairseq's trainer: ``step_update(0)`` when the scheduler is built, then
    ``step_update(num_updates)`` after every update."""
    cfg = pytypes.SimpleNamespace(**{**FAIRSEQ_DEFAULTS[name], **kw})
    opt = FakeOptimizer()
    cls = FairseqInverseSquareRootSchedule if name == "inverse_sqrt" else FairseqCosineLRSchedule
    sched = cls(cfg, opt)
    sched.step_update(0)
    out = []
    for k in range(n):
        out.append(opt.get_lr())
        sched.step_update(k + 1)
    return out



def _fairseq(name: str, kw: dict[str, Any], n: int, **case: Any) -> Case:
    """fairseq's list of one lr is that lr: the port's config takes the lr itself (the harness
    builds an optimizer with it; ``test_fairseq_list_of_one_lr_is_that_lr``)."""
    lr = kw["lr"][0] if isinstance(kw["lr"], list) else kw["lr"]
    return Case({"schedule": f"fairseq.{name}", **kw, "lr": lr}, n, lib=lambda: fairseq_lrs(name, kw, n), **case)


_FAIRSEQ_ROWS = [
    ("inverse_sqrt", dict(lr=[5e-4]), 5000),
    ("inverse_sqrt", dict(lr=1e-3, warmup_updates=1, warmup_init_lr=1e-7), 400),
    ("inverse_sqrt", dict(lr=1e-3, warmup_updates=50, warmup_init_lr=2e-3), 400),  # a falling warmup
    ("cosine", dict(lr=[1e-3], max_update=500), 1600),  # period max_update, shrink 0.1 of both ends
    ("cosine", dict(lr=1e-3, lr_period_updates=100, lr_shrink=0.5, min_lr=1e-4, warmup_updates=30), 600),
    ("cosine", dict(lr=1e-3, lr_period_updates=1.0, lr_shrink=0.0, min_lr=1e-4, warmup_updates=3), 40),
    ("cosine", dict(lr=1e-3, lr_period_updates=10, t_mult=3.0, lr_shrink=0.9, min_lr=1e-4), 1400),
    ("cosine", dict(lr=1e-3, lr_period_updates=10, t_mult=1.1, lr_shrink=1.0, warmup_updates=7), 3000),
    ("cosine", dict(lr=1e-3, max_update=200, warmup_updates=20, t_mult=1.5, min_lr=1e-5, lr_shrink=0.7), 3000),
    ("cosine", dict(lr=1e-3, lr_period_updates=1, t_mult=2.0, lr_shrink=0.0, warmup_updates=2), 300),
    ("cosine", dict(lr=1e-3, lr_period_updates=20, t_mult=1.001, lr_shrink=0.9, min_lr=1e-4), 2000),
    ("cosine", dict(lr=1e-4, lr_period_updates=50, min_lr=1e-3, lr_shrink=1.0), 200),  # min_lr > lr: lowered
]

FAIRSEQ = [_fairseq(*row) for row in _FAIRSEQ_ROWS] + [
    # t_mult=3, period 10: update 1210 is the exact start of cycle 5, but log(243, 3) = 4.999...: fairseq
    # runs the floor of cycle 4 there, the peak one update later (test_fairseq_logarithm_puts_1210_in_cycle_4)
    _fairseq("cosine", dict(lr=1.0, lr_period_updates=10, t_mult=3.0, lr_shrink=0.5, min_lr=0.1), 1300,
             at={1210: pytest.approx(0.1 * 0.5**4, rel=1e-12), 1211: pytest.approx(0.5**5, rel=1e-3)}),
    # inverse_sqrt reaches lr at warmup_updates
    _fairseq("inverse_sqrt", dict(lr=1e-3, warmup_updates=10), 50,
             at={0: 0.0, 10: pytest.approx(1e-3, rel=1e-15), 40: pytest.approx(5e-4, rel=1e-15)}),
]


@st.composite
def fairseq_configs(draw: Any) -> Case:
    lr = draw(st.sampled_from([1e-4, 5e-4, 1e-3]))
    w = draw(st.integers(0, 40))
    init = draw(st.sampled_from([-1.0, 0.0, 1e-7, 2e-3]))
    if draw(st.booleans()):
        return _fairseq("inverse_sqrt", dict(lr=lr, warmup_updates=max(w, 1), warmup_init_lr=init), 300)
    kw = dict(lr=lr, warmup_updates=w, warmup_init_lr=init, min_lr=draw(st.sampled_from([0.0, 1e-5, 1e-4])),
              t_mult=draw(st.sampled_from([1.0, 1.1, 1.5, 2.0, 3.0])),
              lr_period_updates=draw(st.integers(1, 80)), lr_shrink=draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])))
    return _fairseq("cosine", kw, 600)


FAIRSEQ_REFUSED = [
    # warmup_updates=0: fairseq divides by it when it builds inverse_sqrt
    Refusal({"schedule": "fairseq.inverse_sqrt", "lr": 1e-3, "warmup_updates": 0},
            r"^fairseq\.inverse_sqrt: warmup_updates=0 is invalid; expected an integer >= 1",
            lambda: fairseq_lrs("inverse_sqrt", dict(lr=1e-3, warmup_updates=0), 2), ZeroDivisionError),
    # more than one lr: fairseq's own ValueError
    Refusal({"schedule": "fairseq.cosine", "lr": [1e-3, 1e-4], "max_update": 10},
            r"^fairseq\.cosine: lr=\[0\.001, 0\.0001\] is invalid",
            lambda: fairseq_lrs("cosine", dict(lr=[1e-3, 1e-4], max_update=10), 2), ValueError,
            "Cannot use a fixed learning rate schedule"),
    # no period: fairseq asserts max_update > 0
    Refusal({"schedule": "fairseq.cosine", "lr": 1e-3}, r"^fairseq\.cosine: max_update=0 is invalid",
            lambda: fairseq_lrs("cosine", dict(lr=1e-3), 2), AssertionError),
    # t_mult < 1: fairseq's logarithm fails at some update
    Refusal({"schedule": "fairseq.cosine", "lr": 1e-3, "lr_period_updates": 10, "t_mult": 0.5},
            r"^fairseq\.cosine: t_mult=0\.5 is invalid; expected a finite number >= 1\.0",
            lambda: fairseq_lrs("cosine", dict(lr=1e-3, lr_period_updates=10, t_mult=0.5), 100), ValueError,
            "math domain error"),
    Refusal({"schedule": "fairseq.cosine", "lr": 1e-3, "lr_period_updates": 10.5},
            r"lr_period_updates=10\.5 is invalid; expected a whole number"),
]


def test_fairseq_list_of_one_lr_is_that_lr():
    for name, kw, _ in _FAIRSEQ_ROWS:
        if isinstance(kw["lr"], list):
            cfg = {"schedule": f"fairseq.{name}", **kw}
            assert spec_from_config(cfg) == spec_from_config({**cfg, "lr": kw["lr"][0]})


def test_fairseq_logarithm_puts_1210_in_cycle_4():
    assert math.floor(math.log(1 - 1210 / 10 * (1 - 3.0), 3.0)) == 4


# =========================================================================================
# torchtitan: torchtitan/components/optimizer/lr_scheduler.py, pytorch/torchtitan commit
# b5bcd76c66d0acb1a08b176d9639425bc55e0b2a (LRSchedulersContainer.Config.build, its
# step arithmetic and linear_warmup_stable_decay verbatim; the warnings left out), the
# lambda driven by torch's LambdaLR as LRSchedulersContainer drives it.
# =========================================================================================


def torchtitan_lambda(*, total_steps: int, warmup_steps: int = 200, decay_ratio: float | None = None,
                      decay_type: str = "linear", min_lr_factor: float = 0.0) -> Any:
    warmup_steps = int(warmup_steps)

    if warmup_steps > total_steps:
        warmup_steps = total_steps

    if decay_ratio is not None:
        decay_steps = round(total_steps * decay_ratio)
        if warmup_steps + decay_steps > total_steps:
            decay_steps = total_steps - warmup_steps
    else:
        decay_steps = total_steps - warmup_steps
    # Add a virtual last step to prevent the learning rate from dropping to 0
    stable_steps = total_steps + 1 - warmup_steps - decay_steps
    lr_decay_type = decay_type

    def linear_warmup_stable_decay(
        current_step: int,
        warmup_steps: int,
        stable_steps: int,
        decay_steps: int,
        lr_decay_type: str,
        min_lr_factor: float,
    ):
        warmup_stable_steps = warmup_steps + stable_steps
        if current_step < warmup_steps:
            # linear warmup
            # 0-indexed step, hence + 1 adjustments
            current_step += 1
            assert (
                warmup_steps != 0
            ), "warmup_steps must not be zero to reach this branch"
            curr_adjustment = float(current_step / warmup_steps)
        elif current_step < warmup_stable_steps:
            curr_adjustment = 1.0
        else:
            # 0-indexed step, hence + 1 adjustments
            current_step += 1
            assert (
                decay_steps != 0
            ), "decay_steps must not be zero to reach this branch"
            progress = float(current_step - warmup_stable_steps) / decay_steps

            if lr_decay_type == "linear":
                curr_adjustment = 1 - progress
            elif lr_decay_type == "sqrt":
                curr_adjustment = 1 - math.sqrt(progress)
            elif lr_decay_type == "cosine":
                curr_adjustment = 0.5 * (1.0 + math.cos(math.pi * progress))
            else:
                raise ValueError(f"Unknown lr_decay_type: {lr_decay_type}")
            curr_adjustment = (
                min_lr_factor + (1 - min_lr_factor) * curr_adjustment
            )
        return curr_adjustment

    return functools.partial(
        linear_warmup_stable_decay,
        warmup_steps=warmup_steps,
        stable_steps=stable_steps,
        decay_steps=decay_steps,
        lr_decay_type=lr_decay_type,
        min_lr_factor=min_lr_factor,
    )


def torchtitan_lrs(lr: float, kw: dict[str, Any], n: int) -> list[float]:
    """LRSchedulersContainer: a LambdaLR stepped after every optimizer step (not after the
    last one asked for: ``step()`` computes the next update's factor)."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = LambdaLR(opt, torchtitan_lambda(**kw))
    out = []
    for k in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if k < n - 1:
            sched.step()
    return out



def _titan(kw: dict[str, Any], n: int, lr: float = 3e-4, **case: Any) -> Case:
    return Case({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": lr, **kw}, n, **case)


def _held(kw: dict[str, Any]) -> list[float]:
    """No decay: torchtitan asserts at update T + 1; the port holds the lr from there."""
    expected = torchtitan_lrs(0.1, kw, kw["total_steps"] + 1)  # updates 0..T
    with pytest.raises(AssertionError, match="decay_steps must not be zero"):  # update T + 1
        torchtitan_lrs(0.1, kw, kw["total_steps"] + 2)
    return expected + [0.1] * 49


_TITAN_ROWS = [
    (dict(total_steps=1000), 1300),  # torchtitan's defaults: warmup 200, linear decay to 0 from 200
    (dict(total_steps=1000, warmup_steps=100, decay_ratio=0.2, decay_type="sqrt"), 1300),
    (dict(total_steps=1000, warmup_steps=0, decay_ratio=0.5, decay_type="cosine", min_lr_factor=0.1), 3000),
    (dict(total_steps=100, warmup_steps=10, decay_ratio=0.3, decay_type="cosine", min_lr_factor=0.5), 400),
    (dict(total_steps=100, warmup_steps=1, decay_ratio=0.01, decay_type="cosine"), 120),  # 1-step decay
    (dict(total_steps=10, warmup_steps=2, decay_ratio=0.25), 30),  # round(2.5) = 2
    (dict(total_steps=10, warmup_steps=5, decay_ratio=0.8, decay_type="sqrt"), 30),  # decay cut to T - w
    # linear and sqrt with a floor: checked to the first update past T (the tails then cross 0,
    # where no float32 form keeps 1e-6 of an lr near 0; their float64 is checked further below)
    (dict(total_steps=200, warmup_steps=20, decay_ratio=0.4, min_lr_factor=0.1), 202),
    (dict(total_steps=200, warmup_steps=20, decay_ratio=0.4, decay_type="sqrt", min_lr_factor=0.1), 202),
]

TORCHTITAN = [_titan(kw, n) for kw, n in _TITAN_ROWS] + [
    # update 0 at lr / w, the peak at w - 1; one step in; 0 only at T, and negative past T
    _titan(dict(total_steps=10, warmup_steps=4, decay_ratio=0.5), 14, lr=1.0,
           at={0: 0.25, 3: 1.0, 6: 0.8, 9: pytest.approx(0.2), 10: 0.0, 11: pytest.approx(-0.2),
               13: pytest.approx(-0.6)}),
    _titan(dict(total_steps=10, warmup_steps=0, decay_type="cosine"), 40, lr=1.0,
           at={10: pytest.approx(0.0, abs=1e-16), 20: pytest.approx(1.0)}),  # back up past T
    *[_titan(kw, kw["total_steps"] + 50, lr=0.1, lib=lambda kw=kw: _held(kw))
      for kw in [dict(total_steps=100, warmup_steps=10, decay_ratio=0.0), dict(total_steps=5, warmup_steps=10)]],
]


def test_torchtitan_tails_with_a_floor_in_float64():
    for decay_type in ("linear", "sqrt"):
        kw = dict(total_steps=200, warmup_steps=20, decay_ratio=0.4, decay_type=decay_type, min_lr_factor=0.1)
        expected = np.array(torchtitan_lrs(3e-4, kw, 600))
        port = Schedule({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 3e-4, **kw})
        got = np.array([port(k) for k in range(600)])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
        assert expected[-1] < 0



@st.composite
def torchtitan_configs(draw: Any) -> Case:
    T = draw(st.integers(1, 250))
    kw = dict(total_steps=T, warmup_steps=draw(st.integers(0, T + 5)),
              decay_ratio=draw(st.one_of(st.none(), st.floats(0.0, 1.0), st.sampled_from([0.1, 0.5]))),
              decay_type=draw(st.sampled_from(["linear", "sqrt", "cosine"])))
    kw["min_lr_factor"] = draw(st.sampled_from([0.0, 0.5])) if kw["decay_type"] == "cosine" else 0.0
    w = min(kw["warmup_steps"], T)
    d = T - w if kw["decay_ratio"] is None else min(round(T * kw["decay_ratio"]), T - w)
    return _titan(kw, T + 1 if d == 0 else 2 * T + 40)  # no decay: torchtitan asserts past T (a case above)


TORCHTITAN_REFUSED = [Refusal({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 1e-3, **kw}, match)
                      for kw, match in [
    (dict(total_steps=0), r"total_steps=0 is invalid; expected an integer >= 1"),
    (dict(warmup_steps=10), r"missing required parameter 'total_steps'"),
]] + [Refusal({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 1e-3, "total_steps": 10,
               "decay_type": "step"}, r"decay_type='step' is invalid; expected one of",  # torchtitan: at the first decay
              lambda: torchtitan_lrs(1e-3, dict(total_steps=10, warmup_steps=2, decay_type="step"), 12), ValueError,
              "Unknown lr_decay_type")]


# =========================================================================================
# MaxText: src/maxtext/utils/maxtext_utils.py, AI-Hypercomputer/maxtext commit
# e591f30cbbf217ed67ef71263ec0538239f9c3b8 (create_learning_rate_schedule verbatim),
# with the -1 defaults of src/maxtext/configs/types.py; run over the installed optax in
# float64 (jax x64), counted from 0 as optax counts updates.
# =========================================================================================


class MaxTextTypes:
    class LearningRateScheduleType(str, Enum):
        COSINE = "cosine"
        WSD = "wsd"

    class WsdDecayStyle(str, Enum):
        LINEAR = "linear"
        COSINE = "cosine"


types = MaxTextTypes


def create_learning_rate_schedule(config):
    def make_cos_schedule(init_lr, final_lr, len_steps):
        def schedule(step):
            pct = step / (len_steps - 1) if len_steps > 1 else 1.0
            a = 0.5 * (jnp.cos(jnp.pi * pct) + 1)
            lr = init_lr * a + final_lr * (1 - a)
            return lr

        return schedule

    lr = config.learning_rate
    final_lr = lr * config.learning_rate_final_fraction
    warmup_steps = int(config.learning_rate_schedule_steps * config.warmup_steps_fraction)
    constant_zero_steps = config.steps - config.learning_rate_schedule_steps

    pieces = []
    boundaries = []

    if warmup_steps > 0:
        warmup_schedule = optax.linear_schedule(init_value=0.0, end_value=lr, transition_steps=warmup_steps)
        pieces.append(warmup_schedule)
        boundaries.append(warmup_steps)

    if config.lr_schedule_type == types.LearningRateScheduleType.COSINE:
        cos_steps = config.learning_rate_schedule_steps - warmup_steps
        if cos_steps > 0:
            cos_schedule = make_cos_schedule(lr, final_lr, cos_steps)
            pieces.append(cos_schedule)
            boundaries.append(warmup_steps + cos_steps)

    else:  # WSD
        decay_steps = int(config.learning_rate_schedule_steps * config.wsd_decay_steps_fraction)
        stable_steps = config.learning_rate_schedule_steps - warmup_steps - decay_steps

        if stable_steps > 0:
            stable_schedule = optax.constant_schedule(lr)
            pieces.append(stable_schedule)
            boundaries.append(warmup_steps + stable_steps)
        if decay_steps > 0:
            # Create decay schedule based on wsd_decay_style
            if config.wsd_decay_style == types.WsdDecayStyle.LINEAR:
                decay_schedule = optax.linear_schedule(init_value=lr, end_value=final_lr, transition_steps=decay_steps - 1)
            else:  # COSINE
                decay_schedule = make_cos_schedule(lr, final_lr, decay_steps)
            pieces.append(decay_schedule)
            boundaries.append(warmup_steps + stable_steps + decay_steps)

    if constant_zero_steps > 0:
        constant_schedule = optax.constant_schedule(0.0)
        pieces.append(constant_schedule)
        boundaries.append(config.learning_rate_schedule_steps)

    return optax.join_schedules(pieces, boundaries)


MAXTEXT_DEFAULTS = dict(learning_rate=3.0e-5, lr_schedule_type="cosine", learning_rate_final_fraction=0.1,
                        wsd_decay_steps_fraction=0.1, wsd_decay_style="linear", warmup_steps_fraction=0.1,
                        learning_rate_schedule_steps=-1, steps=150_001)


def maxtext_schedule(kw: dict[str, Any]) -> Any:
    """MaxText's schedule for a port config's parameters (call it under x64)."""
    config = pytypes.SimpleNamespace(**{**MAXTEXT_DEFAULTS, **kw})
    config.lr_schedule_type = types.LearningRateScheduleType(config.lr_schedule_type)
    config.wsd_decay_style = types.WsdDecayStyle(config.wsd_decay_style)
    # types.py: "-1 defaults to steps" and "-1 defaults to learning_rate_schedule_steps"
    if config.learning_rate_schedule_steps == -1:
        config.learning_rate_schedule_steps = config.steps
    if config.steps == -1:
        config.steps = config.learning_rate_schedule_steps
    return create_learning_rate_schedule(config)


def maxtext_lrs(kw: dict[str, Any], n: int) -> np.ndarray:
    with jax.enable_x64(True):
        return np.asarray(jax.vmap(maxtext_schedule(kw))(jnp.arange(n, dtype=jnp.int64)), np.float64)


def maxtext_truths(cases: list[Case]) -> list[np.ndarray]:
    """MaxText's float64 values of the fixed cases: each schedule jitted as MaxText's train
    step jits it, under x64 at int64 steps, in one XLA program (``JitTables``); op by op
    (:func:`maxtext_lrs`) where that gives a NaN or an inf."""
    out = JitTables([_kw(c.cfg) for c in cases], [np.arange(c.n) for c in cases], maxtext_schedule, forms=("x64",),
                    chunk=max(1, len(cases))).form("x64")
    return [v if np.isfinite(v).all() else maxtext_lrs(_kw(c.cfg), c.n) for v, c in zip(out, cases)]


def _kw(cfg: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cfg.items() if k != "schedule"}


def _maxtext(kw: dict[str, Any], n: int, **case: Any) -> Case:
    return Case({"schedule": "maxtext.create_learning_rate_schedule", **kw}, n, **case)


_MAXTEXT_ROWS = [
    (dict(learning_rate=3e-4, learning_rate_schedule_steps=1000, steps=1200), 1400),
    (dict(learning_rate=3e-4, steps=1000), 2500),  # steps == schedule: the cosine goes on past its end
    (dict(learning_rate=1e-3, learning_rate_schedule_steps=100, steps=-1, learning_rate_final_fraction=0.0,
          warmup_steps_fraction=0.29), 300),  # int(100 * 0.29) = 28
    (dict(learning_rate=1e-3, learning_rate_schedule_steps=100, steps=130, warmup_steps_fraction=1.0), 200),
    (dict(learning_rate=1e-3, learning_rate_schedule_steps=101, steps=150, warmup_steps_fraction=1 - 1 / 101), 200),
    (dict(learning_rate=1e-3, lr_schedule_type="wsd", learning_rate_schedule_steps=1000, steps=1100), 1200),
    (dict(learning_rate=1e-3, lr_schedule_type="wsd", wsd_decay_style="cosine", learning_rate_schedule_steps=100,
          steps=100, learning_rate_final_fraction=0.0), 400),
    (dict(learning_rate=1e-3, lr_schedule_type="wsd", wsd_decay_steps_fraction=0.01, learning_rate_schedule_steps=100,
          steps=110), 150),  # a 1-step linear decay is lr
    (dict(learning_rate=1e-3, lr_schedule_type="wsd", wsd_decay_steps_fraction=0.7, warmup_steps_fraction=0.5,
          learning_rate_schedule_steps=100, steps=130), 200),  # no stable phase
    (dict(learning_rate=1e-3, lr_schedule_type="wsd", wsd_decay_steps_fraction=0.0, warmup_steps_fraction=0.0,
          learning_rate_schedule_steps=50, steps=60), 100),
]


MAXTEXT = [_maxtext(kw, n) for kw, n in _MAXTEXT_ROWS] + [
    _maxtext(dict(learning_rate=1.0, learning_rate_schedule_steps=20, steps=25, warmup_steps_fraction=0.25), 30,
             at={0: 0.0, 5: 1.0, 19: pytest.approx(0.1), 20: 0.0, 29: 0.0}),
    _maxtext(dict(learning_rate=1.0, learning_rate_schedule_steps=20, steps=20, warmup_steps_fraction=0.25), 60,
             at={19: pytest.approx(0.1), 33: pytest.approx(1.0)}),  # the cosine past its end, back up
]


@st.composite
def maxtext_configs(draw: Any) -> Case:
    L = draw(st.integers(1, 200))
    kw = dict(learning_rate=draw(st.sampled_from([3e-5, 1e-3])),
              lr_schedule_type=draw(st.sampled_from(["cosine", "wsd"])),
              learning_rate_final_fraction=draw(st.sampled_from([0.0, 0.1, 1.0])),
              wsd_decay_steps_fraction=draw(st.floats(0.0, 1.0)),
              wsd_decay_style=draw(st.sampled_from(["linear", "cosine"])),
              warmup_steps_fraction=draw(st.floats(0.0, 1.0)),
              learning_rate_schedule_steps=L, steps=draw(st.sampled_from([-1, L, L + 17, max(1, L // 2)])))
    return _maxtext(kw, 2 * L + 30)


MAXTEXT_REFUSED = [Refusal({"schedule": "maxtext.create_learning_rate_schedule", **kw}, match) for kw, match in [
    (dict(learning_rate_schedule_steps=-1, steps=-1), r"learning_rate_schedule_steps=-1 is invalid"),
    (dict(steps=0), r"steps=0 is invalid; expected -1 or an integer >= 1"),
    (dict(warmup_steps_fraction=1.5), r"warmup_steps_fraction=1.5 is invalid"),
]] + [Refusal({"schedule": "maxtext.create_learning_rate_schedule", "wsd_decay_style": "exp"},
              r"wsd_decay_style='exp' is invalid", lambda: MaxTextTypes.WsdDecayStyle("exp"))]  # MaxText's enum


# =========================================================================================
# nanoGPT: train.py, karpathy/nanoGPT commit 3adf61e154c3fe3fca428ad6bc3818b27a3b8291
# (get_lr verbatim; its globals are the config block's, given here as parameters; the
# training loop sets ``lr = get_lr(iter_num) if decay_lr else learning_rate`` for every
# iter_num from 0).
# =========================================================================================


def nanogpt_lrs(n: int, learning_rate: float = 6e-4, warmup_iters: int = 2000, lr_decay_iters: int = 600000,
                min_lr: float = 6e-5, decay_lr: bool = True) -> list[float]:
    # learning rate decay scheduler (cosine with warmup)
    def get_lr(it):
        # 1) linear warmup for warmup_iters steps
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        # 2) if it > lr_decay_iters, return min learning rate
        if it > lr_decay_iters:
            return min_lr
        # 3) in between, use cosine decay down to min learning rate
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio)) # coeff ranges 0..1
        return min_lr + coeff * (learning_rate - min_lr)

    return [get_lr(iter_num) if decay_lr else learning_rate for iter_num in range(n)]



def _nanogpt(kw: dict[str, Any], n: int, **case: Any) -> Case:
    return Case({"schedule": "nanogpt.get_lr", **kw}, n, **case)


_NANOGPT_ROWS = [
    (dict(warmup_iters=20, lr_decay_iters=600), 700),  # nanoGPT's lr and min_lr, shorter phases
    (dict(learning_rate=1e-3, warmup_iters=100, lr_decay_iters=5000, min_lr=1e-4), 5200),  # shakespeare_char
    (dict(learning_rate=1e-3, warmup_iters=0, lr_decay_iters=100, min_lr=0.0), 200),
    (dict(learning_rate=1e-3, warmup_iters=1, lr_decay_iters=2, min_lr=1e-4), 10),
    (dict(learning_rate=1e-3, warmup_iters=50, lr_decay_iters=20, min_lr=1e-4), 100),  # decay before warmup ends
    (dict(learning_rate=1e-3, warmup_iters=50, decay_lr=False), 100),
]

NANOGPT = [_nanogpt(kw, n) for kw, n in _NANOGPT_ROWS]


@st.composite
def nanogpt_configs(draw: Any) -> Case:
    w = draw(st.integers(0, 100))
    d = draw(st.integers(0, 300).filter(lambda d: d != w))
    kw = dict(learning_rate=draw(st.sampled_from([6e-4, 1e-3])), warmup_iters=w, lr_decay_iters=d,
              min_lr=draw(st.sampled_from([0.0, 6e-5, 6e-4])), decay_lr=draw(st.booleans()))
    return _nanogpt(kw, max(w, d) + 50)


NANOGPT_REFUSED = [Refusal({"schedule": "nanogpt.get_lr", "warmup_iters": 10, "lr_decay_iters": 10},
                           r"^nanogpt\.get_lr: lr_decay_iters=10 is invalid; expected an integer >= 0 "
                           r"other than warmup_iters \(10\)",
                           lambda: nanogpt_lrs(20, warmup_iters=10, lr_decay_iters=10), ZeroDivisionError)]


ADAPTERS = [
    Adapter("megatron", lambda cfg, n: megatron_lrs(_kw(cfg), n), MEGATRON, drawn=[megatron_configs()],
            refused=MEGATRON_REFUSED),
    Adapter("fairseq", lambda cfg, n: fairseq_lrs(cfg["schedule"].removeprefix("fairseq."), _kw(cfg), n), FAIRSEQ,
            drawn=[fairseq_configs()], refused=FAIRSEQ_REFUSED),
    Adapter("torchtitan", lambda cfg, n: torchtitan_lrs(cfg["lr"], {k: v for k, v in _kw(cfg).items() if k != "lr"}, n),
            TORCHTITAN, drawn=[torchtitan_configs()], refused=TORCHTITAN_REFUSED),
    Adapter("maxtext", lambda cfg, n: maxtext_lrs(_kw(cfg), n), MAXTEXT, drawn=[maxtext_configs()],
            refused=MAXTEXT_REFUSED, drawn_slow=True, values_of_cases=maxtext_truths),  # drawn configs: 12 s, in make test-all
    Adapter("nanogpt", lambda cfg, n: nanogpt_lrs(n, **_kw(cfg)), NANOGPT, drawn=[nanogpt_configs()],
            refused=NANOGPT_REFUSED),
]


def test_nanogpt_warmup_never_reaches_the_peak():
    lrs = compare(ADAPTERS[4], _nanogpt(dict(learning_rate=1.0, warmup_iters=4, lr_decay_iters=10, min_lr=0.1), 12))
    assert lrs[:5].tolist() == [0.2, 0.4, 0.6, 0.8, 1.0] and lrs.tolist().count(1.0) == 1 and lrs[10] == lrs[11] == 0.1
