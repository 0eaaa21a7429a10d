"""The lr schedules of LLM training recipes, by their own names and parameters:
torchtitan (``"torchtitan.linear_warmup_stable_decay"``), MaxText
(``"maxtext.create_learning_rate_schedule"``) and nanoGPT (``"nanogpt.get_lr"``).

Each is transcribed from its repository's source (cited per class) and tested against
that source transcribed literally (``parity_tests/anchors/formulas.py``; none of them
is installed here; MaxText's oracle runs its function body over the installed optax).
torchtitan scales the optimizer's lr (``LambdaLR``: ``lr`` first); MaxText and nanoGPT
give absolute lrs. Each counts updates from 0: torchtitan's ``LambdaLR`` steps after
every optimizer step, MaxText's optax count and nanoGPT's ``iter_num`` start at 0.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, arg, definition
from warmup_spec.ports._base import Relative
from warmup_spec.primitives import Constant, Interp, Join, Node, Periodic, PowerLaw, Sum
from warmup_spec.registry import register

TitanDecay = Literal["linear", "sqrt", "cosine"]


def _cosine_on(a: float, b: float, half: int) -> Node:
    """``b + (a - b) (1 + cos(pi x / half)) / 2`` for every ``x >= 0``: down to ``b`` at
    ``half`` and up again, period ``2 half`` (a cosine evaluated past its end)."""
    down = Interp("cosine", a, b, half, label="decay")
    return Periodic(Join([down, Interp("cosine", b, a, half)], [half], ["rising again"]), 2 * half)


# --- torchtitan ------------------------------------------------------------------------


class _TitanSteps(c.Check):
    """torchtitan's ``warmup_steps``: an integer, or any finite number (torchtitan's ``int()``
    of it is taken where it is used: :meth:`LinearWarmupStableDecay.phases`)."""

    note = " of steps (torchtitan takes int() of it)"
    text = "a finite number" + note

    def __call__(self, schedule: str, name: str, value: Any) -> float:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        return c.number(schedule, name, value, suffix=self.note)


@register
@definition
class LinearWarmupStableDecay(Relative):
    """torchtitan ``linear_warmup_stable_decay`` (the ``LambdaLR`` factor of its
    ``LRSchedulersContainer``): ``lr`` times a linear warmup, a stable 1, and a decay to
    ``min_lr_factor`` over the last ``decay_ratio`` of ``total_steps``.

    With ``T = total_steps``, ``w = min(warmup_steps, T)``, ``d = round(T decay_ratio)``
    (at most ``T - w``; ``T - w`` when ``decay_ratio`` is None) and ``D = T + 1 - d``
    (a "virtual last step"), the factor at update ``k``:

    - ``k < w``: ``(k + 1) / w``;
    - ``w <= k < D``: 1;
    - ``k >= D``: ``f + (1 - f) c(p)``, ``p = (k + 1 - D) / d``, ``f = min_lr_factor``,
      ``c = 1 - p`` (linear), ``1 - sqrt(p)`` (sqrt), ``(1 + cos(pi p)) / 2`` (cosine).

    Source: ``torchtitan/components/optimizer/lr_scheduler.py`` (``LRSchedulersContainer.Config.build``
    and its ``linear_warmup_stable_decay``), pytorch/torchtitan commit
    b5bcd76c66d0acb1a08b176d9639425bc55e0b2a (the file last changed in
    970fbddb3284a3e7d5ed39f0a95ffa0c5019ea94; before June 2025, e7c0cae, the warmup was
    ``(k + 1) / (w + 1)`` and the decay ``/ (d + 1)``). Quirks reproduced: update 0 runs
    at ``lr / w`` and the warmup reaches ``lr`` at update ``w - 1``; the decay is already
    one step in at its first update and reaches ``min_lr_factor`` only at update ``T``,
    the first update past a ``T``-step run; Python's ``round`` (half to even) of
    ``T * decay_ratio``; ``warmup_steps > T`` becomes ``T``. Past ``T`` the factor
    goes on by its formula: linear and sqrt below ``min_lr_factor`` and then negative
    (without end), cosine back up (period ``2 d``). With no decay steps (``d = 0``)
    torchtitan asserts at update ``T + 1``: ``lr`` is held from there. ``min_lr_factor``
    is any finite number, as torchtitan's config takes it (below 0 the decay ends at a
    negative lr, above 1 it rises). A negative ``warmup_steps`` is no warmup, and with no
    ``decay_ratio`` ``T - w`` decay steps: the decay starts part-way at update 0 (``w=-3``,
    ``T=10``: ``10/13`` of ``lr``). A fractional ``warmup_steps`` is torchtitan's ``int()`` of
    it (``2.7``: 2, ``-2.5``: -2). A negative ``decay_ratio`` gives ``d < 0`` decay steps from
    ``D = T + 1 - d`` on (past ``T``), the progress ``p`` then negative: the linear factor rises
    past 1 without end (``1 + (1 - f) (k + 1 - D) / |d|``), the cosine is the cosine of ``|d|``
    steps (even in ``p``); refused with ``sqrt`` (torchtitan's ``math.sqrt`` of a negative
    progress raises).

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 1.0,
        ...               "warmup_steps": 2, "total_steps": 10, "decay_ratio": 0.5})
        >>> [round(s(k), 4) for k in range(12)]
        [0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0, -0.2]
    """

    schedule: ClassVar[str] = "torchtitan.linear_warmup_stable_decay"
    warmup_steps: float = arg(_TitanSteps(), "steps of warmup (``w``; below 0: none)", default=200, kw_only=True)
    total_steps: int = arg(c.Integer(1), "the run's updates (``T``)", kw_only=True)
    decay_ratio: float | None = arg(c.OrNone(c.Number()), "the decay's share of ``T`` (None: all after the warmup; "
                                    "below 0: negative decay steps)", default=None, kw_only=True)
    decay_type: TitanDecay = arg(c.Choice(("linear", "sqrt", "cosine")), default="linear", kw_only=True)
    min_lr_factor: float = arg(c.Number(), "the decay's end as a factor of ``lr`` (``f``)", default=0.0, kw_only=True)

    def validate(self) -> None:
        if self.decay_type == "sqrt" and self.phases()[1] < 0:  # torchtitan: math.sqrt(progress < 0)
            raise c.fail(self.schedule, "decay_ratio", self.decay_ratio,
                         "a finite number >= 0 with decay_type='sqrt' (a negative one gives negative decay "
                         "steps: torchtitan's sqrt of the negative progress raises)")

    def phases(self) -> tuple[int, int]:
        """torchtitan's ``(warmup_steps, decay_steps)`` after its adjustments."""
        T = self.total_steps
        w = min(int(self.warmup_steps), T)
        if self.decay_ratio is None:
            return w, T - w
        return w, min(round(T * self.decay_ratio), T - w)

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = max(self.phases()[0], 0)
        return w, ((w - 1,) if w > 1 else ())

    def compose(self) -> Node:
        lr, T, f = self.lr, self.total_steps, self.min_lr_factor
        w, d = self.phases()
        D = T + 1 - d
        low, drop = lr * f, lr * (1.0 - f)
        pieces: list[Node] = []
        bounds: list[int] = []
        labels: list[str] = []
        if w > 0:  # lr (k + 1) / w
            pieces.append(Interp("linear", 0.0, lr, w - 1, start=-1, label="warmup"))
            bounds.append(w)
            labels.append("start of stable phase")
        pieces.append(Constant(lr))
        if d == 0:  # torchtitan asserts past T: lr held
            return Join(pieces, bounds, labels) if bounds else pieces[0]
        bounds.append(D)  # D <= 0 (a negative warmup): no stable phase, the decay's clock at -D at update 0
        labels.append("start of decay")
        if self.decay_type == "cosine":  # (1 + cos(pi p)) / 2, p = (x + 1) / d: period 2 |d|, one step in
            e = abs(d)  # d < 0: the same cosine (even in p)
            down = Interp("cosine", lr, low, e - 1, start=-1, label="decay")
            up = Interp("cosine", low, lr, 2 * e - 1, start=e - 1)
            pieces.append(Periodic(Join([down, up], [e], ["rising again"], shift=False), 2 * e))
            return Join(pieces, bounds, labels)
        if d < 0:  # linear with p = (x + 1) / d < 0: lr + drop (x + 1) / |d|, on without end
            pieces.append(Sum(Constant(lr), PowerLaw(drop, 1.0, float(-d), 1.0, label="decay")))
            return Join(pieces, bounds, labels)
        shape = "linear" if self.decay_type == "linear" else "1-sqrt"
        pieces.append(Interp(shape, lr, low, d - 1, start=-1, label="decay"))
        # past T (x = k - T - 1 >= 0) the same formula goes on, below the floor and negative
        if self.decay_type == "linear":  # low - drop (x + 1) / d
            pieces.append(Sum(Constant(low), PowerLaw(-drop, 1.0, float(d), 1.0)))
        else:  # low + drop (1 - sqrt((x + d + 1) / d))
            pieces.append(Sum(Constant(lr), PowerLaw(-drop, float(d + 1), float(d), 0.5)))
        bounds.append(T + 1)
        labels.append("past total_steps")
        return Join(pieces, bounds, labels)


# --- MaxText ---------------------------------------------------------------------------

FRACTION = c.Number(0.0, 1.0)  # MaxText's config: ge=0.0, le=1.0

@dataclass(frozen=True)
class _MinusOneOr(c.Check):
    """-1 (MaxText's "the other length") or an integer ``>= lo`` (its config: ``ge=-1``), as its
    pydantic ``int`` field takes one in lax mode: an int or bool (NumPy's too), a float with no
    fractional part (``20.0``), or a string of an integer (``"20"``, a command-line override);
    stored as an int."""

    lo: int

    @property
    def text(self) -> str:
        return f"-1 or an integer >= {self.lo}"

    def __call__(self, schedule: str, name: str, value: Any) -> int:
        n = _lax_int(value)
        if n is None or not (n == -1 or n >= self.lo):
            raise c.fail(schedule, name, value, self.text)
        return n


def _lax_int(value: Any) -> int | None:
    """``value`` as pydantic's lax ``int`` reads it, or None where it refuses."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):  # a NumPy scalar (np.True_ too)
        value = value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        return int(x) if math.isfinite(x) and x.is_integer() else None
    if isinstance(value, str):  # "20", " +2_0 ", "20.00"; not "20.", "2e1" or "0x14"
        text = value.strip()
        return int(text.split(".")[0]) if _INT_TEXT.fullmatch(text) else None
    return None


_INT_TEXT = re.compile(r"[+-]?[0-9]+(_[0-9]+)*(\.0+)?")
"""The strings pydantic's lax ``int`` reads (after stripping whitespace)."""


@register
@definition
class CreateLearningRateSchedule(ScheduleSpec):
    """MaxText ``create_learning_rate_schedule(config)``: an optax ``join_schedules`` of a
    linear warmup, a cosine (or a WSD stable phase and decay) to ``learning_rate *
    learning_rate_final_fraction``, and 0 from ``learning_rate_schedule_steps`` to ``steps``.

    With ``lr = learning_rate``, ``L = learning_rate_schedule_steps`` (``steps`` when -1),
    ``W = int(L * warmup_steps_fraction)`` and each piece on its own clock ``x``:

    - ``W > 0``: ``optax.linear_schedule(0, lr, W)`` until ``W``;
    - ``cosine``: ``final + (lr - final) (1 + cos(pi x / (n - 1))) / 2`` with
      ``n = L - W`` (``final`` when ``n = 1``), until ``L``;
    - ``wsd``: ``lr`` for ``L - W - n`` steps, then over ``n = int(L * wsd_decay_steps_fraction)``
      steps ``optax.linear_schedule(lr, final, n - 1)`` or the cosine above;
    - ``steps > L``: 0 from ``L`` on.

    Source: ``src/maxtext/utils/maxtext_utils.py`` (``create_learning_rate_schedule``),
    AI-Hypercomputer/maxtext commit e591f30cbbf217ed67ef71263ec0538239f9c3b8 (defaults from
    ``src/maxtext/configs/types.py``; ``learning_rate_final_fraction`` was
    ``cosine_learning_rate_final_fraction`` in older MaxText). Quirks reproduced:
    ``int()`` truncation of the fractions (``int(100 * 0.29) = 28``); the cosine divides
    by ``n - 1``, so it reaches ``final`` at the schedule's last step ``L - 1``, and
    with ``steps <= L`` it goes on past its end, back up (period ``2 (n - 1)``); a
    1-step WSD linear decay is ``lr`` (optax's ``transition_steps <= 0`` is constant),
    the linear decay holds ``final`` after its end; warmup and decay fractions over 1
    together leave no stable phase and the decay starts at ``W``; the drop to 0 from
    ``L``; any finite ``learning_rate_final_fraction`` (MaxText's config types it a plain
    float: ``-0.5`` decays to ``-lr / 2``); ``learning_rate_schedule_steps=0`` (MaxText's
    config: ``ge=-1``) with ``steps >= 1``: no warmup, no decay, 0 from step 0. Refused:
    ``steps=-1`` with ``learning_rate_schedule_steps`` -1 or 0 (a schedule of no step:
    optax's ``join_schedules`` of no piece raises), fractions outside ``[0, 1]`` (MaxText's
    config: ``ge=0.0, le=1.0``).

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "maxtext.create_learning_rate_schedule", "learning_rate": 1e-3,
        ...               "learning_rate_schedule_steps": 100, "steps": 120})
        >>> [round(s(k) / 1e-3, 4) for k in (0, 5, 10, 99, 100, 119)]
        [0.0, 0.5, 1.0, 0.1, 0.0, 0.0]
    """

    schedule: ClassVar[str] = "maxtext.create_learning_rate_schedule"
    learning_rate: float = arg(c.Number(0.0), "the peak lr (``lr``)", default=3.0e-5)
    lr_schedule_type: Literal["cosine", "wsd"] = arg(c.Choice(("cosine", "wsd")), default="cosine")
    learning_rate_final_fraction: float = arg(c.Number(), "the decay's end as a factor of ``lr``", default=0.1)
    wsd_decay_steps_fraction: float = arg(FRACTION, "the WSD decay's share of ``L``", default=0.1)
    wsd_decay_style: Literal["linear", "cosine"] = arg(c.Choice(("linear", "cosine")), default="linear")
    warmup_steps_fraction: float = arg(FRACTION, "the warmup's share of ``L``", default=0.1)
    learning_rate_schedule_steps: int = arg(_MinusOneOr(0), "the schedule's length ``L`` (-1: ``steps``)", default=-1)
    steps: int = arg(_MinusOneOr(1), "the run's length (-1: ``L``)", default=150_001)

    def validate(self) -> None:
        n, L = self.schedule, self.learning_rate_schedule_steps
        if self.steps == -1 and L < 1:  # steps defaults to L: a schedule of no step, join_schedules([]) raises
            raise c.fail(n, "learning_rate_schedule_steps", L,
                         "an integer >= 1 when steps is -1 (optax's join_schedules of no piece raises)")

    def lengths(self) -> tuple[int, int]:
        """MaxText's ``(learning_rate_schedule_steps, steps)`` after its -1 defaults."""
        L, S = self.learning_rate_schedule_steps, self.steps
        return (S if L == -1 else L), (L if S == -1 else S)

    def nominal_peak(self) -> tuple[str, float] | None:
        return "learning_rate", self.learning_rate

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = int(self.lengths()[0] * self.warmup_steps_fraction)
        return w, ((w,) if w > 0 else ())

    def compose(self) -> Node:
        lr = self.learning_rate
        final = lr * self.learning_rate_final_fraction
        L, steps = self.lengths()
        W = int(L * self.warmup_steps_fraction)
        zero = steps > L
        pieces: list[Node] = []
        bounds: list[int] = []
        labels: list[str] = []

        def cos(n: int) -> Node:  # make_cos_schedule(lr, final, n); past n - 1 only when it is the last piece
            if n <= 1:
                return Constant(final)
            if zero:
                return Interp("cosine", lr, final, n - 1, label="decay")
            return _cosine_on(lr, final, n - 1)

        if W > 0:
            pieces.append(Interp("linear", 0.0, lr, W, label="warmup"))
            bounds.append(W)
            labels.append("end of warmup")
        if self.lr_schedule_type == "cosine":
            if L - W > 0:
                pieces.append(cos(L - W))
                bounds.append(L)
                labels.append("end of schedule")
        else:
            n = int(L * self.wsd_decay_steps_fraction)
            stable = L - W - n
            if stable > 0:
                pieces.append(Constant(lr))
                bounds.append(W + stable)
                labels.append("start of decay")
            if n > 0:
                if self.wsd_decay_style == "linear":
                    pieces.append(Interp("linear", lr, final, n - 1, label="decay") if n > 1 else Constant(lr))
                else:
                    pieces.append(cos(n))
                bounds.append(L)
                labels.append("end of schedule")
        if zero:
            pieces.append(Constant(0.0))
            bounds.append(L)
            labels.append("end of schedule")
        if len(pieces) == 1:
            return pieces[0]
        # optax's join_schedules zips the boundaries with the pieces after the first: the last is unused
        return Join(pieces, bounds[: len(pieces) - 1], labels[: len(pieces) - 1])


# --- nanoGPT ---------------------------------------------------------------------------


@register
@definition
class GetLr(ScheduleSpec):
    """nanoGPT ``get_lr(it)``: a linear warmup to ``learning_rate`` that never reaches it,
    a cosine to ``min_lr`` at ``lr_decay_iters``, ``min_lr`` after.

    At update ``it`` (nanoGPT's ``iter_num``): ``learning_rate (it + 1) / (warmup_iters +
    1)`` for ``it < warmup_iters``; ``min_lr`` for ``it > lr_decay_iters``; else
    ``min_lr + (learning_rate - min_lr) (1 + cos(pi r)) / 2`` with ``r = (it -
    warmup_iters) / (lr_decay_iters - warmup_iters)``. With ``decay_lr=False``,
    ``learning_rate`` at every update.

    Source: ``train.py`` (``get_lr``; the defaults from its config block), karpathy/nanoGPT
    commit 3adf61e154c3fe3fca428ad6bc3818b27a3b8291. Quirks reproduced: update 0 runs at
    ``learning_rate / (warmup_iters + 1)``, the warmup ends at ``learning_rate
    warmup_iters / (warmup_iters + 1)`` and the peak is run at update ``warmup_iters`` only
    (the cosine's start); ``lr_decay_iters < warmup_iters`` goes from the warmup straight
    to ``min_lr``; ``min_lr`` may be negative or above ``learning_rate`` (nanoGPT writes it to
    the param groups as it is; ``learning_rate`` builds the optimizer, which refuses one
    below 0). ``lr_decay_iters == warmup_iters`` (a ``ZeroDivisionError`` at update
    ``warmup_iters``) is refused.

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "nanogpt.get_lr", "learning_rate": 6e-4, "warmup_iters": 2,
        ...               "lr_decay_iters": 12, "min_lr": 6e-5})
        >>> [round(s(k) / 6e-5, 4) for k in (0, 1, 2, 7, 12, 13)]
        [3.3333, 6.6667, 10.0, 5.5, 1.0, 1.0]
    """

    schedule: ClassVar[str] = "nanogpt.get_lr"
    learning_rate: float = arg(c.Number(0.0), "the peak lr", default=6e-4)
    warmup_iters: int = arg(c.Integer(0), "updates of warmup", default=2000)
    lr_decay_iters: int = arg(c.Integer(0), "the update at which the cosine reaches ``min_lr`` (not "
                              "``warmup_iters``: nanoGPT divides by their difference)", default=600000)
    min_lr: float = arg(c.Number(), "the lr after ``lr_decay_iters`` (nanoGPT takes it as it is)", default=6e-5)
    decay_lr: bool = arg(c.Flag(), "False: ``learning_rate`` at every update", default=True)

    def validate(self) -> None:
        w, d = self.warmup_iters, self.lr_decay_iters
        if d == w:
            raise c.fail(self.schedule, "lr_decay_iters", d,
                         f"an integer >= 0 other than warmup_iters ({w}): nanoGPT divides by their difference")

    def nominal_peak(self) -> tuple[str, float] | None:
        return "learning_rate", self.learning_rate

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = self.warmup_iters if self.decay_lr else 0
        return w, ((w,) if w > 0 else ())

    def compose(self) -> Node:
        lr, w, D, lo = self.learning_rate, self.warmup_iters, self.lr_decay_iters, self.min_lr
        if not self.decay_lr:
            return Constant(lr)
        warm = Interp("linear", 0.0, lr, w, start=-1, label="warmup")  # lr (it + 1) / (w + 1)
        after: Node = Interp("cosine", lr, lo, D, start=w, label="decay") if D > w else Constant(lo)
        return Join([warm, after], [w], ["end of warmup"], shift=False)
