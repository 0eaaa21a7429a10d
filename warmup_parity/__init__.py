"""Cross-framework tooling: the ``warmup-parity`` command (imports both frameworks).

``copy_weights``, ``compare`` and ``testing`` are loaded on first use, so that importing
the package (and ``warmup-parity --help``, ``inspect``) needs NumPy alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warmup_parity import testing
    from warmup_parity.comparison import compare
    from warmup_parity.twin import copy_weights

__all__ = ["compare", "copy_weights", "testing"]

_LAZY = {"compare": ("warmup_parity.comparison", "compare"), "copy_weights": ("warmup_parity.twin", "copy_weights"),
         "testing": ("warmup_parity.testing", None)}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'warmup_parity' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
