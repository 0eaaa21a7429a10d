"""The rich display of a schedule in a notebook: its lr curve as a PNG (``_repr_png_``).

The picture is drawn by :func:`warmup_parity.plot.figure`, the one place that draws a
schedule; it is imported only when a notebook asks, so ``warmup_spec`` itself needs
neither matplotlib nor NumPy. Without them, there is no picture and the notebook shows
the ``repr``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Displayed", "schedule_png"]


def schedule_png(schedule: Any) -> bytes | None:
    """The PNG of ``schedule``'s lr over its default horizon, or ``None`` without matplotlib."""
    try:
        from warmup_parity.plot import figure, png
    except ImportError:  # pragma: no cover - matplotlib (the [parity] extra) not installed
        return None
    return png(figure(schedule))


class Displayed:
    """Mixin: a notebook shows the schedule (``self.spec``) as its lr curve."""

    __slots__ = ()

    def _repr_png_(self) -> bytes | None:
        return schedule_png(self)
