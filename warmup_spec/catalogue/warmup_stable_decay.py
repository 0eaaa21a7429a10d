"""``warmup_stable_decay``: warmup, hold the peak, then decay (WSD)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import DecayShape, WarmupParams, check_end, warmup_then
from warmup_spec.primitives import Interp, Node
from warmup_spec.registry import register


@register
@dataclass(frozen=True)
class WarmupStableDecay(WarmupParams):
    r"""Warmup, hold ``peak_value`` (stable), then decay over ``decay_steps`` (WSD).

    .. math::
        f(t) = e + (p - e)\, g(v), \quad v = \mathrm{clip}\left(\frac{t - w - S}{D}, 0, 1\right)

    with ``g(v)`` = ``1 - v`` (linear), ``(1 + cos(pi v)) / 2`` (cosine) or
    ``1 - sqrt(v)`` (``"1-sqrt"``).

    Args:
        peak_value: value of the stable phase, ``>= 0``.
        warmup_steps: steps of warmup (``w``), ``>= 0``.
        stable_steps: steps at ``peak_value`` after warmup (``S >= 0``).
        decay_steps: steps of the decay (``D >= 1``).
        end_value: value from ``w + S + D`` on, in ``[0, peak_value]``.
        decay_shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        init_value: value at step 0, in ``[0, peak_value]``.
        warmup_shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Example:
        >>> f = warmup_stable_decay(1.0, 2, stable_steps=2, decay_steps=4)
        >>> [round(float(f(t)), 6) for t in range(10)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]

    References:
        HF ``get_wsd_schedule``; Hu et al., MiniCPM (2024).
    """

    schedule: ClassVar[str] = "warmup_stable_decay"
    stable_steps: int
    decay_steps: int
    end_value: float = 0.0
    decay_shape: DecayShape = "linear"

    def __post_init__(self) -> None:
        n = self.schedule
        super().__post_init__()
        self._set("stable_steps", c.integer(n, "stable_steps", self.stable_steps, 0))
        self._set("decay_steps", c.integer(n, "decay_steps", self.decay_steps, 1))
        check_end(self)
        self._set("decay_shape", c.choice(n, "decay_shape", self.decay_shape, ("linear", "cosine", "1-sqrt")))

    @property
    def total_steps(self) -> int:
        return self.warmup_steps + self.stable_steps + self.decay_steps

    def compose(self) -> Node:
        s = self.stable_steps  # the decay holds peak_value until its start
        decay = Interp(self.decay_shape, self.peak_value, self.end_value, s + self.decay_steps, start=s, label="decay")
        return warmup_then(self, decay)
