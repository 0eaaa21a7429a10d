"""Shared fixtures: single-threaded torch, float tolerances, error measures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from warmup_parity.lr_table import FLOOR, errors  # noqa: F401  (the one error measure)

# Float32 JAX vs the float64 reference: pointwise relative where lr >= 1e-3 of the
# peak, absolute (relative to the peak) everywhere. Float64 back ends: 1e-12.
TOL_F32 = 1e-6
TOL_F64 = 1e-12


def assert_close(got, ref, tol: float, what: str = "", peak: float | None = None) -> tuple[float, float]:
    got = np.asarray(got, np.float64)
    assert np.all(np.isfinite(got)), f"{what}: non-finite values"
    abs_err, rel_err = errors(got, ref, peak)
    assert abs_err <= tol and rel_err <= tol, (
        f"{what}: max |err|/peak {abs_err:.3e}, max rel err {rel_err:.3e} > {tol:.0e}"
    )
    return abs_err, rel_err


@pytest.fixture(autouse=True, scope="session")
def _torch_single_thread():
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


def pytest_sessionfinish(session: Any) -> None:
    """A pytest-xdist worker sends its part of the ports' report to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from parity_tests.anchor_harness import export

        workeroutput["anchor_report"] = export()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds each worker's part of the ports' report (pytest-xdist)."""
    from parity_tests.anchor_harness import merge

    merge(getattr(node, "workeroutput", {}).get("anchor_report", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The ports of other libraries' schedules: what was compared, and the worst errors."""
    from parity_tests.anchor_harness import summary

    lines = summary()
    if lines:
        terminalreporter.section("ports compared with their libraries")
        for line in lines:
            terminalreporter.write_line(line)
