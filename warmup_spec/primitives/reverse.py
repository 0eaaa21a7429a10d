"""A piece played backwards: ``node(length - x)`` over ``[0, length]``.

HF transformers' ``"1-sqrt"`` warmup (``get_wsd_schedule``) is ``1 - sqrt(1 - u)``: the
mirror image of the ``1-sqrt`` decay ``1 - sqrt(u)``. Written as ``1 - sqrt(rem / L)`` it
cancels in float32 near its start (1e-4 relative a few steps in); played backwards,
:class:`~warmup_spec.primitives.Interp`'s ``1-sqrt`` shape computes it as
``u / (1 + sqrt(1 - u))`` from the exact integer distances, without cancellation.
"""

from __future__ import annotations

from warmup_spec._array_ops import ArrayOps
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Node, Within


class Reverse(Node):
    """``node(length - x)`` at local step ``x``, ``x`` clipped to ``[0, length]``: ``node(length)``
    before, ``node(0)`` from ``length`` on (held).

    ``node`` is evaluated on its own clock within ``[0, length]`` only.
    """

    def __init__(self, node: Node, length: int, *, label: str = "") -> None:
        if not (isinstance(length, int) and length >= 1):
            raise ValueError(f"Reverse: length={length!r} is invalid; expected an integer >= 1")
        self.node, self.length, self.label = node, length, label

    def closed(self, offset: int = 0) -> ClosedForm:
        f, L = self.node.closed(0), self.length

        def value(t: int) -> float:
            x = t - offset
            return f(L - (0 if x < 0 else (L if x > L else x)))

        return value

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        f, L = self.node.array(ops, 0, (0, self.length)), self.length
        return lambda t: f((offset + L) - ops.clip_step(t, offset, offset + L))

    @property
    def end(self) -> int | None:
        return self.length

    def events(self) -> list[tuple[int, str]]:
        return [(self.length, f"end of {self.label}")] if self.label else []
