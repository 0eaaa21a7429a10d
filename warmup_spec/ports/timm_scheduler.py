"""timm ``timm.scheduler``, by its own names and parameters (``"timm.CosineLRScheduler"``, ...).

Transcribed from ``timm/scheduler/scheduler.py``, ``cosine_lr.py``, ``tanh_lr.py``,
``step_lr.py``, ``multistep_lr.py`` and ``poly_lr.py`` of timm 1.0.31 and tested against
them (``parity_tests/anchors/timm_lr.py``). Every scheduler is relative to the optimizer's
lr, given here as ``lr`` (the param group's ``initial_lr``, timm's ``base_values``);
``lr_min`` and ``warmup_lr_init`` are absolute lrs.

timm's own step ``t`` is the count the user passes: ``step(epoch)`` at the end of each
epoch (``t_in_epochs=True``) or ``step_update(num_updates)`` after each optimizer update
(``t_in_epochs=False``); ``t_in_epochs`` only says which of the two calls moves the lr, and
our step is that count. Shared conventions (timm's arithmetic, reproduced):

- step 0 is the lr timm writes at construction: ``warmup_lr_init`` with a warmup, else the
  base lr itself, even where timm's formula at 0 is not the base lr (tanh:
  ``lr (1 - tanh(-7)) / 2 = 0.99999917 lr``; a multistep milestone ``<= 1``; ``cycle_limit=0``);
  a user who calls ``step(0)`` first gets timm's formula at 0 instead;
- the warmup is ``warmup_lr_init + t (target - warmup_lr_init) / warmup_t`` for
  ``t < warmup_t``: it never reaches its target (``warmup_t=5``: ``0.8 lr`` at ``t=4``);
- ``warmup_prefix=False`` (cosine, tanh, poly's default): the warmup overlaps the decay,
  whose clock starts at 0, so at ``t = warmup_t`` the decay has already progressed
  (cosine, ``t_initial=100, warmup_t=10``: ``0.9 lr`` at 9, ``0.976 lr`` at 10);
  ``warmup_prefix=True`` (step, multistep's default) starts the decay's clock at ``warmup_t``;
- timm's lr noise (``noise_range_t``, ``noise_pct``, ``noise_std``, ``noise_seed``) is not
  ported: only their defaults (no noise) are accepted.
"""

from __future__ import annotations

import bisect
import math
import numbers
import sys
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec._array_ops import INT32_MAX, ArrayOps
from warmup_spec.definition import arg, definition
from warmup_spec.ports._base import Relative, checked, powers
from warmup_spec.primitives import STEP_CAP, Constant, Cycles, Interp, Join, Node
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Within
from warmup_spec.primitives.cycles import MAX_CYCLES, float_log_index, geometry_of
from warmup_spec.registry import register

FLOAT32_MAX = 3.4028234663852886e38
MAX_START_RATIO = 1000
"""The furthest a cycle used may start, in its own lengths (``start / length``, at most
``1 / (cycle_mul - 1)`` for growing cycles): beyond, timm's float64 ``t_curr = t - start``
has lost over 1e-13 of the cycle. Growing cycles with ``cycle_mul >= 1.001`` are all within
it; closer to 1, and for shrinking cycles (``cycle_mul < 1``, which pile up before
``t_initial / (1 - cycle_mul)``), ``cycle_limit`` is bounded (``cycle_mul=0.5``: 9 cycles)."""


# --- shared checks and pieces ----------------------------------------------------------


def max_cycle_limit(cycle_mul: float) -> int | None:
    """The largest ``cycle_limit`` whose cycles all start within :data:`MAX_START_RATIO` of
    their own lengths (None: any; ``cycle_mul >= 1.001`` or ``== 1``)."""
    m, R = cycle_mul, MAX_START_RATIO
    if m == 1.0 or R * (m - 1.0) >= 1.0:
        return None
    # start(c) / length(c) = (m**-c - 1) / (1 - m): at most R while m**-c <= 1 + R (1 - m)
    c = math.floor(math.log1p(R * (1.0 - m)) / -math.log(m))
    while c > 0 and (m ** -c - 1.0) / (1.0 - m) > R:  # the float estimate, made exact
        c -= 1
    while (m ** -(c + 1) - 1.0) / (1.0 - m) <= R:
        c += 1
    return c + 1


def check_cycles(t_initial: int, cycle_mul: float, cycle_limit: int) -> str | None:
    """None if the cycles can be placed to timm's float64 precision and the array form can
    hold them, else what is allowed (for a port's error)."""
    if cycle_mul == 1.0:
        return None
    top = max_cycle_limit(cycle_mul)
    if top is not None and cycle_limit > top:
        return (f"an integer in [0, {top}] with cycle_mul={cycle_mul!r} (further cycles start over "
                f"{MAX_START_RATIO} of their lengths in: timm's float64 position in them is rounding noise)")
    try:
        geometry_of(t_initial, cycle_mul, float_log_index).firsts(cycle_limit)
    except ValueError:
        return (f"at most {MAX_CYCLES} cycles of cycle_mul={cycle_mul!r}, t_initial={t_initial!r} "
                f"within 2**31 steps (a smaller cycle_limit, or cycle_mul further from 1)")
    return None


@dataclass(frozen=True)
class _Said(c.Check):
    """What ``inner`` accepts, said in the words ``expected`` (why, or the bound in words)."""

    inner: c.Check
    expected: str

    @property
    def text(self) -> str:
        return self.expected

    def __call__(self, schedule: str, name: str, value: Any) -> Any:
        try:
            return self.inner(schedule, name, value)
        except ValueError:
            raise c.fail(schedule, name, value, self.expected) from None


@dataclass(frozen=True)
class _NoNoise(c.Check):
    """A noise parameter: its default only (timm's lr noise is not ported)."""

    default: Any

    @property
    def text(self) -> str:
        return f"{self.default!r} (timm's lr noise is not ported)"

    def __call__(self, schedule: str, name: str, value: Any) -> Any:
        same = value is None if self.default is None else (
            not isinstance(value, bool) and isinstance(value, numbers.Real) and value == self.default)
        if not same:
            raise c.fail(schedule, name, value, self.text)
        return value


class _DecayT(c.Check):
    """``StepLRScheduler``'s ``decay_t``: an integer ``>= 1``, or a float ``>= 1`` that
    :func:`fraction_of` can write ``P / Q`` (its stairs' array form)."""

    @property
    def text(self) -> str:
        return ("an integer >= 1, or a float >= 1 that is a fraction P / Q with P Q < 2**31 to float precision "
                "(2.4, 6004.8, 1000 / 3)")

    def __call__(self, schedule: str, name: str, value: Any) -> int | float:
        x = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
        if not 1.0 <= x < math.inf or not (x.is_integer() or fraction_of(x) is not None):
            raise c.fail(schedule, name, value, self.text)
        return int(value) if isinstance(value, numbers.Integral) else x


VALUE = c.Number()
"""A value or a factor timm takes at any finite value."""
WARMUP_T = _Said(c.Integer(-(2**63)), "an integer of any sign")
"""``warmup_t``: a negative one is no warmup; timm still writes ``warmup_lr_init`` at
construction (step 0) and, with ``warmup_prefix``, its decay's clock runs ``|warmup_t|`` ahead."""
TANH_ASSERTS = "(timm's TanhLRScheduler asserts it)"
T_DOC = "the first cycle's length (``t_i = t_initial cycle_mul**i``)"
LR_MIN_DOC = "the floor of every cycle, absolute"
MUL_DOC = "the factor of each cycle's length over the previous one's"
DECAY_DOC = "the factor of each cycle's peak over the previous one's (negative: the sign alternates)"
LIMIT_DOC = "the number of cycles, after which ``lr_min`` holds"
W_DOC = "steps of warmup"
INIT_DOC = "the warmup's lr at step 0, absolute"
PREFIX_DOC = "whether the decay's clock starts at ``warmup_t`` (else at 0, under the warmup)"
EPOCHS_DOC = "whether timm's ``step(epoch)`` moves the lr, else ``step_update`` (the same schedule)"
NOISE_DOC = "a parameter of timm's lr noise"
K_DOC = "the exponent of the position in a cycle (``t_curr**k_decay / t_i**k_decay``)"


def _timm_warmup(spec: Any, main: Node, target: float, raises: int | None = None) -> Node:
    """timm's warmup before ``main`` (on its own clock from ``warmup_t`` with ``warmup_prefix``,
    else on the same clock); without a warmup, the base lr at step 0 (timm's construction);
    with a negative ``warmup_t``, ``warmup_lr_init`` at step 0 (timm writes it at construction),
    then ``main`` (``|warmup_t|`` steps ahead with ``warmup_prefix``).
    ``raises``: the step from which ``main`` (shrinking cycles) makes timm raise, if any."""
    w, lr = spec.warmup_t, spec.lr
    if w == 0:
        v0 = main.closed(0)(0)
        if abs(v0 - lr) <= 4 * sys.float_info.epsilon * abs(lr):
            return main
        return Join([Constant(lr), main], [1], ["first update"], shift=False)
    if w < 0:
        ahead = Join([Constant(lr), main], [w], ["end of warmup"]) if spec.warmup_prefix else main
        return Join([Constant(spec.warmup_lr_init), ahead], [1], ["first update"], shift=False)
    warm = Interp("linear", spec.warmup_lr_init, target, w, label="warmup")
    if raises is not None and not spec.warmup_prefix and w >= raises:
        # shrinking cycles that end before the warmup does: timm raises at every step from
        # warmup_t on, and the warmup's last lr stays
        main = Constant(warm.closed(0)(w - 1))
    return Join([warm, main], [w], ["end of warmup"], shift=spec.warmup_prefix)


class _Timm(Relative):
    """What the timm ports share: their warmup's facts."""

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w: int = max(getattr(self, "warmup_t"), 0)  # noqa: B009  (a field of every subclass)
        return w, ((w,) if w > 0 else ())

    def _prefixed(self) -> bool:
        """Whether the decay starts at ``warmup_t`` (as the catalogue's do)."""
        return getattr(self, "warmup_t") == 0 or bool(getattr(self, "warmup_prefix"))  # noqa: B009


class _Cyclic(_Timm):
    """What the cyclic timm ports (cosine, tanh, poly) share: their cross-field checks."""

    def validate(self) -> None:
        s: Any = self  # the cycles' fields are every subclass's
        if abs(s.cycle_decay) > 1.0 and s.cycle_limit > 1:
            try:
                top = abs(s.lr * s.cycle_decay ** (s.cycle_limit - 1))
            except OverflowError:
                top = math.inf
            if not top <= FLOAT32_MAX:
                raise c.fail(self.schedule, "cycle_decay", s.cycle_decay,
                             f"a finite number whose last peak lr * cycle_decay**(cycle_limit - 1) is finite in "
                             f"float32 (cycle_limit={s.cycle_limit})")
        problem = check_cycles(s.t_initial, s.cycle_mul, s.cycle_limit)
        if problem is not None:
            raise c.fail(self.schedule, "cycle_limit", s.cycle_limit, problem)


# --- the schedulers ----------------------------------------------------------------------------


@register
@definition
class CosineLRScheduler(_Cyclic):
    """timm ``CosineLRScheduler`` (``timm/scheduler/cosine_lr.py``, timm 1.0.31): cosine
    cycles with restarts, a linear warmup and k-decay.

    For ``t < warmup_t``: ``warmup_lr_init + t (lr - warmup_lr_init) / warmup_t``. Then, with
    ``t' = t - warmup_t`` if ``warmup_prefix`` else ``t``, in timm's cycle ``i`` of ``t'``
    (``t' // t_initial``, or ``floor(log(1 - t'/t_initial (1 - cycle_mul), cycle_mul))``
    in float64), of length ``t_i = t_initial cycle_mul**i``, at position ``t_curr``::

        lr_min + (lr cycle_decay**i - lr_min) (1 + cos(pi t_curr**k_decay / t_i**k_decay)) / 2

    and ``lr_min`` from cycle ``cycle_limit`` on (timm's default ``cycle_limit=1``: after
    the first cycle, ``lr_min`` forever).

    Quirks reproduced: step 0 is the base lr without a warmup; the warmup never reaches
    ``lr`` and, with ``warmup_prefix=False``, the cosine has progressed by ``warmup_t``
    when it ends; ``cycle_decay`` scales the peak only (not ``lr_min``; a peak decayed
    below ``lr_min`` makes its cycle rise to ``lr_min``); timm's float cycle index starts
    some cycles a step late (``cycle_mul=10, t_initial=1``: step 111 is the end of cycle 2,
    ``lr_min``, not the start of cycle 3) or early (``cycle_mul=1.1, t_initial=100``: step
    210 already restarts); ``cycle_mul < 1`` (shrinking cycles): timm raises
    (``math domain error``) at every ``t' >= t_initial / (1 - cycle_mul)``, and the lr it
    last wrote stays: held here (``lr_min``; the warmup's last lr where the cycles end
    before the warmup does). Where timm's ``t_curr`` lands a hair outside its cycle
    (a cycle a step early or late, ``cycle_mul=1.1, t_initial=100``: step 331) and the
    power is fractional, timm takes a fractional power of a negative number: a
    ``TypeError`` (cosine) or a complex lr (poly); the port gives the value at the cycle's
    start (or end). ``warmup_lr_init`` and ``warmup_t`` may be negative (see :func:`_timm_warmup`).
    A negative ``cycle_decay`` alternates the sign of the peak (``-0.5``: cycle 1 rises from
    ``-lr / 2`` to ``lr_min``). Refused beyond timm: ``cycle_limit < 0``, ``k_decay <= 0`` (timm raises at
    a cycle start), a ``|cycle_decay| > 1`` whose last peak overflows float32, and, for
    ``cycle_mul`` below 1.001, more cycles than start within 1000 of their own lengths
    (:data:`MAX_START_RATIO`: ``cycle_mul=0.5`` allows 9), where timm's own float64
    position in a cycle is rounding noise.
    """

    schedule: ClassVar[str] = "timm.CosineLRScheduler"
    t_initial: int = arg(c.Integer(1), T_DOC)
    lr_min: float = arg(c.Number(0.0), LR_MIN_DOC, default=0.0)
    cycle_mul: float = arg(c.Number(0.0, lo_open=True), MUL_DOC, default=1.0)
    cycle_decay: float = arg(VALUE, DECAY_DOC, default=1.0)
    cycle_limit: int = arg(c.Integer(0), LIMIT_DOC, default=1)
    warmup_t: int = arg(WARMUP_T, W_DOC, default=0)
    warmup_lr_init: float = arg(VALUE, INIT_DOC, default=0.0)
    warmup_prefix: bool = arg(c.Flag(), PREFIX_DOC, default=False)
    t_in_epochs: bool = arg(c.Flag(), EPOCHS_DOC, default=True)
    noise_range_t: Any = arg(_NoNoise(None), NOISE_DOC, default=None)
    noise_pct: float = arg(_NoNoise(0.67), NOISE_DOC, default=0.67)
    noise_std: float = arg(_NoNoise(1.0), NOISE_DOC, default=1.0)
    noise_seed: int = arg(_NoNoise(42), NOISE_DOC, default=42)
    k_decay: float = arg(c.Number(0.0, lo_open=True), K_DOC, default=1.0)

    def equivalent(self) -> dict[str, Any] | None:
        if self.k_decay != 1.0 or self.cycle_limit == 0 or not self._prefixed():
            return None
        warm = {"peak_value": self.lr, "warmup_steps": self.warmup_t, "init_value": self.warmup_lr_init}
        if self.cycle_limit == 1:
            return checked({"schedule": "warmup_cosine_decay", **warm, "total_steps": self.warmup_t + self.t_initial,
                            "end_value": self.lr_min})
        return checked({"schedule": "warmup_cosine_restarts", **warm, "cycle_steps": self.t_initial,
                        "cycle_mul": self.cycle_mul, "cycle_decay": self.cycle_decay, "cycle_limit": self.cycle_limit,
                        "end_value": self.lr_min})

    def compose(self) -> Node:
        main = Cycles("cosine", self.lr, self.lr_min, self.t_initial, self.cycle_mul, self.cycle_decay,
                      self.cycle_limit, index=float_log_index, k_decay=self.k_decay)
        return _timm_warmup(self, main, self.lr, main.geometry.singular)


@register
@definition
class TanhLRScheduler(_Cyclic):
    """timm ``TanhLRScheduler`` (``timm/scheduler/tanh_lr.py``, timm 1.0.31): hyperbolic-tangent
    cycles with restarts and a linear warmup.

    As ``CosineLRScheduler`` with, at ``u = t_curr / t_i`` of timm's cycle ``i``::

        lr_min + (lr cycle_decay**i - lr_min) (1 - tanh(lb (1 - u) + ub u)) / 2

    The warmup's target is the base lr with ``warmup_prefix=True``, and timm's value at
    ``t = warmup_t`` with ``warmup_prefix=False`` (``timm._get_lr(warmup_t)``): the warmup
    then meets the tanh curve.

    Quirks reproduced: the curve starts below the lr (``lb=-7``: ``(1 - tanh(-7)) / 2 =
    0.99999917``) and never reaches ``lr_min`` (``ub=3``: ``lr_min + 0.00247 (lr - lr_min)``
    at a cycle's last step) before dropping to ``lr_min`` after the last cycle; step 0
    without a warmup is the base lr timm writes at construction, not its formula at 0;
    timm's float cycle index and ``cycle_mul < 1`` as in ``CosineLRScheduler``. Besides timm's
    own checks (``t_initial > 0``, ``lr_min >= 0``, ``lb < ub``, ``cycle_limit >= 0``,
    ``warmup_t >= 0``, ``warmup_lr_init >= 0``: see Args), timm raises when it is built, with
    ``warmup_prefix=False``, if ``warmup_t`` lies past shrinking cycles (``>= t_initial / (1 -
    cycle_mul)``): refused; otherwise refused as ``CosineLRScheduler``.
    """

    schedule: ClassVar[str] = "timm.TanhLRScheduler"
    t_initial: int = arg(c.Integer(1), T_DOC)
    lb: float = arg(VALUE, "the tanh's argument at a cycle's start", default=-7.0)
    ub: float = arg(None, "the tanh's argument at a cycle's end, a finite number > ``lb``", default=3.0)
    lr_min: float = arg(c.Number(0.0), LR_MIN_DOC, default=0.0)
    cycle_mul: float = arg(c.Number(0.0, lo_open=True), MUL_DOC, default=1.0)
    cycle_decay: float = arg(VALUE, DECAY_DOC, default=1.0)
    cycle_limit: int = arg(c.Integer(0), LIMIT_DOC, default=1)
    warmup_t: int = arg(_Said(c.Integer(0), f"an integer >= 0 {TANH_ASSERTS}"), W_DOC, default=0)
    warmup_lr_init: float = arg(_Said(c.Number(0.0), f"a finite number >= 0.0 {TANH_ASSERTS}"), INIT_DOC, default=0.0)
    warmup_prefix: bool = arg(c.Flag(), PREFIX_DOC, default=False)
    t_in_epochs: bool = arg(c.Flag(), EPOCHS_DOC, default=True)
    noise_range_t: Any = arg(_NoNoise(None), NOISE_DOC, default=None)
    noise_pct: float = arg(_NoNoise(0.67), NOISE_DOC, default=0.67)
    noise_std: float = arg(_NoNoise(1.0), NOISE_DOC, default=1.0)
    noise_seed: int = arg(_NoNoise(42), NOISE_DOC, default=42)

    def validate(self) -> None:
        n = self.schedule
        self._set("ub", c.number(n, "ub", self.ub, self.lb, lo_open=True))
        super().validate()
        w, m = self.warmup_t, self.cycle_mul
        raises = geometry_of(self.t_initial, m, float_log_index).singular if m < 1.0 else None
        if raises is not None and w >= raises and not self.warmup_prefix:
            raise c.fail(n, "warmup_t", w, f"an integer < {raises} with cycle_mul={m!r} and warmup_prefix=False: timm "
                         "evaluates the curve at warmup_t when it is built, and raises from t_initial / (1 - "
                         "cycle_mul) on")

    def compose(self) -> Node:
        main = Cycles("tanh", self.lr, self.lr_min, self.t_initial, self.cycle_mul, self.cycle_decay,
                      self.cycle_limit, index=float_log_index, lb=self.lb, ub=self.ub)
        target = self.lr if self.warmup_prefix else main.closed(0)(self.warmup_t)
        return _timm_warmup(self, main, target, main.geometry.singular)


@register
@definition
class StepLRScheduler(_Timm):
    """timm ``StepLRScheduler`` (``timm/scheduler/step_lr.py``, timm 1.0.31): a linear
    warmup, then ``lr * decay_rate ** (t' // decay_t)`` with ``t' = t - warmup_t`` if
    ``warmup_prefix`` (the default here) else ``t``.

    ``decay_t`` may be a float (timm's factory passes ``decay_epochs * updates_per_epoch``,
    EfficientNet's ``2.4`` epochs): ``t' // decay_t`` is Python's float floor division, so
    the float's own rounding decides a stair (``decay_t=2.1``: the float is above 2.1 and
    ``21 // 2.1 == 9.0``, the tenth decay comes at 22, not 21).

    Quirks reproduced: the warmup never reaches ``lr``; ``decay_rate=1`` (timm's default)
    is constant after the warmup (timm's factory ``"constant"``). Refused beyond timm:
    ``decay_t < 1`` (several decays per step), a float ``decay_t`` that is no fraction
    ``P / Q`` (``P Q < 2**31``) to float precision, ``decay_rate`` outside ``[0, 1]`` with a
    fractional ``decay_t``. With an integer ``decay_t`` any finite
    ``decay_rate`` is taken (a negative one alternates the sign, one above 1 grows, held at
    ``max(lr, 3e38)``); ``warmup_lr_init`` may be negative.
    """

    schedule: ClassVar[str] = "timm.StepLRScheduler"
    decay_t: float = arg(_DecayT(), "the steps between decays")
    decay_rate: float = arg(None, "the factor at each decay, a finite number (in ``[0, 1]`` with a fractional "
                            "``decay_t``)", default=1.0)
    warmup_t: int = arg(WARMUP_T, W_DOC, default=0)
    warmup_lr_init: float = arg(VALUE, INIT_DOC, default=0.0)
    warmup_prefix: bool = arg(c.Flag(), PREFIX_DOC, default=True)
    t_in_epochs: bool = arg(c.Flag(), EPOCHS_DOC, default=True)
    noise_range_t: Any = arg(_NoNoise(None), NOISE_DOC, default=None)
    noise_pct: float = arg(_NoNoise(0.67), NOISE_DOC, default=0.67)
    noise_std: float = arg(_NoNoise(1.0), NOISE_DOC, default=1.0)
    noise_seed: int = arg(_NoNoise(42), NOISE_DOC, default=42)

    def validate(self) -> None:
        if not float(self.decay_t).is_integer():  # else any finite rate, as timm's Python float takes it
            self._set("decay_rate", c.number(self.schedule, "decay_rate", self.decay_rate, 0.0, 1.0,
                                             suffix=" with a fractional decay_t"))
        else:
            self._set("decay_rate", c.number(self.schedule, "decay_rate", self.decay_rate))

    def float_steps(self) -> bool:
        """timm's ``step(epoch)`` takes a fractional epoch (``t' // decay_t`` in float); the
        stairs of a fractional ``decay_t`` are found on integer steps."""
        return float(self.decay_t).is_integer()

    def equivalent(self) -> dict[str, Any] | None:
        if not float(self.decay_t).is_integer() or self.decay_rate <= 0.0 or not self._prefixed():
            return None
        return checked({"schedule": "warmup_exponential_decay", "peak_value": self.lr, "warmup_steps": self.warmup_t,
                        "init_value": self.warmup_lr_init, "transition_steps": int(self.decay_t),
                        "decay_rate": self.decay_rate, "staircase": True})

    def compose(self) -> Node:
        lr, rate, d = self.lr, self.decay_rate, self.decay_t
        main: Node
        if rate == 1.0:
            main = Constant(lr)
        elif float(d).is_integer():
            main = powers(lr, rate, int(d))
        elif rate == 0.0:  # 0.0 ** 0 == 1, then 0
            main = Join([Constant(lr), Constant(0.0)], [math.ceil(d)], ["first decay"], shift=False)
        else:
            main = FractionalStairs(lr, rate, float(d))
        return _timm_warmup(self, main, lr)


@register
@definition
class MultiStepLRScheduler(_Timm):
    """timm ``MultiStepLRScheduler`` (``timm/scheduler/multistep_lr.py``, timm 1.0.31): a
    linear warmup, then ``lr * decay_rate ** bisect_right(decay_t, t' + 1)`` with
    ``t' = t - warmup_t`` if ``warmup_prefix`` (the default here) else ``t``.

    Quirks reproduced: a milestone ``m`` applies from ``t' = m - 1`` on, one step before
    torch's ``MultiStepLR`` (``decay_t=[10]``: the decayed lr at ``t' = 9``); a milestone
    ``<= 1`` applies from ``t' = 0`` on, but without a warmup step 0 is still the base lr
    timm writes at construction; repeated milestones decay twice at once; milestones out of
    order count as timm's ``bisect_right`` counts them (``decay_t=[6, 2, 9]``: two decays from
    ``t' = 1``, the 6 counted with the 2; three from ``t' = 8``). Refused beyond timm: milestones
    that are not integers, a ``|decay_rate| > 1`` whose last lr overflows float32.
    A negative ``decay_rate`` alternates the sign; ``warmup_lr_init`` may be negative.
    """

    schedule: ClassVar[str] = "timm.MultiStepLRScheduler"
    decay_t: tuple[int, ...] = arg(c.ListOf(_Said(c.Integer(-(2**63)), "an integer (timm bisects it; in any order)"),
                                            "a list of integers (timm bisects it; in any order)"),
                                   "the milestones: the lr is multiplied by ``decay_rate`` from each")
    decay_rate: float = arg(VALUE, "the factor at each milestone", default=1.0)
    warmup_t: int = arg(WARMUP_T, W_DOC, default=0)
    warmup_lr_init: float = arg(VALUE, INIT_DOC, default=0.0)
    warmup_prefix: bool = arg(c.Flag(), PREFIX_DOC, default=True)
    t_in_epochs: bool = arg(c.Flag(), EPOCHS_DOC, default=True)
    noise_range_t: Any = arg(_NoNoise(None), NOISE_DOC, default=None)
    noise_pct: float = arg(_NoNoise(0.67), NOISE_DOC, default=0.67)
    noise_std: float = arg(_NoNoise(1.0), NOISE_DOC, default=1.0)
    noise_seed: int = arg(_NoNoise(42), NOISE_DOC, default=42)

    def validate(self) -> None:
        rate, ms = self.decay_rate, self.decay_t
        if abs(rate) > 1.0 and ms:
            try:
                top = abs(self.lr * rate ** len(ms))
            except OverflowError:
                top = math.inf
            if not top <= FLOAT32_MAX:
                raise c.fail(self.schedule, "decay_rate", rate,
                             "a finite number whose last lr * decay_rate**len(decay_t) is finite in float32")

    def float_steps(self) -> bool:
        """timm's ``step(epoch)`` takes a fractional epoch (``bisect_right(decay_t, t + 1)``)."""
        return True

    def compose(self) -> Node:
        lr, rate, ms = self.lr, self.decay_rate, self.decay_t
        main: Node = Constant(lr)
        if ms and rate != 1.0:
            # bisect_right(decay_t, x) is non-decreasing in x, in whatever order decay_t is, and
            # changes only where x reaches a milestone: its level from each distinct one on
            values = sorted(set(ms))
            pieces: list[Node] = [Constant(lr * rate**k) for k in [0] + [bisect.bisect_right(ms, v) for v in values]]
            main = Join(pieces, [max(v - 1, 0) for v in values], [f"milestone {v}" for v in values], shift=False)
        return _timm_warmup(self, main, lr)


@register
@definition
class PolyLRScheduler(_Cyclic):
    """timm ``PolyLRScheduler`` (``timm/scheduler/poly_lr.py``, timm 1.0.31): polynomial
    cycles with restarts, a linear warmup and k-decay.

    As ``CosineLRScheduler`` with, in timm's cycle ``i`` at position ``t_curr`` of ``t_i``::

        lr_min + (lr cycle_decay**i - lr_min) (1 - t_curr**k_decay / t_i**k_decay) ** power

    Quirks reproduced: those of ``CosineLRScheduler`` (step 0, the warmup, the float cycle
    index, shrinking cycles); ``power=0`` holds each cycle's peak (``0.0 ** 0 == 1``).
    timm's factory passes its ``decay_rate`` (default 0.1) as ``power``. Refused beyond
    timm: as ``CosineLRScheduler``, and ``power < 0`` (timm raises at a cycle's end).
    """

    schedule: ClassVar[str] = "timm.PolyLRScheduler"
    t_initial: int = arg(c.Integer(1), T_DOC)
    power: float = arg(c.Number(0.0), "the exponent of the decay in a cycle", default=0.5)
    lr_min: float = arg(c.Number(0.0), LR_MIN_DOC, default=0.0)
    cycle_mul: float = arg(c.Number(0.0, lo_open=True), MUL_DOC, default=1.0)
    cycle_decay: float = arg(VALUE, DECAY_DOC, default=1.0)
    cycle_limit: int = arg(c.Integer(0), LIMIT_DOC, default=1)
    warmup_t: int = arg(WARMUP_T, W_DOC, default=0)
    warmup_lr_init: float = arg(VALUE, INIT_DOC, default=0.0)
    warmup_prefix: bool = arg(c.Flag(), PREFIX_DOC, default=False)
    t_in_epochs: bool = arg(c.Flag(), EPOCHS_DOC, default=True)
    noise_range_t: Any = arg(_NoNoise(None), NOISE_DOC, default=None)
    noise_pct: float = arg(_NoNoise(0.67), NOISE_DOC, default=0.67)
    noise_std: float = arg(_NoNoise(1.0), NOISE_DOC, default=1.0)
    noise_seed: int = arg(_NoNoise(42), NOISE_DOC, default=42)
    k_decay: float = arg(c.Number(0.0, lo_open=True), K_DOC, default=1.0)

    def equivalent(self) -> dict[str, Any] | None:
        if self.k_decay != 1.0 or self.cycle_limit != 1 or not self._prefixed():
            return None
        return checked({"schedule": "warmup_polynomial_decay", "peak_value": self.lr, "warmup_steps": self.warmup_t,
                        "init_value": self.warmup_lr_init, "total_steps": self.warmup_t + self.t_initial,
                        "end_value": self.lr_min, "power": self.power})

    def compose(self) -> Node:
        main = Cycles("poly", self.lr, self.lr_min, self.t_initial, self.cycle_mul, self.cycle_decay,
                      self.cycle_limit, index=float_log_index, k_decay=self.k_decay, power=self.power)
        return _timm_warmup(self, main, self.lr, main.geometry.singular)


# --- stairs of a fractional period (StepLRScheduler) ------------------------------------


def fraction_of(every: float, top: int = INT32_MAX) -> tuple[int, int] | None:
    """``(P, Q)`` with ``x // every == floor(x Q / P)`` (one less at the multiples of ``P``
    when ``every > P / Q``) for every integer ``0 <= x <= top``, and ``P Q <= 2**31 - 1``;
    None if no such fraction exists."""
    exact = Fraction(every)
    q_max = 1
    while q_max <= INT32_MAX:
        r = exact.limit_denominator(q_max)
        P, Q = r.numerator, r.denominator
        if P * Q > INT32_MAX:
            return None
        if top * abs(1 / exact - Fraction(Q, P)) < Fraction(1, P):
            return P, Q
        q_max *= 2
    return None


class FractionalStairs(Node):
    """``value * rate ** (x // every)`` for a float ``every >= 1`` and ``0 <= rate <= 1``
    (timm ``StepLRScheduler`` with a fractional ``decay_t``), with Python's float floor
    division by a float ``every`` (``21 // 2.1 == 9.0``: the float 2.1 is above 21/10).

    Its array form is exact integer arithmetic: ``every`` is a fraction ``P / Q`` to float
    precision (``2.4 = 12 / 5``), ``x // every = floor(x Q / P)``, one less at the multiples
    of ``P`` when the float ``every`` is above ``P / Q`` (:func:`fraction_of`)."""

    label = "stairs"

    def __init__(self, value: float, rate: float, every: float) -> None:
        pq = fraction_of(every)
        if pq is None or not every >= 1.0 or not 0.0 <= rate <= 1.0:
            raise ValueError(f"FractionalStairs: every={every!r}, rate={rate!r} is invalid; expected every >= 1 "
                             "a fraction P / Q (P Q < 2**31) to float precision, rate in [0, 1]")
        self.value, self.rate, self.every = float(value), float(rate), float(every)
        self.P, self.Q = pq
        self.above = Fraction(every) > Fraction(*pq)

    def closed(self, offset: int = 0) -> ClosedForm:
        p, rate, d = self.value, self.rate, self.every
        return lambda t: p * rate ** (min(t - offset, STEP_CAP) // d)

    def _stop(self) -> int:
        """A local step past which the value is 0 in float64 (or the last stair that matters)."""
        if self.rate in (0.0, 1.0):
            return math.ceil(self.every) + 1
        return math.ceil(self.every * (math.ceil(800.0 / -math.log(self.rate)) + 1))

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        xp, p, rate, P, Q, above = ops.xp, self.value, self.rate, self.P, self.Q, self.above
        stop = self._stop()
        log_rate = math.log(rate) if rate > 0.0 else 0.0

        def value(t: Any) -> Any:
            x = ops.clip_step(t, offset, offset + stop) - offset
            if not ops.fits(t, P):  # a stair longer than the int dtype's range: the first, always
                return xp.full(t.shape, p, ops.float_dtype())
            a = x // P
            b = x - a * P
            n = a * Q + (b * Q) // P
            if above:
                n = n - ((b == 0) & (x > 0)).astype(n.dtype)
            if rate == 1.0:
                return xp.full(t.shape, p, ops.float_dtype())
            if rate == 0.0:
                return xp.where(n == 0, p, 0.0).astype(ops.float_dtype())
            return p * xp.exp(ops.to_float(n) * log_rate)

        return value

    @property
    def end(self) -> int | None:
        if self.rate == 1.0 or self.value == 0.0:
            return 0
        if self.rate == 0.0:
            return math.ceil(self.every)  # every is not an integer: the first x with x // every == 1
        return None

    def events(self) -> list[tuple[int, str]]:
        return []  # every stair is an intended jump

    def open_horizon(self) -> tuple[int, str]:
        n = 10.0 * self.every
        if 0.0 < self.rate < 1.0:
            n = max(n, math.ceil(math.log(0.01) / math.log(self.rate)) * self.every)
        return min(math.ceil(n), 1_000_000), "until the lr falls to 1% of its peak"
