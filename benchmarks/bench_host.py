"""Host-side benchmarks: lr tables on the CPU for plots, ``inspect`` and logging, and
the peak memory of a 1e7-step table.

(c) a 1e6-step table with NumPy (:mod:`warmup_spec.tables`, the same array forms as
``warmup_jax``), target >= 5e7 steps/s, beside the per-step alternatives a plotting
or logging path might use: our float64 torch-side callable in a Python loop, and
eager (un-jitted) ``jnp`` (never use that: ~100 us a call).
Memory: the peak RSS of building and evaluating a 1e7-step table, each measured in a
fresh process (NumPy, JAX ``jit(vmap)``), above that process's own baseline.

Run: ``python -m benchmarks.bench_host --out rows.json [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

from benchmarks._timing import interleave, row, stats
from warmup_spec.tables import lr_table

COSINE = {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 10_000,
          "total_steps": 1_000_000, "end_value": 1e-5}


def _catalogue_configs() -> list[tuple[str, dict]]:
    from parity_tests.cases import ALL

    seen, out = set(), []
    for _, cfg in ALL:
        if cfg["schedule"] not in seen:
            seen.add(cfg["schedule"])
            out.append((cfg["schedule"], cfg))
    return out


def numpy_tables(quick: bool) -> list[dict]:
    n = 10**6
    steps = np.arange(n)
    rounds = 3 if quick else 9
    rows = []
    configs = [("warmup_cosine_decay_1e6", COSINE)] + ([] if quick else _catalogue_configs())
    for name, cfg in configs:
        times = interleave({"table": lambda cfg=cfg: lr_table(cfg, steps)}, rounds)["table"]
        med, lo, hi = stats([n / t for t in times])
        headline = name == "warmup_cosine_decay_1e6"
        rows.append(row("host", f"host.c.numpy_table.{name}", f"NumPy table of {n:.0e} steps: {cfg['schedule']}",
                        med, "steps/s", lo, hi, target=">= 5e7" if headline else "",
                        note="float64, vectorised, chunked; the headline schedule" if headline else "float64"))
    # per-step alternatives on the host, for comparison (us per step)
    from warmup_torch import schedule_from_config

    g = schedule_from_config(COSINE)
    k = 20_000 if not quick else 2_000
    loop = interleave({"loop": lambda: [g(t) for t in range(k)]}, rounds)["loop"]
    med, lo, hi = stats([t / k * 1e6 for t in loop])
    rows.append(row("host", "host.c.torch_callable_per_step", "float64 closed form (warmup_torch), one Python call per step",
                    med, "us", lo, hi, note="pure Python; for a single lr (logging) this is the cheapest call"))
    return rows


_RSS_SNIPPET = r"""
import numpy as np
def rss():  # peak RSS of this address space in MiB (VmHWM; ru_maxrss survives execve)
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024.0
cfg = {cfg!r}
{setup}
base = rss()
{body}
print(base, rss())
"""

_RSS_CASES = {
    "numpy": ("from warmup_spec.tables import lr_table",
              "v = lr_table(cfg, np.arange(10**7)); assert v.shape == (10**7,)"),
    "jax_jit_vmap": ("import jax, jax.numpy as jnp, warmup_jax\nf = jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))\n"
                     "f(jnp.arange(10, dtype=jnp.int32)).block_until_ready()",
                     "v = f(jnp.arange(10**7, dtype=jnp.int32)).block_until_ready(); assert v.shape == (10**7,)"),
}


def memory(quick: bool) -> list[dict]:
    rows = []
    for name, (setup, body) in _RSS_CASES.items():
        code = _RSS_SNIPPET.format(cfg={**COSINE, "total_steps": 10**7}, setup=setup, body=body)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        base, peak = map(float, out.stdout.split()[-2:])
        out_mib = 10**7 * (8 if name == "numpy" else 4) / 2**20
        rows.append(row("host", f"host.mem.table_1e7.{name}",
                        f"peak RSS above baseline, building + evaluating a 1e7-step table ({name})",
                        peak - base, "MiB",
                        note=f"the result itself is {out_mib:.0f} MiB; baseline RSS {base:.0f} MiB"))
    return rows


def run(quick: bool = False) -> list[dict]:
    return numpy_tables(quick) + memory(quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = run(args.quick)
    text = json.dumps(rows, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
