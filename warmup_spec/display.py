"""A schedule's picture: its float64 lr per step as a matplotlib ``Figure``, and the rich
display of a schedule in a notebook (``_repr_png_``).

:func:`schedule_figure` is the one place that draws schedules for a notebook
(``warmup_parity.figure`` hands its schedules here). matplotlib and NumPy are imported only
when a picture is asked for, so ``warmup_spec`` itself needs neither; without matplotlib a
notebook shows the ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DPI", "NOTEBOOK_FIGSIZE", "Displayed", "png", "schedule_figure", "schedule_png", "short_label", "spec_in"]

DPI = 100
NOTEBOOK_FIGSIZE = (7.0, 3.6)
"""inches: a figure for a notebook cell."""


def short_label(cfg: Mapping[str, Any]) -> str:
    """A legend label: the schedule's name and its main lengths and peak."""
    keys = ("warmup_steps", "total_steps", "peak_value", "max_lr")
    parts = [f"{k.split('_')[0]}={cfg[k]:g}" for k in keys if isinstance(cfg.get(k), (int, float))]
    return f"{cfg.get('schedule', '?')}" + (f" ({', '.join(parts)})" if parts else "")


def spec_in(item: Any) -> Any:
    """The spec of anything standing for a schedule: a spec, a config, a host ``Schedule``, an
    Optax or Keras schedule of ours (``.spec``), or a torch ``ScheduleLR`` (``.schedule``)."""
    from warmup_spec.registry import spec_of

    inner = getattr(item, "schedule", None)  # warmup_torch.ScheduleLR
    if inner is not None and hasattr(inner, "spec"):
        return inner.spec
    if hasattr(item, "spec"):
        return item.spec
    return spec_of(item)


def _step_range(steps: int | range | None, specs: Sequence[Any]) -> range:
    from warmup_spec.horizon import default_horizon

    if steps is None:
        return range(max(default_horizon(s) for s in specs) + 1)
    if isinstance(steps, range):
        if len(steps) == 0 or steps.start < 0:
            raise ValueError(f"figure: steps={steps!r} is invalid; expected a non-empty range of steps >= 0")
        return steps
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"figure: steps={steps!r} is invalid; expected an integer >= 1 (steps 0..steps) or a range")
    return range(steps + 1)


def schedule_figure(*items: Any, steps: int | range | None = None, labels: Sequence[str] | None = None,
                    log: bool = False) -> Figure:
    """One or more schedules (anything :func:`spec_in` takes), each drawn as its float64 lr per
    step over ``steps`` (``N`` for ``0..N``, a ``range``, default the longest default horizon),
    in a ``Figure`` not registered with pyplot (a notebook shows it once)."""
    import numpy as np
    from matplotlib.figure import Figure

    from warmup_spec.registry import spec_to_config
    from warmup_spec.tables import lr_table

    specs = [spec_in(i) for i in items]
    if labels is not None and len(labels) != len(specs):
        raise ValueError(f"figure: {len(labels)} labels for {len(specs)} schedules")
    x = _step_range(steps, specs)
    fig = Figure(figsize=NOTEBOOK_FIGSIZE)
    ax = fig.subplots()
    for k, spec in enumerate(specs):
        try:
            label = labels[k] if labels is not None else short_label(spec_to_config(spec))
        except ValueError:  # a user's function inside: no config
            label = spec.schedule
        ax.plot(np.asarray(x), lr_table(spec, x), lw=1.6, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step (optimizer update)")
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def png(fig: Figure, dpi: int = DPI, metadata: Mapping[str, str] | None = None) -> bytes:
    """The PNG bytes of a figure (what a notebook's ``_repr_png_`` returns)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata=dict(metadata or {}))
    return buf.getvalue()


def schedule_png(schedule: Any) -> bytes | None:
    """The PNG of ``schedule``'s lr over its default horizon, or ``None`` without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - matplotlib (the [parity] extra) not installed
        return None
    return png(schedule_figure(schedule))


class Displayed:
    """Mixin: a notebook shows the schedule (``self.spec``) as its lr curve."""

    __slots__ = ()

    def _repr_png_(self) -> bytes | None:
        return schedule_png(self)
