"""PyTorch benchmarks: ``scheduler.step()`` cost, tensor lrs, ``torch.compile``, memory.

(a) the per-call cost of ``scheduler.step()`` for every catalogue entry (one config
each from ``parity_tests/cases.py``) against ``LambdaLR`` driving the same closed form
(optimizer lr 1.0, so the values are equal), the floor ``group["lr"] = f(t)``, and
torch's built-ins where they exist (``SequentialLR(LinearLR, CosineAnnealingLR)``,
``OneCycleLR``); a breakdown of where our step's time goes. With a tensor lr: the aten
ops one ``scheduler.step()`` dispatches (target: one ``fill_`` per group, nothing
else) and its cost beside ``LambdaLR`` (which clones).
(b) ``torch.compile`` of ``opt.step()`` and of a whole train step, AdamW with a tensor
lr driven by our scheduler: recompiles, graphs, graph breaks, beside a float lr and
beside no scheduler at all.
(memory) allocation growth of a 1e5-step ``opt.step(); scheduler.step()`` loop
(``tracemalloc`` and RSS, between step 1e4 and step 1e5), float and tensor lr.

Timings: one thread, variants interleaved in rotating order, each timed block a fresh
scheduler stepped ``STEPS`` times from step 0; values are medians over rounds, min-max
beside them. Imports torch only (never jax).

Run: ``python -m benchmarks.bench_torch --out rows.json [--quick]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import time
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, OneCycleLR, SequentialLR
from torch.utils._python_dispatch import TorchDispatchMode

import warmup_torch
from benchmarks._timing import ratios, row, stats, time_call
from parity_tests.cases import CASES

SECTION = "torch"
STEPS = 1000  # scheduler steps per timed block (one_cycle's OneCycleLR allows total_steps=1000)
KIB64 = 64 * 1024


def _row(id: str, description: str, value: float, unit: str, span: tuple[float, float] | None = None,
         target: str = "", note: str = "") -> dict:
    lo, hi = span if span is not None else (None, None)
    return row(SECTION, id, description, value, unit, lo, hi, target, note)


def _us_row(id: str, description: str, secs: list[float], note: str = "") -> dict:
    med, lo, hi = stats([s / STEPS * 1e6 for s in secs])
    return _row(id, description, med, "us", (lo, hi), note=note)


def _ratio_row(id: str, description: str, num: list[float], den: list[float], target: str = "",
               note: str = "") -> dict:
    med, lo, hi = stats(ratios(num, den))
    return _row(id, description, med, "ratio", (lo, hi), target, note)


# --- interleaved timing of fresh schedulers --------------------------------------


def interleave_fresh(makers: dict[str, Callable[[], Callable[[], Any]]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each variant's timed block per round; ``maker()`` builds it untimed.

    Every round builds each variant afresh (a new optimizer and scheduler at step 0),
    so every round times the same steps; the order rotates every round.
    """
    names = list(makers)
    for name in names:  # warm up (untimed)
        makers[name]()()
    out: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            block = makers[name]()
            out[name].append(time_call(block))
    return out


def _param() -> torch.Tensor:
    return torch.zeros(1, requires_grad=True)


def _opt(lr: float | torch.Tensor = 1.0, groups: int = 1, cls: type = torch.optim.SGD) -> torch.optim.Optimizer:
    if groups == 1:
        opt = cls([_param()], lr=lr)
    else:
        half = lr / 2 if isinstance(lr, float) else lr.clone() / 2
        opt = cls([{"params": [_param()]}, {"params": [_param()], "lr": half}], lr=lr)
    return opt


def _stepper(sched: Any) -> Callable[[], None]:
    sched.optimizer.step()  # no grads: a no-op, so the first step() takes no order-warning path

    def block() -> None:
        step = sched.step
        for _ in range(STEPS):
            step()
    return block


def _ours(cfg: dict, lr: float | torch.Tensor = 1.0) -> Callable[[], Callable[[], None]]:
    return lambda: _stepper(warmup_torch.scheduler_from_config(_opt(lr), cfg))


def _lambda(f: Callable[[int], float], lr: float | torch.Tensor = 1.0) -> Callable[[], Callable[[], None]]:
    return lambda: _stepper(LambdaLR(_opt(lr), lambda t: f(t)))


def _floor(f: Callable[[int], float]) -> Callable[[], Callable[[], None]]:
    def make() -> Callable[[], None]:
        group = _opt().param_groups[0]

        def block() -> None:
            for t in range(STEPS):
                group["lr"] = f(t)
        return block
    return make


def _sequential(cfg: dict) -> Callable[[], Callable[[], None]]:
    w, T, e = cfg["warmup_steps"], cfg["total_steps"], cfg.get("end_value", 0.0)

    def make() -> Callable[[], None]:
        opt = _opt(cfg["peak_value"])
        warm = LinearLR(opt, start_factor=1e-8, end_factor=1.0, total_iters=w)
        cos = CosineAnnealingLR(opt, T_max=T - w, eta_min=e)
        return _stepper(SequentialLR(opt, [warm, cos], milestones=[w]))
    return make


def _onecycle(cfg: dict) -> Callable[[], Callable[[], None]]:
    # both cycle the momentum (one_cycle's default, as torch's)
    return lambda: _stepper(OneCycleLR(_opt(), max_lr=cfg["peak_value"], total_steps=cfg["total_steps"],
                                       cycle_momentum=cfg.get("cycle_momentum", True)))


# --- (a) scheduler.step() ---------------------------------------------------------


def bench_step(rounds: int) -> list[dict]:
    rows, worst = [], (0.0, "")
    for name, configs in CASES.items():
        cfg = {"schedule": name, **configs[0]}
        f = warmup_torch.schedule_from_config(cfg)
        makers = {"ours": _ours(cfg), "lambda": _lambda(f), "floor": _floor(f)}
        if name == "warmup_cosine_decay":
            makers["builtin"] = _sequential(cfg)
        if name == "one_cycle":
            makers["builtin"] = _onecycle(cfg)
        t = interleave_fresh(makers, rounds)
        cls = type(warmup_torch.scheduler_from_config(_opt(), cfg)).__name__
        rows.append(_us_row(f"torch.a.step.{name}", f"{cls}.step() (float lr), us/call", t["ours"],
                            note=f"config {configs[0]}"))
        rows.append(_us_row(f"torch.a.lambdalr.{name}", "LambdaLR(opt, lambda t: f(t)).step(), same closed "
                            "form, us/call", t["lambda"]))
        rows.append(_us_row(f"torch.a.floor.{name}", 'floor: group["lr"] = f(t), us/call', t["floor"]))
        r = _ratio_row(f"torch.a.ratio.{name}", "ours / LambdaLR, step() time", t["ours"], t["lambda"], "<= 0.5")
        rows.append(r)
        worst = max(worst, (r["value"], name))
        if "builtin" in t:
            label = ("SequentialLR([LinearLR(start_factor=1e-8), CosineAnnealingLR], milestones=[w])"
                     if name == "warmup_cosine_decay" else "OneCycleLR (momentum cycled, as ours)")
            key = "sequentiallr" if name == "warmup_cosine_decay" else "onecyclelr"
            rows.append(_us_row(f"torch.a.{key}.{name}", f"torch built-in {label}.step(), us/call", t["builtin"]))
            rows.append(_ratio_row(f"torch.a.ratio_vs_{key}.{name}", f"ours / {key}, step() time",
                                   t["ours"], t["builtin"]))
    rows.append(_row("torch.a.ratio.worst", "largest ours / LambdaLR ratio over the catalogue (median)",
                     worst[0], "ratio", target="<= 0.5", note=f"entry: {worst[1]}"))
    return rows


def bench_breakdown(rounds: int) -> list[dict]:
    """Where one step of schedulers.warmup_cosine_decay goes: closed form, get_lr, write_lrs, step."""
    cfg = {"schedule": "warmup_cosine_decay", **CASES["warmup_cosine_decay"][0]}
    sched = warmup_torch.scheduler_from_config(_opt(), cfg)
    sched.step()
    f = sched.schedule
    t0 = 500

    def piece(call: Callable[[], Any]) -> Callable[[], Callable[[], None]]:
        def block() -> None:
            sched.last_epoch = t0
            for _ in range(STEPS):
                call()
        return lambda: block

    def closed_form() -> None:
        f(t0)

    makers = {"closed_form": piece(closed_form), "get_lr": piece(sched.get_lr),
              "write_lrs": piece(sched.write_lrs), "step": piece(sched.step), "loop": piece(lambda: None)}
    t = interleave_fresh(makers, rounds)
    loop = stats(t["loop"])[0]
    out = {k: [s - loop for s in v] for k, v in t.items() if k != "loop"}
    desc = {
        "closed_form": "the closed form f(t) (Schedule.__call__), us",
        "get_lr": "ScheduleLR.get_lr(): f(t) and the per-group list, us",
        "write_lrs": "ScheduleLR.write_lrs(): the lrs at last_epoch and the write to the group, us",
        "step": "ScheduleLR.step(): step-order check, _step_count, last_epoch + 1, write_lrs(), us",
    }
    return [_us_row(f"torch.a.breakdown.{k}", desc[k], out[k], note="warmup_cosine_decay at t=500; a bare "
                    "loop's time subtracted") for k in desc]


# --- tensor lr: ops per step and cost ---------------------------------------------


class _OpLog(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.ops: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        self.ops[str(func.overloadpacket)] += 1
        return func(*args, **(kwargs or {}))


def _ops_per_step(sched: Any, n: int = 10) -> tuple[Counter[str], float]:
    for _ in range(3):
        sched.step()
    with _OpLog() as log:
        for _ in range(n):
            sched.step()
    return log.ops, sum(log.ops.values()) / n


def _fmt_ops(ops: Counter[str], n: int = 10) -> str:
    return ", ".join(f"{k} x{v / n:g}" for k, v in sorted(ops.items())) or "none"


def bench_tensor_lr(rounds: int) -> list[dict]:
    cfg = {"schedule": "warmup_cosine_decay", **CASES["warmup_cosine_decay"][0]}
    f = warmup_torch.schedule_from_config(cfg)
    rows = []
    for groups in (1, 2):
        opt = _opt(torch.tensor(0.01), groups, torch.optim.AdamW)
        lr_objs = [g["lr"] for g in opt.param_groups]
        ops, _ = _ops_per_step(warmup_torch.scheduler_from_config(opt, cfg))
        same = all(g["lr"] is x for g, x in zip(opt.param_groups, lr_objs))
        fills = ops["aten.fill_"] / 10
        other = Counter({k: v for k, v in ops.items() if k != "aten.fill_"})
        rows.append(_row(f"torch.a.tensor.g{groups}.fill_", f"aten.fill_ per scheduler.step(), AdamW(lr=tensor), "
                         f"{groups} param group(s)", fills, "count", target=f"== {groups}",
                         note=f"all ops: {_fmt_ops(ops)}; the group's lr tensor is the same object after "
                              f"stepping: {same}"))
        rows.append(_row(f"torch.a.tensor.g{groups}.other_ops", "other aten ops (clone, copy, new tensors, "
                         "item) per scheduler.step()", sum(other.values()) / 10, "count", target="== 0",
                         note=_fmt_ops(other)))
    ops, per = _ops_per_step(LambdaLR(_opt(torch.tensor(0.01), 1, torch.optim.AdamW), lambda t: f(t)))
    rows.append(_row("torch.a.tensor.lambdalr.ops", "aten ops per LambdaLR.step() with a tensor lr (reference)",
                     per, "count", note=_fmt_ops(ops)))
    lr = torch.tensor(0.01)
    t = interleave_fresh({"ours": _ours(cfg, lr), "lambda": _lambda(f, lr)}, rounds)
    rows.append(_us_row("torch.a.tensor.step.warmup_cosine_decay", "WarmupCosineDecay.step() with a tensor lr "
                        "(one fill_), us/call", t["ours"]))
    rows.append(_us_row("torch.a.tensor.lambdalr.warmup_cosine_decay", "LambdaLR.step() with a tensor lr, "
                        "same closed form, us/call", t["lambda"]))
    rows.append(_ratio_row("torch.a.tensor.ratio.warmup_cosine_decay", "ours / LambdaLR with a tensor lr",
                           t["ours"], t["lambda"]))
    return rows


# --- (b) torch.compile ------------------------------------------------------------


def _short_reason(text: str) -> str:
    first = text.strip().splitlines()[0]
    m = re.search(r"function `([^`]+)` in file `([^`]+)`", text)
    if m:
        first += f" [{m.group(1)} in {m.group(2).split('site-packages/')[-1]}]"
    elif "backward" in first:
        first += " [loss.backward()]"
    elif "zero_grad" in text:
        first += " [Optimizer.zero_grad]"
    elif "graph_break()" in first:
        first += " [torch.optim's own _use_grad graph_break()]"
    return first


def compile_run(kind: str, lr_kind: str, scheduler: str, backend: str, steps: int) -> dict[str, Any]:
    """Compiles ``opt.step()`` (kind "opt_step") or a whole train step ("train_step")
    and runs ``steps`` steps, ``scheduler.step()`` eagerly after each; ``scheduler`` is
    "ours" (WarmupCosineDecay), "lambdalr" (LambdaLR, same closed form) or "none"."""
    import torch._dynamo
    from torch._dynamo.testing import CompileCounterWithBackend
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    counters.clear()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    lr = torch.tensor(0.01) if lr_kind == "tensor" else 0.01
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    sched: Any = None
    if scheduler != "none":
        sched = warmup_torch.schedulers.warmup_cosine_decay(opt, 1e-3, warmup_steps=100, total_steps=steps)
        if scheduler == "lambdalr":
            f = sched.schedule
            sched = LambdaLR(opt, lambda t: f(t) / 0.01)  # base lr 0.01: the same lrs
    x, y = torch.randn(32, 8), torch.randn(32, 1)
    torch.nn.functional.mse_loss(model(x), y).backward()
    cnt = CompileCounterWithBackend(backend)

    if kind == "opt_step":
        @torch.compile(backend=cnt, fullgraph=False)
        def step() -> None:
            opt.step()
    else:
        @torch.compile(backend=cnt, fullgraph=False)
        def step() -> None:
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad()

    t0 = time.perf_counter()
    step()
    first = cnt.frame_count
    t1 = time.perf_counter()
    for _ in range(steps - 1):
        if sched is not None:
            sched.step()
        step()
    t2 = time.perf_counter()
    breaks = Counter({_short_reason(k): v for k, v in counters["graph_break"].items()})
    return {"graphs": cnt.frame_count, "recompiles": cnt.frame_count - first,
            "unique_graphs": counters["stats"]["unique_graphs"], "breaks": breaks,
            "first_s": t1 - t0, "rest_s": t2 - t1}


def _fmt_breaks(b: Counter[str]) -> str:
    return "; ".join(f"{v}x {k}" for k, v in sorted(b.items())) or "none"


def bench_compile(steps: int, inductor: bool) -> list[dict]:
    rows = []
    backend = "aot_eager"
    bnote = (f"backend={backend} (graph capture, guards and recompiles are decided by dynamo, before the "
             "backend; inductor's C++ codegen takes ~20 s a graph on this CPU with a cold cache)")
    for kind, what in (("opt_step", "torch.compile(opt.step)"),
                       ("train_step", "torch.compile(forward + backward + opt.step + zero_grad)")):
        ours = compile_run(kind, "tensor", "ours", backend, steps)
        none = compile_run(kind, "tensor", "none", backend, steps)
        lam = compile_run(kind, "tensor", "lambdalr", backend, steps)
        flt = compile_run(kind, "float", "ours", backend, steps)
        base = f"AdamW(lr=torch.tensor(0.01)) + WarmupCosineDecay, {steps} steps"
        rows.append(_row(f"torch.b.{kind}.tensor.recompiles", f"{what}: recompiles after the first call, {base}",
                         ours["recompiles"], "count", target="== 0",
                         note=f"{bnote}; first call {ours['first_s']:.2f} s, the other {steps - 1} steps "
                              f"{ours['rest_s']:.2f} s"))
        graph_target = "== 1" if kind == "opt_step" else f"== {none['graphs']}"
        gnote = ("" if kind == "opt_step" else "target = the graphs of the same step without a scheduler "
                 "(loss.backward() splits the forward and the optimizer graphs); ")
        rows.append(_row(f"torch.b.{kind}.tensor.graphs", f"{what}: graphs compiled in all, {base}",
                         ours["graphs"], "count", target=graph_target,
                         note=gnote + f"dynamo unique_graphs={ours['unique_graphs']}"))
        caused = sum(ours["breaks"].values()) - sum(none["breaks"].values())
        rows.append(_row(f"torch.b.{kind}.tensor.scheduler_graph_breaks", f"{what}: graph breaks with our "
                         "scheduler minus graph breaks without any scheduler", caused, "count", target="== 0",
                         note=f"with ours: {_fmt_breaks(ours['breaks'])}. Without a scheduler: "
                              f"{_fmt_breaks(none['breaks'])}. With LambdaLR: {_fmt_breaks(lam['breaks'])} "
                              f"({lam['recompiles']} recompiles, {lam['graphs']} graphs). torch's LRScheduler base "
                              "class (every torch scheduler) wraps opt.step in a function of lr_scheduler.py, which "
                              "dynamo skips: that break takes the place of one of torch.optim's own "
                              "graph_break()s; the optimizer body is still one graph. Nothing in warmup_torch "
                              "runs inside the compiled region"))
        rows.append(_row(f"torch.b.{kind}.float.recompiles", f"{what}: recompiles with a float lr "
                         f"(AdamW(lr=0.01) + WarmupCosineDecay, {steps} steps), for comparison",
                         flt["recompiles"], "count",
                         note=f"expected >= 1: dynamo specializes on the float lr, recompiles when it first "
                              f"changes, then marks it dynamic; graphs in all {flt['graphs']}, graph breaks "
                              f"{sum(flt['breaks'].values())}"))
    if inductor:
        ind = compile_run("opt_step", "tensor", "ours", "inductor", steps)
        rows.append(_row("torch.b.opt_step.tensor.inductor.recompiles", "torch.compile(opt.step), backend=inductor: "
                         f"recompiles after the first call, tensor lr + WarmupCosineDecay, {steps} steps",
                         ind["recompiles"], "count", target="== 0",
                         note=f"graphs in all {ind['graphs']}; first call (C++ codegen, may hit the inductor "
                              f"cache) {ind['first_s']:.1f} s, the other {steps - 1} steps {ind['rest_s']:.2f} s"))
    return rows


# --- memory -----------------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _memory_loop(lr_kind: str, total: int, probe: Callable[[], int]) -> tuple[int, int]:
    """``probe()`` after step ``total // 10`` and after step ``total`` of a fresh loop."""
    p = torch.zeros(64, requires_grad=True)
    p.grad = torch.ones(64)
    opt = torch.optim.SGD([p], lr=torch.tensor(0.01) if lr_kind == "tensor" else 0.01, momentum=0.9)
    sched = warmup_torch.schedulers.warmup_cosine_decay(opt, 1e-3, warmup_steps=1000, total_steps=total // 2)
    sizes = []
    for n in (total // 10, total - total // 10):
        for _ in range(n):
            opt.step()
            sched.step()
        gc.collect()
        sizes.append(probe())
    return sizes[0], sizes[1]


def _traced() -> int:
    return tracemalloc.get_traced_memory()[0]


def bench_memory(total: int) -> list[dict]:
    rows = []
    early = total // 10
    for lr_kind in ("float", "tensor"):
        rss0, rss1 = _memory_loop(lr_kind, total, _rss)  # without tracemalloc (its own tables cost RSS)
        tracemalloc.start()
        heap0, heap1 = _memory_loop(lr_kind, total, _traced)
        tracemalloc.stop()
        n = total - early
        desc = (f"growth between step {early:.0e} and step {total:.0e} of opt.step(); scheduler.step() "
                f"(SGD, {lr_kind} lr, WarmupCosineDecay)")
        rows.append(_row(f"torch.mem.{lr_kind}.heap_growth", f"Python heap (tracemalloc) {desc}", heap1 - heap0,
                         "bytes", target=f"<= {KIB64}",
                         note=f"no growth, within a 64 KiB noise tolerance; {(heap1 - heap0) / n:.3f} bytes/step"))
        rows.append(_row(f"torch.mem.{lr_kind}.rss_growth", f"process RSS {desc}", rss1 - rss0, "bytes",
                         target=f"<= {KIB64}", note="VmRSS from /proc/self/status, in a run without tracemalloc; "
                         "64 KiB noise tolerance"))
    return rows


# --- entry points -----------------------------------------------------------------


def run(quick: bool = False) -> list[dict]:
    torch.set_num_threads(1)
    rounds = 5 if quick else 31
    rows: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows += bench_step(rounds)
        rows += bench_breakdown(rounds)
        rows += bench_tensor_lr(rounds)
        rows += bench_compile(200 if quick else 1000, inductor=not quick)
        rows += bench_memory(10_000 if quick else 100_000)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "row ids must be unique"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="where to write the rows (JSON)")
    parser.add_argument("--quick", action="store_true", help="few rounds and steps: a smoke test (< 30 s)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    rows = run(args.quick)
    with open(args.out, "w") as f:
        f.write(json.dumps(rows))
    missed = [r["id"] for r in rows if r["met"] is False]
    print(f"{len(rows)} rows in {time.perf_counter() - t0:.1f} s; targets missed: {missed or 'none'}")


if __name__ == "__main__":
    main()
