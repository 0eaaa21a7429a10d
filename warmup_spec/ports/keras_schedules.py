"""Keras 3 ``keras.optimizers.schedules``, by its own names and parameters (``"keras.CosineDecay"``, ...).

Transcribed from ``keras/src/optimizers/schedules/learning_rate_schedule.py`` of Keras
3.15.1 and tested against Keras itself on its JAX backend
(``parity_tests/anchors/keras_lr.py``). Keras schedules give absolute values (no ``lr``)
and are called on the optimizer's ``iterations``, the count of updates from 0. Keras's
``name`` argument names an ops scope, not a schedule parameter: it is not taken.

Keras's quirks are reproduced, not mended: ``CosineDecay`` ignores ``warmup_steps`` when
``warmup_target`` is None and starts at ``warmup_target`` (ignoring
``initial_learning_rate``) when ``warmup_steps`` is 0; its ``decay_steps`` count after the
warmup; ``PiecewiseConstantDecay`` switches one step AFTER each boundary (``step <=
boundary`` keeps the earlier value); ``PolynomialDecay(cycle=True)`` does not restart at
``initial_learning_rate`` but stretches its decay to the next multiple of ``decay_steps``
(a jump up to a lower value each cycle); ``CosineDecayRestarts``'s floor ``alpha`` is not
scaled by ``m_mul``, and its cycle index is a float64 ``floor(log(...) / log(t_mul))``
whose rounding puts some restarts one step late (``t_mul=3``: step 121 is the end of
cycle 4, not the start of cycle 5), reproduced step for step.

What Keras refuses (``decay_steps <= 0``, ``len(boundaries) != len(values) - 1``, an
empty ``boundaries``, which fails at the first call) is refused with our ``ValueError``;
so is what gives Keras ``inf``/``NaN`` (a ``decay_rate < 0``, a ``power < 0``, ``t_mul < 1``).
Learning rates and ratios are any finite numbers (``initial_learning_rate=-0.1``,
``alpha=1.7``, ``m_mul=1.3``). Steps are floats, as Keras's (``Variable(1.0)``, ``2.5``),
except for ``PolynomialDecay(cycle=True)`` and ``CosineDecayRestarts``, whose cycles are
found on integer steps (a float step is refused); step parameters are integers. Not
reproduced: a Python ``int`` ``initial_learning_rate`` makes Keras compute in int32
(``ExponentialDecay(1, 10, 0.5)`` casts ``decay_rate`` to 0: 0 from step 1;
``CosineDecay(1, 10)`` casts pi to 3); here every value is a float, as with ``1.0`` in
Keras. Keras evaluates in float32 (``floatx``); the ports are exact float64 closed forms
and float32 array forms of the formulas Keras writes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec._array_ops import ArrayOps
from warmup_spec.definition import arg, definition
from warmup_spec.ports._base import FloatSteps, checked, growth_ceiling
from warmup_spec.primitives import (
    Constant,
    Cycles,
    Described,
    Exponential,
    Interp,
    Join,
    Node,
    Periodic,
    PowerLaw,
    Product,
    Scale,
    Sum,
)
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Within
from warmup_spec.primitives.cycles import float_log_index
from warmup_spec.primitives.stairs import Stairs
from warmup_spec.registry import register

INT32_MAX = 2**31 - 1
MIN_T_MUL = 1.001
"""The smallest ``t_mul`` above 1: closer to 1 the restarts' exact table of cycle
boundaries (one entry per cycle within int32) explodes (the ``Cycles`` primitive)."""
MAX_T_MUL = 64.0
INVERSE_HORIZON = 1_000_000
FLOAT32_TINY = 2.0**-126
"""float32's smallest normal number: a ``power`` below it (but not 0) is refused, as the
float32 forms would read it as 0."""


VALUE = c.Number()
"""A learning rate or a ratio: any finite number (Keras takes any)."""
STEPS = c.Integer(1)
"""A step parameter Keras divides by."""


@register
@definition
class ExponentialDecay(FloatSteps):
    """Keras ``ExponentialDecay``: ``initial_learning_rate * decay_rate ** (t / decay_steps)``,
    the exponent floored with ``staircase``.

    From ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1).
    Quirks: no floor and no end; ``decay_rate > 1`` grows without bound (held here at
    ``max(initial_learning_rate, 3e38)``, where Keras's float32 overflows to ``inf``);
    ``decay_rate <= 0`` (0 from step 1 on, ``NaN`` below 0 in Keras) is refused.
    """

    schedule: ClassVar[str] = "keras.ExponentialDecay"
    initial_learning_rate: float = arg(VALUE)
    decay_steps: int = arg(STEPS)
    decay_rate: float = arg(c.Number(0.0, lo_open=True))
    staircase: bool = arg(c.Flag(), default=False)

    def equivalent(self) -> dict[str, Any] | None:
        p, rate = self.initial_learning_rate, self.decay_rate
        if rate == 1.0:
            return None
        return checked({"schedule": "warmup_exponential_decay", "peak_value": p, "warmup_steps": 0,
                        "transition_steps": self.decay_steps, "decay_rate": rate, "staircase": self.staircase,
                        "end_value": growth_ceiling(p, rate)})

    def compose(self) -> Node:
        p, rate = self.initial_learning_rate, self.decay_rate
        bound = growth_ceiling(p, rate)
        return Exponential(p, rate, self.decay_steps, staircase=self.staircase, bound=bound, label="decay")

    def nominal_peak(self) -> tuple[str, float] | None:
        return "initial_learning_rate", self.initial_learning_rate


@register
@definition
class InverseTimeDecay(FloatSteps):
    """Keras ``InverseTimeDecay``: ``initial_learning_rate / (1 + decay_rate * p)`` with
    ``p = t / decay_steps`` (``floor(t / decay_steps)`` with ``staircase``).

    From ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1).
    Quirks: it never ends (1/11 of the start at ``10 decay_steps / decay_rate``, the
    horizon shown, at most 10**6 steps); ``decay_rate = 0`` is constant;
    ``decay_rate < 0`` (a pole, then negative rates in Keras) is refused.
    Composition: ``k / (x + s)`` with ``s = decay_steps / decay_rate`` and
    ``k = initial_learning_rate * s``, sampled at each stair's first step with ``staircase``.
    """

    schedule: ClassVar[str] = "keras.InverseTimeDecay"
    initial_learning_rate: float = arg(VALUE)
    decay_steps: int = arg(STEPS)
    decay_rate: float = arg(c.Number(0.0))
    staircase: bool = arg(c.Flag(), default=False)

    def compose(self) -> Node:
        p, rate, n = self.initial_learning_rate, self.decay_rate, self.decay_steps
        if rate == 0.0 or p == 0.0:
            return Constant(p)
        s = n / rate  # p / (1 + rate x / n) = p s / (x + s)
        node: Node = PowerLaw(p, s, s, -1.0, label="decay")
        if self.staircase:
            node = Stairs(node, n, label="decay")
        horizon = min(math.ceil(10 * s / n) * n, INVERSE_HORIZON)
        return Described(node, horizon=(horizon, "until the lr falls to 1/11 of initial_learning_rate"))

    def nominal_peak(self) -> tuple[str, float] | None:
        return "initial_learning_rate", self.initial_learning_rate


class _AtCeiling(Described):
    """``inner`` (a function of integer steps) at ``ceil(t)``: a value that holds on ``(b, b + 1]``
    at a float step, as Keras's ``t <= boundary`` comparisons give."""

    def closed(self, offset: int = 0) -> ClosedForm:
        f = self.inner.closed(offset)
        return lambda t: f(math.ceil(t))

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        f, ceil = self.inner.array(ops, offset, within), ops.xp.ceil
        return lambda t: f(t if ops.is_integer(t) else ceil(t))


@register
@definition
class PiecewiseConstantDecay(FloatSteps):
    """Keras ``PiecewiseConstantDecay``: ``values[0]`` while ``t <= boundaries[0]``,
    ``values[k]`` while ``boundaries[k-1] < t <= boundaries[k]``, ``values[-1]`` after
    ``boundaries[-1]``.

    From ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1).
    Quirks: each value changes one step AFTER its boundary (``boundaries=[100]``: step 100
    still has ``values[0]``, step 101 ``values[1]``; optax and torch switch AT the
    boundary); the values are absolute (not scales). Keras refuses ``len(boundaries) !=
    len(values) - 1`` and fails at the first call on an empty ``boundaries``: both
    refused here; boundaries must be strictly increasing integers ``>= 0`` (Keras sums
    overlapping ranges otherwise); the values are any finite numbers.
    """

    schedule: ClassVar[str] = "keras.PiecewiseConstantDecay"
    step_lists: ClassVar[tuple[str, ...]] = ("boundaries",)
    boundaries: Sequence[int] = arg(None, "one fewer strictly increasing integers ``>= 0`` than ``values``")
    values: Sequence[float] = arg(c.ListOf(VALUE, "a list of at least 2 learning rates", 2))

    def validate(self) -> None:
        n, m = self.schedule, len(self.values) - 1
        if not isinstance(self.boundaries, (list, tuple)) or len(self.boundaries) != m:
            raise c.fail(n, "boundaries", self.boundaries, f"a list of {m} integers (one fewer than values)")
        bs = tuple(c.integer(n, f"boundaries[{k}]", b, 0) for k, b in enumerate(self.boundaries))
        if any(b1 <= b0 for b0, b1 in zip(bs, bs[1:])):
            raise c.fail(n, "boundaries", self.boundaries, "strictly increasing integers")
        self._set("boundaries", bs)

    def compose(self) -> Node:
        labels = [f"step after boundaries[{k}]" for k in range(len(self.boundaries))]
        return _AtCeiling(Join([Constant(v) for v in self.values], [b + 1 for b in self.boundaries], labels,
                               shift=False))

    def nominal_peak(self) -> tuple[str, float] | None:
        k = max(range(len(self.values)), key=lambda i: self.values[i])
        return f"values[{k}]", self.values[k]


@register
@definition
class PolynomialDecay(FloatSteps):
    """Keras ``PolynomialDecay``: ``(initial_learning_rate - end_learning_rate) (1 - t / D) **
    power + end_learning_rate``; without ``cycle``, ``t`` is clipped to ``D = decay_steps``
    (``end_learning_rate`` from ``decay_steps`` on); with ``cycle``,
    ``D = decay_steps * ceil(t / decay_steps)`` (``decay_steps`` at step 0).

    From ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1).
    Quirks of ``cycle=True``: it never restarts at ``initial_learning_rate``; step
    ``k decay_steps`` is ``end_learning_rate`` and the next step jumps up to
    ``end + (initial - end) ((decay_steps - 1) / ((k + 1) decay_steps)) ** power``, the decay
    stretched to ``(k + 1) decay_steps`` (``decay_steps=10``: step 10 is the end, step 11
    ``end + (initial - end) * 0.45``); step 0 is ``initial_learning_rate`` (Keras sets the
    multiplier to 1 there). ``end_learning_rate`` defaults to ``1e-4`` (any finite number,
    above ``initial_learning_rate`` a rise); ``power`` is 0 (constant) or at least ``2**-126``
    (float32's smallest normal; a negative power gives Keras ``inf`` at the end).
    Composition of ``cycle=True`` from step 1 on (``c = ceil(t / decay_steps)``,
    ``y = (t - 1) mod decay_steps``): ``end + (initial - end) ((decay_steps - 1 - y) /
    decay_steps) ** power * c ** -power``, a periodic polynomial times stairs of ``c ** -power``.
    """

    schedule: ClassVar[str] = "keras.PolynomialDecay"
    initial_learning_rate: float = arg(VALUE)
    decay_steps: int = arg(STEPS)
    end_learning_rate: float = arg(VALUE, default=0.0001)
    power: float = arg(c.Number(0.0), "0 or at least ``2**-126``", default=1.0)
    cycle: bool = arg(c.Flag(), default=False)

    def validate(self) -> None:
        if 0.0 < self.power < FLOAT32_TINY:  # float32 would read it as 0: 0 ** 0 = 1 at the end
            raise c.fail(self.schedule, "power", self.power, f"0.0 or a finite number >= {FLOAT32_TINY!r}")

    def equivalent(self) -> dict[str, Any] | None:
        if self.cycle or self.power <= 0.0:
            return None
        return checked({"schedule": "warmup_polynomial_decay", "peak_value": self.initial_learning_rate,
                        "warmup_steps": 0, "total_steps": self.decay_steps, "end_value": self.end_learning_rate,
                        "power": self.power})

    def float_steps(self) -> bool:
        return not self.cycle  # the cycles are composed on integer steps

    def compose(self) -> Node:
        p, e, n, k = self.initial_learning_rate, self.end_learning_rate, self.decay_steps, self.power
        if not self.cycle:
            return Interp("linear", p, e, n, power=k, label="decay")
        # ((n - 1 - y) / n) ** k at y = (t - 1) mod n: the interpolation from 1 at y = -1 to 0 at n - 1
        shape = Periodic(Interp("linear", 1.0, 0.0, n - 1, start=-1, power=k), n)
        stretch = Stairs(PowerLaw(1.0, float(n), float(n), -k), n)  # c ** -k, c = floor((t - 1) / n) + 1
        cycles = Sum(Constant(e), Scale(Product(shape, stretch), p - e))
        restarts = [(1 + j * n, "restart") for j in range(1, 4)]  # the intended jumps up, cycles 2 to 4
        return Described(Join([Constant(p), cycles], [1], ["first cycle"]), events=restarts,
                         horizon=(10 * n + 1, "ten cycles"))

    def nominal_peak(self) -> tuple[str, float] | None:
        return "initial_learning_rate", self.initial_learning_rate


@register
@definition
class CosineDecay(FloatSteps):
    """Keras ``CosineDecay``: with ``warmup_target = None``, ``initial_learning_rate ((1 -
    alpha) (1 + cos(pi min(t, decay_steps) / decay_steps)) / 2 + alpha)``; else a linear
    warmup ``initial_learning_rate + (warmup_target - initial_learning_rate) t /
    warmup_steps`` for ``t < warmup_steps``, then the same cosine decay from
    ``warmup_target`` over ``decay_steps`` more steps (held from ``warmup_steps +
    decay_steps`` on).

    From ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1).
    Quirks: ``decay_steps`` does NOT include the warmup (the decay ends at
    ``warmup_steps + decay_steps``); ``alpha`` is a RATIO of the decay's start value
    (``warmup_target``, or ``initial_learning_rate``), the end value ``alpha *
    warmup_target``; the warmup reaches ``warmup_target`` exactly at ``warmup_steps``;
    ``warmup_steps`` is IGNORED when ``warmup_target`` is None; with ``warmup_target`` set
    and ``warmup_steps = 0`` step 0 is already ``warmup_target`` (``initial_learning_rate``
    unused). Keras computes its cosine in float32 even with ``floatx="float64"`` on JAX.
    """

    schedule: ClassVar[str] = "keras.CosineDecay"
    initial_learning_rate: float = arg(VALUE)
    decay_steps: int = arg(STEPS)
    alpha: float = arg(VALUE, default=0.0)
    warmup_target: float | None = arg(c.OrNone(VALUE), default=None)
    warmup_steps: int = arg(c.Integer(0), default=0)

    def _start(self) -> float:
        return self.initial_learning_rate if self.warmup_target is None else self.warmup_target

    def equivalent(self) -> dict[str, Any] | None:
        warm = self.warmup_target is not None
        peak = self.warmup_target if self.warmup_target is not None else self.initial_learning_rate
        w = self.warmup_steps if warm else 0
        if self.initial_learning_rate > peak:
            return None
        return checked({"schedule": "warmup_cosine_decay", "peak_value": peak, "warmup_steps": w,
                        "init_value": self.initial_learning_rate if w else 0.0, "total_steps": w + self.decay_steps,
                        "end_value": self.alpha * peak})

    def compose(self) -> Node:
        top = self._start()
        decay = Interp("cosine", top, self.alpha * top, self.decay_steps, label="decay")
        if self.warmup_target is None:
            return decay
        w = self.warmup_steps
        warm = Interp("linear", self.initial_learning_rate, top, max(w, 1), label="warmup")
        return Join([warm, decay], [w], ["end of warmup"])

    def nominal_peak(self) -> tuple[str, float] | None:
        if self.warmup_target is None:
            return "initial_learning_rate", self.initial_learning_rate
        return "warmup_target", self.warmup_target

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = 0 if self.warmup_target is None else self.warmup_steps
        return w, ((w,) if w > 0 else ())


@register
@definition
class CosineDecayRestarts(FloatSteps):
    """Keras ``CosineDecayRestarts`` (SGDR): cycle ``i`` lasts ``first_decay_steps * t_mul**i``
    steps; at its fraction ``u``, ``initial_learning_rate ((1 - alpha) m_mul**i (1 + cos(pi
    u)) / 2 + alpha)``. Keras finds ``i = floor(log(1 - (t / first_decay_steps) (1 - t_mul)) /
    log(t_mul))`` (``floor(t / first_decay_steps)`` when ``t_mul == 1``).

    From ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1).
    Quirks: the floor ``alpha * initial_learning_rate`` is NOT scaled by ``m_mul`` (only
    the cosine part decays: ``m_mul=0.5, alpha=0.1`` restarts at 0.55, not 0.5); the cycle
    index is computed in floats, and where ``log(...) / log(t_mul)`` rounds below an integer
    a restart comes one step late: that step is the end of the previous cycle
    (``alpha * initial_learning_rate``), e.g. ``t_mul=3``: steps ``121 first_decay_steps``
    and ``29524 first_decay_steps`` (``t_mul=10``: ``111 first_decay_steps``); these are
    Keras's float64 roundings (with a correctly rounded ``log``), reproduced at every step
    within int32. Keras's float32 (its default) rounds at other restarts (``t_mul=2``: step
    8191 ``first_decay_steps``), and on JAX computes ``log`` and ``cos`` in float32 even with
    ``floatx="float64"``. ``t_mul`` is 1 or in ``[1.001, 64]`` (below 1 Keras gives ``NaN``
    after finitely many cycles), ``m_mul > 0`` (above 1 each restart is higher), ``alpha``
    any finite number.
    """

    schedule: ClassVar[str] = "keras.CosineDecayRestarts"
    initial_learning_rate: float = arg(VALUE)
    first_decay_steps: int = arg(STEPS)
    t_mul: float = arg(c.NumberOr(1.0, MIN_T_MUL, MAX_T_MUL), default=2.0)
    m_mul: float = arg(c.Number(0.0, lo_open=True), default=1.0)
    alpha: float = arg(VALUE, default=0.0)

    def float_steps(self) -> bool:
        return False  # the cycles are found on integer steps (Keras's own are not late at float steps)

    def equivalent(self) -> dict[str, Any] | None:
        # restarts agree where Keras's float log puts them exactly (t_mul 1 and 2, see above)
        if self.alpha != 0.0 or self.t_mul not in (1.0, 2.0) or self.m_mul > 1.0:
            return None
        return checked({"schedule": "warmup_cosine_restarts", "peak_value": self.initial_learning_rate,
                        "warmup_steps": 0, "cycle_steps": self.first_decay_steps, "cycle_mul": self.t_mul,
                        "cycle_decay": self.m_mul})

    def compose(self) -> Node:
        p, a, m = self.initial_learning_rate, self.alpha, self.m_mul
        floor = a * p
        # Keras's float64 cycle index (timm's): some restarts come a step late or early
        return Sum(Constant(floor), Cycles("cosine", p * (1.0 - a), 0.0, self.first_decay_steps, self.t_mul, m,
                                          index=float_log_index))

    def nominal_peak(self) -> tuple[str, float] | None:
        return "initial_learning_rate", self.initial_learning_rate
