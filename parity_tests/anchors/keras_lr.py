"""Keras 3's own schedules (``keras.optimizers.schedules``, Keras 3.15.1, JAX backend),
called on the step as Keras calls them, against our ports ``"keras.<Name>"`` (the
adapter of ``test_anchors.py``).

The float64 truth:

- ``ExponentialDecay``, ``InverseTimeDecay``, ``PolynomialDecay`` and
  ``PiecewiseConstantDecay``: Keras itself with ``floatx="float64"`` under
  ``jax.enable_x64``, op by op (vmapped, not jitted: XLA turns a division into a product
  with a rounded reciprocal), on int64 steps; its result dtype is checked to be float64.
- ``CosineDecay`` and ``CosineDecayRestarts``: Keras's JAX backend computes ``cos`` (and
  ``log``) in float32 whatever ``floatx`` is (``keras.src.backend.common.dtypes``
  demotes every 64-bit result type to 32 bits on non-TensorFlow backends:
  ``test_keras_float64_mode_computes_the_cosine_in_float32``), so the truth is the
  formula of ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15.1)
  transcribed literally in float64 NumPy below (``keras_formula``), itself checked against
  Keras: equal to Keras's float64 mode where that mode is float64, and to Keras's float32
  within float32 rounding elsewhere (but at the restart steps Keras's float32 rounds into
  a neighbouring cycle: ``keras32_jump_steps``).

Keras's own float32 (its default ``floatx``, jitted, int32 steps, as an optimizer calls
it; the fixed cases' in a few XLA programs, each its own jit: ``jitted.JitTables``) is compared with the truth for information: the worst errors are bounded per schedule
and printed in the ports' report at the end of the run (``anchor_harness.record_own_float32``).
"""

from __future__ import annotations

import math
import os

os.environ["KERAS_BACKEND"] = "jax"  # before any keras import: TensorFlow is not installed

from contextlib import contextmanager  # noqa: E402
from fractions import Fraction  # noqa: E402
from typing import Any  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from keras.optimizers import schedules as KS  # noqa: E402
from pytest import approx  # noqa: E402

from parity_tests.anchor_harness import Above, Adapter, Case, Refusal, record_own_float32  # noqa: E402
from parity_tests.conftest import errors  # noqa: E402
from parity_tests.jitted import JitTables  # noqa: E402
from warmup_spec import Schedule, spec_from_config  # noqa: E402

LIB = "keras"
GENUINE_F64 = {"ExponentialDecay", "InverseTimeDecay", "PolynomialDecay", "PiecewiseConstantDecay"}


def k(schedule: str, **kw: Any) -> dict[str, Any]:
    return {"schedule": f"keras.{schedule}", **kw}


# --- Keras itself ----------------------------------------------------------------------------


@contextmanager
def keras_float64():
    """``floatx="float64"`` under ``jax.enable_x64``; the global state restored after."""
    old = keras.config.floatx()
    with jax.enable_x64(True):
        keras.config.set_floatx("float64")
        try:
            yield
        finally:
            keras.config.set_floatx(old)


def keras_schedule(cfg: dict[str, Any]) -> Any:
    """Keras's own schedule object for one of our ``"keras.<Name>"`` configs."""
    kw = {key: v for key, v in cfg.items() if key != "schedule"}
    return getattr(KS, cfg["schedule"].removeprefix("keras."))(**kw)


def keras_f64(cfg: dict[str, Any], n: int) -> np.ndarray:
    """Keras in float64 mode, op by op, on int64 steps ``0..n-1`` (evaluated on a whole
    block of steps: one shape, so JAX compiles each op once for every config)."""
    sched = keras_schedule(cfg)
    block = -(-n // 4096) * 4096
    with keras_float64():
        out = jax.vmap(sched)(jnp.arange(block, dtype=jnp.int64))
        dtype = out.dtype
        values = np.asarray(out, np.float64)[:n]
    assert dtype == jnp.float64, f"{cfg}: Keras's float64 mode returned {dtype}"
    return values


def keras_f32(cfg: dict[str, Any], n: int) -> np.ndarray:
    """Keras as an optimizer calls it: default floatx (float32), jitted, int32 steps."""
    assert keras.config.floatx() == "float32"
    out = jax.jit(jax.vmap(keras_schedule(cfg)))(jnp.arange(n, dtype=jnp.int32))
    assert out.dtype == jnp.float32
    return np.asarray(out, np.float64)


# --- the formulas of keras/src/optimizers/schedules/learning_rate_schedule.py (Keras 3.15.1),
# transcribed literally in float64 (each op in Keras's order; ``t`` the float64 step) ---------


def exponential_decay(t, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = t / decay_steps
    if staircase:
        p = np.floor(p)
    return initial_learning_rate * np.power(decay_rate, p)


def inverse_time_decay(t, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = t / decay_steps
    if staircase:
        p = np.floor(p)
    denom = 1.0 + decay_rate * p
    return initial_learning_rate / denom


def piecewise_constant_decay(t, boundaries, values):
    result = (t <= boundaries[0]) * values[0]
    result = result + (t > boundaries[-1]) * values[-1]
    for low, high, v in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
        result = result + ((t > low) & (t <= high)) * v
    return result


def polynomial_decay(t, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False):
    global_step = t
    decay_steps_recomp = np.full_like(t, float(decay_steps))
    if cycle:
        multiplier = np.where(global_step == 0, 1.0, np.ceil(global_step / decay_steps))
        decay_steps_recomp = decay_steps_recomp * multiplier
    else:
        global_step = np.minimum(global_step, decay_steps_recomp)
    p = global_step / decay_steps_recomp
    return (initial_learning_rate - end_learning_rate) * np.power(1 - p, power) + end_learning_rate


def cosine_decay(t, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    def decay_function(step, decay_from_lr):
        completed_fraction = step / decay_steps
        cosine_decayed = 0.5 * (1.0 + np.cos(math.pi * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return decay_from_lr * decayed

    if warmup_target is None:
        return decay_function(np.minimum(t, float(decay_steps)), initial_learning_rate)
    global_step = np.minimum(t, float(decay_steps) + float(warmup_steps))
    with np.errstate(divide="ignore", invalid="ignore"):  # warmup_steps = 0: that branch is never taken
        completed_fraction = global_step / warmup_steps
        warm = (warmup_target - initial_learning_rate) * completed_fraction + initial_learning_rate
    return np.where(global_step < warmup_steps, warm, decay_function(global_step - warmup_steps, warmup_target))


def cosine_decay_restarts(t, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    completed_fraction = t / first_decay_steps
    if t_mul == 1.0:
        i_restart = np.floor(completed_fraction)
        completed_fraction = completed_fraction - i_restart
    else:
        i_restart = np.floor(np.log(1.0 - completed_fraction * (1.0 - t_mul)) / np.log(t_mul))
        sum_r = (1.0 - np.power(t_mul, i_restart)) / (1.0 - t_mul)
        completed_fraction = (completed_fraction - sum_r) / np.power(t_mul, i_restart)
    m_fac = np.power(m_mul, i_restart)
    cosine_decayed = 0.5 * m_fac * (1.0 + np.cos(math.pi * completed_fraction))
    decayed = (1 - alpha) * cosine_decayed + alpha
    return initial_learning_rate * decayed


FORMULAS = {
    "ExponentialDecay": exponential_decay,
    "InverseTimeDecay": inverse_time_decay,
    "PiecewiseConstantDecay": piecewise_constant_decay,
    "PolynomialDecay": polynomial_decay,
    "CosineDecay": cosine_decay,
    "CosineDecayRestarts": cosine_decay_restarts,
}


def keras_formula(cfg: dict[str, Any], n: int) -> np.ndarray:
    kw = {key: v for key, v in cfg.items() if key != "schedule"}
    t = np.arange(n, dtype=np.float64)
    return np.asarray(FORMULAS[cfg["schedule"].removeprefix("keras.")](t, **kw), np.float64)


def keras32_jump_steps(cfg: dict[str, Any], n: int) -> set[int]:
    """The steps ``< n`` at which Keras's float32 may round to the neighbouring stair or cycle:
    under ``jit`` XLA divides by ``decay_steps`` as a product with its rounded reciprocal
    (``floor(291 * (1 / 97)) = 2``: a stair one step late) and ``CosineDecayRestarts`` takes a
    float32 ``log`` at every restart (exact rationals; steps within 1e-6 of a cycle start)."""
    name = cfg["schedule"].removeprefix("keras.")
    if name == "CosineDecayRestarts":
        first, m = cfg["first_decay_steps"], Fraction(cfg.get("t_mul", 2.0))
        out, j = set(), 1
        while True:
            start = first * j if m == 1 else first * (m**j - 1) / (m - 1)
            if start > n:
                return out
            near = round(start)
            if abs(near - start) < Fraction(1, 10**6):
                out.add(int(near))
            j += 1
    if cfg.get("staircase") or cfg.get("cycle"):
        return set(range(0, n, cfg["decay_steps"]))
    return set()


# --- the adapter ---------------------------------------------------------------------------------


def keras_truth(cfg: dict[str, Any], n: int) -> np.ndarray:
    """Keras's float64 truth: its float64 mode where that mode is float64 (the transcribed
    formula checked against it), else the transcribed formula."""
    name = cfg["schedule"].removeprefix("keras.")
    formula = keras_formula(cfg, n)
    if name not in GENUINE_F64:
        return formula
    truth = keras_f64(cfg, n)
    peak = float(np.max(np.abs(formula))) or 1.0
    abs_err, rel_err = errors(formula, truth, peak)  # the transcription is Keras's formula
    assert abs_err <= 1e-14 and rel_err <= 1e-13, (cfg, abs_err, rel_err)
    return truth


def own_float32(case: Case, truth: np.ndarray) -> None:
    """Keras's own float32 against the truth (``case.opts["own32"]``, default on): equal within
    ``KERAS32_BOUND`` away from a stair or a restart; the worst errors go to the ports' report."""
    if not case.opts.get("own32", True):
        return
    cfg, n = case.cfg, case.n
    name = cfg["schedule"].removeprefix("keras.")
    own = _own32(case)
    peak = float(np.max(np.abs(truth))) or 1.0
    off = np.abs(own - truth) > 1e-3 * peak  # a stair or a cycle away
    jumps = keras32_jump_steps(cfg, n)
    bad = [int(s) for s in np.nonzero(off)[0] if int(s) not in jumps]
    assert not bad, f"{cfg}: Keras float32 differs away from a stair or a restart at steps {bad[:5]}"
    abs32, rel32 = errors(own[~off], truth[~off], peak)
    assert abs32 <= KERAS32_BOUND[name] and rel32 <= KERAS32_BOUND[name], (cfg, abs32, rel32)
    record_own_float32(LIB, name, abs32, rel32, int(off.sum()))


_OWN32: list[np.ndarray] = []


def _own32(case: Case) -> np.ndarray:
    """Keras's float32 of a fixed case: every fixed case's computed on the first call, each
    jitted as an optimizer calls it, in a few XLA programs (``JitTables``, which checks that
    Keras computes in float32)."""
    if not any(case is c for c in CASES):
        return keras_f32(case.cfg, case.n)
    if not _OWN32:
        assert keras.config.floatx() == "float32"
        _OWN32.extend(JitTables([c.cfg for c in CASES], [np.arange(c.n) for c in CASES], keras_schedule,
                                forms=("f32",), chunk=32).form("f32"))
    return _OWN32[next(i for i, c in enumerate(CASES) if case is c)]


KERAS32_BOUND = {  # Keras's own float32 against the truth: its worst errors here, with a margin
    "ExponentialDecay": 2e-4,  # decay_rate ** (t / decay_steps): the rounded exponent, 5e-5 at 1.002 ** 2000
    "InverseTimeDecay": 1e-6,
    "PiecewiseConstantDecay": 1e-7,
    "PolynomialDecay": 3e-3,  # (1 - t / D) ** power cancels near the end: 9e-4 with power 0.5
    "CosineDecay": 1e-4,  # 1 + cos(pi u) cancels near the end: 2e-5
    "CosineDecayRestarts": 1e-3,  # the same, and log(...) / log(t_mul): 1.3e-4
}


QUIRK_CYCLE = k("PolynomialDecay", initial_learning_rate=1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
QUIRK_WARMUP = k("CosineDecay", initial_learning_rate=0.0, decay_steps=4, alpha=0.1, warmup_target=1.0,
                 warmup_steps=3)
QUIRK_FLOOR = k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=4, t_mul=1.0, m_mul=0.5,
                alpha=0.1)
QUIRK_LATE = k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=1, t_mul=3.0)

# (config, steps): every schedule with its defaults, edge cases and quirks
_ROWS: list[tuple[Any, ...]] = [  # (config, steps[, quirks: step -> value, at 1e-13])
    # ExponentialDecay
    (k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=100, decay_rate=0.96), 3000),
    (k("ExponentialDecay", initial_learning_rate=1e-2, decay_steps=7, decay_rate=0.5, staircase=True), 200),
    (k("ExponentialDecay", initial_learning_rate=1e-3, decay_steps=1, decay_rate=1.002), 2000),  # grows
    (k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=1.0), 30),
    # InverseTimeDecay
    (k("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=1, decay_rate=0.5), 2000),
    (k("InverseTimeDecay", initial_learning_rate=3e-4, decay_steps=97, decay_rate=2.5, staircase=True), 3000),
    (k("InverseTimeDecay", initial_learning_rate=0.05, decay_steps=10, decay_rate=0.0), 50),
    # PiecewiseConstantDecay: values[k] from the step AFTER boundaries[k - 1]
    (k("PiecewiseConstantDecay", boundaries=[100, 110], values=[1.0, 0.5, 0.1]), 300,
     {100: 1.0, 101: 0.5, 110: 0.5, 111: 0.1}),  # step <= boundary keeps the earlier value
    (k("PiecewiseConstantDecay", boundaries=[0], values=[0.1, 0.01]), 10),
    (k("PiecewiseConstantDecay", boundaries=[1, 2, 3, 7], values=[0.4, 0.3, 0.0, 0.2, 0.1]), 12),
    # PolynomialDecay
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=1000), 1300),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=700, end_learning_rate=0.01, power=0.5), 900),
    (QUIRK_CYCLE, 45, {0: 1.0, 10: 0.0, 11: approx(0.45, rel=1e-15), 20: 0.0, 21: approx(0.3, rel=1e-14)}),
    (k("PolynomialDecay", initial_learning_rate=1.0, decay_steps=37, end_learning_rate=0.1, power=2.0,
       cycle=True), 1500),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=1, end_learning_rate=0.01, cycle=True), 20),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=50, end_learning_rate=0.0, power=0.0), 80),
    # CosineDecay
    (k("CosineDecay", initial_learning_rate=0.1, decay_steps=1000), 1300),
    (k("CosineDecay", initial_learning_rate=0.0, decay_steps=1000, warmup_target=0.1, warmup_steps=100), 1300),
    (k("CosineDecay", initial_learning_rate=1e-4, decay_steps=497, alpha=0.05, warmup_target=1e-3,
       warmup_steps=37), 700),
    (k("CosineDecay", initial_learning_rate=0.5, decay_steps=100, alpha=0.1, warmup_target=0.1,
       warmup_steps=0), 150, {0: 0.1}),  # starts at warmup_target
    (k("CosineDecay", initial_learning_rate=0.1, decay_steps=100, warmup_steps=50), 200, {0: 0.1}),  # warmup ignored
    (QUIRK_WARMUP, 10, {3: 1.0, 6: Above(0.1), 7: approx(0.1, rel=1e-15)}),  # decay_steps count after the warmup
    # CosineDecayRestarts
    (k("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=100), 3200),
    (k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=37, t_mul=1.5, m_mul=0.9,
       alpha=0.01), 3000),
    (QUIRK_FLOOR, 40, {4: approx(0.55, rel=1e-15), 8: approx(0.1 + 0.9 * 0.25, rel=1e-15)}),  # floor not scaled
    # float64 log(3**5) / log(3) < 5: the restart at step 121 comes one step late (the end of cycle 4)
    (QUIRK_LATE, 400, {40: 1.0, 121: 0.0, 122: approx(math.cos(math.pi / 486) ** 2, rel=1e-12)}),
    (k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=1, t_mul=10.0, m_mul=0.5,
       alpha=0.2), 1500),  # step 111: the end of cycle 2
    (k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=16, t_mul=1.5), 400),  # 211 late
    (k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=10, t_mul=1.1), 500),
]


CASES = [Case(row[0], row[1], at=row[2] if len(row) > 2 else {}, tol_f64=1e-13 if len(row) > 2 else 1e-12)
         for row in _ROWS] + [
    # t_mul = 1.001: both Keras's float64 formula (its (1 - t_mul**i) / (1 - t_mul)) and our cycle starts
    # (L (t_mul**i - 1) / (t_mul - 1)) lose 1 / (t_mul - 1) ulps: each is within 1e-11 of the exact value
    # (mpmath), so they agree to 2e-11 only; Keras's float32 log misplaces cycles by steps (not compared)
    Case(k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=3, t_mul=1.001), 2000, tol_f64=1e-10,
         opts={"own32": False}),
]


LR = st.floats(1e-5, 1.0)
KINDS = ["CosineDecayRestarts", "PolynomialDecay", "CosineDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
         "ExponentialDecay"]


@st.composite
def keras_configs(draw: Any) -> Case:
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.integers(1, 400))
    if kind in ("ExponentialDecay", "InverseTimeDecay"):
        rate = draw(st.floats(0.3, 1.02) if kind == "ExponentialDecay" else st.floats(0.0, 5.0))
        cfg = k(kind, initial_learning_rate=draw(LR), decay_steps=draw(st.integers(1, 200)), decay_rate=rate,
                staircase=draw(st.booleans()))
    elif kind == "PiecewiseConstantDecay":
        bounds = sorted(draw(st.sets(st.integers(0, 400), min_size=1, max_size=4)))
        values = draw(st.lists(st.floats(0.0, 1.0), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
        cfg = k(kind, boundaries=bounds, values=values)
    elif kind == "PolynomialDecay":
        p = draw(LR)
        cfg = k(kind, initial_learning_rate=p, decay_steps=draw(st.integers(1, 300)),
                end_learning_rate=p * draw(st.floats(0.0, 1.0)), power=draw(st.just(0.0) | st.floats(1e-6, 3.0)),
                cycle=draw(st.booleans()))
    elif kind == "CosineDecay":
        target = draw(st.none() | LR)
        cfg = k(kind, initial_learning_rate=draw(LR), decay_steps=draw(st.integers(1, 300)),
                alpha=draw(st.floats(0.0, 1.0)), warmup_target=target, warmup_steps=draw(st.integers(0, 100)))
    else:
        t_mul = draw(st.sampled_from([1.0, 1.5, 2.0, 3.0]) | st.floats(1.01, 4.0))
        cfg = k(kind, initial_learning_rate=draw(LR), first_decay_steps=draw(st.integers(1, 100)), t_mul=t_mul,
                m_mul=draw(st.floats(0.05, 1.0)), alpha=draw(st.floats(0.0, 1.0)))
    return Case(cfg, n, opts={"own32": False})


REFUSED = [Refusal(cfg, match, (lambda cfg=cfg: keras_schedule(cfg)) if keras_raises else None)
           for cfg, match, keras_raises in [
    (k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=0, decay_rate=0.9),
     r"keras\.ExponentialDecay: decay_steps=0 is invalid; expected an integer >= 1", True),
    (k("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=-3, decay_rate=0.9),
     r"decay_steps=-3 is invalid", True),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=0), r"decay_steps=0 is invalid", True),
    (k("CosineDecay", initial_learning_rate=0.1, decay_steps=0), r"decay_steps=0 is invalid", True),
    (k("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=0),
     r"first_decay_steps=0 is invalid; expected an integer >= 1", True),
    (k("PiecewiseConstantDecay", boundaries=[10, 20], values=[0.1, 0.01]),
     r"boundaries=\[10, 20\] is invalid; expected a list of 1 integers \(one fewer than values\)", True),
    (k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=-0.5),
     r"decay_rate=-0.5 is invalid; expected a finite number > 0.0", False),
    (k("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=-1.0),
     r"decay_rate=-1.0 is invalid; expected a finite number >= 0.0", False),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=10, power=-1.0), r"power=-1.0 is invalid", False),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=10, power=1e-300),
     r"power=1e-300 is invalid; expected 0.0 or a finite number >= 1.1754943508222875e-38", False),
    (k("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=10, t_mul=0.5),
     r"t_mul=0.5 is invalid; expected 1.0 or a finite number in \[1.001, 64.0\]", False),
    (k("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=10, m_mul=0.0),
     r"m_mul=0.0 is invalid", False),
    (k("PiecewiseConstantDecay", boundaries=[20, 10], values=[0.1, 0.01, 0.001]),
     r"expected strictly increasing integers", False),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=10.5), r"decay_steps=10.5 is invalid", False),
    (k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9, name="lr"),
     r"unknown parameter 'name'", False),
]]
ADAPTER = Adapter(LIB, keras_truth, CASES, drawn=[keras_configs()], refused=REFUSED, after=own_float32)


# --- Keras's own -------------------------------------------------------------------------------------


def test_keras_restarts_late_far_out():
    """float64 ``log`` puts the restarts of ``QUIRK_LATE`` late far out too (its values near 0 are in CASES)."""
    host = Schedule(QUIRK_LATE)
    assert host(29524) == 0.0 and host(29525) > 0.99 and host(29523) < 1e-8


def test_keras_float64_mode_computes_the_cosine_in_float32():
    """Why the cosine schedules' truth is the transcribed formula: on JAX, Keras's
    ``float64`` mode still rounds ``cos`` to float32 (``cos(pi / 2)`` is -4.4e-8, not 6e-17)."""
    with keras_float64():
        half = float(KS.CosineDecay(1.0, 10)(5))
        restart = float(KS.CosineDecayRestarts(1.0, 10, t_mul=1.0)(5))
    assert half == restart == float(np.float32(0.5 * (1.0 + np.cos(np.float32(math.pi) * np.float32(0.5)))))
    assert half != 0.5


def test_keras_empty_boundaries_fail_in_keras_and_here():
    sched = KS.PiecewiseConstantDecay([], [0.1])
    with pytest.raises(IndexError):
        sched(0)
    with pytest.raises(ValueError, match=r"values=\[0.1\] is invalid; expected a list of at least 2"):
        spec_from_config(k("PiecewiseConstantDecay", boundaries=[], values=[0.1]))


@pytest.mark.parametrize("cfg", [CASES[i].cfg for i in (1, 5, 7, 13)], ids=lambda c: c["schedule"])
def test_keras_called_step_by_step_equals_the_vmapped_truth(cfg):
    """``schedule(step)`` called on one step at a time, as an optimizer calls it, gives the values
    the vmapped evaluation gives (the truth's way of calling it)."""
    steps = [0, 1, 7, 36, 37, 38, 110, 111, 299]
    truth = keras_f64(cfg, 300)
    sched = keras_schedule(cfg)
    with keras_float64():
        one_by_one = [float(sched(jnp.asarray(t, jnp.int64))) for t in steps]
    assert one_by_one == [float(truth[t]) for t in steps]
