"""HF transformers ``transformers.optimization``, by its own names and parameters
(``"transformers.get_cosine_schedule_with_warmup"``, ...).

Transcribed from ``transformers/optimization.py`` of transformers 5.24.0 and tested against
it (``parity_tests/anchors/transformers_lr.py``). Every ``get_*`` function there returns a
``LambdaLR`` whose lambda is a factor of the optimizer's lr, given here as ``lr`` (the base
lr of the param group; for ``get_polynomial_decay_schedule_with_warmup`` and ``min_lr=`` it
is also ``optimizer.defaults["lr"]``, which those functions read). ``LambdaLR`` gives update
``k`` the lr ``lr * lambda(k)``: the value at step 0 is ``lambda(0)`` (0 after a warmup,
except in ``..._lr_rate``), and nothing ends: every lambda is defined at every step.

Ported: ``get_constant_schedule``, ``get_constant_schedule_with_warmup``,
``get_linear_schedule_with_warmup``, ``get_cosine_schedule_with_warmup``,
``get_cosine_with_hard_restarts_schedule_with_warmup``,
``get_polynomial_decay_schedule_with_warmup``, ``get_inverse_sqrt_schedule``,
``get_cosine_with_min_lr_schedule_with_warmup``,
``get_cosine_with_min_lr_schedule_with_warmup_lr_rate``, ``get_wsd_schedule`` and
``get_scheduler`` for the names that map to them. Not ported (not functions of the step):
``get_reduce_on_plateau_schedule`` (torch ``ReduceLROnPlateau``, driven by a metric),
``get_greedy_schedule`` (``GreedyLR``, driven by a metric), ``get_adafactor_schedule``
(``AdafactorSchedule`` reports the lr ``Adafactor`` computes from its own state).

Shared conventions (HF's arithmetic, reproduced):

- the warmup is ``t / max(1, w)`` for ``t < w``: 0 at step 0, ``(w - 1) / w`` at its last
  step, never 1 (the ``..._lr_rate`` variant: ``(t + 1) / w``, full lr at ``w - 1``);
- after the warmup the decay length is ``max(1, T - w)`` (``T <= w``: 1 step);
- cosines keep their phase past ``num_training_steps``: ``num_cycles=0.5`` rises back to the
  lr over the next ``T - w`` steps and oscillates forever (period ``(T - w) / num_cycles``);
- the cosine and min-lr ports' wave: with whole counts and a rational ``num_cycles = k / q``
  (``q <= 1000``, ``|k| <= 100``: ``0.5, 1, 2, 0.25, 0.3, 1.5, 1/3``) it is exactly periodic
  in the integer step (``q (T - w)`` steps hold ``k`` cycles), composed of its half-cycles;
  with fractional counts or any other ``num_cycles`` (``|c| <= 1e6``) it is
  :class:`HFCosine`, HF's float arithmetic on the host, its phase reduced exactly or to
  float precision in the array forms; WSD's ``num_cycles`` is such a ``k / q``;
- the step counts are what HF's lambdas take: Python, NumPy or 0-d tensor numbers of any
  sign (a negative ``num_warmup_steps`` is no warmup, the decay ``-w`` steps in at step 0),
  kept as ints when whole, fractional ones computed as HF computes them. Steps are
  integers, as ``LambdaLR`` counts them (a float ``step(epoch)`` is deprecated in torch;
  HF's lambdas are typed ``int``).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from fractions import Fraction
from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec._array_ops import ArrayOps
from warmup_spec.definition import arg, definition
from warmup_spec.ports._base import Relative, at_least_zero, checked
from warmup_spec.ports._half_turns import HalfTurns
from warmup_spec.primitives import Constant, Interp, Join, Node, Periodic, PowerLaw
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Within
from warmup_spec.primitives.reverse import Reverse
from warmup_spec.registry import REGISTRY, register

MAX_CYCLES_DENOMINATOR = 1000
MAX_CYCLES_NUMERATOR = 100
MAX_HARD_RESTARTS = 1000
MAX_WAVE_CYCLES = 1e6
WSD_SHAPES = ("linear", "cosine", "1-sqrt")


# --- shared pieces ------------------------------------------------------------------


class _Steps(c.Check):
    """A number of steps as HF's lambdas take it: any finite number, of any sign, a Python,
    NumPy or 0-d tensor one; stored as an int when it is whole."""

    text = "a finite number of steps (HF compares the step with it)"

    def __call__(self, schedule: str, name: str, value: Any) -> int | float:
        x = value.item() if getattr(value, "ndim", None) == 0 and hasattr(value, "item") else value  # a 0-d tensor
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise c.fail(schedule, name, value, self.text)
        if isinstance(x, numbers.Integral):
            return int(x)
        f = float(x)
        if not math.isfinite(f):
            raise c.fail(schedule, name, value, self.text)
        return int(f) if f.is_integer() else f


STEPS = _Steps()


W_DOC = "steps of warmup (``w``)"
T_DOC = "the schedule's length, warmup included (``T``)"
CYCLES_DOC = "cosine cycles over ``T - w`` steps (``c``)"
MIN_LR_DOC = "the cosine's end ``m lr``, absolute (HF divides it by ``lr``; set one of ``min_lr`` and ``min_lr_rate``)"


def _rational_cycles(x: float) -> bool:
    """Whether ``|x|`` is a rational ``k / q`` (``q <= 1000``, ``|k| <= 100``) to float precision:
    a wave :func:`cosine_wave` builds of its half-cycles on whole steps."""
    fr = Fraction(abs(x)).limit_denominator(MAX_CYCLES_DENOMINATOR)
    return float(fr) == abs(x) and fr.numerator <= MAX_CYCLES_NUMERATOR


class _Cycles(c.Check):
    """``num_cycles`` of an endless cosine wave built on whole steps: a finite rational
    ``k / q`` the wave can be built of (:func:`cosine_wave`)."""

    text = (f"a finite number k / q with integers |k| <= {MAX_CYCLES_NUMERATOR}, 1 <= q <= {MAX_CYCLES_DENOMINATOR} "
            "(0.5, 1, 2, 0.25, 0.3, 1.5, ...)")

    def __call__(self, schedule: str, name: str, value: Any) -> float:
        x = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
        if not (math.isfinite(x) and _rational_cycles(x)):
            raise c.fail(schedule, name, value, self.text)
        return x


class _WaveCycles(c.Check):
    """``num_cycles`` of the cosine ports (:class:`HFCosine`, a wave of any real period): a
    finite number in ``[-1e6, 1e6]``."""

    note = (" (HF takes any finite one; past 1e6 cycles over T - w HF's float64 phase parts from its wave by over "
            "1e-6 within 5000 steps, where the port's float32 forms cannot follow it)")
    text = c.Number(-MAX_WAVE_CYCLES, MAX_WAVE_CYCLES).text + note

    def __call__(self, schedule: str, name: str, value: Any) -> float:
        return c.number(schedule, name, value, -MAX_WAVE_CYCLES, MAX_WAVE_CYCLES, suffix=self.note)


class _Restarts(c.Check):
    """The hard restarts' ``num_cycles``: a finite number in ``[-1000, 1000]`` (each cycle a
    piece of the port), stored as an int when it is whole."""

    note = " (HF takes float(num_cycles); the port builds each cycle)"
    text = c.Number(-MAX_HARD_RESTARTS, MAX_HARD_RESTARTS).text + note

    def __call__(self, schedule: str, name: str, value: Any) -> int | float:
        x = c.number(schedule, name, value, -MAX_HARD_RESTARTS, MAX_HARD_RESTARTS, suffix=self.note)
        return int(x) if x.is_integer() else x


def _num(x: Fraction) -> int | float:
    """A step as an int when it is one, else the nearest float (Interp's fractional bounds)."""
    return int(x) if x.denominator == 1 else float(x)


def _warmup_then(lr: float, w: int, after: Node) -> Node:
    """``lr * t / max(1, w)`` for ``t < w``, then ``after`` on its own clock from ``w``
    (``w < 0``: no warmup, ``after``'s clock at ``-w`` at step 0: HF's ``t - w``)."""
    return Join([Interp("linear", 0.0, lr, max(w, 1), label="warmup"), after], [w], ["end of warmup"])


def _warmup_before(lr: float, w: float, after: Node) -> Node:
    """``lr * t / max(1, w)`` at the steps ``t < w`` (none for ``w <= 0``), then ``after``
    on the step's own clock: HF's warmup for any finite ``w``, ended at step ``ceil(w)``."""
    if w <= 0:
        return after
    warm = Interp("linear", 0.0, lr, max(w, 1), label="warmup")
    return Join([warm, after], [math.ceil(w)], ["end of warmup"], shift=False)


def cosine_wave(hi: float, lo: float, length: int, cycles: float, shift: int = 0) -> Node:
    """``lo + (hi - lo) (1 + cos(2 pi cycles (x + shift) / length)) / 2`` at EVERY local step
    ``x >= 0``: HF's cosine factor, with its phase running on past the end.

    With ``|cycles| = k / q`` the wave repeats every ``q * length`` steps (``k`` cycles), a
    :class:`Periodic` of its ``2k`` half-cycles, each a cosine :class:`Interp` between
    fractional bounds (``hi -> lo``, then ``lo -> hi``); ``shift`` moves the phase on by
    that many steps (the ``..._lr_rate`` variant's ``t - w + 1``).
    """
    fr = Fraction(abs(cycles)).limit_denominator(MAX_CYCLES_DENOMINATOR)
    if fr == 0:
        return Constant(hi)
    k, q = fr.numerator, fr.denominator
    period = q * length
    half = Fraction(period, 2 * k)
    pieces: list[Node] = []
    firsts: list[int] = []
    labels: list[str] = []
    for j in range(2 * k + 1 + math.ceil(shift / half)):  # the last ones wrap the shifted phase
        a, b = j * half - shift, (j + 1) * half - shift
        first, stop = max(math.ceil(a), 0), min(math.ceil(b), period)
        if stop <= first:  # no integer step in this half-cycle
            continue
        down = j % 2 == 0
        pieces.append(Interp("cosine", hi if down else lo, lo if down else hi, _num(b), start=_num(a)))
        firsts.append(first)
        labels.append("cosine crest" if down else "cosine trough")
    node = pieces[0] if len(pieces) == 1 else Join(pieces, firsts[1:], labels[1:], shift=False)
    return Periodic(node, period)


def _ahead(w: int, length: int, cycles: float, base: int = 0) -> int:
    """The ``shift`` of :func:`cosine_wave` for a warmup of ``w`` steps: ``base``, and with
    ``w < 0`` (no warmup, HF's ``t - w``) ``base - w`` modulo the wave's period (``q * length``
    for ``|cycles| = k / q``), so that no clock runs from a large negative step."""
    if w >= 0:
        return base
    return (base - w) % (Fraction(abs(cycles)).limit_denominator(MAX_CYCLES_DENOMINATOR).denominator * length)


class HFCosine(Node):
    """HF's cosine after the warmup, at any real ``w``, ``D = max(1, T - w)`` and ``c``, on the
    step's own clock ``t``: ``lr max(0, m + (1 - m) (1 + cos(2 pi c u)) / 2)`` with ``u = (t -
    w) / D`` (``plus_one``: ``(t - w + 1) / D``, the ``..._lr_rate`` variant), a wave of period
    ``D / |c|`` steps and phase ``w``, neither of them whole.

    The float64 closed form is HF's lambda, operation for operation (the same float at every
    step). The float32 array form reduces the phase ``(t - s) R`` half-turns (``R = 2 |c| / D``,
    ``s = w`` or ``w - 1``) modulo 2 from the integer step, as
    :class:`~warmup_spec.ports._half_turns.HalfTurns` says: exactly for ``w=2.5, T=10``
    (``(2 t - 5) / 15``, 0 at step ``T``), chunk by chunk for ``num_cycles=pi`` or
    ``w = 7.000000000000001``.

    In float64 the array form is HF's arithmetic, as the closed form (HF's own float64 phase
    rounding, 1e-12 of ``lr`` by step 5000, then kept).

    Measured against HF (``lr = 0.1``): at most 2.8 float32 ulps of ``lr`` at steps 0..5000
    and ``10**6 .. 2**31 - 1``. Past about 1e6 cycles over ``D`` HF's own float64 phase
    drifts (``pi c 2 u`` of 1e10 radians by step 5000): refused by the ports.
    """

    label = "cosine"

    def __init__(self, lr: float, w: float, D: float, cycles: float, m: float = 0.0, *, plus_one: bool = False) -> None:
        self.lr, self.w, self.D, self.cycles, self.m, self.plus_one = float(lr), w, D, cycles, float(m), plus_one
        # the phase (t - s) R half-turns: R = 2 |c| / D, s = w (plus_one: w - 1), both exact
        self.turns = HalfTurns(2 * Fraction(abs(cycles)) / Fraction(D), Fraction(w) - (1 if plus_one else 0))

    def closed(self, offset: int = 0) -> ClosedForm:
        lr, w, D, m, cos, pi = self.lr, self.w, self.D, self.m, math.cos, math.pi
        cyc = float(self.cycles)
        if self.plus_one:
            def value(t: int) -> float:
                progress = (float(t - offset) - float(w) + 1.0) / D  # D: max(1.0, float(T) - float(w))
                factor = 0.5 * (1.0 + cos(pi * cyc * 2.0 * progress))
                return lr * max(0, factor * (1 - m) + m)
        else:
            def value(t: int) -> float:
                progress = float(t - offset - w) / float(D)
                factor = 0.5 * (1.0 + cos(pi * cyc * 2.0 * progress))
                return lr * max(0, factor * (1 - m) + m)

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, lr, m, turns = ops.xp, self.lr, self.m, self.turns
        w, D, cyc, plus_one = self.w, float(self.D), float(self.cycles), self.plus_one

        def value(t: Any) -> Any:
            x = xp.maximum(t - offset, 0)
            if xp.dtype(ops.float_dtype()).itemsize == 8:  # float64: HF's arithmetic, as the closed form
                # HF's float(t - w): float(t) - w, exact then rounded once for |t|, |w| < 2**53
                progress = ((ops.to_float(x) - float(w) + 1.0) if plus_one else (ops.to_float(x) - float(w))) / D
                factor = 0.5 * (1.0 + xp.cos(math.pi * cyc * 2.0 * progress))
                return lr * xp.maximum(factor * (1 - m) + m, 0.0)
            s = turns.crest_cos(ops, x)
            factor = (s * s) * (1.0 - m) + m
            return lr * xp.maximum(factor, 0.0)

        return value

    @property
    def end(self) -> int | None:
        return 0 if self.cycles == 0 or self.m == 1.0 else None

    def events(self) -> list[tuple[int, str]]:
        return []  # a smooth wave: no jump

    def open_horizon(self) -> tuple[int, str]:
        period = float(self.D) / abs(self.cycles) if self.cycles else 0.0
        return max(10, math.ceil(min(3.1 * period, 1e6))), "three periods + 10%"


def _whole_counts(spec: Any) -> tuple[int, int] | None:
    """``(w, T)`` where a cosine port's wave is built of half-cycles on whole steps
    (:func:`cosine_wave`): whole counts and a rational ``num_cycles``; else None (:class:`HFCosine`)."""
    w, T = spec.num_warmup_steps, spec.num_training_steps
    return (w, T) if isinstance(w, int) and isinstance(T, int) and _rational_cycles(spec.num_cycles) else None


class _HF(Relative):
    """What every port of a ``transformers.get_*`` function shares: its warmup fact."""

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = getattr(self, "num_warmup_steps", None)
        if w is None:
            return None, ()
        w = max(math.ceil(w), 0)  # the steps t < num_warmup_steps
        return w, ((w,) if w > 0 else ())



def _catalogue(name: str, spec: Any, **params: Any) -> dict[str, Any] | None:
    """A catalogue config with the port's lr as peak and its warmup; None where the catalogue
    refuses the port's values (a negative or fractional warmup, ...)."""
    return checked({"schedule": name, "peak_value": spec.lr, "warmup_steps": spec.num_warmup_steps, **params})

# --- the ports ----------------------------------------------------------------------


@register
@definition
class GetConstantSchedule(_HF):
    """``lr`` at every step (``_get_constant_lambda``: 1)."""

    schedule: ClassVar[str] = "transformers.get_constant_schedule"

    def compose(self) -> Node:
        return Constant(self.lr)


@register
@definition
class GetConstantScheduleWithWarmup(_HF):
    """``lr * t / max(1, w)`` for ``t < w``, then ``lr``.

    Quirk: the warmup never reaches ``lr``: its last step ``w - 1`` is ``lr (w - 1) / w``,
    and ``lr`` first comes at step ``w``. ``num_warmup_steps=0``: ``lr`` from step 0. HF's
    lambda takes any finite ``w``: a negative one is ``lr`` from step 0, a fractional one
    warms up over the steps below it (``w=2.5``: ``0, 0.4 lr, 0.8 lr``, then ``lr``).
    """

    schedule: ClassVar[str] = "transformers.get_constant_schedule_with_warmup"
    num_warmup_steps: float = arg(STEPS, W_DOC)

    def equivalent(self) -> dict[str, Any] | None:
        w = self.num_warmup_steps
        if not isinstance(w, int) or w < 0:
            return None
        return {"schedule": "warmup_constant", "peak_value": self.lr, "warmup_steps": w}

    def compose(self) -> Node:
        w, lr = self.num_warmup_steps, self.lr
        if w <= 0:
            return Constant(lr)
        warm = Interp("linear", 0.0, lr, max(w, 1), label="warmup")
        return Join([warm, Constant(lr)], [math.ceil(w)], ["end of warmup"])


@register
@definition
class GetLinearScheduleWithWarmup(_HF):
    """``lr * t / max(1, w)`` for ``t < w``, then ``lr * max(0, (T - t) / max(1, T - w))``.

    Quirks: 0 at step 0 and from ``T = num_training_steps`` on; ``T <= w``: the warmup then 0
    from step ``w`` (the lr never reaches ``lr``). HF's lambda takes any finite ``w`` and
    ``T``: a negative ``w`` is no warmup, the decay line (still ``lr`` at ``t = w``) part-way
    down at step 0 (``w=-2, T=8``: ``0.8 lr``); a fractional one ends the warmup at
    ``ceil(w)`` (``w=2.5, T=10``: ``0, 0.4 lr, 0.8 lr``, then ``lr (10 - t) / 7.5``).
    """

    schedule: ClassVar[str] = "transformers.get_linear_schedule_with_warmup"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    num_training_steps: float = arg(STEPS, T_DOC)

    def equivalent(self) -> dict[str, Any] | None:
        w, T = self.num_warmup_steps, self.num_training_steps
        return _catalogue("warmup_linear_decay", self, total_steps=T) if T > w else None

    def compose(self) -> Node:
        w, T, lr = self.num_warmup_steps, self.num_training_steps, self.lr
        if not (isinstance(w, int) and isinstance(T, int) and w >= 0):  # HF's line (T - t) / max(1, T - w) on the step
            D = max(1, T - w)
            if T <= 0:
                line: Node = Constant(0.0)
            elif T - D < 0:  # lr before step 0: the line from its value there (no clock from a negative step)
                line = Interp("linear", lr * (T / D), 0.0, T, label="decay")
            else:
                line = Interp("linear", lr, 0.0, T, start=T - D, label="decay")
            return _warmup_before(lr, w, line)
        decay = Interp("linear", lr, 0.0, T - w, label="decay") if T > w else Constant(0.0)
        return _warmup_then(lr, w, decay)


@register
@definition
class GetCosineScheduleWithWarmup(_HF):
    """``lr * t / max(1, w)`` for ``t < w``, then ``lr * (1 + cos(2 pi c u)) / 2`` with
    ``u = (t - w) / max(1, T - w)`` and ``c = num_cycles``, at EVERY later step.

    Quirks: the phase runs on past ``num_training_steps``: with ``num_cycles=0.5`` the lr
    reaches 0 at ``T`` and rises back to ``lr`` at ``2T - w`` (period ``2 (T - w)``);
    ``T <= w`` gives a 1-step decay length: ``lr, 0, lr, 0, ...`` from step ``w`` with 0.5; a
    negative ``w`` is no warmup, the wave ``-w`` steps on at step 0. Fractional counts and any
    ``num_cycles``, as HF takes them: the warmup at the steps ``t < w``, the wave of period
    ``(T - w) / c`` from step ``ceil(w)`` on HF's real clock (``w=2.5, T=10``: ``0, 0.4 lr,
    0.8 lr``, then ``lr (1 + cos(2 pi (t - 2.5) / 15)) / 2``, 0 at step 10).
    (In 5.24 the lambda is the later, min-lr definition of
    ``_get_cosine_schedule_with_warmup_lr_lambda`` with ``min_lr_rate=0``: the same values.)
    """

    schedule: ClassVar[str] = "transformers.get_cosine_schedule_with_warmup"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    num_training_steps: float = arg(STEPS, T_DOC)
    num_cycles: float = arg(_WaveCycles(), CYCLES_DOC, default=0.5)

    def equivalent(self) -> dict[str, Any] | None:
        w, T = self.num_warmup_steps, self.num_training_steps
        return _catalogue("warmup_cosine_decay", self, total_steps=T) if T > w and self.num_cycles == 0.5 else None

    def compose(self) -> Node:
        lr, whole = self.lr, _whole_counts(self)
        if whole is None:
            w_, T_ = self.num_warmup_steps, self.num_training_steps
            return _warmup_before(lr, w_, HFCosine(lr, w_, max(1, T_ - w_), self.num_cycles))
        w, T = whole
        D = max(1, T - w)
        wave = cosine_wave(lr, 0.0, D, self.num_cycles, shift=_ahead(w, D, self.num_cycles))
        return _warmup_then(lr, max(w, 0), wave)


@register
@definition
class GetCosineWithHardRestartsScheduleWithWarmup(_HF):
    """``lr * t / max(1, w)`` for ``t < w``; then with ``u = (t - w) / max(1, T - w)``:
    ``lr * (1 + cos(pi ((c u) mod 1))) / 2`` while ``u < 1``, and 0 from ``T`` on.

    ``num_cycles`` (``c``) cosine cycles of ``(T - w) / c`` steps each (a fraction of a step
    allowed), every one restarting at ``lr``. Quirks: 0 from ``num_training_steps`` on (no
    tail); ``T <= w``: ``lr`` at step ``w`` only, then 0; ``num_cycles=0``: ``lr`` until
    ``T``; a negative ``w``: no warmup, the cycles ``-w`` steps on at step 0 (0 from step 0
    when ``T <= 0``). HF's lambda takes any finite counts and ``num_cycles`` (``float()`` of
    it; up to 1000 cycles here): fractional counts end each phase at the next whole step, a
    fractional ``c`` cuts its last cycle at ``T`` (``c=1.5``: a full cycle, then half of
    one), a negative ``c`` runs each cycle backwards (``(c u) mod 1``: ``lr`` at an exact
    restart, then up from 0 to ``lr``). HF's float rounding: where a restart falls on an exact
    step ``x``, ``c * (x / D)`` may round just below the integer (from ``c = 22`` on, e.g.
    ``c = 22``, ``T - w = 22``, ``x = 15``), so ``mod 1`` gives ``0.99999...`` and HF's lr
    there is 0 instead of ``lr``: the port puts HF's own value at those steps.
    """

    schedule: ClassVar[str] = "transformers.get_cosine_with_hard_restarts_schedule_with_warmup"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    num_training_steps: float = arg(STEPS, T_DOC)
    num_cycles: float = arg(_Restarts(), CYCLES_DOC + ", each restarting at ``lr``", default=1)

    def equivalent(self) -> dict[str, Any] | None:
        w, T, n = self.num_warmup_steps, self.num_training_steps, self.num_cycles
        if T <= w or n < 1 or (T - w) % n:
            return None
        return _catalogue("warmup_cosine_restarts", self, cycle_steps=(T - w) // n, cycle_limit=n)

    def compose(self) -> Node:
        w, T, lr, n = self.num_warmup_steps, self.num_training_steps, self.lr, self.num_cycles
        if not (isinstance(w, int) and isinstance(T, int) and isinstance(n, int) and n >= 0):
            return self._off_whole_steps()
        D = max(1, T - w)
        pieces: list[Node] = []
        firsts: list[int] = []
        if n == 0:
            pieces, firsts = [Constant(lr)], [0]
        length = Fraction(D, n) if n else Fraction(0)
        for k in range(n):
            a, b = k * length, (k + 1) * length
            first, stop = math.ceil(a), min(math.ceil(b), D)
            if stop <= first:
                continue
            if k > 0 and a.denominator == 1:  # a restart on an exact step: HF's own rounding there
                progress = float(first) / float(D)
                v = max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(n) * progress) % 1.0))))
                if v != 1.0:
                    pieces.append(Constant(lr * v))
                    firsts.append(first)
                    first += 1
                    if stop <= first:
                        continue
            pieces.append(Interp("cosine", lr, 0.0, _num(b), start=_num(a)))
            firsts.append(first)
        pieces.append(Constant(0.0))
        firsts.append(D)
        return _warmup_then(lr, w, Join(pieces, firsts[1:], shift=False))

    def _off_whole_steps(self) -> Node:
        """HF's lambda at fractional counts or a fractional or negative ``num_cycles``, every
        piece on the step's own clock: cycle ``k`` covers ``w + k L <= t < w + (k + 1) L``
        (``L = D / |c|``, ``D = max(1, T - w)``) until ``w + D``, then 0. With ``c < 0`` HF's
        ``(c u) mod 1`` runs backwards: each cycle rises from 0 to ``lr``. A cycle starting on
        an exact step has HF's own value there (``lr``, or its rounding)."""
        w, T, lr, c = self.num_warmup_steps, self.num_training_steps, self.lr, float(self.num_cycles)
        D = max(1, T - w)
        origin, span = Fraction(w), Fraction(D)
        first = max(math.ceil(w), 0)  # the first step t >= w
        zero = max(math.ceil(origin + span), first)  # progress >= 1 from here
        pieces: list[Node] = [Constant(lr)] if c == 0 else []
        firsts: list[int] = [first] if c == 0 else []
        length = span / Fraction(abs(c)) if c else Fraction(0)
        for k in range(math.ceil(abs(c))):
            a, b = origin + k * length, origin + (k + 1) * length
            lo, stop = max(math.ceil(a), first), min(math.ceil(b), zero)
            if stop <= lo:
                continue
            if a.denominator == 1:  # a restart on an exact step: HF's own value there
                v = max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((c * (float(lo - w) / float(D))) % 1.0))))
                pieces.append(Constant(lr * v))
                firsts.append(lo)
                lo += 1
                if stop <= lo:
                    continue
            hi_lo = (lr, 0.0) if c > 0 else (0.0, lr)  # c < 0: (c u) mod 1 = 1 - frac(|c| u)
            pieces.append(Interp("cosine", *hi_lo, _num(b), start=_num(a)))
            firsts.append(lo)
        pieces.append(Constant(0.0))
        firsts.append(zero)
        cycles = pieces[0] if len(pieces) == 1 else Join(pieces, firsts[1:], shift=False)
        return _warmup_before(lr, w, cycles)


@register
@definition
class GetPolynomialDecayScheduleWithWarmup(_HF):
    """``lr * t / max(1, w)`` for ``t < w``; ``(lr - lr_end) (1 - (t - w) / (T - w)) ** power +
    lr_end`` for ``w <= t <= T``; ``lr_end`` after (``lr_end`` absolute).

    ``lr`` is ``optimizer.defaults["lr"]`` (HF's ``lr_init``; the lambda is the value divided
    by it). HF's check, reproduced: ``lr_end < lr``. Quirks: ``power=0`` holds ``lr`` through
    step ``T`` (``0 ** 0 = 1``), ``lr_end`` from ``T + 1``; ``T < w``: the warmup then
    ``lr_end`` from ``w``. ``T == w``: HF raises ``ZeroDivisionError`` at step ``w`` (at
    construction when ``w = 0``, refused here): the port holds the last value,
    ``lr (w - 1) / w``, from step ``w`` on. ``lr_end`` may be negative (HF's lambda goes below
    0). HF's lambda takes any finite ``w`` and ``T``: the decay is then HF's curve on the steps
    ``ceil(w) <= t <= T`` (from step 0 for a negative ``w``: part-way down), ``lr_end`` after.
    ``power < 0`` grows without bound towards ``T``: refused where HF reaches ``T`` (a whole
    ``T >= 0`` past ``w``: ``0.0 ** power`` raises ``ZeroDivisionError``), taken elsewhere
    (``T = 10.5``: ``lr_end + (lr - lr_end) 21`` at step 10 with ``power=-1``, ``w=0``).
    """

    schedule: ClassVar[str] = "transformers.get_polynomial_decay_schedule_with_warmup"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    num_training_steps: float = arg(STEPS, T_DOC)
    lr_end: float = arg(c.Number(), "the lr after the decay (absolute), below ``lr`` (HF's check)", default=1e-7)
    power: float = arg(c.Number(), "the decay's exponent (below 0 only where HF never reaches ``T``)", default=1.0)

    def validate(self) -> None:
        if not self.lr > self.lr_end:  # HF: "lr_end ({lr_end}) must be smaller than initial lr ({lr_init})"
            raise c.fail(self.schedule, "lr_end", self.lr_end, f"a finite number < lr ({self.lr!r})")
        w, T = self.num_warmup_steps, self.num_training_steps
        if self.power < 0 and isinstance(T, int) and T >= 0 and T > w:
            raise c.fail(self.schedule, "power", self.power,
                         "a finite number >= 0 when num_training_steps is a step past num_warmup_steps "
                         "(HF's 0.0 ** power raises ZeroDivisionError there)")
        if self.num_warmup_steps == self.num_training_steps == 0:
            raise c.fail(self.schedule, "num_training_steps", 0,
                         "> 0 or > num_warmup_steps (HF divides by T - w = 0 at step 0)")

    def equivalent(self) -> dict[str, Any] | None:
        w, T = self.num_warmup_steps, self.num_training_steps
        if T <= w or not 0 < self.power or not 0 <= self.lr_end < self.lr:
            return None
        return _catalogue("warmup_polynomial_decay", self, total_steps=T, end_value=self.lr_end, power=self.power)

    def compose(self) -> Node:
        w, T, lr, end, power = self.num_warmup_steps, self.num_training_steps, self.lr, self.lr_end, self.power
        if not (isinstance(w, int) and isinstance(T, int) and w >= 0):  # HF's curve on the steps w <= t <= T
            if T <= w or T < 0:  # no such step (T == w off the whole steps >= 0)
                curve: Node = Constant(end)
            elif power == 0.0:
                curve = Join([Constant(lr), Constant(end)], [math.floor(T) + 1], ["end of decay"], shift=False)
            elif T == 0:  # w < 0: step 0 is T, where the curve is lr_end
                curve = Constant(end)
            elif w < 0:  # the curve from its value at step 0 (no clock from a negative step)
                start = end + (lr - end) * (T / (T - w)) ** power
                curve = Interp("linear", start, end, T, power=power, label="decay")
            else:
                curve = Interp("linear", lr, end, T, start=w, power=power, label="decay")
            return _warmup_before(lr, w, curve)
        if T < w:
            after: Node = Constant(end)
        elif T == w:  # HF raises at step w: hold the warmup's last value
            after = Constant(lr * (float(w - 1) / float(w)))
        elif power == 0.0:
            after = Join([Constant(lr), Constant(end)], [T - w + 1], ["end of decay"])
        else:
            after = Interp("linear", lr, end, T - w, power=power, label="decay")
        return _warmup_then(lr, w, after)


@register
@definition
class GetInverseSqrtSchedule(_HF):
    """``lr * t / max(1, w)`` for ``t < w``, then ``lr / sqrt((t - w + s) / s)`` with
    ``s = timescale`` (default ``num_warmup_steps``, or 10000 when that is 0).

    Quirks: ``lr`` at step ``w`` exactly, never ending; the default timescale jumps from
    ``w`` to 10000 at ``w = 0``. HF's lambda takes any finite ``w``: a fractional one warms
    up over the steps below it and decays from ``ceil(w)`` (already ``ceil(w) - w`` steps
    in); a negative one, with a ``timescale``, is no warmup, the decay ``-w`` steps in at
    step 0. Refused (HF divides by 0 or takes the square root of a negative number):
    ``timescale <= 0``, and ``w < 0`` with no ``timescale`` (HF's default is then ``w``).
    """

    schedule: ClassVar[str] = "transformers.get_inverse_sqrt_schedule"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    timescale: float | None = arg(c.OrNone(c.Number(0.0, lo_open=True)), "the decay's timescale ``s`` (None: "
                                  "``num_warmup_steps``, or 10000 when that is 0)", default=None)

    def validate(self) -> None:
        # HF's timescale = num_warmup_steps: 1 / sqrt(0 / w) at step 0
        if self.timescale is None and self.num_warmup_steps < 0:
            raise c.fail(self.schedule, "num_warmup_steps", self.num_warmup_steps,
                         "a number >= 0 with timescale=None (HF's default timescale is num_warmup_steps, "
                         "and a negative one divides by 0 at step 0)")

    def equivalent(self) -> dict[str, Any] | None:
        w = self.num_warmup_steps
        timescale = self.timescale if self.timescale is not None else (w or 10_000)
        return _catalogue("warmup_inverse_sqrt", self, timescale=timescale)

    def compose(self) -> Node:
        w, s = self.num_warmup_steps, self.timescale
        s = (w or 10_000) if s is None else s
        first = max(math.ceil(w), 0)  # the first step t >= w: the decay's clock starts there, t - w in
        decay = PowerLaw(self.lr, s + (first - w), s, -0.5, label="inverse sqrt")
        if isinstance(w, int) or w < 0:
            return _warmup_then(self.lr, first, decay)
        warm = Interp("linear", 0.0, self.lr, max(w, 1), label="warmup")
        return Join([warm, decay], [first], ["end of warmup"])


def _check_min_lr(spec: Any) -> None:
    """HF's checks of ``min_lr`` and ``min_lr_rate``: exactly one of them, and ``min_lr`` only
    with an lr to divide it by."""
    name, lo, rate = spec.schedule, spec.min_lr, spec.min_lr_rate
    if lo is not None and rate is not None:  # HF: "Only one of min_lr or min_lr_rate should be set"
        raise c.fail(name, "min_lr", lo, "None when min_lr_rate is set (only one of them)")
    if lo is None and rate is None:  # HF: "One of min_lr or min_lr_rate should be set ..."
        raise c.fail(name, "min_lr_rate", rate, "a finite number when min_lr is None (one of them)")
    if lo is not None and spec.lr == 0:  # HF divides min_lr by the optimizer's lr
        raise c.fail(name, "min_lr", lo, "None with lr=0 (min_lr_rate = min_lr / lr)")


def _min_lr_rate(spec: Any) -> float:
    """HF's ``min_lr_rate``: given, or ``min_lr / optimizer.defaults["lr"]``."""
    if spec.min_lr is not None:
        return float(spec.min_lr / spec.lr)
    return float(spec.min_lr_rate)


@register
@definition
class GetCosineWithMinLrScheduleWithWarmup(_HF):
    """``lr * t / max(1, w)`` for ``t < w``, then ``lr (m + (1 - m) (1 + cos(2 pi c u)) / 2)``
    with ``u = (t - w) / max(1, T - w)``, ``m = min_lr_rate`` (or ``min_lr / lr``).

    The cosine of ``get_cosine_schedule_with_warmup`` between ``lr`` and ``m lr``, its phase
    running on past ``T`` (rising back to ``lr`` with ``num_cycles=0.5``). Exactly one of
    ``min_lr`` (absolute; HF divides it by ``optimizer.defaults["lr"]``) and ``min_lr_rate``
    (a ratio). ``m > 1`` (HF takes it) rises from ``lr`` to ``m lr``; with ``m < 0`` the cosine is
    held at 0 where it goes below (HF's ``max(0, factor)``). A negative ``w`` is no warmup, the
    wave ``-w`` steps on at step 0; fractional counts and any ``num_cycles`` as in
    ``get_cosine_schedule_with_warmup`` (:class:`HFCosine`).
    """

    schedule: ClassVar[str] = "transformers.get_cosine_with_min_lr_schedule_with_warmup"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    num_training_steps: float = arg(STEPS, T_DOC)
    num_cycles: float = arg(_WaveCycles(), CYCLES_DOC, default=0.5)
    min_lr: float | None = arg(c.OrNone(c.Number()), MIN_LR_DOC, default=None)
    min_lr_rate: float | None = arg(c.OrNone(c.Number()), "``m``, the cosine's end over ``lr``", default=None)

    def validate(self) -> None:
        _check_min_lr(self)

    def equivalent(self) -> dict[str, Any] | None:
        w, T = self.num_warmup_steps, self.num_training_steps
        m = _min_lr_rate(self)
        if T <= w or self.num_cycles != 0.5 or not 0 <= m <= 1:
            return None
        return _catalogue("warmup_cosine_decay", self, total_steps=T, end_value=m * self.lr)

    def compose(self) -> Node:
        lr, m, whole = self.lr, _min_lr_rate(self), _whole_counts(self)
        if whole is None:
            w_, T_ = self.num_warmup_steps, self.num_training_steps
            return _warmup_before(lr, w_, HFCosine(lr, w_, max(1, T_ - w_), self.num_cycles, m))
        w, T = whole
        D = max(1, T - w)
        decay = cosine_wave(lr, m * lr, D, self.num_cycles, shift=_ahead(w, D, self.num_cycles))
        return _warmup_then(lr, max(w, 0), at_least_zero(decay) if m < 0 else decay)


@register
@definition
class GetCosineWithMinLrScheduleWithWarmupLrRate(_HF):
    """``get_cosine_with_min_lr_schedule_with_warmup`` one step ahead:

    - warmup (``t < w``): ``lr (t + 1) / max(1, w)`` (``lr / w`` at step 0, ``lr`` at ``w - 1``),
      or with ``warmup_lr_rate = r``: ``lr (r + (1 - r) t / max(1, w - 1))`` (``r lr`` at 0);
    - then ``lr (m + (1 - m) (1 + cos(2 pi c u)) / 2)`` with ``u = (t - w + 1) / max(1, T - w)``:
      already one step into the decay at ``w``, the minimum at ``T - 1``, rising after it
      (``num_cycles=0.5``), every step in float as HF computes it; held at 0 where a
      ``min_lr_rate < 0`` takes it below (HF's ``max(0, factor)``). A ``warmup_lr_rate < 0``
      starts the warmup below 0 (not held). A negative ``w``: no warmup, the decay ``1 - w``
      steps in at step 0. Fractional counts and any ``num_cycles``: HF's float arithmetic,
      the warmup at the steps ``t < w`` (its line may pass ``lr`` at the last one: ``w=3.5``
      gives ``lr 4 / 3.5`` at step 3), then the wave (:class:`HFCosine`) on the step's clock.
    """

    schedule: ClassVar[str] = "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    num_training_steps: float = arg(STEPS, T_DOC)
    num_cycles: float = arg(_WaveCycles(), CYCLES_DOC, default=0.5)
    min_lr: float | None = arg(c.OrNone(c.Number()), MIN_LR_DOC, default=None)
    min_lr_rate: float | None = arg(c.OrNone(c.Number()), "``m``, the cosine's end over ``lr``", default=None)
    warmup_lr_rate: float | None = arg(c.OrNone(c.Number()), "the warmup's factor at step 0 (``r``; None: ``1 / w``)",
                                       default=None)

    def validate(self) -> None:
        _check_min_lr(self)

    def compose(self) -> Node:
        lr, r, m, whole = self.lr, self.warmup_lr_rate, _min_lr_rate(self), _whole_counts(self)
        if whole is None:
            return self._off_whole_steps(m)
        w, T = whole
        D = max(1, T - w)
        decay = cosine_wave(lr, m * lr, D, self.num_cycles, shift=_ahead(w, D, self.num_cycles, 1))
        if m < 0:
            decay = at_least_zero(decay)
        if w <= 0:  # no warmup (HF's t - w + 1: the shift)
            return decay
        if r is None:
            warm: Node = Interp("linear", 0.0, lr, w - 1, start=-1, label="warmup")  # (t + 1) / w
        elif w == 1:
            warm = Constant(r * lr)
        else:
            warm = Interp("linear", r * lr, lr, w - 1, label="warmup")
        return Join([warm, decay], [w], ["end of warmup"])

    def _off_whole_steps(self, m: float) -> Node:
        """HF's lambda at fractional counts or an irrational-looking ``num_cycles``, in floats:
        the warmup ``(t + 1) / max(1, w)`` (or ``r + (1 - r) t / max(1, w - 1)``) at the steps
        ``t < w``, then :class:`HFCosine` one step ahead, on the step's own clock."""
        w, T, lr, r = float(self.num_warmup_steps), float(self.num_training_steps), self.lr, self.warmup_lr_rate
        decay = HFCosine(lr, w, max(1.0, T - w), self.num_cycles, m, plus_one=True)
        if w <= 0:
            return decay
        last = math.ceil(w) - 1  # the warmup's last step: its line may pass lr there (w=3.5: (3 + 1) / 3.5)
        if r is None:  # (t + 1) / max(1, w)
            warm: Node = Interp("linear", 0.0, lr * ((last + 1) / max(1.0, w)), last, start=-1, label="warmup")
        elif last == 0:
            warm = Constant(r * lr)
        else:  # r + (1 - r) t / max(1, w - 1)
            warm = Interp("linear", r * lr, lr * (r + (1.0 - r) * last / max(1.0, w - 1)), last, label="warmup")
        return Join([warm, decay], [last + 1], ["end of warmup"], shift=False)


@register
@definition
class GetWsdSchedule(_HF):
    """Warmup, stable, decay (``get_wsd_schedule``), every phase between ``m lr`` and ``lr``
    (``m = min_lr_ratio``):

    - ``t < w``: ``lr (m + (1 - m) f(t / max(1, w)))``, ``f`` = ``warmup_type``: ``u``,
      ``(1 - cos(pi u)) / 2`` or ``1 - sqrt(1 - u)``;
    - ``w <= t < w + s``: ``lr``;
    - ``w + s <= t < w + s + d``: ``lr (m + (1 - m) g(u))``, ``u = (t - w - s) / max(1, d)``,
      ``g`` = ``decay_type``: ``1 - u``, ``(1 + cos(2 pi c u)) / 2`` or ``1 - sqrt(u)``;
    - then ``m lr``.

    ``s = num_stable_steps``, or ``num_training_steps - w - d`` when it is None (HF uses
    ``num_stable_steps`` when both are given). Quirks: the warmup starts at ``m lr``, not 0;
    a derived ``s < 0`` (``T < w + d``) starts the decay part-way (at ``u = -s / d``) at step
    ``w``; the cosine's phase stops at ``w + s + d`` (``m lr`` after, whatever
    ``num_cycles``). A ``min_lr_ratio < 0``: HF's warmup and decay are held at 0 where they go
    below it, then ``m lr < 0`` after the decay. Every count is any finite number, as HF
    compares the step with them: a negative ``w`` is no warmup, a given negative
    ``num_stable_steps`` starts the decay part-way as a derived one does, ``num_decay_steps
    <= 0`` goes from ``lr`` straight to ``m lr`` at ``w + s``; fractional counts end each phase
    at the next whole step, its curve on HF's real clock (``w=2.5``: the warmup's ``u`` is
    ``t / 2.5`` at steps 0, 1, 2; the decay from ``w + s = 4.7`` is ``0.3`` steps in at step 5).
    """

    schedule: ClassVar[str] = "transformers.get_wsd_schedule"
    num_warmup_steps: float = arg(STEPS, W_DOC)
    num_decay_steps: float = arg(STEPS, "steps of decay (``d``)")
    num_training_steps: float | None = arg(c.OrNone(STEPS), "the schedule's length (``T``; None: ``s`` is given)",
                                           default=None)
    num_stable_steps: float | None = arg(c.OrNone(STEPS), "steps at ``lr`` (``s``; None: ``T - w - d``)", default=None)
    warmup_type: str = arg(c.Choice(WSD_SHAPES), "the warmup's curve ``f``", default="linear")
    decay_type: str = arg(c.Choice(WSD_SHAPES), "the decay's curve ``g``", default="cosine")
    min_lr_ratio: float = arg(c.Number(), "the floor as a factor of ``lr`` (``m``)", default=0.0)
    num_cycles: float = arg(_Cycles(), "cosine cycles over the decay (``c``)", default=0.5)

    def validate(self) -> None:
        if self.num_training_steps is None and self.num_stable_steps is None:
            # HF: "Either num_training_steps or num_stable_steps must be specified."
            raise c.fail(self.schedule, "num_stable_steps", None,
                         "a finite number of steps when num_training_steps is None")

    def stable_steps(self) -> float:
        """``num_stable_steps``, or ``num_training_steps - w - d`` (may be negative)."""
        if self.num_stable_steps is not None:
            return self.num_stable_steps
        assert self.num_training_steps is not None
        return self.num_training_steps - self.num_warmup_steps - self.num_decay_steps

    def compose(self) -> Node:
        w, d, lr, m = self.num_warmup_steps, self.num_decay_steps, self.lr, self.min_lr_ratio
        s, low = self.stable_steps(), m * self.lr
        if not (isinstance(w, int) and isinstance(d, int) and isinstance(s, int)):
            return self._off_whole_steps()
        if d <= 0:  # no decay step
            decay: Node = Constant(low)
        elif self.decay_type == "cosine":
            cycles = Fraction(abs(self.num_cycles)).limit_denominator(MAX_CYCLES_DENOMINATOR)
            if cycles == 0:
                decay = Constant(lr)
            elif cycles <= Fraction(1, 2):  # within the first half-cycle: one cosine
                decay = Interp("cosine", lr, low, _num(d / (2 * cycles)), label="decay")
            else:
                decay = cosine_wave(lr, low, d, self.num_cycles)
        else:
            decay = Interp(self.decay_type, lr, low, d, label="decay")
        if m < 0.0 and d > 0:  # HF's max(0.0, factor) in the decay, not after it
            decay = at_least_zero(decay)
        # stable, decay, floor on a clock from w + s (negative s: the decay began before w)
        rest = Join([Constant(lr), decay, Constant(low)], [w + s, w + s + max(d, 0)], ["end of stable", "end of decay"])
        if w <= 0:  # HF's t < w never holds for t >= 0
            return rest
        if self.warmup_type == "1-sqrt":  # 1 - sqrt(1 - u): the 1-sqrt decay played backwards
            warm: Node = Reverse(Interp("1-sqrt", lr, low, w), w, label="warmup")
        else:
            warm = Interp(self.warmup_type, low, lr, w, label="warmup")
        if m < 0.0:  # HF's max(0.0, factor) in the warmup
            warm = at_least_zero(warm)
        return Join([warm, rest], [w], ["end of warmup"], shift=False)

    def _off_whole_steps(self) -> Node:
        """HF's phases at fractional counts, every piece on the step's own clock: the warmup
        over the steps ``t < w``, ``lr`` while ``t < w + s``, the decay with ``u = (t - w - s)
        / max(1, d)`` while ``t < w + s + d``, then ``m lr``."""
        w, d, lr, m = self.num_warmup_steps, self.num_decay_steps, self.lr, self.min_lr_ratio
        low = m * lr
        a, span = Fraction(w + self.stable_steps()), Fraction(max(1, d))  # the decay's origin and u's unit
        firsts = [max(math.ceil(w), 0)]  # the first step of the stable phase, the decay and the floor
        firsts += [max(math.ceil(a), firsts[0]), max(math.ceil(a + Fraction(d)), firsts[0])]
        firsts[2] = max(firsts[2], firsts[1])
        cycles = Fraction(abs(self.num_cycles)).limit_denominator(MAX_CYCLES_DENOMINATOR)
        if d <= 0:
            decay: Node = Constant(low)
        elif self.decay_type != "cosine":
            decay = Interp(self.decay_type, lr, low, _num(a + span), start=_num(a))
        elif cycles == 0:
            decay = Constant(lr)
        else:  # half-cycles of span / (2 c) steps from a, as many as the decay's steps reach
            half, halves, joins, kinds = span / (2 * cycles), [], [], []
            for j in range(math.ceil((firsts[2] - a) / half)):
                down = j % 2 == 0
                halves.append(Interp("cosine", lr if down else low, low if down else lr, _num(a + (j + 1) * half),
                                     start=_num(a + j * half)))
                joins.append(math.ceil(a + j * half))
                kinds.append("cosine crest" if down else "cosine trough")
            decay = halves[0] if len(halves) == 1 else Join(halves, joins[1:], kinds[1:], shift=False)
        if m < 0.0 and d > 0:  # HF's max(0.0, factor) in the decay, not after it
            decay = at_least_zero(decay)
        pieces: list[Node] = [Constant(lr), decay, Constant(low)]
        labels = ["end of stable", "end of decay"]
        if w > 0:
            W = max(w, 1)  # HF's u = t / max(1, w)
            if self.warmup_type == "1-sqrt":  # 1 - sqrt(1 - u), played backwards from ceil(W)
                n = math.ceil(W)
                warm: Node = Reverse(Interp("1-sqrt", lr, low, n, start=n - W), n, label="warmup")
            else:
                warm = Interp(self.warmup_type, low, lr, W, label="warmup")
            pieces.insert(0, at_least_zero(warm) if m < 0.0 else warm)
            labels.insert(0, "end of warmup")
            return Join(pieces, firsts, labels, shift=False)
        return Join(pieces, firsts[1:], labels, shift=False)


# --- get_scheduler ------------------------------------------------------------------

SCHEDULER_TYPES: dict[str, str] = {
    "linear": GetLinearScheduleWithWarmup.schedule,
    "cosine": GetCosineScheduleWithWarmup.schedule,
    "cosine_with_restarts": GetCosineWithHardRestartsScheduleWithWarmup.schedule,
    "polynomial": GetPolynomialDecayScheduleWithWarmup.schedule,
    "constant": GetConstantSchedule.schedule,
    "constant_with_warmup": GetConstantScheduleWithWarmup.schedule,
    "inverse_sqrt": GetInverseSqrtSchedule.schedule,
    "cosine_with_min_lr": GetCosineWithMinLrScheduleWithWarmup.schedule,
    "cosine_warmup_with_min_lr": GetCosineWithMinLrScheduleWithWarmupLrRate.schedule,
    "warmup_stable_decay": GetWsdSchedule.schedule,
}
"""``SchedulerType`` value -> port (all of 5.24's but ``reduce_lr_on_plateau`` and ``greedy``,
which follow a metric)."""


class _Kwargs(c.Check):
    """``scheduler_specific_kwargs``: a dict or None (its keys are checked against ``name``'s
    function in :meth:`GetScheduler.validate`)."""

    text = "a dict or None"

    def __call__(self, schedule: str, name: str, value: Any) -> dict[str, Any] | None:
        if value is not None and not isinstance(value, dict):
            raise c.fail(schedule, name, value, self.text)
        return value



@register
@definition
class GetScheduler(_HF):
    """``transformers.get_scheduler(name, optimizer, num_warmup_steps, num_training_steps,
    scheduler_specific_kwargs)``: the ``get_*`` function of ``name`` (a ``SchedulerType``
    value), called as HF calls it:

    - ``"constant"``: ``get_constant_schedule`` (every other argument ignored);
    - ``"constant_with_warmup"``: ``num_warmup_steps`` only (``scheduler_specific_kwargs`` ignored);
    - ``"inverse_sqrt"``: ``num_warmup_steps`` and the kwargs (``num_training_steps`` ignored);
    - ``"warmup_stable_decay"``: ``num_warmup_steps``, ``num_training_steps`` (may be None) and the kwargs;
    - the others: ``num_warmup_steps``, ``num_training_steps`` and the kwargs.

    HF's ``ValueError`` for a missing ``num_warmup_steps`` (every name but ``"constant"``) or
    ``num_training_steps`` (the last group) is reproduced in our text, and so is its
    ``TypeError`` for a kwarg the function does not take (``last_epoch`` included).
    ``"reduce_lr_on_plateau"`` and ``"greedy"`` follow a metric: refused.
    """

    schedule: ClassVar[str] = "transformers.get_scheduler"
    name: str = arg(c.Choice(tuple(SCHEDULER_TYPES)), "the ``SchedulerType`` value")
    num_warmup_steps: int | None = arg(None, "passed on as HF passes it (required by every ``name`` but "
                                       "``'constant'``)", default=None)
    num_training_steps: int | None = arg(None, "passed on as HF passes it (required by the names of the last "
                                         "group above)", default=None)
    scheduler_specific_kwargs: dict[str, Any] | None = arg(_Kwargs(), "the ``get_*`` function's other arguments",
                                                           default=None)

    def validate(self) -> None:
        n, kind = self.schedule, self.name
        w, T, given = self.num_warmup_steps, self.num_training_steps, self.scheduler_specific_kwargs
        params: dict[str, Any] = {}
        if kind != "constant":
            if w is None:  # HF: "{name} requires `num_warmup_steps`, please provide that argument."
                raise c.fail(n, "num_warmup_steps", w, f"a number of steps (name={kind!r} requires it)")
            params["num_warmup_steps"] = w
            if kind == "warmup_stable_decay":
                params["num_training_steps"] = T
            elif kind not in ("constant_with_warmup", "inverse_sqrt"):
                if T is None:  # HF: "{name} requires `num_training_steps`, please provide that argument."
                    raise c.fail(n, "num_training_steps", T, f"a number of steps (name={kind!r} requires it)")
                params["num_training_steps"] = T
            if kind != "constant_with_warmup":
                valid = [f.name for f in dataclasses.fields(REGISTRY[SCHEDULER_TYPES[kind]]) if f.name != "lr"]  # type: ignore[arg-type]
                for key, value in (given or {}).items():
                    if key not in valid or key in params:  # HF: a TypeError from the get_* function
                        allowed = [v for v in valid if v not in params]
                        raise c.fail(n, "scheduler_specific_kwargs", given, f"keys among {allowed} for name={kind!r}")
                    params[key] = value
        inner = REGISTRY[SCHEDULER_TYPES[kind]](lr=self.lr, **params)  # type: ignore[call-arg]
        object.__setattr__(self, "_inner", inner)
        for key in ("num_warmup_steps", "num_training_steps"):  # as the port took them (a tensor's number)
            if key in params and params[key] is not None:
                self._set(key, getattr(inner, key))

    @property
    def inner(self) -> Relative:
        """The port of the ``get_*`` function ``name`` maps to, with HF's arguments."""
        inner: Relative = self.__dict__["_inner"]
        return inner

    def __hash__(self) -> int:
        kwargs = self.scheduler_specific_kwargs
        frozen = None if kwargs is None else tuple(sorted((str(k), repr(v)) for k, v in kwargs.items()))
        return hash((type(self), self.lr, self.name, self.num_warmup_steps, self.num_training_steps, frozen))

    def compose(self) -> Node:
        return self.inner.compose()

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return self.inner.warmup()


