"""``ScheduleLR``: any schedule as a ``torch.optim.lr_scheduler.LRScheduler``, in closed form.

One scheduler class drives an optimizer with any schedule (a spec, a config mapping or a
:class:`~warmup_spec.Schedule`); the per-schedule front ends (``warmup_torch.schedulers``,
``schedulers.warmup_cosine_decay(optimizer, ...)``) build it from the schedule's own parameters.

Conventions:

- the lr of the k-th ``optimizer.step()`` is ``f(k)``, with ``scheduler.step()`` called
  after ``optimizer.step()``; constructing the scheduler writes ``f(0)`` at once;
- the lr is absolute, scaled by each param group's ratio to the optimizer's default lr:
  group ``g`` gets ``f(k) * initial_lr_g / optimizer.defaults["lr"]``. A group at the
  default lr (one that does not set its own) has ratio exactly 1 and gets ``f(k)`` itself,
  whether it is the only group or one of several, whatever the default (0 included):
  adding a group never changes another group's lr. A group built with ``lr=0.1 * default``
  gets a tenth of the schedule. Given a list of schedules, one per group, group ``g`` gets
  ``f_g(k)`` itself;
- every lr is computed from ``last_epoch`` alone (no recursive update, no lambda), so the
  scheduler composes with ``SequentialLR`` and resumes exactly from its ``state_dict``;
- it keeps torch's scheduler contract: ``step``, ``get_lr``, ``state_dict`` and
  ``load_state_dict`` are overridden, and the checks of torch's ``LRScheduler.step``
  are torch's own (the step-order warning, the warning when ``optimizer.step`` is
  replaced after the scheduler is built, the ``step(epoch)`` deprecation, each with
  torch's exact text, read from the optimizer step torch's constructor wraps); a
  scheduler pickles and ``torch.save``-s whole, and a ``state_dict`` round trip restores
  every attribute but the optimizer;
- a tensor lr (``SGD(params, lr=torch.tensor(0.1))``) is updated in place with ``fill_``
  and nothing else is allocated per step, which keeps ``torch.compile`` from recompiling;
  ``get_last_lr()`` returns Python floats (the float64 values computed);
- beside the lr it writes the hyperparameters the schedule drives (torch's ``OneCycleLR``
  and ``CyclicLR`` cycle the momentum / ``beta1`` by default, and so do their ports and
  ``one_cycle``) and those given as ``hyper`` (a weight-decay ramp, ...), at the same step
  (:mod:`warmup_torch.hyper`).
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler

from warmup_spec.definition import ScheduleSpec
from warmup_spec.hyper import hyper_config, hyper_spec, momentum_of
from warmup_spec.registry import spec_of, spec_to_config
from warmup_spec.schedule import Schedule
from warmup_torch.hyper import HyperWriter, describe

__all__ = ["ScheduleLR", "group_ratios"]

ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
"""torch's own text (``LRScheduler.step``), so a user sees the warning they know."""
OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
"""torch's own text too: ``optimizer.step`` was replaced after the scheduler wrapped it."""


def _config_or_none(spec: ScheduleSpec) -> dict[str, Any] | None:
    """The spec's config, or None when a base is a user function (it has none)."""
    try:
        return spec_to_config(spec)
    except ValueError:
        return None


def _as_written_now(saved: Any) -> Any:
    """A saved config as this release writes it (an old spelling, one_cycle's ``"cos"``,
    becomes today's), or the config itself if it is no valid one."""
    try:
        if isinstance(saved, list):
            return [None if c is None else spec_to_config(spec_of(c)) for c in saved]
        return spec_to_config(spec_of(saved))
    except ValueError:
        return saved


def group_ratios(optimizer: Optimizer) -> list[float]:
    """``initial_lr_g / optimizer.defaults["lr"]`` for every param group: exactly 1.0 for a
    group at the default lr (whatever it is, 0 included), so only a group with its own lr
    needs a default > 0."""
    default = optimizer.defaults.get("lr")
    ratios: list[float | None] = []
    for g in optimizer.param_groups:
        initial = g.get("initial_lr", g["lr"])
        # torch shares a tensor default with the groups that do not set their own lr, and a
        # scheduler fills that tensor in place: such a group is at the default by identity
        at_default = g["lr"] is default if isinstance(default, Tensor) else _value(initial) == _value(default)
        ratios.append(1.0 if at_default else None)
    if all(r is not None for r in ratios):
        return [1.0] * len(ratios)
    for g in optimizer.param_groups:  # the default's own value: from a group sharing its tensor
        if isinstance(default, Tensor) and g["lr"] is default:
            default = g.get("initial_lr", default)
            break
    d = _value(default)
    if not (math.isfinite(d) and d > 0):
        raise ValueError(
            'ScheduleLR: a group with its own lr gets f(k) * initial_lr_g / optimizer.defaults["lr"], which needs '
            f'defaults["lr"] > 0; got {optimizer.defaults.get("lr")!r} (build the optimizer with lr=... > 0)'
        )
    return [r if r is not None else _value(g.get("initial_lr", g["lr"])) / d
            for r, g in zip(ratios, optimizer.param_groups)]


def _value(lr: Any) -> float:
    try:
        return float(lr)
    except (TypeError, ValueError):
        return math.nan


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


def _per_group_schedules(optimizer: Optimizer, schedules: Sequence[Any]) -> list[Schedule]:
    """One :class:`Schedule` per param group (validated; a count mismatch is a ``ValueError``)."""
    n = len(optimizer.param_groups)
    if len(schedules) != n:
        raise ValueError(
            f"ScheduleLR: got {len(schedules)} schedules for {n} param groups; give one schedule "
            "per param group, or a single schedule for all of them"
        )
    return [f if isinstance(f, Schedule) else Schedule(f) for f in schedules]


def _hyper_writer(
    optimizer: Optimizer, schedules: Sequence[Schedule], hyper: Mapping[str, Any] | None, fresh: bool
) -> tuple[dict[str, Any] | None, HyperWriter | None]:
    """The configs of the given hyperparameter schedules (``None`` without), and the writer of
    every group's hyperparameters (``None`` when nothing is scheduled)."""
    given: dict[str, ScheduleSpec] = {}
    if hyper is not None:
        if not isinstance(hyper, Mapping):
            raise ValueError(f"ScheduleLR: hyper={hyper!r} is invalid; expected a mapping {{name: schedule}}")
        given = {str(k): hyper_spec(f"ScheduleLR: hyper[{k!r}]", v) for k, v in hyper.items()}
    per_group: list[dict[str, Schedule]] = []
    for f in schedules:
        implied = momentum_of(f.spec)
        if implied is not None and "momentum" in given:
            raise ValueError(
                f"ScheduleLR: hyper['momentum'] is invalid with {f.spec.schedule}, which cycles the momentum "
                "itself (cycle_momentum=True); expected one of them"
            )
        group = {k: Schedule(v) for k, v in given.items()}
        if implied is not None:
            group["momentum"] = Schedule(implied)
        per_group.append(group)
    config = {k: hyper_config(v) for k, v in given.items()} or None
    if not any(per_group):
        return config, None
    cycling = next((f.spec.schedule for f in schedules if momentum_of(f.spec) is not None), None)
    return config, HyperWriter(optimizer, per_group, owner=cycling or "ScheduleLR", fresh=fresh,
                               cycled=cycling is not None)


class ScheduleLR(LRScheduler):
    """Sets each param group's lr to a schedule's value at ``last_epoch``, in closed form.

    Args:
        optimizer: the wrapped optimizer.
        schedule: a spec, a config (mapping, JSON string or ``.json``/``.toml`` path) or a
            :class:`~warmup_spec.Schedule`; or a list of them, ONE PER PARAM GROUP: group
            ``g`` then gets ``f_g(k)`` itself (no ratio), e.g. a longer warmup or another
            peak for the embeddings (the optax equivalent is ``optax.multi_transform``
            with one schedule per label).
        last_epoch: the index of the last step taken; ``-1`` (default) to start.
            Resuming with ``last_epoch >= 0`` needs ``initial_lr`` in every group.
        hyper: hyperparameter schedules written beside the lr, ``{"momentum": ...,
            "weight_decay": ...}``, each a ramp mapping ``{"start", "end", "steps", "style"}``
            (Megatron's ``get_wd``), a schedule config or a spec (keyword-only). A weight
            decay is multiplied by each group's ratio to ``defaults["weight_decay"]``; the
            momentum goes to ``betas[0]`` for an optimizer with betas. A schedule that
            cycles the momentum itself (``cycle_momentum=True``) takes no ``"momentum"``.

    Attributes:
        schedule: the :class:`~warmup_spec.Schedule` being followed (``None`` with one
            schedule per group).
        schedules: the schedule of each group (the same one repeated for a single schedule).
        ratios: each group's factor: ``initial_lr_g / defaults["lr"]`` for a single
            schedule, all ``1.0`` with one schedule per group.

    ``state_dict()`` holds only plain Python values: the schedule's config (a list of
    them with one per group; ``None`` when a combinator's base is a user function, like
    ``LambdaLR`` saves ``None`` for a function; such a schedule cannot be checked on
    load), the ratios, ``last_epoch``, ``_step_count``, ``_last_lr`` and ``base_lrs``, and
    with ``hyper`` its configs and the weight-decay ratios (``"hyper"``,
    ``"hyper_ratios"``; a momentum the schedule cycles is part of its config). It
    loads with ``torch.load(weights_only=True)``. ``load_state_dict`` raises ``ValueError``
    if the saved config differs from this scheduler's. As with every torch scheduler,
    restore the optimizer's state too: loading does not write lrs into the optimizer
    (:func:`warmup_torch.resume` does both, in either order).

    Example:
        >>> import torch
        >>> from warmup_spec import WarmupLinearDecay
        >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=123.0)
        >>> sched = ScheduleLR(opt, WarmupLinearDecay(1.0, warmup_steps=2, total_steps=4))
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(opt.param_groups[0]["lr"])
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    last_epoch: int
    _step_count: int
    _last_lr: list[float]

    def __init__(
        self, optimizer: Optimizer, schedule: Any, *, last_epoch: int = -1, hyper: Mapping[str, Any] | None = None
    ) -> None:
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
            self.ratios = group_ratios(optimizer)
            self.schedules = [self.schedule] * len(self.ratios)
        self._hyper_config, self._hyper = _hyper_writer(optimizer, self.schedules, hyper, last_epoch == -1)
        super().__init__(optimizer, last_epoch)

    @property
    def spec(self) -> ScheduleSpec | list[ScheduleSpec]:
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

    def get_lr(self) -> list[float]:
        """The lrs at ``last_epoch`` (closed form; no recursion on the current lrs)."""
        return self.lrs_at(self.last_epoch)

    def step(self, epoch: int | None = None) -> None:
        """Moves to the next step (or to ``epoch``, deprecated as in torch) and writes its lrs.

        Call it after ``optimizer.step()``; called first, or with an ``optimizer.step``
        replaced after the scheduler was built, or with ``epoch``, it warns as torch's
        ``LRScheduler.step`` does, with torch's own text.
        """
        if self._step_count == 1:
            self._check_order()
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
        self.write_lrs()

    def _check_order(self) -> None:
        """torch's check, on the marks its constructor's wrapper of ``optimizer.step`` leaves."""
        if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
            warnings.warn(OVERRIDDEN_WARNING, UserWarning, stacklevel=3)
        elif not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(ORDER_WARNING, UserWarning, stacklevel=3)

    def _update_lr(self, epoch: int | None = None) -> None:
        """torch's internal step (``SequentialLR`` calls ``_update_lr(0)`` at a milestone to
        restart a child): the lrs and the scheduled hyperparameters at that step, as
        :meth:`step` writes them (torch's own writes the lrs alone)."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        self.write_lrs()

    def write_lrs(self) -> None:
        """Writes the lrs at ``last_epoch`` (the next update's) into the optimizer's groups."""
        groups = self.optimizer.param_groups
        schedule = self.schedule
        if schedule is not None and len(groups) == 1 == len(self.ratios):  # the common case, inline
            lr = schedule(self.last_epoch) * self.ratios[0]
            _write_lr(groups[0], lr)
            self._last_lr = [lr]
            if self._hyper is not None:
                self._hyper.write(self.last_epoch)
            return
        values = self.lrs_at(self.last_epoch)
        if len(values) != len(groups):
            raise ValueError(
                f"{type(self).__name__}: the optimizer has {len(groups)} param groups but the "
                f"scheduler was built for {len(values)}; build a new scheduler after add_param_group"
            )
        for group, lr in zip(groups, values):
            _write_lr(group, lr)
        self._last_lr = values
        if self._hyper is not None:
            self._hyper.write(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain Python values (see the class docstring)."""
        state = {
            "schedule": copy.deepcopy(self._config),  # never aliases the scheduler's own
            "ratios": list(self.ratios),
            "last_epoch": int(self.last_epoch),
            "_step_count": int(self._step_count),
            "_last_lr": [float(x) for x in self._last_lr],
            "base_lrs": [float(x) for x in self.base_lrs],
        }
        if self._hyper_config is not None:
            state["hyper"] = copy.deepcopy(self._hyper_config)
            state["hyper_ratios"] = list(self._hyper.weight_decay_ratios) if self._hyper is not None else []
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restores a state from :meth:`state_dict`.

        Raises:
            ValueError: if the saved schedule's config differs from this scheduler's,
                the state is not from a ``ScheduleLR``, or the group counts differ.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or "schedule" not in state_dict:
            raise ValueError(f"{name}.load_state_dict: not a warmup_torch scheduler state (no 'schedule' key)")
        saved = state_dict["schedule"]
        if saved != self._config and _as_written_now(saved) != self._config:
            raise ValueError(
                f"{name}.load_state_dict: the saved state is for {_describe(saved)}, but this "
                f"scheduler runs {_describe(self._config)}; resume the saved one with "
                "warmup_torch.resume(optimizer, state)"
            )
        if state_dict.get("hyper") != self._hyper_config:
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {describe(state_dict.get('hyper'))}, but this "
                f"scheduler has {describe(self._hyper_config)}; build it with the saved hyper"
            )
        ratios = [float(r) for r in state_dict["ratios"]]
        if len(ratios) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {len(ratios)} param groups, "
                f"the optimizer has {len(self.optimizer.param_groups)}"
            )
        self.ratios = ratios
        if self._hyper is not None and "hyper_ratios" in state_dict:
            self._hyper.set_ratios(state_dict["hyper_ratios"])
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict["_step_count"])
        self._last_lr = [float(x) for x in state_dict["_last_lr"]]
        self.base_lrs = [float(x) for x in state_dict["base_lrs"]]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r}, last_epoch={self.last_epoch})"

