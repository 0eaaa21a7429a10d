"""How each side calls its model on an input: the default forward, and the adapter type a user
passes in its place (``flax_forward`` / ``torch_forward``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Forward", "call_model"]

Forward = Callable[[Any, Any], Any]
"""An adapter ``(model, x) -> output``: how one side calls its model (layout, keyword inputs,
``.logits``)."""


def call_model(model: Any, x: Any) -> Any:
    """The default forward: ``model(x)``, or ``model(*x)`` for a tuple input (a multi-input model)."""
    return model(*x) if isinstance(x, tuple) else model(x)
