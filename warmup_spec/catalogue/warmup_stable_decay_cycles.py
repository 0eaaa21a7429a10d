"""``warmup_stable_decay_cycles``: WSD cycles, each re-warming from the previous cycle's end."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import DECAY_SHAPES, WARMUP_SHAPES, DecayShape, ScheduleSpec, WarmupShape, arg, definition
from warmup_spec.primitives import Constant, Interp, Join, Node
from warmup_spec.registry import register


@register
@definition
class WarmupStableDecayCycles(ScheduleSpec):
    r"""Warmup-stable-decay cycles (continued pre-training): cycle ``c`` warms up from the
    previous cycle's end value (``init_value`` for the first) to ``peak_values[c]``, holds it,
    then decays to ``end_values[c]``; the next cycle starts from there.

    Cycle ``c`` starts at ``s_c`` (the lengths of the cycles before it summed), with
    ``w, S, D, p, e = warmup_steps[c], stable_steps[c], decay_steps[c], peak_values[c],
    end_values[c]``, ``i = end_values[c - 1]`` (``init_value`` for ``c = 0``) and ``x = t - s_c``:

    .. math::
        f(t) = \begin{cases} \mathrm{warmup}_{i \to p}(x) & x < w \\
        e + (p - e)\, g(v), \; v = \mathrm{clip}\left(\frac{x - w - S}{D}, 0, 1\right) & x \ge w \end{cases}

    with ``g(v)`` = ``1 - v`` (linear), ``(1 + cos(pi v)) / 2`` (cosine) or ``1 - sqrt(v)``
    (``"1-sqrt"``). After the last cycle (``t >= T``, the lengths summed) the schedule holds
    ``end_values[-1]``, or 0 with ``zero_tail``. One cycle is ``warmup_stable_decay``.

    Example:
        >>> f = warmup_stable_decay_cycles([1.0, 0.8], [2, 2], [1, 1], [2, 2], [0.4, 0.0])
        >>> [round(float(f(t)), 6) for t in range(12)]
        [0.0, 0.5, 1.0, 1.0, 0.7, 0.4, 0.6, 0.8, 0.8, 0.4, 0.0, 0.0]

    References:
        Hu et al., MiniCPM (2024); Ibrahim et al., Simple and Scalable Strategies to Continually
        Pre-train Large Language Models (2024): re-warming and re-decaying.
    """

    schedule: ClassVar[str] = "warmup_stable_decay_cycles"
    step_lists: ClassVar[tuple[str, ...]] = ("warmup_steps", "stable_steps", "decay_steps")
    peak_values: Sequence[float] = arg(c.ListOf(c.Number(0.0), "a non-empty list of numbers >= 0 (one per cycle)", 1),
                                       "each cycle's stable value")
    warmup_steps: Sequence[int] = arg(None, "each cycle's warmup (re-warmup) length, ``>= 0``")
    stable_steps: Sequence[int] = arg(None, "each cycle's steps at its peak after the warmup, ``>= 0``")
    decay_steps: Sequence[int] = arg(None, "each cycle's decay length, ``>= 1``")
    end_values: Sequence[float] = arg(None, "each cycle's end value, in ``[0, peak_values[c]]``; the next cycle's "
                                      "warmup starts there")
    decay_shape: DecayShape = arg(c.Choice(DECAY_SHAPES), "the decays' curve ``g``", default="linear")
    init_value: float = arg(None, "the value at step 0, in ``[0, peak_values[0]]``", default=0.0, kw_only=True)
    warmup_shape: WarmupShape = arg(c.Choice(WARMUP_SHAPES), "the warmups' curve (exponential: every warmup's start, "
                                    "``init_value`` and the end values before the last, must be ``> 0``)",
                                    default="linear", kw_only=True)
    zero_tail: bool = arg(c.Flag(), "0 instead of ``end_values[-1]`` from ``T`` on (a run past its plan stops "
                          "moving)", default=False, kw_only=True)

    def validate(self) -> None:
        n, m = self.schedule, len(self.peak_values)
        for key, lo in (("warmup_steps", 0), ("stable_steps", 0), ("decay_steps", 1)):
            self._set(key, tuple(c.integer(n, f"{key}[{k}]", v, lo) for k, v in enumerate(self._list(key, m))))
        ends = self._list("end_values", m)
        self._set("end_values", tuple(c.number(n, f"end_values[{k}]", e, 0.0, self.peak_values[k])
                                      for k, e in enumerate(ends)))
        exponential = self.warmup_shape == "exponential"
        suffix = " with warmup_shape='exponential'" if exponential else ""
        self._set("init_value", c.number(n, "init_value", self.init_value, 0.0, self.peak_values[0],
                                         lo_open=exponential, suffix=suffix))
        if exponential:  # every warmup interpolates a ratio: its start and its peak must be > 0
            for k, p in enumerate(self.peak_values):
                if not p > 0:
                    raise c.fail(n, f"peak_values[{k}]", p, "a finite number > 0 with warmup_shape='exponential'")
            for k, e in enumerate(self.end_values[:-1]):
                if not e > 0:
                    raise c.fail(n, f"end_values[{k}]", e, "a finite number > 0 with warmup_shape='exponential' "
                                 "(the next cycle's warmup starts there)")

    def _list(self, key: str, m: int) -> tuple[Any, ...]:
        value = getattr(self, key)
        if not isinstance(value, (list, tuple)) or len(value) != m:
            raise c.fail(self.schedule, key, value, f"a list of {m} values (one per cycle, as peak_values)")
        return tuple(value)

    @property
    def total_steps(self) -> int:
        """The steps of all cycles: from here on the schedule holds its end (or 0)."""
        return sum(self.warmup_steps) + sum(self.stable_steps) + sum(self.decay_steps)

    def compose(self) -> Node:
        pieces: list[Node] = []
        bounds: list[int] = []
        labels: list[str] = []
        start, previous = 0, self.init_value
        cycles = zip(self.peak_values, self.warmup_steps, self.stable_steps, self.decay_steps, self.end_values)
        for k, (p, w, s, d, e) in enumerate(cycles):
            warm = Interp(self.warmup_shape, previous, p, max(w, 1), label="warmup" if k == 0 else f"re-warmup {k}")
            decay = Interp(self.decay_shape, p, e, s + d, start=s, label=f"decay {k}")
            if k:
                bounds.append(start)
                labels.append(f"end of cycle {k - 1}")
            pieces += [warm, decay]
            bounds.append(start + w)
            labels.append("end of warmup" if k == 0 else f"end of re-warmup {k}")
            start, previous = start + w + s + d, e
        if self.zero_tail:
            pieces.append(Constant(0.0, label="zero tail"))
            bounds.append(start)
            labels.append("zero tail")
        return Join(pieces, bounds, labels)

    def nominal_peak(self) -> tuple[str, float] | None:
        k = max(range(len(self.peak_values)), key=lambda j: self.peak_values[j])
        return f"peak_values[{k}]", self.peak_values[k]

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = self.warmup_steps[0]
        return w, ((w,) if w > 0 else ())
