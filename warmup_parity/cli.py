"""``warmup-parity``: show that a schedule gives the same learning rates in JAX and torch."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

import numpy as np

DEFAULT_CONFIG = {
    "schedule": "warmup_cosine_decay",
    "peak_value": 1e-3,
    "warmup_steps": 100,
    "total_steps": 1000,
    "end_value": 1e-5,
}
# float32 tolerance (pointwise relative where lr >= 1e-3 of the peak) and float64 one.
TOL_F32, TOL_F64 = 1e-6, 1e-12


def demo(args: argparse.Namespace) -> int:
    from warmup_parity.lr_table import lr_tables
    from warmup_spec import load_config

    cfg = load_config(args.config) if args.config else DEFAULT_CONFIG
    total = int(cfg.get("total_steps", 1000))
    steps = np.arange(total + 11)
    tab = lr_tables(cfg, steps)
    print(f"config: {cfg}")
    print(f"{'step':>6} {'reference (f64)':>16} {'jax f32':>16} {'jax x64':>16} {'torch':>16}")
    shown = sorted({0, 1, 50, 99, 100, 101, 250, 500, 750, total - 1, total, total + 10} & set(steps.tolist()))
    for t in shown:
        print(f"{t:6d} {tab.reference[t]:16.9e} {tab.jax_f32[t]:16.9e} {tab.jax_f64[t]:16.9e} {tab.torch[t]:16.9e}")
    ok = True
    for name, tol in (("jax_f32", TOL_F32), ("jax_f64", TOL_F64), ("torch", TOL_F64)):
        abs_err, rel_err = tab.worst(name)
        passed = rel_err <= tol and abs_err <= tol
        ok &= passed
        print(f"{name:8s} max |err|/peak {abs_err:.2e}  max rel err (lr >= 1e-3 peak) {rel_err:.2e}  "
              f"tol {tol:.0e}  {'ok' if passed else 'FAIL'}")
    diff = np.max(np.abs(tab.jax_f64 - tab.torch))
    print(f"max |jax x64 - torch| over {len(steps)} steps: {diff:.2e}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="warmup-parity", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="lr table of a schedule in JAX and torch, side by side")
    p_demo.add_argument("--config", help="JSON/TOML schedule config (default: warmup-cosine)")
    p_demo.set_defaults(func=demo)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
