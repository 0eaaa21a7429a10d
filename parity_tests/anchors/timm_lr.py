"""timm's schedulers (``timm/scheduler/*.py``, timm 1.0.31), driven as timm's ``train.py``
drives them, against our ports ``"timm.<Name>"`` (the adapter of ``test_anchors.py``).

``import timm`` fails here: timm's ``__init__`` imports torchvision, whose CPU build lacks
``torchvision::nms``. ``timm/scheduler/*`` needs only torch, so the scheduler modules are
loaded without running timm's own ``__init__``: an empty package module ``timm`` whose
``__path__`` is the installed folder is put in ``sys.modules``, then ``timm.scheduler`` is
imported normally (its own ``__init__`` imports only the schedulers and their factory,
which need nothing but torch).

A timm scheduler is stepped with the count the user passes: ``step_update(num_updates=k)``
after the k-th optimizer update (``t_in_epochs=False``) or ``step(epoch)`` at the end of each
epoch (``t_in_epochs=True``); the lr of update (epoch) ``k`` is read from
``opt.param_groups[0]["lr"]`` before it, so step 0 is what timm writes at construction.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import math
import sys
import types
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import strategies as st
from pytest import approx

import warmup_torch
from parity_tests.anchor_harness import Adapter, Case, Live, Refusal, check
from warmup_spec import Schedule, spec_from_config


def _timm_scheduler() -> Any:
    """``timm.scheduler`` without timm's own ``__init__`` (see the module docstring)."""
    if "timm" not in sys.modules:
        found = importlib.machinery.PathFinder.find_spec("timm")
        if found is None or not found.submodule_search_locations:
            pytest.skip("timm is not installed", allow_module_level=True)
        package = types.ModuleType("timm")
        package.__path__ = list(found.submodule_search_locations)
        package.__spec__ = found  # importlib.util.find_spec("timm") (transformers asks) keeps working
        sys.modules["timm"] = package
    return importlib.import_module("timm.scheduler")


TS = _timm_scheduler()


class Raised:
    """Where timm raised (or wrote a complex lr) while it was driven."""

    def __init__(self) -> None:
        self.steps: dict[int, str] = {}


def drive(sched: Any, opt: torch.optim.Optimizer, n: int, *, epochs: bool, group: int = 0,
          raised: Raised | None = None) -> list[Any]:
    """The lr of each of ``n`` updates (epochs) of a timm scheduler, stepped as its users do.

    Where timm raises at a step (``math domain error`` past ``t_initial / (1 - cycle_mul)``,
    a complex power), ``raised`` records it and the lr it left in place stays.
    """
    out: list[Any] = []
    for k in range(n):
        out.append(opt.param_groups[group]["lr"])
        opt.step()
        try:
            if epochs:
                sched.step(k + 1)  # end of epoch k: the lr of epoch k + 1
            else:
                sched.step_update(num_updates=k + 1)
        except (ValueError, TypeError) as e:
            if raised is None:
                raise
            raised.steps[k + 1] = type(e).__name__
    return out


def timm_lrs(name: str, lr: float, n: int, kw: dict[str, Any], *, epochs: bool = False,
             raised: Raised | None = None) -> list[Any]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = getattr(TS, name)(opt, t_in_epochs=epochs, **kw)
    return drive(sched, opt, n, epochs=epochs, raised=raised)


def cfg_of(name: str, lr: float, kw: dict[str, Any], epochs: bool = False) -> dict[str, Any]:
    return {"schedule": f"timm.{name}", "lr": lr, **kw, "t_in_epochs": epochs}


C, TA, P, S, M = "CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler", "StepLRScheduler", "MultiStepLRScheduler"
_ROWS: list[tuple[Any, ...]] = [  # (name, kw, lr, steps[, quirks: step -> value])
    # cosine: defaults (one cycle, then lr_min forever), timm's factory warmup, prefix, lr_min
    (C, dict(t_initial=200), 0.1, 500),
    (C, dict(t_initial=300, lr_min=1e-5, warmup_t=20, warmup_lr_init=1e-6), 5e-4, 700),
    (C, dict(t_initial=100, lr_min=1e-3, warmup_t=10, warmup_lr_init=1e-4, warmup_prefix=True), 0.1, 300),
    # restarts: equal cycles with decay, 1-step cycles, warmup of 1
    (C, dict(t_initial=50, cycle_decay=0.5, cycle_limit=4, lr_min=1e-4), 0.1, 300),
    (C, dict(t_initial=1, cycle_decay=0.9, cycle_limit=30, warmup_t=1), 0.1, 60),
    # growing cycles: m = 2 exact, m = 10 (timm late at 111), m = 1.1 (timm early at 210, 331)
    (C, dict(t_initial=20, cycle_mul=2.0, cycle_decay=0.7, cycle_limit=5, k_decay=2.0), 1e-3, 800),
    (C, dict(t_initial=1, cycle_mul=10.0, cycle_decay=0.5, cycle_limit=5), 0.1, 1300),
    (C, dict(t_initial=100, cycle_mul=1.1, cycle_limit=6, lr_min=1e-5, warmup_t=5, warmup_prefix=True), 0.1, 900),
    # shrinking cycles: timm raises from t_initial / (1 - cycle_mul) = 400 on (lr_min held); all
    # 9 cycles that start within 1000 of their lengths; shrinking cycles that end within the warmup
    (C, dict(t_initial=200, cycle_mul=0.5, cycle_limit=3, cycle_decay=0.8), 0.1, 500),
    (C, dict(t_initial=64, cycle_mul=0.5, cycle_limit=9, cycle_decay=0.9, lr_min=1e-4), 0.1, 200),
    (C, dict(t_initial=10, cycle_mul=0.5, warmup_t=25, warmup_lr_init=1e-3), 0.1, 60),
    (C, dict(t_initial=1000, k_decay=0.5, lr_min=2e-4), 0.1, 1100),
    # a negative cycle_decay: the peak's sign alternates (odd cycles rise from -lr |d|**i to lr_min)
    (C, dict(t_initial=20, cycle_decay=-0.5, cycle_limit=4, lr_min=1e-3), 0.1, 100,  # cycle i peaks at lr d**i
     {20: -0.05, 30: approx(-0.0245, rel=1e-14), 40: approx(0.025, rel=1e-14), 80: 1e-3}),  # lr_min not scaled
    (C, dict(t_initial=10, cycle_mul=1.5, cycle_decay=-0.8, cycle_limit=5, k_decay=2.0, warmup_t=3), 0.1, 200),
    # tanh: defaults (step 0 is the base lr, not timm's formula at 0), warmup towards the curve
    (TA, dict(t_initial=300), 0.1, 400),
    (TA, dict(t_initial=200, warmup_t=15, warmup_lr_init=1e-4, lr_min=1e-3), 0.1, 300),
    (TA, dict(t_initial=60, lb=-4.0, ub=6.0, cycle_mul=1.5, cycle_decay=0.6, cycle_limit=4, warmup_t=5,
              warmup_prefix=True), 0.1, 600),
    (TA, dict(t_initial=500, lb=-20.0, ub=20.0, cycle_limit=2), 1.0, 1100),
    # poly: timm's default power 0.5, k-decay and restarts, power 0
    (P, dict(t_initial=400), 0.1, 500),
    (P, dict(t_initial=100, power=2.0, k_decay=3.0, lr_min=1e-4, cycle_mul=1.5, cycle_limit=3, cycle_decay=0.5,
             warmup_t=8), 0.1, 600),
    (P, dict(t_initial=30, power=0.0, cycle_limit=3, cycle_decay=0.5), 0.1, 120),
    (P, dict(t_initial=30, power=2.0, cycle_limit=4, cycle_decay=-1.0, cycle_mul=2.0), 0.1, 500),
    (TA, dict(t_initial=40, cycle_limit=3, cycle_decay=-2.0, lr_min=1e-2), 0.1, 130),
    # step: integer stairs, float stairs (EfficientNet's 2.4 epochs; 2.1's float above 2.1), constant
    (S, dict(decay_t=30, decay_rate=0.1), 0.1, 200),
    (S, dict(decay_t=2.4, decay_rate=0.97, warmup_t=3, warmup_lr_init=1e-6), 0.256, 400),
    (S, dict(decay_t=2.1, decay_rate=0.5, warmup_t=4, warmup_prefix=False), 0.1, 100),
    (S, dict(decay_t=242.4, decay_rate=0.97), 0.1, 2500),  # 2.4 epochs of 101 updates
    (S, dict(decay_t=1, warmup_t=10, warmup_lr_init=1e-3), 0.1, 50),
    # multistep: milestones applied one step early, a milestone at 1, repeated milestones
    (M, dict(decay_t=[30, 60, 90], decay_rate=0.1), 0.1, 150),
    (M, dict(decay_t=[1, 20, 20, 45], decay_rate=0.5), 0.1, 80),
    (M, dict(decay_t=[10, 30], decay_rate=0.5, warmup_t=5, warmup_lr_init=1e-4, warmup_prefix=False), 0.1, 60),
]



def values(cfg: dict[str, Any], n: int) -> list[Any]:
    """timm's lrs for a port config, driven per update or per epoch (``t_in_epochs``). timm
    raises only past the end of shrinking cycles, from ``t_initial / (1 - cycle_mul)`` on (on
    the decay's clock), and at every step after: where, is checked here."""
    kw = {k: v for k, v in cfg.items() if k not in ("schedule", "lr", "t_in_epochs")}
    raised = Raised()
    expected = timm_lrs(cfg["schedule"].removeprefix("timm."), cfg["lr"], n, kw, epochs=cfg["t_in_epochs"],
                        raised=raised)
    shrinking = kw.get("cycle_mul", 1.0) < 1.0
    assert set(raised.steps.values()) <= {"ValueError"} and bool(raised.steps) == shrinking, raised.steps
    if shrinking:
        w = kw.get("warmup_t", 0)
        first = math.ceil(kw["t_initial"] / (1 - kw["cycle_mul"])) + (w if kw.get("warmup_prefix") else 0)
        assert sorted(raised.steps) == list(range(max(first, w), n + 1))
    assert all(not isinstance(v, complex) for v in expected)
    return expected


CASES = [Case(cfg_of(row[0], row[2], row[1]), row[3], at=row[4] if len(row) > 4 else {}) for row in _ROWS] + [
    # quirks: cycle_mul=10: log(1000, 10) = 2.9999999999999996: step 111 ends cycle 2 (lr_min) instead of
    # starting cycle 3 (0.1 * 0.5**3); cycle_mul=1.1 (the float is above 1.1): step 210 already restarts cycle 2
    Case(cfg_of(C, 0.1, dict(t_initial=1, cycle_mul=10.0, cycle_decay=0.5, cycle_limit=5, lr_min=1e-3)), 113,
         at={111: 1e-3, 112: approx(1e-3 + (0.1 * 0.5**3 - 1e-3) * (1 + math.cos(math.pi / 1000)) / 2, rel=1e-12)}),
    Case(cfg_of(C, 0.1, dict(t_initial=100, cycle_mul=1.1, cycle_decay=0.5, cycle_limit=4)), 212,
         at={210: approx(0.1 * 0.5**2, rel=1e-15)}),
    # the warmup never reaches lr, and overlaps the decay
    Case(cfg_of(C, 1.0, dict(t_initial=100, warmup_t=10)), 12,
         at={9: approx(0.9, rel=1e-15), 10: approx((1 + math.cos(math.pi * 0.1)) / 2, rel=1e-15)}),
    # 21 // 2.1 == 9.0: the float 2.1 is above 2.1, the tenth decay comes at 22
    Case(cfg_of(S, 1.0, dict(decay_t=2.1, decay_rate=0.5)), 23, at={21: 0.5**9, 22: 0.5**10}),
] + [
    # t_in_epochs=True: step(epoch) at the end of each epoch; our step is the epoch
    Case(cfg_of(name, lr, kw, epochs=True), n) for name, kw, lr, n in [
        (C, dict(t_initial=40, warmup_t=5, warmup_lr_init=1e-3, cycle_decay=0.5, cycle_limit=3), 0.1, 150),
        (TA, dict(t_initial=90, warmup_t=4), 0.1, 120),
        (M, dict(decay_t=[2, 6], decay_rate=0.3, warmup_t=2), 0.1, 12),
    ]]

@st.composite
def timm_configs(draw: Any) -> Case:
    name = draw(st.sampled_from([C, TA, P, S, M]))
    lr = draw(st.sampled_from([1e-4, 3e-3, 0.1, 1.0]))
    w = draw(st.sampled_from([0, 0, 1, 7, 25]))
    kw: dict[str, Any] = dict(warmup_t=w, warmup_lr_init=draw(st.sampled_from([0.0, 1e-6, lr / 3])))
    if w:
        kw["warmup_prefix"] = draw(st.booleans())
    if name in (S, M):
        kw["decay_rate"] = draw(st.sampled_from([0.1, 0.5, 0.97, 1.0]))
        if name == S:
            kw["decay_t"] = draw(st.sampled_from([1, 7, 30, 2.4, 2.5, 3.3, 12.7, 1000 / 3]))
        else:
            kw["decay_t"] = sorted(draw(st.lists(st.integers(0, 150), max_size=5)))
        return Case(cfg_of(name, lr, kw), 200)
    T = draw(st.integers(1, 120))
    m = draw(st.sampled_from([1.0, 1.0, 2.0, 1.5, 3.0, 1.25, 0.75]))
    kw.update(t_initial=T, cycle_mul=m, cycle_limit=draw(st.integers(0, 6)),
              cycle_decay=draw(st.sampled_from([1.0, 0.5, 0.9])), lr_min=draw(st.sampled_from([0.0, lr / 100])))
    if name == TA:
        if m < 1.0 and w:  # timm raises when it is built (it evaluates the curve at warmup_t)
            kw["warmup_prefix"] = True
        lb = draw(st.sampled_from([-7.0, -3.0, -12.0, 0.5]))
        kw.update(lb=lb, ub=lb + draw(st.sampled_from([10.0, 4.0, 25.0])))
    else:
        kw["k_decay"] = draw(st.sampled_from([1.0, 0.5, 2.0]))
        if name == P:
            kw["power"] = draw(st.sampled_from([0.5, 1.0, 2.0, 0.1]))
    return Case(cfg_of(name, lr, kw), 600)


REFUSED = [Refusal(cfg, match) for cfg, match in [
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=0), r"t_initial=0 is invalid; expected an integer >= 1"),
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=10, lr_min=-1.0), r"lr_min=-1.0 is invalid"),
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=10, cycle_mul=0.0), r"cycle_mul=0.0 is invalid; expected .* > 0"),
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=10, noise_range_t=5), r"noise_range_t=5 is invalid.*not ported"),
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=10, noise_std=0.5), r"noise_std=0.5 is invalid.*not ported"),
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=10, k_decay=0.0), r"k_decay=0.0 is invalid"),
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=1, cycle_mul=1.00001, cycle_limit=10**6),
     r"cycle_limit=1000000 is invalid; expected an integer in \[0, 1006\] with cycle_mul=1.00001"),
    (dict(schedule=f"timm.{P}", lr=0.1, t_initial=10, cycle_mul=0.5, cycle_limit=10),
     r"cycle_limit=10 is invalid; expected an integer in \[0, 9\]"),
    (dict(schedule=f"timm.{TA}", lr=0.1, t_initial=10, cycle_mul=0.5, warmup_t=20),
     r"warmup_t=20 is invalid; expected an integer < 20 with cycle_mul=0.5 and warmup_prefix=False"),
    (dict(schedule=f"timm.{C}", lr=0.1, t_initial=10, cycle_decay=1e30, cycle_limit=5), r"cycle_decay=1e\+30"),
    (dict(schedule=f"timm.{TA}", lr=0.1, t_initial=10, lb=3.0, ub=3.0), r"ub=3.0 is invalid; expected .* > 3.0"),
    (dict(schedule=f"timm.{TA}", lr=0.1, t_initial=10, warmup_t=-1), r"warmup_t=-1 is invalid"),
    (dict(schedule=f"timm.{TA}", lr=0.1, t_initial=10, cycle_limit=-1), r"cycle_limit=-1 is invalid"),
    (dict(schedule=f"timm.{P}", lr=0.1, t_initial=10, power=-0.5), r"power=-0.5 is invalid"),
    (dict(schedule=f"timm.{S}", lr=0.1, decay_t=0.5), r"decay_t=0.5 is invalid"),
    (dict(schedule=f"timm.{S}", lr=0.1, decay_t=math.pi), r"decay_t=3.14159\d+ is invalid.*a fraction P / Q"),
    (dict(schedule=f"timm.{S}", lr=0.1, decay_t=10, warmup_prefix=1), r"warmup_prefix=1 is invalid"),
    (dict(schedule=f"timm.{M}", lr=0.1, decay_t=[10.5]), r"decay_t\[0\]=10.5 is invalid"),
]]


def _drive_groups(sched: Any, opt: torch.optim.Optimizer, n: int) -> list[list[float]]:
    out = []
    for k in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step_update(num_updates=k + 1)
    return out


def _live(name: str, kw: dict[str, Any]) -> Live:
    """``warmup_torch.to_config(timm_sched)`` for three param groups (different base lrs; timm's
    ``lr_scale``): one config a group, the third a ``scaled`` one."""
    def shape(cfg: Any, sched: Any) -> None:
        assert isinstance(cfg, list) and len(cfg) == 3
        assert cfg[0] == {"schedule": f"timm.{name}", "lr": 0.1, **{k: getattr(sched, k) for k in cfg[0] if
                                                                      k not in ("schedule", "lr")}}
        assert cfg[1]["lr"] == 0.02 and cfg[2] == {"schedule": "scaled", "base": cfg[0], "factor": 0.25}
    return Live(name, lambda opt: getattr(TS, name)(opt, t_in_epochs=False, **kw), 250,
                groups=(None, 0.02, {"lr_scale": 0.25}), shape=shape, atol=1e-14)


LIVE = [_live(*row) for row in [
    (C, dict(t_initial=60, lr_min=1e-5, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3, warmup_t=6,
             warmup_lr_init=1e-4, k_decay=1.5)),
    (TA, dict(t_initial=80, lb=-5.0, ub=4.0, warmup_t=5, warmup_prefix=True)),
    (P, dict(t_initial=70, power=0.9, cycle_limit=2, cycle_decay=0.3)),
    (S, dict(decay_t=2.4, decay_rate=0.97, warmup_t=3)),
    (M, dict(decay_t=[10, 30, 30], decay_rate=0.5)),
]]

ADAPTER = Adapter("timm", values, CASES, drawn=[timm_configs()], refused=REFUSED, live=LIVE, drive=_drive_groups)


# --- timm's own: quirks with their values ----------------------------------------------------

def test_timm_quirk_step0_is_the_construction_lr():
    # tanh's formula at 0 is (1 - tanh(-7)) / 2 = 0.99999917 of the lr; timm writes the lr itself
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = TS.TanhLRScheduler(opt, t_initial=100, t_in_epochs=False)
    assert opt.param_groups[0]["lr"] == 0.1 and sched._get_lr(0)[0] == pytest.approx(0.1 * 0.99999916847, rel=1e-9)
    f = Schedule(cfg_of(TA, 0.1, dict(t_initial=100)))
    assert f(0) == 0.1 and f(1) == pytest.approx(sched._get_lr(1)[0], rel=1e-13)
    # a multistep milestone at 1 applies from timm's formula at 0, but not at the construction
    f = Schedule(cfg_of(M, 0.1, dict(decay_t=[1], decay_rate=0.5)))
    assert [f(0), f(1)] == timm_lrs(M, 0.1, 2, dict(decay_t=[1], decay_rate=0.5)) == [0.1, 0.05]


def test_timm_refused_where_timm_refuses_to_build():
    """tanh evaluates its curve at warmup_t when it is built: past shrinking cycles timm raises."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="math domain error"):
        TS.TanhLRScheduler(opt, t_initial=10, cycle_mul=0.5, warmup_t=20)
    with pytest.raises(ValueError, match="warmup_t=20 is invalid"):
        spec_from_config(cfg_of(TA, 0.1, dict(t_initial=10, cycle_mul=0.5, warmup_t=20)))
    TS.TanhLRScheduler(opt, t_initial=10, cycle_mul=0.5, warmup_t=19)
    spec_from_config(cfg_of(TA, 0.1, dict(t_initial=10, cycle_mul=0.5, warmup_t=19)))


def test_timm_quirk_complex_power_where_timm_starts_a_cycle_early():
    """cycle_mul=1.1, t_initial=100: timm puts step 331 in cycle 3 at t_curr = -1.1e-13; a
    fractional k_decay takes a complex power there (cosine: TypeError in math.cos; poly: a
    complex lr). The port gives the cycle's peak (t_curr taken as 0); every other step is timm's."""
    kw = dict(t_initial=100, cycle_mul=1.1, cycle_decay=0.5, cycle_limit=5, k_decay=0.5)
    raised = Raised()
    lrs = timm_lrs(C, 0.1, 700, kw, raised=raised)
    assert raised.steps == {331: "TypeError"}
    lrs[331] = 0.1 * 0.5**3  # the peak of cycle 3
    check("timm", cfg_of(C, 0.1, kw), lrs)
    poly = timm_lrs(P, 0.1, 700, dict(kw, power=1.0))
    assert isinstance(poly[331], complex) and sum(isinstance(v, complex) for v in poly) == 1
    poly[331] = 0.1 * 0.5**3
    check("timm", cfg_of(P, 0.1, dict(kw, power=1.0)), poly)


@pytest.mark.parametrize("name,kw,lr,equivalent", [
    (C, dict(t_initial=100, lr_min=1e-4, warmup_t=10, warmup_lr_init=1e-3, warmup_prefix=True), 0.1,
     "warmup_cosine_decay"),
    (C, dict(t_initial=30, cycle_decay=0.5, cycle_limit=4, lr_min=1e-4), 0.1, "warmup_cosine_restarts"),
    (C, dict(t_initial=20, cycle_mul=2.0, cycle_limit=3, warmup_t=5, warmup_prefix=True), 0.1,
     "warmup_cosine_restarts"),
    (P, dict(t_initial=80, power=2.0, lr_min=1e-3), 0.1, "warmup_polynomial_decay"),
    (S, dict(decay_t=30.0, decay_rate=0.5, warmup_t=5, warmup_lr_init=1e-4), 0.1, "warmup_exponential_decay"),
])
def test_timm_catalogue_equivalents(name, kw, lr, equivalent):
    """The porting guide's "catalogue equivalent" column: equal at every step."""
    spec = spec_from_config(cfg_of(name, lr, kw))
    cfg = spec.equivalent()
    assert cfg is not None and cfg["schedule"] == equivalent
    ours, theirs = Schedule(spec), Schedule(cfg)
    n = 400
    a, b = np.array([ours(t) for t in range(n)]), np.array([theirs(t) for t in range(n)])
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert spec_from_config(cfg_of(C, lr, dict(t_initial=100, warmup_t=10))).equivalent() is None  # overlapping


def test_timm_to_config_one_group_and_refusals():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = TS.CosineLRScheduler(opt, t_initial=10, noise_seed=0)  # timm's factory passes its seed: inert
    assert warmup_torch.to_config(sched) == {
        "schedule": "timm.CosineLRScheduler", "lr": 0.1, "t_initial": 10, "lr_min": 0.0, "cycle_mul": 1.0,
        "cycle_decay": 1.0, "cycle_limit": 1, "warmup_t": 0, "warmup_lr_init": 0.0, "warmup_prefix": False,
        "t_in_epochs": True, "k_decay": 1.0}
    floats = TS.MultiStepLRScheduler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1),
                                     decay_t=[3.0, 7.0], decay_rate=0.5, warmup_t=2.0)
    cfg = warmup_torch.to_config(floats)  # timm takes integral floats: given as ints
    assert cfg["decay_t"] == [3, 7] and cfg["warmup_t"] == 2 and isinstance(cfg["warmup_t"], int)
    check("timm", cfg, drive(floats, floats.optimizer, 15, epochs=True))
    noisy = TS.CosineLRScheduler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), t_initial=10,
                                 noise_range_t=5)
    with pytest.raises(ValueError, match="noise is not ported"):
        warmup_torch.to_config(noisy)
    with warnings.catch_warnings():  # timm deprecates it
        warnings.simplefilter("ignore", FutureWarning)
        plateau = TS.PlateauLRScheduler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1))
    with pytest.raises(ValueError, match="PlateauLRScheduler has no config"):
        warmup_torch.to_config(plateau)
    from warmup_torch.live.timm_scheduler import config_of

    assert config_of(torch.optim.lr_scheduler.StepLR(opt, 3)) is None
