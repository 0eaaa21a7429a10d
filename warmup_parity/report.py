"""What a comparison measured and how it is judged: the tolerances, :class:`Divergence` (where the
two runs first part) and :class:`Report` (``parity_report.json``).

Example:
    >>> d = Divergence("forward", "fc", 0, 3e-3, 1e-12, "the output of 'fc' (Linear) differs; its input agreed")
    >>> str(d)
    "forward at 'fc', step 0: 3.00e-03 > 1e-12 (the output of 'fc' (Linear) differs; its input agreed)"
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warmup_parity.chaos import Verdict

__all__ = ["KINDS", "TOLERANCES", "Divergence", "Report"]

TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"step0": 1e-14, "params": 1e-9, "lr": 1e-12, "local": 1e-12},
    "float32": {"step0": 1e-6, "params": 1e-5, "lr": 1e-6, "local": 1e-5},
}
"""Per dtype: ``step0`` the step-0 loss and gradients (relative, the gradients
norm-relative over all parameters, and per 10 layers with parameters for deeper models:
``warmup_parity.engine.gradient_tolerance``), ``params`` the parameters after every update
(norm-relative ``||jax - torch|| / ||torch||``), ``lr`` the lr (relative), ``local`` one
submodule output, gradient or update when placing a divergence (norm-relative)."""

KINDS = ("parameters", "forward", "loss", "gradient", "lr", "update")
"""The kinds of :class:`Divergence` (``"parameters"`` before the first update or after a later one)."""


@dataclass(frozen=True)
class Divergence:
    """Where the two runs first part.

    Attributes:
        kind: ``"parameters"``, ``"forward"``, ``"loss"``, ``"gradient"``, ``"lr"`` or ``"update"``.
        where: the torch-style dotted name of the submodule or parameter (``""``: the model's
            own forward; ``"schedule"`` for the lr; ``"loss"`` for the loss).
        step: the update it was seen at (``"parameters"``: the parameters after that update,
            or, with ``detail`` saying so, before the first one).
        difference: the measured difference (relative or norm-relative).
        tolerance: the tolerance it exceeded.
        detail: what was compared, in words.
        hint: the likely cause, where one is known (else empty).
    """

    kind: str
    where: str
    step: int
    difference: float
    tolerance: float
    detail: str = ""
    hint: str = ""

    def __str__(self) -> str:
        where = f"at {self.where!r}" if self.where else "in the model's own forward"
        text = f"{self.kind} {where}, step {self.step}: {self.difference:.2e} > {self.tolerance:.0e}"
        text += f" ({self.detail})" if self.detail else ""
        return text + (f". Likely cause: {self.hint}" if self.hint else "")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": self.where, "step": self.step, "difference": self.difference,
                "tolerance": self.tolerance, "detail": self.detail, "hint": self.hint}


@dataclass
class Report:
    """What a comparison measured; ``to_json()`` is the ``parity_report.json`` format.

    ``steps`` holds one record per update: ``step, lr_jax, lr_torch, loss_jax, loss_torch,
    param_max_abs_diff, param_rel_diff``; ``summary`` the worst values, the tolerances, the
    failed checks and ``passed``.
    """

    config: dict[str, Any]
    steps: list[dict[str, float]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    first_divergence: Divergence | None = None
    notes: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    """For parameters that part after update 0: chaos or bug (:mod:`warmup_parity.chaos`)."""

    @property
    def passed(self) -> bool:
        return bool(self.summary.get("passed"))

    def to_json(self) -> dict[str, Any]:
        first = None if self.first_divergence is None else self.first_divergence.to_json()
        return {"title": self.config.get("title", ""), "config": self.config, "summary": self.summary,
                "steps": self.steps, "first_divergence": first, "notes": self.notes,
                "verdict": None if self.verdict is None else self.verdict.to_json()}

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=1))
        return path

    def __repr__(self) -> str:
        return f"<Report {str(self).splitlines()[0]!r}>"


    def _repr_png_(self) -> bytes:
        """In a notebook: the lr, loss and parameter difference per step (``warmup_parity.figure``)."""
        from warmup_parity.plot import png, training_figure

        return png(training_figure(self.to_json()))
    def __str__(self) -> str:
        s = self.summary
        n, dtype = len(self.steps), self.config.get("dtype", "?")
        head = f"{n} steps in {dtype}"
        if self.first_divergence is None and self.passed:
            line = (f"PASS: {head}: parameters agree to {s['param_max_rel_diff']:.1e} (tolerance "
                    f"{s['tolerances']['param_max_rel_diff']:.0e}), step-0 loss {s['step0_loss_rel_diff']:.1e}, "
                    f"gradients {s['step0_grad_rel_diff']:.1e}")
        elif self.first_divergence is None:
            line = f"FAIL: {head}: {', '.join(s.get('failed', []))}"
        else:
            line = f"FAIL: {head}: {self.first_divergence}"
        verdict = [] if self.verdict is None else [f"verdict: {self.verdict}"]
        return "\n".join([line, *verdict, *(f"note: {n}" for n in self.notes)])

