"""Training parity as a pytest assertion, for a user's own suite.

Example:
    >>> import jax, numpy as np, torch
    >>> from flax import nnx
    >>> rng = np.random.default_rng(0)
    >>> batches = [(rng.standard_normal((8, 3)), rng.standard_normal((8, 2))) for _ in range(4)]
    >>> with jax.enable_x64(True):
    ...     report = assert_training_parity(nnx.Linear(3, 2, rngs=nnx.Rngs(0)), torch.nn.Linear(3, 2), batches,
    ...                                     loss="mse", optimizer={"name": "sgd"},
    ...                                     schedule={"schedule": "warmup_constant", "peak_value": 0.1,
    ...                                               "warmup_steps": 2})
    >>> report.passed
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from warmup_parity.comparison import compare
from warmup_parity.report import Report

__all__ = ["assert_training_parity"]


def assert_training_parity(flax_model: Any, torch_model: Any, batches: Iterable[tuple[Any, Any]], *,
                           loss: str | tuple[Callable[..., Any], Callable[..., Any]], optimizer: Any,
                           schedule: Any, steps: int | None = None, dtype: str = "float64",
                           copy: bool = True, mapping: Mapping[str, str] | None = None,
                           flax_forward: Callable[[Any, Any], Any] | None = None,
                           torch_forward: Callable[[Any, Any], Any] | None = None, ignore_index: int = -100,
                           in_place: bool = False) -> Report:
    """Runs :func:`warmup_parity.comparison.compare` with these arguments and returns its report.

    Raises:
        AssertionError: the two runs part; the message is ``str(report)``: the first
            divergence (kind, where, step, difference, tolerance) and its likely cause.
        ValueError: an invalid argument (as ``compare``).
    """
    report = compare(flax_model, torch_model, batches, loss=loss, optimizer=optimizer, schedule=schedule,
                     steps=steps, dtype=dtype, copy=copy, mapping=mapping, flax_forward=flax_forward,
                     torch_forward=torch_forward, ignore_index=ignore_index, in_place=in_place)
    if not report.passed:
        raise AssertionError(str(report))
    return report
