"""The base of every primitive: a piece of schedule with a float64 closed form, an array
form and the facts a diagnosis needs.

A node is evaluated on the GLOBAL step ``t``; its own clock starts at ``offset`` (a
:class:`~warmup_spec.primitives.Join` places each piece at its boundary by building it
with that offset). Building with the offset, instead of shifting the step, keeps the
array forms exactly as short as hand-written ones: a decay after a ``w``-step warmup
clips ``t`` to ``[w, T]`` directly rather than computing ``t - w`` first.

- :meth:`Node.closed` returns ``t -> float`` for a Python ``int`` ``t >= offset``, in
  float64, with the step arithmetic done on exact integers;
- :meth:`Node.array` returns ``t -> array`` over an :class:`~warmup_spec._array_ops.ArrayOps`
  namespace (``jax.numpy`` or ``numpy``), for any integer array ``t`` (values before
  ``offset`` are computed without warnings, and masked by the caller);
- :attr:`Node.end` is the local step from which the value is held forever (``None``:
  never), :meth:`Node.events` the local steps a diagnosis checks for jumps, and
  :meth:`Node.open_horizon` how far to look at a piece that never ends.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

from warmup_spec._array_ops import ArrayOps

Array = Any
ClosedForm = Callable[[int], float]
ArrayForm = Callable[[Array], Array]
Within = tuple[int, int | None] | None
"""The global steps ``(first, last)`` (``last`` None: unbounded) at which a composition
uses a piece's values; a piece may skip work for the steps outside (never its clipping:
values outside are computed, masked, and must stay finite and warning-free)."""

STEP_CAP = 2**100
"""Steps beyond this are evaluated at it by the pieces that never end, so that no step
gives ``inf``/``NaN`` or an ``OverflowError``."""


class Node(abc.ABC):
    """A schedule piece; see the module docstring."""

    label: str = ""
    """What the piece is ("warmup", "decay", ...): names its end in a diagnosis."""

    @abc.abstractmethod
    def closed(self, offset: int = 0) -> ClosedForm:
        """``t -> float`` (float64) for Python ints ``t >= offset``."""

    @abc.abstractmethod
    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        """``t -> array`` over ``ops`` for integer arrays ``t`` (``within``: see :data:`Within`)."""

    @property
    @abc.abstractmethod
    def end(self) -> int | None:
        """The local step from which the value is held forever; ``None`` if it never is."""

    def events(self) -> list[tuple[int, str]]:
        """``(local step, kind)`` of the places a diagnosis checks for jumps."""
        end = self.end
        return [(end, f"end of {self.label}")] if self.label and end else []

    def open_horizon(self) -> tuple[int, str]:
        """How many local steps show a piece that never ends, and the rule that chose it."""
        return 10_000, "10000 steps"

    def first_at_least(self, value: float) -> int | None:
        """The first local step whose value is ``>= value`` when the piece only grows, else None."""
        return None


def reach(node: Node) -> int:
    """How far a piece must be shown: its end, or its open horizon when it never ends."""
    end = node.end
    return end if end is not None else node.open_horizon()[0]


class Described(Node):
    """``inner`` with the facts its primitives cannot tell, given by a definition: the
    events a diagnosis checks, or the horizon that shows it when it never ends.

    Evaluation is ``inner``'s own (no extra call); the facts travel with the composition
    when it is nested in another (a warmup before ``noam`` keeps noam's horizon).
    """

    def __init__(
        self, inner: Node, *, events: list[tuple[int, str]] | None = None, horizon: tuple[int, str] | None = None
    ) -> None:
        self.inner, self._events, self._horizon = inner, events, horizon

    def closed(self, offset: int = 0) -> ClosedForm:
        return self.inner.closed(offset)

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        return self.inner.array(ops, offset, within)

    @property
    def end(self) -> int | None:
        return self.inner.end

    def events(self) -> list[tuple[int, str]]:
        return self.inner.events() if self._events is None else list(self._events)

    def open_horizon(self) -> tuple[int, str]:
        return self.inner.open_horizon() if self._horizon is None else self._horizon


class UserFn(Node):
    """A user's own ``step -> lr`` function, called on its own clock ``t - offset``.

    Its closed form calls it with a Python int; its array form with an integer array
    (it must be traceable for JAX) and casts the result to the float dtype.
    """

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def closed(self, offset: int = 0) -> ClosedForm:
        fn = self.fn
        if offset == 0:
            return lambda t: float(fn(t))
        return lambda t: float(fn(t - offset))

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        fn = self.fn
        if offset == 0:
            return lambda t: ops.xp.asarray(fn(t)).astype(ops.float_dtype())
        return lambda t: ops.xp.asarray(fn(ops.xp.maximum(t - offset, 0))).astype(ops.float_dtype())

    @property
    def end(self) -> int | None:
        return None

    def open_horizon(self) -> tuple[int, str]:
        return 10_000, "10000 steps (a user function)"
