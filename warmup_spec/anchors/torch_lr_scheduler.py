"""torch ``torch.optim.lr_scheduler``, by its own names and parameters (``"torch.StepLR"``, ...).

Transcribed from ``torch/optim/lr_scheduler.py`` of torch 2.13.0 and tested against it
(``parity_tests/test_anchor_torch.py``). Every scheduler is relative to the optimizer's
lr, given here as ``lr``, except ``OneCycleLR`` and ``CyclicLR``, which set their own
lrs. torch steps most of them recursively (each lr from the previous one); the ports are
the closed forms that recursion follows, so they agree to rounding (about 1e-15 relative
over 10^4 steps), and they reproduce what the recursion does where it parts from torch's
own closed forms (a ``total_iters`` of 0, ``CosineAnnealingLR`` rising again past
``T_max``, ``OneCycleLR``'s step ``total_steps``). Where torch raises at a step (past
``OneCycleLR``'s end), the port holds its last value.

Nested schedulers (``SequentialLR``, ``ChainedScheduler``) take their children as configs
without ``lr``: the parent's ``lr`` is the optimizer's, shared by all of them.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec.anchors._base import Relative, growth_ceiling, powers
from warmup_spec.definition import ScheduleSpec
from warmup_spec.primitives import (
    Constant,
    Cycles,
    Interp,
    Join,
    Node,
    Periodic,
    Product,
    Scale,
    Sum,
)
from warmup_spec.registry import REGISTRY, register, spec_of

SOURCE = "torch/optim/lr_scheduler.py, torch 2.13.0"


def _factor(name: str, key: str, value: Any, lo: float, lo_open: bool) -> float:
    return c.number(name, key, value, lo, 1.0, lo_open=lo_open)


def _any_int(name: str, key: str, value: Any) -> int:
    """An integer of any sign (torch takes them all: a negative step is never reached)."""
    return c.integer(name, key, value, -(2**63), lo_text="step")


def _every(name: str, key: str, value: Any) -> int:
    """A ``step_size`` / ``T_max``: any integer but 0. torch's recursion tests ``t % value``
    (``value=-3`` decays at the multiples of 3) and ``cos(pi t / value)`` (even in ``value``):
    a negative one acts as its absolute value; 0 divides by zero at step 1."""
    expected = "an integer other than 0 (torch divides by it; a negative one acts as its absolute value)"
    n = c.integer(name, key, value, -(2**63), lo_text=expected.removeprefix("an integer "))
    if n == 0:
        raise c.fail(name, key, value, expected)
    return n


def _met_every(step_size: float) -> int:
    """The steps ``t`` where torch's ``t % step_size == 0`` holds are the multiples of this
    integer: ``|step_size|`` written ``p / q`` in lowest terms (a float's ``q`` is a power of 2)
    gives ``p`` (``2.5``: 5; ``0.5``: 1; ``0.1``: 3602879701896397, as Python's exact ``%`` finds)."""
    return Fraction(abs(step_size)).numerator


@register
@dataclass(frozen=True)
class StepLR(Relative):
    """``lr * gamma ** (t // step_size)`` for any finite ``gamma``; a ``|gamma| > 1`` holds
    ``max(lr, 3e38)``, ``gamma=0`` is 0 from ``step_size`` on, a negative one alternates the sign;
    a negative ``step_size`` acts as its absolute value (torch tests ``t % step_size == 0``), a
    fractional one decays where that test holds: at the multiples of its numerator in lowest
    terms (``2.5``: every 5 steps; ``0.5``: every step; ``0.1``: every 3602879701896397 steps)."""

    schedule: ClassVar[str] = "torch.StepLR"
    step_size: float
    gamma: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        v = self.step_size
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v == 0:
            raise c.fail(self.schedule, "step_size", v, "a finite number other than 0 (torch tests t % step_size == 0)")
        self._set("step_size", int(v) if isinstance(v, numbers.Integral) else float(v))
        self._set("gamma", c.number(self.schedule, "gamma", self.gamma))

    def equivalent(self) -> dict[str, Any] | None:
        if self.gamma <= 0.0:
            return None
        return {"schedule": "warmup_exponential_decay", "peak_value": self.lr, "warmup_steps": 0,
                "transition_steps": _met_every(self.step_size), "decay_rate": self.gamma, "staircase": True,
                "end_value": growth_ceiling(self.lr, self.gamma)}

    def compose(self) -> Node:
        return powers(self.lr, self.gamma, _met_every(self.step_size))


@register
@dataclass(frozen=True)
class MultiStepLR(Relative):
    """``lr * gamma ** n(t)``, ``n(t)`` the number of ``milestones`` (repeats counted) ``<= t``; a
    float milestone counts where it equals an integer step (``2.0``), a fractional one never."""

    schedule: ClassVar[str] = "torch.MultiStepLR"
    milestones: Sequence[float]
    gamma: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.schedule
        if not isinstance(self.milestones, (list, tuple)):
            raise c.fail(n, "milestones", self.milestones, "a list of integer steps")
        ms = [_any_int(n, f"milestones[{k}]", m) if isinstance(m, numbers.Integral)
              else c.number(n, f"milestones[{k}]", m) for k, m in enumerate(self.milestones)]
        self._set("milestones", tuple(sorted(ms)))  # torch counts them (Counter): order is not a parameter
        self._set("gamma", c.number(n, "gamma", self.gamma))

    def compose(self) -> Node:
        # torch's step count meets a milestone equal to it: a negative or fractional one is never reached
        counts = sorted(Counter(int(m) for m in self.milestones if m >= 0 and float(m).is_integer()).items())
        values, seen = [Constant(self.lr)], 0
        for _, k in counts:
            seen += k
            values.append(Constant(self.lr * self.gamma**seen))
        return Join(values, [m for m, _ in counts], [f"milestone {m}" for m, _ in counts])


def _total_iters(name: str, value: Any) -> int | float:
    """``total_iters``: any integer, or a finite float (torch compares the step count with it;
    an integral one is that integer, a fractional one is never met)."""
    if isinstance(value, numbers.Integral):
        return _any_int(name, "total_iters", value)
    x = c.number(name, "total_iters", value, suffix=" or an integer")
    return int(x) if x.is_integer() else x


def _held_after(curve: Node, T: float, last: float) -> Node:
    """``curve`` through step ``floor(T)``, then ``last`` (its value there) held: torch's
    recursion stops once the step count passes a fractional ``total_iters``."""
    return Join([curve, Constant(last)], [math.floor(T) + 1], ["total_iters"])


@register
@dataclass(frozen=True)
class ConstantLR(Relative):
    """``lr * factor`` until ``total_iters``, then ``lr``; with ``total_iters <= 0`` (or a
    fractional one, never equal to the step count) torch's recursion never restores the lr:
    ``lr * factor`` forever."""

    schedule: ClassVar[str] = "torch.ConstantLR"
    factor: float = 1.0 / 3
    total_iters: int | float = 5

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("factor", _factor(self.schedule, "factor", self.factor, 0.0, lo_open=False))
        self._set("total_iters", _total_iters(self.schedule, self.total_iters))

    def compose(self) -> Node:
        low = Constant(self.lr * self.factor)
        T = self.total_iters
        if T <= 0 or not isinstance(T, int):
            return low
        return Join([low, Constant(self.lr)], [T], ["total_iters"])


@register
@dataclass(frozen=True)
class LinearLR(Relative):
    """``lr * (start_factor + (end_factor - start_factor) min(t, total_iters) / total_iters)``;
    with ``total_iters <= 0`` torch's recursion stays at ``lr * start_factor``; a fractional
    one stops at step ``floor(total_iters)`` and holds that lr."""

    schedule: ClassVar[str] = "torch.LinearLR"
    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int | float = 5

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.schedule
        self._set("start_factor", _factor(n, "start_factor", self.start_factor, 0.0, lo_open=True))
        self._set("end_factor", _factor(n, "end_factor", self.end_factor, 0.0, lo_open=False))
        self._set("total_iters", _total_iters(n, self.total_iters))

    def equivalent(self) -> dict[str, Any] | None:
        a, b, T = self.lr * self.start_factor, self.lr * self.end_factor, self.total_iters
        if T <= 0 or not isinstance(T, int):
            return None
        if a <= b:
            return {"schedule": "warmup_constant", "peak_value": b, "warmup_steps": T, "init_value": a}
        return {"schedule": "warmup_linear_decay", "peak_value": a, "warmup_steps": 0, "total_steps": T,
                "end_value": b}

    def compose(self) -> Node:
        lr, T = self.lr, self.total_iters
        if T <= 0:
            return Constant(lr * self.start_factor)
        a, b = lr * self.start_factor, lr * self.end_factor
        line = Interp("linear", a, b, T, label="total_iters")
        if isinstance(T, int):
            return line
        return _held_after(line, T, a + (b - a) * math.floor(T) / T)


@register
@dataclass(frozen=True)
class ExponentialLR(Relative):
    """``lr * gamma ** t`` for any finite ``gamma``; a ``|gamma| > 1`` grows until ``max(lr, 3e38)``
    and holds there (torch's float lr grows on to ``inf``); ``gamma=0`` is 0 from step 1 on, a
    negative one alternates the sign."""

    schedule: ClassVar[str] = "torch.ExponentialLR"
    gamma: float

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("gamma", c.number(self.schedule, "gamma", self.gamma))

    def equivalent(self) -> dict[str, Any] | None:
        if self.gamma <= 0.0:
            return None
        return {"schedule": "warmup_exponential_decay", "peak_value": self.lr, "warmup_steps": 0,
                "transition_steps": 1, "decay_rate": self.gamma, "end_value": growth_ceiling(self.lr, self.gamma)}

    def compose(self) -> Node:
        return powers(self.lr, self.gamma, 1)


@register
@dataclass(frozen=True)
class PolynomialLR(Relative):
    """``lr * (1 - min(t, total_iters) / total_iters) ** power``; with ``total_iters <= 0``
    (or ``power = 0``) torch's recursion keeps ``lr``; a fractional ``total_iters`` stops at
    step ``floor(total_iters)`` and holds that lr."""

    schedule: ClassVar[str] = "torch.PolynomialLR"
    total_iters: int | float = 5
    power: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("total_iters", _total_iters(self.schedule, self.total_iters))
        # a negative power divides by 0 at an integer total_iters in torch (ZeroDivisionError); never reached
        # without one, nor at a fractional one (the recursion stops before)
        lo = 0.0 if isinstance(self.total_iters, int) and self.total_iters > 0 else None
        when = "" if lo is None else " with an integer total_iters > 0"
        self._set("power", c.number(self.schedule, "power", self.power, lo, suffix=when))

    def equivalent(self) -> dict[str, Any] | None:
        if self.total_iters <= 0 or self.power <= 0.0 or not isinstance(self.total_iters, int):
            return None
        return {"schedule": "warmup_polynomial_decay", "peak_value": self.lr, "warmup_steps": 0,
                "total_steps": self.total_iters, "power": self.power}

    def compose(self) -> Node:
        T, lr, power = self.total_iters, self.lr, self.power
        if T <= 0 or power == 0.0:
            return Constant(lr)
        if isinstance(T, int):
            return Interp("linear", lr, 0.0, T, power=power, label="total_iters")
        last = lr * (1.0 - math.floor(T) / T) ** power
        return _held_after(Interp("linear", lr, 0.0, T, power=power, label="total_iters"), T, last)


@register
@dataclass(frozen=True)
class CosineAnnealingLR(Relative):
    """``eta_min + (lr - eta_min) (1 + cos(pi t / T_max)) / 2`` for EVERY ``t``: past
    ``T_max`` it rises again (period ``2 T_max``), as torch's recursion does; a negative ``T_max``
    acts as its absolute value (the cosine is even, the recursion's restart test ``(t - 1 - T_max)
    % (2 T_max)`` meets the same steps)."""

    schedule: ClassVar[str] = "torch.CosineAnnealingLR"
    peak_note: ClassVar[str] = "torch's CosineAnnealingLR rises again after T_max (period 2 * T_max)"
    T_max: int
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("T_max", _every(self.schedule, "T_max", self.T_max))
        self._set("eta_min", c.number(self.schedule, "eta_min", self.eta_min))

    def equivalent(self) -> dict[str, Any] | None:
        if not 0.0 <= self.eta_min <= self.lr:
            return None
        return {"schedule": "warmup_cosine_decay", "peak_value": self.lr, "warmup_steps": 0,
                "total_steps": abs(self.T_max), "end_value": self.eta_min}

    def compose(self) -> Node:
        T, lr, e = abs(self.T_max), self.lr, self.eta_min
        half_period = Join([Interp("cosine", lr, e, T, label="anneal"), Interp("cosine", e, lr, T)], [T], ["T_max"])
        return Periodic(half_period, 2 * T)


@register
@dataclass(frozen=True)
class CyclicLR(ScheduleSpec):
    """torch ``CyclicLR``: triangles from ``base_lr`` up to ``max_lr`` over ``step_size_up``
    steps and back over ``step_size_down``; ``"triangular2"`` halves the amplitude every
    cycle, ``"exp_range"`` scales it by ``gamma ** t``. It sets absolute lrs (no ``lr``). A
    custom ``scale_fn`` is a function: write the schedule as a composition instead. With
    ``cycle_momentum=True`` (torch's default) the momentum / ``beta1`` runs the same cycle
    inversely, from ``max_momentum`` down to ``base_momentum`` at ``max_lr`` (its amplitude
    scaled as the lr's): :meth:`momentum_node`."""

    schedule: ClassVar[str] = "torch.CyclicLR"
    base_lr: float
    max_lr: float
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    scale_fn: None = None
    scale_mode: str = "cycle"
    cycle_momentum: bool = True
    base_momentum: float = 0.8
    max_momentum: float = 0.9

    def __post_init__(self) -> None:
        n = self.schedule
        self._set("base_lr", c.number(n, "base_lr", self.base_lr))
        self._set("max_lr", c.number(n, "max_lr", self.max_lr))
        self._set("step_size_up", c.integer(n, "step_size_up", self.step_size_up, 1))
        down = self.step_size_up if self.step_size_down is None else self.step_size_down
        self._set("step_size_down", c.integer(n, "step_size_down", down, 1))  # torch's default: step_size_up
        self._set("mode", c.choice(n, "mode", self.mode, ("triangular", "triangular2", "exp_range")))
        self._set("gamma", c.number(n, "gamma", self.gamma))
        if self.scale_fn is not None:
            raise c.fail(n, "scale_fn", self.scale_fn, "None (a custom scale_fn is a function: write a composition)")
        c.choice(n, "scale_mode", self.scale_mode, ("cycle", "iterations"))
        # without a scale_fn torch replaces scale_mode by the mode's own
        self._set("scale_mode", "iterations" if self.mode == "exp_range" else "cycle")
        self._set("cycle_momentum", c.flag(n, "cycle_momentum", self.cycle_momentum))
        self._set("base_momentum", c.number(n, "base_momentum", self.base_momentum))
        self._set("max_momentum", c.number(n, "max_momentum", self.max_momentum))

    def nominal_peak(self) -> tuple[str, float] | None:
        return "max_lr", self.max_lr

    def _cycle(self, base: float, top: float) -> Node:
        """``base`` to ``top`` and back, every cycle, scaled as ``mode`` says."""
        up, down = self.step_size_up, int(self.step_size_down or self.step_size_up)
        if self.mode == "exp_range":  # base + amplitude(t) * gamma ** t
            rise = Join([Interp("linear", 0.0, top - base, up), Interp("linear", top - base, 0.0, down)], [up])
            gamma_t = powers(1.0, self.gamma, 1)
            return Sum(Constant(base), Product(Periodic(rise, up + down), gamma_t))
        triangle = Join([Interp("linear", base, top, up), Interp("linear", top, base, down)], [up], ["max_lr"])
        decay = 0.5 if self.mode == "triangular2" else 1.0
        return Periodic(triangle, up + down, amplitude_decay=decay, baseline=base)

    def compose(self) -> Node:
        return self._cycle(self.base_lr, self.max_lr)

    def momentum_node(self) -> Node | None:
        """torch's momentum: ``max_momentum - (max_momentum - base_momentum) * scale``, the lr's
        cycle with ``max_momentum`` as its base and ``base_momentum`` as its top (``None``
        with ``cycle_momentum=False``)."""
        return self._cycle(self.max_momentum, self.base_momentum) if self.cycle_momentum else None


@register
@dataclass(frozen=True)
class OneCycleLR(ScheduleSpec):
    """torch ``OneCycleLR``: from ``max_lr / div_factor`` to ``max_lr`` at step
    ``pct_start * total_steps - 1``, then to ``max_lr / div_factor / final_div_factor`` at
    ``total_steps - 1`` (``three_phase``: down to the initial lr at
    ``2 pct_start total_steps - 2`` first). At step ``total_steps`` torch extends the last
    phase one step (a cosine rises back by ``sin(pi / 2L)**2`` of its span, a linear anneal
    overshoots) and raises after; the port holds that value. It sets absolute lrs (no
    ``lr``). With ``cycle_momentum=True`` (torch's default) the momentum / ``beta1`` follows
    the same phases from ``max_momentum`` to ``base_momentum`` and back (``three_phase``:
    then held at ``max_momentum``), step ``total_steps`` included: :meth:`momentum_node`."""

    schedule: ClassVar[str] = "torch.OneCycleLR"
    max_lr: float
    total_steps: int | None = None
    epochs: int | None = None
    steps_per_epoch: int | None = None
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    cycle_momentum: bool = True
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def __post_init__(self) -> None:
        n = self.schedule
        self._set("max_lr", c.number(n, "max_lr", self.max_lr))
        if self.total_steps is not None:
            self._set("total_steps", c.integer(n, "total_steps", self.total_steps, 1))
        elif self.epochs is not None and self.steps_per_epoch is not None:
            self._set("epochs", c.integer(n, "epochs", self.epochs, 1))
            self._set("steps_per_epoch", c.integer(n, "steps_per_epoch", self.steps_per_epoch, 1))
        else:
            raise c.fail(n, "total_steps", None, "an integer >= 1, or epochs and steps_per_epoch")
        self._set("pct_start", c.number(n, "pct_start", self.pct_start, 0.0, 1.0))
        self._set("anneal_strategy", c.choice(n, "anneal_strategy", self.anneal_strategy, ("cos", "linear")))
        self._set("cycle_momentum", c.flag(n, "cycle_momentum", self.cycle_momentum))
        self._set("base_momentum", c.number(n, "base_momentum", self.base_momentum))
        self._set("max_momentum", c.number(n, "max_momentum", self.max_momentum))
        for key in ("div_factor", "final_div_factor"):  # torch divides by them: 0 gives inf or nan
            value = c.number(n, key, getattr(self, key))
            if value == 0.0:
                raise c.fail(n, key, getattr(self, key), "a finite nonzero number (torch divides by it: inf or nan)")
            self._set(key, value)
        self._set("three_phase", c.flag(n, "three_phase", self.three_phase))
        ends = [e for e, _, _ in self._phases()]
        starts = [0.0, *ends[:-1]]
        if any(e == s for s, e in zip(starts, ends)):  # torch divides by 0 there
            raise c.fail(n, "pct_start", self.pct_start, f"a value that leaves no phase empty (phase ends {ends})")

    @property
    def steps(self) -> int:
        if self.total_steps is not None:
            return self.total_steps
        return int(self.epochs) * int(self.steps_per_epoch)  # type: ignore[arg-type]

    def _phases(self) -> list[tuple[float, float, float]]:
        """torch's phases: (end step, start lr, end lr)."""
        T, p = self.steps, self.pct_start
        initial = self.max_lr / self.div_factor
        low = initial / self.final_div_factor
        if self.three_phase:
            return [(float(p * T) - 1, initial, self.max_lr), (float(2 * p * T) - 2, self.max_lr, initial),
                    (T - 1, initial, low)]
        return [(float(p * T) - 1, initial, self.max_lr), (T - 1, self.max_lr, low)]

    def _momentum_phases(self) -> list[tuple[float, float, float]]:
        """torch's phases for the momentum: (end step, start momentum, end momentum)."""
        hi, lo = self.max_momentum, self.base_momentum
        ends = [end for end, _, _ in self._phases()]
        values = [(hi, lo), (lo, hi), (hi, hi)] if self.three_phase else [(hi, lo), (lo, hi)]
        return [(end, a, b) for end, (a, b) in zip(ends, values)]

    def nominal_peak(self) -> tuple[str, float] | None:
        return "max_lr", self.max_lr

    def _torch_value(self, t: int, k: int, phases: list[tuple[float, float, float]]) -> float:
        """torch's ``get_lr`` at step ``t`` in phase ``k`` of ``phases`` (its own arithmetic)."""
        end, a, b = phases[k]
        start = phases[k - 1][0] if k else 0.0
        pct = (t - start) / (end - start)
        if self.anneal_strategy == "cos":
            return b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (b - a) * pct + a

    def equivalent(self) -> dict[str, Any] | None:
        T, p = self.steps, self.pct_start
        if self.three_phase or not (T >= 2 and 1.0 / T < p < 1.0 and float(p * T) - 1.0 > 0.0):
            return None
        momenta = (self.base_momentum, self.max_momentum)
        if self.cycle_momentum and not all(0.0 <= m < 1.0 for m in momenta):
            return None  # the catalogue's momenta are in [0, 1)
        if self.max_lr < 0.0 or self.div_factor < 0.0 or self.final_div_factor < 0.0:
            return None  # the catalogue's lrs are >= 0
        eq: dict[str, Any] = {"schedule": "one_cycle", "total_steps": T, "peak_value": self.max_lr, "pct_start": p,
                              "div_factor": self.div_factor, "final_div_factor": self.final_div_factor,
                              "anneal": self.anneal_strategy}
        if not self.cycle_momentum:
            eq["cycle_momentum"] = False
        elif momenta != (0.85, 0.95):  # torch's defaults are the catalogue's
            eq["base_momentum"], eq["max_momentum"] = momenta
        return eq

    def compose(self) -> Node:
        return self._curve(self._phases())

    def momentum_node(self) -> Node | None:
        """The momentum / ``beta1`` torch writes beside the lr (``None`` with ``cycle_momentum=False``)."""
        return self._curve(self._momentum_phases()) if self.cycle_momentum else None

    def _curve(self, phases: list[tuple[float, float, float]]) -> Node:
        # torch picks, at step t, the first phase with t <= its end (the last phase beyond);
        # its pct runs from the previous phase's end. Steps 0..total_steps (then it raises).
        shape = "cosine" if self.anneal_strategy == "cos" else "linear"
        T = self.steps
        pieces: list[Node] = []
        firsts: list[int] = []
        labels: list[str] = []
        reached, start = -math.inf, 0.0
        for k, (end, a, b) in enumerate(phases):
            last = k == len(phases) - 1
            lo = 0 if k == 0 else math.floor(reached) + 1
            hi = T if last else min(math.floor(end), T)
            inside = min(hi, math.floor(end), T - 1)  # steps within the phase's own interval
            if lo <= inside:
                pieces.append(Interp(shape, a, b, end, start=start))
                firsts.append(lo)
                labels.append(f"phase {k + 1}")
            reached, start = max(reached, end), end
        # step T (the last torch computes, often past the last phase's end), held after
        k_T = next((k for k, (end, _, _) in enumerate(phases) if T <= end), len(phases) - 1)
        pieces.append(Constant(self._torch_value(T, k_T, phases)))
        firsts.append(T)
        labels.append("total_steps (torch raises past it)")
        return Join(pieces, firsts[1:], labels[1:], shift=False)


@register
@dataclass(frozen=True)
class CosineAnnealingWarmRestarts(Relative):
    """SGDR: cycles of ``T_0 * T_mult**c`` steps, each ``eta_min + (lr - eta_min) (1 +
    cos(pi T_cur / T_i)) / 2``."""

    schedule: ClassVar[str] = "torch.CosineAnnealingWarmRestarts"
    T_0: int
    T_mult: int = 1
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set("T_0", c.integer(self.schedule, "T_0", self.T_0, 1))
        self._set("T_mult", c.integer(self.schedule, "T_mult", self.T_mult, 1))
        self._set("eta_min", c.number(self.schedule, "eta_min", self.eta_min))

    def equivalent(self) -> dict[str, Any] | None:
        if not 0.0 <= self.eta_min <= self.lr or self.T_mult > 64:
            return None
        return {"schedule": "warmup_cosine_restarts", "peak_value": self.lr, "warmup_steps": 0,
                "cycle_steps": self.T_0, "cycle_mul": float(self.T_mult), "end_value": self.eta_min}

    def compose(self) -> Node:
        return Cycles("cosine", self.lr, self.eta_min, self.T_0, float(self.T_mult))


# --- nested schedulers ------------------------------------------------------------

MULTIPLICATIVE = ("torch.StepLR", "torch.MultiStepLR", "torch.ConstantLR", "torch.LinearLR",
                  "torch.ExponentialLR", "torch.PolynomialLR", "torch.ChainedScheduler")
"""The schedulers whose torch recursion multiplies the lr by a factor each step: a
``ChainedScheduler`` of them is the product of their factors."""


def _child(parent: str, key: str, lr: float, cfg: Any) -> ScheduleSpec:
    """A nested scheduler's config, given the parent's (the optimizer's) ``lr``."""
    if isinstance(cfg, ScheduleSpec):
        return cfg
    if not isinstance(cfg, Mapping):
        raise c.fail(parent, key, cfg, 'a scheduler config {"schedule": "torch.<Name>", ...}')
    name = cfg.get("schedule")
    if not (isinstance(name, str) and name.startswith("torch.")):
        raise c.fail(parent, key, name, "a torch scheduler (a config whose schedule is 'torch.<Name>')")
    cls = REGISTRY.get(name)
    if cls is not None and issubclass(cls, Relative):
        if "lr" in cfg and cfg["lr"] != lr:
            raise c.fail(parent, f"{key}.lr", cfg["lr"], f"the parent's lr ({lr!r}): they share the optimizer")
        cfg = {**cfg, "lr": lr}
    return spec_of(cfg)


def _children(spec: Any) -> list[Any]:
    """A composite's ``schedulers``: a non-empty list of configs, each taking the parent's ``lr``."""
    if not isinstance(spec.schedulers, (list, tuple)) or not spec.schedulers:
        raise c.fail(spec.schedule, "schedulers", spec.schedulers, "a non-empty list of scheduler configs")
    return [_child(spec.schedule, f"schedulers[{k}]", spec.lr, s) for k, s in enumerate(spec.schedulers)]


@register
@dataclass(frozen=True)
class SequentialLR(Relative):
    """``schedulers[k]`` from ``milestones[k - 1]`` on, each restarting its own step count at
    its milestone (torch calls its ``_update_lr(0)`` there, the closed form at its step 0)."""

    schedule: ClassVar[str] = "torch.SequentialLR"
    schedulers: Sequence[Any]
    milestones: Sequence[int]

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.schedule
        children = _children(self)
        for k, child in enumerate(children[1:], 1):  # torch re-enters them with get_lr(), which these lack
            if child.schedule in ("torch.SequentialLR", "torch.ChainedScheduler"):
                raise c.fail(n, f"schedulers[{k}]", child.schedule,
                             "a scheduler with a get_lr: torch cannot restart a nested SequentialLR or "
                             "ChainedScheduler at a milestone (NotImplementedError)")
        self._set("schedulers", tuple(children))
        m = len(children) - 1
        if not isinstance(self.milestones, (list, tuple)) or len(self.milestones) != m:
            raise c.fail(n, "milestones", self.milestones, f"a list of {m} integers (one fewer than schedulers)")
        ms = [c.integer(n, f"milestones[{k}]", x, 0) for k, x in enumerate(self.milestones)]
        if any(b <= a for a, b in zip(ms, ms[1:])):
            raise c.fail(n, "milestones", self.milestones, "strictly increasing integers")
        self._set("milestones", tuple(ms))

    def compose(self) -> Node:
        first, *rest = self.schedulers
        # torch re-runs the first scheduler's initial step after undoing its construction;
        # a ChainedScheduler's children then take that step as a regular one (see below)
        nodes = [first.factors_after_restep() if isinstance(first, ChainedScheduler) else first.compose()]
        return Join([*nodes, *(s.compose() for s in rest)], self.milestones,
                    [f"milestone {m}" for m in self.milestones])


@register
@dataclass(frozen=True)
class ChainedScheduler(Relative):
    """Every scheduler stepped in turn on the same lr: for the multiplicative ones
    (``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``,
    ``PolynomialLR``) that is ``lr`` times the product of their factors."""

    schedule: ClassVar[str] = "torch.ChainedScheduler"
    schedulers: Sequence[Any]

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.schedule
        children = _children(self)
        for k, child in enumerate(children):
            if child.schedule not in MULTIPLICATIVE:
                raise c.fail(n, f"schedulers[{k}]", child.schedule,
                             "a multiplicative scheduler (" + ", ".join(MULTIPLICATIVE) + "): the chain of the "
                             "others is not a product (write it as a join or a composition)")
        self._set("schedulers", tuple(children))

    def compose(self) -> Node:
        return self._product(restep=False)

    def factors_after_restep(self) -> Node:
        """The chain as the first scheduler of a ``SequentialLR``: torch calls its initial
        step again, outside the initial mode, so each child steps from epoch -1 to 0 as a
        regular step: ``ExponentialLR`` multiplies by ``gamma`` and ``PolynomialLR`` by
        ``(T / (T + 1)) ** power`` once more (the others change nothing at epoch 0)."""
        return self._product(restep=True)

    def _product(self, restep: bool) -> Node:
        if self.lr == 0.0:
            return Constant(0.0)
        factors: list[Node] = []
        for s in self.schedulers:
            f: Node = Scale(s._product(restep) if isinstance(s, ChainedScheduler) else s.compose(), 1.0 / self.lr)
            if restep and isinstance(s, ExponentialLR):
                f = Scale(f, s.gamma)
            elif restep and isinstance(s, PolynomialLR) and s.total_iters > 0 and s.power != 0.0:
                f = Scale(f, (s.total_iters / (s.total_iters + 1)) ** s.power)
            factors.append(f)
        node = factors[0]
        for f in factors[1:]:
            node = Product(node, f)
        return Scale(node, self.lr)
