"""The anchors' own test files, as shipped in their wheels, run UNCHANGED against our ports.

Each file is imported from the installed package under a private module name (so the
library's own copy stays untouched), and the module global through which it reaches the
library's schedules is replaced by a namespace whose schedules are our ports: the same
names and signatures, each returning ``warmup_jax.build(<our definition>(*args, **kwargs))``,
every other name the library's own. The unittest classes of the file are then collected by
pytest as they are; nothing of their code is copied into this repository.

- optax 0.2.8 ``optax/schedules/_schedule_test.py`` (``_schedule`` -> our ``"optax.*"`` ports),
  ``_join_test.py`` (``_join`` and ``_schedule``) and ``_inject_test.py`` (``schedules``): of the
  last, only the tests that build a schedule run; the others test ``inject_hyperparams`` itself.
- Keras 3.15.1 ``keras/src/optimizers/schedules/learning_rate_schedule_test.py``
  (``schedules`` -> our ``"keras.*"`` ports), on Keras's JAX back end (``KERAS_BACKEND=jax``).
  Its tests that need a Keras schedule object (``test_config``: serialization;
  ``test_fit_lr_correctness``: ``model.fit``) are skipped here: ``test_keras.py`` runs the whole
  file, nothing deselected, against the Keras front end (``warmup_keras``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
import unittest
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras's default back end (TensorFlow) is not installed

import keras  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

import warmup_jax  # noqa: E402
from warmup_spec import REGISTRY  # noqa: E402

NEEDS_KERAS_FRONT_END = "needs a Keras schedule object: run against warmup_keras in test_keras.py"
NOT_A_SCHEDULE = "tests optax.inject_hyperparams itself; it builds no optax schedule"


def _port(name: str) -> Callable[..., Any]:
    """Our port ``name`` called as the library's function or class: positional and keyword
    arguments bound by our definition's signature (the library's)."""
    cls = REGISTRY[name]

    def build(*args: Any, **kwargs: Any) -> Any:
        return warmup_jax.build(cls(*args, **kwargs))

    build.__name__ = build.__qualname__ = name.partition(".")[2]
    return build


def _ported(library: types.ModuleType, prefix: str) -> types.ModuleType:
    """A namespace with every public name of ``library``, its schedules replaced by our ports
    ``prefix + name``."""
    ns = types.ModuleType(f"ported_{library.__name__}")
    ns.__dict__.update({k: v for k, v in vars(library).items() if not k.startswith("__")})
    for name in REGISTRY:
        if name.startswith(prefix) and hasattr(library, name[len(prefix):]):
            setattr(ns, name[len(prefix):], _port(name))
    return ns


def _load(path: Path, patch: dict[str, types.ModuleType]) -> types.ModuleType:
    """The test module at ``path``, imported under a private name, with ``patch`` applied to its globals."""
    name = "anchor_suite_" + "_".join(path.with_suffix("").parts[-3:])
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    for key, value in patch.items():
        assert key in vars(module), f"{path.name} no longer reaches the library through {key!r}"
        setattr(module, key, value)
    return module


def _collect(module: types.ModuleType, prefix: str, skips: dict[str, str] | None = None,
             only: set[str] | None = None, reason: str = "", slow: frozenset[str] = frozenset()) -> dict[str, type]:
    """The module's TestCase classes, renamed ``prefix + name``; ``skips``: ``"Class.test"`` or
    ``"test"`` (every class) -> reason; ``only``: the tests that run (others skipped with ``reason``);
    ``slow``: the classes run by ``make test-all`` only."""
    out = {}
    for cls_name, cls in vars(module).items():
        if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase) and cls.__module__ == module.__name__):
            continue
        if cls_name in slow:
            cls.pytestmark = [pytest.mark.slow]  # type: ignore[attr-defined]
        for attr in list(vars(cls)):
            if not attr.startswith("test"):
                continue
            why = (skips or {}).get(f"{cls_name}.{attr}") or (skips or {}).get(attr)
            if only is not None and attr not in only:
                why = reason
            if why:
                setattr(cls, attr, unittest.skip(why)(getattr(cls, attr)))
        out[prefix + cls_name] = cls
    return out


OPTAX = Path(optax.__file__).parent / "schedules"
_optax_schedule = _ported(optax.schedules._schedule, "optax.")
_optax_join = _ported(optax.schedules._join, "optax.")
_optax_schedules = _ported(optax.schedules, "optax.")

# ScheduleAsLearningRateTest trains every optax optimizer with our constant_schedule (30 s): make test-all
globals().update(_collect(_load(OPTAX / "_schedule_test.py", {"_schedule": _optax_schedule}), "TestOptaxSchedule",
                          slow=frozenset({"ScheduleAsLearningRateTest"})))
globals().update(_collect(_load(OPTAX / "_join_test.py", {"_join": _optax_join, "_schedule": _optax_schedule}),
                          "TestOptaxJoin"))
globals().update(_collect(
    _load(OPTAX / "_inject_test.py", {"schedules": _optax_schedules}), "TestOptaxInject",
    only={"test_updates", "test_hyperparams_state", "test_wrap_stateless_schedule"}, reason=NOT_A_SCHEDULE))

KERAS = Path(keras.__file__).parent / "src" / "optimizers" / "schedules"
_keras_schedules = _ported(keras.src.optimizers.schedules, "keras.")
globals().update(_collect(
    _load(KERAS / "learning_rate_schedule_test.py", {"schedules": _keras_schedules}), "TestKeras",
    skips={"test_config": NEEDS_KERAS_FRONT_END, "test_fit_lr_correctness": NEEDS_KERAS_FRONT_END}))


def test_every_port_of_the_two_libraries_is_swapped_in():
    """Each of our ``optax.*`` and ``keras.*`` ports stands in the ported namespaces for the
    library's own (a test file that still called the library would prove nothing)."""
    ported = {f"optax.{k}": v for ns in (_optax_schedule, _optax_join) for k, v in vars(ns).items()}
    ported.update({f"keras.{k}": v for k, v in vars(_keras_schedules).items()})
    ours = [n for n in REGISTRY if n.startswith(("optax.", "keras."))]
    assert len(ours) == 20, ours
    for name in ours:
        assert ported[name].__name__ == name.partition(".")[2], name
    assert ported["optax.linear_schedule"](0.0, 1.0, 4).spec == REGISTRY["optax.linear_schedule"](0.0, 1.0, 4)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
