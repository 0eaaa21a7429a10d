"""Where two schedules agree, where they part, and by how much (``warmup-parity diff A B``).

Both are evaluated in float64 on the host (the NumPy tables of :mod:`warmup_spec.tables`)
over steps ``0..H``; ``H`` is the larger of their default horizons (see
:func:`warmup_parity.inspect_schedule.default_horizon`) unless given. Two values agree
when they differ by at most ``rtol`` of the larger of the two schedules' peaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RTOL", "Diff", "diff"]

RTOL = 1e-9
"""Default tolerance, relative to the larger peak: far above float64 rounding (1e-16),
far below any difference a training run could feel."""


@dataclass(frozen=True)
class Diff:
    """What :func:`diff` found over steps ``0..horizon``."""

    a: str
    b: str
    horizon: int
    rtol: float
    peak: float
    first_difference: int | None
    """First step where they differ beyond ``rtol * peak``; None if they never do."""
    agree_again: int | None
    """First step after ``first_difference`` from which they agree to the horizon, if any."""
    largest: float
    largest_at: int
    values_at_first: tuple[float, float] | None

    @property
    def same(self) -> bool:
        return self.first_difference is None

    def lines(self) -> list[str]:
        out = [f"A: {self.a}", f"B: {self.b}", f"compared: steps 0..{self.horizon} in float64 "
               f"(tolerance {self.rtol:g} of the peak {self.peak:.6g})"]
        if self.same:
            out.append(f"SAME: they agree at every step (largest difference {self.largest:.3g} at step "
                       f"{self.largest_at})")
            return out
        fd, first = self.first_difference, self.values_at_first
        assert fd is not None and first is not None  # not the same: they part somewhere
        a_val, b_val = first
        out.append(f"agree: steps 0..{fd - 1}" if fd else "agree: not even at step 0")
        out.append(f"first difference: step {fd}: A {a_val:.9g}, B {b_val:.9g}")
        if self.agree_again is not None:
            out.append(f"agree again: from step {self.agree_again} to the horizon")
        out.append(f"largest difference: {self.largest:.6g} at step {self.largest_at} "
                   f"({self.largest / self.peak:.3g} of the peak)")
        out.append("DIFFERENT")
        return out


def diff(a: Any, b: Any, horizon: int | None = None, rtol: float = RTOL) -> Diff:
    """Compares two schedules (configs in any namespace, specs, JSON strings or file paths).

    Example:
        >>> d = diff({"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 100},
        ...          {"schedule": "warmup_cosine_decay", "peak_value": 0.1, "warmup_steps": 0, "total_steps": 100})
        >>> d.first_difference  # torch's cosine rises again after T_max
        101
    """
    from warmup_spec.horizon import default_horizon_spec
    from warmup_spec.registry import spec_of, spec_to_config
    from warmup_spec.tables import lr_table

    sa, sb = spec_of(a), spec_of(b)
    if horizon is None:
        h = max(default_horizon_spec(sa)[0], default_horizon_spec(sb)[0])
    else:
        h = int(horizon)
        if h < 1:
            raise ValueError(f"diff: horizon={horizon!r} is invalid; expected an integer >= 1")
    if not (rtol >= 0):
        raise ValueError(f"diff: rtol={rtol!r} is invalid; expected a number >= 0")
    steps = np.arange(h + 1)
    va, vb = lr_table(sa, steps), lr_table(sb, steps)
    peak = float(max(np.max(np.abs(va)), np.max(np.abs(vb)))) or 1.0
    err = np.abs(va - vb)
    bad = np.nonzero(err > rtol * peak)[0]
    first = int(bad[0]) if bad.size else None
    again = None
    if first is not None and int(bad[-1]) < h:
        again = int(bad[-1]) + 1
    k = int(np.argmax(err))
    return Diff(
        a=_describe(sa, spec_to_config), b=_describe(sb, spec_to_config), horizon=h, rtol=rtol, peak=peak,
        first_difference=first, agree_again=again, largest=float(err[k]), largest_at=k,
        values_at_first=None if first is None else (float(va[first]), float(vb[first])),
    )


def _describe(spec: Any, to_config: Any) -> str:
    import json

    try:
        cfg = to_config(spec)
    except ValueError:
        return repr(spec)
    params = {k: v for k, v in cfg.items() if k != "schedule"}
    return f"{cfg['schedule']} {json.dumps(params)}"
