"""A piece held over stairs: the value of ``node`` at the first step of each stair of
``every`` steps, ``node(every * floor(x / every))`` at local step ``x`` (Keras
``InverseTimeDecay(staircase=True)``, the cycle factor of Keras ``PolynomialDecay(cycle=True)``).

The sampled step is computed on the integer step (exact, no overflow: it is never above
the step itself) and the inner piece is evaluated there by its own closed and array forms,
so the stairs are exactly as accurate as the piece.
"""

from __future__ import annotations

from warmup_spec._array_ops import ArrayOps
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Node, Within


class Stairs(Node):
    """``node(every * floor(x / every))`` at local step ``x``: ``node`` sampled at the start
    of every stair of ``every`` steps and held over the stair.

    Args:
        node: the piece sampled (evaluated on the same clock).
        every: the length of a stair, an integer ``>= 1`` (1: ``node`` itself).
        label: what the piece is; a diagnosis names its end ``"end of <label>"``.
    """

    def __init__(self, node: Node, every: int, *, label: str = "") -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"Stairs: every={every!r} is invalid; expected an integer >= 1")
        self.node, self.every, self.label = node, every, label

    def closed(self, offset: int = 0) -> ClosedForm:
        f, n = self.node.closed(offset), self.every
        if n == 1:
            return f
        return lambda t: f(offset + (t - offset) // n * n)

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        n = self.every
        if n == 1:
            return self.node.array(ops, offset, within)
        f, zeros = self.node.array(ops, offset), ops.xp.zeros_like  # sampled steps lie before `within`

        def value(t):
            x = t - offset if offset else t
            # floor division: a masked step before the offset samples below it, never above t; a stair
            # longer than the range of t's integer dtype is the first stair at every step
            s = x // n * n if ops.fits(t, n) else zeros(x)
            return f(s + offset if offset else s)

        return value

    @property
    def end(self) -> int | None:
        """The first stair start at or after the piece's own end (held from there on)."""
        e = self.node.end
        return None if e is None else -(-e // self.every) * self.every

    def events(self) -> list[tuple[int, str]]:
        return []  # every stair is an intended jump

    def open_horizon(self) -> tuple[int, str]:
        h, how = self.node.open_horizon()
        return -(-h // self.every) * self.every, how
