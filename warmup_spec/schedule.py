"""The host-side schedule: ``step -> lr`` in float64, pure Python, picklable.

``warmup_torch``'s schedulers and callables are built on it, and a JAX user logs the lr
with it without ``optax.inject_hyperparams`` (no framework imported):

    >>> from warmup_spec import Schedule
    >>> Schedule({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 2})(1)
    0.05
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from warmup_spec.definition import ScheduleSpec, Specified
from warmup_spec.display import Displayed
from warmup_spec.registry import spec_of, spec_to_config

__all__ = ["Schedule"]


class Schedule(Displayed, Specified):
    """A schedule ``step -> lr`` in float64, built from a spec (or anything :func:`spec_of` takes).

    It evaluates the float64 closed form of the spec's composition: step arithmetic on
    exact Python ints, no cancellation near the ends, any step size (a Python ``int``, a
    NumPy or torch integer). Picklable (it pickles as its spec; a user's own base
    function inside a combinator is pickled as it is) and comparable by spec.

    Attributes:
        spec: the frozen spec it evaluates.

    Example:
        >>> from warmup_spec import WarmupLinearDecay
        >>> f = Schedule(WarmupLinearDecay(1.0, warmup_steps=2, total_steps=4))
        >>> [f(t) for t in range(6)]
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    # "__dict__" (always empty) lets torch's LambdaLR checkpoint a Schedule used as an
    # lr_lambda: its state_dict saves ``fn.__dict__`` of callable objects. The schedule's
    # state is its immutable spec, rebuilt with the scheduler, so nothing else is needed.
    __slots__ = ("_fn", "spec", "__dict__")

    def __init__(self, spec: Any) -> None:
        self.spec: ScheduleSpec = spec_of(spec)
        self._fn: Callable[[int], float] = self.spec.compose().closed()

    def __call__(self, step: int) -> float:
        try:
            t: float = operator.index(step)
        except TypeError:
            t = self._float_step(step)  # a port of a library that computes at float steps
        if t < 0:
            raise ValueError(f"{self.spec.schedule}: step={t!r} is invalid; expected {self._expected()}")
        return self._fn(t)  # type: ignore[arg-type]  # the closed forms compute at floats too

    def _float_step(self, step: Any) -> float:
        t = _float(step) if self.spec.float_steps() else math.nan
        if not math.isfinite(t):
            raise ValueError(f"{self.spec.schedule}: a non-integer step is invalid; expected {self._expected()}")
        return t

    def _expected(self) -> str:
        return "a finite number >= 0" if self.spec.float_steps() else "an integer >= 0"

    @property
    def name(self) -> str:
        """The name of the schedule."""
        return self.spec.schedule

    def config(self) -> dict[str, Any]:
        """The config mapping of the spec; ``ValueError`` if a base is a user function."""
        return spec_to_config(self.spec)

    def __reduce__(self) -> tuple[type[Schedule], tuple[ScheduleSpec]]:
        return (Schedule, (self.spec,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash((Schedule, self.spec))

    def __repr__(self) -> str:
        return f"Schedule({self.spec!r})"


def _float(step: Any) -> float:
    """A float step (a Python, NumPy or 0-d tensor float) as a float; NaN for anything else."""
    try:
        return float(step)
    except (TypeError, ValueError):
        return math.nan
