"""Matched optimizer pairs: one description builds an Optax transformation and a torch optimizer
that give the same parameters, step for step, under one of our schedules.

A pair is a name plus hyperparameters, e.g. ``{"name": "adamw", "weight_decay": 0.1}``.
Every hyperparameter has an explicit default, torch's own wherever torch has a meaningful
one (so AdamW's weight decay is 1e-2 as in torch, not optax's 1e-4; RMSprop's ``alpha`` is
0.99 with ``eps`` outside the square root; Adagrad starts its accumulator at 0). The learning
rate is never a hyperparameter: it is the schedule, ``warmup_jax.schedule_from_config(cfg)`` on the
Optax side and ``warmup_torch.scheduler_from_config(optimizer, cfg)`` on the torch side.

The Optax compositions are the measured ones of ``docs/traps.md``; the whole table,
defaults spelled out, is :data:`MAPPING` (:func:`mapping_table_markdown` renders it).
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

_ADAM: dict[str, Hyper] = {"b1": 0.9, "b2": 0.999, "eps": 1e-8, "amsgrad": False}
_RMS: dict[str, Hyper] = {"alpha": 0.99, "eps": 1e-8}

DEFAULTS: dict[str, dict[str, Hyper]] = {
    "sgd": {},
    "sgd_momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "sgd_l2": {"weight_decay": 1e-2, "momentum": 0.0, "nesterov": False},
    "adam": dict(_ADAM),
    "adam_l2": {"weight_decay": 1e-2, **_ADAM},
    "adamw": {"weight_decay": 1e-2, **_ADAM},
    "rmsprop": dict(_RMS),
    "rmsprop_momentum": {**_RMS, "momentum": 0.9},
    "rmsprop_centered": {**_RMS, "momentum": 0.0},
    "adagrad": {"initial_accumulator_value": 0.0, "eps": 1e-10},
}
"""Every pair's hyperparameters and their defaults, in the order the table lists them."""

PAIR_NAMES: tuple[str, ...] = tuple(DEFAULTS)
_BOOL_KEYS = frozenset({"nesterov", "amsgrad"})
_CONFIG_KEYS = frozenset({"name", "approximate"})

# (key, lowest, highest, lowest allowed, highest allowed): the valid range of each float.
_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "b1": (0.0, 1.0, True, False),
    "b2": (0.0, 1.0, True, False),
    "alpha": (0.0, 1.0, True, False),
    "eps": (0.0, math.inf, True, False),
    "weight_decay": (0.0, math.inf, True, False),
    "momentum": (0.0, 1.0, True, False),
    "initial_accumulator_value": (0.0, math.inf, True, False),
}
_NEEDS_MOMENTUM = frozenset({"sgd_momentum", "nesterov", "rmsprop_momentum"})
SCHEDULABLE = frozenset({"momentum", "b1", "weight_decay"})
"""The hyperparameters that may be schedules (a ramp mapping or a schedule config)."""
_ADAM_PAIRS = frozenset({"adam", "adam_l2", "adamw"})
_BUFFER_PAIRS = frozenset({"sgd", "sgd_momentum", "nesterov", "sgd_l2", "rmsprop", "rmsprop_momentum",
                           "rmsprop_centered"})
"""Pairs whose torch optimizer keeps a momentum buffer only while the momentum is not 0."""


# --------------------------------------------------------------------------- spec


def _check_value(name: str, key: str, value: Any) -> Hyper:
    """Validates one hyperparameter and returns it as a ``float`` (``bool`` for a switch, the
    spec of a scheduled one)."""
    if key in SCHEDULABLE and isinstance(value, (Mapping, ScheduleSpec, Specified)):
        return _check_schedule(name, key, value)
    if key in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: {key} must be a bool, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name}: {key} must be a number, got {value!r}")
    x = float(value)
    lo, hi, lo_ok, hi_ok = _RANGES[key]
    if not (math.isfinite(x) and (lo < x or (lo_ok and x == lo)) and (x < hi or (hi_ok and x == hi))):
        interval = f"{'[' if lo_ok else '('}{lo:g}, {hi:g}{']' if hi_ok else ')'}"
        raise ValueError(f"{name}: {key} must be in {interval}, got {value!r}")
    return x


def _check_schedule(name: str, key: str, value: Any) -> ScheduleSpec:
    """A scheduled hyperparameter: its spec, with the ends of a ramp in the key's range."""
    spec = hyper_spec(f"{name}: {key}", value)
    ends = bounds(spec)
    lo, hi, _, hi_ok = _RANGES[key]
    if ends is not None and not (ends[0] >= lo and (ends[1] < hi or (hi_ok and ends[1] == hi))):
        raise c.fail(name, key, hyper_config(spec), f"a schedule within [{lo:g}, {hi:g}{']' if hi_ok else ')'}")
    return spec


def _resolve(name: str, given: Mapping[str, Any]) -> dict[str, Hyper]:
    """The complete hyperparameters of pair ``name``: the defaults updated with ``given``."""
    if name not in DEFAULTS:
        raise ValueError(f"unknown optimizer pair {name!r}; valid names: {', '.join(sorted(DEFAULTS))}")
    valid = DEFAULTS[name]
    unknown = sorted(set(given) - set(valid))
    if unknown:
        is_lr = bool({"lr", "learning_rate"} & set(unknown))
        hint = " (the learning rate is the schedule, not a hyperparameter)" if is_lr else ""
        raise ValueError(
            f"{name}: unknown hyperparameter(s) {', '.join(map(repr, unknown))}{hint}; "
            f"valid: {', '.join(valid) if valid else '(none)'}"
        )
    hp = {key: _check_value(name, key, given.get(key, default)) for key, default in valid.items()}
    if name in _NEEDS_MOMENTUM and hp["momentum"] == 0.0:
        raise ValueError(f"{name}: momentum must be > 0 (use {'rmsprop' if 'rms' in name else 'sgd'} for none)")
    if name == "sgd_l2" and hp["nesterov"] and hp["momentum"] == 0.0:
        raise ValueError("sgd_l2: nesterov=True needs momentum > 0 (torch refuses it too)")
    return hp


def inexact_reasons(name: str, hyperparams: Mapping[str, Hyper]) -> tuple[str, ...]:
    """Why pair ``name`` with these (complete) hyperparameters has no exact Optax counterpart.

    Args:
        name: a pair name.
        hyperparams: its complete hyperparameters (defaults filled in).

    Returns:
        One sentence per mismatch; empty when the pair is exact.
    """
    reasons = []
    if name == "adagrad" and hyperparams["eps"] != 0.0:
        reasons.append(
            "adagrad: torch adds eps outside the square root (g / (sqrt(s) + eps)), optax inside "
            "(g / sqrt(s + eps)); no optax eps reproduces torch's. Pass eps=0 for an exact pair "
            "(torch then gives 0/0 = nan for a parameter whose gradients were all exactly 0)"
        )
    if hyperparams.get("amsgrad") and hyperparams["eps"] != 0.0:
        reasons.append(
            f"{name}: amsgrad=True: torch keeps the max of the raw second moment v and uses "
            "sqrt(max v) / sqrt(1 - b2**t) + eps, optax.amsgrad the max of the bias-corrected v; "
            "the closest optax composition (max of the raw v, times sqrt(1 - b2**t)) uses "
            "eps / sqrt(1 - b2**t) instead of eps. Pass eps=0 for an exact pair"
        )
    return tuple(reasons)


@dataclass(frozen=True)
class OptimizerSpec:
    """One matched optimizer pair: a pair name and its complete hyperparameters.

    Construction fills in the defaults of :data:`DEFAULTS` and validates everything;
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


def _momentum_key(name: str) -> str | None:
    """The pair's hyperparameter an lr schedule's momentum drives: ``b1`` for the Adam pairs,
    ``momentum`` for SGD and RMSprop (as torch's scheduler writes ``betas[0]`` or ``momentum``)."""
    if name in _ADAM_PAIRS:
        return "b1"
    return "momentum" if name in _BUFFER_PAIRS else None


def scheduled_hyperparams(spec: SpecLike, schedule: Any = None) -> dict[str, ScheduleSpec]:
    """The pair's hyperparameters that follow a schedule, by the pair's keys.

    Those given as schedules in the pair's config, and the momentum / ``b1`` that the lr
    schedule drives (torch's ``OneCycleLR`` and ``CyclicLR`` with ``cycle_momentum=True``,
    ``one_cycle``). Both sides of a pair read this, so they refuse the same configurations
    with the same text.

    Args:
        spec: an :class:`OptimizerSpec` or its config.
        schedule: the lr schedule: a config, a spec, an Optax schedule of ``warmup_jax``
            (which carries its spec) or ``None``.

    Returns:
        ``{"momentum" | "b1" | "weight_decay": spec}`` (empty when nothing is scheduled).

    Raises:
        ValueError: the lr schedule cycles the momentum of a pair without one (``adagrad``:
            torch's ``OneCycleLR`` refuses Adagrad), or of a pair that also schedules it, or
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
    if implied is not None:
        key = _momentum_key(spec.name)
        who = implied.schedule.name
        if key is None:
            raise c.fail(who, "cycle_momentum", True,
                         f"False with optimizer pair {spec.name!r} (it has no momentum or b1; torch's "
                         "OneCycleLR and CyclicLR refuse such an optimizer)")
        if key in out:
            raise c.fail(spec.name, key, hyper_config(out[key]),
                         f"a number: {who} cycles the {key} itself (cycle_momentum=True)")
        out[key] = implied
    momentum = out.get("momentum")
    if spec.name in _BUFFER_PAIRS and momentum is not None:
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


def _optax_sgd(spec: OptimizerSpec, hp: Mapping[str, Any], schedule: Any, dtype: Any) -> optax.GradientTransformation:
    import optax

    momentum = hp.get("momentum")
    if isinstance(momentum, float) and momentum == 0.0:
        momentum = None  # trace(0) is the identity: leave it out
    nesterov = spec.name == "nesterov" or bool(hp.get("nesterov", False))
    if isinstance(schedule, optax.GradientTransformation):  # optax.sgd's own chain, another lr stage
        trace = optax.trace(momentum, nesterov=nesterov) if momentum is not None else optax.identity()
        sgd = optax.chain(trace, schedule)
    else:
        sgd = optax.sgd(schedule, momentum=momentum, nesterov=nesterov)
    if spec.name != "sgd_l2":
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


def _optax_adam(spec: OptimizerSpec, hp: Mapping[str, Any], schedule: Any, dtype: Any
                ) -> optax.GradientTransformation:
    import optax

    b1, b2, eps = *_decay_rates(hp, dtype), hp["eps"]
    if hp["amsgrad"]:
        direction = _amsgrad_core(hp, dtype)
    else:
        direction = optax.scale_by_adam(b1, b2, eps, eps_root=0.0)
    lr = _lr_stage(schedule)
    if spec.name == "adam":
        return optax.chain(direction, lr)  # = optax.adam(schedule, b1, b2, eps)
    decay = optax.add_decayed_weights(hp["weight_decay"])
    if spec.name == "adam_l2":
        return optax.chain(decay, direction, lr)  # coupled: the decay joins the gradient
    return optax.chain(direction, decay, lr)  # adamw: -lr(k) * (adam + wd * p) = optax.adamw


def _optax_rmsprop(spec: OptimizerSpec, hp: Mapping[str, Any], schedule: Any, dtype: Any
                   ) -> optax.GradientTransformation:
    import optax

    alpha, eps = hp["alpha"], hp["eps"]
    if spec.name == "rmsprop_centered":
        direction = optax.scale_by_stddev(alpha, eps, initial_scale=0.0, eps_in_sqrt=False)
    else:
        direction = optax.scale_by_rms(alpha, eps, initial_scale=0.0, eps_in_sqrt=False)
    momentum = hp.get("momentum", 0.0)
    # torch: buf = m * buf + g / avg; p -= lr * buf. The trace comes BEFORE the lr;
    # optax.rmsprop(momentum=...) puts it after, which differs whenever the lr changes.
    trace = [optax.trace(momentum)] if not isinstance(momentum, float) or momentum else []
    return optax.chain(direction, *trace, _lr_stage(schedule))


def _optax_adagrad(spec: OptimizerSpec, hp: Mapping[str, Any], schedule: Any, dtype: Any
                   ) -> optax.GradientTransformation:
    import optax

    # eps == 0: exact. Otherwise (approximate) optax's eps goes inside the sqrt; eps**2 there
    # gives torch's bound 1/eps on a zero accumulator and a relative error ~ eps/sqrt(s) elsewhere.
    start, eps = hp["initial_accumulator_value"], hp["eps"] ** 2
    if isinstance(schedule, optax.GradientTransformation):  # optax.adagrad's own chain, another lr stage
        return optax.chain(optax.scale_by_rss(initial_accumulator_value=start, eps=eps), schedule)
    return optax.adagrad(schedule, initial_accumulator_value=start, eps=eps)


_Builder = Callable[[OptimizerSpec, Mapping[str, Any], Any, Any], "optax.GradientTransformation"]
_OPTAX_BUILDERS: dict[str, _Builder] = {
    "sgd": _optax_sgd,
    "sgd_momentum": _optax_sgd,
    "nesterov": _optax_sgd,
    "sgd_l2": _optax_sgd,
    "adam": _optax_adam,
    "adam_l2": _optax_adam,
    "adamw": _optax_adam,
    "rmsprop": _optax_rmsprop,
    "rmsprop_momentum": _optax_rmsprop,
    "rmsprop_centered": _optax_rmsprop,
    "adagrad": _optax_adagrad,
}


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
    build = _OPTAX_BUILDERS[spec.name]
    if not hyper:
        return build(spec, spec.params, schedule, dtype)
    from warmup_jax.hyper import hyper_schedules, with_schedules

    hp = spec.params

    def factory(**values: Any) -> optax.GradientTransformation:
        return build(spec, {**hp, **values}, schedule, dtype)

    return with_schedules(factory, hyper_schedules(hyper), dtype=dtype)


# --------------------------------------------------------------------------- torch side


def _torch_optimizer_only(spec: OptimizerSpec, params: Iterable[Any], hp: Mapping[str, Any]
                          ) -> torch.optim.Optimizer:
    """The torch optimizer of a pair, with ``lr=1.0`` (the scheduler sets the real lr)."""
    import torch

    name = spec.name
    if name in ("sgd", "sgd_momentum", "nesterov", "sgd_l2"):
        return torch.optim.SGD(
            params, lr=1.0, momentum=hp.get("momentum", 0.0), dampening=0.0,
            weight_decay=hp.get("weight_decay", 0.0),
            nesterov=name == "nesterov" or bool(hp.get("nesterov", False)),
        )
    if name in ("adam", "adam_l2", "adamw"):
        cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
        return cls(params, lr=1.0, betas=(hp["b1"], hp["b2"]), eps=hp["eps"],
                   weight_decay=hp.get("weight_decay", 0.0), amsgrad=hp["amsgrad"])
    if name.startswith("rmsprop"):
        return torch.optim.RMSprop(params, lr=1.0, alpha=hp["alpha"], eps=hp["eps"], weight_decay=0.0,
                                   momentum=hp.get("momentum", 0.0), centered=name == "rmsprop_centered")
    return torch.optim.Adagrad(params, lr=1.0, lr_decay=0.0, weight_decay=0.0,
                               initial_accumulator_value=hp["initial_accumulator_value"], eps=hp["eps"])


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
    optimizer = _torch_optimizer_only(spec, params, {**spec.params, **nominal})
    if not given:
        return optimizer, warmup_torch.scheduler_from_config(optimizer, schedule_cfg)
    hyper = {"momentum" if k == "b1" else k: v for k, v in given.items()}
    return optimizer, warmup_torch.ScheduleLR(optimizer, schedule_cfg, hyper=hyper)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class MappingRow:
    """One row of the mapping table."""

    name: str
    torch: str
    optax: str
    defaults: str
    exact: str
    notes: str


_ADAM_DEFAULTS = "b1=0.9, b2=0.999, eps=1e-8 (outside the sqrt in both), amsgrad=False"
_OPTAX_AMS = ("chain(scale_by_amsgrad(b1, b2, eps, bias_correction_nu=False), "
              "scale_by_schedule(lambda c: sqrt(1 - b2**(c+1))), {lr})")

MAPPING: tuple[MappingRow, ...] = (
    MappingRow("sgd", "SGD(p, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)",
               "sgd(s)", "(none)", "exact", "the lr is the schedule in both"),
    MappingRow("sgd_momentum", "SGD(p, lr, momentum=m, dampening=0)", "sgd(s, momentum=m)",
               "momentum=0.9 (ours: torch's 0 means no momentum)", "exact",
               "buf = m*buf + g, then the lr, in both (torch's first buf = g = trace from 0)"),
    MappingRow("nesterov", "SGD(p, lr, momentum=m, dampening=0, nesterov=True)", "sgd(s, momentum=m, nesterov=True)",
               "momentum=0.9 (ours: torch needs momentum > 0 here)", "exact", "update g + m*buf in both"),
    MappingRow("sgd_l2", "SGD(p, lr, momentum=m, dampening=0, weight_decay=wd, nesterov=n)",
               "chain(add_decayed_weights(wd), sgd(s, momentum=m or None, nesterov=n))",
               "weight_decay=1e-2 (ours: torch's 0 makes this `sgd`), momentum=0, nesterov=False", "exact",
               "coupled L2: wd*p joins the gradient BEFORE momentum and lr; `add_decayed_weights` after `sgd` "
               "adds +wd*p unscaled (wrong sign and no lr)"),
    MappingRow("adam", "Adam(p, lr, betas=(b1, b2), eps=eps, weight_decay=0, amsgrad=False)",
               "chain(scale_by_adam(b1, b2, eps, eps_root=0), scale_by_learning_rate(s)) = adam(s, b1, b2, eps)",
               _ADAM_DEFAULTS, "exact",
               "b1, b2 are float64 arrays under x64 so 1 - b**count is float64"),
    MappingRow("adam_l2", "Adam(p, lr, betas=(b1, b2), eps=eps, weight_decay=wd)",
               "chain(add_decayed_weights(wd), scale_by_adam(b1, b2, eps), scale_by_learning_rate(s))",
               "weight_decay=1e-2 (ours: torch's Adam default is 0), " + _ADAM_DEFAULTS, "exact",
               "coupled L2: the decay goes through Adam's normalisation"),
    MappingRow("adamw", "AdamW(p, lr, betas=(b1, b2), eps=eps, weight_decay=wd)",
               "chain(scale_by_adam(b1, b2, eps), add_decayed_weights(wd), scale_by_learning_rate(s)) "
               "= adamw(s, b1, b2, eps, weight_decay=wd)",
               "weight_decay=1e-2 (torch's; optax's adamw default is 1e-4), " + _ADAM_DEFAULTS, "exact",
               "decoupled: p -= lr(k) * (adam + wd*p) in both; the decay is multiplied by the scheduled lr"),
    MappingRow("adam, adam_l2, adamw with amsgrad=True", "Adam/AdamW(..., amsgrad=True)",
               _OPTAX_AMS.format(lr="scale_by_learning_rate(s)") + " (the decay placed as above)",
               "as above", "exact only with eps=0, else approximate (`approximate=True`)",
               "torch: max of the raw v, then / (1 - b2**t); optax.amsgrad: max of v / (1 - b2**t), O(1) apart. "
               "Ours differs only in eps, which it uses as eps / sqrt(1 - b2**t)"),
    MappingRow("rmsprop", "RMSprop(p, lr, alpha=a, eps=eps, weight_decay=0, momentum=0, centered=False)",
               "rmsprop(s, decay=a, eps=eps, initial_scale=0, eps_in_sqrt=False)",
               "alpha=0.99 (optax's decay default 0.9), eps=1e-8 OUTSIDE the sqrt (optax's default: inside)",
               "exact", "chaotic at high lr: compare at peak lr <= 2e-4"),
    MappingRow("rmsprop_momentum", "RMSprop(p, lr, alpha=a, eps=eps, momentum=m)",
               "chain(scale_by_rms(a, eps, initial_scale=0, eps_in_sqrt=False), trace(m), scale_by_learning_rate(s))",
               "alpha=0.99, eps=1e-8, momentum=0.9 (ours: torch's 0 makes this `rmsprop`)", "exact",
               "optax.rmsprop(momentum=m) applies the lr BEFORE the trace: wrong under a changing lr"),
    MappingRow("rmsprop_centered", "RMSprop(p, lr, alpha=a, eps=eps, momentum=m, centered=True)",
               "chain(scale_by_stddev(a, eps, initial_scale=0, eps_in_sqrt=False), [trace(m) if m > 0], "
               "scale_by_learning_rate(s))",
               "alpha=0.99, eps=1e-8, momentum=0", "exact", "g / (sqrt(v - mean**2) + eps) in both"),
    MappingRow("adagrad", "Adagrad(p, lr, lr_decay=0, weight_decay=0, initial_accumulator_value=v0, eps=0)",
               "adagrad(s, initial_accumulator_value=v0, eps=0)",
               "initial_accumulator_value=0 (optax's default 0.1), eps=1e-10 (torch's; optax's 1e-7)",
               "exact only with eps=0",
               "the default eps=1e-10 is approximate; with eps=0 torch gives nan (0/0) where every gradient so "
               "far was exactly 0, optax gives 0"),
    MappingRow("adagrad with eps > 0", "Adagrad(p, lr, initial_accumulator_value=v0, eps=eps)",
               "adagrad(s, initial_accumulator_value=v0, eps=eps**2)", "as above",
               "approximate (`approximate=True`)",
               "torch g / (sqrt(s) + eps), optax g / sqrt(s + eps'); eps' = eps**2 agrees at s = 0, "
               "relative error ~ eps / sqrt(s) elsewhere"),
)
"""The pairs: torch call, Optax call, defaults, exactness and notes (``s`` = the schedule)."""


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
        names = re.sub(r"[a-z0-9_]+", lambda m: f"`{m[0]}`" if m[0] in DEFAULTS else m[0], r.name)
        cells = [names, f"`{r.torch}`", f"`{r.optax}`", r.defaults, r.exact, r.notes]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = [
    "DEFAULTS",
    "MAPPING",
    "PAIR_NAMES",
    "SCHEDULABLE",
    "MappingRow",
    "OptimizerSpec",
    "inexact_reasons",
    "mapping_table_markdown",
    "optax_transform",
    "optimizer_from_config",
    "scheduled_hyperparams",
    "torch_optimizer",
]
