"""Torch mechanics of ``warmup_torch``: step order, param groups, tensor lrs, resume,
composition with torch's own schedulers, pickling, equality with ``OneCycleLR`` and
``CosineAnnealingWarmRestarts``, the legacy snippet and huge steps.

Cross-framework lr parity lives elsewhere; here the expected values are computed by
hand, by torch's own schedulers, or (as a sanity check) by the float64 reference.
"""

from __future__ import annotations

import copy
import gc
import inspect
import io
import json
import math
import pickle
import types
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.optim import SGD
from torch.optim.lr_scheduler import (
    EPOCH_DEPRECATION_WARNING,
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    OneCycleLR,
    SequentialLR,
    StepLR,
)
from torch.utils._python_dispatch import TorchDispatchMode

import warmup_torch as W
from warmup_spec import catalogue as S
from warmup_spec.definition import ScheduleSpec
from warmup_spec.hyper import momentum_of
from warmup_spec.reference import reference

torch.set_num_threads(1)


# --- helpers -----------------------------------------------------------------------


def make_opt(lr: Any = 0.1, group_lrs: tuple[Any, ...] | None = None) -> SGD:
    """SGD over fresh parameters; ``group_lrs`` gives one group per entry (None: default lr)."""
    if group_lrs is None:
        return SGD([torch.zeros(2, requires_grad=True)], lr=lr)
    groups = []
    for g in group_lrs:
        d: dict[str, Any] = {"params": [torch.zeros(2, requires_grad=True)]}
        if g is not None:
            d["lr"] = g
        groups.append(d)
    return SGD(groups, lr=lr)


def seen_lrs(opt: torch.optim.Optimizer, sched: Any, n: int, group: int = 0) -> list[float]:
    """The lr each of ``n`` optimizer steps uses, with ``scheduler.step()`` after ``optimizer.step()``."""
    out = []
    for _ in range(n):
        out.append(float(opt.param_groups[group]["lr"]))
        opt.step()
        sched.step()
    return out


def user_base(t: int) -> float:
    """A user's own base schedule (module-level, so it pickles)."""
    return 0.5 / (1 + t)


# Constructors of every catalogue scheduler, with parameters that exercise all phases.
CATALOGUE: dict[str, tuple[Callable[..., W.ScheduleLR], dict[str, Any], type[ScheduleSpec]]] = {
    "warmup_constant": (W.schedulers.warmup_constant, dict(peak_value=0.3, warmup_steps=5, warmup_shape="cosine"), S.WarmupConstant),
    "warmup_linear_decay": (W.schedulers.warmup_linear_decay, dict(peak_value=0.3, warmup_steps=5, total_steps=30, end_value=0.01), S.WarmupLinearDecay),
    "warmup_cosine_decay": (W.schedulers.warmup_cosine_decay, dict(peak_value=0.3, warmup_steps=5, total_steps=30, exponent=1.5), S.WarmupCosineDecay),
    "warmup_polynomial_decay": (W.schedulers.warmup_polynomial_decay, dict(peak_value=0.3, warmup_steps=5, total_steps=30, power=2.0), S.WarmupPolynomialDecay),
    "warmup_exponential_decay": (W.schedulers.warmup_exponential_decay, dict(peak_value=0.3, warmup_steps=5, transition_steps=4, decay_rate=0.8, staircase=True, end_value=0.05), S.WarmupExponentialDecay),
    "warmup_inverse_sqrt": (W.schedulers.warmup_inverse_sqrt, dict(peak_value=0.3, warmup_steps=5, init_value=0.01, warmup_shape="exponential"), S.WarmupInverseSqrt),
    "noam": (W.schedulers.noam, dict(d_model=64, warmup_steps=8, scale=2.0), S.Noam),
    "legacy_noam": (W.schedulers.legacy_noam, dict(max_lr=1.0, warmup_steps=16), S.LegacyNoam),
    "warmup_stable_decay": (W.schedulers.warmup_stable_decay, dict(peak_value=0.3, warmup_steps=5, stable_steps=6, decay_steps=10, decay_shape="1-sqrt"), S.WarmupStableDecay),
    "warmup_cosine_restarts": (W.schedulers.warmup_cosine_restarts, dict(peak_value=0.3, warmup_steps=5, cycle_steps=3, cycle_mul=2.0, cycle_decay=0.8, cycle_limit=3, end_value=0.01), S.WarmupCosineRestarts),
    "one_cycle": (W.schedulers.one_cycle, dict(total_steps=30, peak_value=0.3, pct_start=0.25), S.OneCycle),
    "tri_stage": (W.schedulers.tri_stage, dict(peak_value=0.3, warmup_steps=5, hold_steps=4, decay_steps=10), S.TriStage),
}


def is_plain(x: Any) -> bool:
    """Only plain Python data: what ``torch.load(weights_only=True)`` and JSON accept."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return True
    if isinstance(x, (list, tuple)):
        return all(is_plain(v) for v in x)
    if isinstance(x, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in x.items())
    return False


class RecordOps(TorchDispatchMode):
    """Records every aten op dispatched while active (to see allocations such as clone)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        self.ops.append(str(func))
        return func(*args, **(kwargs or {}))


# --- step semantics ----------------------------------------------------------------


def test_kth_step_sees_f_of_k_hand_values() -> None:
    # The optimizer's own lr (123.0) is irrelevant with one param group.
    opt = make_opt(lr=123.0)
    sched = W.schedulers.warmup_linear_decay(opt, 1.0, warmup_steps=2, total_steps=6, end_value=0.2)
    assert opt.param_groups[0]["lr"] == 0.0  # construction writes f(0) at once
    lrs = seen_lrs(opt, sched, 9)
    assert lrs == pytest.approx([0.0, 0.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2], abs=1e-15)
    # cosine, hand values: e + (p - e) * (1 + cos(pi u)) / 2 at u = 1/4, 1/2, 3/4
    opt = make_opt()
    sched = W.schedulers.warmup_cosine_decay(opt, 2.0, warmup_steps=1, total_steps=5)
    c = math.cos(math.pi / 4)
    assert seen_lrs(opt, sched, 7) == pytest.approx([0.0, 2.0, 1 + c, 1.0, 1 - c, 0.0, 0.0], abs=1e-15)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_scheduler_follows_its_schedule(name: str) -> None:
    cls, kwargs, spec_cls = CATALOGUE[name]
    spec = spec_cls(**kwargs)
    f = W.Schedule(spec)
    opt = make_opt(lr=7.0)
    sched = cls(opt, **kwargs)
    assert type(sched) is W.ScheduleLR and sched.spec == spec
    lrs = seen_lrs(opt, sched, 60)
    assert lrs == [f(k) for k in range(60)]  # exactly the closed form, step k -> f(k)
    peak = max(reference(spec, k) for k in range(60))
    for k, lr in enumerate(lrs):  # and the closed form is the catalogue formula
        assert lr == pytest.approx(reference(spec, k), rel=1e-12, abs=1e-12 * peak)
    assert sched.get_last_lr() == [f(60)]


def test_get_last_lr_is_the_next_steps_lr() -> None:
    opt = make_opt()
    sched = W.schedulers.warmup_constant(opt, 0.4, warmup_steps=4)
    assert sched.get_last_lr() == [0.0]
    opt.step()
    sched.step()
    last = sched.get_last_lr()
    assert last == [0.1] and type(last[0]) is float
    assert opt.param_groups[0]["lr"] == last[0]


def test_deprecated_step_with_epoch_uses_the_closed_form() -> None:
    opt = make_opt()
    sched = W.schedulers.warmup_linear_decay(opt, 1.0, warmup_steps=2, total_steps=6)
    opt.step()
    with warnings.catch_warnings(record=True) as ws:  # torch's _check_warning_is_epoch_deprecation_warning
        warnings.simplefilter("always")
        sched.step(4)
    assert [str(w.message) for w in ws] == [EPOCH_DEPRECATION_WARNING]
    assert opt.param_groups[0]["lr"] == 0.5 and sched.last_epoch == 4


# --- param groups ------------------------------------------------------------------


def test_one_group_ignores_the_optimizer_lr() -> None:
    for lr in (1e-5, 0.1, 50.0):
        opt = make_opt(lr=lr)
        sched = W.schedulers.warmup_constant(opt, 0.2, warmup_steps=2)
        assert sched.ratios == [1.0]
        assert seen_lrs(opt, sched, 4) == [0.0, 0.1, 0.2, 0.2]


def test_two_groups_keep_their_ratio_to_the_default_lr() -> None:
    opt = make_opt(lr=0.5, group_lrs=(None, 0.125))  # group 0 at the default, group 1 at 1/4
    sched = W.schedulers.warmup_constant(opt, 0.2, warmup_steps=2)
    assert sched.ratios == [1.0, 0.25] and all(type(r) is float for r in sched.ratios)
    assert seen_lrs(opt, sched, 4, group=0) == [0.0, 0.1, 0.2, 0.2]
    opt = make_opt(lr=0.5, group_lrs=(None, 0.125))
    sched = W.schedulers.warmup_constant(opt, 0.2, warmup_steps=2)
    assert seen_lrs(opt, sched, 4, group=1) == [0.0, 0.025, 0.05, 0.05]
    # neither group at the default: ratios 2 and 0.5
    opt = make_opt(lr=0.1, group_lrs=(0.2, 0.05))
    sched = W.schedulers.warmup_constant(opt, 0.2)
    assert [g["lr"] for g in opt.param_groups] == [0.4, 0.1]
    opt.defaults["lr"] = 99.0  # ratios were recorded at construction
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.4, 0.1]
    # a ratio that is not a binary fraction: f(k) * (initial_lr / default) to an ulp
    opt = make_opt(lr=0.1, group_lrs=(None, 0.01))
    sched = W.schedulers.warmup_constant(opt, 0.3, warmup_steps=3)
    assert seen_lrs(opt, sched, 5, group=1) == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.03], rel=1e-15)


def test_groups_with_their_own_lr_need_a_positive_default_lr() -> None:
    opt = make_opt(lr=0.0, group_lrs=(0.1, 0.2))
    with pytest.raises(ValueError, match=r'defaults\["lr"\] > 0'):
        W.schedulers.warmup_constant(opt, 0.2)
    for groups in (None, (None, None)):  # groups at a default of 0: ratio 1, nothing to divide
        opt = make_opt(lr=0.0, group_lrs=groups)
        assert W.schedulers.warmup_constant(opt, 0.2).ratios == [1.0] * len(opt.param_groups)


def test_a_tensor_default_lr_filled_in_place_keeps_its_ratio() -> None:
    """torch shares the default lr tensor with the groups that do not set their own, and a
    scheduler fills it in place: a second scheduler (a resume) still reads ratio 1."""
    opt = make_opt(lr=torch.tensor(0.5), group_lrs=(None, torch.tensor(0.25)))
    first = W.schedulers.warmup_constant(opt, 0.2, warmup_steps=2)
    assert float(opt.defaults["lr"]) == 0.0  # filled with f(0) through the group that shares it
    again = W.schedulers.warmup_constant(opt, 0.2, warmup_steps=2)
    assert again.ratios == first.ratios == [1.0, 0.5]


def test_one_rule_for_one_and_several_groups() -> None:
    """A group at the default lr gets f(k) whether it is alone or not; a group with its own
    lr keeps its ratio to the default, alone too. Adding a group changes no other group."""
    alone = make_opt(lr=0.5)
    sched = W.schedulers.warmup_constant(alone, 0.2, warmup_steps=2)
    first_alone = seen_lrs(alone, sched, 4)
    assert first_alone == [0.0, 0.1, 0.2, 0.2] and sched.ratios == [1.0]
    both = make_opt(lr=0.5, group_lrs=(None, 0.25))
    sched = W.schedulers.warmup_constant(both, 0.2, warmup_steps=2)
    assert seen_lrs(both, sched, 4, group=0) == first_alone and sched.ratios == [1.0, 0.5]
    own = make_opt(lr=0.5, group_lrs=(0.25,))  # the only group, with its own lr: half the schedule
    sched = W.schedulers.warmup_constant(own, 0.2, warmup_steps=2)
    assert sched.ratios == [0.5] and seen_lrs(own, sched, 4) == [0.0, 0.05, 0.1, 0.1]


# --- tensor lrs --------------------------------------------------------------------


def test_tensor_lr_is_filled_in_place_and_nothing_is_allocated() -> None:
    lr = torch.tensor(0.1, dtype=torch.float64)
    opt = make_opt(lr=lr)
    sched = W.schedulers.warmup_linear_decay(opt, 1.0, warmup_steps=2, total_steps=6)
    f = sched.schedule
    group = opt.param_groups[0]
    assert group["lr"] is lr and lr.item() == 0.0
    for k in range(1, 9):
        opt.step()
        with RecordOps() as rec:
            sched.step()
        assert rec.ops == ["aten.fill_.Scalar"]  # one in-place fill, no clone, no new tensor
        assert group["lr"] is lr and lr.item() == f(k)
        assert sched.get_last_lr() == [f(k)] and type(sched.get_last_lr()[0]) is float
    # the detector does see torch's own per-step clone, so the assertion above can fail
    opt2 = make_opt(lr=torch.tensor(0.1))
    lam = LambdaLR(opt2, lambda k: 1.0)
    opt2.step()
    with RecordOps() as rec:
        lam.step()
    assert "aten.clone.default" in rec.ops


def test_float32_tensor_lr_holds_the_rounded_value_and_floats_stay_floats() -> None:
    lr = torch.tensor(0.1)  # float32
    opt = make_opt(lr=lr)
    sched = W.schedulers.warmup_cosine_decay(opt, 0.3, warmup_steps=3, total_steps=10)
    for k in range(1, 12):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] is lr
        assert lr.item() == torch.tensor(sched.schedule(k), dtype=torch.float32).item()
    opt = make_opt(lr=0.1)
    sched = W.schedulers.warmup_cosine_decay(opt, 0.3, warmup_steps=3, total_steps=10)
    opt.step()
    sched.step()
    assert type(opt.param_groups[0]["lr"]) is float


# --- state_dict, resume ------------------------------------------------------------


def _resume_run(stop: int, n: int, spec: ScheduleSpec, via_bytes: bool) -> list[float]:
    opt = make_opt()
    sched = W.ScheduleLR(opt, spec)
    lrs = seen_lrs(opt, sched, stop)
    opt_state, sched_state = opt.state_dict(), sched.state_dict()
    if via_bytes:
        buf = io.BytesIO()
        torch.save({"opt": opt_state, "sched": sched_state}, buf)
        buf.seek(0)
        saved = torch.load(buf, weights_only=True)
        opt_state, sched_state = saved["opt"], saved["sched"]
    opt2 = make_opt(lr=5.0)
    sched2 = W.scheduler_from_config(opt2, spec)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    return lrs + seen_lrs(opt2, sched2, n - stop)


@pytest.mark.parametrize("stop", [3, 30, 70], ids=["mid-warmup", "mid-decay", "past-end"])
@pytest.mark.parametrize("via_bytes", [False, True], ids=["in-memory", "torch.save"])
def test_state_dict_round_trip_resumes_exactly(stop: int, via_bytes: bool) -> None:
    spec = S.WarmupCosineDecay(0.1, 10, 60, 0.001)
    opt = make_opt()
    full = seen_lrs(opt, W.schedulers.warmup_cosine_decay(opt, 0.1, 10, 60, 0.001), 90)
    assert _resume_run(stop, 90, spec, via_bytes) == full
    assert full[5] == pytest.approx(0.05, abs=1e-16) and full[80] == 0.001


def test_state_dict_holds_only_plain_values() -> None:
    opt = make_opt(lr=torch.tensor(0.1), group_lrs=(None, torch.tensor(0.05)))
    sched = W.schedulers.warmup_cosine_restarts(opt, 0.3, 2, 4, cycle_mul=2.0)
    seen_lrs(opt, sched, 5)
    state = sched.state_dict()
    assert is_plain(state), state
    assert set(state) == {"schedule", "ratios", "last_epoch", "_step_count", "_last_lr", "base_lrs"}
    assert state["schedule"] == {
        "schedule": "warmup_cosine_restarts", "peak_value": 0.3, "warmup_steps": 2, "cycle_steps": 4,
        "cycle_mul": 2.0, "cycle_decay": 1.0, "cycle_limit": None, "end_value": 0.0,
        "init_value": 0.0, "warmup_shape": "linear",
    }
    assert state["last_epoch"] == 5 and state["ratios"] == [1.0, 0.5]
    json.dumps(state)  # JSON-serialisable too


def test_loading_a_different_schedule_raises() -> None:
    opt = make_opt()
    cosine = W.schedulers.warmup_cosine_decay(opt, 0.1, 10, 60)
    state = cosine.state_dict()
    other = W.schedulers.warmup_cosine_decay(make_opt(), 0.1, 10, 61)  # same class, other total_steps
    with pytest.raises(ValueError, match="saved state is for .*'total_steps': 60.*runs .*'total_steps': 61"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="warmup_linear_decay"):
        W.schedulers.warmup_linear_decay(make_opt(), 0.1, 10, 60).load_state_dict(state)
    with pytest.raises(ValueError, match="not a warmup_torch scheduler state"):
        cosine.load_state_dict(LambdaLR(make_opt(), lambda k: 1.0).state_dict())
    with pytest.raises(ValueError, match="param groups"):
        W.schedulers.warmup_cosine_decay(make_opt(group_lrs=(None, None)), 0.1, 10, 60).load_state_dict(state)
    assert other.last_epoch == 0  # nothing was loaded


def test_user_function_base_saves_config_none() -> None:
    opt = make_opt()
    sched = W.ScheduleLR(opt, W.with_warmup(user_base, 4))
    assert seen_lrs(opt, sched, 6) == [0.0, 0.125, 0.25, 0.375, 0.5, 0.25]
    state = sched.state_dict()
    assert state["schedule"] is None and is_plain(state)
    sched2 = W.ScheduleLR(make_opt(), W.with_warmup(user_base, 4))
    sched2.load_state_dict(state)  # cannot be checked: accepted, like LambdaLR
    assert sched2.last_epoch == 6
    with pytest.raises(ValueError, match="user function"):
        W.schedulers.warmup_constant(make_opt(), 0.1).load_state_dict(state)


# --- composition with torch's schedulers --------------------------------------------


def test_sequential_lr_with_torch_and_ours() -> None:
    opt = make_opt(lr=0.1)
    first = ConstantLR(opt, factor=0.5, total_iters=3)
    second = W.schedulers.warmup_linear_decay(opt, 1.0, warmup_steps=2, total_steps=6)
    seq = SequentialLR(opt, [first, second], milestones=[3])
    f = [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    assert seen_lrs(opt, seq, 11) == pytest.approx([0.05, 0.05, 0.05] + f, abs=1e-15)


def test_sequential_lr_of_ours_and_resume() -> None:
    def build() -> tuple[SGD, SequentialLR]:
        opt = make_opt()
        a = W.schedulers.warmup_constant(opt, 1.0, warmup_steps=2)
        b = W.schedulers.warmup_linear_decay(opt, 0.5, warmup_steps=0, total_steps=4)
        return opt, SequentialLR(opt, [a, b], milestones=[4])

    opt, seq = build()
    full = seen_lrs(opt, seq, 10)
    assert full == [0.0, 0.5, 1.0, 1.0, 0.5, 0.375, 0.25, 0.125, 0.0, 0.0]
    for stop in (1, 4, 6):
        opt, seq = build()
        head = seen_lrs(opt, seq, stop)
        buf = io.BytesIO()
        torch.save({"opt": opt.state_dict(), "seq": seq.state_dict()}, buf)
        buf.seek(0)
        saved = torch.load(buf, weights_only=True)
        opt2, seq2 = build()
        opt2.load_state_dict(saved["opt"])
        seq2.load_state_dict(saved["seq"])
        assert head + seen_lrs(opt2, seq2, 10 - stop) == full


def test_sequential_lr_restarts_our_scheduler_with_its_momentum() -> None:
    """At a milestone torch restarts the next child with ``_update_lr(0)``: ours writes its
    cycled momentum there too, not only its lr."""
    opt = _momentum_opt()
    a = W.schedulers.one_cycle(opt, total_steps=10, peak_value=0.1)
    b = W.schedulers.one_cycle(opt, total_steps=20, peak_value=0.2, base_momentum=0.5, max_momentum=0.6)
    seq = SequentialLR(opt, [a, b], milestones=[4])
    ma, mb = (W.Schedule(momentum_of(s.spec)) for s in (a, b))
    seen = []
    for _ in range(8):
        seen.append(opt.param_groups[0]["momentum"])
        opt.step()
        seq.step()
    assert seen == [ma(k) for k in range(4)] + [mb(k) for k in range(4)]
    assert seen[4] == 0.6  # b's max_momentum at its step 0


def test_chained_scheduler() -> None:
    f = W.warmup_linear_decay(1.0, warmup_steps=2, total_steps=6)
    # ours last: it sets the absolute lr, whatever ran before it
    opt = make_opt()
    chain = ChainedScheduler([ExponentialLR(opt, gamma=0.9), W.ScheduleLR(opt, f)])
    assert seen_lrs(opt, chain, 8) == [f(k) for k in range(8)]
    # ours first: a multiplicative torch scheduler after it rescales each step's lr once
    opt = make_opt()
    chain = ChainedScheduler([W.ScheduleLR(opt, f), ExponentialLR(opt, gamma=0.9)])
    assert seen_lrs(opt, chain, 8) == [f(0)] + [f(k) * 0.9 for k in range(1, 8)]
    assert chain.get_last_lr() == [f(8) * 0.9]


# --- torch's own lr-scheduler test patterns (test/optim/test_lrscheduler.py) ---------


def _momentum_opt() -> SGD:
    return SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9, weight_decay=0.1)


def _ours() -> dict[str, Callable[[SGD], Any]]:
    """Schedulers of ours over every kind of state: a front end, scheduled hyperparameters,
    one schedule per group, a cycled momentum."""
    return {
        "front end": lambda opt: W.schedulers.warmup_cosine_decay(opt, 0.3, 3, 20),
        "hyper": lambda opt: W.ScheduleLR(opt, W.warmup_linear_decay(0.3, 2, 20),
                                          hyper={"weight_decay": {"start": 0.0, "end": 0.1, "steps": 6}}),
        "per-group": lambda opt: W.ScheduleLR(opt, [W.warmup_constant(0.3, 4)]),
        "cycled momentum": lambda opt: W.schedulers.one_cycle(opt, total_steps=20, peak_value=0.3),
    }


@pytest.mark.parametrize("kind", list(_ours()))
def test_state_dict_round_trip_restores_every_attribute(kind: str) -> None:
    """torch's ``_check_scheduler_state_dict``: after ``load_state_dict`` every entry of
    ``__dict__`` but the optimizer equals the saved scheduler's."""
    build = _ours()[kind]
    opt = _momentum_opt()
    sched = build(opt)
    for _ in range(7):
        opt.step()
        sched.step()
    copy_ = build(_momentum_opt())
    copy_.load_state_dict(sched.state_dict())
    assert set(copy_.__dict__) == set(sched.__dict__)
    for key in sched.__dict__:
        if key != "optimizer":
            assert copy_.__dict__[key] == sched.__dict__[key], key
    assert copy_.get_last_lr() == sched.get_last_lr()


def _warnings_of(make: Callable[[SGD], Any], scenario: str) -> list[str]:
    opt = _momentum_opt()
    sched = make(opt)
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        if scenario == "overridden optimizer.step":
            opt.step = types.MethodType(lambda self, closure=None: None, opt)
        if scenario != "scheduler first":
            opt.step()
        sched.step(3) if scenario == "step(epoch)" else sched.step()
        opt.step()
        sched.step()
    return [str(w.message) for w in ws]


@pytest.mark.parametrize("scenario", ["optimizer first", "scheduler first", "overridden optimizer.step",
                                      "step(epoch)"])
def test_step_warnings_are_torchs(scenario: str) -> None:
    """Each warning of torch's ``LRScheduler.step`` (call order, a replaced ``optimizer.step``,
    the epoch deprecation), with torch's exact text, where torch's ``StepLR`` gives it."""
    theirs = _warnings_of(lambda opt: StepLR(opt, step_size=2), scenario)
    assert len(theirs) == (0 if scenario == "optimizer first" else 1)
    for make in _ours().values():
        assert _warnings_of(make, scenario) == theirs


def test_no_cyclic_references() -> None:
    """torch's ``test_no_cyclic_references``: a dropped scheduler leaves nothing referring to the optimizer."""
    opts = [_momentum_opt() for _ in _ours()]
    for opt, make in zip(opts, _ours().values()):
        make(opt)  # dropped at once
    gc.collect()
    assert not [r for r in gc.get_referrers(*opts) if r is not opts and not isinstance(r, types.FrameType)]


@pytest.mark.parametrize("kind", [*_ours(), "SequentialLR"])
@pytest.mark.parametrize("how", ["pickle", "torch.save"])
@pytest.mark.parametrize("steps", [0, 5])
def test_whole_scheduler_pickles_and_goes_on(kind: str, how: str, steps: int) -> None:
    """torch's ``test_*_pickle``: the whole scheduler (its optimizer inside) pickles, new or
    stepped, and the copy goes on with the same lrs and hyperparameters."""
    build = (lambda opt: SequentialLR(opt, [ConstantLR(opt, 0.5, 3), W.schedulers.warmup_constant(opt, 0.3, 2)], [3])
             ) if kind == "SequentialLR" else _ours()[kind]
    opt = _momentum_opt()
    sched = build(opt)
    seen_lrs(opt, sched, steps)
    if how == "pickle":
        again = pickle.loads(pickle.dumps(sched))
    else:
        buf = io.BytesIO()
        torch.save(sched, buf)
        buf.seek(0)
        again = torch.load(buf, weights_only=False)
    assert again.optimizer is not opt
    with warnings.catch_warnings():  # new, the copy's optimizer.step is not torch's wrapper: it warns as torch's
        warnings.simplefilter("ignore")
        assert seen_lrs(again.optimizer, again, 12) == seen_lrs(opt, sched, 12)
    hyper = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    assert [{k: v for k, v in g.items() if k != "params"} for g in again.optimizer.param_groups] == hyper


# --- pickling ----------------------------------------------------------------------


def test_schedule_pickles() -> None:
    schedules = [
        W.warmup_cosine_decay(0.3, 5, 40, 0.01),
        W.join([W.warmup_constant(0.3, 3), W.one_cycle(20, 0.3)], [10]),
        W.untuned_warmup(W.scaled(W.warmup_inverse_sqrt(0.3, 4), 0.5), beta2=0.99),
        W.with_warmup(user_base, 3, init_value=0.01, warmup_shape="exponential"),
    ]
    for f in schedules:
        g = pickle.loads(pickle.dumps(f))
        assert g == f and g is not f
        assert [g(k) for k in range(50)] == [f(k) for k in range(50)]
        buf = io.BytesIO()
        torch.save(f, buf)
        buf.seek(0)
        h = torch.load(buf, weights_only=False)
        assert [h(k) for k in range(50)] == [f(k) for k in range(50)]
    # weights_only=True works once the two classes are allowed
    f = schedules[0]
    buf = io.BytesIO()
    torch.save(f, buf)
    buf.seek(0)
    with torch.serialization.safe_globals([W.Schedule, S.WarmupCosineDecay]):
        h = torch.load(buf, weights_only=True)
    assert h == f and h(17) == f(17)


def test_scheduler_state_dict_loads_with_weights_only() -> None:
    opt = make_opt()
    sched = W.schedulers.noam(opt, d_model=64, warmup_steps=8)
    seen_lrs(opt, sched, 12)
    buf = io.BytesIO()
    torch.save(sched.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    assert state == sched.state_dict()
    sched2 = W.schedulers.noam(make_opt(), d_model=64, warmup_steps=8)
    sched2.load_state_dict(state)
    assert sched2.last_epoch == 12 and sched2.get_last_lr() == sched.get_last_lr()


# --- equality with torch's own schedulers --------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        dict(total_steps=100, max_lr=0.1),
        dict(total_steps=37, max_lr=1.0, pct_start=0.25, div_factor=10.0, final_div_factor=100.0, anneal_strategy="linear"),
        dict(total_steps=10, max_lr=0.3, pct_start=0.5),
        dict(total_steps=1000, max_lr=3e-4, pct_start=0.123, div_factor=7.0, final_div_factor=1e3),
        dict(total_steps=7, max_lr=2.0, pct_start=0.9, anneal_strategy="linear"),
    ],
)
def test_one_cycle_equals_torch_one_cycle_lr(kw: dict[str, Any]) -> None:
    T = kw["total_steps"]
    opt_t = make_opt()
    torch_sched = OneCycleLR(opt_t, cycle_momentum=False, **kw)
    expected = seen_lrs(opt_t, torch_sched, T)
    opt = make_opt()
    ours = W.schedulers.one_cycle(
        opt, T, kw["max_lr"], kw.get("pct_start", 0.3), kw.get("div_factor", 25.0),
        kw.get("final_div_factor", 1e4), kw.get("anneal_strategy", "cos"),
    )
    got = seen_lrs(opt, ours, T + 5)
    assert got[T:] == [got[T - 1]] * 5  # held after the end
    # torch evaluates end + (start - end) / 2 (cos + 1), which cancels near each phase's end:
    # ours is the same curve from the nearer end, within float64 rounding of torch's
    peak = max(expected)
    for k, (a, b) in enumerate(zip(got, expected)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15 * peak), k
    with pytest.raises(ValueError, match="Tried to step"):  # where torch gives up
        opt_t.step()
        torch_sched.step()


@pytest.mark.parametrize("t_mult", [1, 2])
def test_cosine_restarts_equals_torch_warm_restarts(t_mult: int) -> None:
    peak, eta_min, n = 0.3, 0.01, 120
    opt_t = make_opt(lr=peak)
    expected = seen_lrs(opt_t, CosineAnnealingWarmRestarts(opt_t, T_0=5, T_mult=t_mult, eta_min=eta_min), n)
    opt = make_opt()
    ours = W.schedulers.warmup_cosine_restarts(opt, peak, 0, 5, cycle_mul=float(t_mult), end_value=eta_min)
    got = seen_lrs(opt, ours, n)
    assert max(abs(a - b) for a, b in zip(got, expected)) <= 1e-15 * peak
    restarts = [k for k in range(n) if got[k] == peak]
    assert restarts == (list(range(0, n, 5)) if t_mult == 1 else [0, 5, 15, 35, 75])


@pytest.mark.parametrize("cycle_mul", [2.0, 3.0, 7.0])
def test_cosine_restarts_cycle_boundaries_are_exact(cycle_mul: float) -> None:
    # cycle k starts at (m**k - 1) / (m - 1) (cycle_steps=1), where the value is the
    # decayed peak exactly; one step before, cycle k-1 ends at sin(pi/2 / m**(k-1))**2.
    f = W.warmup_cosine_restarts(1.0, 3, 1, cycle_mul=cycle_mul, cycle_decay=0.5)
    m = int(cycle_mul)
    for k in range(1, 18):
        start = 3 + (m**k - 1) // (m - 1)
        assert f(start) == 0.5**k
        assert f(start - 1) == pytest.approx(0.5 ** (k - 1) * math.sin(math.pi / 2 / m ** (k - 1)) ** 2, rel=1e-12)


# --- the legacy snippet ------------------------------------------------------------


def test_adjust_learning_rate_values_and_real_peak() -> None:
    opt = make_opt(lr=0.1, group_lrs=(0.3, torch.tensor(0.2, dtype=torch.float64)))
    tensor_lr = opt.param_groups[1]["lr"]
    w, max_lr = 500, 2.0
    assert W.adjust_learning_rate(opt, 0, w, max_lr) == max_lr * 1 / 500
    lr = W.adjust_learning_rate(opt, 499, w, max_lr)
    assert lr == max_lr * math.sqrt(500) / 500 and type(lr) is float
    assert opt.param_groups[0]["lr"] == lr  # every group, whatever its own lr
    assert opt.param_groups[1]["lr"] is tensor_lr and tensor_lr.item() == lr
    lrs = [W.adjust_learning_rate(opt, e, w, max_lr) for e in range(2000)]
    peak_step = max(range(2000), key=lrs.__getitem__)
    assert peak_step == 105 and abs(peak_step + 1 - w**0.75) < 1  # s = w**0.75 = 105.7
    assert lrs[105] == max_lr * math.sqrt(500) / 106
    assert lrs[105] / max_lr == pytest.approx(w**-0.25, rel=3e-3)  # 21% of max_lr, not 100%
    assert max(lrs) < 0.22 * max_lr
    assert lrs == [W.legacy_noam(max_lr, w)(e) for e in range(2000)]
    with pytest.raises(ValueError, match="legacy_noam: warmup_steps=0 is invalid"):
        W.adjust_learning_rate(opt, 0, 0, max_lr)


# --- huge steps --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_huge_steps_are_finite_and_final(name: str) -> None:
    cls, kwargs, spec_cls = CATALOGUE[name]
    spec = spec_cls(**kwargs)
    f = W.Schedule(spec)
    end = spec.end_step
    for t in (2**31 - 1, 2**31, 10**12, 2**64 + 3, 10**40, 10**400):
        v = f(t)
        assert math.isfinite(v) and v >= 0
        if end is not None:
            assert v == f(end)
    opt = make_opt()
    sched = cls(opt, **kwargs)
    sched.last_epoch = 10**12 - 1
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == f(10**12)


def test_huge_step_values_of_the_unending_schedules() -> None:
    assert W.noam(64, 8)(10**12) == pytest.approx(64**-0.5 * (10**12 + 1) ** -0.5, rel=1e-14)
    assert W.warmup_inverse_sqrt(1.0, 4)(10**12) == pytest.approx(2e-6, rel=1e-9)
    assert W.warmup_exponential_decay(1.0, 0, 10, 0.5)(10**12) == 0.0
    assert W.warmup_exponential_decay(1.0, 0, 10, 2.0, end_value=8.0)(10**400) == 8.0
    assert W.warmup_exponential_decay(1.0, 0, 1, 2.0, True, 8.0)(10**12) == 8.0
    f = W.warmup_cosine_restarts(1.0, 0, 10)  # cycle_mul == 1 stays exact: period 10
    assert f(10**12) == 1.0 and f(10**40 + 5) == pytest.approx(0.5, abs=1e-15)
    g = W.warmup_cosine_restarts(1.0, 0, 10, cycle_mul=2.0)
    b = 10 * (2**40 - 1)  # the start of cycle 40, far out but exact in float64
    assert g(b) == 1.0 and g(b - 1) == pytest.approx(math.sin(math.pi / 2 / (10 * 2**39)) ** 2, rel=1e-6)
    assert g(b + 10 * 2**39) == pytest.approx(0.5, abs=1e-12)  # the middle of cycle 40
    with pytest.raises(ValueError, match="step=-1 is invalid"):
        f(-1)


# --- API shape -----------------------------------------------------------------------


def _params(fn: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("spec_cls", S.CATALOGUE, ids=[c.schedule for c in S.CATALOGUE])
def test_functional_and_scheduler_signatures_match_the_specs(spec_cls: type[ScheduleSpec]) -> None:
    spec_params = _params(spec_cls)
    assert _params(getattr(W, spec_cls.schedule)) == spec_params
    got = _params(getattr(W.schedulers, spec_cls.schedule))
    assert got[0] == ("optimizer", inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.empty)
    assert got[1:] == spec_params  # every parameter as the definition has it: kinds and defaults


def test_validation_errors_come_from_the_spec() -> None:
    with pytest.raises(ValueError) as from_spec:
        S.WarmupCosineDecay(1.0, 10, 5)
    with pytest.raises(ValueError) as from_fn:
        W.warmup_cosine_decay(1.0, 10, 5)
    with pytest.raises(ValueError) as from_sched:
        W.schedulers.warmup_cosine_decay(make_opt(), 1.0, 10, 5)
    assert str(from_fn.value) == str(from_sched.value) == str(from_spec.value)
    assert "total_steps=5 is invalid" in str(from_spec.value)


def test_from_config_mapping_json_toml_and_spec(tmp_path: Any) -> None:
    cfg = {"schedule": "warmup_stable_decay", "peak_value": 0.3, "warmup_steps": 2,
           "stable_steps": 2, "decay_steps": 4, "decay_shape": "cosine"}
    expected = [0.0, 0.15, 0.3, 0.3, 0.3]
    (tmp_path / "s.json").write_text(json.dumps(cfg))
    (tmp_path / "s.toml").write_text(
        'schedule = "warmup_stable_decay"\npeak_value = 0.3\nwarmup_steps = 2\n'
        'stable_steps = 2\ndecay_steps = 4\ndecay_shape = "cosine"\n'
    )
    for source in (cfg, tmp_path / "s.json", str(tmp_path / "s.toml"), S.WarmupStableDecay(**{k: v for k, v in cfg.items() if k != "schedule"})):
        opt = make_opt()
        sched = W.scheduler_from_config(opt, source)
        assert type(sched) is W.ScheduleLR
        assert seen_lrs(opt, sched, 5) == expected
        assert W.schedule_from_config(source)(8) == 0.0
    combo = W.scheduler_from_config(make_opt(), {"schedule": "scaled", "base": cfg, "factor": 2.0})
    assert type(combo) is W.ScheduleLR and isinstance(combo, W.ScheduleLR) and combo.get_last_lr() == [0.0]
    assert combo.schedule(3) == pytest.approx(0.6, abs=1e-16)
    with pytest.raises(ValueError, match="expected one of .*warmup_cosine_decay"):
        W.scheduler_from_config(make_opt(), {"schedule": "cosine", "peak_value": 0.3})
    with pytest.raises(ValueError, match="unknown parameter 'peak'"):
        W.schedule_from_config({"schedule": "warmup_constant", "peak": 0.3})


def test_combinators_unwrap_schedules_to_specs_and_keep_configs() -> None:
    base = W.warmup_cosine_decay(1.0, 0, 4)
    f = W.with_warmup(base, 2)
    assert f.spec.base == base.spec  # stored as a spec, so it has a config
    assert f.config()["base"]["schedule"] == "warmup_cosine_decay"
    assert [round(f(t), 12) for t in range(7)] == [0.0, 0.5, 1.0, round(0.5 + 0.5 * math.cos(math.pi / 4), 12), 0.5, round(0.5 - 0.5 * math.cos(math.pi / 4), 12), 0.0]
    assert copy.deepcopy(f) == f


def test_steps_may_be_numpy_or_torch_integers() -> None:
    np = pytest.importorskip("numpy")
    f = W.warmup_cosine_decay(1.0, 4, 20)
    assert f(np.int64(7)) == f(np.int32(7)) == f(torch.tensor(7)) == f(7)
    with pytest.raises(ValueError, match="warmup_cosine_decay: a non-integer step is invalid"):
        f(7.0)  # type: ignore[arg-type]


def test_package_imports_neither_jax_nor_the_reference() -> None:
    import pathlib
    import re

    root = pathlib.Path(W.__file__).parent
    for path in root.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(jax|optax|flax)\b", text, re.M), path
        assert not re.search(
            r"^\s*(import\s+warmup_spec\.reference|from\s+warmup_spec(\.reference)?\s+import\s+.*\breference\b)", text, re.M
        ), path
