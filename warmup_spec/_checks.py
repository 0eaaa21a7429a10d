"""The one place where parameter values are checked.

A definition declares each parameter's own range on its field, as a check object
(:class:`Number`, :class:`Integer`, :class:`Choice`, :class:`Flag`, ...) given to
:func:`warmup_spec.definition.arg`; the base class runs them at construction, and the
docstring's ``Args:`` shows what each accepts (:attr:`Check.text`). Ranges that depend on
other parameters are checked in the definition's ``validate()`` with the functions below.
Either way ``warmup_jax`` and ``warmup_torch`` raise the same ``ValueError`` text for the
same mistake: ``"<schedule>: <param>=<value> is invalid; expected <what is allowed>"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from dataclasses import dataclass
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
    schedule: str, name: str, value: Any, lo: int | None = 0, *, lo_text: str | None = None
) -> int:
    """Checks an integer (not a bool, not a float) ``>= lo`` (any integer if ``lo`` is None);
    returns it as int.

    ``lo_text`` names the bound when it comes from another parameter, e.g.
    ``"> warmup_steps (100)"``.
    """
    bound = lo_text if lo_text is not None else "" if lo is None else f">= {lo}"
    expected = f"an integer {bound}".rstrip()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(schedule, name, value, expected)
    n = int(value)
    if lo is not None and n < lo:
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


# --- the checks a field declares (warmup_spec.definition.arg) ------------------------


class Check:
    """A parameter's own range: ``check(schedule, name, value)`` returns the value as stored
    (an int as a float for a number) or raises :func:`fail`'s error; :attr:`text` is what it
    accepts, the same words in the error and in the docstring's ``Args:``."""

    @property
    def text(self) -> str:
        raise NotImplementedError

    def __call__(self, schedule: str, name: str, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Check):
    """A finite real number in ``[lo, hi]`` (an end open with ``lo_open``/``hi_open``, absent
    if None): :func:`number`."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    @property
    def text(self) -> str:
        return ("a finite number " + _range_text(self.lo, self.lo_open, self.hi, self.hi_open)).rstrip()

    def __call__(self, schedule: str, name: str, value: Any) -> float:
        return number(schedule, name, value, self.lo, self.hi, lo_open=self.lo_open, hi_open=self.hi_open)


@dataclass(frozen=True)
class NumberOr(Check):
    """``exact`` or a finite number in ``[lo, hi]``: :func:`number_or`."""

    exact: float
    lo: float
    hi: float

    @property
    def text(self) -> str:
        return f"{self.exact!r} or a finite number in [{self.lo!r}, {self.hi!r}]"

    def __call__(self, schedule: str, name: str, value: Any) -> float:
        return number_or(schedule, name, value, self.exact, self.lo, self.hi)


@dataclass(frozen=True)
class Integer(Check):
    """An integer ``>= lo`` (any integer if ``lo`` is None): :func:`integer`."""

    lo: int | None = 0

    @property
    def text(self) -> str:
        return "an integer" if self.lo is None else f"an integer >= {self.lo}"

    def __call__(self, schedule: str, name: str, value: Any) -> int:
        return integer(schedule, name, value, self.lo)


@dataclass(frozen=True)
class Choice(Check):
    """One of the ``options`` strings: :func:`choice`."""

    options: tuple[str, ...]

    @property
    def text(self) -> str:
        return "one of " + ", ".join(repr(a) for a in self.options)

    def __call__(self, schedule: str, name: str, value: Any) -> str:
        return choice(schedule, name, value, self.options)


@dataclass(frozen=True)
class Flag(Check):
    """``True`` or ``False``: :func:`flag`."""

    @property
    def text(self) -> str:
        return "True or False"

    def __call__(self, schedule: str, name: str, value: Any) -> bool:
        return flag(schedule, name, value)


@dataclass(frozen=True)
class OrNone(Check):
    """None, or what ``inner`` accepts (its error when neither)."""

    inner: Check

    @property
    def text(self) -> str:
        return f"None or {self.inner.text}"

    def __call__(self, schedule: str, name: str, value: Any) -> Any:
        return None if value is None else self.inner(schedule, name, value)


@dataclass(frozen=True)
class ListOf(Check):
    """A list (or tuple) of at least ``min_len`` items, each checked by ``item`` as
    ``name[k]``, stored as a tuple; ``expected`` is what the error says of the list."""

    item: Check
    expected: str
    min_len: int = 0

    @property
    def text(self) -> str:
        return self.expected

    def __call__(self, schedule: str, name: str, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, (list, tuple)) or len(value) < self.min_len:
            raise fail(schedule, name, value, self.expected)
        return tuple(self.item(schedule, f"{name}[{k}]", v) for k, v in enumerate(value))
