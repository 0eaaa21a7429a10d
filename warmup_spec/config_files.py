"""Reading a config: a mapping, a ``.json``/``.toml`` file, or a JSON string."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from warmup_spec import _checks as c

_MAPPING = 'a mapping {"schedule": NAME, **parameters}'


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
        raise c.fail(
            "config", "source", text_or_path, "a mapping, a JSON string or a path to a .json/.toml file"
        ) from None
    if not isinstance(parsed, Mapping):
        raise c.fail("config", "cfg", parsed, _MAPPING)
    return dict(parsed)
