"""``warmup_keras``: every schedule as a Keras 3 ``LearningRateSchedule``.

- every case of the case table and a port of each library, jitted on Keras's JAX back
  end, equals ``warmup_jax`` (float32, within 1e-6 relative of it);
- ``model.fit`` on the JAX back end (in process) and on the torch back end (a subprocess:
  Keras reads ``KERAS_BACKEND`` once, at its first import) runs, at every iteration, the lr
  of ``warmup_jax`` / ``warmup_torch``; the update itself is checked to have used it;
- a model saved with our schedule loads with the same schedule;
- Keras's own schedule test file (``keras/src/optimizers/schedules/learning_rate_schedule_test.py``
  of the installed wheel, not copied) runs with ``keras.optimizers.schedules`` swapped for our ports.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import types
import unittest
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "jax":  # pragma: no cover - the suite runs Keras on JAX
    pytest.skip("these tests run Keras on its JAX back end", allow_module_level=True)

import jax  # noqa: E402

import warmup_jax  # noqa: E402
import warmup_keras  # noqa: E402
from parity_tests.cases import ALL, steps_for  # noqa: E402
from parity_tests.jitted import JitTables  # noqa: E402
from parity_tests.keras_fit import FIT_CFG, fit_lrs  # noqa: E402
from warmup_parity.lr_table import errors  # noqa: E402
from warmup_spec import Schedule  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-6
PORTS: list[dict[str, Any]] = [
    {"schedule": "keras.CosineDecayRestarts", "initial_learning_rate": 1.0, "first_decay_steps": 10,
     "t_mul": 3.0, "m_mul": 0.9, "alpha": 0.1},
    {"schedule": "keras.CosineDecay", "initial_learning_rate": 0.0, "decay_steps": 100, "warmup_target": 1.0,
     "warmup_steps": 20, "alpha": 0.1},
    {"schedule": "keras.PiecewiseConstantDecay", "boundaries": [10, 20], "values": [1.0, 0.5, 0.1]},
    {"schedule": "keras.PolynomialDecay", "initial_learning_rate": 1.0, "decay_steps": 10, "end_learning_rate": 0.1,
     "power": 0.5, "cycle": True},
    {"schedule": "timm.CosineLRScheduler", "lr": 1.0, "t_initial": 50, "warmup_t": 5, "cycle_limit": 3,
     "cycle_mul": 1.5, "lr_min": 0.01},
    {"schedule": "transformers.get_cosine_with_hard_restarts_schedule_with_warmup", "lr": 1.0,
     "num_warmup_steps": 10, "num_training_steps": 200, "num_cycles": 3},
    {"schedule": "torch.CosineAnnealingWarmRestarts", "lr": 1.0, "T_0": 10, "T_mult": 2, "eta_min": 0.01},
    {"schedule": "optax.sgdr_schedule", "cosine_kwargs": [
        {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 50},
        {"init_value": 0.0, "peak_value": 0.5, "warmup_steps": 5, "decay_steps": 30}]},
    {"schedule": "deepspeed.WarmupCosineLR", "lr": 1.0, "total_num_steps": 100, "warmup_num_steps": 10},
    {"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 1.0, "warmup_steps": 10, "total_steps": 100,
     "decay_ratio": 0.3, "decay_type": "cosine"},
    {"schedule": "maxtext.create_learning_rate_schedule", "learning_rate": 1.0, "steps": 100},
]
"""A port of each library, the cyclic ones (integer tables indexed in the array form) included."""
FIRST = {cid.rsplit("-", 1)[0]: cid for cid, _ in reversed(ALL)}
CASES = [pytest.param(c, id=i, marks=() if i in FIRST.values() else pytest.mark.slow) for i, c in ALL]
CASES += [pytest.param(c, id=c["schedule"]) for c in PORTS]
"""The first case of each schedule and every port by default; the other cases with ``-m slow``."""


def _steps(cfg: dict[str, Any]) -> np.ndarray:
    return steps_for(cfg)[:4000].astype(np.int32)


def _own_jits(cfgs: list[dict[str, Any]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(our Keras schedule jitted on Keras's JAX back end, ``warmup_jax``'s ``jit(vmap)``) of each
    config at :func:`_steps`, each jitted as a user jits it, all in a few programs (the Keras ones
    together, as :class:`parity_tests.jitted.JitTables` jits its configs, without its vmap)."""
    steps = [_steps(cfg) for cfg in cfgs]
    kerases = [warmup_keras.schedule_from_config(cfg) for cfg in cfgs]
    program = jax.jit(lambda *xs: tuple(f(x) for f, x in zip(kerases, xs)))
    ours = [np.asarray(v, np.float64) for v in program(*steps)]
    return list(zip(ours, JitTables(cfgs, steps, forms=("f32",)).form("f32")))


DEFAULT_CFGS = [case.values[0] for case in CASES if not case.marks]
"""The cases run by default: jitted together on the first request (the others, ``slow``, one by one)."""
_default_jits = functools.cache(lambda: _own_jits(DEFAULT_CFGS))


@pytest.mark.xdist_group("test_keras")
@pytest.mark.parametrize("cfg", CASES)
def test_keras_schedule_equals_warmup_jax(cfg):
    k = next((k for k, c in enumerate(DEFAULT_CFGS) if c is cfg), None)
    ours, ref = _default_jits()[k] if k is not None else _own_jits([cfg])[0]
    assert errors(ours, ref)[1] <= TOL


def _check_fit(run: dict[str, list[float]], expected: np.ndarray) -> None:
    assert run["iteration"] == list(range(12))
    assert errors(np.asarray(run["reported"]), expected)[1] <= TOL
    # the update's own lr, read back from float32 weights: a few digits, enough to tell steps apart
    np.testing.assert_allclose(run["used"], expected, rtol=1e-4, atol=1e-9)


def test_fit_on_the_jax_back_end_runs_warmup_jax_lrs():
    expected = np.asarray(jax.vmap(warmup_jax.schedule_from_config(FIT_CFG))(np.arange(12, dtype=np.int32)), np.float64)
    _check_fit(fit_lrs(FIT_CFG), expected)


@pytest.mark.slow  # a subprocess importing Keras on torch: ~8 s of CPU
def test_fit_on_the_torch_back_end_runs_warmup_torch_lrs():
    import torch

    import warmup_torch

    code = ("import json; from parity_tests.keras_fit import fit_lrs, FIT_CFG; "
            "import keras; assert keras.backend.backend() == 'torch'; print(json.dumps(fit_lrs(FIT_CFG)))")
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = warmup_torch.scheduler_from_config(opt, FIT_CFG)
    expected = []
    for _ in range(12):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    _check_fit(run, np.asarray(expected))


def test_a_saved_model_loads_with_its_schedule(tmp_path):
    cfg = {"schedule": "keras.CosineDecayRestarts", "initial_learning_rate": 0.1, "first_decay_steps": 5,
           "t_mul": 2.0, "m_mul": 0.5, "alpha": 0.1}
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=warmup_keras.port(cfg["schedule"])(
        **{k: v for k, v in cfg.items() if k != "schedule"}, name="restarts")), loss="mse")
    model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), batch_size=2, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    sched = loaded.optimizer._learning_rate
    assert isinstance(sched, warmup_keras.KerasSchedule)
    assert sched.get_config() == {**cfg, "name": "restarts"}
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 4
    steps = np.arange(40, dtype=np.int32)
    host = Schedule(cfg)
    assert errors(np.asarray(sched(steps), np.float64), np.array([host(int(k)) for k in steps]))[1] <= TOL


def test_front_ends_take_the_definitions_parameters_and_errors():
    from warmup_spec import _front_end_names
    from warmup_spec.catalogue import CATALOGUE

    assert sorted(_front_end_names.__all__) == sorted(cls.schedule for cls in CATALOGUE)
    assert set(_front_end_names.__all__) <= set(warmup_keras.__all__)
    s = warmup_keras.warmup_cosine_decay(1.0, 2, 6, end_value=0.1)
    assert [round(float(s(t)), 6) for t in (0, 1, 2, 6, 9)] == [0.0, 0.5, 1.0, 0.1, 0.1]
    assert repr(s).startswith("<Keras schedule of WarmupCosineDecay(peak_value=1.0")
    assert keras.saving.get_registered_name(warmup_keras.KerasSchedule) == "warmup_keras>KerasSchedule"
    with pytest.raises(ValueError, match=r"^warmup_cosine_decay: total_steps=2 is invalid"):
        warmup_keras.warmup_cosine_decay(1.0, 2, 2)
    with pytest.raises(ValueError, match="a non-integer step is invalid"):
        s(1.5)
    with pytest.raises(ValueError, match="unknown schedule|is invalid; expected one of"):
        warmup_keras.port("keras.CosineDecayy")


def test_mypy_sees_the_definitions_signatures(tmp_path):
    """Typed like the other front ends: a misspelled keyword or an unknown shape is a type error."""
    snippet = tmp_path / "snippet.py"
    snippet.write_text("import warmup_keras\n"
                       "warmup_keras.warmup_cosine_decay(1.0, warmup_steps=10, total_steps=100)\n"
                       "warmup_keras.warmup_cosine_decay(peak_vale=1.0, warmup_steps=10, total_steps=100)\n"
                       "warmup_keras.warmup_constant(1.0, warmup_shape='cosin')\n")
    out = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                          "--no-incremental", str(snippet)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    errors = {int(m[1]): m[2] for m in re.finditer(r"snippet\.py:(\d+): error: (.*)", out.stdout)}
    assert errors.keys() == {3, 4}, out.stdout + out.stderr
    assert 'Unexpected keyword argument "peak_vale"' in errors[3] and "'cosin'" in errors[4], errors


def test_warmup_keras_imports_no_other_front_end():
    """Keras is its own front end: ``warmup_jax``, ``warmup_torch`` and ``warmup_parity`` are never
    imported (anywhere in a module), nor jax (Keras brings its back end; torch only for the torch
    back end's step tensor)."""
    import ast

    for path in sorted((ROOT / "warmup_keras").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                assert name.split(".")[0] not in ("warmup_jax", "warmup_torch", "warmup_parity", "jax"), (path, name)


# --- Keras's own schedule tests, against our ports -------------------------------------------

KERAS_NAMES = ["ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay", "CosineDecay",
               "CosineDecayRestarts"]


def _keras_test_module() -> types.ModuleType:
    from keras.src.optimizers.schedules import learning_rate_schedule_test as mod

    return mod


def _keras_tests() -> list[str]:
    mod = _keras_test_module()
    loader = unittest.defaultTestLoader
    return [f"{cls.__name__}.{m}" for cls in vars(mod).values()
            if isinstance(cls, type) and issubclass(cls, unittest.TestCase) and cls.__module__ == mod.__name__
            for m in loader.getTestCaseNames(cls)]


@pytest.mark.parametrize("test", _keras_tests())
def test_keras_own_schedule_tests_pass_against_our_ports(test, monkeypatch):
    mod = _keras_test_module()
    ours = types.SimpleNamespace(**{n: warmup_keras.port(f"keras.{n}") for n in KERAS_NAMES})
    monkeypatch.setattr(mod, "schedules", ours)
    cls, method = test.split(".")
    getattr(mod, cls)(method).debug()  # runs setUp, the test and tearDown; raises on failure
