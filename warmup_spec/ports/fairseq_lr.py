"""fairseq ``fairseq.optim.lr_scheduler``, by its own names and parameters
(``"fairseq.inverse_sqrt"``, ``"fairseq.cosine"``).

Transcribed from ``fairseq/optim/lr_scheduler/inverse_square_root_schedule.py`` and
``cosine_lr_scheduler.py`` of facebookresearch/fairseq (commit
3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99; both files last changed in
d871f6169f8185837d1c11fb28da56abfd83841c) and tested against their ``step_update``
transcribed literally (``parity_tests/anchors/formulas.py``; fairseq is not installed
here). fairseq's trainer calls ``step_update(0)`` when it builds the scheduler and
``step_update(num_updates)`` after every update, so update ``k`` runs at
``step_update(k)``. ``lr`` is fairseq's ``--lr`` (``optimization.lr``, the optimizer's
lr): a number, or fairseq's list of one number.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import arg, definition
from warmup_spec.ports._base import Relative
from warmup_spec.primitives import Constant, Cycles, Interp, Join, Node, Periodic, PowerLaw, Product
from warmup_spec.primitives.cycles import float_log_index
from warmup_spec.registry import register


@dataclass(frozen=True)
class _Real(c.Check):
    """A real number (not a bool) that ``ok`` accepts (it refuses NaN), stored as a float;
    with ``listed``, a list of one such number is that number (fairseq's ``--lr``)."""

    ok: Callable[[float], bool]
    expected: str
    listed: bool = False

    @property
    def text(self) -> str:
        return self.expected

    def __call__(self, schedule: str, name: str, value: Any) -> float:
        x = value[0] if self.listed and isinstance(value, (list, tuple)) and len(value) == 1 else value
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not self.ok(float(x)):
            raise c.fail(schedule, name, value, self.expected)
        return float(x)


LR = _Real(lambda x: 0.0 <= x < math.inf,
           "a finite number >= 0.0, or a list of one such number (one per epoch is fairseq's 'fixed' scheduler)",
           listed=True)
"""fairseq's ``--lr``: a list; these schedulers take one value."""
T_MULT = _Real(lambda m: m == 1.0 or 1.001 <= m < math.inf,
               "a finite number >= 1.0, and not in (1.0, 1.001) (as our own cosine restarts)")
"""``t_mult``: the gap above 1 is our own cosine restarts' (cycles of nearly equal length)."""
PERIOD = _Real(lambda p: math.isfinite(p) and (p <= 0.0 or p.is_integer()),
               "a whole number of updates > 0, or <= 0 for max_update - warmup_updates")
"""``lr_period_updates``: fairseq divides by it and compares the update count with its multiples."""


@definition
class _Fairseq(Relative):
    """A fairseq scheduler: ``lr`` is fairseq's ``--lr``."""

    lr: float = arg(LR, "fairseq's ``--lr`` (the optimizer's lr), the warmup's target")


@register
@definition
class InverseSqrt(_Fairseq):
    """fairseq ``inverse_sqrt``: a linear warmup from ``warmup_init_lr`` to ``lr`` over
    ``warmup_updates``, then ``lr * sqrt(warmup_updates) / sqrt(k)``.

    At update ``k`` (``step_update(k)``), ``W = warmup_updates``: ``warmup_init_lr + k
    (lr - warmup_init_lr) / W`` for ``k < W``, ``lr W**0.5 * k**-0.5`` from ``k = W``.

    Source: ``fairseq/optim/lr_scheduler/inverse_square_root_schedule.py``, fairseq
    commit 3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99. Quirks reproduced: a negative
    ``warmup_init_lr`` (the default -1) means 0; ``lr`` is reached at update ``W``
    exactly and decays from ``W + 1``. fairseq divides by ``warmup_updates`` when it
    builds the scheduler, so ``warmup_updates=0`` (a ``ZeroDivisionError`` there) is
    refused.

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "fairseq.inverse_sqrt", "lr": 5e-4, "warmup_updates": 100})
        >>> [round(s(k) / 5e-4, 4) for k in (0, 50, 100, 400)]
        [0.0, 0.5, 1.0, 0.5]
    """

    schedule: ClassVar[str] = "fairseq.inverse_sqrt"
    warmup_updates: int = arg(c.Integer(1), "updates of warmup (``W``)", default=4000)
    warmup_init_lr: float = arg(c.Number(), "the warmup's lr at update 0 (absolute; a negative one means 0)",
                                 default=-1)

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return self.warmup_updates, (self.warmup_updates,)

    def equivalent(self) -> dict[str, Any] | None:
        init = max(self.warmup_init_lr, 0.0)
        if init > self.lr:
            return None
        return {"schedule": "warmup_inverse_sqrt", "peak_value": self.lr, "warmup_steps": self.warmup_updates,
                "init_value": init, "timescale": self.warmup_updates}

    def compose(self) -> Node:
        w, lr = self.warmup_updates, self.lr
        init = 0.0 if self.warmup_init_lr < 0 else self.warmup_init_lr
        decay = PowerLaw(lr * w**0.5, w, 1.0, -0.5, label="inverse square root")  # decay_factor * k**-0.5
        return Join([Interp("linear", init, lr, w, label="warmup"), decay], [w], ["end of warmup"])


@register
@definition
class Cosine(_Fairseq):
    """fairseq ``cosine``: a linear warmup from ``warmup_init_lr`` to ``lr``, then cosine
    cycles from ``lr`` to ``min_lr`` (SGDR) whose length grows by ``t_mult`` and whose
    both ends shrink by ``lr_shrink`` per cycle.

    At update ``k`` (``step_update(k)``), ``W = warmup_updates``: ``warmup_init_lr + k
    (lr - warmup_init_lr) / W`` for ``k < W``; then with ``x = k - W``, ``P =
    lr_period_updates`` (``max_update - W`` when ``<= 0``) and ``m = t_mult``, cycle
    ``i = floor(x / P)`` (``m = 1``) or ``floor(log(1 - x / P (1 - m), m))``, of length
    ``T_i = P m**i`` from ``P (1 - m**i) / (1 - m)``, ``t`` into it:
    ``s**i (min_lr + (lr - min_lr) (1 + cos(pi t / T_i)) / 2)``, ``s = lr_shrink``.

    Source: ``fairseq/optim/lr_scheduler/cosine_lr_scheduler.py``, fairseq commit
    3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99. Quirks reproduced: ``lr_shrink`` (default
    0.1) scales the floor ``min_lr`` as well as the peak; ``min_lr > lr`` is lowered to
    ``lr``; a negative ``warmup_init_lr`` (the default -1) means ``min_lr``; the cycle of
    an update is fairseq's float64 logarithm, which starts some cycles one update late or
    early (``t_mult=3``, ``lr_period_updates=100``: update 12100 after the warmup is the
    floor of cycle 4, not the peak of cycle 5; see :mod:`warmup_spec.primitives.cycles`).
    Refused here (see Args): ``t_mult < 1`` (fairseq's logarithm fails at some update), a
    period below 1 (fairseq asserts ``max_update > 0`` and divides by the period), a
    ``|lr_shrink| > 1`` (fairseq's ``lr_shrink ** i`` overflows, an ``OverflowError``, at
    some cycle). A negative ``lr_shrink`` alternates the sign of every other cycle
    (``-0.5``: cycle 1 runs from ``-lr / 2``).

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "fairseq.cosine", "lr": 1e-3, "lr_period_updates": 100, "lr_shrink": 0.5})
        >>> [round(s(k) / 1e-3, 4) for k in (0, 50, 99, 100, 150)]
        [1.0, 0.5, 0.0002, 0.5, 0.25]
    """

    schedule: ClassVar[str] = "fairseq.cosine"
    warmup_updates: int = arg(c.Integer(0), "updates of warmup (``W``)", default=0)
    warmup_init_lr: float = arg(c.Number(), "the warmup's lr at update 0 (absolute; a negative one means "
                                 "``min_lr``)", default=-1)
    min_lr: float = arg(c.Number(), "the cycles' floor (absolute; one above ``lr`` is lowered to ``lr``)", default=0.0)
    t_mult: float = arg(T_MULT, "the factor of each cycle's length over the previous one's (``m``)", default=1.0)
    lr_period_updates: float = arg(PERIOD, "the first cycle's length (``P``)", default=-1)
    lr_shrink: float = arg(c.Number(-1.0, 1.0), "the factor of both ends per cycle (``s``)", default=0.1)
    max_update: int = arg(c.Integer(0), "fairseq's ``--max-update``, the period's end with ``lr_period_updates <= 0``",
                          default=0)

    def validate(self) -> None:
        if self.lr_period_updates <= 0 and self.max_update - self.warmup_updates < 1:
            raise c.fail(self.schedule, "max_update", self.max_update,
                         f"an integer > warmup_updates ({self.warmup_updates}) with lr_period_updates <= 0")

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = self.warmup_updates
        return w, ((w,) if w > 0 else ())

    def compose(self) -> Node:
        hi, lo = self.lr, min(self.min_lr, self.lr)
        w, m, s = self.warmup_updates, self.t_mult, self.lr_shrink
        p = self.lr_period_updates
        P = int(p) if p > 0 else self.max_update - w
        cycles: Node
        if m != 1.0:
            cycles = Cycles("cosine", hi, lo, P, m, s, floor_decay=s, index=float_log_index)
        elif s == 0.0:  # 0**0 = 1, then 0: one cycle, then 0
            cycles = Join([Interp("cosine", hi, lo, P, label="cycle"), Constant(0.0)], [P], ["end of first cycle"])
        else:
            cycles = Periodic(Interp("cosine", hi, lo, P, label="cycle"), P, amplitude_decay=abs(s))
            if s < 0.0:  # s**i alternates the sign every cycle
                sign = Periodic(Join([Constant(1.0), Constant(-1.0)], [P], ["sign flip"]), 2 * P)
                cycles = Product(cycles, sign)
        if w == 0:
            return cycles
        init = lo if self.warmup_init_lr < 0 else self.warmup_init_lr
        return Join([Interp("linear", init, hi, w, label="warmup"), cycles], [w], ["end of warmup"])
