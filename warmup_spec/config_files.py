"""Reading a config: the one place, with errors that say exactly what is wrong.

A config is a mapping, an inline JSON object (a string that starts with ``{``), or the
path of a ``.json`` or ``.toml`` file (any other string, and any ``os.PathLike``). Every
mistake is a ``ValueError`` in the library's one format (``"config: ..."``), the same from
``from_config`` in Python and from the ``warmup-parity`` command:

- a path that does not exist: ``config: file not found: PATH``;
- an extension other than ``.json``/``.toml``: names it and lists the accepted ones;
- a file or an inline JSON that does not parse: names the file, the line and the column;
- a file or a JSON that holds something else than a mapping: says what it holds.

Example:
    >>> load_config('{"schedule": "warmup_constant", "peak_value": 0.1}')
    {'schedule': 'warmup_constant', 'peak_value': 0.1}
    >>> load_config("no/such/recipe.toml")
    Traceback (most recent call last):
    ...
    ValueError: config: file not found: no/such/recipe.toml
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from warmup_spec import _checks as c

__all__ = ["EXTENSIONS", "MAPPING", "load_config", "parse_text", "read_file"]

MAPPING = 'a mapping {"schedule": NAME, **parameters}'
EXTENSIONS = (".json", ".toml")


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


def _kind(value: Any) -> str:
    """What a parsed document holds, in a user's words."""
    names = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean",
             type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _mapping(parsed: Any, where: str) -> dict[str, Any]:
    if not isinstance(parsed, Mapping):
        raise ValueError(f"config: {where} holds {_kind(parsed)}; expected {MAPPING}")
    return dict(parsed)


def parse_text(text: str, where: str = "the inline JSON config") -> dict[str, Any]:
    """Parses an inline JSON object (``where`` names it in errors)."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"config: cannot parse {where}: line {err.lineno}, column {err.colno}: {err.msg}") from None
    return _mapping(parsed, where)


def read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a ``.json`` or ``.toml`` file holding a mapping."""
    p = os.fspath(path)
    ext = os.path.splitext(p)[1].lower()
    if ext not in EXTENSIONS:
        got = f"extension {ext!r}" if ext else "no extension"
        raise ValueError(f"config: {p} has {got}; expected a .json or .toml file")
    if not os.path.exists(p):
        raise ValueError(f"config: file not found: {p}")
    if os.path.isdir(p):
        raise ValueError(f"config: {p} is a folder; expected a .json or .toml file")
    try:
        with open(p, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ValueError(f"config: cannot read {p}: {err.strerror}") from None
    if ext == ".toml":
        tomllib = _toml()
        try:
            parsed: Any = tomllib.loads(data.decode("utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"config: cannot parse {p}: {err}") from None
        except UnicodeDecodeError as err:
            raise ValueError(f"config: cannot parse {p}: not UTF-8 text ({err.reason})") from None
        return _mapping(parsed, p)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"config: cannot parse {p}: not UTF-8 text ({err.reason})") from None
    return parse_text(text, p)


def load_config(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """A config from a mapping, an inline JSON object, or a ``.json``/``.toml`` file path.

    A string that starts with ``{`` (after spaces) is inline JSON; any other string is a
    path. See the module docstring for the errors.
    """
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, os.PathLike):
        return read_file(source)
    if not isinstance(source, str):
        raise c.fail("config", "cfg", source, MAPPING + ", a JSON object or the path of a .json/.toml file")
    if source.lstrip().startswith("{"):
        return parse_text(source)
    if not source.strip():
        raise ValueError("config: an empty string; expected a JSON object or the path of a .json/.toml file")
    return read_file(source)
