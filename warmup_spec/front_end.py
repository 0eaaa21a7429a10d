"""Front ends: a schedule definition's own signature carried to the function that builds a
framework's schedule (or scheduler) from it.

A definition (:mod:`warmup_spec.catalogue`) is a frozen dataclass; its constructor is the
schedule's typed signature. :func:`front_end` and :func:`scheduler_front_end` pass that
signature through a ``ParamSpec``, so a front end is one line in the package that offers
it::

    warmup_cosine_decay = front_end(C.WarmupCosineDecay, build, __name__, returns="An Optax schedule ...")
    warmup_cosine_decay = scheduler_front_end(C.WarmupCosineDecay, ScheduleLR, __name__, returns="...")

and type checkers see the definition's parameters (mypy flags a misspelled keyword, a
shape string that does not exist, a keyword-only parameter given by position);
``inspect.signature`` and ``help()`` show them with the definition's docstring (its
``Returns:`` the front end's). Nothing is generated: adding a schedule adds one line to
each front-end module.

The docstring example of a definition runs in every front end:
``parity_tests/test_front_ends.py`` runs it through each.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from warmup_spec.definition import ScheduleSpec

__all__ = ["front_end", "scheduler_front_end"]

P = ParamSpec("P")
R = TypeVar("R")
O = TypeVar("O")  # noqa: E741  (the optimizer type of the framework)

SCHEDULER_EXAMPLE = (
    "Example:\n    The lrs it sets: ``f(k)`` for the ``k``-th ``optimizer.step()``, where ``f`` is the\n"
    "    float64 schedule of the same name and arguments:\n\n"
)


def front_end(definition: Callable[P, ScheduleSpec], build: Callable[[ScheduleSpec], R], module: str, *,
              returns: str) -> Callable[P, R]:
    """The function ``name(*params) -> build(Definition(*params))``, typed as the definition.

    Args:
        definition: the definition class (its fields are the parameters).
        build: turns the validated spec into the framework's schedule.
        module: the ``__name__`` of the module that offers the front end (for pickling,
            ``help()`` and error messages).
        returns: the ``Returns:`` text of its docstring.

    Returns:
        The front end, named after the definition's ``name``.

    Example:
        >>> from warmup_spec.catalogue import WarmupConstant
        >>> from warmup_spec.schedule import Schedule
        >>> f = front_end(WarmupConstant, Schedule, __name__, returns="A Schedule.")
        >>> f.__name__, list(inspect.signature(f).parameters)
        ('warmup_constant', ['peak_value', 'warmup_steps', 'init_value', 'warmup_shape'])
        >>> f(0.1, warmup_steps=2)(1)
        0.05
    """

    def make(*args: P.args, **kwargs: P.kwargs) -> R:
        return build(definition(*args, **kwargs))

    return _describe(make, definition, module, returns, _returned(build), first=None)


def scheduler_front_end(definition: Callable[P, ScheduleSpec], build: Callable[[O, ScheduleSpec], R], module: str,
                        *, returns: str) -> Callable[Concatenate[O, P], R]:
    """The function ``name(optimizer, *params) -> build(optimizer, Definition(*params))``:
    :func:`front_end` with the optimizer in front (``Concatenate[O, P]``).

    Args:
        definition: the definition class.
        build: ``(optimizer, spec) -> scheduler`` (a scheduler class taking both).
        module: the ``__name__`` of the module that offers the front end.
        returns: the ``Returns:`` text of its docstring.

    Returns:
        The front end; its docstring and signature are the definition's with ``optimizer``
        first.
    """

    def make(optimizer: O, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return build(optimizer, definition(*args, **kwargs))

    first = inspect.signature(build).parameters.get("optimizer")
    optimizer = inspect.Parameter("optimizer", inspect.Parameter.POSITIONAL_ONLY,
                                  annotation=inspect.Parameter.empty if first is None else first.annotation)
    return _describe(make, definition, module, returns, _returned(build), first=optimizer)


def _returned(build: Callable[..., object]) -> object:
    """What ``build`` returns, for the signature: the class itself, or its annotation."""
    return build if isinstance(build, type) else inspect.signature(build).return_annotation


def _describe(fn: Callable[..., R], definition: Callable[..., ScheduleSpec], module: str, returns: str,
              returned: object, first: inspect.Parameter | None) -> Callable[..., R]:
    """Names ``fn`` after the definition and gives it the definition's signature and docstring."""
    name: str = getattr(definition, "schedule")  # noqa: B009  (a ClassVar of every definition)
    params = list(inspect.signature(definition).parameters.values())
    fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        ([first] if first is not None else []) + params, return_annotation=returned
    )
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = module
    fn.__doc__ = _docstring(definition, returns, first)
    return fn


def _docstring(definition: Callable[..., ScheduleSpec], returns: str, first: inspect.Parameter | None) -> str:
    """The definition's docstring with ``returns`` as its ``Returns:`` section (before the
    example), and ``optimizer`` as its first argument for a scheduler."""
    doc = inspect.cleandoc(definition.__doc__ or "")
    if first is not None:
        doc = doc.replace("Args:\n", "Args:\n    optimizer: the wrapped optimizer.\n", 1)
        doc = doc.replace("Example:\n", SCHEDULER_EXAMPLE, 1)
    section = f"Returns:\n    {returns}\n\n"
    for anchor in ("Example:", "References:"):
        if anchor in doc:
            return doc.replace(anchor, section + anchor, 1)
    return doc + "\n\n" + section.rstrip()
