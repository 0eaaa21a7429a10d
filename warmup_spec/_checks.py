"""The one place where parameter values are checked.

Every schedule spec validates itself in ``__post_init__`` with these helpers, so
``warmup_jax`` and ``warmup_torch`` raise the same ``ValueError`` text for the same
mistake: ``"<schedule>: <param>=<value> is invalid; expected <what is allowed>"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from typing import Any


def fail(schedule: str, name: str, value: Any, expected: str) -> ValueError:
    """Builds the library's one error message (returned, so callers ``raise`` it)."""
    return ValueError(f"{schedule}: {name}={value!r} is invalid; expected {expected}")


def _range_text(lo: float | None, lo_open: bool, hi: float | None, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"in {'(' if lo_open else '['}{lo!r}, {hi!r}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo!r}"
    if hi is not None:
        return f"{'<' if hi_open else '<='} {hi!r}"
    return ""


def _real(schedule: str, name: str, value: Any, expected: str) -> float:
    """``value`` as a float if it is a real number (not a bool), else the library's error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(schedule, name, value, expected)
    return float(value)


def number(
    schedule: str,
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    suffix: str = "",
) -> float:
    """Checks a finite real number within ``[lo, hi]`` (or open ends); returns it as float.

    ``suffix`` says when the range applies (``" with warmup_shape='exponential'"``).
    """
    expected = ("a finite number " + _range_text(lo, lo_open, hi, hi_open)).rstrip() + suffix
    x = _real(schedule, name, value, expected)
    if not math.isfinite(x):
        raise fail(schedule, name, value, expected)
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise fail(schedule, name, value, expected)
    if hi is not None and (x > hi or (hi_open and x == hi)):
        raise fail(schedule, name, value, expected)
    return x


def number_or(schedule: str, name: str, value: Any, exact: float, lo: float, hi: float) -> float:
    """Checks a finite real number equal to ``exact`` or within ``[lo, hi]``; returns it as float."""
    expected = f"{exact!r} or a finite number in [{lo!r}, {hi!r}]"
    x = _real(schedule, name, value, expected)
    if not (x == exact or lo <= x <= hi):  # NaN and inf fail both
        raise fail(schedule, name, value, expected)
    return x


def integer(
    schedule: str, name: str, value: Any, lo: int = 0, *, lo_text: str | None = None
) -> int:
    """Checks an integer (not a bool, not a float) ``>= lo``; returns it as int.

    ``lo_text`` names the bound when it comes from another parameter, e.g.
    ``"> warmup_steps (100)"``.
    """
    expected = f"an integer {lo_text if lo_text is not None else f'>= {lo}'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(schedule, name, value, expected)
    n = int(value)
    if n < lo:
        raise fail(schedule, name, value, expected)
    return n


def choice(schedule: str, name: str, value: Any, allowed: Collection[str]) -> str:
    """Checks that ``value`` is one of the ``allowed`` strings."""
    if not isinstance(value, str) or value not in allowed:
        raise fail(schedule, name, value, "one of " + ", ".join(repr(a) for a in allowed))
    return value


def flag(schedule: str, name: str, value: Any) -> bool:
    """Checks a bool (``True``/``False`` only, not 0/1)."""
    if not isinstance(value, bool):
        raise fail(schedule, name, value, "True or False")
    return value
