"""DeepSpeed ``deepspeed.runtime.lr_schedules``, by its own names and parameters
(``"deepspeed.WarmupLR"``, ...).

Transcribed from ``deepspeed/runtime/lr_schedules.py`` of DeepSpeed 0.19.8 (the installed
package; github.com/deepspeedai/DeepSpeed) and tested against it
(``parity_tests/anchors/deepspeed_lr.py``), stepped as the DeepSpeed engine steps it:
the scheduler is built before training (``last_batch_iteration=-1``, which writes the lr
of update 0 into the optimizer) and ``step()`` follows every optimizer step, so update
``k >= 1`` runs at DeepSpeed's ``get_lr()`` with ``last_batch_iteration = k - 1``.

``WarmupLR``, ``WarmupDecayLR``, ``OneCycle`` and ``LRRangeTest`` set absolute lrs (no
``lr``); ``WarmupCosineLR`` scales the optimizer's lr by ratios (``lr`` first).
What DeepSpeed refuses (``warmup_num_steps`` not a positive int, a non-positive
``lr_range_test_step_size`` or ``cycle_first_step_size``, a negative
``cycle_second_step_size``) is refused here; so are an unknown ``warmup_type`` (DeepSpeed
logs a warning and uses ``"log"``) and a negative ``total_num_steps``, ``decay_lr_rate``,
``decay_step_size`` or stair count. Any other finite lr, ratio, momentum or rate is taken,
as DeepSpeed takes it (a negative one gives negative lrs); the optimizer's ``lr`` is
``>= 0``. A float step ``k`` is DeepSpeed's
``step(k - 1)`` with a float (:mod:`warmup_spec.ports._deepspeed_floats`). ``OneCycle`` also cycles Adam's
``beta1`` by default (``cycle_momentum=True``), and so does its port
(:meth:`OneCycle.momentum_node`, what ``warmup_torch`` writes beside the lr).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from warmup_spec import _checks as c
from warmup_spec.definition import arg, definition
from warmup_spec.ports._base import FloatSteps, Relative, at_least_zero
from warmup_spec.ports._deepspeed_floats import AtFloats, warmup_gamma
from warmup_spec.primitives import Constant, Interp, Join, Node, PowerLaw, Sum
from warmup_spec.primitives.stairs import Stairs
from warmup_spec.registry import register

WarmupType = Literal["log", "linear"]
VALUE = c.Number()
"""An lr, a ratio or a momentum: DeepSpeed takes any finite number."""
WARMUP_STEPS = c.Integer(1)
"""``warmup_num_steps``: DeepSpeed asserts a positive int."""
WARMUP_TYPE = c.Choice(("log", "linear"))
"""``warmup_type``: DeepSpeed warns about any other and uses ``"log"``; refused here."""


def _warmup(warmup_type: str, lo: float, hi: float, steps: int) -> Node:
    """DeepSpeed's warmup by update ``k`` (``last_batch_iteration = k - 1``), ``W = steps``:
    ``log``: ``lo + (hi - lo) log(k) / log(W)``, ``hi`` at update ``W``; ``linear``:
    ``lo + (hi - lo) (k - 1) / W``, ``hi`` at update ``W + 1``; ``lo`` at updates 0 and 1."""
    if warmup_type == "log":  # log1p(k - 1) / log1p(W - 1): Interp's log shape, from update 1
        return Interp("log", lo, hi, steps, start=1, label="warmup")
    return Interp("linear", lo, hi, steps + 1, start=1, label="warmup")


def _bumped(spec: Any) -> int:
    """DeepSpeed's ``W = max(2, warmup_num_steps)``."""
    return max(2, spec.warmup_num_steps)


def _warmup_fact(spec: Any) -> tuple[int | None, tuple[int, ...]]:
    """The warmup's length in updates: the log warmup peaks at update ``W``, the linear one at ``W + 1``."""
    w = _bumped(spec) + (spec.warmup_type == "linear")
    return w, (w,)


class _Warmup(FloatSteps):
    """``WarmupLR`` and its subclass ``WarmupDecayLR`` in DeepSpeed: the peak is
    ``warmup_max_lr``, reached as :func:`_warmup_fact` says."""

    warmup_max_lr: float

    def nominal_peak(self) -> tuple[str, float] | None:
        return "warmup_max_lr", self.warmup_max_lr

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return _warmup_fact(self)


@register
@definition
class WarmupLR(_Warmup):
    """DeepSpeed ``WarmupLR``: from ``warmup_min_lr`` to ``warmup_max_lr`` over
    ``W = max(2, warmup_num_steps)`` updates, then ``warmup_max_lr`` forever.

    At update ``k`` (DeepSpeed's ``last_batch_iteration = k - 1``):

    - ``log`` (the default): ``min + (max - min) log(k) / log(W)`` for ``1 <= k <= W``;
    - ``linear``: ``min + (max - min) (k - 1) / W`` for ``1 <= k <= W + 1``;
    - ``min`` at update 0 (the lr written at construction).

    Source: ``deepspeed/runtime/lr_schedules.py`` (``WarmupLR.get_lr``, ``_get_gamma``),
    DeepSpeed 0.19.8. Quirks reproduced: updates 0 and 1 both run at ``warmup_min_lr``
    (``log(1) = 0``, ``0 / W = 0``); ``warmup_num_steps`` of 1 is 2; the log warmup
    reaches the max at update ``W``, the linear one at ``W + 1``. DeepSpeed's default
    ``warmup_max_lr=None`` takes the optimizer's lr, which a schedule config cannot
    see: ``warmup_max_lr`` is required here (and comes first).

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "deepspeed.WarmupLR", "warmup_max_lr": 1e-3, "warmup_num_steps": 100})
        >>> [round(s(k) / 1e-3, 4) for k in (0, 1, 2, 10, 100, 101)]
        [0.0, 0.0, 0.1505, 0.5, 1.0, 1.0]
    """

    schedule: ClassVar[str] = "deepspeed.WarmupLR"
    warmup_max_lr: float = arg(VALUE, "the lr at the end of the warmup and after")
    warmup_min_lr: float = arg(VALUE, "the lr at updates 0 and 1", default=0.0)
    warmup_num_steps: int = arg(WARMUP_STEPS, "the warmup's updates (``W = max(2, warmup_num_steps)``)", default=1000)
    warmup_type: WarmupType = arg(WARMUP_TYPE, "the warmup's shape", default="log")

    def compose(self) -> Node:
        w = _bumped(self)
        lo, hi = self.warmup_min_lr, self.warmup_max_lr
        gamma = warmup_gamma(self.warmup_type, w)

        def at(ns: Any, k: Any) -> Any:  # WarmupLR.get_lr at last_batch_iteration = k - 1
            g = ns.where(k - 1 < w, gamma(ns, k), 1.0)
            return ns.where(k - 1 < 0, lo, lo + (hi - lo) * g)

        return AtFloats(_warmup(self.warmup_type, lo, hi, w), at)


@register
@definition
class WarmupDecayLR(_Warmup):
    """DeepSpeed ``WarmupDecayLR``: ``WarmupLR``'s warmup, then a linear decay back to
    ``warmup_min_lr`` (not to 0) at update ``total_num_steps + 1``, held after.

    With ``W = max(2, warmup_num_steps)``, ``T = total_num_steps`` and update ``k``
    (``last_batch_iteration = k - 1``): the warmup of ``WarmupLR`` for ``k <= W``, then
    ``min + (max - min) max(0, (T - k + 1) / max(1, T - W))`` for ``k >= W + 1``.

    Source: ``deepspeed/runtime/lr_schedules.py`` (``WarmupDecayLR._get_gamma``),
    DeepSpeed 0.19.8. Quirks reproduced: the decay ends at ``warmup_min_lr``; it starts
    at ``warmup_max_lr`` at update ``W + 1`` and its length is ``T - W`` with the
    bumped ``W`` (``warmup_num_steps`` of 1 is 2); ``T <= W`` (DeepSpeed only warns)
    drops from the warmup straight to ``warmup_min_lr`` at update ``W + 1``.

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "deepspeed.WarmupDecayLR", "total_num_steps": 100,
        ...               "warmup_num_steps": 10, "warmup_type": "linear", "warmup_max_lr": 1e-3})
        >>> [round(s(k) / 1e-3, 4) for k in (0, 1, 2, 11, 56, 101, 200)]
        [0.0, 0.0, 0.1, 1.0, 0.5, 0.0, 0.0]
    """

    schedule: ClassVar[str] = "deepspeed.WarmupDecayLR"
    total_num_steps: int = arg(c.Integer(0), "``T``: the decay reaches ``warmup_min_lr`` at update ``T + 1``")
    warmup_min_lr: float = arg(VALUE, "the lr at updates 0 and 1 and from the decay's end on", default=0.0)
    warmup_max_lr: float = arg(VALUE, "the lr at the end of the warmup", default=0.001)
    warmup_num_steps: int = arg(WARMUP_STEPS, "the warmup's updates (``W = max(2, warmup_num_steps)``)", default=1000)
    warmup_type: WarmupType = arg(WARMUP_TYPE, "the warmup's shape", default="log")

    def compose(self) -> Node:
        w, T = _bumped(self), self.total_num_steps
        lo, hi = self.warmup_min_lr, self.warmup_max_lr
        warm = _warmup(self.warmup_type, lo, hi, w)
        decay: Node = Interp("linear", hi, lo, T + 1, start=w + 1, label="decay") if T > w else Constant(lo)
        gamma = warmup_gamma(self.warmup_type, w)

        def at(ns: Any, k: Any) -> Any:  # WarmupDecayLR.get_lr at last_batch_iteration = k - 1
            down = ns.maximum(0.0, (T - (k - 1)) / float(max(1.0, T - w)))
            g = ns.where(k - 1 < w, gamma(ns, k), down)
            return ns.where(k - 1 < 0, lo, lo + (hi - lo) * g)

        return AtFloats(Join([warm, decay], [w + 1], ["end of warmup"], shift=False), at)


@register
@definition
class WarmupCosineLR(FloatSteps, Relative):
    """DeepSpeed ``WarmupCosineLR``: the optimizer's ``lr`` times a ratio that warms up
    from ``warmup_min_ratio`` to 1, then follows a cosine to ``cos_min_ratio``.

    With ``W = max(2, warmup_num_steps)``, ``T = total_num_steps`` and update ``k``
    (``last_batch_iteration = k - 1``):

    - update 0: ``0`` (DeepSpeed writes ``0.0`` at construction);
    - ``1 <= k <= W`` (``W + 1`` for ``linear``): ``lr (r0 + (1 - r0) g)`` with ``g``
      ``WarmupLR``'s warmup fraction (``log(k) / log(W)`` or ``(k - 1) / W``);
    - ``k >= W + 1``: ``lr (c + (1 - c) (1 + cos(pi min(1, (k - W) / max(1, T - W)))) / 2)``.

    Source: ``deepspeed/runtime/lr_schedules.py`` (``WarmupCosineLR.get_lr_ratio``),
    DeepSpeed 0.19.8. Quirks reproduced: update 0 runs at lr 0 whatever
    ``warmup_min_ratio`` (update 1 at ``lr * warmup_min_ratio``); the cosine is already
    one step in at update ``W + 1`` (``(k - W) / (T - W)``), so a linear warmup never
    runs an update at the full ``lr``; the ratio holds ``cos_min_ratio`` from update
    ``T`` on (``T <= W``: from update ``W + 1``); a negative ``cos_min_ratio`` holds the
    cosine at 0 where it would go below (DeepSpeed's ``max(0.0, ratio)``).

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "deepspeed.WarmupCosineLR", "lr": 1e-3, "total_num_steps": 100,
        ...               "warmup_num_steps": 10, "warmup_min_ratio": 0.1, "cos_min_ratio": 0.0})
        >>> [round(s(k) / 1e-3, 4) for k in (0, 1, 10, 11, 55, 100, 150)]
        [0.0, 0.1, 1.0, 0.9997, 0.5, 0.0, 0.0]
    """

    schedule: ClassVar[str] = "deepspeed.WarmupCosineLR"
    total_num_steps: int = arg(c.Integer(0), "``T``: the ratio holds ``cos_min_ratio`` from update ``T`` on")
    warmup_min_ratio: float = arg(VALUE, "the ratio at update 1", default=0.0)
    warmup_num_steps: int = arg(WARMUP_STEPS, "the warmup's updates (``W = max(2, warmup_num_steps)``)", default=1000)
    cos_min_ratio: float = arg(VALUE, "the ratio at the cosine's end", default=0.0001)
    warmup_type: WarmupType = arg(WARMUP_TYPE, "the warmup's shape", default="log")

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return _warmup_fact(self)

    def compose(self) -> Node:
        w, T, lr = _bumped(self), self.total_num_steps, self.lr
        warm = _warmup(self.warmup_type, lr * self.warmup_min_ratio, lr, w)
        end = lr * self.cos_min_ratio
        cos: Node = Interp("cosine", lr, end, T, start=w, label="cosine") if T > w else Constant(end)
        if self.cos_min_ratio < 0.0:  # DeepSpeed's max(0.0, ratio) in the cosine and after it
            cos = at_least_zero(cos)
        gamma, r0, c0 = warmup_gamma(self.warmup_type, w), self.warmup_min_ratio, self.cos_min_ratio
        pi = math.pi

        def at(ns: Any, k: Any) -> Any:  # WarmupCosineLR.get_lr at last_batch_iteration = k - 1
            warm_ratio = r0 + gamma(ns, k) * (1.0 - r0)
            progress = ns.minimum(1.0, ((k - 1) - w + 1) / max(1, T - w))
            cos_ratio = ns.maximum(0.0, c0 + (1.0 - c0) * ((1 + ns.cos(pi * progress)) / 2))
            ratio = ns.where(k - 1 < w, warm_ratio, cos_ratio)
            return ns.where(k - 1 < 0, 0.0, lr * ratio)

        return AtFloats(Join([Constant(0.0), warm, cos], [1, w + 1], ["first update", "end of warmup"], shift=False),
                        at)


@register
@definition
class LRRangeTest(FloatSteps):
    """DeepSpeed ``LRRangeTest``: an lr growing linearly (or in stairs) without end,
    ``min_lr (1 + rate k / size)`` at update ``k`` (``floor(k / size)`` with
    ``lr_range_test_staircase``), ``min_lr = lr_range_test_min_lr``, ``rate =
    lr_range_test_step_rate``, ``size = lr_range_test_step_size``.

    Source: ``deepspeed/runtime/lr_schedules.py`` (``LRRangeTest.get_lr``,
    ``_continuous_interval``, ``_staircase_interval``: ``(last_batch_iteration + 1) /
    size``), DeepSpeed 0.19.8. Update 0 runs at ``lr_range_test_min_lr`` (written at
    construction) and update ``k`` at ``last_batch_iteration = k - 1``, so the formula
    holds at every update; the lr never stops growing (with a negative ``lr_range_test_step_rate``,
    which DeepSpeed takes, it falls through 0 without end).

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "deepspeed.LRRangeTest", "lr_range_test_min_lr": 1e-4,
        ...               "lr_range_test_step_size": 10, "lr_range_test_staircase": True})
        >>> [round(s(k) / 1e-4, 4) for k in (0, 9, 10, 25)]
        [1.0, 1.0, 2.0, 3.0]
    """

    schedule: ClassVar[str] = "deepspeed.LRRangeTest"
    lr_range_test_min_lr: float = arg(VALUE, "the lr at update 0", default=1e-3)
    lr_range_test_step_size: int = arg(c.Integer(1), "the updates per interval", default=2000)
    lr_range_test_step_rate: float = arg(VALUE, "the lr's growth per interval, in units of the min lr", default=1.0)
    lr_range_test_staircase: bool = arg(c.Flag(), "whether the lr grows in stairs (whole intervals)", default=False)

    def nominal_peak(self) -> tuple[str, float] | None:
        return None

    def compose(self) -> Node:
        lo, size, rate = self.lr_range_test_min_lr, self.lr_range_test_step_size, self.lr_range_test_step_rate
        ramp = _line(lo, rate, size, "range test")
        staircase = self.lr_range_test_staircase

        def at(ns: Any, k: Any) -> Any:  # LRRangeTest.get_lr at last_batch_iteration = k - 1
            interval = ((k - 1) + 1) / size
            return lo * (1 + rate * (ns.floor(interval) if staircase else interval))

        return AtFloats(Stairs(ramp, size, label="range test") if staircase else ramp, at)


def _line(lo: float, rate: float, size: int, label: str) -> Node:
    """DeepSpeed's ``lo * (1 + rate * x / size)`` at local step ``x`` (any finite ``rate``: a
    falling line goes through 0 at ``x = size / -rate`` and on below it)."""
    if lo == 0.0 or rate == 0.0:
        return Constant(lo)
    if rate > 0.0:
        k = size / rate  # lo (1 + rate x / size) = lo (x + k) / k
        return PowerLaw(lo, k, k, 1.0, label=label)
    return Sum(Constant(lo), PowerLaw(lo * rate / size, 0.0, 1.0, 1.0, label=label))


def _held(pieces: list[tuple[int, float]], end: int) -> Node:
    """Constants ``value`` from each ``start`` (increasing; a later start equal to an
    earlier one replaces it) until the next start, the last until ``end`` and after."""
    starts: list[int] = []
    values: list[float] = []
    for start, value in pieces:
        if start >= end:
            continue
        if starts and start == starts[-1]:
            values[-1] = value
        else:
            starts.append(start)
            values.append(value)
    if len(values) == 1:
        return Constant(values[0])
    return Join([Constant(v) for v in values], starts[1:], ["stair"] * (len(starts) - 1))


@register
@definition
class OneCycle(FloatSteps):
    """DeepSpeed ``OneCycle``: one triangular cycle from ``cycle_min_lr`` up to
    ``cycle_max_lr`` over ``f = cycle_first_step_size`` updates and back down over
    ``s = cycle_second_step_size`` (default ``f``), optionally in stairs, then
    ``cycle_min_lr`` or its inverse-time decay; with ``cycle_momentum=True`` (DeepSpeed's
    default) Adam's ``beta1`` runs the same cycle inversely (:meth:`momentum_node`).

    At update ``k`` (``last_batch_iteration = k - 1``, ``batch_iteration = k``):

    - ``k <= f + s``: ``min + (max - min) scale``, ``scale = k / f`` going up and
      ``(f + s - k) / s`` going down; with a stair count ``n > 0`` for that half,
      ``scale = floor(k n / f) / n`` (up) or ``floor((f + s - k) n / s) / n`` (down);
    - ``k > f + s``: ``min / (1 + decay_lr_rate (k - f - s) / decay_step_size)``, or
      ``min`` when ``decay_lr_rate`` or ``decay_step_size`` is 0.

    The momentum: ``cycle_max_mom - (cycle_max_mom - cycle_min_mom) scale`` in the cycle,
    then ``cycle_max_mom (1 + decay_mom_rate (k - f - s) / decay_step_size)`` (it GROWS, by
    DeepSpeed's multiplication; ``cycle_max_mom`` when ``decay_mom_rate`` or
    ``decay_step_size`` is 0); at update 0 ``cycle_min_mom``, which DeepSpeed writes at
    construction, not the cycle's ``cycle_max_mom``. DeepSpeed cycles ``betas[0]`` only, and
    writes ``betas = (momentum, 0.99)``: ``warmup_torch`` does the same (``beta2`` becomes
    0.99, as under DeepSpeed); for an optimizer without ``betas`` (SGD, RMSprop) DeepSpeed
    turns ``cycle_momentum`` off with a warning and leaves the momentum alone, and so does
    ``warmup_torch``.

    Source: ``deepspeed/runtime/lr_schedules.py`` (``OneCycle._get_scale_factor``,
    ``_get_cycle_lr``, ``_get_decay_lr``, ``_get_cycle_mom``, ``_get_decay_mom``,
    ``_initialize_momentum``), DeepSpeed 0.19.8. Quirks reproduced: the
    peak ``cycle_max_lr`` is run at update ``f`` only; stairs have the integer widths
    that ``floor`` gives (``f / n`` need not be an integer) and a descending half in
    stairs leaves the peak at once (``floor((s - 1) n / s) / n``); the cycle is not
    repeated; ``cycle_second_stair_count`` defaults to ``cycle_first_stair_count``; with
    ``s = 0`` update ``f`` is already ``cycle_min_lr`` (the peak is never run).

    Example:
        >>> from warmup_spec import Schedule
        >>> from warmup_spec.hyper import momentum_of
        >>> cfg = {"schedule": "deepspeed.OneCycle", "cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3,
        ...        "cycle_first_step_size": 10, "decay_lr_rate": 1.0, "decay_step_size": 10}
        >>> s = Schedule(cfg)
        >>> [round(s(k) / 1e-4, 4) for k in (0, 5, 10, 15, 20, 30)]
        [1.0, 5.5, 10.0, 5.5, 1.0, 0.5]
        >>> m = Schedule(momentum_of(s))
        >>> [round(m(k), 4) for k in (0, 1, 5, 10, 20, 30)]
        [0.8, 0.89, 0.85, 0.8, 0.9, 0.9]
    """

    schedule: ClassVar[str] = "deepspeed.OneCycle"
    cycled_betas_only: ClassVar[bool] = True
    """DeepSpeed cycles ``betas[0]`` alone: an optimizer without ``betas`` keeps its momentum."""
    cycled_beta2: ClassVar[float] = 0.99
    """The ``beta2`` DeepSpeed writes beside the cycled ``beta1`` (``betas = (momentum, 0.99)``)."""
    cycle_min_lr: float = arg(VALUE, "the lr at the cycle's start and end")
    cycle_max_lr: float = arg(VALUE, "the lr at the cycle's top (update ``f``)")
    decay_lr_rate: float = arg(c.Number(0.0), "the inverse-time decay's rate after the cycle (0: none)", default=0.0)
    cycle_first_step_size: int = arg(c.Integer(1), "``f``, the updates up", default=2000)
    cycle_second_step_size: int | None = arg(c.OrNone(c.Integer(0)), "``s``, the updates down (None: ``f``)",
                                             default=None)
    cycle_first_stair_count: int = arg(c.Integer(0), "the stairs up (0: a line)", default=0)
    cycle_second_stair_count: int | None = arg(c.OrNone(c.Integer(0)), "the stairs down (None: the stairs up)",
                                               default=None)
    decay_step_size: int = arg(c.Integer(0), "the updates per unit of decay after the cycle (0: none)", default=0)
    cycle_momentum: bool = arg(c.Flag(), "whether ``beta1`` cycles too", default=True)
    cycle_min_mom: float = arg(VALUE, "``beta1`` at the cycle's top and at update 0", default=0.8)
    cycle_max_mom: float = arg(VALUE, "``beta1`` at the cycle's start and end", default=0.9)
    decay_mom_rate: float = arg(VALUE, "the rate at which ``beta1`` grows after the cycle (0: none)", default=0.0)

    def nominal_peak(self) -> tuple[str, float] | None:
        return "cycle_max_lr", self.cycle_max_lr

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        return self.cycle_first_step_size, (self.cycle_first_step_size,)


    def compose(self) -> Node:
        lo, hi, r, size = self.cycle_min_lr, self.cycle_max_lr, self.decay_lr_rate, self.decay_step_size
        after: Node
        if r == 0.0 or size == 0:
            after = Constant(lo)
        else:  # lo / (1 + r x / size) = lo (size / r) / (x + size / r)
            k = size / r
            after = PowerLaw(lo, k, k, -1.0, label="decay")
        total, scale = self._sizes()[2], self._scale_at

        def at(ns: Any, k: Any) -> Any:  # OneCycle.get_lr at last_batch_iteration = k - 1
            decay = lo if r == 0.0 or size == 0 else lo / (1 + r * (((k - 1) - total + 1) / size))
            return ns.where(k - 1 < total, lo + (hi - lo) * scale(ns, k), decay)

        return AtFloats(self._cycle(lo, hi, after), at)

    def _sizes(self) -> tuple[float, float, float]:
        """DeepSpeed's ``first_step_size``, ``second_step_size`` and ``total_size`` (floats)."""
        f = float(self.cycle_first_step_size)
        s = f if self.cycle_second_step_size is None else float(self.cycle_second_step_size)
        return f, s, f + s

    def _scale_at(self, ns: Any, k: Any) -> Any:
        """DeepSpeed's ``_get_scale_factor`` at ``batch_iteration = k`` (a float or a float array):
        the cycle position ``x = 1 + k / total - floor(1 + k / total)``, ``x / ratio`` rising or
        ``(x - 1) / (ratio - 1)`` falling, or with that half's stair count ``n > 0``
        ``floor(position n / size) / n`` of the position ``k % total`` in the cycle."""
        f, s, total = self._sizes()
        ratio = f / total
        n1 = self.cycle_first_stair_count
        n2 = n1 if self.cycle_second_stair_count is None else self.cycle_second_stair_count
        cycle = ns.floor(1 + k / total)
        x = 1.0 + k / total - cycle
        rising = x <= ratio
        scale = ns.where(rising, x / ratio, (x - 1) / (ratio - 1 if ratio != 1.0 else 1.0))
        if n1 == 0 and n2 == 0:
            return scale
        count = ns.where(rising, n1, n2)
        at = ns.mod(k, total)
        position = ns.where(at <= f, at * count / f, (total - at) * count / (s or 1.0))
        return ns.where(count > 0, ns.floor(position) / ns.maximum(count, 1), scale)

    def momentum_node(self) -> Node | None:
        """DeepSpeed's ``beta1``: ``cycle_min_mom`` at update 0 (written at construction), then
        the lr's cycle from ``cycle_max_mom`` to ``cycle_min_mom`` and back, then
        ``cycle_max_mom (1 + decay_mom_rate x / decay_step_size)`` (``None`` with
        ``cycle_momentum=False``)."""
        if not self.cycle_momentum:
            return None
        top, low, rate, size = self.cycle_max_mom, self.cycle_min_mom, self.decay_mom_rate, self.decay_step_size
        after = Constant(top) if size == 0 else _line(top, rate, size, "momentum decay")
        cycle = self._cycle(top, low, after)
        total, scale = self._sizes()[2], self._scale_at

        def at(ns: Any, k: Any) -> Any:  # OneCycle.get_mom at last_batch_iteration = k - 1
            decay = top if rate == 0.0 or size == 0 else top * (1 + rate * (((k - 1) - total + 1) / size))
            return ns.where(k - 1 < total, top - (top - low) * scale(ns, k), decay)

        return AtFloats(Join([Constant(low), cycle], [1], ["first update"], shift=False), at)

    def _cycle(self, lo: float, hi: float, after: Node) -> Node:
        """DeepSpeed's ``lo + (hi - lo) scale`` over the cycle, then ``after`` on its own clock
        from update ``f + s``."""
        f = self.cycle_first_step_size
        s = f if self.cycle_second_step_size is None else self.cycle_second_step_size
        n1 = self.cycle_first_stair_count
        n2 = n1 if self.cycle_second_stair_count is None else self.cycle_second_stair_count
        total = f + s

        def at(j: int, n: int) -> float:  # DeepSpeed: min + (max - min) * (floor(...) / n)
            return lo + (hi - lo) * (j / n)

        pieces: list[Node] = []
        bounds: list[int] = []
        if n1 > 0:  # stair j starts at ceil(j f / n1): the first k with floor(k n1 / f) >= j
            up = _held([(-(-j * f // n1), at(j, n1)) for j in range(n1)], f)
        else:
            up = Interp("linear", lo, hi, f, label="increase")
        pieces.append(up)
        if s > 0:
            bounds.append(f)
            if n2 > 0:
                # k = f is the peak (its stair position is n / n); for f < k < f + s the stair is
                # j = floor((f + s - k) n2 / s), which starts at f + s + 1 - ceil((j + 1) s / n2)
                stairs = [(0, at(n2, n2))] + [
                    (max(1, s + 1 + (-(j + 1) * s) // n2), at(j, n2)) for j in range(n2 - 1, -1, -1)]
                down = _held(stairs, s + 1)
            else:
                down = Interp("linear", hi, lo, s, label="decrease")
            pieces.append(down)
        bounds.append(total)
        pieces.append(after)
        return Join(pieces, bounds, ["peak", "end of cycle"][-len(bounds):])
