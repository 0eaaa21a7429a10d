"""The jitted forms of many schedules in one XLA compile each.

A schedule's ``jit(vmap(schedule))`` costs one XLA compile (~30-40 ms on this machine),
far more than evaluating it; a test module that checks hundreds of configs spends most
of its time compiling. :class:`JitTables` evaluates every config of a module in a few
programs instead (``chunk`` configs a program, x64 and float32 apart): each config keeps
its own ``jit(vmap(...))`` body, its own steps and dtype, so the values are the ones its own
jit gives (``test_jitted.py`` checks that bitwise). The tables are computed on the first
request and kept; a module using it is marked ``xdist_group`` so that one worker computes
them (``make test`` runs ``--dist loadgroup``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Build = Callable[[Any], Callable[[Any], Any]]


def jit_many(fns: Sequence[Callable[[Any], Any]], steps: Sequence[Any]) -> list[np.ndarray]:
    """``[vmap(fns[i])(steps[i]) for i]`` in one ``jit``, as float64 NumPy arrays. Call it
    under ``jax.enable_x64(True)`` for x64 forms (``steps`` then int64)."""
    import jax

    program = jax.jit(lambda *xs: tuple(jax.vmap(f)(x) for f, x in zip(fns, xs)))
    return [np.asarray(v, np.float64) for v in program(*steps)]


def _default_build(cfg: Any) -> Callable[[Any], Any]:
    import warmup_jax

    return warmup_jax.schedule_from_config(cfg)


class JitTables:
    """``get(i)`` -> (x64 values or None, float32 values) of ``build(cfgs[i])`` at ``steps[i]``:
    x64 at int64 (float64) steps, float32 at int32 (float32) steps, each config jitted as a
    user jits it, all configs compiled ``chunk`` to a program on the first ``get``.
    ``x64=False``: the float32 forms only."""

    def __init__(self, cfgs: Sequence[Any], steps: Sequence[np.ndarray], build: Build = _default_build, *,
                 x64: bool = True, chunk: int = 64) -> None:
        if len(cfgs) != len(steps):
            raise ValueError(f"JitTables: {len(cfgs)} configs and {len(steps)} step arrays")
        self.cfgs, self.steps, self.build, self.x64, self.chunk = list(cfgs), list(steps), build, x64, chunk
        self._tables: list[tuple[np.ndarray | None, np.ndarray]] | None = None

    def get(self, i: int) -> tuple[np.ndarray | None, np.ndarray]:
        if self._tables is None:
            self._tables = self._compute()
        return self._tables[i]

    def _compute(self) -> list[tuple[np.ndarray | None, np.ndarray]]:
        import jax
        import jax.numpy as jnp

        def as_steps(s: np.ndarray, wide: bool) -> Any:
            floating = np.asarray(s).dtype.kind == "f"
            return jnp.asarray(s, (jnp.float64 if wide else jnp.float32) if floating else
                               (jnp.int64 if wide else jnp.int32))

        out: list[tuple[np.ndarray | None, np.ndarray]] = []
        for start in range(0, len(self.cfgs), self.chunk):
            cfgs, steps = self.cfgs[start:start + self.chunk], self.steps[start:start + self.chunk]
            x64: list[np.ndarray | None] = [None] * len(cfgs)
            if self.x64:
                with jax.enable_x64(True):
                    x64 = list(jit_many([self.build(c) for c in cfgs], [as_steps(s, True) for s in steps]))
            f32 = jit_many([self.build(c) for c in cfgs], [as_steps(s, False) for s in steps])
            out += zip(x64, f32)
        return out
