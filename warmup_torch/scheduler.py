"""The catalogue as ``torch.optim.lr_scheduler.LRScheduler`` subclasses, in closed form.

:class:`ScheduleLR` drives an optimizer with any schedule (a spec, a config mapping or
a :class:`~warmup_torch.functional.Schedule`); one thin subclass per catalogue row
(:class:`WarmupCosineDecay`, :class:`OneCycle`, ...) takes the spec's parameters.

Conventions (``shared/design/schedules.md``, "Torch conventions"):

- the lr of the k-th ``optimizer.step()`` is ``f(k)``, with ``scheduler.step()`` called
  after ``optimizer.step()``; constructing the scheduler writes ``f(0)`` at once;
- the lr is absolute: with one param group it is ``f(k)`` whatever lr the optimizer was
  built with; with several, group ``g`` gets ``f(k) * initial_lr_g / defaults["lr"]``
  (the ratios are recorded once, at construction, as plain floats); or, given a list
  of schedules, one per group, group ``g`` gets ``f_g(k)`` itself;
- every lr is computed from ``last_epoch`` alone (no recursive update, no lambda), so
  the scheduler composes with ``SequentialLR`` and ``ChainedScheduler`` and resumes
  exactly from its ``state_dict``;
- a tensor lr (``SGD(params, lr=torch.tensor(0.1))``) is updated in place with
  ``fill_`` and nothing else is allocated per step, which keeps ``torch.compile`` from
  recompiling; ``get_last_lr()`` returns Python floats (the float64 values computed).
"""

from __future__ import annotations

import copy
import math
from typing import Any, Mapping, Sequence, Union

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler
from warmup_spec import specs as S
from warmup_spec.registry import spec_to_config

from warmup_spec.closed_form import Schedule, ScheduleLike, as_spec

__all__ = [
    "LegacyNoam",
    "Noam",
    "OneCycle",
    "ScheduleLR",
    "TriStage",
    "WarmupConstant",
    "WarmupCosineDecay",
    "WarmupCosineRestarts",
    "WarmupExponentialDecay",
    "WarmupInverseSqrt",
    "WarmupLinearDecay",
    "WarmupPolynomialDecay",
    "WarmupStableDecay",
    "scheduler_for",
]


def _config_or_none(spec: S.ScheduleSpec) -> dict[str, Any] | None:
    """The spec's config, or None when a base is a user function (it has none)."""
    try:
        return spec_to_config(spec)
    except ValueError:
        return None


def _group_ratios(optimizer: Optimizer) -> list[float]:
    """``initial_lr_g / defaults["lr"]`` per group; ``[1.0]`` for a single group."""
    groups = optimizer.param_groups
    if len(groups) == 1:
        return [1.0]
    default = optimizer.defaults.get("lr")
    try:
        d = float(default)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        d = math.nan
    if not (math.isfinite(d) and d > 0):
        raise ValueError(
            f"with {len(groups)} param groups each group's lr is f(k) * initial_lr_g / "
            f'optimizer.defaults["lr"], which needs defaults["lr"] > 0; got {default!r}'
        )
    return [float(g.get("initial_lr", g["lr"])) / d for g in groups]


def _write_lr(group: dict[str, Any], lr: float) -> None:
    """``group["lr"] = lr``, or ``fill_`` in place when the group's lr is a tensor."""
    current = group["lr"]
    if type(current) is not float and isinstance(current, Tensor):
        current.fill_(lr)
    else:
        group["lr"] = lr


def _describe(config: Any) -> str:
    if config is None:
        return "a schedule over a user function (no config)"
    if isinstance(config, list):
        return "one schedule per param group: [" + ", ".join(_describe(c) for c in config) + "]"
    return repr(dict(config))


PerGroup = Union[list, tuple]
"""A list (or tuple) of schedules, one per param group."""


def _per_group_schedules(optimizer: Optimizer, schedules: Sequence[Any]) -> list[Schedule]:
    """One :class:`Schedule` per param group (validated; a count mismatch is a ``ValueError``)."""
    n = len(optimizer.param_groups)
    if len(schedules) != n:
        raise ValueError(
            f"ScheduleLR: got {len(schedules)} schedules for {n} param groups; give one schedule "
            "per param group, or a single schedule for all of them"
        )
    return [f if isinstance(f, Schedule) else Schedule(f) for f in schedules]


class ScheduleLR(LRScheduler):
    """Sets each param group's lr to a schedule's value at ``last_epoch``, in closed form.

    Args:
        optimizer: the wrapped optimizer.
        schedule: a :mod:`warmup_spec` spec, a config mapping
            ``{"schedule": NAME, **params}`` or a :class:`~warmup_torch.functional.Schedule`;
            or a list of them, ONE PER PARAM GROUP: group ``g`` then gets ``f_g(k)``
            itself (absolute, no ratio), e.g. a longer warmup or another peak for the
            embeddings (the optax equivalent is ``optax.multi_transform`` with one
            schedule per label).
        last_epoch: the index of the last step taken; ``-1`` (default) to start.
            Resuming with ``last_epoch >= 0`` needs ``initial_lr`` in every group.

    Attributes:
        schedule: the :class:`~warmup_torch.functional.Schedule` being followed (``None``
            with one schedule per group).
        schedules: the schedule of each group (the same one repeated for a single schedule).
        ratios: each group's factor: ``initial_lr / defaults["lr"]`` for a single schedule
            (``[1.0]`` for one group), all ``1.0`` with one schedule per group.

    ``state_dict()`` holds only plain Python values: the schedule's config (a list of
    them with one per group; ``None`` when a combinator's base is a user function, like
    ``LambdaLR`` saves ``None`` for a function; such a schedule cannot be checked on
    load), the ratios, ``last_epoch``,
    ``_step_count``, ``_last_lr`` and ``base_lrs``. It loads with
    ``torch.load(weights_only=True)``. ``load_state_dict`` raises ``ValueError`` if the
    saved config differs from this scheduler's. As with every torch scheduler, restore
    the optimizer's state too: loading does not write lrs into the optimizer.

    Example:
        >>> import torch
        >>> from warmup_spec import WarmupLinearDecay as Spec
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=123.0)
        >>> sched = ScheduleLR(opt, Spec(1.0, warmup_steps=2, total_steps=4))
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(opt.param_groups[0]["lr"])
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, schedule: ScheduleLike | PerGroup, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self._config: dict[str, Any] | list[dict[str, Any] | None] | None
        if isinstance(schedule, (list, tuple)):
            self.schedule: Schedule | None = None
            self.schedules: list[Schedule] = _per_group_schedules(optimizer, schedule)
            self._config = [_config_or_none(f.spec) for f in self.schedules]
            self.ratios: list[float] = [1.0] * len(self.schedules)
        else:
            self.schedule = schedule if isinstance(schedule, Schedule) else Schedule(schedule)
            self._config = _config_or_none(self.schedule.spec)
            self.ratios = _group_ratios(optimizer)
            self.schedules = [self.schedule] * len(self.ratios)
        super().__init__(optimizer, last_epoch)

    @classmethod
    def _from_spec(cls, optimizer: Optimizer, spec: S.ScheduleSpec, last_epoch: int = -1) -> ScheduleLR:
        """Builds ``cls`` from an already validated spec (used by ``from_config``)."""
        obj = cls.__new__(cls)
        ScheduleLR.__init__(obj, optimizer, spec, last_epoch)
        return obj

    @property
    def spec(self) -> S.ScheduleSpec | list[S.ScheduleSpec]:
        """The frozen spec of the schedule (a list, one per group, with per-group schedules)."""
        if self.schedule is None:
            return [f.spec for f in self.schedules]
        return self.schedule.spec

    def lrs_at(self, step: int) -> list[float]:
        """The lr of every param group at ``step``: ``f(step) * ratio_g``, or ``f_g(step)``
        with one schedule per group."""
        if self.schedule is None:
            return [f(step) for f in self.schedules]
        f = self.schedule(step)
        ratios = self.ratios
        if len(ratios) == 1:  # the common case, without a comprehension's overhead
            return [f * ratios[0]]
        return [f * r for r in ratios]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The lrs at ``last_epoch`` (closed form; no recursion on the current lrs)."""
        return self.lrs_at(self.last_epoch)

    def _get_closed_form_lr(self) -> list[float]:
        return self.lrs_at(self.last_epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        # torch's version clones every tensor lr into _last_lr each step; here a tensor
        # lr is only fill_'ed in place and _last_lr keeps the computed floats.
        if epoch is None:
            self.last_epoch += 1
        else:
            self.last_epoch = epoch
        values = self.get_lr()
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise ValueError(
                f"{type(self).__name__}: the optimizer has {len(groups)} param groups but the "
                f"scheduler was built for {len(values)}; build a new scheduler after add_param_group"
            )
        if len(groups) == 1:  # the common case, without zip's overhead (~0.2 us a step)
            _write_lr(groups[0], values[0])
        else:
            for group, lr in zip(groups, values):
                _write_lr(group, lr)
        self._last_lr: list[float] = values  # type: ignore[assignment]

    def write_lrs(self) -> None:
        """Writes the lrs at ``last_epoch`` (the next update's) into the optimizer's groups."""
        self._update_lr(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain Python values (see the class docstring)."""
        return {
            "schedule": copy.deepcopy(self._config),  # never aliases the scheduler's own
            "ratios": list(self.ratios),
            "last_epoch": int(self.last_epoch),
            "_step_count": int(self._step_count),
            "_last_lr": [float(x) for x in self._last_lr],
            "base_lrs": [float(x) for x in self.base_lrs],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores a state from :meth:`state_dict`.

        Raises:
            ValueError: if the saved schedule's config differs from this scheduler's,
                the state is not from a ``ScheduleLR``, or the group counts differ.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or "schedule" not in state_dict:
            raise ValueError(
                f"{name}.load_state_dict: not a warmup_torch scheduler state (no 'schedule' key)"
            )
        saved = state_dict["schedule"]
        if saved != self._config:
            raise ValueError(
                f"{name}.load_state_dict: the saved state is for {_describe(saved)}, but this "
                f"scheduler runs {_describe(self._config)}; resume the saved one with "
                "warmup_torch.resume(optimizer, state)"
            )
        ratios = [float(r) for r in state_dict["ratios"]]
        if len(ratios) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {len(ratios)} param groups, "
                f"the optimizer has {len(self.optimizer.param_groups)}"
            )
        self.ratios = ratios
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict["_step_count"])
        self._last_lr = [float(x) for x in state_dict["_last_lr"]]
        self.base_lrs = [float(x) for x in state_dict["base_lrs"]]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r}, last_epoch={self.last_epoch})"


# --- one subclass per catalogue row ------------------------------------------------


class WarmupConstant(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_constant` (formula there)."""

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int = 0,
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupConstant(peak_value, warmup_steps, init_value=init_value, warmup_shape=warmup_shape)
        super().__init__(optimizer, spec, last_epoch)


class WarmupLinearDecay(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_linear_decay` (formula there).

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
        >>> sched = WarmupLinearDecay(opt, 1.0, warmup_steps=2, total_steps=4)
        >>> opt.param_groups[0]["lr"], sched.get_last_lr()
        (0.0, [0.0])
        >>> opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        total_steps: int,
        end_value: float = 0.0,
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupLinearDecay(
            peak_value, warmup_steps, total_steps, end_value, init_value=init_value, warmup_shape=warmup_shape
        )
        super().__init__(optimizer, spec, last_epoch)


class WarmupCosineDecay(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_cosine_decay` (formula there).

    Unlike torch ``CosineAnnealingLR``, it holds ``end_value`` past ``total_steps``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        total_steps: int,
        end_value: float = 0.0,
        exponent: float = 1.0,
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupCosineDecay(
            peak_value,
            warmup_steps,
            total_steps,
            end_value,
            exponent,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
        super().__init__(optimizer, spec, last_epoch)


class WarmupPolynomialDecay(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_polynomial_decay` (formula there)."""

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        total_steps: int,
        end_value: float = 0.0,
        power: float = 1.0,
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupPolynomialDecay(
            peak_value,
            warmup_steps,
            total_steps,
            end_value,
            power,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
        super().__init__(optimizer, spec, last_epoch)


class WarmupExponentialDecay(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_exponential_decay` (formula there)."""

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        transition_steps: int,
        decay_rate: float,
        staircase: bool = False,
        end_value: float | None = None,
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupExponentialDecay(
            peak_value,
            warmup_steps,
            transition_steps,
            decay_rate,
            staircase,
            end_value,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
        super().__init__(optimizer, spec, last_epoch)


class WarmupInverseSqrt(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_inverse_sqrt` (formula there)."""

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        timescale: float | None = None,
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupInverseSqrt(
            peak_value, warmup_steps, timescale, init_value=init_value, warmup_shape=warmup_shape
        )
        super().__init__(optimizer, spec, last_epoch)


class Noam(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.noam` (formula there)."""

    def __init__(
        self,
        optimizer: Optimizer,
        d_model: float,
        warmup_steps: int,
        scale: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        super().__init__(optimizer, S.Noam(d_model, warmup_steps, scale), last_epoch)


class LegacyNoam(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.legacy_noam` (formula there).

    Reproduces the copied snippet, bug included: the peak is ``max_lr * w**-0.25``
    near step ``w**0.75``. Prefer :class:`Noam` or :class:`WarmupInverseSqrt`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float,
        warmup_steps: int,
        last_epoch: int = -1,
    ) -> None:
        super().__init__(optimizer, S.LegacyNoam(max_lr, warmup_steps), last_epoch)


class WarmupStableDecay(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_stable_decay` (formula there)."""

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        stable_steps: int,
        decay_steps: int,
        end_value: float = 0.0,
        decay_shape: str = "linear",
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupStableDecay(
            peak_value,
            warmup_steps,
            stable_steps,
            decay_steps,
            end_value,
            decay_shape,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
        super().__init__(optimizer, spec, last_epoch)


class WarmupCosineRestarts(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.warmup_cosine_restarts` (formula there).

    With ``warmup_steps=0`` it follows torch ``CosineAnnealingWarmRestarts(T_0=cycle_steps,
    T_mult=cycle_mul, eta_min=end_value)`` with ``peak_value`` as the base lr.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        cycle_steps: int,
        cycle_mul: float = 1.0,
        cycle_decay: float = 1.0,
        cycle_limit: int | None = None,
        end_value: float = 0.0,
        *,
        init_value: float = 0.0,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.WarmupCosineRestarts(
            peak_value,
            warmup_steps,
            cycle_steps,
            cycle_mul,
            cycle_decay,
            cycle_limit,
            end_value,
            init_value=init_value,
            warmup_shape=warmup_shape,
        )
        super().__init__(optimizer, spec, last_epoch)


class OneCycle(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.one_cycle` (formula there).

    Equal to torch ``OneCycleLR(optimizer, max_lr=max_value, total_steps=total_steps,
    pct_start=..., div_factor=..., final_div_factor=..., anneal_strategy=anneal,
    cycle_momentum=False)`` for one param group, but holds its final value instead of
    raising past the end. It does not cycle momentum.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_steps: int,
        max_value: float,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        anneal: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        spec = S.OneCycle(total_steps, max_value, pct_start, div_factor, final_div_factor, anneal)
        super().__init__(optimizer, spec, last_epoch)


class TriStage(ScheduleLR):
    """Scheduler for :func:`warmup_torch.functional.tri_stage` (formula there)."""

    def __init__(
        self,
        optimizer: Optimizer,
        peak_value: float,
        warmup_steps: int,
        hold_steps: int,
        decay_steps: int,
        init_scale: float = 0.01,
        final_scale: float = 0.01,
        *,
        warmup_shape: str = "linear",
        last_epoch: int = -1,
    ) -> None:
        spec = S.TriStage(
            peak_value, warmup_steps, hold_steps, decay_steps, init_scale, final_scale, warmup_shape=warmup_shape
        )
        super().__init__(optimizer, spec, last_epoch)


SCHEDULERS: dict[type[S.ScheduleSpec], type[ScheduleLR]] = {
    S.WarmupConstant: WarmupConstant,
    S.WarmupLinearDecay: WarmupLinearDecay,
    S.WarmupCosineDecay: WarmupCosineDecay,
    S.WarmupPolynomialDecay: WarmupPolynomialDecay,
    S.WarmupExponentialDecay: WarmupExponentialDecay,
    S.WarmupInverseSqrt: WarmupInverseSqrt,
    S.Noam: Noam,
    S.LegacyNoam: LegacyNoam,
    S.WarmupStableDecay: WarmupStableDecay,
    S.WarmupCosineRestarts: WarmupCosineRestarts,
    S.OneCycle: OneCycle,
    S.TriStage: TriStage,
}
"""Catalogue spec class -> its scheduler class (combinators use :class:`ScheduleLR`)."""


def scheduler_for(optimizer: Optimizer, schedule: ScheduleLike | PerGroup, last_epoch: int = -1) -> ScheduleLR:
    """The scheduler of ``schedule``: its catalogue class, or :class:`ScheduleLR` for a
    combinator or a list of schedules (one per param group)."""
    if isinstance(schedule, (list, tuple)):
        return ScheduleLR(optimizer, [as_spec(f) for f in schedule], last_epoch)
    spec = as_spec(schedule)
    cls = SCHEDULERS.get(type(spec), ScheduleLR)
    return cls._from_spec(optimizer, spec, last_epoch)
