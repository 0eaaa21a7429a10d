"""One check for every port of another library's schedule: our front ends against the
library itself (or its cited formula), at every step from 0 to well past the end.

``check(library, cfg, expected)`` evaluates ``cfg`` with

- the float64 host ``Schedule`` (what ``warmup_torch`` is built on),
- ``warmup_torch.scheduler_from_config``, stepped as a user steps it (``optimizer.step()`` then
  ``scheduler.step()``), reading the lr each update uses,
- ``warmup_jax.schedule_from_config`` under ``jit(vmap)``, in x64 and in float32 (int32 steps),
  for the fixed cases only: a config drawn by hypothesis (``currently_in_test_context``)
  would compile twice per example, so drawn configs check the host and torch forms,

and compares each with ``expected`` (float64; ``expected[k]`` is the lr of update ``k``):
float64 within 1e-12 relative where the lr is at least 1e-3 of its peak and 1e-12 of the
peak absolutely everywhere; float32 within 1e-6 the same way (against ``expected_f32``
when given: optax's own float32 is compared with optax evaluated in float64). The worst
errors are kept per library and printed at the end of the run (``conftest.py``), with the
library's own float32 errors where a test measures them (:func:`record_own_float32`); under
pytest-xdist each worker sends its part to the controller (:func:`export`, :func:`merge`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import currently_in_test_context

from warmup_parity.lr_table import errors

TOL_F64 = 1e-12
TOL_F32 = 1e-6


@dataclass
class LibraryReport:
    schedules: set[str] = field(default_factory=set)
    configs: int = 0
    steps: int = 0
    worst_f64: float = 0.0
    worst_f32: float = 0.0
    worst_f64_at: str = ""
    worst_f32_at: str = ""
    own_f32: dict[str, list[float]] = field(default_factory=dict)
    """The library's own float32 against the truth, per schedule: [worst |err|/peak, worst rel,
    the number of steps a stair or a restart away]."""


REPORT: dict[str, LibraryReport] = {}


def jax_values(cfg: dict[str, Any], steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x64, float32) values of ``warmup_jax.schedule_from_config(cfg)`` under ``jit(vmap)``."""
    import jax
    import jax.numpy as jnp

    import warmup_jax

    with jax.enable_x64(True):
        f64 = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, jnp.int64)), np.float64)
    f32 = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, jnp.int32)), np.float64)
    return f64, f32


def torch_values(cfg: dict[str, Any], n: int) -> np.ndarray:
    """The lr of each of ``n`` updates with ``warmup_torch.scheduler_from_config`` stepped as users do."""
    import torch

    import warmup_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=float(cfg.get("lr", 1.0)) or 1.0)
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    out = np.empty(n)
    for k in range(n):
        out[k] = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    return out


def check(
    library: str,
    cfg: dict[str, Any],
    expected: Any,
    *,
    expected_f32: Any = None,
    tol_f64: float = TOL_F64,
    tol_f32: float = TOL_F32,
) -> tuple[float, float]:
    """Asserts our front ends equal ``expected`` (steps ``0..len(expected) - 1``); returns the
    worst (float64, float32) error. See the module docstring."""
    from warmup_spec import Schedule

    expected = np.asarray(expected, np.float64)
    n = len(expected)
    steps = np.arange(n, dtype=np.int64)
    peak = float(np.max(np.abs(expected))) or 1.0
    host = Schedule(cfg)
    got = {
        "host float64": np.array([host(int(t)) for t in steps]),
        "torch scheduler": torch_values(cfg, n),
    }
    jitted = not currently_in_test_context()  # a drawn config: the host and torch forms only
    if jitted:
        got["jax x64"], f32 = jax_values(cfg, steps)
    worst64 = 0.0
    for what, values in got.items():
        assert np.all(np.isfinite(values)), f"{cfg}: {what} has non-finite values"
        abs_err, rel_err = errors(values, expected, peak)
        worst64 = max(worst64, abs_err, rel_err)
        assert abs_err <= tol_f64 and rel_err <= tol_f64, (
            f"{cfg}: {what} differs from the library: max |err|/peak {abs_err:.3e}, max rel {rel_err:.3e}; "
            f"first bad step {_first_bad(values, expected, peak, tol_f64)}")
    worst32 = 0.0
    if jitted:
        ref32 = expected if expected_f32 is None else np.asarray(expected_f32, np.float64)
        abs32, rel32 = errors(f32, ref32, peak)
        worst32 = max(abs32, rel32)
        assert np.all(np.isfinite(f32)) and abs32 <= tol_f32 and rel32 <= tol_f32, (
            f"{cfg}: jax float32 differs: max |err|/peak {abs32:.3e}, max rel {rel32:.3e}; "
            f"first bad step {_first_bad(f32, ref32, peak, tol_f32)}")
    rep = REPORT.setdefault(library, LibraryReport())
    rep.schedules.add(cfg["schedule"])
    rep.configs += 1
    rep.steps += n
    if worst64 >= rep.worst_f64:
        rep.worst_f64, rep.worst_f64_at = worst64, cfg["schedule"]
    if worst32 >= rep.worst_f32:
        rep.worst_f32, rep.worst_f32_at = worst32, cfg["schedule"]
    return worst64, worst32


def record_own_float32(library: str, schedule: str, abs_err: float, rel_err: float, off: int) -> None:
    """Keeps the worst errors of the library's own float32 (informative: the test bounds them)."""
    worst = REPORT.setdefault(library, LibraryReport()).own_f32.setdefault(schedule, [0.0, 0.0, 0])
    worst[0], worst[1], worst[2] = max(worst[0], abs_err), max(worst[1], rel_err), worst[2] + off


def _first_bad(got: np.ndarray, ref: np.ndarray, peak: float, tol: float) -> str:
    err = np.abs(got - ref)
    big = ref >= 1e-3 * peak
    bad = (err > tol * peak) | (big & (err > tol * np.where(big, ref, 1.0)))
    idx = np.nonzero(bad)[0]
    if not idx.size:
        return "none"
    k = int(idx[0])
    return f"{k}: got {got[k]!r}, library {ref[k]!r}"


def export() -> dict[str, dict[str, Any]]:
    """REPORT as plain data (what a pytest-xdist worker sends back)."""
    return {lib: {**vars(r), "schedules": sorted(r.schedules)} for lib, r in REPORT.items()}


def merge(data: dict[str, dict[str, Any]]) -> None:
    """Adds a worker's :func:`export` to REPORT."""
    for lib, d in data.items():
        rep = REPORT.setdefault(lib, LibraryReport())
        rep.schedules.update(d["schedules"])
        rep.configs += d["configs"]
        rep.steps += d["steps"]
        if d["worst_f64"] >= rep.worst_f64:
            rep.worst_f64, rep.worst_f64_at = d["worst_f64"], d["worst_f64_at"]
        if d["worst_f32"] >= rep.worst_f32:
            rep.worst_f32, rep.worst_f32_at = d["worst_f32"], d["worst_f32_at"]
        for schedule, (abs_err, rel_err, off) in d["own_f32"].items():
            record_own_float32(lib, schedule, abs_err, rel_err, off)


def summary() -> list[str]:
    """One line per library: schedules, configs and steps compared, worst errors."""
    lines = []
    for lib in sorted(REPORT):
        r = REPORT[lib]
        lines.append(
            f"{lib:14s} {len(r.schedules):3d} schedules {r.configs:4d} configs {r.steps:9d} steps; "
            f"worst float64 {r.worst_f64:.2e} ({r.worst_f64_at}), float32 {r.worst_f32:.2e} ({r.worst_f32_at})")
        for name, (abs32, rel32, off) in sorted(r.own_f32.items()):
            lines.append(f"  {lib}'s own float32 {name:24s} max |err|/peak {abs32:.2e}, max rel {rel32:.2e} "
                         f"(besides {off} steps a stair or a restart away)")
    return lines
