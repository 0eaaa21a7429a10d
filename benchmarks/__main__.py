"""``make bench``: every benchmark, one process per framework, merged into
``benchmarks/results.json`` and the Markdown table ``benchmarks/RESULTS.md``.

    python -m benchmarks [--quick] [--out-dir benchmarks] [--device-label cpu]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

MODULES = ("bench_jax", "bench_torch", "bench_host", "bench_hyper")
SECTIONS = {
    "jax": "JAX: schedules inside jit'd train steps, compilations, lr tables, optimizer state",
    "torch": "PyTorch: scheduler.step() cost, tensor lrs, torch.compile, allocation growth",
    "host": "Host-side tables (plots, inspect, logging) and memory",
}
PACKAGES = ("jax", "jaxlib", "optax", "flax", "torch", "numpy")


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "os": platform.platform(),
            "python": platform.python_version(), **versions,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def run_module(name: str, quick: bool) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, "-m", f"benchmarks.{name}", "--out", str(out)] + (["--quick"] if quick else [])
        print(f"running {name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, text=True, capture_output=True)
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            return [{"section": name.removeprefix("bench_"), "id": f"{name}.error", "description": "benchmark failed",
                     "value": float("nan"), "unit": "count", "min": None, "max": None, "target": "",
                     "met": False, "note": proc.stderr.strip().splitlines()[-1][:300] if proc.stderr else ""}]
        return json.loads(out.read_text())


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    if x != x:
        return "nan"
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4g}"
    return f"{x:.3g}"


def markdown(rows: list[dict], info: dict[str, str], device_label: str) -> str:
    missed = [r for r in rows if r["met"] is False]
    targeted = [r for r in rows if r["met"] is not None]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` ({info['date']}), device: **{device_label}**.",
        "",
        f"- CPU: {info['cpu']} ({info['cores']} cores), {info['os']}",
        f"- Python {info['python']}; " + ", ".join(f"{p} {info[p]}" for p in PACKAGES),
        "- Method: variants timed in one process per framework, interleaved in rotating order;"
        " the value is the median over rounds (of per-round ratios for ratios), min-max beside it."
        " Times are never asserted in unit tests.",
        f"- Targets met: **{len(targeted) - len(missed)} of {len(targeted)}**"
        + ("" if not missed else "; missed: " + ", ".join(f"`{r['id']}`" for r in missed) + " (see notes)"),
        "",
    ]
    for section, title in SECTIONS.items():
        part = [r for r in rows if r["section"] == section]
        if not part:
            continue
        lines += [f"## {title}", "", "| id | what | value | unit | min-max | target | met | note |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in part:
            span = f"{_fmt(r['min'])}-{_fmt(r['max'])}" if r["min"] is not None else ""
            met = {True: "yes", False: "**NO**", None: ""}[r["met"]]
            note = r["note"].replace("|", "\\|").replace("\n", " ")
            what = r["description"].replace("|", "\\|")
            lines.append(f"| `{r['id']}` | {what} | {_fmt(r['value'])} | {r['unit']} | {span} | "
                         f"{r['target']} | {met} | {note} |")
        lines.append("")
    lines += ["## GPU", "",
              "No GPU rows: run `python -m benchmarks --device-label 'NVIDIA H100' --out-dir DIR` "
              "on a GPU machine to write the same tables for that device.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few rounds: a smoke test, not a measurement")
    parser.add_argument("--out-dir", default=str(Path(__file__).parent))
    parser.add_argument("--device-label", default="CPU")
    parser.add_argument("--only", choices=MODULES, action="append")
    args = parser.parse_args()
    rows: list[dict] = []
    for name in args.only or MODULES:
        rows += run_module(name, args.quick)
    info = machine()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"machine": info, "device": args.device_label,
                                                   "quick": args.quick, "rows": rows}, indent=1))
    (out / "RESULTS.md").write_text(markdown(rows, info, args.device_label))
    missed = [r["id"] for r in rows if r["met"] is False]
    print(f"wrote {out / 'results.json'} and {out / 'RESULTS.md'}: {len(rows)} rows, "
          f"{sum(r['met'] is not None for r in rows) - len(missed)} targets met, {len(missed)} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
