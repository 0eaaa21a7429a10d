"""``warmup-parity``: show that a warmup recipe trains identically in JAX and PyTorch.

    warmup-parity demo                               digits MLP, AdamW, warmup-cosine, both frameworks
    warmup-parity demo --recipe adjust-learning-rate the copied per-epoch recipe, diagnosed, beside noam
    warmup-parity run CONFIG                         your own recipe (JSON/TOML)
    warmup-parity plot CONFIG... -o FILE.png         schedules in both frameworks, overlaid
    warmup-parity inspect CONFIG                     peak, joins, and what to watch out for
    warmup-parity table [CONFIG]                     lr table in JAX, torch and the float64 reference
    warmup-parity diff A B [--horizon N]             where two schedules (any libraries' configs) agree and part

Exit status 0 only when every parity check passes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def recipe(name: str) -> dict[str, Any]:
    """A config shipped in ``warmup_parity/recipes`` (``demo``, ``legacy_recipe``, ...)."""
    from importlib import resources

    from warmup_spec import load_config

    with resources.as_file(resources.files("warmup_parity.recipes") / f"{name}.toml") as path:
        return load_config(path)


def _load(source: str) -> dict[str, Any]:
    from warmup_spec import load_config

    return load_config(source)


def _print_table(report: Any, every: int) -> None:
    print(f"{'step':>6} {'lr jax':>11} {'lr torch':>11} {'loss jax':>11} {'loss torch':>11} "
          f"{'param diff':>10}")
    last = len(report.steps) - 1
    for rec in report.steps:
        if rec["step"] % every == 0 or rec["step"] == last:
            print(f"{rec['step']:6d} {rec['lr_jax']:11.4e} {rec['lr_torch']:11.4e} {rec['loss_jax']:11.6f} "
                  f"{rec['loss_torch']:11.6f} {rec['param_rel_diff']:10.2e}")


def _verdict_lines(report: Any) -> list[str]:
    s = report.summary
    lines = []
    for name, tol in s["tolerances"].items():
        value = s[name]
        lines.append(f"  {name:22s} {value:9.2e}  (tolerance {tol:.0e})  {'ok' if value <= tol else 'FAIL'}")
    if s.get("approximate_mapping"):
        lines.append("  note: approximate optimizer mapping (opted in)")
    lines.append(f"  {'time':22s} {s['elapsed_s']:.1f} s")
    return lines


def _run_and_show(cfg: Mapping[str, Any], every: int) -> Any:
    from warmup_parity.runner import RunConfig, progress, run

    rc = RunConfig.from_mapping(cfg)
    print(f"\n== {rc.title or 'run'} [{rc.dtype}]: {rc.model} on {rc.data}, {rc.steps} steps, "
          f"optimizer {dict(rc.optimizer)}, schedule {dict(rc.schedule)}")
    report = run(rc, on_step=lambda rec: progress(rec["step"], rc.steps))
    _print_table(report, every)
    print("\n".join(_verdict_lines(report)))
    return report


def _finish(reports: Sequence[Any], plot_report: Any, out_dir: Path) -> int:
    from warmup_parity.plot import plot_training

    json_path = out_dir / "parity_report.json"
    json_path.write_text(json.dumps({"passed": all(r.passed for r in reports),
                                     "runs": [r.to_json() for r in reports]}, indent=1))
    png_path = plot_training(plot_report.to_json(), out_dir / "parity_report.png")
    ok = all(r.passed for r in reports)
    print(f"\nwrote {json_path} and {png_path}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.out_dir)
    if args.recipe == "adjust-learning-rate":
        return _recipe_demo(args, out)
    demo = recipe("demo")
    reports = [_run_and_show({**demo, "dtype": dtype}, every=50) for dtype in ("float32", "float64")]
    return _finish(reports, reports[0], out)


def _recipe_demo(args: argparse.Namespace, out: Path) -> int:
    from warmup_parity.inspect_schedule import diagnose, format_diagnosis

    the_recipe, corrected = recipe("legacy_recipe"), recipe("legacy_fixed")
    print("Diagnosis of the copied adjust_learning_rate recipe (stepped per epoch):")
    print(format_diagnosis(diagnose(the_recipe["schedule"])))
    legacy = _run_and_show(the_recipe, every=56)
    fixed = _run_and_show(corrected, every=56)
    for name, rep in (("recipe", legacy), ("corrected", fixed)):
        lrs = np.array([r["lr_torch"] for r in rep.steps])
        print(f"{name:9s}: lr in [{lrs.min():.2e}, {lrs.max():.2e}], final loss jax "
              f"{rep.summary['final_loss_jax']:.4f} / torch {rep.summary['final_loss_torch']:.4f}")
    return _finish([legacy, fixed], legacy, out)


def cmd_run(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    if args.dtype:
        cfg["dtype"] = args.dtype
    report = _run_and_show(cfg, every=max(1, int(cfg.get("steps", 300)) // 10))
    return _finish([report], report, Path(args.out_dir))


def cmd_plot(args: argparse.Namespace) -> int:
    from warmup_parity.plot import plot_schedules

    path = plot_schedules([_load(c) for c in args.configs], args.output, steps=args.steps)
    print(f"wrote {path}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from warmup_parity.inspect_schedule import diagnose, format_diagnosis

    print(format_diagnosis(diagnose(_load(args.config), horizon=args.horizon)))
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from warmup_parity.inspect_schedule import default_horizon_spec
    from warmup_parity.lr_table import lr_tables
    from warmup_spec import spec_from_config

    cfg = _load(args.config) if args.config else recipe("table")
    spec = spec_from_config(cfg)
    end = spec.end_step  # a schedule that never ends: its default horizon
    end = default_horizon_spec(spec)[0] if end is None else end
    tab = lr_tables(cfg, np.arange(end + 11))
    print(f"config: {cfg}")
    print(f"{'step':>6} {'reference (f64)':>16} {'jax f32':>16} {'jax x64':>16} {'torch':>16}")
    for t in sorted({t for t in (0, 1, end // 10, end // 2, end - 1, end, end + 10) if t >= 0}):
        print(f"{t:6d} {tab.reference[t]:16.9e} {tab.jax_f32[t]:16.9e} {tab.jax_f64[t]:16.9e} {tab.torch[t]:16.9e}")
    ok = True
    for name, tol in (("jax_f32", 1e-6), ("jax_f64", 1e-12), ("torch", 1e-12)):
        abs_err, rel_err = tab.worst(name)
        ok &= rel_err <= tol and abs_err <= tol
        print(f"{name:8s} max |err|/peak {abs_err:.2e}  max rel err (lr >= 1e-3 peak) {rel_err:.2e}  tol {tol:.0e}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def cmd_diff(args: argparse.Namespace) -> int:
    from warmup_parity.diff import RTOL, diff

    d = diff(_load(args.a), _load(args.b), horizon=args.horizon, rtol=RTOL if args.rtol is None else args.rtol)
    print("\n".join(d.lines()))
    return 0 if d.same else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="warmup-parity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train the same model in JAX and torch and compare")
    p.add_argument("--recipe", choices=["adjust-learning-rate"], help="the copied per-epoch recipe instead")
    p.add_argument("--out-dir", default=".", help="where parity_report.json/.png go (default: .)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("run", help="a training-parity run from a JSON/TOML config")
    p.add_argument("config")
    p.add_argument("--dtype", choices=["float32", "float64"])
    p.add_argument("--out-dir", default=".")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("plot", help="plot schedules, both frameworks overlaid")
    p.add_argument("configs", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--steps", type=int)
    p.set_defaults(func=cmd_plot)
    p = sub.add_parser("inspect", help="diagnose a schedule")
    p.add_argument("config")
    p.add_argument("--horizon", type=int)
    p.set_defaults(func=cmd_inspect)
    p = sub.add_parser("table", help="lr table in JAX, torch and the float64 reference")
    p.add_argument("config", nargs="?")
    p.set_defaults(func=cmd_table)
    p = sub.add_parser("diff", help="where two schedules agree and part (exit 0 when they agree everywhere)")
    p.add_argument("a", help="a schedule config: JSON/TOML file or inline JSON, any library's names")
    p.add_argument("b", help="the schedule to compare it with")
    p.add_argument("--horizon", type=int, help="last step compared (default: both schedules' horizons)")
    p.add_argument("--rtol", type=float, help="tolerance relative to the larger peak (default 1e-9)")
    p.set_defaults(func=cmd_diff)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ValueError as err:  # a bad config: one clear line, exit 2
        print(f"warmup-parity: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
