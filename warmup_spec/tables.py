"""Host-side learning-rate tables with NumPy: for plots, ``inspect`` and logging.

The same array forms as ``warmup_jax`` (the composition's :meth:`~warmup_spec.primitives.Node.array`),
evaluated with ``numpy`` in float64, vectorised over steps: tens of millions of steps
per second, with no jax, no torch and no per-step Python. Needs NumPy (imported lazily,
so the rest of ``warmup_spec`` stays dependency-free).

Example:
    >>> from warmup_spec.tables import lr_table
    >>> lr_table({"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 2,
    ...           "total_steps": 4}, range(6)).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from warmup_spec._array_ops import numpy_ops
from warmup_spec.definition import ScheduleSpec
from warmup_spec.registry import spec_of

__all__ = ["CHUNK", "lr_table", "numpy_schedule"]


@functools.lru_cache(maxsize=1)
def _ops():
    return numpy_ops()


def numpy_schedule(cfg: Mapping[str, Any] | ScheduleSpec) -> Callable[[Any], Any]:
    """The schedule as a vectorised NumPy function ``steps -> float64 array``."""
    ops = _ops()
    f = spec_of(cfg).compose().array(ops, 0, (0, None))  # steps are >= 0
    return lambda steps: f(ops.as_step(steps))


CHUNK = 1 << 16
"""Steps evaluated at a time: the temporaries stay in cache and memory stays flat."""


def lr_table(cfg: Mapping[str, Any] | ScheduleSpec, steps: Iterable[int] | Any) -> Any:
    """The lr at every step of ``steps`` (an int array, a range or a list), float64.

    Evaluated in chunks of :data:`CHUNK` steps into one preallocated result, so the
    peak memory is the result plus a few cache-sized temporaries.
    """
    import numpy as np

    t = steps if isinstance(steps, np.ndarray) else np.asarray(list(steps) if isinstance(steps, range) else steps)
    t = t.astype(np.int64, copy=False).reshape(-1)
    f = numpy_schedule(cfg)
    out = np.empty(t.shape, np.float64)
    for a in range(0, t.size, CHUNK):
        out[a:a + CHUNK] = f(t[a:a + CHUNK])
    return out
