"""One adapter per library for the parametrised anchor tests (``parity_tests/test_anchors.py``):
each module drives its library as the library's users do and gives its fixed cases, drawn
configs, refusals and live schedulers as data (``anchor_harness.Adapter``), plus the tests that
are that library's own (``test_*`` functions, collected by ``test_anchors.py`` through
:func:`own_tests`)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from parity_tests.anchors import deepspeed_lr, formulas, keras_lr, optax_lr, timm_lr, torch_lr, transformers_lr

MODULES: list[ModuleType] = [torch_lr, transformers_lr, timm_lr, optax_lr, keras_lr, deepspeed_lr, formulas]
ADAPTERS = [a for m in MODULES for a in getattr(m, "ADAPTERS", [getattr(m, "ADAPTER", None)]) if a is not None]


def own_tests() -> dict[str, Any]:
    """Every module's ``test_*`` functions, each in its library's ``xdist_group`` (the names
    are distinct across modules: each starts with its library's)."""
    out: dict[str, Any] = {}
    for m in MODULES:
        group = m.__name__.rsplit(".", 1)[-1].removesuffix("_lr")
        for name, f in vars(m).items():
            if name.startswith("test_") and callable(f):
                assert name not in out, f"{name} is defined twice"
                out[name] = pytest.mark.xdist_group(group)(f)
    return out
