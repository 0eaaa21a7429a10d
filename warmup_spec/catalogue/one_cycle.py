"""``one_cycle``: torch ``OneCycleLR`` (two phases), held at its end."""

from __future__ import annotations

import math
from typing import ClassVar

from warmup_spec import _checks as c
from warmup_spec.definition import AnnealShape, ScheduleSpec, arg, definition
from warmup_spec.deprecation import deprecated
from warmup_spec.primitives import Described, Interp, Join, Node
from warmup_spec.registry import register


@register
@definition
class OneCycle(ScheduleSpec):
    r"""torch ``OneCycleLR`` (two-phase) semantics, held from ``total_steps - 1``.

    From ``peak_value / div_factor`` up to ``peak_value`` at step
    ``a = pct_start * total_steps - 1``, then down to
    ``peak_value / div_factor / final_div_factor`` at ``total_steps - 1``; each phase
    anneals with ``anneal`` (``"cosine"`` or ``"linear"``). Unlike torch, steps past
    the end hold the final value instead of raising. (optax's ``cosine_onecycle_schedule``
    peaks and ends one step later.)

    As torch does by default (``cycle_momentum=True``), the momentum (SGD, RMSprop) or
    Adam's ``beta1`` cycles inversely: ``max_momentum`` at step 0, ``base_momentum`` at
    the peak step ``a``, back to ``max_momentum`` at ``total_steps - 1``, with the same
    anneal; ``warmup_torch``'s scheduler writes it into the param groups beside the lr and
    the matched optimizer pairs of ``warmup_parity`` apply it on the Optax side
    (``docs/hyperparameters.md``). ``cycle_momentum=False`` moves the lr only.

    .. math::
        f(t) = \begin{cases} i + (p - i)\, r(t / a) & t \le a \\
        e + (p - e)\, r\left(\frac{T - 1 - t}{T - 1 - a}\right) & a < t < T - 1 \end{cases}
        \quad r(x) = \frac{1 - \cos(\pi x)}{2} \text{ or } x

    Example:
        >>> f = one_cycle(10, 1.0, pct_start=0.3, div_factor=10.0, final_div_factor=10.0)
        >>> [round(float(f(t)), 6) for t in (0, 1, 2, 9, 10)]
        [0.1, 0.55, 1.0, 0.01, 0.01]

    References:
        torch ``OneCycleLR``; Smith & Topin, Super-Convergence (2018).
    """

    schedule: ClassVar[str] = "one_cycle"
    peak_note: ClassVar[str] = "pct_start * total_steps - 1 is not an integer step, so no step lands on the peak"
    total_steps: int = arg(c.Integer(2), "steps of the cycle (``T``)")
    peak_value: float = arg(c.Number(0.0), "the peak")
    pct_start: float = arg(None, "the fraction of steps rising, in ``(1 / total_steps, 1)``", default=0.3)
    div_factor: float = arg(c.Number(0.0, lo_open=True), "``peak_value / initial value``", default=25.0)
    final_div_factor: float = arg(c.Number(0.0, lo_open=True), "``initial value / final value``", default=1e4)
    anneal: AnnealShape = arg(None, "``\"cosine\"`` or ``\"linear\"`` (``\"cos\"``, deprecated, is ``\"cosine\"``)",
                              default="cosine")
    cycle_momentum: bool = arg(c.Flag(), "cycle the momentum / ``beta1`` (torch's default True)", default=True,
                               kw_only=True)
    base_momentum: float = arg(c.Number(0.0, 1.0, hi_open=True), "the momentum at the peak lr (torch's 0.85)",
                               default=0.85, kw_only=True)
    max_momentum: float = arg(c.Number(0.0, 1.0, hi_open=True), "the momentum at the lowest lrs (torch's 0.95)",
                              default=0.95, kw_only=True)

    def validate(self) -> None:
        n, T = self.schedule, self.total_steps
        self._set("pct_start", c.number(n, "pct_start", self.pct_start, 1.0 / T, 1.0, lo_open=True, hi_open=True))
        if float(self.pct_start * T) - 1.0 <= 0.0:  # torch's end of phase 1 rounds to step 0
            raise c.fail(n, "pct_start", self.pct_start, f"pct_start * total_steps > 1 (total_steps={T})")
        if self.anneal == "cos":  # the spelling before "cosine", like every other shape
            deprecated(f"{n}: anneal='cos'", "anneal='cosine'", stacklevel=5)
            self._set("anneal", "cosine")
        self._set("anneal", c.choice(n, "anneal", self.anneal, ("cosine", "linear")))

    def _peak_step(self) -> float:
        return float(self.pct_start * self.total_steps) - 1.0  # torch's end of phase 1

    def _two_phases(self, first: float, middle: float, last_value: float) -> Node:
        """``first`` at step 0 to ``middle`` at the peak step, then to ``last_value`` at
        ``total_steps - 1``, both phases on the same clock."""
        a, last = self._peak_step(), self.total_steps - 1
        one = Interp(self.anneal, first, middle, a)
        two = Interp(self.anneal, middle, last_value, last, start=a)
        return Join([one, two], [math.floor(a) + 1], shift=False)

    def compose(self) -> Node:
        a, last = self._peak_step(), self.total_steps - 1
        lo = self.peak_value / self.div_factor
        curve = self._two_phases(lo, self.peak_value, lo / self.final_div_factor)
        peaks = sorted({max(math.floor(a), 0), max(math.ceil(a), 0)})
        return Described(curve, events=[*((s, "peak") for s in peaks), (last, "end")])

    def momentum_node(self) -> Node | None:
        """The momentum / ``beta1``: ``max_momentum -> base_momentum -> max_momentum`` over
        the lr's two phases (``None`` with ``cycle_momentum=False``)."""
        if not self.cycle_momentum:
            return None
        return self._two_phases(self.max_momentum, self.base_momentum, self.max_momentum)

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        a = self._peak_step()
        return math.ceil(a), tuple(sorted({max(math.floor(a), 0), max(math.ceil(a), 0)}))
