"""Learning-rate tables of one config in JAX, torch and float64: the literal reference where
it has the schedule's formulas, else the port's float64 host form."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FLOOR", "LrTables", "errors", "float64_table", "lr_tables"]

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
    """One config's lrs at ``steps``: the float64 values checked against, and each front end's.

    Attributes:
        reference_name: what ``reference`` holds: ``"float64 reference"`` (the catalogue
            formulas written literally) where it covers every part of the schedule, else
            ``"float64 host form"`` (a port, or a combination holding one: the port's
            ``warmup_spec.Schedule``, the closed form proven equal to its library by the
            anchor tests).
    """

    steps: np.ndarray
    reference: np.ndarray
    jax_f32: np.ndarray
    jax_f64: np.ndarray
    torch: np.ndarray
    reference_name: str = "float64 reference"

    def worst(self, name: str, floor: float = FLOOR) -> tuple[float, float]:
        """(max |x - ref| / peak, max pointwise relative error where ref >= floor * peak)."""
        return errors(getattr(self, name), self.reference, floor=floor)


def _has_reference(spec: Any) -> bool:
    """Whether the literal float64 reference has a formula for ``spec`` and every schedule in it."""
    from warmup_spec.definition import ScheduleSpec
    from warmup_spec.reference import reference

    if reference.dispatch(type(spec)) is reference.dispatch(object):
        return False
    parts = [v for value in spec.params().values()
             for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, ScheduleSpec)]
    return all(_has_reference(p) for p in parts)


def float64_table(spec: Any, steps: Any) -> tuple[np.ndarray, str]:
    """The float64 values to check a front end against, and their name (see :class:`LrTables`)."""
    from warmup_spec.reference import reference_table
    from warmup_spec.schedule import Schedule

    if _has_reference(spec):
        return np.asarray(reference_table(spec, steps), np.float64), "float64 reference"
    f = Schedule(spec)
    return np.asarray([f(int(t)) for t in steps], np.float64), "float64 host form"


def lr_tables(cfg: Mapping[str, Any], steps: Sequence[int]) -> LrTables:
    """Evaluates ``cfg`` at ``steps`` with JAX (float32 jit and x64), torch and the reference."""
    import jax
    import jax.numpy as jnp
    import torch

    import warmup_jax
    import warmup_torch
    from warmup_spec import spec_from_config

    steps_np = np.asarray(steps, dtype=np.int64)
    ref, name = float64_table(spec_from_config(cfg), steps_np)
    with warnings.catch_warnings():  # the lr alone is tabled: a momentum it cycles is not dropped here
        warnings.simplefilter("ignore", warmup_jax.CycledMomentumWarning)
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
    return LrTables(steps_np, ref, f32, f64, np.asarray(torch_lrs, np.float64), name)
