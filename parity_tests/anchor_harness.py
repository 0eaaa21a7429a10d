"""One check for every port of another library's schedule: our front ends against the
library itself (or its cited formula), at every step from 0 to well past the end.

``check(library, cfg, expected)`` evaluates ``cfg`` with

- the float64 host ``Schedule`` (what ``warmup_torch`` is built on),
- the float64 NumPy array form (``warmup_spec.tables.lr_table``: the array code ``warmup_jax``
  runs, so a drawn config checks it too),
- ``warmup_torch.scheduler_from_config``, stepped as a user steps it (``optimizer.step()`` then
  ``scheduler.step()``), reading the lr each update uses,
- ``warmup_jax.schedule_from_config`` under ``jit(vmap)``, in float32 (int32 steps) and in x64,
  for the fixed cases only (their jitted values computed a library at a time, :meth:`Adapter.jitted`):
  a config drawn by hypothesis (``currently_in_test_context``) would compile twice per
  example, so drawn configs check the host, NumPy and torch forms. The x64 form, in ``make
  test``, of the first case of each schedule: it runs the NumPy form's array code on jax, so it
  checks jax's side of that code, and every case's NumPy form checks the code in float64 (half
  the anchors' compile time); ``make test-all`` checks every case's x64 form
  (``test_anchors.py::test_x64_jitted_forms_equal_the_library``),

and compares each with ``expected`` (float64; ``expected[k]`` is the lr of update ``k``):
float64 within 1e-12 relative where the lr is at least 1e-3 of its peak and 1e-12 of the
peak absolutely everywhere; float32 within 1e-6 the same way (against ``expected_f32``
when given: optax's own float32 is compared with optax evaluated in float64). The worst
errors are kept per library and printed at the end of the run (``conftest.py``), with the
library's own float32 errors where a test measures them (:func:`record_own_float32`); under
pytest-xdist each worker sends its part to the controller (:func:`export`, :func:`merge`).

``test_anchors.py`` writes each test shape once and takes every library through an
:class:`Adapter` (one a library, ``parity_tests/anchors/``): its fixed :class:`Case` rows (with
their quirk values), hypothesis strategies, :class:`Refusal` rows and :class:`Live` schedulers;
:func:`compare` is a case's whole check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from hypothesis import currently_in_test_context

from warmup_parity.lr_table import errors

TOL_F64 = 1e-12
TOL_F32 = 1e-6


@dataclass
class LibraryReport:
    schedules: set[str] = field(default_factory=set)
    configs: int = 0
    steps: int = 0
    worst_f64: float = 0.0
    worst_f32: float = 0.0
    worst_f64_at: str = ""
    worst_f32_at: str = ""
    own_f32: dict[str, list[float]] = field(default_factory=dict)
    """The library's own float32 against the truth, per schedule: [worst |err|/peak, worst rel,
    the number of steps a stair or a restart away]."""


REPORT: dict[str, LibraryReport] = {}


def jax_values(cfg: dict[str, Any], steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x64, float32) values of ``warmup_jax.schedule_from_config(cfg)`` under ``jit(vmap)``."""
    import jax
    import jax.numpy as jnp

    import warmup_jax

    with jax.enable_x64(True):
        f64 = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, jnp.int64)), np.float64)
    f32 = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, jnp.int32)), np.float64)
    return f64, f32


def torch_values(cfg: dict[str, Any], n: int) -> np.ndarray:
    """The lr of each of ``n`` updates with ``warmup_torch.scheduler_from_config`` stepped as users do."""
    import torch

    import warmup_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=float(cfg.get("lr", 1.0)) or 1.0)
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    out = np.empty(n)
    for k in range(n):
        out[k] = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    return out


def check(
    library: str,
    cfg: dict[str, Any],
    expected: Any,
    *,
    expected_f32: Any = None,
    tol_f64: float = TOL_F64,
    tol_f32: float = TOL_F32,
    jitted: tuple[Any, Any] | None = None,
) -> tuple[float, float]:
    """Asserts our front ends equal ``expected`` (steps ``0..len(expected) - 1``); returns the
    worst (float64, float32) error. See the module docstring. ``jitted``: the (x64 or None,
    float32) values of the jax form, computed beforehand (:meth:`Adapter.jitted`)."""
    from warmup_spec import Schedule
    from warmup_spec.tables import lr_table

    expected = np.asarray(expected, np.float64)
    n = len(expected)
    steps = np.arange(n, dtype=np.int64)
    peak = float(np.max(np.abs(expected))) or 1.0
    host = Schedule(cfg)
    got = {
        "host float64": np.array([host(int(t)) for t in steps]),
        "numpy float64": lr_table(cfg, steps),
        "torch scheduler": torch_values(cfg, n),
    }
    f32 = None
    if jitted is not None:
        x64, f32 = jitted
        if x64 is not None:
            got["jax x64"] = x64
    elif not currently_in_test_context():  # a drawn config: the host, NumPy and torch forms only
        got["jax x64"], f32 = jax_values(cfg, steps)
    worst64 = 0.0
    for what, values in got.items():
        assert np.all(np.isfinite(values)), f"{cfg}: {what} has non-finite values"
        abs_err, rel_err = errors(values, expected, peak)
        worst64 = max(worst64, abs_err, rel_err)
        assert abs_err <= tol_f64 and rel_err <= tol_f64, (
            f"{cfg}: {what} differs from the library: max |err|/peak {abs_err:.3e}, max rel {rel_err:.3e}; "
            f"first bad step {_first_bad(values, expected, peak, tol_f64)}")
    worst32 = 0.0
    if f32 is not None:
        ref32 = expected if expected_f32 is None else np.asarray(expected_f32, np.float64)
        abs32, rel32 = errors(f32, ref32, peak)
        worst32 = max(abs32, rel32)
        assert np.all(np.isfinite(f32)) and abs32 <= tol_f32 and rel32 <= tol_f32, (
            f"{cfg}: jax float32 differs: max |err|/peak {abs32:.3e}, max rel {rel32:.3e}; "
            f"first bad step {_first_bad(f32, ref32, peak, tol_f32)}")
    rep = REPORT.setdefault(library, LibraryReport())
    rep.schedules.add(cfg["schedule"])
    rep.configs += 1
    rep.steps += n
    if worst64 >= rep.worst_f64:
        rep.worst_f64, rep.worst_f64_at = worst64, cfg["schedule"]
    if worst32 >= rep.worst_f32:
        rep.worst_f32, rep.worst_f32_at = worst32, cfg["schedule"]
    return worst64, worst32


class Above:
    """A quirk value known only to exceed ``bound`` (``Case.at``)."""

    sign = 1.0

    def __init__(self, bound: float) -> None:
        self.bound = bound

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and self.sign * (other - self.bound) > 0

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{'>' if self.sign > 0 else '<'} {self.bound!r}"


class Below(Above):
    """A quirk value known only to be under ``bound`` (``Case.at``)."""

    sign = -1.0


@dataclass
class Case:
    """One fixed case of a library: our port config ``cfg`` compared with the library at steps
    ``0..n-1``. ``lib`` gives the library's own values (default: the adapter's ``values(cfg,
    n)``); ``at`` holds quirks, hand-computed values at given steps (the library's and our host
    schedule's: ``values[t] == v``; a
    ``pytest.approx`` where the library rounds, an :class:`Above` or :class:`Below` where only a bound is known); ``opts`` the adapter's own options."""

    cfg: dict[str, Any]
    n: int
    lib: Callable[[], Any] | None = None
    at: dict[int, Any] = field(default_factory=dict)
    tol_f64: float = TOL_F64
    tol_f32: float = TOL_F32
    opts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Refusal:
    """A config the port refuses with ``ValueError`` matching ``match``; ``library()`` (when
    given) shows the library refusing it too, raising one of ``raises`` (its text matching
    ``says``)."""

    cfg: dict[str, Any]
    match: str
    library: Callable[[], Any] | None = None
    raises: Any = ValueError
    says: str | None = None


@dataclass
class Live:
    """A live library scheduler for ``warmup_torch.to_config``: ``make(optimizer)`` builds it
    over an optimizer with param groups ``groups`` (``None``: the optimizer's lr; a float: the
    group's lr; a dict: the group's extra keys); ``drive(scheduler, optimizer, n)`` steps it as
    its users do, giving every group's lr at each update (shape ``(n, groups)``); ``shape(configs,
    scheduler)`` asserts the form of the configs read back."""

    id: str
    make: Callable[[Any], Any]
    n: int
    groups: tuple[Any, ...] = (None,)
    lr: float = 0.1
    shape: Callable[[Any, Any], None] | None = None
    atol: float = 1e-15


class _Tables(NamedTuple):
    """An adapter's jitted tables (:meth:`Adapter.jitted`): each key's config index, the distinct
    configs and their steps, every config's float32 form, and the x64 form of the first config
    of each schedule (``x64_of``: config index -> row)."""

    index: dict[Any, int]
    cfgs: list[dict[str, Any]]
    steps: list[np.ndarray]
    f32: Any
    x64_of: dict[int, int]
    x64: Any


@dataclass
class Adapter:
    """What the parametrised anchor tests (``test_anchors.py``) need of one library: ``values(cfg,
    n)`` its own float64 values of a port config (and ``(values, float32)`` where the check
    compares our float32 with the library's, see :func:`check`); ``after(case, values)`` its own
    further checks of a case; the fixed ``cases``, the hypothesis strategies ``drawn`` (each
    draws a :class:`Case`), the ``refused`` rows, the ``live`` schedulers for round trips and
    ``drive`` (see :class:`Live`)."""

    library: str
    values: Callable[[dict[str, Any], int], Any]
    cases: list[Case]
    drawn: Sequence[Any] = ()
    refused: list[Refusal] = field(default_factory=list)
    live: list[Live] = field(default_factory=list)
    drive: Callable[[Any, Any, int], Any] | None = None
    after: Callable[[Case, Any], None] | None = None
    drawn_refusal: type[BaseException] | None = None
    """What the library raises on a drawn config the port refuses (none may be refused: ``None``)."""
    drawn_slow: bool = False
    values_of_cases: Callable[[list[Case]], list[Any]] | None = None
    """The library's values of every fixed case (those without ``lib``) at once, in place of
    ``values`` case by case (computed on the first request)."""
    _tables: _Tables | None = None
    _values: Any = None

    def truth(self, case: Case) -> tuple[np.ndarray, np.ndarray | None]:
        """The library's (float64, float32 or None) values of ``case``."""
        if case.lib is not None:
            out = case.lib()
        elif self.values_of_cases is not None and any(case is c for c in self.cases):
            if self._values is None:
                plain = [c for c in self.cases if c.lib is None]
                self._values = dict(zip(map(id, plain), self.values_of_cases(plain)))
            out = self._values[id(case)]
        else:
            out = self.values(case.cfg, case.n)
        if isinstance(out, tuple):
            return np.asarray(out[0], np.float64), np.asarray(out[1], np.float64)
        return np.asarray(out, np.float64), None

    def jitted(self, key: Any) -> tuple[Any, Any]:
        """The (x64 or None, float32) jax values of ``cases[key]`` (an int) or of a round trip's
        group config (``(live index, group)``): the x64 form of the first of each schedule only (the
        module docstring says why; :meth:`x64_of_the_rest` gives the others). Each form is
        computed on its first request (:meth:`_built`)."""
        t = self._built()
        k = t.index[key]
        return (t.x64.get(t.x64_of[k])[0] if k in t.x64_of else None), t.f32.get(k)[1]

    def x64_of_the_rest(self) -> dict[Any, np.ndarray]:
        """The x64 jax values of every case and round-trip config whose x64 form :meth:`jitted`
        does not give, by key (``make test-all``)."""
        from parity_tests.jitted import JitTables

        t = self._built()
        rest = [k for k in range(len(t.cfgs)) if k not in t.x64_of]
        values = dict(zip(rest, JitTables([t.cfgs[k] for k in rest], [t.steps[k] for k in rest], forms=("x64",),
                                          chunk=16).form("x64")))
        return {key: values[k] for key, k in t.index.items() if k in values}

    def _built(self) -> _Tables:
        """The library's jitted tables, made on the first call: its cases and round-trip configs,
        once per spec and length (``warmup_jax.schedule_from_config`` builds the spec's schedule),
        each form compiled in a few programs when first read (``jitted.JitTables``; one
        pytest-xdist worker computes them: the library's tests are in one ``xdist_group``)."""
        if self._tables is None:
            from parity_tests.jitted import JitTables
            from warmup_spec import spec_from_config

            entries: dict[Any, tuple[dict[str, Any], int]] = {i: (c.cfg, c.n) for i, c in enumerate(self.cases)}
            for i, row in enumerate(self.live):
                for g, cfg in enumerate(self.configs_of(row)[0]):
                    entries[i, g] = cfg, row.n
            unique: dict[tuple[str, int], int] = {}
            index = {key: unique.setdefault((repr(spec_from_config(cfg)), n), len(unique))
                     for key, (cfg, n) in entries.items()}
            firsts = {k: entries[key] for key, k in reversed(index.items())}
            cfgs = [firsts[k][0] for k in range(len(unique))]
            steps = [np.arange(firsts[k][1]) for k in range(len(unique))]
            firsts_of_schedules: dict[str, int] = {}
            for k, cfg in enumerate(cfgs):
                firsts_of_schedules.setdefault(cfg["schedule"], k)
            first = sorted(firsts_of_schedules.values())
            # chunk: XLA's compile time grows faster than a program's size
            self._tables = _Tables(index, cfgs, steps, JitTables(cfgs, steps, forms=("f32",), chunk=16),
                                   {k: j for j, k in enumerate(first)},
                                   JitTables([cfgs[k] for k in first], [steps[k] for k in first], forms=("x64",),
                                             chunk=16))
        return self._tables

    def ports(self, cfg: dict[str, Any]) -> bool:
        """Whether ``cfg`` is one of this library's ports (not a combinator over one)."""
        return str(cfg["schedule"]).startswith(self.cases[0].cfg["schedule"].split(".")[0] + ".")

    def configs_of(self, row: Live) -> tuple[list[dict[str, Any]], Any, Any]:
        """``warmup_torch.to_config`` of the live scheduler of ``row`` (a list, one config a
        group), with the scheduler and its optimizer."""
        import warmup_torch

        opt = optimizer(row.lr, row.groups)
        sched = row.make(opt)
        cfgs = warmup_torch.to_config(sched)
        return (cfgs if isinstance(cfgs, list) else [cfgs]), sched, opt


def optimizer(lr: float, groups: tuple[Any, ...] = (None,)) -> Any:
    """An SGD optimizer (momentum 0.9) with one param group per ``groups`` entry (see :class:`Live`)."""
    import torch

    made: list[dict[str, Any]] = []
    for g in groups:
        group: dict[str, Any] = {"params": [torch.zeros(1, requires_grad=True)]}
        group.update({} if g is None else {"lr": g} if isinstance(g, float) else g)
        made.append(group)
    return torch.optim.SGD(made, lr=lr, momentum=0.9)


def compare(adapter: Adapter, case: Case, jitted: tuple[Any, Any] | None = None) -> np.ndarray:
    """The library's values of ``case`` against every front end (:func:`check`), then the
    adapter's own checks and the quirk values (the library's and our host's); returns the
    library's values."""
    from warmup_spec import Schedule

    values, f32 = adapter.truth(case)
    check(adapter.library, case.cfg, values, expected_f32=f32, tol_f64=case.tol_f64, tol_f32=case.tol_f32,
          jitted=jitted)
    if adapter.after is not None:
        adapter.after(case, values)
    host = Schedule(case.cfg)
    for t, v in case.at.items():
        assert float(values[t]) == v, f"{case.cfg}: the library's value at step {t} is {values[t]!r}, not {v!r}"
        assert host(t) == v, f"{case.cfg}: our value at step {t} is {host(t)!r}, not {v!r}"
    return values


def record_own_float32(library: str, schedule: str, abs_err: float, rel_err: float, off: int) -> None:
    """Keeps the worst errors of the library's own float32 (informative: the test bounds them)."""
    worst = REPORT.setdefault(library, LibraryReport()).own_f32.setdefault(schedule, [0.0, 0.0, 0])
    worst[0], worst[1], worst[2] = max(worst[0], abs_err), max(worst[1], rel_err), worst[2] + off


def _first_bad(got: np.ndarray, ref: np.ndarray, peak: float, tol: float) -> str:
    err = np.abs(got - ref)
    big = ref >= 1e-3 * peak
    bad = (err > tol * peak) | (big & (err > tol * np.where(big, ref, 1.0)))
    idx = np.nonzero(bad)[0]
    if not idx.size:
        return "none"
    k = int(idx[0])
    return f"{k}: got {got[k]!r}, library {ref[k]!r}"


def export() -> dict[str, dict[str, Any]]:
    """REPORT as plain data (what a pytest-xdist worker sends back)."""
    return {lib: {**vars(r), "schedules": sorted(r.schedules)} for lib, r in REPORT.items()}


def merge(data: dict[str, dict[str, Any]]) -> None:
    """Adds a worker's :func:`export` to REPORT."""
    for lib, d in data.items():
        rep = REPORT.setdefault(lib, LibraryReport())
        rep.schedules.update(d["schedules"])
        rep.configs += d["configs"]
        rep.steps += d["steps"]
        if d["worst_f64"] >= rep.worst_f64:
            rep.worst_f64, rep.worst_f64_at = d["worst_f64"], d["worst_f64_at"]
        if d["worst_f32"] >= rep.worst_f32:
            rep.worst_f32, rep.worst_f32_at = d["worst_f32"], d["worst_f32_at"]
        for schedule, (abs_err, rel_err, off) in d["own_f32"].items():
            record_own_float32(lib, schedule, abs_err, rel_err, off)


def summary() -> list[str]:
    """One line per library: schedules, configs and steps compared, worst errors."""
    lines = []
    for lib in sorted(REPORT):
        r = REPORT[lib]
        lines.append(
            f"{lib:14s} {len(r.schedules):3d} schedules {r.configs:4d} configs {r.steps:9d} steps; "
            f"worst float64 {r.worst_f64:.2e} ({r.worst_f64_at}), float32 {r.worst_f32:.2e} ({r.worst_f32_at})")
        for name, (abs32, rel32, off) in sorted(r.own_f32.items()):
            lines.append(f"  {lib}'s own float32 {name:24s} max |err|/peak {abs32:.2e}, max rel {rel32:.2e} "
                         f"(besides {off} steps a stair or a restart away)")
    return lines
