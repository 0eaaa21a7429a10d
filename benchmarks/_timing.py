"""Shared timing helpers for the benchmarks: interleaved rounds, medians, result rows.

Variants are timed in one process, interleaved (A B A B ... rounds, the order rotated
every round so no variant always runs first), and compared by the median of the
per-round ratios, which cancels slow drifts of the machine (frequency, other load).
Times are never asserted in unit tests; targets are only reported (``met``).
"""

from __future__ import annotations

import argparse
import gc
import json
import operator
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

UNITS = ("ratio", "ns", "us", "ms", "count", "steps/s", "leaves", "bytes", "MiB")


def time_call(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes (GC off during the call); ``fn`` must block until done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        fn()
        return (time.perf_counter_ns() - t0) * 1e-9
    finally:
        if enabled:
            gc.enable()


def interleave(
    variants: Mapping[str, Callable[[], Any]], rounds: int, best_of: int = 1, warmup: int = 1
) -> dict[str, list[float]]:
    """Seconds per call of each variant, one value per round.

    Each variant is called ``warmup`` times first (untimed). A round runs every variant
    once per pass, in an order rotated every round, for ``best_of`` passes, and keeps
    each variant's fastest pass (the least disturbed by other load on the machine).
    Returns ``{name: [seconds of round 0, round 1, ...]}``.
    """
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    out: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    for r in range(rounds):
        k = r % len(names)
        order = names[k:] + names[:k]
        best = {name: float("inf") for name in names}
        for _ in range(best_of):
            for name in order:
                best[name] = min(best[name], time_call(variants[name]))
        for name in names:
            out[name].append(best[name])
    return out


def stats(xs: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(xs), min(xs), max(xs)


def ratios(num: Sequence[float], den: Sequence[float]) -> list[float]:
    """Per-round ratios ``num[r] / den[r]``."""
    return [a / b for a, b in zip(num, den)]


_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt}


def meets(value: float, target: str) -> bool | None:
    """Whether ``value`` meets a target like ``"<= 1.01"``; None for no target."""
    if not target:
        return None
    op, bound = target.split()
    return bool(_OPS[op](value, float(bound)))


def row(
    section: str,
    id: str,
    description: str,
    value: float,
    unit: str,
    min: float | None = None,
    max: float | None = None,
    target: str = "",
    note: str = "",
) -> dict:
    """One result row (the schema every benchmark module returns)."""
    assert unit in UNITS, unit
    return {
        "section": section,
        "id": id,
        "description": description,
        "value": float(value),
        "unit": unit,
        "min": None if min is None else float(min),
        "max": None if max is None else float(max),
        "target": target,
        "met": meets(value, target),
        "note": note,
    }


def main(run: Callable[[bool], list[dict]], doc: str) -> None:
    """The command line of a benchmark module: ``--out rows.json`` and ``--quick``; prints a
    line a row (value, spread, target) and the time taken."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--out", help="write the rows as JSON to this path")
    parser.add_argument("--quick", action="store_true", help="few rounds: a smoke test (< 30 s)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    rows = run(args.quick)
    for r in rows:
        span = "" if r["min"] is None else f" [{r['min']:.4g}, {r['max']:.4g}]"
        met = "" if r["met"] is None else (" ok" if r["met"] else " MISSED")
        print(f"{r['id']:<62} {r['value']:.4g} {r['unit']}{span} {r['target']}{met}")
    print(f"# {len(rows)} rows in {time.perf_counter() - t0:.1f} s")
    if args.out:
        with open(args.out, "w") as f:
            f.write(json.dumps(rows))
