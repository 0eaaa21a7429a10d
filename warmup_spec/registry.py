"""The config edge: ``{"schedule": NAME, **params}`` <-> spec, and the one coercion of
anything a user may pass as a schedule (:func:`spec_of`).

Strings exist only here: each definition registers its class under its name
(:func:`register`), and unknown names and keys raise ``ValueError`` listing the valid ones
(an unknown name first the registered names it may mean: :func:`suggestions`). A run
config is taken wherever a schedule config is (:func:`schedule_config`).
Nested configs (a combinator's ``base`` or ``schedules``) are coerced by the combinators
themselves through :func:`base_of`, so a config and a direct call take the same path.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import importlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from warmup_spec import _checks as c
from warmup_spec.config_files import load_config
from warmup_spec.definition import ScheduleSpec, Specified
from warmup_spec.deprecation import deprecated

__all__ = ["LIBRARY_ALIASES", "PLATEAU", "PORTS", "REGISTRY", "RENAMED", "Base", "Registry", "base_of", "register",
           "schedule_config", "spec_from_config", "spec_of", "spec_to_config", "suggestions", "unknown_name"]

# The ports' names, known without importing their modules (``parity_tests/test_api.py`` checks
# that each module registers exactly these): a port's module is imported on first use of its name.
PORTS: dict[str, tuple[str, ...]] = {
    "warmup_spec.ports.deepspeed_lr": (
        "deepspeed.WarmupLR", "deepspeed.WarmupDecayLR", "deepspeed.WarmupCosineLR", "deepspeed.LRRangeTest",
        "deepspeed.OneCycle",
    ),
    "warmup_spec.ports.fairseq_lr": (
        "fairseq.inverse_sqrt", "fairseq.cosine",
    ),
    "warmup_spec.ports.hf_transformers": (
        "transformers.get_constant_schedule", "transformers.get_constant_schedule_with_warmup",
        "transformers.get_linear_schedule_with_warmup", "transformers.get_cosine_schedule_with_warmup",
        "transformers.get_cosine_with_hard_restarts_schedule_with_warmup",
        "transformers.get_polynomial_decay_schedule_with_warmup", "transformers.get_inverse_sqrt_schedule",
        "transformers.get_cosine_with_min_lr_schedule_with_warmup",
        "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "transformers.get_wsd_schedule",
        "transformers.get_scheduler",
    ),
    "warmup_spec.ports.keras_schedules": (
        "keras.ExponentialDecay", "keras.InverseTimeDecay", "keras.PiecewiseConstantDecay", "keras.PolynomialDecay",
        "keras.CosineDecay", "keras.CosineDecayRestarts",
    ),
    "warmup_spec.ports.llm_recipes": (
        "torchtitan.linear_warmup_stable_decay", "maxtext.create_learning_rate_schedule", "nanogpt.get_lr",
    ),
    "warmup_spec.ports.megatron_lr": (
        "megatron.OptimizerParamScheduler",
    ),
    "warmup_spec.ports.optax_schedules": (
        "optax.constant_schedule", "optax.polynomial_schedule", "optax.linear_schedule", "optax.exponential_decay",
        "optax.cosine_decay_schedule", "optax.warmup_cosine_decay_schedule",
        "optax.warmup_exponential_decay_schedule", "optax.warmup_constant_schedule",
        "optax.piecewise_constant_schedule", "optax.piecewise_interpolate_schedule", "optax.join_schedules",
        "optax.sgdr_schedule", "optax.linear_onecycle_schedule", "optax.cosine_onecycle_schedule",
    ),
    "warmup_spec.ports.timm_scheduler": (
        "timm.CosineLRScheduler", "timm.TanhLRScheduler", "timm.StepLRScheduler", "timm.MultiStepLRScheduler",
        "timm.PolyLRScheduler",
    ),
    "warmup_spec.ports.torch_lr_scheduler": (
        "torch.StepLR", "torch.MultiStepLR", "torch.ConstantLR", "torch.LinearLR", "torch.ExponentialLR",
        "torch.PolynomialLR", "torch.CosineAnnealingLR", "torch.CyclicLR", "torch.OneCycleLR",
        "torch.CosineAnnealingWarmRestarts", "torch.SequentialLR", "torch.ChainedScheduler",
    ),
}
"""Port module -> the schedule names it registers."""

RENAMED = {"scale": "scaled"}
"""Old schedule name -> its new name: a config with the old one still works for one release,
with a ``DeprecationWarning``."""


class Registry(Mapping[str, type[ScheduleSpec]]):
    """Schedule name -> its definition class: the catalogue's (registered on import), then the
    ports' (:data:`PORTS`), each port's module imported on the first lookup of one of its names.
    Iterating and ``in`` need no import."""

    def __init__(self, ports: Mapping[str, tuple[str, ...]]) -> None:
        self._classes: dict[str, type[ScheduleSpec]] = {}
        self._lazy = {name: module for module, names in ports.items() for name in names}

    def register(self, cls: type[ScheduleSpec]) -> None:
        if self._classes.get(cls.schedule, cls) is not cls:
            raise ValueError(f"schedule name {cls.schedule!r} is registered twice")
        self._classes[cls.schedule] = cls

    def __getitem__(self, name: str) -> type[ScheduleSpec]:
        if name in RENAMED:
            deprecated(f"the schedule name {name!r}", repr(RENAMED[name]))
            name = RENAMED[name]
        if name not in self._classes and name in self._lazy:
            importlib.import_module(self._lazy[name])
        return self._classes[name]

    def __contains__(self, name: object) -> bool:
        return name in self._classes or name in self._lazy or name in RENAMED

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(self._classes), **dict.fromkeys(self._lazy)})

    def __len__(self) -> int:
        return len(self._classes.keys() | self._lazy.keys())


REGISTRY = Registry(PORTS)
"""Schedule name -> its definition class (the catalogue, then the ports, loaded on first use)."""

MAPPING = 'a mapping {"schedule": NAME, **parameters}'
_SPEC = TypeVar("_SPEC", bound=type[ScheduleSpec])


def register(cls: _SPEC) -> _SPEC:
    """Class decorator: makes a definition reachable from configs under ``cls.schedule``."""
    REGISTRY.register(cls)
    return cls


def _fields(cls: type[ScheduleSpec]) -> list[dataclasses.Field]:
    return list(dataclasses.fields(cls))  # type: ignore[arg-type]


def _names() -> str:
    return ", ".join(sorted(REGISTRY))


def _leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1]


PLATEAU = ("ReduceLROnPlateau follows a metric, not the step, and has no schedule config; in JAX it is "
           "warmup_jax.plateau.reduce_lr_on_plateau")


LIBRARY_ALIASES = {"pytorch": "torch", "tf": "keras", "tensorflow": "keras", "hf": "transformers"}
"""A library's other spellings in a name (``pytorch.StepLR``, ``tf.keras...``) -> its prefix here."""


def _hf_scheduler_types() -> Mapping[str, str]:
    """HF's ``lr_scheduler_type`` -> its port: the table that the registered
    ``transformers.get_scheduler`` port checks its ``name`` with (read from that port's
    module, which registering it imported; the registry imports no port)."""
    port = REGISTRY.get("transformers.get_scheduler")
    table = getattr(sys.modules.get(port.__module__), "SCHEDULER_TYPES", None) if port is not None else None
    return table if isinstance(table, Mapping) else {}


def suggestions(name: str) -> list[str]:
    """Registered names close to ``name``: the same name under its library's prefix (``StepLR``,
    ``pytorch.StepLR``, ``torch.optim.lr_scheduler.StepLR`` -> ``torch.StepLR``), HF's
    ``lr_scheduler_type`` (``"cosine"``, a ``SchedulerType``) -> its ``transformers.*`` port,
    else the closest spellings, in the library the name gives first (:mod:`difflib`)."""
    hf = _hf_scheduler_types()
    names = list(REGISTRY)
    leaf = _leaf(name)
    first = name.split(".", 1)[0]
    lib = LIBRARY_ALIASES.get(first.lower(), first) if "." in name else None
    in_lib = [n for n in names if lib is not None and n.startswith(lib + ".")]
    same_leaf = [n for n in names if _leaf(n) == leaf] or [n for n in names if _leaf(n).lower() == leaf.lower()]
    found = [hf[name]] if name in hf else []
    found += ([n for n in same_leaf if n in in_lib]
              or difflib.get_close_matches(f"{lib}.{leaf}", in_lib, n=3, cutoff=0.6)
              or same_leaf
              or difflib.get_close_matches(name, names, n=3, cutoff=0.6))
    if not found:
        by_leaf = {_leaf(n).lower(): n for n in names}
        found = [by_leaf[m] for m in difflib.get_close_matches(leaf.lower(), list(by_leaf), n=3, cutoff=0.6)]
    return list(dict.fromkeys(found))


def _hint(name: str) -> str:
    if _leaf(name).lower() in ("reducelronplateau", "reduce_lr_on_plateau"):
        return f" ({PLATEAU})"
    close = suggestions(name)
    if name in _hf_scheduler_types():
        also = "".join(f" or {n!r}" for n in close[1:])
        return (f" ({name!r} is HF's lr_scheduler_type: did you mean {close[0]!r}, i.e. "
                f"{{'schedule': 'transformers.get_scheduler', 'name': {name!r}, ...}}{also}?)")
    return " (did you mean " + " or ".join(map(repr, close)) + "?)" if close else ""


def unknown_name(name: Any) -> ValueError:
    """The error for a schedule name that is not registered, with the names it may mean."""
    if isinstance(name, enum.Enum) and isinstance(name.value, str):  # transformers' SchedulerType
        name = name.value
    hint = _hint(name) if isinstance(name, str) else ""
    return c.fail("config", "schedule", name, f"one of the schedule names{hint}: " + _names())


def spec_from_config(cfg: Mapping[str, Any] | ScheduleSpec) -> ScheduleSpec:
    """Builds (and so validates) the spec a config describes.

    Example:
        >>> spec_from_config({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 10})
        WarmupConstant(peak_value=0.1, warmup_steps=10, init_value=0.0, warmup_shape='linear')
    """
    if isinstance(cfg, ScheduleSpec):
        return cfg
    if not isinstance(cfg, Mapping):
        raise c.fail("config", "cfg", cfg, MAPPING)
    if "schedule" not in cfg:
        raise ValueError("config: missing key 'schedule'; expected one of " + _names())
    name = cfg["schedule"]
    if not isinstance(name, str) or name not in REGISTRY:
        raise unknown_name(name)
    cls = REGISTRY[name]
    fields = _fields(cls)
    valid = {f.name for f in fields}
    params = {k: v for k, v in cfg.items() if k != "schedule"}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ValueError(f"{name}: unknown parameter {unknown[0]!r}; valid parameters: " + ", ".join(sorted(valid)))
    required = [f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [k for k in required if k not in params]
    if missing:
        raise ValueError(f"{name}: missing required parameter {missing[0]!r}; required: " + ", ".join(required))
    return cls(**params)


def spec_to_config(spec: ScheduleSpec) -> dict[str, Any]:
    """The config of ``spec`` (JSON-serialisable; ``ValueError`` if a base is a user function)."""

    def conv(v: Any) -> Any:
        if isinstance(v, ScheduleSpec):
            return spec_to_config(v)
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if callable(v):
            raise ValueError(f"{spec.schedule}: a user function {v!r} has no config; use a spec as base")
        return v

    return {"schedule": spec.schedule, **{k: conv(v) for k, v in spec.params().items()}}


def schedule_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The schedule config in ``cfg``: ``cfg`` itself, or a run config's ``[schedule]`` table
    (a run config is taken wherever a schedule config is): a mapping that names its schedule
    (``{"schedule": NAME, ...}``), so ``{"schedule": {"a": 1}}`` stays a schedule config whose
    ``schedule`` is invalid, the same error in every front end."""
    inner = cfg.get("schedule")
    return dict(inner) if isinstance(inner, Mapping) and "schedule" in inner else dict(cfg)


def spec_of(schedule: Any) -> ScheduleSpec:
    """The spec of a spec, a host ``Schedule``, a config mapping, a JSON string or the path
    of a ``.json``/``.toml`` file, a schedule config or a run config (its ``[schedule]``)
    (validated; anything else is a ``ValueError``)."""
    if isinstance(schedule, ScheduleSpec):
        return schedule
    if isinstance(schedule, Specified):
        return schedule.spec
    if isinstance(schedule, (Mapping, str, os.PathLike)):
        return spec_from_config(schedule_config(load_config(schedule)))
    raise c.fail("config", "cfg", schedule, MAPPING)


class Base(c.Check):
    """A combinator's base (:func:`base_of`), as a field's check."""

    @property
    def text(self) -> str:
        return BASE

    def __call__(self, schedule: str, name: str, value: Any) -> Any:
        return base_of(schedule, name, value)


BASE = "a schedule spec, a schedule config or a callable step -> lr"


def base_of(schedule: str, name: str, base: Any) -> Any:
    """A combinator's base, coerced: a spec for a spec, a ``Schedule`` or a config mapping;
    a user's callable stays as it is; anything else is the library's ``ValueError``."""
    if isinstance(base, (ScheduleSpec, Specified, Mapping)):
        return spec_of(base)
    if callable(base):
        return base
    raise c.fail(schedule, name, base, BASE)
