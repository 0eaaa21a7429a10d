"""The user's ``mapping`` and ``converters``, checked and compiled (see :mod:`warmup_parity.twin`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from warmup_parity.twin.layouts import Converters

__all__ = ["compile_converters", "compile_mapping"]


def compile_mapping(who: str, mapping: Mapping[str, str] | None) -> list[tuple[str, re.Pattern[str], str]]:
    if mapping is None:
        return []
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{who}: mapping={mapping!r} is invalid; expected a {{flax path regex: torch name}} mapping "
                         "or None")
    out = []
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"{who}: mapping={{{key!r}: {value!r}}} is invalid; expected "
                             "{flax path regex: torch name} strings")
        try:
            out.append((key, re.compile(key), value))
        except re.error as e:
            raise ValueError(f"{who}: mapping key {key!r} is invalid; expected a regular expression ({e})") from None
    return out


def compile_converters(who: str, converters: Converters | None) -> list[tuple[str, re.Pattern[str], Any]]:
    if converters is None:
        return []
    out = []
    for key, value in converters.items():
        ok = isinstance(key, str) and isinstance(value, tuple) and len(value) == 3 and callable(value[1]) \
            and callable(value[2]) and not isinstance(value[0], str) and isinstance(value[0], Sequence) \
            and all(isinstance(t, str) for t in value[0]) and len(value[0]) > 0
        if not ok:
            raise ValueError(f"{who}: converters={{{key!r}: {value!r}}} is invalid; expected {{flax variable regex: "
                             "([torch name templates], to_torch, to_flax)}")
        try:
            out.append((key, re.compile(key), value))
        except re.error as e:
            raise ValueError(f"{who}: converters key {key!r} is invalid; expected a regular expression ({e})") \
                from None
    return out

