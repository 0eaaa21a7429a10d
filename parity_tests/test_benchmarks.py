"""The benchmarks run and report in the agreed schema. No time is asserted here:
targets are measured and reported by ``make bench`` (benchmarks/RESULTS.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

KEYS = {"section", "id", "description", "value", "unit", "min", "max", "target", "met", "note"}


def _check_rows(rows, section):
    assert rows and all(set(r) == KEYS for r in rows)
    assert all(r["section"] == section for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(isinstance(r["value"], float) for r in rows)


def test_host_benchmark_rows():
    from benchmarks import bench_host

    rows = bench_host.run(quick=True)
    _check_rows(rows, "host")
    by_id = {r["id"]: r for r in rows}
    assert by_id["host.c.numpy_table.warmup_cosine_decay_1e6"]["target"] == ">= 5e7"
    assert by_id["host.mem.table_1e7.numpy"]["unit"] == "MiB"


def test_markdown_report_lists_every_row_and_the_misses():
    from benchmarks.__main__ import markdown

    rows = [
        {"section": "jax", "id": "jax.x", "description": "d", "value": 1.5, "unit": "ratio", "min": 1.0,
         "max": 2.0, "target": "<= 1.01", "met": False, "note": "bounded by dispatch"},
        {"section": "host", "id": "host.y", "description": "e", "value": 6e7, "unit": "steps/s", "min": None,
         "max": None, "target": "", "met": None, "note": ""},
    ]
    info = {"date": "today", "cpu": "cpu", "cores": "2", "os": "linux", "python": "3.11",
            **{p: "1" for p in ("jax", "jaxlib", "optax", "flax", "torch", "numpy")}}
    md = markdown(rows, info, "CPU")
    assert "Targets met: **0 of 1**" in md and "`jax.x`" in md and "**NO**" in md
    assert "| `host.y` | e | 6e+07 | steps/s |" in md


@pytest.mark.slow
@pytest.mark.parametrize("module,section", [("bench_jax", "jax"), ("bench_torch", "torch")])
def test_framework_benchmarks_quick(tmp_path, module, section):
    out = tmp_path / "rows.json"
    subprocess.run([sys.executable, "-m", f"benchmarks.{module}", "--quick", "--out", str(out)], check=True)
    _check_rows(json.loads(out.read_text()), section)
