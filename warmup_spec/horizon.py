"""The default horizon: how far a schedule is evaluated (``inspect``, plots, figures) when not told.

- ``horizon`` when given;
- for a schedule that reaches its final value at step ``E``: ``E + ceil(E / 10) + 10``;
- for one that never does (inverse sqrt, ``noam``, ``legacy_noam``, exponential decay
  without a reachable floor, cosine restarts without ``cycle_limit``): the schedule's own
  :meth:`warmup_spec.ScheduleSpec.open_horizon` (``10 * warmup_steps`` for the
  inverse-sqrt family, three cycles plus 10% for cosine restarts, the step at which an
  exponential decay falls to 1% of its peak), capped at ``MAX_DEFAULT_HORIZON``;
  combinators add their offsets to their parts' horizons.
"""

from __future__ import annotations

import math
from typing import Any

from warmup_spec.definition import ScheduleSpec
from warmup_spec.registry import spec_of

__all__ = ["MAX_DEFAULT_HORIZON", "default_horizon", "default_horizon_spec"]

MAX_DEFAULT_HORIZON = 1_000_000
"""Cap on a never-ending schedule's default horizon (a given ``horizon`` is not capped)."""


def default_horizon_spec(spec: ScheduleSpec) -> tuple[int, str]:
    """(default horizon, how it was chosen) of a spec; see the module docstring."""
    e = spec.end_step
    if e is not None:
        return e + math.ceil(e / 10) + 10, "end step + 10% + 10"
    h, how = spec.open_horizon()
    return min(h, MAX_DEFAULT_HORIZON), f"never ends; default horizon: {how}"


def default_horizon(cfg: Any) -> int:
    """The default last step ``H`` that :func:`warmup_parity.inspect_schedule.diagnose`
    (and the plots) evaluate to."""
    return default_horizon_spec(spec_of(cfg))[0]
