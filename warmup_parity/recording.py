"""Every submodule's input and output, in call order, while a Flax model or a torch model runs,
and how two recorded values are compared (in the layouts that make their shapes match).

Example:
    >>> import numpy as np
    >>> rel_diff(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) < 1e-9
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["FlaxCalls", "TorchCalls", "event_diff", "rel_diff", "shape_mismatch"]


def _leaves(value: Any) -> list[np.ndarray]:
    """The arrays in a module's input or output (tuples, lists, dicts; None skipped)."""
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return []
    if isinstance(value, Mapping):
        return [a for v in value.values() for a in _leaves(v)]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _leaves(v)]
    if hasattr(value, "detach"):  # torch
        return [value.detach().cpu().numpy().copy()]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        try:
            return [np.asarray(value)]
        except Exception:  # a tracer or an abstract value: nothing to compare
            return []
    return []


class FlaxCalls:
    """Records every submodule's input and output, in call order, while a Flax model runs:
    each ``__call__`` of the model's module classes is wrapped for the duration (only this
    model's instances are recorded; a ``super().__call__`` inside one is not recorded twice)."""

    def __init__(self, model: Any) -> None:
        from flax import nnx

        modules = list(nnx.iter_modules(model))
        self.names = {id(m): ".".join(str(p) for p in path) for path, m in modules}
        self.classes = {c for _, m in modules for c in type(m).__mro__
                        if "__call__" in vars(c) and issubclass(c, nnx.Module) and c is not nnx.Module}
        self.events: list[tuple[str, str, int, list[np.ndarray]]] = []
        self._saved: list[tuple[type, Any]] = []
        self._active: set[int] = set()
        self._counts: dict[str, int] = {}

    def _wrap(self, original: Any) -> Any:
        recorder = self

        def recorded(module: Any, *args: Any, **kwargs: Any) -> Any:
            name = recorder.names.get(id(module))
            if name is None or id(module) in recorder._active:
                return original(module, *args, **kwargs)
            n = recorder._counts.get(name, 0)
            recorder._counts[name] = n + 1
            recorder.events.append(("in", name, n, _leaves(args[0]) if args else []))
            recorder._active.add(id(module))
            try:
                out = original(module, *args, **kwargs)
            finally:
                recorder._active.discard(id(module))
            recorder.events.append(("out", name, n, _leaves(out)))
            return out

        recorded.__wrapped__ = original  # type: ignore[attr-defined]
        return recorded

    def __enter__(self) -> FlaxCalls:
        for cls in self.classes:
            original = vars(cls)["__call__"]
            self._saved.append((cls, original))
            setattr(cls, "__call__", self._wrap(original))  # noqa: B010 (a class attribute, set and put back)
        return self

    def __exit__(self, *exc: Any) -> None:
        for cls, original in reversed(self._saved):
            setattr(cls, "__call__", original)  # noqa: B010
        self._saved.clear()


class TorchCalls:
    """Records every submodule's input and output, in call order, with forward hooks."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.events: list[tuple[str, str, int, list[np.ndarray]]] = []
        self._handles: list[Any] = []
        self._counts: dict[str, int] = {}
        self._open: dict[str, list[int]] = {}

    def __enter__(self) -> TorchCalls:
        for name, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._pre(name)))
            self._handles.append(module.register_forward_hook(self._post(name)))
        return self

    def _pre(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any) -> None:
            n = self._counts.get(name, 0)
            self._counts[name] = n + 1
            self._open.setdefault(name, []).append(n)
            self.events.append(("in", name, n, _leaves(args[0]) if args else []))

        return hook

    def _post(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, out: Any) -> None:
            self.events.append(("out", name, self._open[name].pop(), _leaves(out)))

        return hook

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / max(||a||, ||b||)`` in float64 (0 for two zero arrays)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(float(np.linalg.norm(a64)), float(np.linalg.norm(b64)))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a64 - b64) / scale)


def _layouts(a: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    """``a`` as it is and in the other layouts that give ``shape``: channels last -> first
    (NHWC -> NCHW), time and batch swapped, or flattened differently."""
    out = [a] if a.shape == shape else []
    if a.ndim >= 3 and np.moveaxis(a, -1, 1).shape == shape:
        out.append(np.moveaxis(a, -1, 1))
    if a.ndim >= 2 and np.swapaxes(a, 0, 1).shape == shape:
        out.append(np.swapaxes(a, 0, 1))
    if not out and a.size == int(np.prod(shape)):
        out.append(a.reshape(shape))
    return out


def event_diff(fl: Sequence[np.ndarray], tl: Sequence[np.ndarray]) -> float | None:
    """The difference of two recorded values (the worst over their arrays, each in its best
    layout); None when nothing in them can be compared."""
    worst: float | None = None
    for a, b in zip(fl, tl):
        candidates = _layouts(a, b.shape)
        if not candidates:
            continue
        d = min(rel_diff(c, b) for c in candidates)
        worst = d if worst is None or not d <= worst else worst
    return worst



def shape_mismatch(fl: Sequence[np.ndarray], tl: Sequence[np.ndarray]
                   ) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """``(Flax shape, torch shape)`` of the first pair of arrays that no layout makes the same
    shape, when no pair can be compared at all (else ``None``)."""
    pairs = list(zip(fl, tl))
    if not pairs or any(_layouts(a, b.shape) for a, b in pairs):
        return None
    a, b = pairs[0]
    return tuple(a.shape), tuple(b.shape)
