"""torch's ``ReduceLROnPlateau``, its decision written once: over Python floats (the host
twin, :func:`plateau_lrs`) and over ``jax.numpy`` (``warmup_jax.plateau``), with a warmup
before it.

torch (``torch/optim/lr_scheduler.py``, 2.13.0), at each ``step(metric)``::

    better = metric < best * (1 - threshold)     # mode="min", threshold_mode="rel" (abs: best - threshold;
                                                 # max: > best * (1 + threshold), > best + threshold)
    best, num_bad = (metric, 0) if better else (best, num_bad + 1)
    if cooldown_counter > 0: cooldown_counter -= 1; num_bad = 0
    if num_bad > patience:                       # after patience + 1 bad metrics
        new = max(lr * factor, min_lr); lr = new if lr - new > eps else lr
        cooldown_counter, num_bad = cooldown, 0

The state starts at ``best = inf`` (``-inf`` for ``mode="max"``), the counters at 0 and
``lr`` at the optimizer's lr. :func:`step` is that, branch-free (``where``), the same float64
operations in the same order, so the JAX twin's lrs are torch's bit for bit under x64.

The warmup: for the first ``warmup_steps`` updates the lr follows a warmup from
``init_value`` to ``lr`` (``warmup_shape`` linear, cosine or exponential, as the
catalogue's warmups), and metrics reported before the warmup is over are ignored; the
plateau logic starts from ``lr``. The torch recipe that this reproduces: step our warmup
scheduler (``ScheduleLR(optimizer, spec)``, the spec's own lr) after each of the first
``warmup_steps`` updates, then call ``ReduceLROnPlateau(optimizer, ...).step(metric)``
only once ``warmup_steps`` updates are done (``docs/hyperparameters.md``).

Example:
    >>> spec = Plateau(1.0, factor=0.5, patience=1)
    >>> plateau_lrs(spec, [3.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0])
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, NamedTuple

from warmup_spec import _checks as c
from warmup_spec.definition import WARMUP_SHAPES, ScheduleSpec, WarmupShape, arg, check_init, definition
from warmup_spec.primitives import Constant, Interp, Join, Node

__all__ = ["Plateau", "PlateauValues", "initial", "plateau_lrs", "step"]


@definition
class Plateau(ScheduleSpec):
    """torch ``ReduceLROnPlateau``'s parameters (its names and defaults), the lr it starts
    from and the warmup before it. As a schedule (``compose``) it is the lr before any
    reduction: the warmup, then ``lr``.

    Example:
        >>> from warmup_spec import Schedule
        >>> [Schedule(Plateau(1.0, warmup_steps=4))(t) for t in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    schedule: ClassVar[str] = "torch.ReduceLROnPlateau"
    lr: float = arg(c.Number(0.0), "the optimizer's lr when the plateau logic starts (torch reads it from the group)")
    mode: str = arg(c.Choice(("min", "max")), "``\"min\"``: a lower metric is better", default="min")
    factor: float = arg(c.Number(0.0, 1.0, hi_open=True), "the lr's multiplier on a plateau", default=0.1)
    patience: int = arg(c.Integer(0), "bad metrics tolerated; the lr drops at the ``patience + 1``-th", default=10)
    threshold: float = arg(c.Number(0.0), "how much better counts as better", default=1e-4)
    threshold_mode: str = arg(c.Choice(("rel", "abs")), "``best * (1 -/+ threshold)`` or ``best -/+ threshold``",
                              default="rel")
    cooldown: int = arg(c.Integer(0), "metrics ignored after a reduction", default=0)
    min_lr: float = arg(c.Number(0.0), "the lr's floor", default=0.0)
    eps: float = arg(c.Number(0.0), "a reduction smaller than this is skipped", default=1e-8)
    warmup_steps: int = arg(c.Integer(0), "updates of warmup before the plateau logic starts", default=0, kw_only=True)
    init_value: float = arg(None, "the warmup's first lr, in ``[0, lr]`` (``(0, lr]`` for an exponential warmup)",
                            default=0.0, kw_only=True)
    warmup_shape: WarmupShape = arg(c.Choice(WARMUP_SHAPES), default="linear", kw_only=True)

    def validate(self) -> None:
        check_init(self, self.lr, "lr")

    def compose(self) -> Node:
        if self.warmup_steps == 0:
            return Constant(self.lr)
        warm = Interp(self.warmup_shape, self.init_value, self.lr, self.warmup_steps, label="warmup")
        return Join([warm, Constant(self.lr)], [self.warmup_steps], ["end of warmup"])

    def nominal_peak(self) -> tuple[str, float] | None:
        return "lr", self.lr

    @property
    def worst(self) -> float:
        """The initial ``best``: ``inf`` for ``mode="min"``, ``-inf`` for ``"max"``."""
        return math.inf if self.mode == "min" else -math.inf

    def is_better(self, metric: Any, best: Any) -> Any:
        """torch's ``_is_better``, on floats or arrays."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return metric < best * (1.0 - self.threshold)
        if self.mode == "min":
            return metric < best - self.threshold
        if self.threshold_mode == "rel":
            return metric > best * (self.threshold + 1.0)
        return metric > best + self.threshold


class PlateauValues(NamedTuple):
    """The decision state: floats on the host, arrays in JAX."""

    lr: Any
    best: Any
    num_bad_epochs: Any
    cooldown_counter: Any
    last_epoch: Any


def _where(cond: Any, a: Any, b: Any) -> Any:
    return a if cond else b


def initial(spec: Plateau) -> PlateauValues:
    """The state before the first metric (torch's ``_reset``; ``lr`` = the spec's)."""
    return PlateauValues(lr=spec.lr, best=spec.worst, num_bad_epochs=0, cooldown_counter=0, last_epoch=0)


def step(
    spec: Plateau, state: PlateauValues, metric: Any, where: Callable[[Any, Any, Any], Any] = _where,
    maximum: Callable[[Any, Any], Any] = max,
) -> PlateauValues:
    """The state after one metric (torch's ``step(metric)``), branch-free.

    Args:
        spec: the parameters.
        state: the state before.
        metric: the metric (a float, or an array of the state's dtype).
        where: ``where(cond, a, b)`` (Python's conditional by default; ``jnp.where`` in JAX).
        maximum: ``max`` (``jnp.maximum`` in JAX).

    Returns:
        The new state.
    """
    better = spec.is_better(metric, state.best)
    best = where(better, metric, state.best)
    bad = where(better, 0, state.num_bad_epochs + 1)
    cooling = state.cooldown_counter > 0
    cooldown = where(cooling, state.cooldown_counter - 1, state.cooldown_counter)
    bad = where(cooling, 0, bad)
    reduce = bad > spec.patience
    new_lr = maximum(state.lr * spec.factor, spec.min_lr)
    lr = where(reduce & (state.lr - new_lr > spec.eps), new_lr, state.lr)
    return PlateauValues(lr=lr, best=best, num_bad_epochs=where(reduce, 0, bad),
                         cooldown_counter=where(reduce, spec.cooldown, cooldown), last_epoch=state.last_epoch + 1)


def plateau_lrs(spec: Plateau, metrics: Iterable[float]) -> list[float]:
    """The lr after each metric (host, float64): what torch's group lr is after each
    ``step(metric)`` of ``ReduceLROnPlateau`` built on an optimizer at ``spec.lr``."""
    state, out = initial(spec), []
    for m in metrics:
        state = step(spec, state, float(m))
        out.append(float(state.lr))
    return out
