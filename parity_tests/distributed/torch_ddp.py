"""torch ``DistributedDataParallel`` (gloo, 2 processes on 127.0.0.1) vs one process.

Run as a script (``python torch_ddp.py OUT_DIR CONFIG_JSON STEPS``). The parent picks
a free loopback port, starts the ranks (forked: the parent has imported torch and run
nothing, so there is no thread or process group to inherit; spawning re-imported torch in
each rank, 3 s of CPU) and joins them, then trains the
single-process reference on the full global batch. Each rank writes
``OUT_DIR/rank{r}.npz`` (the lr before every ``optimizer.step()``, the final
params) after the last collective (a barrier); the parent writes ``OUT_DIR/single.npz``
and ``OUT_DIR/meta.json``, and fails when a rank exits without its file.

A rank that has written its file has finished every collective: gloo's teardown
(``destroy_process_group`` or the exit after it) sometimes aborts the process here
(``terminate called without an active exception``, SIGABRT; 1 run in 16 measured on torch
2.13 CPU), after the results exist. The parent records such an exit code in ``meta.json``
(``teardown_exit_codes``) rather than failing on it; ``torch.multiprocessing.spawn`` would
instead terminate the other rank, possibly before it has written its file.

Importing this module does nothing (pytest's doctest collection imports it).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import timedelta

WORLD_SIZE = 2
N_IN, N_HIDDEN, N_OUT = 6, 16, 3
GLOBAL_BATCH = 64  # 32 rows per rank
WEIGHT_DECAY = 0.01


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_data(steps: int, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, GLOBAL_BATCH, N_IN, generator=g, dtype=torch.float64)
    w_true = torch.randn(N_IN, N_OUT, generator=g, dtype=torch.float64)
    y = torch.tanh(x @ w_true) + 0.1 * torch.randn(
        steps, GLOBAL_BATCH, N_OUT, generator=g, dtype=torch.float64
    )
    return x, y


def make_model():
    import torch

    torch.manual_seed(1)  # same initial weights in every process
    return torch.nn.Sequential(
        torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.Tanh(), torch.nn.Linear(N_HIDDEN, N_OUT)
    ).to(torch.float64)


def train(model, params_for_opt, cfg, xs, ys, rows: slice):
    """AdamW + the config's scheduler; mean-reduced MSE on ``rows`` of each global batch."""
    import torch

    import warmup_torch

    opt = torch.optim.AdamW(params_for_opt, lr=cfg["peak_value"], weight_decay=WEIGHT_DECAY)
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    lrs, losses = [], []
    for k in range(xs.shape[0]):
        x, y = xs[k, rows], ys[k, rows]
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x), y)  # mean: DDP's average == full-batch mean
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        losses.append(loss.item())
        opt.step()
        sched.step()
    return lrs, losses


def _params(module):
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def worker(rank: int, world_size: int, port: int, out_dir: str, cfg: dict, steps: int) -> None:
    import numpy as np
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group(
        "gloo", rank=rank, world_size=world_size, timeout=timedelta(seconds=60)
    )
    try:
        model = make_model()
        ddp = DDP(model)
        xs, ys = make_data(steps)
        per = GLOBAL_BATCH // world_size
        lrs, losses = train(ddp, ddp.parameters(), cfg, xs, ys, slice(rank * per, (rank + 1) * per))
        params = _params(model)
        dist.barrier()  # the last collective: every rank has trained every step
        path = os.path.join(out_dir, f"rank{rank}.npz")
        np.savez(
            path + ".part.npz",
            lrs=np.asarray(lrs, np.float64),
            losses=np.asarray(losses, np.float64),
            **{f"params/{k}": v for k, v in params.items()},
        )
        os.replace(path + ".part.npz", path)  # the file exists only whole
    finally:
        dist.destroy_process_group()


def main(out_dir: str, cfg: dict, steps: int) -> None:
    import numpy as np
    import torch
    import torch.multiprocessing as mp

    os.environ["MASTER_ADDR"] = "127.0.0.1"
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # gloo's pairs on loopback too
    torch.set_num_threads(1)
    port = free_port()
    ctx = mp.get_context("fork")
    ranks = [ctx.Process(target=worker, args=(r, WORLD_SIZE, port, out_dir, cfg, steps)) for r in range(WORLD_SIZE)]
    for p in ranks:
        p.start()
    for p in ranks:
        p.join()
    codes = [p.exitcode for p in ranks]
    missing = [r for r in range(WORLD_SIZE) if not os.path.exists(os.path.join(out_dir, f"rank{r}.npz"))]
    if missing:
        raise SystemExit(f"ranks {missing} exited (exit codes {codes}) without their results")

    model = make_model()
    xs, ys = make_data(steps)
    lrs, losses = train(model, model.parameters(), cfg, xs, ys, slice(None))
    np.savez(
        os.path.join(out_dir, "single.npz"),
        lrs=np.asarray(lrs, np.float64),
        losses=np.asarray(losses, np.float64),
        **{f"params/{k}": v for k, v in _params(model).items()},
    )
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(
            {"world_size": WORLD_SIZE, "port": port, "backend": "gloo", "teardown_exit_codes": codes,
             "global_batch": GLOBAL_BATCH, "steps": steps, "torch_version": torch.__version__},
            f,
        )


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]))
