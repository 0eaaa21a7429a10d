"""Learning-rate tables of one config in JAX, torch and the float64 reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FLOOR = 1e-3
"""Pointwise relative errors count where the lr is at least this fraction of the peak."""


def errors(got: Any, ref: Any, peak: float | None = None, floor: float = FLOOR) -> tuple[float, float]:
    """(max |got - ref| / peak, max |got - ref| / ref where ref >= floor * peak)."""
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    peak = float(np.max(ref)) if peak is None else peak
    err = np.abs(got - ref)
    big = ref >= floor * peak
    rel = float(np.max(err[big] / ref[big])) if big.any() else 0.0
    return (float(np.max(err)) / peak if peak > 0 else float(np.max(err))), rel


@dataclass(frozen=True)
class LrTables:
    steps: np.ndarray
    reference: np.ndarray
    jax_f32: np.ndarray
    jax_f64: np.ndarray
    torch: np.ndarray

    def worst(self, name: str, floor: float = FLOOR) -> tuple[float, float]:
        """(max |x - ref| / peak, max pointwise relative error where ref >= floor * peak)."""
        return errors(getattr(self, name), self.reference, floor=floor)


def lr_tables(cfg: Mapping[str, Any], steps: Sequence[int]) -> LrTables:
    """Evaluates ``cfg`` at ``steps`` with JAX (float32 jit and x64), torch and the reference."""
    import jax
    import jax.numpy as jnp
    import torch

    import warmup_jax
    import warmup_torch
    from warmup_spec import spec_from_config
    from warmup_spec.reference import reference_table

    steps_np = np.asarray(steps, dtype=np.int64)
    ref = np.asarray(reference_table(spec_from_config(cfg), steps_np), dtype=np.float64)
    sched = warmup_jax.schedule_from_config(cfg)
    f32 = np.asarray(jax.jit(jax.vmap(sched))(jnp.asarray(steps_np, jnp.int32)), np.float64)
    with jax.enable_x64(True):
        f64 = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps_np)), np.float64)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = warmup_torch.scheduler_from_config(opt, cfg)
    torch_lrs = []
    last = -1
    for t in steps_np:  # drive the real scheduler step by step, read what the optimizer sees
        while last < t:
            if last >= 0:
                opt.step()
                scheduler.step()
            last += 1
        torch_lrs.append(opt.param_groups[0]["lr"])
    return LrTables(steps_np, ref, f32, f64, np.asarray(torch_lrs, np.float64))
