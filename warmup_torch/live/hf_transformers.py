"""Placeholder: filled by its port."""

from __future__ import annotations

from typing import Any


def config_of(scheduler: Any) -> dict[str, Any] | list[dict[str, Any]] | None:
    return None
