"""Matched optimizer pairs: one description builds an Optax transformation and a torch optimizer
that give the same parameters, step for step, under one of our schedules.

A pair is a name plus hyperparameters, e.g. ``{"name": "adamw", "weight_decay": 0.1}``.
Every hyperparameter has an explicit default, torch's own wherever torch has a meaningful
one (so AdamW's weight decay is 1e-2 as in torch, not optax's 1e-4; RMSprop's ``alpha`` is
0.99 with ``eps`` outside the square root; Adagrad starts its accumulator at 0). The learning
rate is never a hyperparameter: it is the schedule, ``warmup_jax.schedule_from_config(cfg)`` on the
Optax side and ``warmup_torch.scheduler_from_config(optimizer, cfg)`` on the torch side.

Each pair is ONE record, a :class:`Pair` in :data:`PAIRS`: its defaults and ranges, its
momentum key, the builders of both sides, the state fields that resume maps, and its rows of
the mapping table (:data:`MAPPING`, rendered by :func:`mapping_table_markdown` into
``docs/optimizers.md``). Adding a pair is adding a record. The Optax compositions are the
measured ones of ``docs/traps.md``; where optax's own builder computes another rule than
torch (NAdam, RAdam) the twin is in :mod:`warmup_parity.optax_twins`. A torch optimizer
without a record (``ASGD``, ``LBFGS``, ...) is refused by name (:func:`pair_of`).
Two configurations have no exact Optax counterpart (``adagrad`` with ``eps != 0`` and the
Adam family with ``amsgrad=True`` and ``eps != 0``); they raise ``ValueError`` unless built with
``approximate=True``, and such a spec reports ``spec.exact == False``.

Scheduled hyperparameters (``docs/hyperparameters.md``): ``momentum``, ``b1`` and
``weight_decay`` may be schedules instead of numbers (a ramp ``{"start", "end", "steps",
"style"}``, Megatron's ``get_wd``, or any schedule config), and an lr schedule that cycles
the momentum (torch's ``OneCycleLR`` and ``CyclicLR`` by default, ``one_cycle``) drives the
momentum of the SGD and RMSprop pairs and ``b1`` of the Adam pairs, as torch's scheduler
does. Both sides then use the value of update ``k`` at update ``k``: torch's scheduler
writes it into the param groups, the Optax side computes it from the update count
(:func:`warmup_jax.hyper.with_schedules`).

Example:
    >>> spec = optimizer_from_config({"name": "adamw", "weight_decay": 0.1})
    >>> spec["b2"], spec["weight_decay"], spec.exact
    (0.999, 0.1, True)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec, Specified
from warmup_spec.hyper import bounds, hyper_config, hyper_spec, momentum_of
from warmup_spec.registry import spec_of
from warmup_spec.schedule import Schedule

if TYPE_CHECKING:  # the frameworks are imported where a transformation is built
    import optax
    import torch

Hyper = float | bool | ScheduleSpec
"""A hyperparameter value: a float, a bool for switches (``nesterov``, ``amsgrad``), or the
schedule of a scheduled one (``momentum``, ``b1``, ``weight_decay``)."""

Range = tuple[float, float, bool, bool]
"""A float's valid interval: ``(lowest, highest, lowest allowed, highest allowed)``."""
_UNIT: Range = (0.0, 1.0, True, False)
_NONNEG: Range = (0.0, math.inf, True, False)

_Builder = Callable[[str, Mapping[str, Any], Any, Any], "optax.GradientTransformation"]
"""The Optax side of a pair: ``(pair name, hyperparameters, lr schedule, dtype) -> transformation``."""
_Factory = Callable[[str, Iterable[Any], Mapping[str, Any]], "torch.optim.Optimizer"]
"""The torch side of a pair: ``(pair name, params, hyperparameters) -> optimizer`` with ``lr=1.0``."""


@dataclass(frozen=True)
class MappingRow:
    """One row of the mapping table (``docs/optimizers.md``)."""

    name: str
    torch: str
    optax: str
    defaults: str
    exact: str
    notes: str


@dataclass(frozen=True)
class Pair:
    """One optimizer pair: everything this package knows about it, in one record.

    Attributes:
        name: the pair's name in configs (``{"name": "adamw", ...}``).
        torch_class: its torch optimizer's class name in ``torch.optim``.
        defaults: every hyperparameter and its default, in table order; a ``bool`` default
            makes the key a switch.
        ranges: the valid interval of every float hyperparameter.
        optax: builds the Optax side.
        torch: builds the torch side (``lr=1.0``: the scheduler sets the lr).
        fields: Optax per-parameter state field -> torch per-parameter state key (resume).
        rows: the pair's rows of the mapping table.
        momentum_key: the hyperparameter an lr schedule's cycled momentum drives (``b1`` where
            torch has ``betas``, ``momentum``), or ``None``.
        buffer: torch keeps a momentum buffer only while the momentum is not 0.
        counted: torch's per-parameter state holds a ``step``.
        scalars: Optax scalar state field -> torch per-parameter scalar state key (resume).
        check: raises ``ValueError`` for a combination of valid values that torch or the pair refuses.
        inexact: why a configuration has no exact Optax counterpart (empty when it has).
    """

    name: str
    torch_class: str
    defaults: Mapping[str, Hyper]
    ranges: Mapping[str, Range]
    optax: _Builder
    torch: _Factory
    fields: Mapping[str, str]
    rows: tuple[MappingRow, ...]
    momentum_key: str | None = None
    buffer: bool = False
    counted: bool = True
    scalars: Mapping[str, str] = field(default_factory=dict)
    check: Callable[[str, Mapping[str, Hyper]], None] | None = None
    inexact: Callable[[str, Mapping[str, Hyper]], tuple[str, ...]] | None = None


_CONFIG_KEYS = frozenset({"name", "approximate"})
SCHEDULABLE = frozenset({"momentum", "b1", "weight_decay"})
"""The hyperparameters that may be schedules (a ramp mapping or a schedule config)."""


# --------------------------------------------------------------------------- spec


def pair(name: str) -> Pair:
    """The record of pair ``name``.

    Raises:
        ValueError: an unknown name, listing the valid ones.

    Example:
        >>> pair("radam").torch_class
        'RAdam'
    """
    if name not in PAIRS:
        raise ValueError(f"unknown optimizer pair {name!r}; valid names: {', '.join(sorted(PAIRS))}")
    return PAIRS[name]


def pair_of(optimizer: Any) -> Pair:
    """The record of a torch optimizer's pair: the pair's name that :func:`torch_optimizer` saves
    in each param group (``"optimizer_pair"``), else the pair of its class (pairs that share a
    class share their state fields).

    Args:
        optimizer: a ``torch.optim.Optimizer``, or its ``state_dict()``.

    Raises:
        ValueError: an optimizer without an Optax twin (``ASGD``, ``LBFGS``, ...), naming it and
            the supported classes; a state dict that does not name its pair.
    """
    groups = optimizer["param_groups"] if isinstance(optimizer, Mapping) else optimizer.param_groups
    name = groups[0].get("optimizer_pair") if groups else None
    if name is not None:
        return pair(name)
    supported = ", ".join(dict.fromkeys(p.torch_class for p in PAIRS.values()))
    if isinstance(optimizer, Mapping):
        raise ValueError("the optimizer state does not name its pair (warmup_parity.optimizers.torch_optimizer "
                         f"saves it as 'optimizer_pair' in each param group); pass pair= (one of "
                         f"{', '.join(PAIRS)})")
    cls = type(optimizer).__name__
    for p in PAIRS.values():
        if p.torch_class == cls:
            return p
    raise ValueError(f"torch.optim.{cls} has no Optax twin in warmup_parity.optimizers; supported: {supported}")


def _check_value(record: Pair, key: str, value: Any) -> Hyper:
    """Validates one hyperparameter and returns it as a ``float`` (``bool`` for a switch, the
    spec of a scheduled one)."""
    name = record.name
    if key in SCHEDULABLE and isinstance(value, (Mapping, ScheduleSpec, Specified)):
        return _check_schedule(record, key, value)
    if isinstance(record.defaults[key], bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name}: {key} must be a bool, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name}: {key} must be a number, got {value!r}")
    x = float(value)
    lo, hi, lo_ok, hi_ok = record.ranges[key]
    if not (math.isfinite(x) and (lo < x or (lo_ok and x == lo)) and (x < hi or (hi_ok and x == hi))):
        interval = f"{'[' if lo_ok else '('}{lo:g}, {hi:g}{']' if hi_ok else ')'}"
        raise ValueError(f"{name}: {key} must be in {interval}, got {value!r}")
    return x


def _check_schedule(record: Pair, key: str, value: Any) -> ScheduleSpec:
    """A scheduled hyperparameter: its spec, with the ends of a ramp in the key's range."""
    spec = hyper_spec(f"{record.name}: {key}", value)
    ends = bounds(spec)
    lo, hi, _, hi_ok = record.ranges[key]
    if ends is not None and not (ends[0] >= lo and (ends[1] < hi or (hi_ok and ends[1] == hi))):
        raise c.fail(record.name, key, hyper_config(spec),
                     f"a schedule within [{lo:g}, {hi:g}{']' if hi_ok else ')'}")
    return spec


def _resolve(name: str, given: Mapping[str, Any]) -> dict[str, Hyper]:
    """The complete hyperparameters of pair ``name``: the defaults updated with ``given``."""
    record = pair(name)
    valid = record.defaults
    unknown = sorted(set(given) - set(valid))
    if unknown:
        is_lr = bool({"lr", "learning_rate"} & set(unknown))
        hint = " (the learning rate is the schedule, not a hyperparameter)" if is_lr else ""
        raise ValueError(
            f"{name}: unknown hyperparameter(s) {', '.join(map(repr, unknown))}{hint}; "
            f"valid: {', '.join(valid) if valid else '(none)'}"
        )
    hp = {key: _check_value(record, key, given.get(key, default)) for key, default in valid.items()}
    if record.check is not None:
        record.check(name, hp)
    return hp


def inexact_reasons(name: str, hyperparams: Mapping[str, Hyper]) -> tuple[str, ...]:
    """Why pair ``name`` with these (complete) hyperparameters has no exact Optax counterpart.

    Args:
        name: a pair name.
        hyperparams: its complete hyperparameters (defaults filled in).

    Returns:
        One sentence per mismatch; empty when the pair is exact.
    """
    record = pair(name)
    return () if record.inexact is None else record.inexact(name, hyperparams)


@dataclass(frozen=True)
class OptimizerSpec:
    """One matched optimizer pair: a pair name and its complete hyperparameters.

    Construction fills in the defaults of its :class:`Pair` record and validates everything;
    ``OptimizerSpec("adamw", {"weight_decay": 0.1})`` works, and the stored
    ``hyperparams`` is the complete, ordered tuple of ``(key, value)`` pairs.

    Attributes:
        name: one of :data:`PAIR_NAMES`.
        hyperparams: given as a mapping (missing keys take their defaults); stored as a tuple.
        approximate: allow a configuration without an exact Optax counterpart (see
            :func:`inexact_reasons`); without it such a configuration raises ``ValueError``.
            After construction it is True only when the mapping really is approximate
            (an exact configuration stores False), so it is the flag a runner reports.

    Raises:
        ValueError: unknown name or key (listing the valid ones), a value out of range, or
            an inexact configuration without ``approximate=True``.
    """

    name: str
    hyperparams: Any = ()
    approximate: bool = False
    _values: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.approximate, bool):
            raise ValueError(f"approximate must be a bool, got {self.approximate!r}")
        given = dict(self.hyperparams)
        hp = _resolve(self.name, given)
        reasons = inexact_reasons(self.name, hp)
        if reasons and not self.approximate:
            raise ValueError("no exact optax/torch match: " + "; ".join(reasons) + ". Pass approximate=True "
                             "to build the closest mapping anyway")
        object.__setattr__(self, "hyperparams", tuple(hp.items()))
        object.__setattr__(self, "approximate", bool(reasons))
        object.__setattr__(self, "_values", hp)

    def __getitem__(self, key: str) -> Hyper:
        return self._values[key]

    @property
    def params(self) -> dict[str, Hyper]:
        """The hyperparameters as a new dict (every key, defaults filled in)."""
        return dict(self._values)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the pair is inexact (empty when it is exact)."""
        return inexact_reasons(self.name, self._values)

    @property
    def exact(self) -> bool:
        """Whether the Optax and torch sides match exactly (up to floating-point rounding)."""
        return not self.reasons

    def describe(self) -> dict[str, Any]:
        """The resolved pair for a report: name, every hyperparameter, exactness and reasons."""
        return {"name": self.name, **self._plain(), "exact": self.exact, "reasons": list(self.reasons)}

    def scheduled(self) -> dict[str, ScheduleSpec]:
        """The hyperparameters given as schedules: ``{key: spec}``."""
        return {k: v for k, v in self._values.items() if isinstance(v, ScheduleSpec)}

    def _plain(self) -> dict[str, Any]:
        """The hyperparameters with each schedule as its config (JSON-serialisable)."""
        return {k: hyper_config(v) if isinstance(v, ScheduleSpec) else v for k, v in self._values.items()}

    def to_config(self) -> dict[str, Any]:
        """The config mapping that rebuilds this spec (every hyperparameter spelled out)."""
        cfg: dict[str, Any] = {"name": self.name, **self._plain()}
        if self.approximate:
            cfg["approximate"] = True
        return cfg


def optimizer_from_config(cfg: Mapping[str, Any], *, approximate: bool = False) -> OptimizerSpec:
    """Builds the spec a config mapping describes.

    Args:
        cfg: ``{"name": PAIR, **hyperparameters}``, optionally with ``"approximate": True``.
        approximate: allow an inexact configuration (as the ``"approximate"`` key does).

    Returns:
        The validated :class:`OptimizerSpec`, defaults filled in.

    Raises:
        ValueError: no ``name``, an unknown name or key (listing the valid ones), a bad value,
            or an inexact configuration without ``approximate``.

    Example:
        >>> optimizer_from_config({"name": "rmsprop"}).params
        {'alpha': 0.99, 'eps': 1e-08}
    """
    if not isinstance(cfg, Mapping) or "name" not in cfg:
        raise ValueError(
            f"an optimizer config is a mapping with a 'name' (one of {', '.join(PAIR_NAMES)}); got {cfg!r}"
        )
    hyper = {k: v for k, v in cfg.items() if k not in _CONFIG_KEYS}
    allow = bool(cfg.get("approximate", False)) or approximate
    return OptimizerSpec(str(cfg["name"]), hyper, approximate=allow)


SpecLike = OptimizerSpec | Mapping[str, Any]


def _as_spec(spec: SpecLike) -> OptimizerSpec:
    return spec if isinstance(spec, OptimizerSpec) else optimizer_from_config(spec)


# --------------------------------------------------------------------------- scheduled hyperparameters


def scheduled_hyperparams(spec: SpecLike, schedule: Any = None) -> dict[str, ScheduleSpec]:
    """The pair's hyperparameters that follow a schedule, by the pair's keys.

    Those given as schedules in the pair's config, and the momentum / ``b1`` that the lr
    schedule drives (torch's ``OneCycleLR`` and ``CyclicLR`` with ``cycle_momentum=True``,
    ``one_cycle``; DeepSpeed's ``OneCycle`` drives ``b1`` alone, as it leaves a momentum
    without betas, and writes ``b2 = 0.99`` beside it). Both sides of a pair read this, so
    they refuse the same configurations with the same text.

    Args:
        spec: an :class:`OptimizerSpec` or its config.
        schedule: the lr schedule: a config, a spec, an Optax schedule of ``warmup_jax``
            (which carries its spec) or ``None``.

    Returns:
        ``{"momentum" | "b1" | "weight_decay": spec}`` (empty when nothing is scheduled).

    Raises:
        ValueError: the lr schedule cycles the momentum of a pair without one (``adagrad``:
            torch's ``OneCycleLR`` refuses Adagrad), or of a pair that also schedules it, or
            DeepSpeed's ``OneCycle`` with a ``b2`` other than the 0.99 it writes, or
            a momentum that reaches 0 for the SGD and RMSprop pairs (torch then skips and
            later restarts its momentum buffer, which no Optax trace does).

    Example:
        >>> cfg = {"schedule": "one_cycle", "total_steps": 100, "peak_value": 0.1}
        >>> sorted(scheduled_hyperparams({"name": "adamw"}, cfg))
        ['b1']
    """
    spec = _as_spec(spec)
    out = spec.scheduled()
    implied = momentum_of(spec_of(schedule) if isinstance(schedule, Mapping) else schedule)
    lr_spec = implied.lr_schedule if implied is not None else None
    if implied is not None and getattr(lr_spec, "cycled_betas_only", False) and pair(spec.name).momentum_key != "b1":
        implied = None  # DeepSpeed's OneCycle cycles betas[0] alone: it leaves SGD's and RMSprop's momentum
    if implied is not None:
        key = pair(spec.name).momentum_key
        who = implied.lr_schedule.schedule
        beta2 = getattr(lr_spec, "cycled_beta2", None)
        if beta2 is not None and spec["b2"] != beta2:
            raise c.fail(spec.name, "b2", spec["b2"], f"{beta2} with {who}, which writes betas = (momentum, {beta2}) "
                         "at every step (cycle_momentum=True)")
        if key is None:
            raise c.fail(who, "cycle_momentum", True,
                         f"False with optimizer pair {spec.name!r} (it has no momentum or b1; torch's "
                         "OneCycleLR and CyclicLR refuse such an optimizer)")
        if key in out:
            raise c.fail(spec.name, key, hyper_config(out[key]),
                         f"a number: {who} cycles the {key} itself (cycle_momentum=True)")
        out[key] = implied
    momentum = out.get("momentum")
    if pair(spec.name).buffer and momentum is not None:
        ends = bounds(momentum)
        if ends is not None and ends[0] <= 0.0:
            raise c.fail(spec.name, "momentum", hyper_config(momentum),
                         "a schedule > 0 at every step (at momentum 0 torch's SGD and RMSprop skip their "
                         "buffer and restart it later; no Optax trace does)")
    return out


# --------------------------------------------------------------------------- optax side


def _x64_dtype(dtype: Any) -> Any | None:
    """``float64`` if hyperparameters must be float64 arrays (x64 on, or asked for), else None."""
    import jax
    import jax.numpy as jnp

    if dtype is None:
        dtype = jax.dtypes.canonicalize_dtype(jnp.float64)  # float32 unless x64 is enabled
    return jnp.float64 if jnp.dtype(dtype) == jnp.float64 else None


def _decay_rates(hp: Mapping[str, Any], dtype: Any) -> tuple[Any, Any]:
    """``b1, b2``: Python floats, or float64 arrays so that ``b ** count`` is float64 (a
    scheduled ``b1`` is already an array of the run's dtype)."""
    import jax.numpy as jnp

    f64 = _x64_dtype(dtype)

    def rate(b: Any) -> Any:
        return jnp.asarray(b, f64) if f64 is not None and isinstance(b, float) else b

    return rate(hp["b1"]), rate(hp["b2"])


def _lr_stage(schedule: Any) -> optax.GradientTransformation:
    """``scale_by_learning_rate(schedule)``, or ``schedule`` itself when it is an lr
    transformation (:func:`warmup_jax.plateau.reduce_lr_on_plateau`)."""
    import optax

    return schedule if isinstance(schedule, optax.GradientTransformation) else optax.scale_by_learning_rate(schedule)


def _none_if_zero(x: Any) -> Any:
    """``None`` for a plain 0 (leave the stage out), else the value (a number or a scheduled array)."""
    return None if isinstance(x, float) and x == 0.0 else x


def _optax_sgd(name: str, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    import optax

    momentum = _none_if_zero(hp.get("momentum", 0.0))  # trace(0) is the identity: leave it out
    nesterov = name == "nesterov" or bool(hp.get("nesterov", False))
    if isinstance(schedule, optax.GradientTransformation):  # optax.sgd's own chain, another lr stage
        trace = optax.trace(momentum, nesterov=nesterov) if momentum is not None else optax.identity()
        sgd = optax.chain(trace, schedule)
    else:
        sgd = optax.sgd(schedule, momentum=momentum, nesterov=nesterov)
    if name != "sgd_l2":
        return sgd
    return optax.chain(optax.add_decayed_weights(hp["weight_decay"]), sgd)  # coupled L2: decay first


def _amsgrad_core(hp: Mapping[str, Any], dtype: Any) -> optax.GradientTransformation:
    """Torch's amsgrad direction in optax: exact when ``eps == 0``, else eps differs.

    torch: ``m_hat / (sqrt(max v) / sqrt(1 - b2**t) + eps)``; here:
    ``sqrt(1 - b2**t) * m_hat / (sqrt(max v) + eps)``, i.e. eps becomes ``eps / sqrt(1 - b2**t)``.
    ``optax.amsgrad`` instead takes the max of the bias-corrected ``v``: O(1) apart.
    """
    import optax

    b1, b2 = _decay_rates(hp, dtype)

    def sqrt_bias_correction(count: Any) -> Any:
        return (1 - b2 ** (count + 1)) ** 0.5  # torch's sqrt(1 - b2**t), t = count + 1

    return optax.chain(
        optax.scale_by_amsgrad(b1, b2, hp["eps"], eps_root=0.0, bias_correction_nu=False),
        optax.scale_by_schedule(sqrt_bias_correction),
    )


def _with_decay(direction: optax.GradientTransformation, hp: Mapping[str, Any], schedule: Any, *,
                decoupled: bool) -> optax.GradientTransformation:
    """``direction`` then the lr, with torch's weight decay: coupled (``wd * p`` joins the gradient
    first) or decoupled (``p -= lr(k) * (direction + wd * p)``, AdamW's)."""
    import optax

    wd = _none_if_zero(hp.get("weight_decay", 0.0))
    if wd is None:
        return optax.chain(direction, _lr_stage(schedule))
    decay = optax.add_decayed_weights(wd)
    if decoupled:
        return optax.chain(direction, decay, _lr_stage(schedule))
    return optax.chain(decay, direction, _lr_stage(schedule))


def _optax_adam(name: str, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    import optax

    b1, b2 = _decay_rates(hp, dtype)
    direction = _amsgrad_core(hp, dtype) if hp["amsgrad"] else optax.scale_by_adam(b1, b2, hp["eps"], eps_root=0.0)
    return _with_decay(direction, hp, schedule, decoupled=name == "adamw")


def _optax_nadam(name: str, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    from warmup_parity.optax_twins import scale_by_torch_nadam

    b1, b2 = _decay_rates(hp, dtype)
    direction = scale_by_torch_nadam(b1, b2, hp["eps"], hp["momentum_decay"], dtype=dtype)
    return _with_decay(direction, hp, schedule, decoupled=hp["decoupled_weight_decay"])


def _optax_radam(name: str, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    from warmup_parity.optax_twins import scale_by_torch_radam

    direction = scale_by_torch_radam(*_decay_rates(hp, dtype), hp["eps"])
    return _with_decay(direction, hp, schedule, decoupled=hp["decoupled_weight_decay"])


def _optax_adamax(name: str, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    import optax

    direction = optax.scale_by_adamax(*_decay_rates(hp, dtype), hp["eps"])
    return _with_decay(direction, hp, schedule, decoupled=False)


def _optax_rmsprop(name: str, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    import optax

    alpha, eps = hp["alpha"], hp["eps"]
    if name == "rmsprop_centered":
        direction = optax.scale_by_stddev(alpha, eps, initial_scale=0.0, eps_in_sqrt=False)
    else:
        direction = optax.scale_by_rms(alpha, eps, initial_scale=0.0, eps_in_sqrt=False)
    momentum = _none_if_zero(hp.get("momentum", 0.0))
    # torch: buf = m * buf + g / avg; p -= lr * buf. The trace comes BEFORE the lr;
    # optax.rmsprop(momentum=...) puts it after, which differs whenever the lr changes.
    trace = [optax.trace(momentum)] if momentum is not None else []
    return optax.chain(direction, *trace, _lr_stage(schedule))


def _optax_adagrad(name: str, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    import optax

    # eps == 0: exact. Otherwise (approximate) optax's eps goes inside the sqrt; eps**2 there
    # gives torch's bound 1/eps on a zero accumulator and a relative error ~ eps/sqrt(s) elsewhere.
    start, eps = hp["initial_accumulator_value"], hp["eps"] ** 2
    if isinstance(schedule, optax.GradientTransformation):  # optax.adagrad's own chain, another lr stage
        return optax.chain(optax.scale_by_rss(initial_accumulator_value=start, eps=eps), schedule)
    return optax.adagrad(schedule, initial_accumulator_value=start, eps=eps)


# --------------------------------------------------------------------------- torch side


def _torch_sgd(name: str, params: Iterable[Any], hp: Mapping[str, Any]) -> torch.optim.Optimizer:
    import torch

    return torch.optim.SGD(params, lr=1.0, momentum=hp.get("momentum", 0.0), dampening=0.0,
                           weight_decay=hp.get("weight_decay", 0.0),
                           nesterov=name == "nesterov" or bool(hp.get("nesterov", False)))


def _torch_adam(name: str, params: Iterable[Any], hp: Mapping[str, Any]) -> torch.optim.Optimizer:
    import torch

    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(params, lr=1.0, betas=(hp["b1"], hp["b2"]), eps=hp["eps"], weight_decay=hp.get("weight_decay", 0.0),
               amsgrad=hp["amsgrad"])


def _torch_nadam(name: str, params: Iterable[Any], hp: Mapping[str, Any]) -> torch.optim.Optimizer:
    import torch

    return torch.optim.NAdam(params, lr=1.0, betas=(hp["b1"], hp["b2"]), eps=hp["eps"],
                             weight_decay=hp["weight_decay"], momentum_decay=hp["momentum_decay"],
                             decoupled_weight_decay=hp["decoupled_weight_decay"])


def _torch_radam(name: str, params: Iterable[Any], hp: Mapping[str, Any]) -> torch.optim.Optimizer:
    import torch

    return torch.optim.RAdam(params, lr=1.0, betas=(hp["b1"], hp["b2"]), eps=hp["eps"],
                             weight_decay=hp["weight_decay"], decoupled_weight_decay=hp["decoupled_weight_decay"])


def _torch_adamax(name: str, params: Iterable[Any], hp: Mapping[str, Any]) -> torch.optim.Optimizer:
    import torch

    return torch.optim.Adamax(params, lr=1.0, betas=(hp["b1"], hp["b2"]), eps=hp["eps"],
                              weight_decay=hp["weight_decay"])


def _torch_rmsprop(name: str, params: Iterable[Any], hp: Mapping[str, Any]) -> torch.optim.Optimizer:
    import torch

    return torch.optim.RMSprop(params, lr=1.0, alpha=hp["alpha"], eps=hp["eps"], weight_decay=0.0,
                               momentum=hp.get("momentum", 0.0), centered=name == "rmsprop_centered")


def _torch_adagrad(name: str, params: Iterable[Any], hp: Mapping[str, Any]) -> torch.optim.Optimizer:
    import torch

    return torch.optim.Adagrad(params, lr=1.0, lr_decay=0.0, weight_decay=0.0,
                               initial_accumulator_value=hp["initial_accumulator_value"], eps=hp["eps"])


# --------------------------------------------------------------------------- cross-hyperparameter checks


def _needs_momentum(instead: str) -> Callable[[str, Mapping[str, Hyper]], None]:
    def check(name: str, hp: Mapping[str, Hyper]) -> None:
        if hp["momentum"] == 0.0:
            raise ValueError(f"{name}: momentum must be > 0 (use {instead} for none)")

    return check


def _check_sgd_l2(name: str, hp: Mapping[str, Hyper]) -> None:
    if hp["nesterov"] and hp["momentum"] == 0.0:
        raise ValueError("sgd_l2: nesterov=True needs momentum > 0 (torch refuses it too)")


def _inexact_amsgrad(name: str, hp: Mapping[str, Hyper]) -> tuple[str, ...]:
    if not (hp["amsgrad"] and hp["eps"] != 0.0):
        return ()
    return (f"{name}: amsgrad=True: torch keeps the max of the raw second moment v and uses "
            "sqrt(max v) / sqrt(1 - b2**t) + eps, optax.amsgrad the max of the bias-corrected v; "
            "the closest optax composition (max of the raw v, times sqrt(1 - b2**t)) uses "
            "eps / sqrt(1 - b2**t) instead of eps. Pass eps=0 for an exact pair",)


def _inexact_adagrad(name: str, hp: Mapping[str, Hyper]) -> tuple[str, ...]:
    if hp["eps"] == 0.0:
        return ()
    return ("adagrad: torch adds eps outside the square root (g / (sqrt(s) + eps)), optax inside "
            "(g / sqrt(s + eps)); no optax eps reproduces torch's. Pass eps=0 for an exact pair "
            "(torch then gives 0/0 = nan for a parameter whose gradients were all exactly 0)",)


# --------------------------------------------------------------------------- the registry

_ADAM: dict[str, Hyper] = {"b1": 0.9, "b2": 0.999, "eps": 1e-8}
_ADAM_RANGES: dict[str, Range] = {"b1": _UNIT, "b2": _UNIT, "eps": _NONNEG, "weight_decay": _NONNEG}
_ADAM_FIELDS = {"mu": "exp_avg", "nu": "exp_avg_sq"}
_ADAM_DEFAULTS = "b1=0.9, b2=0.999, eps=1e-8 (outside the sqrt in both)"
_SGD_RANGES: dict[str, Range] = {"momentum": _UNIT, "weight_decay": _NONNEG}
_SGD_FIELDS = {"trace": "momentum_buffer"}
_RMS: dict[str, Hyper] = {"alpha": 0.99, "eps": 1e-8}
_RMS_RANGES: dict[str, Range] = {"alpha": _UNIT, "eps": _NONNEG, "momentum": _UNIT}
_RMS_FIELDS = {"nu": "square_avg", "mu": "grad_avg", "trace": "momentum_buffer"}
_OPTAX_AMS = ("chain(scale_by_amsgrad(b1, b2, eps, bias_correction_nu=False), "
              "scale_by_schedule(lambda c: sqrt(1 - b2**(c+1))), {lr})")
_WD_PLACES = ("chain([add_decayed_weights(wd)], {direction}, scale_by_learning_rate(s)), or the decay after "
              "the direction when decoupled_weight_decay=True")

_RECORDS: tuple[Pair, ...] = (
    Pair("sgd", "SGD", {}, {}, _optax_sgd, _torch_sgd, _SGD_FIELDS, momentum_key="momentum", buffer=True,
         counted=False, rows=(MappingRow(
             "sgd", "SGD(p, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)", "sgd(s)", "(none)",
             "exact", "the lr is the schedule in both"),)),
    Pair("sgd_momentum", "SGD", {"momentum": 0.9}, _SGD_RANGES, _optax_sgd, _torch_sgd, _SGD_FIELDS,
         momentum_key="momentum", buffer=True, counted=False, check=_needs_momentum("sgd"), rows=(MappingRow(
             "sgd_momentum", "SGD(p, lr, momentum=m, dampening=0)", "sgd(s, momentum=m)",
             "momentum=0.9 (ours: torch's 0 means no momentum)", "exact",
             "buf = m*buf + g, then the lr, in both (torch's first buf = g = trace from 0)"),)),
    Pair("nesterov", "SGD", {"momentum": 0.9}, _SGD_RANGES, _optax_sgd, _torch_sgd, _SGD_FIELDS,
         momentum_key="momentum", buffer=True, counted=False, check=_needs_momentum("sgd"), rows=(MappingRow(
             "nesterov", "SGD(p, lr, momentum=m, dampening=0, nesterov=True)", "sgd(s, momentum=m, nesterov=True)",
             "momentum=0.9 (ours: torch needs momentum > 0 here)", "exact", "update g + m*buf in both"),)),
    Pair("sgd_l2", "SGD", {"weight_decay": 1e-2, "momentum": 0.0, "nesterov": False}, _SGD_RANGES, _optax_sgd,
         _torch_sgd, _SGD_FIELDS, momentum_key="momentum", buffer=True, counted=False, check=_check_sgd_l2,
         rows=(MappingRow(
             "sgd_l2", "SGD(p, lr, momentum=m, dampening=0, weight_decay=wd, nesterov=n)",
             "chain(add_decayed_weights(wd), sgd(s, momentum=m or None, nesterov=n))",
             "weight_decay=1e-2 (ours: torch's 0 makes this `sgd`), momentum=0, nesterov=False", "exact",
             "coupled L2: wd*p joins the gradient BEFORE momentum and lr; `add_decayed_weights` after `sgd` "
             "adds +wd*p unscaled (wrong sign and no lr)"),)),
    Pair("adam", "Adam", {**_ADAM, "amsgrad": False}, _ADAM_RANGES, _optax_adam, _torch_adam,
         {**_ADAM_FIELDS, "nu_max": "max_exp_avg_sq"}, momentum_key="b1", inexact=_inexact_amsgrad, rows=(MappingRow(
             "adam", "Adam(p, lr, betas=(b1, b2), eps=eps, weight_decay=0, amsgrad=False)",
             "chain(scale_by_adam(b1, b2, eps, eps_root=0), scale_by_learning_rate(s)) = adam(s, b1, b2, eps)",
             _ADAM_DEFAULTS + ", amsgrad=False", "exact",
             "b1, b2 are float64 arrays under x64 so 1 - b**count is float64"),)),
    Pair("adam_l2", "Adam", {"weight_decay": 1e-2, **_ADAM, "amsgrad": False}, _ADAM_RANGES, _optax_adam,
         _torch_adam, {**_ADAM_FIELDS, "nu_max": "max_exp_avg_sq"}, momentum_key="b1", inexact=_inexact_amsgrad,
         rows=(MappingRow(
             "adam_l2", "Adam(p, lr, betas=(b1, b2), eps=eps, weight_decay=wd)",
             "chain(add_decayed_weights(wd), scale_by_adam(b1, b2, eps), scale_by_learning_rate(s))",
             "weight_decay=1e-2 (ours: torch's Adam default is 0), " + _ADAM_DEFAULTS + ", amsgrad=False", "exact",
             "coupled L2: the decay goes through Adam's normalisation"),)),
    Pair("adamw", "AdamW", {"weight_decay": 1e-2, **_ADAM, "amsgrad": False}, _ADAM_RANGES, _optax_adam,
         _torch_adam, {**_ADAM_FIELDS, "nu_max": "max_exp_avg_sq"}, momentum_key="b1", inexact=_inexact_amsgrad,
         rows=(MappingRow(
             "adamw", "AdamW(p, lr, betas=(b1, b2), eps=eps, weight_decay=wd)",
             "chain(scale_by_adam(b1, b2, eps), add_decayed_weights(wd), scale_by_learning_rate(s)) "
             "= adamw(s, b1, b2, eps, weight_decay=wd)",
             "weight_decay=1e-2 (torch's; optax's adamw default is 1e-4), " + _ADAM_DEFAULTS + ", amsgrad=False",
             "exact", "decoupled: p -= lr(k) * (adam + wd*p) in both; the decay is multiplied by the scheduled lr"),
             MappingRow(
             "adam, adam_l2, adamw with amsgrad=True", "Adam/AdamW(..., amsgrad=True)",
             _OPTAX_AMS.format(lr="scale_by_learning_rate(s)") + " (the decay placed as above)",
             "as above", "exact only with eps=0, else approximate (`approximate=True`)",
             "torch: max of the raw v, then / (1 - b2**t); optax.amsgrad: max of v / (1 - b2**t), O(1) apart. "
             "Ours differs only in eps, which it uses as eps / sqrt(1 - b2**t)"))),
    Pair("nadam", "NAdam", {"weight_decay": 0.0, **_ADAM, "momentum_decay": 4e-3, "decoupled_weight_decay": False},
         {**_ADAM_RANGES, "momentum_decay": _NONNEG}, _optax_nadam, _torch_nadam, _ADAM_FIELDS, momentum_key="b1",
         scalars={"mu_product": "mu_product"}, rows=(MappingRow(
             "nadam", "NAdam(p, lr, betas=(b1, b2), eps=eps, weight_decay=wd, momentum_decay=psi, "
             "decoupled_weight_decay=d)",
             _WD_PLACES.format(direction="scale_by_torch_nadam(b1, b2, eps, psi)"),
             "weight_decay=0, " + _ADAM_DEFAULTS + ", momentum_decay=4e-3, decoupled_weight_decay=False", "exact",
             "torch's momentum is mu_t = b1 (1 - 0.5 * 0.96**(t psi)) with its running product; optax.nadam's is "
             "a constant b1 (no psi gives it), so the twin is written in warmup_parity.optax_twins. torch keeps "
             "mu_product in its default dtype: a float64 run needs torch.set_default_dtype(torch.float64)"),)),
    Pair("radam", "RAdam", {"weight_decay": 0.0, **_ADAM, "decoupled_weight_decay": False}, _ADAM_RANGES,
         _optax_radam, _torch_radam, _ADAM_FIELDS, momentum_key="b1", rows=(MappingRow(
             "radam", "RAdam(p, lr, betas=(b1, b2), eps=eps, weight_decay=wd, decoupled_weight_decay=d)",
             _WD_PLACES.format(direction="scale_by_torch_radam(b1, b2, eps)"),
             "weight_decay=0, " + _ADAM_DEFAULTS + ", decoupled_weight_decay=False", "exact",
             "torch: r_t m_hat sqrt(1 - b2**t) / (sqrt(v) + eps), rectified when rho_t > 5; optax.radam adds eps "
             "to sqrt(v_hat) and rectifies when rho_t >= 5, so the twin is written in warmup_parity.optax_twins"),)),
    Pair("adamax", "Adamax", {"weight_decay": 0.0, **_ADAM}, _ADAM_RANGES, _optax_adamax, _torch_adamax,
         {"mu": "exp_avg", "nu": "exp_inf"}, momentum_key="b1", rows=(MappingRow(
             "adamax", "Adamax(p, lr, betas=(b1, b2), eps=eps, weight_decay=wd)",
             "chain([add_decayed_weights(wd)], scale_by_adamax(b1, b2, eps), scale_by_learning_rate(s)) "
             "= adamax(s, b1, b2, eps)", "weight_decay=0, " + _ADAM_DEFAULTS, "exact",
             "u = max(b2*u, |g| + eps) in both; torch's weight decay is coupled"),)),
    Pair("rmsprop", "RMSprop", dict(_RMS), _RMS_RANGES, _optax_rmsprop, _torch_rmsprop, _RMS_FIELDS,
         momentum_key="momentum", buffer=True, rows=(MappingRow(
             "rmsprop", "RMSprop(p, lr, alpha=a, eps=eps, weight_decay=0, momentum=0, centered=False)",
             "rmsprop(s, decay=a, eps=eps, initial_scale=0, eps_in_sqrt=False)",
             "alpha=0.99 (optax's decay default 0.9), eps=1e-8 OUTSIDE the sqrt (optax's default: inside)",
             "exact", "chaotic at high lr: compare at peak lr <= 2e-4"),)),
    Pair("rmsprop_momentum", "RMSprop", {**_RMS, "momentum": 0.9}, _RMS_RANGES, _optax_rmsprop, _torch_rmsprop,
         _RMS_FIELDS, momentum_key="momentum", buffer=True, check=_needs_momentum("rmsprop"), rows=(MappingRow(
             "rmsprop_momentum", "RMSprop(p, lr, alpha=a, eps=eps, momentum=m)",
             "chain(scale_by_rms(a, eps, initial_scale=0, eps_in_sqrt=False), trace(m), scale_by_learning_rate(s))",
             "alpha=0.99, eps=1e-8, momentum=0.9 (ours: torch's 0 makes this `rmsprop`)", "exact",
             "optax.rmsprop(momentum=m) applies the lr BEFORE the trace: wrong under a changing lr"),)),
    Pair("rmsprop_centered", "RMSprop", {**_RMS, "momentum": 0.0}, _RMS_RANGES, _optax_rmsprop, _torch_rmsprop,
         _RMS_FIELDS, momentum_key="momentum", buffer=True, rows=(MappingRow(
             "rmsprop_centered", "RMSprop(p, lr, alpha=a, eps=eps, momentum=m, centered=True)",
             "chain(scale_by_stddev(a, eps, initial_scale=0, eps_in_sqrt=False), [trace(m) if m > 0], "
             "scale_by_learning_rate(s))",
             "alpha=0.99, eps=1e-8, momentum=0", "exact", "g / (sqrt(v - mean**2) + eps) in both"),)),
    Pair("adagrad", "Adagrad", {"initial_accumulator_value": 0.0, "eps": 1e-10},
         {"initial_accumulator_value": _NONNEG, "eps": _NONNEG}, _optax_adagrad, _torch_adagrad,
         {"sum_of_squares": "sum"}, inexact=_inexact_adagrad, rows=(MappingRow(
             "adagrad", "Adagrad(p, lr, lr_decay=0, weight_decay=0, initial_accumulator_value=v0, eps=0)",
             "adagrad(s, initial_accumulator_value=v0, eps=0)",
             "initial_accumulator_value=0 (optax's default 0.1), eps=1e-10 (torch's; optax's 1e-7)",
             "exact only with eps=0",
             "the default eps=1e-10 is approximate; with eps=0 torch gives nan (0/0) where every gradient so "
             "far was exactly 0, optax gives 0"),
             MappingRow(
             "adagrad with eps > 0", "Adagrad(p, lr, initial_accumulator_value=v0, eps=eps)",
             "adagrad(s, initial_accumulator_value=v0, eps=eps**2)", "as above",
             "approximate (`approximate=True`)",
             "torch g / (sqrt(s) + eps), optax g / sqrt(s + eps'); eps' = eps**2 agrees at s = 0, "
             "relative error ~ eps / sqrt(s) elsewhere"))),
)

PAIRS: dict[str, Pair] = {p.name: p for p in _RECORDS}
"""Every optimizer pair's record, by name, in table order: the one place a pair is described."""
PAIR_NAMES: tuple[str, ...] = tuple(PAIRS)
DEFAULTS: dict[str, dict[str, Hyper]] = {p.name: dict(p.defaults) for p in _RECORDS}
"""Every pair's hyperparameters and their defaults (read from :data:`PAIRS`)."""
MAPPING: tuple[MappingRow, ...] = tuple(row for p in _RECORDS for row in p.rows)
"""The mapping table's rows (read from :data:`PAIRS`; ``s`` = the schedule)."""


# --------------------------------------------------------------------------- the two sides


def _is_config(schedule: Any) -> bool:
    return isinstance(schedule, (Mapping, ScheduleSpec, Specified))


def optax_transform(spec: SpecLike, schedule: Any, *, dtype: Any = None) -> optax.GradientTransformation:
    """The Optax side of a pair.

    Args:
        spec: an :class:`OptimizerSpec` or its config mapping.
        schedule: the lr: an Optax schedule ``count -> lr`` (e.g. ``warmup_jax.schedule_from_config(cfg)``),
            a schedule config or spec (built with ``warmup_jax.schedule_from_config``), a constant lr,
            or an lr transformation (:func:`warmup_jax.plateau.reduce_lr_on_plateau`). The
            k-th update uses ``schedule(k)``. A schedule that cycles the momentum (torch's
            ``OneCycleLR``, given as a config or as ``warmup_jax``'s schedule, which carries
            its spec) drives the pair's momentum or ``b1`` too, as torch's scheduler does.
        dtype: the parameters' float dtype. ``None``: float64 when x64 is enabled, else float32.
            With float64, ``b1``/``b2`` are passed as float64 arrays so that the bias
            corrections ``1 - b ** count`` are float64 too. Pass ``jnp.float32`` to train
            float32 parameters under x64 (the arrays would promote the optimizer state).

    Returns:
        The ``optax.GradientTransformation`` matching :func:`torch_optimizer`'s optimizer. With
        scheduled hyperparameters (:func:`scheduled_hyperparams`) it is
        :func:`warmup_jax.hyper.with_schedules` over the pair's chain (state:
        ``ScheduledState(count, inner)``, ``inner`` the chain's usual state).

    Raises:
        ValueError: an invalid config (see :func:`optimizer_from_config`, :func:`scheduled_hyperparams`).
    """
    spec = _as_spec(spec)
    hyper = scheduled_hyperparams(spec, schedule)
    if _is_config(schedule):
        import warmup_jax

        schedule = warmup_jax.schedule_from_config(spec_of(schedule))
    build, name = pair(spec.name).optax, spec.name
    if not hyper:
        return build(name, spec.params, schedule, dtype)
    from warmup_jax.hyper import hyper_schedules, with_schedules

    hp = spec.params

    def factory(**values: Any) -> optax.GradientTransformation:
        return build(name, {**hp, **values}, schedule, dtype)

    return with_schedules(factory, hyper_schedules(hyper), dtype=dtype)


def torch_optimizer(
    spec: SpecLike, params: Iterable[Any], schedule_cfg: Any
) -> tuple[torch.optim.Optimizer, Any]:
    """The torch side of a pair: the optimizer and its scheduler.

    Call ``scheduler.step()`` after every ``optimizer.step()``; the k-th step then uses
    ``schedule(k)``, the same lr as the k-th Optax update, and the same scheduled momentum,
    ``b1`` and weight decay (written into the param groups by the scheduler).

    Args:
        spec: an :class:`OptimizerSpec` or its config mapping.
        params: the parameters (tensors), or param groups; the optimizer is built with
            ``lr=1.0``, so a group's own ``"lr"`` becomes its multiplier of the schedule; with
            a scheduled weight decay it is built with ``weight_decay=1.0`` too, so a group's
            own ``"weight_decay"`` is its multiplier of that schedule (0: no decay).
        schedule_cfg: anything ``warmup_torch.scheduler_from_config`` takes (a config mapping, ...).

    Returns:
        ``(optimizer, scheduler)``.

    Raises:
        ValueError: an invalid optimizer or schedule config (the same text as :func:`optax_transform`).
    """
    import warmup_torch

    spec = _as_spec(spec)
    single = not isinstance(schedule_cfg, (list, tuple))
    if single:
        schedule_cfg = spec_of(schedule_cfg)
    scheduled_hyperparams(spec, schedule_cfg if single else None)  # the Optax side's checks and errors
    given = spec.scheduled()
    nominal = {k: 1.0 if k == "weight_decay" else Schedule(v)(0) for k, v in given.items()}
    optimizer = pair(spec.name).torch(spec.name, params, {**spec.params, **nominal})
    optimizer.defaults["optimizer_pair"] = spec.name  # resume reads it (pair_of), a later group gets it too
    for group in optimizer.param_groups:
        group["optimizer_pair"] = spec.name
    if not given:
        return optimizer, warmup_torch.scheduler_from_config(optimizer, schedule_cfg)
    hyper = {"momentum" if k == "b1" else k: v for k, v in given.items()}
    return optimizer, warmup_torch.ScheduleLR(optimizer, schedule_cfg, hyper=hyper)


# --------------------------------------------------------------------------- the table


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def mapping_table_markdown(rows: Iterable[MappingRow] = MAPPING) -> str:
    """The mapping table as Markdown (one row per pair; calls in code spans).

    Args:
        rows: the rows to render (default: :data:`MAPPING`).

    Returns:
        A GitHub-flavoured Markdown table, ending with a newline.
    """
    lines = ["| pair | torch | optax | defaults | exact | notes |", "|---|---|---|---|---|---|"]
    for r in rows:
        names = re.sub(r"[a-z0-9_]+", lambda m: f"`{m[0]}`" if m[0] in PAIRS else m[0], r.name)
        cells = [names, f"`{r.torch}`", f"`{r.optax}`", r.defaults, r.exact, r.notes]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = [
    "DEFAULTS",
    "MAPPING",
    "PAIRS",
    "PAIR_NAMES",
    "SCHEDULABLE",
    "MappingRow",
    "OptimizerSpec",
    "Pair",
    "inexact_reasons",
    "mapping_table_markdown",
    "optax_transform",
    "optimizer_from_config",
    "pair",
    "pair_of",
    "scheduled_hyperparams",
    "torch_optimizer",
]
