"""warmup-parity: show that a warmup recipe trains identically in JAX and PyTorch.

  warmup-parity demo                        digits MLP, AdamW, warmup-cosine, in both frameworks
  warmup-parity demo --recipe adjust-learning-rate
                                            the copied per-epoch recipe, diagnosed, beside noam
  warmup-parity run RUN.toml                your own run config (see: warmup-parity run --help)
  warmup-parity plot A.json B.toml -o lrs.png
                                            schedules in both frameworks, overlaid (.png, .pdf, .svg)
  warmup-parity inspect A.json              peak, joins, tails and what to watch out for
  warmup-parity table [A.json]              lr table in JAX, torch and the float64 reference
  warmup-parity diff A.json B.json          where two schedules (any libraries' configs) agree and part
  warmup-parity experiment warmup           Adam on a post-LN transformer: peak lrs x no warmup, linear,
                                            noam, legacy_noam, in both frameworks (a few minutes)
  warmup-parity experiment untuned|wsd|lr-tolerance
                                            Ma & Yarats' untuned warmup; cosine vs warmup-stable-decay;
                                            the largest lr each warmup length trains (--quick: seconds)

A CONFIG is the path of a .json or .toml file, or an inline JSON object ('{"schedule": ...}').
plot, inspect, table and diff take a schedule config or a run config (they use its
[schedule]). Exit status: 0 when every check passes (diff: when the schedules agree),
1 when one fails, 2 for a mistake in the command or a config (one line on stderr), 141
when the reader of the output went away (| head), quietly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["UserError", "main", "parser", "recipe", "run_config", "schedule_config"]

RUN_EXAMPLE = """\
A run config (TOML; JSON with the same keys works too):

  model = "mlp"          # or "cnn", "transformer", "transformer_post_ln" (data "text"),
                         # or your pair: "module.path:factory" (factory(dtype=, seed=, data=)
                         # returns (flax_model, torch_model) or (flax_model, torch_model, mapping))
  data = "digits"        # or "synthetic" (regression, MSE), "text" (characters of Python's help)
  steps = 300            # optimizer updates
  batch_size = 64
  dtype = "float64"      # or "float32"
  seed = 0
  stepping = "step"      # or "epoch": the schedule's step is the epoch index
  title = "my recipe"
  [schedule]             # any schedule config: ours or another library's ("torch.OneCycleLR", ...)
  schedule = "warmup_cosine_decay"
  peak_value = 3e-3
  warmup_steps = 30
  total_steps = 300
  [optimizer]            # sgd, sgd_momentum, nesterov, sgd_l2, adam, adam_l2, adamw,
  name = "adamw"         # rmsprop, rmsprop_momentum, rmsprop_centered, adagrad
  weight_decay = 0.01
"""


class UserError(ValueError):
    """A mistake in the command line or a config: one line on stderr, exit status 2."""


def recipe(name: str) -> dict[str, Any]:
    """A config shipped in ``warmup_parity/recipes`` (``demo``, ``legacy_recipe``, ...)."""
    from importlib import resources

    from warmup_spec import load_config

    with resources.as_file(resources.files("warmup_parity.recipes") / f"{name}.toml") as path:
        return load_config(path)


def _load(source: str) -> dict[str, Any]:
    from warmup_spec import load_config

    return load_config(source)


def schedule_config(source: str) -> dict[str, Any]:
    """The schedule of ``source``: a schedule config, or a run config's ``[schedule]``."""
    from warmup_spec.registry import schedule_config as of

    cfg = _load(source)
    if not cfg:
        raise UserError(f"{source}: an empty config; expected a schedule config (schedule = NAME, ...)")
    return of(cfg)


def run_config(source: str) -> dict[str, Any]:
    """A run config, with the mistakes of passing something else named."""
    cfg = _load(source)
    if not cfg:
        raise UserError(f"run: {source} is empty; expected a run config with [schedule] and [optimizer] "
                        "tables (see warmup-parity run --help)")
    if isinstance(cfg.get("schedule"), str):
        raise UserError(f"run: {source} is a schedule config (schedule = {cfg['schedule']!r}); a run config "
                        "holds it in a [schedule] table beside an [optimizer] table (see warmup-parity run --help)")
    for table in ("schedule", "optimizer"):
        if table not in cfg:
            raise UserError(f"run: {source} has no [{table}] table; a run config needs [schedule] and "
                            "[optimizer] (see warmup-parity run --help)")
    return cfg


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
    from warmup_parity.progress import Progress
    from warmup_parity.runner import RunConfig, run

    rc = RunConfig.from_mapping(cfg)
    print(f"\n== {rc.title or 'run'} [{rc.dtype}]: {rc.model} on {rc.data}, {rc.steps} steps, "
          f"optimizer {dict(rc.optimizer)}, schedule {dict(rc.schedule)}", flush=True)
    with Progress(rc.steps, f"{rc.title or 'run'} [{rc.dtype}]") as bar:
        report = run(rc, on_step=lambda rec: bar.update())
    _print_table(report, every)
    print("\n".join(_verdict_lines(report)))
    if report.first_divergence is not None:  # where the two runs part, and the likely cause
        print(f"  first divergence: {report.first_divergence}")
    return report


def _out_dir(path: str) -> Path:
    """The output folder, created before any work (a bad one fails at once)."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"--out-dir {path}: cannot create it: {err.strerror}") from None
    return out


def _finish(reports: Sequence[Any], out_dir: Path) -> int:
    from warmup_parity.plot import plot_training

    ok = all(r.passed for r in reports)
    json_path = out_dir / "parity_report.json"
    json_path.write_text(json.dumps({"passed": ok, "runs": [r.to_json() for r in reports]}, indent=1))
    png_path = plot_training([r.to_json() for r in reports], out_dir / "parity_report.png")
    print(f"\nwrote {json_path} and {png_path}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def cmd_demo(args: argparse.Namespace) -> int:
    out = _out_dir(args.out_dir)
    if args.recipe == "adjust-learning-rate":
        return _recipe_demo(out)
    demo = recipe("demo")
    reports = [_run_and_show({**demo, "dtype": dtype}, every=50) for dtype in ("float32", "float64")]
    return _finish(reports, out)


def _recipe_demo(out: Path) -> int:
    import numpy as np

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
    return _finish([legacy, fixed], out)


def cmd_run(args: argparse.Namespace) -> int:
    out = _out_dir(args.out_dir)
    cfg = run_config(args.config)
    if args.dtype:
        cfg["dtype"] = args.dtype
    from warmup_parity.runner import RunConfig

    RunConfig.from_mapping(cfg)  # every key checked before the long part
    steps = cfg.get("steps", 300)
    report = _run_and_show(cfg, every=max(1, int(steps) // 10 if isinstance(steps, int) else 30))
    return _finish([report], out)


def cmd_plot(args: argparse.Namespace) -> int:
    from warmup_parity.plot import FORMATS, plot_schedules

    suffix = Path(args.output).suffix.lower()
    if suffix not in FORMATS:
        raise UserError(f"plot: -o {args.output}: unknown format {suffix or '(none)'!r}; expected one of "
                        + ", ".join(FORMATS))
    cfgs = [schedule_config(c) for c in args.configs]
    path = plot_schedules(cfgs, args.output, steps=args.steps)
    print(f"wrote {path}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from warmup_parity.inspect_schedule import diagnose, format_diagnosis

    print(format_diagnosis(diagnose(schedule_config(args.config), horizon=args.horizon)))
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    import numpy as np

    from warmup_parity.lr_table import lr_tables
    from warmup_spec import spec_from_config
    from warmup_spec.horizon import default_horizon_spec

    cfg = schedule_config(args.config) if args.config else recipe("table")
    spec = spec_from_config(cfg)
    end = spec.end_step  # a schedule that never ends: its default horizon
    end = default_horizon_spec(spec)[0] if end is None else end
    tab = lr_tables(cfg, np.arange(end + 11))
    print(f"config: {cfg}")
    print(f"checked against: the {tab.reference_name}")
    print(f"{'step':>6} {'float64':>16} {'jax f32':>16} {'jax x64':>16} {'torch':>16}")
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

    d = diff(schedule_config(args.a), schedule_config(args.b), horizon=args.horizon,
             rtol=RTOL if args.rtol is None else args.rtol)
    print("\n".join(d.lines()))
    return 0 if d.same else 1


def cmd_experiment(args: argparse.Namespace) -> int:
    out = _out_dir(args.out_dir)
    from warmup_parity.experiment import EXPERIMENTS, Options

    opts = Options.of(args.name, args.quick, lrs=args.peak_lrs, arms=args.arms, steps=args.steps,
                      warmups=args.warmup_steps, budgets=args.budgets, beta2=args.beta2, dtype=args.dtype,
                      d_model=args.d_model, n_layers=args.layers)  # checked before the long part
    from warmup_parity.experiment import output_stem, plot_experiment, run_experiment, summary_lines
    from warmup_parity.progress import Progress

    points = EXPERIMENTS[args.name].points(opts)
    print(f"experiment {args.name}: {len(points)} runs ({', '.join(dict.fromkeys(p.arm for p in points))} x "
          f"{EXPERIMENTS[args.name].x_label} {', '.join(dict.fromkeys(format(p.x, 'g') for p in points))}), "
          f"in JAX and torch, {opts.dtype}", flush=True)
    with Progress(sum(p.steps for p in points), f"experiment {args.name}") as bar:
        result = run_experiment(opts, on_step=lambda rec: bar.update(),
                                on_run=lambda p: bar.bar.set_postfix_str(f"{p.arm} {p.x:g}"))
    json_path = out / f"{output_stem(args.name)}.json"
    json_path.write_text(json.dumps(result, indent=1))
    png_path = plot_experiment(result, out / f"{output_stem(args.name)}.png")
    print("\n".join(summary_lines(result)))
    print(f"\nwrote {json_path} and {png_path}")
    ok = result["summary"]["bug"] == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _positive(what: str) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer >= 1; got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{what} must be an integer >= 1; got {value}")
        return value

    return parse


def _number_list(flag: str, kind: type, zero: bool = False) -> Any:
    """``--peak-lrs 1e-3,3e-3``, ``--warmup-steps 0,20``: comma-separated finite numbers > 0 (>= 0 with ``zero``)."""
    def parse(text: str) -> tuple[Any, ...]:
        what = f"{flag} must be comma-separated {'integers' if kind is int else 'numbers'} {'>=' if zero else '>'} 0"
        try:
            values = tuple(kind(t) for t in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}; got {text!r}") from None
        if not all((v >= 0 if zero else v > 0) and v != float("inf") for v in values):
            raise argparse.ArgumentTypeError(f"{what}; got {text!r}")
        return values

    return parse


def _arm_list(text: str) -> tuple[str, ...]:
    """``--arms none,linear``: names of arms (each experiment checks its own)."""
    return tuple(t.strip() for t in text.split(","))


CONFIG_HELP = "a .json or .toml file, or an inline JSON object"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's mistakes: one line, exit status 2
        raise UserError(f"{self.prog}: {message}")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="warmup-parity", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("demo", help="train the same model in JAX and torch and compare",
                       description="Train a digits MLP with AdamW and a warmup-cosine schedule in JAX and PyTorch, "
                                   "in float32 and in float64, and check that they agree.")
    s.add_argument("--recipe", choices=["adjust-learning-rate"],
                   help="instead: the copied per-epoch adjust_learning_rate recipe, diagnosed, beside noam")
    s.add_argument("--out-dir", default=".", help="folder for parity_report.json and .png (created; default .)")
    s.set_defaults(func=cmd_demo)
    s = sub.add_parser("run", help="a training-parity run from a run config",
                       description="Train a model in JAX and PyTorch with a schedule and an optimizer, and check "
                                   "that they agree.", epilog=RUN_EXAMPLE,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("config", help=f"the run config: {CONFIG_HELP}")
    s.add_argument("--dtype", choices=["float32", "float64"], help="override the config's dtype")
    s.add_argument("--out-dir", default=".", help="folder for parity_report.json and .png (created; default .)")
    s.set_defaults(func=cmd_run)
    s = sub.add_parser("plot", help="plot schedules, both frameworks overlaid",
                       description="Plot schedules in JAX (float32) and PyTorch (float64), and their difference.")
    s.add_argument("configs", nargs="+", help=f"schedule or run configs: {CONFIG_HELP} each")
    s.add_argument("-o", "--output", required=True, help="the image to write: .png, .pdf or .svg")
    s.add_argument("--steps", type=_positive("--steps"), help="plot steps 0..STEPS (default: the horizons)")
    s.set_defaults(func=cmd_plot)
    s = sub.add_parser("inspect", help="diagnose a schedule",
                       description="Peak, end, joins, tails, and warnings about a schedule.")
    s.add_argument("config", help=f"a schedule or run config: {CONFIG_HELP}")
    s.add_argument("--horizon", type=_positive("--horizon"), help="last step evaluated (default: by the schedule)")
    s.set_defaults(func=cmd_inspect)
    s = sub.add_parser("table", help="lr table in JAX, torch and the float64 reference",
                       description="The lr at a few steps in JAX float32, JAX x64, torch and the float64 reference.")
    s.add_argument("config", nargs="?", help=f"a schedule or run config: {CONFIG_HELP} (default: a warmup-cosine)")
    s.set_defaults(func=cmd_table)
    s = sub.add_parser("diff", help="where two schedules agree and part (exit 0 when they agree everywhere)",
                       description="Compare two schedules, in any library's names, at every step in float64.")
    s.add_argument("a", help=f"a schedule or run config: {CONFIG_HELP}")
    s.add_argument("b", help="the schedule to compare it with")
    s.add_argument("--horizon", type=_positive("--horizon"), help="last step compared (default: both horizons)")
    s.add_argument("--rtol", type=float, help="tolerance relative to the larger peak (default 1e-9)")
    s.set_defaults(func=cmd_diff)
    s = sub.add_parser("experiment", help="the field's warmup results, trained in both frameworks (PNG + JSON)",
                       description="Train the built-in post-LN transformer on Python's help text in JAX and in torch "
                                   "at every point of an experiment: warmup (peak lrs x no warmup, linear, noam, "
                                   "legacy_noam), untuned (Ma & Yarats: none, untuned linear and exponential warmup, "
                                   "RAdam), wsd (cosine vs warmup-stable-decay at two budgets, and a branch of one "
                                   "constant run), lr-tolerance (target lrs x warmup lengths: where each diverges). "
                                   "Write NAME_experiment.json and .png. Each point is agree, chaos (a torch run one "
                                   "ulp away parts as far) or bug; exit 0 unless a point is a bug.")
    from warmup_parity.experiment import EXPERIMENTS

    s.add_argument("name", choices=list(EXPERIMENTS), help="the experiment")
    s.add_argument("--quick", action="store_true", help="a tiny model and a few steps (seconds)")
    s.add_argument("--peak-lrs", type=_number_list("--peak-lrs", float), help="comma-separated peak lrs")
    s.add_argument("--arms", type=_arm_list, help="comma-separated arms (warmup: none,linear,noam,legacy_noam; "
                                                  "untuned: none,linear,exponential,radam; wsd: cosine,wsd-linear,"
                                                  "wsd-1-sqrt,branch-1-sqrt)")
    s.add_argument("--steps", type=_positive("--steps"), help="steps a run")
    s.add_argument("--warmup-steps", type=_number_list("--warmup-steps", int, zero=True),
                   help="warmup length (lr-tolerance: comma-separated lengths)")
    s.add_argument("--budgets", type=_number_list("--budgets", int), help="wsd: comma-separated training lengths")
    s.add_argument("--beta2", type=float, help="Adam's beta2 (untuned: sets the warmups; default 0.95)")
    s.add_argument("--dtype", choices=["float32", "float64"], help="precision of both runs (default float32)")
    s.add_argument("--d-model", type=_positive("--d-model"), help="the transformer's width (default 64)")
    s.add_argument("--layers", type=_positive("--layers"), help="the transformer's blocks (default 2)")
    s.add_argument("--out-dir", default=".", help="folder for NAME_experiment.json and .png (created; default .)")
    s.set_defaults(func=cmd_experiment)
    return p


PIPE_CLOSED = 141
"""The exit status when the reader of the output went away (``warmup-parity table | head``):
128 + SIGPIPE, what the shell reports for a command that a closed pipe stops."""


def _pipe_closed() -> int:
    """Ends quietly when stdout's reader is gone: nothing more is written to it (Python's advice)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return PIPE_CLOSED


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:
        return _pipe_closed()
    except ImportError as err:  # installed without the [parity] extra
        print(f"warmup-parity: this command needs {err.name or 'a missing package'}: install the [parity] extra: "
              "pip install 'warmup-schedules[parity]'", file=sys.stderr)
        return 2
    except (ValueError, OSError) as err:  # a user's mistake: one clear line, exit 2
        text = str(err) if isinstance(err, ValueError) else ": ".join(
            str(part) for part in (err.strerror or err, err.filename) if part is not None)
        print(f"warmup-parity: {text}".replace("warmup-parity: warmup-parity", "warmup-parity"), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
