"""The config edge: ``{"schedule": NAME, **params}`` <-> spec.

Strings exist only here. A config may come from Python, JSON or TOML; combinators
take nested configs for ``base``/``schedules``. Unknown names and keys raise
``ValueError`` listing the valid ones.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from typing import Any, Mapping

from warmup_spec import _checks as c
from warmup_spec.specs import SPECS, Join, ScheduleSpec

REGISTRY: dict[str, type[ScheduleSpec]] = {cls.name: cls for cls in SPECS}
"""Schedule name -> spec class."""

_NESTED = {"base"}
_MAPPING = 'a mapping {"schedule": NAME, **parameters}'


def _fields(cls: type[ScheduleSpec]) -> list[dataclasses.Field]:
    return list(dataclasses.fields(cls))  # type: ignore[arg-type]


def spec_from_config(cfg: Mapping[str, Any] | ScheduleSpec) -> ScheduleSpec:
    """Builds (and so validates) the spec a config describes.

    Example:
        >>> spec_from_config({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 10})
        WarmupConstant(peak_value=0.1, warmup_steps=10, init_value=0.0, warmup_shape='linear')
    """
    if isinstance(cfg, ScheduleSpec):
        return cfg
    if not isinstance(cfg, Mapping):
        raise c.fail("config", "cfg", cfg, _MAPPING)
    if "schedule" not in cfg:
        raise ValueError(
            "config: missing key 'schedule'; expected one of " + ", ".join(sorted(REGISTRY))
        )
    name = cfg["schedule"]
    if not isinstance(name, str) or name not in REGISTRY:
        raise c.fail("config", "schedule", name, "one of " + ", ".join(sorted(REGISTRY)))
    cls = REGISTRY[name]
    fields = _fields(cls)
    valid = {f.name for f in fields}
    params = {k: v for k, v in cfg.items() if k != "schedule"}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ValueError(
            f"{name}: unknown parameter {unknown[0]!r}; valid parameters: "
            + ", ".join(sorted(valid))
        )
    missing = [
        f.name
        for f in fields
        if f.name not in params
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING  # type: ignore[misc]
    ]
    if missing:
        raise ValueError(
            f"{name}: missing required parameter {missing[0]!r}; required: "
            + ", ".join(f.name for f in fields if f.default is dataclasses.MISSING)
        )
    for key in _NESTED & set(params):
        if isinstance(params[key], Mapping):
            params[key] = spec_from_config(params[key])
    if cls is Join and isinstance(params.get("schedules"), (list, tuple)):
        params["schedules"] = [
            spec_from_config(s) if isinstance(s, Mapping) else s for s in params["schedules"]
        ]
    return cls(**params)


def spec_to_config(spec: ScheduleSpec) -> dict[str, Any]:
    """The config of ``spec`` (JSON-serialisable unless a base is a user function)."""

    def conv(v: Any) -> Any:
        if isinstance(v, ScheduleSpec):
            return spec_to_config(v)
        if isinstance(v, tuple):
            return [conv(x) for x in v]
        if callable(v):
            raise ValueError(
                f"{spec.name}: a user function {v!r} has no config; use a spec as base"
            )
        return v

    return {"schedule": spec.name, **{k: conv(v) for k, v in spec.params().items()}}


def load_config(source: str | os.PathLike | Mapping[str, Any]) -> dict[str, Any]:
    """Reads a config from a mapping, a ``.json``/``.toml`` file, or a JSON string."""
    if isinstance(source, Mapping):
        return dict(source)
    if not isinstance(source, (str, os.PathLike)):  # the same error as spec_from_config's
        raise c.fail("config", "cfg", source, _MAPPING)
    text_or_path = os.fspath(source)
    if os.path.exists(text_or_path):
        if text_or_path.endswith(".toml"):
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # pragma: no cover
                import tomli as tomllib
            with open(text_or_path, "rb") as f:
                return dict(tomllib.load(f))
        with open(text_or_path, encoding="utf-8") as f:
            return dict(json.load(f))
    try:
        parsed = json.loads(text_or_path)
    except json.JSONDecodeError:
        raise c.fail("config", "source", text_or_path, "a mapping, a JSON string or a path to a .json/.toml file") from None
    if not isinstance(parsed, Mapping):
        raise c.fail("config", "cfg", parsed, _MAPPING)
    return dict(parsed)
