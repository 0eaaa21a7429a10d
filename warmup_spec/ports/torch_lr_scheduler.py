"""torch ``torch.optim.lr_scheduler``, by its own names and parameters (``"torch.StepLR"``, ...).

Transcribed from ``torch/optim/lr_scheduler.py`` of torch 2.13.0 and tested against it
(``parity_tests/anchors/torch_lr.py``). Every scheduler is relative to the optimizer's
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
from warmup_spec.definition import ScheduleSpec, arg, definition
from warmup_spec.ports._base import Relative, growth_ceiling, powers
from warmup_spec.ports._torch_cycles import CosineWave, CyclicTriangle, TorchRestarts, odd_fraction
from warmup_spec.primitives import (
    Constant,
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


VALUE = c.Number()
"""A value, a factor or a rate: torch takes any finite number."""
FRACTION = c.Number(0.0, 1.0)
"""A factor of the lr that torch requires in ``[0, 1]``."""


def _any_int(name: str, key: str, value: Any) -> int:
    """An integer of any sign (torch takes them all: a negative step is never reached)."""
    return c.integer(name, key, value, -(2**63), lo_text="step")


@dataclass(frozen=True)
class _Real(c.Check):
    """A finite real number (not a bool), other than 0 with ``nonzero`` (torch divides by it),
    stored as an int if it is one with ``keep_int`` (torch's arithmetic on it stays exact),
    else as a float; ``expected`` is what the error and the ``Args:`` say."""

    expected: str
    nonzero: bool = False
    keep_int: bool = True

    @property
    def text(self) -> str:
        return self.expected

    def __call__(self, schedule: str, name: str, value: Any) -> int | float:
        if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
                or (self.nonzero and value == 0)):
            raise c.fail(schedule, name, value, self.expected)
        return int(value) if self.keep_int and isinstance(value, numbers.Integral) else float(value)


@dataclass(frozen=True)
class _Step(c.Check):
    """A step that torch compares its step count with: any integer, or a finite float (met where
    it equals an integer step, a fractional one never); ``whole`` stores an integral float as that
    integer; ``suffix`` ends the text."""

    suffix: str = ""
    whole: bool = False

    @property
    def text(self) -> str:
        return "a finite number" + self.suffix

    def __call__(self, schedule: str, name: str, value: Any) -> int | float:
        if isinstance(value, numbers.Integral):
            return _any_int(schedule, name, value)
        x = c.number(schedule, name, value, suffix=self.suffix)
        return int(x) if self.whole and x.is_integer() else x


TOTAL_ITERS = _Step(" or an integer", whole=True)
"""``total_iters``: an integral float is that integer, a fractional one is never met."""


@dataclass(frozen=True)
class _Counted(c.ListOf):
    """A list of milestones, stored sorted: torch counts them (``Counter``), so their order is
    not a parameter."""

    def __call__(self, schedule: str, name: str, value: Any) -> tuple[Any, ...]:
        return tuple(sorted(super().__call__(schedule, name, value)))


class _TMax(c.Check):
    """``T_max``: any finite number but 0 (an integral float is that integer), and no fraction
    ``P / Q`` with ``Q`` odd (to float precision), where torch's recursion divides by zero."""

    @property
    def text(self) -> str:
        return "a finite number other than 0 (torch divides by it; a negative one acts as its absolute value)"

    def __call__(self, schedule: str, name: str, value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value == 0:
            raise c.fail(schedule, name, value, self.text)
        if isinstance(value, numbers.Integral):
            return c.integer(schedule, name, value, -(2**63), lo_text=self.text.removeprefix("a finite number "))
        if float(value).is_integer():
            return int(float(value))
        odd = odd_fraction(float(value))
        if odd is not None:
            P, Q = odd
            raise c.fail(schedule, name, value, f"no fraction P / Q with Q odd: {value!r} is {P} / {Q}, where torch's "
                         f"recursion divides by 1 + cos(pi (t - 1) / T_max) = 0 (at t - 1 an odd multiple of {P}: "
                         "ZeroDivisionError)")
        return float(value)


class _NoScaleFn(c.Check):
    """``CyclicLR``'s ``scale_fn``: None only (a function is no config)."""

    @property
    def text(self) -> str:
        return "None (a custom scale_fn is a function: write a composition)"

    def __call__(self, schedule: str, name: str, value: Any) -> None:
        if value is not None:
            raise c.fail(schedule, name, value, self.text)


STEP_SIZE = _Real("a finite number (torch takes float(step_size))")
"""A ``CyclicLR`` step size: torch takes ``float(value)``."""
DIVISOR = _Real("a finite nonzero number (torch divides by it: inf or nan)", nonzero=True, keep_int=False)
"""``OneCycleLR``'s ``div_factor`` and ``final_div_factor``."""


def _met_every(step_size: float) -> int:
    """The steps ``t`` where torch's ``t % step_size == 0`` holds are the multiples of this
    integer: ``|step_size|`` written ``p / q`` in lowest terms (a float's ``q`` is a power of 2)
    gives ``p`` (``2.5``: 5; ``0.5``: 1; ``0.1``: 3602879701896397, as Python's exact ``%`` finds)."""
    return Fraction(abs(step_size)).numerator


@register
@definition
class StepLR(Relative):
    """``lr * gamma ** (t // step_size)`` for any finite ``gamma``; a ``|gamma| > 1`` holds
    ``max(lr, 3e38)``, ``gamma=0`` is 0 from ``step_size`` on, a negative one alternates the sign;
    a negative ``step_size`` acts as its absolute value (torch tests ``t % step_size == 0``), a
    fractional one decays where that test holds: at the multiples of its numerator in lowest
    terms (``2.5``: every 5 steps; ``0.5``: every step; ``0.1``: every 3602879701896397 steps)."""

    schedule: ClassVar[str] = "torch.StepLR"
    step_size: float = arg(_Real("a finite number other than 0 (torch tests t % step_size == 0)", nonzero=True),
                           "the steps between decays")
    gamma: float = arg(VALUE, "the factor at each decay", default=0.1)

    def equivalent(self) -> dict[str, Any] | None:
        if self.gamma <= 0.0:
            return None
        return {"schedule": "warmup_exponential_decay", "peak_value": self.lr, "warmup_steps": 0,
                "transition_steps": _met_every(self.step_size), "decay_rate": self.gamma, "staircase": True,
                "end_value": growth_ceiling(self.lr, self.gamma)}

    def compose(self) -> Node:
        return powers(self.lr, self.gamma, _met_every(self.step_size))


@register
@definition
class MultiStepLR(Relative):
    """``lr * gamma ** n(t)``, ``n(t)`` the number of ``milestones`` (repeats counted) ``<= t``; a
    float milestone counts where it equals an integer step (``2.0``), a fractional one never."""

    schedule: ClassVar[str] = "torch.MultiStepLR"
    milestones: Sequence[float] = arg(_Counted(_Step(), "a list of integers or finite numbers"),
                                      "the steps at which the lr is multiplied by ``gamma``, stored sorted")
    gamma: float = arg(VALUE, "the factor at each milestone", default=0.1)

    def compose(self) -> Node:
        # torch's step count meets a milestone equal to it: a negative or fractional one is never reached
        counts = sorted(Counter(int(m) for m in self.milestones if m >= 0 and float(m).is_integer()).items())
        values, seen = [Constant(self.lr)], 0
        for _, k in counts:
            seen += k
            values.append(Constant(self.lr * self.gamma**seen))
        return Join(values, [m for m, _ in counts], [f"milestone {m}" for m, _ in counts])


def _held_after(curve: Node, T: float, last: float) -> Node:
    """``curve`` through step ``floor(T)``, then ``last`` (its value there) held: torch's
    recursion stops once the step count passes a fractional ``total_iters``."""
    return Join([curve, Constant(last)], [math.floor(T) + 1], ["total_iters"])


@register
@definition
class ConstantLR(Relative):
    """``lr * factor`` until ``total_iters``, then ``lr``; with ``total_iters <= 0`` (or a
    fractional one, never equal to the step count) torch's recursion never restores the lr:
    ``lr * factor`` forever."""

    schedule: ClassVar[str] = "torch.ConstantLR"
    factor: float = arg(FRACTION, "the lr's factor until ``total_iters``", default=1.0 / 3)
    total_iters: int | float = arg(TOTAL_ITERS, "the step from which the lr is restored", default=5)

    def compose(self) -> Node:
        low = Constant(self.lr * self.factor)
        T = self.total_iters
        if T <= 0 or not isinstance(T, int):
            return low
        return Join([low, Constant(self.lr)], [T], ["total_iters"])


@register
@definition
class LinearLR(Relative):
    """``lr * (start_factor + (end_factor - start_factor) min(t, total_iters) / total_iters)``;
    with ``total_iters <= 0`` torch's recursion stays at ``lr * start_factor``; a fractional
    one stops at step ``floor(total_iters)`` and holds that lr."""

    schedule: ClassVar[str] = "torch.LinearLR"
    start_factor: float = arg(c.Number(0.0, 1.0, lo_open=True), "the lr's factor at step 0", default=1.0 / 3)
    end_factor: float = arg(FRACTION, "the lr's factor from ``total_iters`` on", default=1.0)
    total_iters: int | float = arg(TOTAL_ITERS, "the steps of the ramp", default=5)

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
@definition
class ExponentialLR(Relative):
    """``lr * gamma ** t`` for any finite ``gamma``; a ``|gamma| > 1`` grows until ``max(lr, 3e38)``
    and holds there (torch's float lr grows on to ``inf``); ``gamma=0`` is 0 from step 1 on, a
    negative one alternates the sign."""

    schedule: ClassVar[str] = "torch.ExponentialLR"
    gamma: float = arg(VALUE, "the factor per step")

    def equivalent(self) -> dict[str, Any] | None:
        if self.gamma <= 0.0:
            return None
        return {"schedule": "warmup_exponential_decay", "peak_value": self.lr, "warmup_steps": 0,
                "transition_steps": 1, "decay_rate": self.gamma, "end_value": growth_ceiling(self.lr, self.gamma)}

    def compose(self) -> Node:
        return powers(self.lr, self.gamma, 1)


@register
@definition
class PolynomialLR(Relative):
    """``lr * (1 - min(t, total_iters) / total_iters) ** power``; with ``total_iters <= 0``
    (or ``power = 0``) torch's recursion keeps ``lr``; a fractional ``total_iters`` stops at
    step ``floor(total_iters)`` and holds that lr."""

    schedule: ClassVar[str] = "torch.PolynomialLR"
    total_iters: int | float = arg(TOTAL_ITERS, "the steps of the decay to 0", default=5)
    power: float = arg(None, "the exponent of the decay, a finite number (``>= 0`` with an integer "
                       "``total_iters > 0``)", default=1.0)

    def validate(self) -> None:
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
@definition
class CosineAnnealingLR(Relative):
    """``eta_min + (lr - eta_min) (1 + cos(pi t / T_max)) / 2`` for EVERY ``t``: past
    ``T_max`` it rises again (period ``2 T_max``), as torch's recursion does; a negative ``T_max``
    acts as its absolute value (the cosine is even, the recursion's restart test ``(t - 1 - T_max)
    % (2 T_max)`` meets the same steps). A fractional ``T_max`` (torch takes floats) is the same
    cosine, met at integer steps (``2.5``: period 5); one that is a fraction ``P / Q`` with ``Q``
    odd (``1 / 3``, ``0.2``, ``2.6``) is refused: the cosine reaches -1 at the odd multiples of
    ``P``, where torch's recursion divides by ``1 + cos = 0`` at the next step unless its restart
    test happens to hold in floats (``0.2``: it holds after step 1, not after step 3)."""

    schedule: ClassVar[str] = "torch.CosineAnnealingLR"
    peak_note: ClassVar[str] = "torch's CosineAnnealingLR rises again after T_max (period 2 * T_max)"
    T_max: float = arg(_TMax(), "the steps of the half-period")
    eta_min: float = arg(VALUE, "the lr at ``T_max`` (the cosine's low)", default=0.0)

    def equivalent(self) -> dict[str, Any] | None:
        if not 0.0 <= self.eta_min <= self.lr or not isinstance(self.T_max, int):
            return None
        return {"schedule": "warmup_cosine_decay", "peak_value": self.lr, "warmup_steps": 0,
                "total_steps": abs(self.T_max), "end_value": self.eta_min}

    def compose(self) -> Node:
        if not isinstance(self.T_max, int):
            return CosineWave(self.lr, self.eta_min, self.T_max)
        T, lr, e = abs(self.T_max), self.lr, self.eta_min
        half_period = Join([Interp("cosine", lr, e, T, label="anneal"), Interp("cosine", e, lr, T)], [T], ["T_max"])
        return Periodic(half_period, 2 * T)


@register
@definition
class CyclicLR(ScheduleSpec):
    """torch ``CyclicLR``: triangles from ``base_lr`` up to ``max_lr`` over ``step_size_up``
    steps and back over ``step_size_down``; ``"triangular2"`` halves the amplitude every
    cycle, ``"exp_range"`` scales it by ``gamma ** t``. It sets absolute lrs (no ``lr``). A
    custom ``scale_fn`` is a function: write the schedule as a composition instead. With
    ``cycle_momentum=True`` (torch's default) the momentum / ``beta1`` runs the same cycle
    inversely, from ``max_momentum`` down to ``base_momentum`` at ``max_lr`` (its amplitude
    scaled as the lr's): :meth:`momentum_node`."""

    schedule: ClassVar[str] = "torch.CyclicLR"
    base_lr: float = arg(VALUE, "the lr at each cycle's start and end")
    max_lr: float = arg(VALUE, "the lr at each cycle's top (before ``mode`` scales the amplitude)")
    step_size_up: float = arg(_Real("a finite number other than 0 (torch divides by step_size_up / (step_size_up + "
                                    "step_size_down) at step 0: ZeroDivisionError)", nonzero=True),
                              "the steps from ``base_lr`` up to ``max_lr``", default=2000)
    step_size_down: float | None = arg(c.OrNone(STEP_SIZE), "the steps back down (None: ``step_size_up``), other than "
                                       "``-step_size_up`` (``> -step_size_up`` with ``mode='triangular2'``)",
                                       default=None)
    mode: str = arg(c.Choice(("triangular", "triangular2", "exp_range")), "how the amplitude is scaled",
                    default="triangular")
    gamma: float = arg(VALUE, "``exp_range``'s factor of the amplitude per step", default=1.0)
    scale_fn: None = arg(_NoScaleFn(), default=None)
    scale_mode: str = arg(c.Choice(("cycle", "iterations")), "ignored without a ``scale_fn``: torch replaces it by "
                          "the mode's own", default="cycle")
    cycle_momentum: bool = arg(c.Flag(), "whether the momentum / ``beta1`` cycles too", default=True)
    base_momentum: float = arg(VALUE, "the momentum at ``max_lr``", default=0.8)
    max_momentum: float = arg(VALUE, "the momentum at ``base_lr``", default=0.9)

    def validate(self) -> None:
        n, up = self.schedule, self.step_size_up
        down = up if self.step_size_down is None else self.step_size_down
        if float(up) + float(down) == 0.0:
            raise c.fail(n, "step_size_down", down, f"a finite number other than -step_size_up ({-up!r}): torch "
                         "divides by step_size_up + step_size_down (ZeroDivisionError)")
        if self.mode == "triangular2" and float(up) + float(down) < 0.0:
            raise c.fail(n, "step_size_down", down, f"a number > -step_size_up ({-up!r}) with mode='triangular2': a "
                         "negative cycle counts its cycles down from 1, and torch's 1 / 2 ** (cycle - 1) grows to "
                         "inf, then divides by zero")
        self._set("step_size_down", down)  # torch's default: step_size_up
        # without a scale_fn torch replaces scale_mode by the mode's own
        self._set("scale_mode", "iterations" if self.mode == "exp_range" else "cycle")

    def nominal_peak(self) -> tuple[str, float] | None:
        return "max_lr", self.max_lr

    def _cycle(self, base: float, top: float) -> Node:
        """``base`` to ``top`` and back, every cycle, scaled as ``mode`` says."""
        up, down = self.step_size_up, self.step_size_down
        if not (isinstance(up, int) and isinstance(down, int) and up >= 1 and down >= 1):
            return self._torch_cycle(base, top, up, down)  # type: ignore[arg-type]
        if self.mode == "exp_range":  # base + amplitude(t) * gamma ** t
            rise = Join([Interp("linear", 0.0, top - base, up), Interp("linear", top - base, 0.0, down)], [up])
            gamma_t = powers(1.0, self.gamma, 1)
            return Sum(Constant(base), Product(Periodic(rise, up + down), gamma_t))
        triangle = Join([Interp("linear", base, top, up), Interp("linear", top, base, down)], [up], ["max_lr"])
        decay = 0.5 if self.mode == "triangular2" else 1.0
        return Periodic(triangle, up + down, amplitude_decay=decay, baseline=base)

    def _torch_cycle(self, base: float, top: float, up: float, down: float) -> Node:
        """The cycle of fractional or negative step sizes (or ``step_size_down=0``), in torch's
        own arithmetic (:class:`~warmup_spec.ports._torch_cycles.CyclicTriangle`)."""
        if self.mode == "exp_range":  # base + (amplitude scale) gamma ** t
            return Sum(Constant(base), Product(CyclicTriangle(0.0, top - base, up, down), powers(1.0, self.gamma, 1)))
        return CyclicTriangle(base, top - base, up, down, halving=self.mode == "triangular2")

    def compose(self) -> Node:
        return self._cycle(self.base_lr, self.max_lr)

    def momentum_node(self) -> Node | None:
        """torch's momentum: ``max_momentum - (max_momentum - base_momentum) * scale``, the lr's
        cycle with ``max_momentum`` as its base and ``base_momentum`` as its top (``None``
        with ``cycle_momentum=False``)."""
        return self._cycle(self.max_momentum, self.base_momentum) if self.cycle_momentum else None


@register
@definition
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
    max_lr: float = arg(VALUE, "the peak lr")
    total_steps: int | None = arg(c.OrNone(c.Integer(1)), "the cycle's length (None: ``epochs * steps_per_epoch``)",
                                  default=None)
    epochs: int | None = arg(None, "the epochs, read when ``total_steps`` is None (an integer ``>= 1`` then)",
                             default=None)
    steps_per_epoch: int | None = arg(None, "the steps per epoch, read when ``total_steps`` is None (an integer "
                                      "``>= 1`` then)", default=None)
    pct_start: float = arg(c.Number(0.0, 1.0), "the fraction of the steps spent rising", default=0.3)
    anneal_strategy: str = arg(c.Choice(("cos", "linear")), "the phases' shape", default="cos")
    cycle_momentum: bool = arg(c.Flag(), "whether the momentum / ``beta1`` cycles too", default=True)
    base_momentum: float = arg(VALUE, "the momentum at the peak lr", default=0.85)
    max_momentum: float = arg(VALUE, "the momentum at the start and the end", default=0.95)
    div_factor: float = arg(DIVISOR, "the initial lr is ``max_lr / div_factor``", default=25.0)
    final_div_factor: float = arg(DIVISOR, "the final lr is the initial lr ``/ final_div_factor``", default=1e4)
    three_phase: bool = arg(c.Flag(), "whether the lr comes back down to the initial lr before the final anneal",
                            default=False)

    def validate(self) -> None:
        n = self.schedule
        if self.total_steps is None:  # torch reads epochs and steps_per_epoch only then
            if self.epochs is None or self.steps_per_epoch is None:
                raise c.fail(n, "total_steps", None, "an integer >= 1, or epochs and steps_per_epoch")
            self._set("epochs", c.integer(n, "epochs", self.epochs, 1))
            self._set("steps_per_epoch", c.integer(n, "steps_per_epoch", self.steps_per_epoch, 1))
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
@definition
class CosineAnnealingWarmRestarts(Relative):
    """SGDR: cycles of ``T_0 * T_mult**c`` steps, each ``eta_min + (lr - eta_min) (1 +
    cos(pi T_cur / T_i)) / 2``."""

    schedule: ClassVar[str] = "torch.CosineAnnealingWarmRestarts"
    T_0: int = arg(c.Integer(1), "the first cycle's steps")
    T_mult: int = arg(c.Integer(1), "each cycle's factor of the previous one's length", default=1)
    eta_min: float = arg(VALUE, "the lr at each cycle's end (the cosine's low)", default=0.0)

    def equivalent(self) -> dict[str, Any] | None:
        if not 0.0 <= self.eta_min <= self.lr or self.T_mult > 64:
            return None
        return {"schedule": "warmup_cosine_restarts", "peak_value": self.lr, "warmup_steps": 0,
                "cycle_steps": self.T_0, "cycle_mul": float(self.T_mult), "end_value": self.eta_min}

    def float_steps(self) -> bool:
        """torch's ``step(epoch)`` takes a float epoch (documented: ``scheduler.step(epoch + i /
        iters)``) and computes the cycle there: :class:`~warmup_spec.ports._torch_cycles.TorchRestarts`."""
        return True

    def compose(self) -> Node:
        return TorchRestarts(self.lr, self.eta_min, self.T_0, self.T_mult)


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
@definition
class SequentialLR(Relative):
    """``schedulers[k]`` from ``milestones[k - 1]`` on, each restarting its own step count at
    its milestone (torch calls its ``_update_lr(0)`` there, the closed form at its step 0)."""

    schedule: ClassVar[str] = "torch.SequentialLR"
    schedulers: Sequence[Any] = arg(None, "a non-empty list of torch scheduler configs, each without ``lr`` (the "
                                    "parent's), none but the first a ``SequentialLR`` or ``ChainedScheduler``")
    milestones: Sequence[int] = arg(None, "strictly increasing integers ``>= 0``, one fewer than ``schedulers``")

    def validate(self) -> None:
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
@definition
class ChainedScheduler(Relative):
    """Every scheduler stepped in turn on the same lr: for the multiplicative ones
    (``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``,
    ``PolynomialLR``) that is ``lr`` times the product of their factors."""

    schedule: ClassVar[str] = "torch.ChainedScheduler"
    schedulers: Sequence[Any] = arg(None, "a non-empty list of configs of the multiplicative torch schedulers (above; "
                                    "a ``ChainedScheduler`` of them too), each without ``lr`` (the parent's)")

    def validate(self) -> None:
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
