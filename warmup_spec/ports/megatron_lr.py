"""Megatron-LM ``OptimizerParamScheduler`` (its learning rate), by its own name and
parameters (``"megatron.OptimizerParamScheduler"``).

Transcribed from ``megatron/core/optimizer_param_scheduler.py`` of NVIDIA/Megatron-LM
(commit 00caa53af30912914981c86f39db123961678bbd) and tested against that ``get_lr``
transcribed literally (``parity_tests/anchors/formulas.py``; Megatron-LM is not
installed here). The lrs are absolute (no ``lr``). Megatron builds the scheduler with
``step(0)`` and calls ``step(increment)`` after every optimizer step; the port counts
the scheduler's ``num_steps`` in units of one increment (Megatron's training loop steps
by the global batch size and scales ``lr_warmup_steps`` and ``lr_decay_steps`` by it
too, which gives the same ratios), so update ``k`` runs at ``get_lr`` with
``num_steps = k``. Only the lr is ported, not the weight-decay increment.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, arg, definition
from warmup_spec.primitives import Constant, Exponential, Interp, Join, Node, PowerLaw, Product, Saturation, Scale, Sum
from warmup_spec.primitives.reverse import Reverse
from warmup_spec.registry import register

DecayStyle = Literal["constant", "linear", "cosine", "inverse-square-root", "WSD"]
WsdStyle = Literal["linear", "cosine", "exponential", "minus_sqrt"]
DECAY_STYLES = ("constant", "linear", "cosine", "inverse-square-root", "WSD")
WSD_STYLES = ("linear", "cosine", "exponential", "minus_sqrt")


@register
@definition
class OptimizerParamScheduler(ScheduleSpec):
    """Megatron-LM ``OptimizerParamScheduler.get_lr``: a linear warmup from ``init_lr``
    to ``max_lr``, then a decay to ``min_lr`` at ``lr_decay_steps``, ``min_lr`` after.

    At update ``k`` (``num_steps = k``), ``w = lr_warmup_steps``, ``D = lr_decay_steps``:

    - ``w > 0`` and ``k <= w``: ``init_lr + (max_lr - init_lr) k / w``;
    - ``constant``: ``max_lr`` (forever: no ``min_lr`` after ``D``);
    - ``k > D``: ``min_lr``;
    - ``inverse-square-root``: ``max(min_lr, max_lr sqrt(max(w, 1)) / sqrt(max(k, 1)))``;
    - ``linear``/``cosine``: ``min_lr + (max_lr - min_lr) c(r)``, ``r = (k - w) / (D - w)``,
      ``c = 1 - r`` or ``(1 + cos(pi r)) / 2``;
    - ``WSD``: ``max_lr`` up to ``A = D - wsd_decay_steps``, then ``c(r)`` with
      ``r = (k - A) / wsd_decay_steps`` and ``lr_wsd_decay_style`` ``linear`` ``1 - r``,
      ``cosine``, ``exponential`` ``2 * 0.5**r - 1``, ``minus_sqrt`` ``1 - sqrt(r)``.

    Source: ``megatron/core/optimizer_param_scheduler.py`` (``get_lr``), NVIDIA/Megatron-LM
    commit 00caa53af30912914981c86f39db123961678bbd. Quirks reproduced: the warmup's last
    step ``k = w`` is inclusive (``max_lr`` there); ``inverse-square-root`` also drops to
    ``min_lr`` after ``lr_decay_steps`` (a jump down), and with ``w = 0`` runs
    ``max_lr / sqrt(max(k, 1))`` (updates 0 and 1 both at ``max_lr``); a WSD anneal
    longer than ``D - w`` starts part-way down at update ``w + 1``. Megatron's asserts are
    refused here with our message (``min_lr >= 0``, ``max_lr >= min_lr``,
    ``init_lr <= max_lr``, ``lr_decay_steps > 0``, ``lr_warmup_steps < lr_decay_steps``,
    ``wsd_decay_steps`` set for WSD), and so is what fails at a later step (an unknown
    decay style, a WSD anneal without ``lr_wsd_decay_style``); a negative ``init_lr`` is
    taken, as Megatron takes it.

    Example:
        >>> from warmup_spec import Schedule
        >>> s = Schedule({"schedule": "megatron.OptimizerParamScheduler", "init_lr": 0.0, "max_lr": 1e-3,
        ...               "min_lr": 1e-4, "lr_warmup_steps": 10, "lr_decay_steps": 100,
        ...               "lr_decay_style": "linear"})
        >>> [round(s(k) / 1e-4, 4) for k in (0, 5, 10, 55, 100, 101)]
        [0.0, 5.0, 10.0, 5.5, 1.0, 1.0]
    """

    schedule: ClassVar[str] = "megatron.OptimizerParamScheduler"
    init_lr: float = arg(None, "a finite number ``<= max_lr`` (Megatron asserts only that)")
    max_lr: float = arg(None, "a finite number ``>= min_lr``")
    min_lr: float = arg(c.Number(0.0))
    lr_warmup_steps: int = arg(None, "an integer in ``[0, lr_decay_steps)``")
    lr_decay_steps: int = arg(c.Integer(1))
    lr_decay_style: DecayStyle = arg(c.Choice(DECAY_STYLES))
    wsd_decay_steps: int | None = arg(None, "None, or an integer ``>= 0`` (required with ``lr_decay_style='WSD'``)",
                                      default=None)
    lr_wsd_decay_style: WsdStyle | None = arg(None, "None, or one of " + ", ".join(map(repr, WSD_STYLES))
                                              + " (required with ``lr_decay_style='WSD'``)", default=None)

    def validate(self) -> None:
        n, d = self.schedule, self.lr_decay_steps
        self._set("max_lr", c.number(n, "max_lr", self.max_lr, self.min_lr))
        self._set("init_lr", c.number(n, "init_lr", self.init_lr, None, self.max_lr))  # Megatron: <= max_lr only
        text = f"in [0, lr_decay_steps) = [0, {d})"
        w = c.integer(n, "lr_warmup_steps", self.lr_warmup_steps, 0, lo_text=text)
        if w >= d:
            raise c.fail(n, "lr_warmup_steps", self.lr_warmup_steps, f"an integer {text}")
        self._set("lr_warmup_steps", w)
        wsd = self.lr_decay_style == "WSD"
        if self.wsd_decay_steps is not None or wsd:
            if self.wsd_decay_steps is None:
                raise c.fail(n, "wsd_decay_steps", None, "an integer >= 0 with lr_decay_style='WSD'")
            self._set("wsd_decay_steps", c.integer(n, "wsd_decay_steps", self.wsd_decay_steps, 0))
        if self.lr_wsd_decay_style is not None or wsd:
            self._set("lr_wsd_decay_style",
                      c.choice(n, "lr_wsd_decay_style", self.lr_wsd_decay_style, WSD_STYLES))

    def nominal_peak(self) -> tuple[str, float] | None:
        return "max_lr", self.max_lr

    def warmup(self) -> tuple[int | None, tuple[int, ...]]:
        w = self.lr_warmup_steps
        return w, ((w,) if w > 0 else ())

    def equivalent(self) -> dict[str, Any] | None:
        w, D, style, hi = self.lr_warmup_steps, self.lr_decay_steps, self.lr_decay_style, self.max_lr
        if not 0.0 <= self.init_lr <= hi or self.min_lr > hi:  # the catalogue's init_value is >= 0
            return None
        if style == "constant":
            return {"schedule": "warmup_constant", "peak_value": hi, "warmup_steps": w, "init_value": self.init_lr}
        if style not in ("linear", "cosine") or D <= w:
            return None
        return {"schedule": f"warmup_{style}_decay", "peak_value": hi, "warmup_steps": w, "init_value": self.init_lr,
                "total_steps": D, "end_value": self.min_lr}

    def compose(self) -> Node:
        w, D, style = self.lr_warmup_steps, self.lr_decay_steps, self.lr_decay_style
        hi, lo = self.max_lr, self.min_lr
        pieces: list[Node] = []
        bounds: list[int] = []
        labels: list[str] = []
        if w > 0:
            pieces.append(Interp("linear", self.init_lr, hi, w, label="warmup"))
            bounds.append(w + 1)
            labels.append("after the warmup")
        if style == "constant":
            pieces.append(Constant(hi))
        elif style in ("linear", "cosine"):
            pieces.append(Interp(style, hi, lo, D, start=w, label="decay"))
        elif style == "inverse-square-root":
            return self._inverse_sqrt(pieces, bounds, labels)
        else:
            pieces.append(self._wsd())
        if len(pieces) == 1:
            return pieces[0]
        return Join(pieces, bounds[: len(pieces) - 1], labels[: len(pieces) - 1], shift=False)

    def _inverse_sqrt(self, pieces: list[Node], bounds: list[int], labels: list[str]) -> Node:
        """``max(min_lr, max_lr sqrt(ws) / sqrt(k))`` from ``b0 = w + 1`` (``k = 0`` with
        ``w = 0`` is ``max_lr``, the same as ``k = 1``), ``min_lr`` after ``D``: the
        power law until the first step below ``min_lr`` (found with Megatron's own
        expression), then ``min_lr``."""
        w, D, hi, lo = self.lr_warmup_steps, self.lr_decay_steps, self.max_lr, self.min_lr
        ws = max(w, 1)
        b0 = w + 1

        def megatron(k: int) -> float:
            return hi * ws**0.5 / (k**0.5)

        cut = D + 1
        if lo > 0 and ws * (hi / lo) ** 2 < D + 3:  # the power law reaches min_lr before D
            k = max(b0, math.floor(ws * (hi / lo) ** 2) - 2)
            while k > b0 and megatron(k - 1) < lo:
                k -= 1
            while megatron(k) >= lo:
                k += 1
            cut = min(cut, k)
        if w == 0:
            pieces.append(Constant(hi))
            bounds.append(b0)
            labels.append("first update")
        rsqrt = PowerLaw(hi * ws**0.5, b0, 1.0, -0.5, label="inverse square root")
        return Join([*pieces, rsqrt, Constant(lo)], [*bounds, cut], [*labels, "min_lr"])

    def _wsd(self) -> Node:
        """WSD on the global clock: ``max_lr`` until ``A``, the anneal to ``min_lr`` at ``D``, held."""
        D, hi, lo = self.lr_decay_steps, self.max_lr, self.min_lr
        L = self.wsd_decay_steps
        assert L is not None
        A = D - L
        style = self.lr_wsd_decay_style
        if L == 0:  # never annealed: max_lr until D, min_lr after
            return Join([Constant(hi), Constant(lo)], [D + 1], ["min_lr"], shift=False)
        if style in ("linear", "cosine"):
            return Interp(style, hi, lo, D, start=A, label="anneal")
        if style == "minus_sqrt":
            return Interp("1-sqrt", hi, lo, D, start=A, label="anneal")
        # exponential: min + (max - min) (2 * 0.5**r - 1) = min + (max - min) expm1(ln2 (1 - r)),
        # with 1 - r = rem / L: 2**(rem / L) * (1 - 2**(-rem / L)), both factors without
        # cancellation near the end (the literal form cancels in float32 as it reaches min_lr)
        y = Product(Exponential(1.0, 2.0, L, bound=2.0), Saturation(math.log(2.0) / L, 0.0))  # 2**(y/L) - 1 at y = rem
        anneal = Sum(Constant(lo), Scale(Reverse(y, L, label="anneal"), hi - lo))
        return Join([Constant(hi), anneal], [A], ["start of anneal"])
