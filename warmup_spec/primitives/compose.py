"""Composition: pieces joined at boundaries, scaled, multiplied, or the smaller of two."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from warmup_spec._array_ops import ArrayOps
from warmup_spec.primitives._node import ArrayForm, ClosedForm, Node, Within, reach
from warmup_spec.primitives.interp import Constant
from warmup_spec.primitives.power import PowerLaw


class Join(Node):
    """``pieces[k]`` from ``boundaries[k - 1]`` on (optax ``join_schedules``).

    With ``shift=True`` (optax's semantics) each piece runs on its own clock, starting at
    its boundary; with ``shift=False`` every piece reads the same clock (a piecewise
    definition of one curve). A piece whose range is empty is dropped.

    Args:
        pieces: the nodes, one more than ``boundaries``.
        boundaries: increasing local steps (equal ones leave a piece empty).
        labels: what each boundary is ("end of warmup", ...); default "join boundary k".
        shift: whether each piece starts its own clock at its boundary.
    """

    def __init__(
        self, pieces: Sequence[Node], boundaries: Sequence[int], labels: Sequence[str] | None = None,
        *, shift: bool = True,
    ) -> None:
        if len(pieces) != len(boundaries) + 1:
            raise ValueError(f"Join: {len(pieces)} pieces need {len(pieces) - 1} boundaries; got {len(boundaries)}")
        self.pieces, self.boundaries, self.shift = tuple(pieces), tuple(boundaries), shift
        self.labels = tuple(labels) if labels is not None else tuple(
            f"join boundary {k + 1}" for k in range(len(boundaries)))

    def _live(self) -> tuple[list[Node], list[int], list[int]]:
        """The pieces whose range is not empty: (pieces, the boundaries between them, clock starts)."""
        starts = [0, *self.boundaries]
        ends: list[int | None] = [*self.boundaries, None]
        pieces, bounds, clocks = [], [], []
        for piece, a, b in zip(self.pieces, starts, ends):
            if b is not None and b <= max(a, 0):  # empty: a warmup of 0 steps, a hold of 0 steps
                continue
            pieces.append(piece)
            bounds.append(a)
            clocks.append(a if self.shift else 0)
        return pieces, bounds[1:], clocks

    def closed(self, offset: int = 0) -> ClosedForm:
        pieces, bounds, clocks = self._live()
        forms = [p.closed(offset + c) for p, c in zip(pieces, clocks)]
        if len(forms) == 1:
            return forms[0]
        gb = [offset + b for b in bounds]
        if len(forms) == 2:
            f0, f1 = forms
            (b,) = gb
            return lambda t: f0(t) if t < b else f1(t)
        return lambda t: forms[bisect_right(gb, t)](t)

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        pieces, bounds, clocks = self._live()
        firsts = [offset + b for b in [0, *bounds]]
        lasts = [offset + b - 1 for b in bounds] + [None]
        if within is not None:  # this join's own range narrows its first and last pieces'
            firsts[0] = max(firsts[0], within[0])
            lasts[-1] = within[1]
        forms = [p.array(ops, offset + c, (lo, hi)) for p, c, lo, hi in zip(pieces, clocks, firsts, lasts)]
        if len(forms) == 1:
            return forms[0]
        gb = [offset + b for b in bounds]
        return lambda t: ops.piecewise(t, gb, forms)

    @property
    def end(self) -> int | None:
        pieces, bounds, clocks = self._live()
        last = pieces[-1].end
        if last is None:
            return None
        start = bounds[-1] if bounds else 0
        return max(start, clocks[-1] + last)

    def events(self) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        starts = [0, *self.boundaries]
        ends: list[int | None] = [*self.boundaries, None]
        previous_live = False
        for k, (piece, a, b) in enumerate(zip(self.pieces, starts, ends)):
            if b is not None and b <= max(a, 0):  # an empty piece: no boundary, no events
                continue
            clock = a if self.shift else 0
            out += [(clock + s, kind) for s, kind in piece.events() if (b is None or clock + s < b) and clock + s >= a]
            if k > 0 and previous_live:
                out.append((a, self.labels[k - 1]))
            previous_live = True
        return out

    def open_horizon(self) -> tuple[int, str]:
        pieces, bounds, clocks = self._live()
        h, how = pieces[-1].open_horizon()
        if not clocks[-1]:
            return h, how
        k = self.boundaries.index(clocks[-1]) if self.shift else len(self.boundaries) - 1
        start = "warmup_steps" if self.labels[k] == "end of warmup" else "last boundary"
        return clocks[-1] + h, f"{start} + {how}"


class Scale(Node):
    """``factor * base``."""

    def __init__(self, base: Node, factor: float) -> None:
        self.base, self.factor = base, factor

    def closed(self, offset: int = 0) -> ClosedForm:
        f, factor = self.base.closed(offset), self.factor
        return lambda t: factor * f(t)

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        f, factor = self.base.array(ops, offset, within), self.factor
        return lambda t: f(t) * factor

    @property
    def end(self) -> int | None:
        return 0 if self.factor == 0 else self.base.end

    def events(self) -> list[tuple[int, str]]:
        return self.base.events()

    def open_horizon(self) -> tuple[int, str]:
        return self.base.open_horizon()


class Product(Node):
    """``first * second``, e.g. a schedule times a warmup factor."""

    def __init__(self, first: Node, second: Node) -> None:
        self.first, self.second = first, second

    def closed(self, offset: int = 0) -> ClosedForm:
        f, g = self.first.closed(offset), self.second.closed(offset)
        return lambda t: f(t) * g(t)

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        f, g = self.first.array(ops, offset), self.second.array(ops, offset)
        return lambda t: f(t) * g(t)

    @property
    def end(self) -> int | None:
        a, b = self.first.end, self.second.end
        return None if a is None or b is None else max(a, b)

    def events(self) -> list[tuple[int, str]]:
        return self.first.events() + self.second.events()

    def open_horizon(self) -> tuple[int, str]:
        return _longer(self.first, self.second)


def _longer(first: Node, second: Node) -> tuple[int, str]:
    """The horizon of the piece that needs more steps (an ending piece needs its end)."""
    a, b = reach(first), reach(second)
    if first.end is None and (second.end is not None or a >= b):
        return max(a, b), first.open_horizon()[1]
    if second.end is None:
        return max(a, b), second.open_horizon()[1]
    return max(a, b), "end step"


class Sum(Node):
    """``first + second``, e.g. a floor plus a decaying amplitude."""

    def __init__(self, first: Node, second: Node) -> None:
        self.first, self.second = first, second

    def closed(self, offset: int = 0) -> ClosedForm:
        f, g = self.first.closed(offset), self.second.closed(offset)
        return lambda t: f(t) + g(t)

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        f, g = self.first.array(ops, offset, within), self.second.array(ops, offset, within)
        return lambda t: f(t) + g(t)

    @property
    def end(self) -> int | None:
        a, b = self.first.end, self.second.end
        return None if a is None or b is None else max(a, b)

    def events(self) -> list[tuple[int, str]]:
        return self.first.events() + self.second.events()

    def open_horizon(self) -> tuple[int, str]:
        return _longer(self.first, self.second)


class Min(Node):
    """The smaller of ``first`` and ``second`` at every step."""

    def __init__(self, first: Node, second: Node, *, label: str = "") -> None:
        self.first, self.second, self.label = first, second, label

    def closed(self, offset: int = 0) -> ClosedForm:
        f, g = self.first.closed(offset), self.second.closed(offset)
        return lambda t: min(f(t), g(t))

    def array(self, ops: ArrayOps, offset: int = 0, within: Within = None) -> ArrayForm:
        first, second, minimum = self.first, self.second, ops.xp.minimum
        if isinstance(first, Constant):  # a cap: a Python scalar broadcasts for free
            cap, g = first.value, second.array(ops, offset)
            return lambda t: minimum(cap, g(t))
        if isinstance(first, PowerLaw) and isinstance(second, PowerLaw) and first.shift == second.shift:
            a, b, shift = first.of_shifted(ops), second.of_shifted(ops), first.shift  # noam: s = t + 1 once

            def both(t):
                s = ops.float_step(t, offset) + shift
                return minimum(a(s), b(s))

            return both
        f, g = first.array(ops, offset), second.array(ops, offset)
        return lambda t: minimum(f(t), g(t))

    @property
    def end(self) -> int | None:
        a, b = self.first.end, self.second.end
        if a is not None and b is not None:
            return max(a, b)
        for cap, other in ((self.first, self.second), (self.second, self.first)):
            if isinstance(cap, Constant):  # a growing piece capped at a constant ends where it reaches it
                return other.first_at_least(cap.value)
        return None

    def events(self) -> list[tuple[int, str]]:
        own = super().events()
        return own + self.first.events() + self.second.events()

    def open_horizon(self) -> tuple[int, str]:
        return _longer(self.first, self.second)
