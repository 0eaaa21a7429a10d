"""The jitted forms of many schedules in one XLA compile each.

A schedule's ``jit(vmap(schedule))`` costs one XLA compile (~30-40 ms on this machine),
far more than evaluating it; a test module that checks hundreds of configs spends most
of its time compiling. :class:`JitTables` evaluates every config of a module in a few
programs instead (``chunk`` configs a program, x64 and float32 apart, either or both): each
config keeps its own ``jit(vmap(...))`` body, its own steps and dtype, so the values are the
ones its own jit gives (``test_jitted.py`` checks that bitwise). Its ``build`` makes our
schedules or another library's (optax's, Keras's, MaxText's own values, for the anchors' truths
and own float32). The tables are computed on the first
request and kept; a module using it is marked ``xdist_group`` so that one worker computes
them (``make test`` runs ``--dist loadgroup``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Build = Callable[[Any], Callable[[Any], Any]]
FORMS = ("x64", "f32")
"""The jitted forms: ``"x64"`` under ``jax.enable_x64(True)`` at int64 (float64) steps, computing
float64; ``"f32"`` at int32 (float32) steps, computing float32."""


def _jit_many(fns: Sequence[Callable[[Any], Any]], steps: Sequence[Any]) -> list[Any]:
    """``[vmap(fns[i])(steps[i]) for i]`` in one ``jit`` (under ``jax.enable_x64(True)`` for x64)."""
    import jax

    program = jax.jit(lambda *xs: tuple(jax.vmap(f)(x) for f, x in zip(fns, xs)))
    return list(program(*steps))


def _default_build(cfg: Any) -> Callable[[Any], Any]:
    import warmup_jax

    return warmup_jax.schedule_from_config(cfg)


class JitTables:
    """The jitted ``forms`` (of :data:`FORMS`) of ``build(cfgs[i])`` at ``steps[i]``, as float64
    NumPy arrays: each config built (under x64 for ``"x64"``) and jitted as a user jits it, all
    configs compiled ``chunk`` to a program a form on the first request. ``build`` is
    :func:`warmup_jax.schedule_from_config` by default; another library's (optax's, Keras's,
    MaxText's) gives that library's own values. Each form's values are checked to be computed in
    its dtype (float64 for x64, float32 for f32).

    ``get(i)`` -> (x64 values or None, float32 values or None) of config ``i``;
    ``form(name)`` -> every config's values of one computed form."""

    def __init__(self, cfgs: Sequence[Any], steps: Sequence[np.ndarray], build: Build = _default_build, *,
                 forms: Sequence[str] = FORMS, chunk: int = 64) -> None:
        if len(cfgs) != len(steps):
            raise ValueError(f"JitTables: {len(cfgs)} configs and {len(steps)} step arrays")
        if not forms or not set(forms) <= set(FORMS):
            raise ValueError(f"JitTables: forms={tuple(forms)!r}; expected one or both of {FORMS}")
        self.cfgs, self.steps, self.build, self.chunk = list(cfgs), list(steps), build, chunk
        self.forms = tuple(f for f in FORMS if f in forms)
        self._tables: dict[str, list[np.ndarray]] | None = None

    def get(self, i: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        tables = self._computed()
        x64, f32 = tables.get("x64"), tables.get("f32")
        return (None if x64 is None else x64[i]), (None if f32 is None else f32[i])

    def form(self, name: str) -> list[np.ndarray]:
        tables = self._computed()
        if name not in tables:
            raise ValueError(f"JitTables: form {name!r} is not computed; forms={self.forms}")
        return tables[name]

    def _computed(self) -> dict[str, list[np.ndarray]]:
        if self._tables is None:
            self._tables = {name: self._compute(name) for name in self.forms}
        return self._tables

    def _compute(self, form: str) -> list[np.ndarray]:
        import jax
        import jax.numpy as jnp

        wide = form == "x64"
        dtype = np.dtype(np.float64 if wide else np.float32)

        def as_steps(s: np.ndarray) -> Any:
            floating = np.asarray(s).dtype.kind == "f"
            return jnp.asarray(s, dtype if floating else (jnp.int64 if wide else jnp.int32))

        out: list[np.ndarray] = []
        with jax.enable_x64(wide):
            for start in range(0, len(self.cfgs), self.chunk):
                cfgs, steps = self.cfgs[start:start + self.chunk], self.steps[start:start + self.chunk]
                for cfg, v in zip(cfgs, _jit_many([self.build(c) for c in cfgs], [as_steps(s) for s in steps])):
                    if v.dtype != dtype:
                        raise AssertionError(f"JitTables: {cfg!r} computes {v.dtype} in its {form} form, not {dtype}")
                    out.append(np.asarray(v, np.float64))
        return out
