"""Our ports of other libraries' schedules against the libraries themselves: each test shape
written once, fed by one adapter per library (``parity_tests/anchors/``, the record types in
``anchor_harness``):

- the fixed cases equal the library at every step, in every front end (``anchor_harness.check``;
  their jitted forms computed a library at a time; the x64 one of the first case of each
  schedule, of every case under ``make test-all``), with the quirks' hand-computed values;
- hypothesis-drawn configs equal the library (the host, NumPy and torch forms);
- what the library refuses is refused, and what we refuse besides, with our reason;
- ``warmup_torch.to_config`` of a live library scheduler builds the same schedule, per param group.

Each library's tests are in one ``xdist_group``: one pytest-xdist worker computes its tables.
The tests that are one library's own are in its adapter module, collected here (the end).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity_tests import anchors
from parity_tests.anchor_harness import Adapter, check, compare, optimizer
from warmup_parity.lr_table import errors
from warmup_spec import spec_from_config
from warmup_spec.tables import lr_table

ADAPTERS = anchors.ADAPTERS


def _short(cfg: dict[str, Any]) -> str:
    return str(cfg["schedule"]).split(".", 1)[-1]


def _params(rows: str, name: Any = None) -> list[Any]:
    """One ``(adapter, index)`` per row of ``adapter.<rows>``, id ``library-schedule-index``."""
    out = []
    for a in ADAPTERS:
        for i, row in enumerate(getattr(a, rows)):
            marks = [pytest.mark.xdist_group(a.library)]
            if rows == "drawn" and a.drawn_slow:
                marks.append(pytest.mark.slow)
            label = f"{a.library}-{name(row)}-{i}" if name else f"{a.library}-{i}"
            out.append(pytest.param(a, i, id=label, marks=marks))
    return out


@pytest.mark.parametrize("adapter,i", _params("cases", lambda c: _short(c.cfg)))
def test_equals_the_library(adapter: Adapter, i: int) -> None:
    compare(adapter, adapter.cases[i], adapter.jitted(i))


@pytest.mark.parametrize("adapter,i", _params("drawn"))
@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_drawn_configs_equal_the_library(adapter: Adapter, i: int, data: st.DataObject) -> None:
    case = data.draw(adapter.drawn[i])
    try:
        spec_from_config(case.cfg)
    except ValueError:
        if adapter.drawn_refusal is None:
            raise
        with pytest.raises(adapter.drawn_refusal):  # refused where the library fails
            adapter.truth(case)
        return
    compare(adapter, case)


@pytest.mark.parametrize("adapter,i", _params("refused", lambda r: _short(r.cfg)))
def test_refused_with_our_reason(adapter: Adapter, i: int) -> None:
    row = adapter.refused[i]
    with pytest.raises(ValueError, match=row.match):
        spec_from_config(row.cfg)
    if row.library is not None:  # the library refuses it too
        with pytest.raises(row.raises, match=row.says):
            row.library()


def _driven(adapter: Adapter, row: Any, sched: Any, opt: Any) -> np.ndarray:
    """Every group's lr at each of ``row.n`` updates of the live scheduler, driven as its users do."""
    assert adapter.drive is not None
    return np.asarray(adapter.drive(sched, opt, row.n), np.float64).reshape(row.n, len(row.groups))


@pytest.mark.parametrize("adapter,i", _params("live", lambda r: r.id))
def test_to_config_round_trips(adapter: Adapter, i: int) -> None:
    """The configs read from a live scheduler equal it at every step, in every front end and
    every param group; ``row.shape`` checks their form."""
    import warmup_torch

    row = adapter.live[i]
    cfgs, sched, opt = adapter.configs_of(row)
    if row.shape is not None:
        row.shape(warmup_torch.to_config(sched), sched)
    expected = _driven(adapter, row, sched, opt)
    for g, cfg in enumerate(cfgs):
        if adapter.ports(cfg):
            check(adapter.library, cfg, expected[:, g], jitted=adapter.jitted((i, g)))
    if len(cfgs) == 1:
        return
    ours = warmup_torch.ScheduleLR(optimizer(row.lr, (None,) * len(cfgs)), cfgs)  # one config a param group
    got = np.empty_like(expected)
    for k in range(row.n):
        got[k] = [g["lr"] for g in ours.optimizer.param_groups]
        ours.optimizer.step()
        ours.step()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=row.atol)
    for g, cfg in enumerate(cfgs):
        if not adapter.ports(cfg):  # a scaled group: its float64 array forms here (jax's x64 where computed)
            for values in (lr_table(cfg, range(row.n)), adapter.jitted((i, g))[0]):
                if values is not None:
                    np.testing.assert_allclose(values, expected[:, g], rtol=1e-12, atol=row.atol)


@pytest.mark.slow
@pytest.mark.parametrize("adapter", [pytest.param(a, id=a.library, marks=pytest.mark.xdist_group(a.library))
                                     for a in ADAPTERS])
def test_x64_jitted_forms_equal_the_library(adapter: Adapter) -> None:
    """The x64 jax form of every case and round-trip config that ``make test`` checks in its
    other forms only (it checks the first of each schedule's), at the tolerances of
    :func:`test_equals_the_library` and :func:`test_to_config_round_trips`."""
    rest = adapter.x64_of_the_rest()
    assert rest, f"{adapter.library}: every case is the first of its schedule"
    for key, x64 in rest.items():
        if isinstance(key, int):
            case = adapter.cases[key]
            expected = adapter.truth(case)[0]
            abs_err, rel_err = errors(x64, expected, float(np.max(np.abs(expected))) or 1.0)
            assert abs_err <= case.tol_f64 and rel_err <= case.tol_f64, (case.cfg, abs_err, rel_err)
        else:
            i, g = key
            row = adapter.live[i]
            _, sched, opt = adapter.configs_of(row)
            np.testing.assert_allclose(x64, _driven(adapter, row, sched, opt)[:, g], rtol=1e-12, atol=row.atol)


def test_the_ports_report_adds_up_across_xdist_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a worker exports the controller merges: configs add up, the worst errors and the
    library's own float32 records survive (the report printed at the end of ``make test``)."""
    from parity_tests import anchor_harness as H

    monkeypatch.setattr(H, "REPORT", {})
    H.REPORT["keras"] = H.LibraryReport({"CosineDecay"}, 2, 600, 1e-15, 2e-7, "CosineDecay", "CosineDecay")
    H.record_own_float32("keras", "CosineDecay", 3e-7, 4e-7, 1)
    worker = H.export()
    monkeypatch.setattr(H, "REPORT", {})
    H.merge(worker)
    H.merge(worker)
    rep = H.REPORT["keras"]
    assert (rep.configs, rep.steps, rep.worst_f32, rep.own_f32) == (4, 1200, 2e-7, {"CosineDecay": [3e-7, 4e-7, 2]})
    assert H.summary()[1].startswith("  keras's own float32 CosineDecay")


# each library's own tests (``test_*`` in parity_tests/anchors/<library>.py), in its xdist group
globals().update(anchors.own_tests())
