"""Renamed public names: the old ones keep working for one release, with a ``DeprecationWarning``
naming the new one (one mechanism for every package).

A package lists its old names and installs :func:`renamed` as its module ``__getattr__``::

    __getattr__ = renamed(__name__, {"from_config": ("warmup_jax.schedule_from_config", lambda: schedule_from_config)})
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["deprecated", "renamed"]


def deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Warns that ``old`` is deprecated in favour of ``new`` (removed in the next release)."""
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}",
                  DeprecationWarning, stacklevel=stacklevel)


def renamed(module: str, old_names: Mapping[str, tuple[str, Callable[[], Any]]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that serves each old name (with a ``DeprecationWarning``).

    Args:
        module: the module's ``__name__``.
        old_names: old name -> (the new name as the warning says it, a function returning
            the object the old name stands for).

    Returns:
        The ``__getattr__`` (an unknown name is the usual ``AttributeError``).

    Example:
        >>> import warnings
        >>> getattr_ = renamed("pkg", {"old": ("pkg.new", lambda: 42)})
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     getattr_("old"), str(caught[0].message)
        (42, 'pkg.old is deprecated and will be removed in the next release; use pkg.new')
    """

    def __getattr__(name: str) -> Any:
        if name not in old_names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new, get = old_names[name]
        deprecated(f"{module}.{name}", new)
        return get()

    return __getattr__
