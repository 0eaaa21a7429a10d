"""Host-side NumPy tables (plots, inspect, logging): the same array forms as JAX,
in float64, equal to the reference; sorted, shuffled and scalar steps agree."""

from __future__ import annotations

import numpy as np
import pytest

from parity_tests.cases import ALL, FAR_STEPS, steps_for
from parity_tests.conftest import TOL_F64, assert_close
from warmup_spec import spec_from_config
from warmup_spec.reference import reference_table
from warmup_spec.tables import lr_table, numpy_schedule


@pytest.mark.parametrize("cfg", [c for _, c in ALL], ids=[i for i, _ in ALL])
def test_numpy_table_matches_reference(cfg):
    steps = steps_for(cfg)
    ref = np.asarray(reference_table(spec_from_config(cfg), steps))
    table = lr_table(cfg, steps)
    assert table.dtype == np.float64
    assert_close(table, ref, TOL_F64, "numpy table")
    # any order and a single step give the same values (to the few ulps NumPy's SIMD and scalar sin/exp differ by)
    f = numpy_schedule(cfg)
    perm = np.random.default_rng(0).permutation(steps)
    np.testing.assert_allclose(f(perm), table[perm], rtol=1e-15, atol=0)
    for t in (0, int(steps[-1]) // 2, int(steps[-1])):
        assert float(f(t)) == pytest.approx(table[t], rel=1e-15, abs=1e-300)
    far = lr_table(cfg, FAR_STEPS)
    assert np.all(np.isfinite(far)) and np.all(far >= 0)


def test_table_accepts_ranges_lists_and_arrays():
    cfg = {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 2, "total_steps": 4}
    want = [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    assert lr_table(cfg, range(6)).tolist() == want
    assert lr_table(cfg, [0, 1, 2, 3, 4, 5]).tolist() == want
    assert lr_table(cfg, np.arange(6, dtype=np.int32)).tolist() == want
