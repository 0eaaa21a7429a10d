"""Property tests (hypothesis) over random VALID configs of every schedule and of the
combinators over generated bases, and over random INVALID configs.

VALID configs, for the float64 reference, the closed form (what torch uses) and the
NumPy table (the array forms JAX uses), at every step 0..end+margin:
  - finite, non-negative, within the schedule's bounds [lo, hi] (per family below);
  - warmup monotone (non-decreasing towards the peak), f(0) = init, f(w) = peak, and the
    peak not reached before w;
  - continuous at every join: the step across a join is no larger than one step of
    either side (see ``check_join``); intended jumps (restarts, ``join``) are skipped;
  - decays monotone, stable/hold phases exactly at the peak, the end value reached at
    the end step and held exactly after it (``spec.end_step``);
  - reference, closed form and table agree within 1e-12 (relative to the peak, and
    pointwise relative where >= 1e-3 of the peak); the torch scheduler driving an
    optimizer sets exactly the closed-form lr; JAX float32 (jit of vmap, int32 steps)
    within 1e-6, holding its final value to float32 precision (drawn configs under
    ``slow`` only: each draw compiles; the default suite jits the fixed cases of
    ``cases.py`` in ``test_lr_parity.py``).
INVALID configs (a valid config with one thing broken): ``spec_from_config``,
``warmup_jax.schedule_from_config``, ``warmup_torch.scheduler_from_config`` and
``warmup_torch.schedule_from_config`` all raise ``ValueError`` with the same message,
never another exception and never a schedule.

The number of examples each test ran is printed at the end of the module (``-s``).
"""

from __future__ import annotations

import collections
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmup_jax
import warmup_torch
from parity_tests import strategies as S
from parity_tests.conftest import TOL_F32, TOL_F64, assert_close, errors
from warmup_spec import Schedule, spec_from_config
from warmup_spec import catalogue as sp
from warmup_spec.reference import reference_table
from warmup_spec.tables import lr_table

COUNTS: collections.Counter[str] = collections.Counter()
"""Examples run per test (and per schedule / invalid kind)."""

HORIZON_CAP = 10000
ULP_TOL = 1e-14  # monotonicity slack, relative to the scale (a few ulps)
JOIN_RTOL, JOIN_ATOL = 1e-9, 1e-13  # continuity slack: relative to the step, and to the scale


def _settings(n: int):
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    yield
    print("\nhypothesis examples run (test_properties):")
    for key in sorted(COUNTS):
        print(f"  {key}: {COUNTS[key]}")


# --- what each schedule should do -------------------------------------------------


def horizon(spec) -> int:
    """Steps to look at: well past the end, or a long stretch of a schedule that never ends."""
    end = end_of(spec)
    if end is not None:
        return min(HORIZON_CAP, end + max(20, end // 10))
    return min(HORIZON_CAP, max(spec.open_horizon()[0], 3000))


def end_of(spec) -> int | None:
    """The step from which the schedule holds its final value (the definition's fact)."""
    return spec.end_step


def bounds(spec, n: int) -> tuple[float, float]:
    """[lo, hi] that every value in steps 0..n-1 must lie in."""
    if isinstance(spec, sp.Noam):
        return 0.0, spec.scale * spec.d_model**-0.5 * spec.warmup_steps**-0.5
    if isinstance(spec, sp.LegacyNoam):  # its true peak, at s = w**0.75
        return 0.0, spec.max_lr * spec.warmup_steps**-0.25
    if isinstance(spec, sp.OneCycle):
        a = spec.peak_value / spec.div_factor
        vals = (a, spec.peak_value, a / spec.final_div_factor)
        return min(vals), max(vals)
    if isinstance(spec, sp.TriStage):
        return spec.peak_value * min(spec.init_scale, spec.final_scale), spec.peak_value
    if isinstance(spec, sp.WithWarmup):
        lo, hi = bounds(spec.base, n)
        return min(lo, spec.init_value), max(hi, spec.init_value)
    if isinstance(spec, sp.UntunedWarmup):
        return 0.0, bounds(spec.base, n)[1]
    if isinstance(spec, sp.Scaled):
        lo, hi = bounds(spec.base, n)
        return spec.factor * lo, spec.factor * hi
    if isinstance(spec, sp.Join):
        bs = [bounds(s, n) for s in spec.schedules]
        return min(b[0] for b in bs), max(b[1] for b in bs)
    p, i = spec.peak_value, _init(spec)
    if isinstance(spec, sp.WarmupConstant):
        return i, p
    if isinstance(spec, sp.WarmupExponentialDecay):
        e = spec.end_value
        if spec.decay_rate > 1:  # grows from the peak to its ceiling
            return min(i, p), e
        return (min(i, e) if e is not None else 0.0), p
    if isinstance(spec, sp.WarmupInverseSqrt):
        return 0.0, p
    if isinstance(spec, sp.WarmupCosineRestarts):
        k, x = 0, n  # cycles started within the horizon: their peaks decay by cycle_decay
        while _cycle_start(spec, k + 1) <= x and (spec.cycle_limit is None or k + 1 < spec.cycle_limit):
            k += 1
        return min(i, spec.end_value, p * spec.cycle_decay**k), p
    return min(i, spec.end_value), p


def _init(spec) -> float:
    """The value at step 0 of a leaf with a warmup (tri_stage's is derived from init_scale)."""
    return spec.peak_value * spec.init_scale if isinstance(spec, sp.TriStage) else spec.init_value


def _cycle_start(spec, k: int) -> float:
    m, L = spec.cycle_mul, spec.cycle_steps
    return L * k if m == 1.0 else L * (m**k - 1) / (m - 1)


def scale_of(spec, values: np.ndarray) -> float:
    """The "peak" that errors are measured against."""
    return max(bounds(spec, len(values))[1], float(np.max(np.abs(values))))


def warmup_max_step(shape: str, i: float, p: float, w: int) -> float:
    """The largest one-step change of a warmup from ``i`` to ``p`` over ``w`` steps."""
    if w == 0:
        return 0.0
    if shape == "linear":
        return abs(p - i) / w
    if shape == "cosine":  # sin^2(a + h) - sin^2(a) = sin(h) sin(2a + h) <= sin(h), h = pi / 2w
        return abs(p - i) * math.sin(math.pi / (2 * w))
    # exponential: geometric steps, the largest at one end
    return max(abs(p - p * (i / p) ** (1 / w)), abs(i - i * (p / i) ** (1 / w)))


def diffs(f: np.ndarray) -> np.ndarray:
    """d[t] = |f(t) - f(t - 1)| for t >= 1; d[0] = 0."""
    d = np.zeros_like(f)
    d[1:] = np.abs(np.diff(f))
    return d


def check_join(f: np.ndarray, j: int, left_start: int, left_max_step: float, scale: float, what: str) -> None:
    """Continuity at a join ``j`` (left phase on ``[left_start, j)``, right phase from ``j``).

    (a) the step across the join, |f(j) - f(j-1)|, is no larger than one step of either
        side: the left phase's largest step (given analytically, so phases of 1-2 steps
        are covered), its last step, or the right phase's first step;
    (b) the left phase's last step is an ordinary left step (catches a left phase that
        switches to the right formula one step early, e.g. a warmup ending at w - 1).
    A legitimately steep right phase (total_steps = warmup_steps + 1 dropping from peak to
    end in one step, a 1-sqrt decay) only enters through its own step, never through (b).
    """
    if j < 1 or j + 1 >= len(f) or j <= left_start:
        return
    d = diffs(f)
    slack = JOIN_ATOL * scale
    nb = [left_max_step, d[j + 1]]
    if j - 2 >= left_start:
        nb.append(d[j - 1])
    assert d[j] <= max(nb) * (1 + JOIN_RTOL) + slack, (
        f"{what}: jump at join {j}: |f(j)-f(j-1)| = {d[j]:.6g} > one step {max(nb):.6g}"
    )
    if j - 2 >= left_start:
        nb = [left_max_step] + ([d[j - 2]] if j - 3 >= left_start else [])
        assert d[j - 1] <= max(nb) * (1 + JOIN_RTOL) + slack, (
            f"{what}: jump just before join {j}: {d[j - 1]:.6g} > one step {max(nb):.6g}"
        )


def check_lipschitz(f: np.ndarray, max_step, scale: float, what: str) -> None:
    """|f(t) - f(t-1)| <= max_step(t) for every t (noam, legacy_noam, one_cycle)."""
    d = diffs(f)
    allowed = np.array([max_step(t) for t in range(len(f))])
    bad = np.nonzero(d > allowed * (1 + JOIN_RTOL) + JOIN_ATOL * scale)[0]
    assert bad.size == 0, f"{what}: step {bad[0]} changes by {d[bad[0]]:.6g} > {allowed[bad[0]]:.6g}"


def monotone(f: np.ndarray, a: int, b: int, direction: int, scale: float, what: str) -> None:
    """f non-decreasing (direction=+1) / non-increasing (-1) on steps [a, b]."""
    a, b = max(a, 0), min(b, len(f) - 1)
    if b <= a:
        return
    d = np.diff(f[a:b + 1]) * direction
    assert d.min() >= -ULP_TOL * scale, f"{what}: not monotone ({direction:+d}) on [{a}, {b}] at {a + int(d.argmin())}"


def close(x: float, y: float, scale: float, tol: float = TOL_F64) -> bool:
    return abs(x - y) <= tol * max(scale, abs(y)) or x == y


def check_warmup(f, spec, w, i, p, shape, scale, what, direction=+1):
    """f(0) = i, monotone towards p, f(w) = p, p not reached early."""
    if w > 0:
        assert close(f[0], i, scale), f"{what}: f(0) = {f[0]!r} != init {i!r}"
        monotone(f, 0, w, direction, scale, what + " warmup")
        if abs(p - i) > 1e-3 * max(p, i) and w < len(f):
            assert (p - f[w - 1]) * direction > 0, f"{what}: peak {p!r} reached at w - 1 = {w - 1}"
    if w < len(f):
        assert close(f[w], p, scale), f"{what}: f(w={w}) = {f[w]!r} != peak {p!r}"


def check_final(f, end, final, scale, what, exact=True):
    """The end value is reached at ``end`` and held (bit for bit in float64) after it."""
    if end is None or end >= len(f):
        return
    if final is not None:
        assert close(f[end], final, scale), f"{what}: f(end={end}) = {f[end]!r} != final {final!r}"
    tail = f[end:]
    if exact:
        assert np.all(tail == f[end]), f"{what}: not held after end {end}: {tail[tail != f[end]][:3]}"
    else:
        np.testing.assert_allclose(tail, f[end], rtol=4 * np.finfo(np.float32).eps, atol=0, err_msg=what)


def check_properties(spec, f: np.ndarray, what: str) -> None:
    """Every property of ``spec`` on the float64 values ``f`` at steps 0..len(f)-1."""
    n = len(f)
    assert np.all(np.isfinite(f)), f"{what}: non-finite values"
    assert np.all(f >= 0), f"{what}: negative lr {f.min()!r}"
    lo, hi = bounds(spec, n)
    scale = scale_of(spec, f)
    if scale == 0:
        assert np.all(f == 0), what
        return
    slack = 1e-12 * scale
    assert f.min() >= lo - slack and f.max() <= hi + slack, (
        f"{what}: values in [{f.min()!r}, {f.max()!r}] outside [{lo!r}, {hi!r}]"
    )
    end = end_of(spec)

    if isinstance(spec, sp.Noam):
        w, c = spec.warmup_steps, spec.scale * spec.d_model**-0.5
        monotone(f, 0, w - 1, +1, scale, what)
        monotone(f, w - 1, n - 1, -1, scale, what)
        if w - 1 < n:
            assert close(f[w - 1], hi, scale), f"{what}: peak at s = w is {f[w - 1]!r} != {hi!r}"
        check_lipschitz(f, lambda t: c * w**-1.5, scale, what)  # the linear branch is the steepest
        return
    if isinstance(spec, sp.LegacyNoam):
        w, m = spec.warmup_steps, spec.max_lr
        top = int(np.argmax(f))
        assert abs((top + 1) - w**0.75) < 1.0 + 1e-9, f"{what}: peak at s = {top + 1}, not near w**0.75"
        monotone(f, 0, top, +1, scale, what)
        monotone(f, top, n - 1, -1, scale, what)
        check_lipschitz(f, lambda t: m / w, scale, what)  # both branches have |slope| <= max_lr / w
        return
    if isinstance(spec, sp.OneCycle):
        a, M = spec.peak_value / spec.div_factor, spec.peak_value
        z = a / spec.final_div_factor
        ps, T1 = float(spec.pct_start * spec.total_steps) - 1, spec.total_steps - 1
        def lip(amplitude, length):  # the largest change over one unit step of one phase
            if length <= 1:
                return amplitude
            return amplitude * (math.sin(math.pi / (2 * length)) if spec.anneal == "cosine" else 1 / length)

        l1, l2 = lip(abs(M - a), ps), lip(abs(M - z), T1 - ps)

        def step_bound(t):
            if t <= ps:
                return l1
            if t - 1 >= ps:
                return l2
            return l1 + l2  # the step that straddles the peak

        assert close(f[0], a, scale), f"{what}: starts at {f[0]!r}, not max/div_factor {a!r}"
        top = int(math.floor(ps))
        monotone(f, 0, top, 1 if M >= a else -1, scale, what + " phase 1")
        monotone(f, top + 1, T1, 1 if z >= M else -1, scale, what + " phase 2")
        check_lipschitz(f, step_bound, scale, what)
        check_final(f, end, z, scale, what)
        return
    if isinstance(spec, sp.WithWarmup):
        base = Schedule(spec.base)
        w, i, b0 = spec.warmup_steps, spec.init_value, base(0)
        check_warmup(f, spec, w, i, b0, spec.warmup_shape, scale, what, +1 if b0 >= i else -1)
        check_join(f, w, 0, warmup_max_step(spec.warmup_shape, i, b0, w), scale, what)
        tail = np.array([base(t) for t in range(n - w)])
        assert np.allclose(f[w:], tail, rtol=TOL_F64, atol=TOL_F64 * scale), f"{what}: f(w + t) != base(t)"
        if end is not None:
            check_final(f, end, None, scale, what)
        return
    if isinstance(spec, sp.UntunedWarmup):
        base_f = Schedule(spec.base)
        base = np.array([base_f(t) for t in range(n)])
        s, a = np.arange(1, n + 1, dtype=np.float64), 1 - spec.beta2
        factor = np.minimum(1.0, a / 2 * s) if spec.shape == "linear" else -np.expm1(-a * s)
        assert np.all(f <= base * (1 + TOL_F64) + TOL_F64 * scale), f"{what}: above its base"
        assert np.allclose(f, base * factor, rtol=TOL_F64, atol=TOL_F64 * scale), f"{what}: != base * factor"
        return
    if isinstance(spec, sp.Scaled):
        base_f = Schedule(spec.base)
        base = np.array([base_f(t) for t in range(n)])
        assert np.allclose(f, spec.factor * base, rtol=TOL_F64, atol=TOL_F64 * scale), f"{what}: != factor * base"
        if end is not None:
            check_final(f, end, None, scale, what)
        return
    if isinstance(spec, sp.Join):  # intended jumps at the boundaries: check the pieces
        edges = [0, *spec.boundaries, n]
        for k, sched in enumerate(spec.schedules):
            a, b = edges[k], min(edges[k + 1], n)
            if a >= b:
                continue
            piece_f = Schedule(sched)
            piece = np.array([piece_f(t - a) for t in range(a, b)])
            assert np.allclose(f[a:b], piece, rtol=TOL_F64, atol=TOL_F64 * scale), f"{what}: piece {k}"
        if end is not None:
            check_final(f, end, None, scale, what)
        return

    # the leaves with a warmup to peak_value at t = w
    p, w, shape = spec.peak_value, spec.warmup_steps, spec.warmup_shape
    i = _init(spec)
    check_warmup(f, spec, w, i, p, shape, scale, what)
    wmax = warmup_max_step(shape, i, p, w)
    check_join(f, w, 0, wmax, scale, what + " warmup->")

    if isinstance(spec, sp.WarmupConstant):
        assert np.all(f[w:] == p), f"{what}: not constant after warmup"
        check_final(f, end, p, scale, what)
    elif isinstance(spec, (sp.WarmupLinearDecay, sp.WarmupCosineDecay, sp.WarmupPolynomialDecay)):
        monotone(f, w, n - 1, -1, scale, what + " decay")
        check_final(f, end, spec.end_value, scale, what)
    elif isinstance(spec, sp.WarmupExponentialDecay):
        r = spec.decay_rate
        monotone(f, w, n - 1, -1 if r < 1 else +1, scale, what + " exp")
        if r == 1:
            assert np.all(f[w:] == p), f"{what}: decay_rate=1 is not constant"
        e = spec.end_value
        if spec.staircase:  # constant over each transition
            ts = spec.transition_steps
            for a in range(w, min(n, w + 5 * ts), ts):
                seg = f[a:min(a + ts, n)]
                assert np.all(seg == seg[0]), f"{what}: staircase not flat on [{a}, {a + ts})"
        if e is not None and r != 1:  # clipped at its floor/ceiling, and held there
            hit = np.nonzero(f[w:] == e)[0]
            if hit.size:
                check_final(f, w + int(hit[0]), e, scale, what + " clip")
    elif isinstance(spec, sp.WarmupInverseSqrt):
        monotone(f, w, n - 1, -1, scale, what)
        ts = float(w) if spec.timescale is None else spec.timescale
        if w + 1 < n:  # first step after the join: p / sqrt((1 + ts) / ts)
            assert close(f[w + 1], p / math.sqrt((1 + ts) / ts), scale), what
    elif isinstance(spec, sp.WarmupStableDecay):
        j = w + spec.stable_steps
        assert np.allclose(f[w:min(j, n)], p, rtol=TOL_F64, atol=0), f"{what}: stable phase not at peak"
        assert j >= n or close(f[j], p, scale), f"{what}: decay does not start at the peak"
        check_join(f, j, w, 0.0, scale, what + " stable->decay")
        if p - spec.end_value > 1e-3 * p and j + 1 < n:
            assert f[j + 1] < p, f"{what}: decay does not start right after step {j}"
        monotone(f, j, n - 1, -1, scale, what + " decay")
        check_final(f, end, spec.end_value, scale, what)
    elif isinstance(spec, sp.TriStage):
        j = w + spec.hold_steps
        assert np.allclose(f[w:min(j, n)], p, rtol=TOL_F64, atol=0), f"{what}: hold phase not at peak"
        assert j >= n or close(f[j], p, scale), f"{what}: decay does not start at the peak"
        check_join(f, j, w, 0.0, scale, what + " hold->decay")
        if spec.final_scale < 0.999 and j + 1 < n:
            assert f[j + 1] < p, f"{what}: decay does not start right after step {j}"
        monotone(f, j, n - 1, -1, scale, what + " decay")
        check_final(f, end, p * spec.final_scale, scale, what)
    elif isinstance(spec, sp.WarmupCosineRestarts):
        e = spec.end_value
        k = 0  # within each cycle: from p * cycle_decay**k down towards e, monotone
        while True:
            a, b = _cycle_start(spec, k), _cycle_start(spec, k + 1)
            if w + a >= n or (spec.cycle_limit is not None and k >= spec.cycle_limit):
                break
            ta, tb = w + math.ceil(a), w + math.ceil(b) - 1
            pk = p * spec.cycle_decay**k
            monotone(f, ta, tb, -1 if pk >= e else +1, scale, f"{what} cycle {k}")
            if a == int(a) and ta < n:  # an integer cycle start: exactly the cycle's peak
                assert close(f[ta], pk, scale), f"{what}: cycle {k} starts at {f[ta]!r} != {pk!r}"
            k += 1
        check_final(f, end, e, scale, what)
    else:  # pragma: no cover
        raise AssertionError(f"no properties for {spec!r}")


def three_tables(cfg):
    """(spec, reference, closed form, NumPy table) at every step 0..horizon-1."""
    spec = spec_from_config(cfg)
    n = horizon(spec)
    steps = np.arange(n, dtype=np.int64)
    ref = np.asarray(reference_table(spec, range(n)), np.float64)
    sched = warmup_torch.schedule_from_config(cfg)
    cf = np.array([sched(t) for t in range(n)], np.float64)
    tab = lr_table(cfg, steps)
    return spec, ref, cf, tab


def agree(got, ref, spec, tol, what):
    scale = scale_of(spec, ref)
    if scale == 0:
        assert np.all(np.asarray(got) == 0), what
        return
    assert_close(got, ref, tol, what, peak=scale)


REF_TOL_STEEP = 1e-9
"""Pointwise tolerance against the reference where it evaluates a cosine decay with
``exponent < 1`` literally: ``(0.5 * (1 + cos(pi u))) ** a`` cancels near ``u = 1`` (relative
error ~ a * eps / g with g ~ (pi / 2(T - w))**2: ~1e-10 pointwise at T - w = 3000, and above
1e-12 of the peak for exponents ~0.06) while the closed
form and the NumPy forms are accurate there (see ``test_cosine_decay_exponent_below_one_exact``)."""


def _children(spec) -> list:
    """The specs a combinator is built on (none for a catalogue schedule)."""
    return list(getattr(spec, "schedules", None) or ([spec.base] if hasattr(spec, "base") else []))


def _has_steep_cosine(spec) -> bool:
    if isinstance(spec, sp.WarmupCosineDecay):
        return spec.exponent < 1
    return any(_has_steep_cosine(s) for s in _children(spec))


def _restart_tol(spec) -> float:
    """Pointwise float64 tolerance for cosine restarts with ``cycle_mul`` m > 1: the cycle
    boundaries ``L (m**c - 1) / (m - 1)`` are float64 numbers whose rounding error, measured in
    cycle lengths, is ~2**-52 / (m - 1); near a cycle's end, where the value is down to 1e-3 of
    the peak, the value's relative error is ~100x the boundary's (2 dv/v = 2 d(rem)/rem with
    rem >= 0.02 of the cycle). Against exact mpmath boundaries at m = 1 + 1/128 the closed form
    is 9.0e-13 off, the NumPy table 1.3e-12 and the reference 9.1e-13 (all three are right)."""
    if isinstance(spec, sp.WarmupCosineRestarts):
        return TOL_F64 if spec.cycle_mul == 1.0 else max(TOL_F64, 100 * 2.0**-52 / (spec.cycle_mul - 1.0))
    return max([TOL_F64] + [_restart_tol(s) for s in _children(spec)])


def _valid_case(name, cfg):
    spec, ref, cf, tab = three_tables(cfg)
    # the two float64 implementations agree with each other to 1e-12 everywhere (restarts
    # with cycle_mul close to 1: to the conditioning of their float64 cycle boundaries)
    agree(tab, cf, spec, _restart_tol(spec), f"{name} numpy table vs closed form {cfg}")
    # and with the independent reference
    tol = REF_TOL_STEEP if _has_steep_cosine(spec) else _restart_tol(spec)
    agree(cf, ref, spec, tol, f"{name} closed form vs reference {cfg}")
    agree(tab, ref, spec, tol, f"{name} numpy table vs reference {cfg}")
    for label, f in (("reference", ref), ("closed form", cf), ("numpy", tab)):
        check_properties(spec, f, f"{name} {label} {cfg}")


# --- the tests ----------------------------------------------------------------------


@pytest.mark.parametrize("name", S.NAMES)
@_settings(25)  # 25 draws a schedule by default (each evaluates every step three ways); 400 in the slow run below
@given(data=st.data())
def test_valid_configs_properties(name, data):
    cfg = data.draw(S.VALID[name], label="cfg")
    COUNTS[f"valid[{name}]"] += 1
    _valid_case(name, cfg)


@pytest.mark.slow
@pytest.mark.parametrize("name", S.NAMES)
@_settings(400)
@given(data=st.data())
def test_valid_configs_properties_many(name, data):
    cfg = data.draw(S.VALID[name], label="cfg")
    COUNTS[f"valid_many[{name}]"] += 1
    _valid_case(name, cfg)


def _jax_case(cfg):
    """The jitted float32 Optax schedule of a drawn config against the reference (each draw
    compiles: the default suite checks the jitted forms on the fixed cases of ``cases.py``,
    ``test_lr_parity.py``; ``test_jax_on_drawn_configs`` is slow)."""
    spec = spec_from_config(cfg)
    n = horizon(spec)
    ref = np.asarray(reference_table(spec, range(n)), np.float64)
    got = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.arange(n, dtype=jnp.int32)))
    assert got.dtype == np.float32
    agree(got, ref, spec, TOL_F32, f"jax float32 vs reference {cfg}")
    assert np.all(got >= 0), cfg
    end = end_of(spec)
    if end is not None and end < n:
        check_final(got.astype(np.float64), end, None, scale_of(spec, ref), f"jax {cfg}", exact=False)


def _torch_case(cfg):
    """The torch scheduler driving an optimizer: the k-th update uses exactly f(k)."""
    spec = spec_from_config(cfg)
    m = min(horizon(spec), 600)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    f = Schedule(spec)
    lrs = []
    for _ in range(m):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == [f(k) for k in range(m)], cfg


@_settings(60)
@given(cfg=S.any_valid)
def test_torch_scheduler_follows_drawn_configs(cfg):
    COUNTS["torch"] += 1
    _torch_case(cfg)


@pytest.mark.slow
@_settings(400)
@given(cfg=S.any_valid)
def test_jax_on_drawn_configs(cfg):
    COUNTS["jax_many"] += 1
    _jax_case(cfg)


def _raises_everywhere(cfg) -> str:
    """The one ValueError message of every entry point (and the same everywhere)."""
    messages = []
    for label, build in (
        ("spec_from_config", lambda: spec_from_config(cfg)),
        ("warmup_jax.schedule_from_config", lambda: warmup_jax.schedule_from_config(cfg)),
        ("warmup_torch.scheduler_from_config", lambda: warmup_torch.scheduler_from_config(
            torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), cfg)),
        ("warmup_torch.schedule_from_config", lambda: warmup_torch.schedule_from_config(cfg)),
    ):
        try:
            got = build()
        except ValueError as e:
            messages.append(str(e))
            continue
        except Exception as e:  # noqa: BLE001 - the point: never another exception
            raise AssertionError(f"{label}: {type(e).__name__}: {e} (not ValueError) for {cfg!r}") from e
        raise AssertionError(f"{label}: accepted the invalid config {cfg!r} -> {got!r}")
    assert len(set(messages)) == 1, f"different messages for {cfg!r}: {messages}"
    return messages[0]


def _invalid_case(case):
    cfg, kind, key = case
    COUNTS[f"invalid[{kind}]"] += 1
    msg = _raises_everywhere(cfg)
    assert "nan" != msg and msg.count(":") >= 1, msg
    head = msg.split(":")[0]
    assert head in S.NAMES or head == "config", f"message does not start with a schedule: {msg}"
    nested_cfg = key is not None and isinstance(cfg.get(key), dict)  # a bad base config: its own message
    if kind in ("nonfinite", "negative", "wrong_type") and key is not None and not nested_cfg:
        assert f"{key}=" in msg or f"{key}[" in msg, f"{kind} {key}: message does not name it: {msg}"
    if kind == "unknown_key":
        assert "unknown parameter" in msg, msg
    if kind == "missing_key":
        assert f"missing required parameter {key!r}" in msg, msg
    if kind == "unknown_schedule":
        assert msg.startswith("config: schedule=") and "warmup_cosine_decay" in msg, msg
    if kind not in ("nested", "unknown_key", "missing_key") and not nested_cfg:
        assert "is invalid; expected" in msg, msg


@_settings(600)
@given(case=S.invalid_configs())
def test_invalid_configs_raise_same_value_error(case):
    COUNTS["invalid"] += 1
    _invalid_case(case)


@pytest.mark.slow
@_settings(3000)
@given(case=S.invalid_configs())
def test_invalid_configs_raise_same_value_error_many(case):
    COUNTS["invalid_many"] += 1
    _invalid_case(case)


def _exact_cosine_decay(spec, t: int) -> float:
    """The catalogue formula in 50-digit arithmetic (mpmath), after warmup."""
    mpmath = pytest.importorskip("mpmath")

    with mpmath.workdps(50):
        u = mpmath.mpf(min(max(t - spec.warmup_steps, 0), spec.total_steps - spec.warmup_steps)) / (
            spec.total_steps - spec.warmup_steps)
        e, p = mpmath.mpf(spec.end_value), mpmath.mpf(spec.peak_value)
        g = (1 + mpmath.cos(mpmath.pi * u)) / 2
        return float(e + (p - e) * g ** mpmath.mpf(spec.exponent))


@_settings(25)
@given(cfg=S.VALID["warmup_cosine_decay"].filter(lambda c: c.get("exponent", 1.0) < 1 and c["peak_value"] > 0))
def test_cosine_decay_exponent_below_one_exact(cfg):
    """Where the literal reference cancels (exponent < 1, near the end), the closed form
    and the NumPy table match a 50-digit evaluation to ~1e-15 pointwise."""
    COUNTS["cosine_exponent_exact"] += 1
    spec = spec_from_config(cfg)
    T, w = spec.total_steps, spec.warmup_steps
    steps = sorted({t for t in (*range(max(w, T - 8), T + 2), w, (w + T) // 2) if t >= w})
    exact = np.array([_exact_cosine_decay(spec, t) for t in steps])
    cf = np.array([Schedule(spec)(t) for t in steps])
    tab = lr_table(spec, steps)
    big = exact >= 1e-3 * spec.peak_value
    for label, got in (("closed form", cf), ("numpy", tab)):
        err = np.abs(got - exact)
        assert np.all(err <= 1e-14 * spec.peak_value), (label, cfg, err.max())
        assert np.all(err[big] <= 1e-13 * exact[big]), (label, cfg, (err[big] / exact[big]).max())


# --- the checks themselves can fail ------------------------------------------------


def test_checks_catch_off_by_one():
    """The join/final/warmup checks flag the off-by-ones they are meant to catch."""
    cfg = {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 10,
           "total_steps": 30, "end_value": 0.1}
    spec = spec_from_config(cfg)
    good = np.array([Schedule(spec)(t) for t in range(40)])
    check_properties(spec, good, "good")
    # a warmup that ends at w - 1 (the decay formula, clipped at the peak, from w - 1)
    early = good.copy()
    early[9] = 1.0
    with pytest.raises(AssertionError, match="peak 1.0 reached at w - 1|jump"):
        check_properties(spec, early, "early")
    with pytest.raises(AssertionError, match="jump just before join"):
        check_join(early, 10, 0, 0.1, 1.0, "early")
    # a decay that starts at w + 1: the end value is reached one step late
    late = np.concatenate([good[:11], good[10:39]])
    with pytest.raises(AssertionError, match="final|not held"):
        check_properties(spec, late, "late")
    # a jump at the join (decay starting from the wrong value)
    jump = good.copy()
    jump[10:30] -= 0.5
    with pytest.raises(AssertionError):
        check_properties(spec, jump, "jump")
    with pytest.raises(AssertionError, match="jump at join"):
        check_join(jump, 10, 0, 0.1, 1.0, "jump")


# --- library bugs found by these properties (fixed; kept as regression tests) ----------


def test_with_warmup_exponential_towards_zero_base():
    """An exponential warmup towards a base that starts at 0 has no ratio: refused at
    construction, with the same text everywhere (it was a NaN at every warmup step)."""
    cfg = {"schedule": "with_warmup", "warmup_steps": 4, "init_value": 0.1, "warmup_shape": "exponential",
           "base": {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 5, "total_steps": 10}}
    assert _raises_everywhere(cfg) == (
        "with_warmup: warmup_shape='exponential' is invalid; expected 'linear' or 'cosine' "
        "for a base starting at 0 (base(0)=0.0)")


@pytest.mark.parametrize("name", [["warmup_constant"], {"a": 1}])
def test_unhashable_schedule_name_is_value_error(name):
    _raises_everywhere({"schedule": name, "peak_value": 1.0})


@pytest.mark.parametrize("cfg", [None, 3], ids=["None", "int"])
def test_non_mapping_config_is_value_error(cfg):
    _raises_everywhere(cfg)


def test_a_list_is_one_config_per_torch_param_group():
    """A list is not a config, but warmup_torch.scheduler_from_config takes one config per param group
    (what to_config returns for groups with different base lrs); each entry point says so."""
    cfg = ["warmup_constant"]
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    expected = {
        spec_from_config: 'config: cfg=[\'warmup_constant\'] is invalid; expected a mapping {"schedule": NAME, **parameters}',
        warmup_torch.schedule_from_config: 'config: cfg=[\'warmup_constant\'] is invalid; expected a mapping '
                                           '{"schedule": NAME, **parameters}',
        warmup_jax.schedule_from_config: "warmup_jax.schedule_from_config: a list of configs is one config per torch param group; in "
                                "optax give each group's label its schedule: optax.multi_transform({label: "
                                "optax.adamw(schedule_from_config(cfg))}, labels)",
        lambda c: warmup_torch.scheduler_from_config(opt, c): "config: warmup_constant has no extension; expected a .json or "
                                                   ".toml file",  # each entry of the list is a config: a path here
    }
    for build, message in expected.items():
        with pytest.raises(ValueError) as e:
            build(cfg)
        assert str(e.value) == message


def test_one_cycle_pct_start_rounding_to_zero_peak_step():
    """torch's end of phase 1, float(pct_start * total_steps) - 1, rounds to 2e-16 here: no
    step can rise, so the config is refused (it divided by ~0 before)."""
    cfg = {"schedule": "one_cycle", "total_steps": 3, "peak_value": 1.0, "pct_start": 0.33333333333333337}
    assert _raises_everywhere(cfg) == (
        "one_cycle: pct_start=0.33333333333333337 is invalid; expected pct_start * total_steps > 1 (total_steps=3)")


def test_exponential_decay_rate_one_with_end_value_is_continuous():
    """decay_rate=1 is a constant: its end_value clips nothing (it jumped down to it before)."""
    cfg = {"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_steps": 2,
           "transition_steps": 1, "decay_rate": 1.0, "end_value": 0.25}
    spec = spec_from_config(cfg)
    f = np.array([Schedule(spec)(t) for t in range(6)])
    assert f.tolist() == [0.0, 0.5, 1.0, 1.0, 1.0, 1.0]
    check_properties(spec, f, "decay_rate=1")


DOWNWARD = [
    {"schedule": "with_warmup", "base": {"schedule": "warmup_constant", "peak_value": 1e-3},
     "warmup_steps": 1000, "init_value": 1.0, "warmup_shape": "cosine"},
    {"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 0, "cycle_steps": 1,
     "cycle_mul": 2.0, "cycle_decay": 0.5, "end_value": 1.0},
    {"schedule": "one_cycle", "total_steps": 1000, "peak_value": 1.0, "div_factor": 0.001,
     "final_div_factor": 1e6},
]


@pytest.mark.parametrize("cfg", DOWNWARD, ids=["with_warmup_down", "restarts_below_end", "one_cycle_div<1"])
def test_jax_float32_downward_interpolation(cfg):
    """An interpolation that goes DOWN to a much smaller value (a warmup from above,
    a decayed restart peak below end_value, one_cycle with div_factor < 1) keeps float32
    within a few ulps pointwise: the literal ``a + (b - a) r`` cancels there (1e-5..7e-5)."""
    spec = spec_from_config(cfg)
    n = horizon(spec)
    ref = np.asarray(reference_table(spec, range(n)), np.float64)
    got = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.arange(n, dtype=jnp.int32)))
    abs_err, _ = errors(got, ref, scale_of(spec, ref))
    assert abs_err <= TOL_F32  # fine in absolute terms
    agree(got, ref, spec, TOL_F32, f"jax float32 vs reference {cfg}")


@pytest.mark.parametrize("shape", ["linear", "cosine", "exponential"])
@pytest.mark.parametrize("init, target", [(1.0, 1e-3), (1e-3, 1.0), (0.5, 0.5)], ids=["down", "up", "flat"])
def test_jax_with_warmup_over_a_user_function(shape, init, target):
    """Over a user's own function the warmup's target is an array (its direction is not known
    when building): the same float32 accuracy as over the equivalent spec, either way."""
    w, n = 500, 600
    user = warmup_jax.with_warmup(lambda c: jnp.full(jnp.shape(c), target, jnp.float32), w, init, shape)
    spec = sp.WithWarmup(sp.WarmupConstant(target), w, init_value=init, warmup_shape=shape)
    ref = np.asarray(reference_table(spec, range(n)), np.float64)
    got = np.asarray(jax.jit(jax.vmap(user))(jnp.arange(n, dtype=jnp.int32)))
    agree(got, ref, spec, TOL_F32, f"with_warmup over a user function, {shape} {init} -> {target}")
    assert np.all(got[w:] == np.float32(target))
    if init <= target and shape != "exponential":  # the start exact (else within agree's ulps)
        assert got[0] == np.float32(init)


@pytest.mark.parametrize("target", [0.0, -1.0])
def test_jax_exponential_warmup_to_a_user_zero_is_not_nan(target):
    """A spec's exponential warmup to 0 is refused at construction; a user's function cannot be
    checked there, so its limit is given instead of 0 * inf = NaN: init at 0, the target after."""
    f = jax.jit(jax.vmap(warmup_jax.with_warmup(lambda c: jnp.full(jnp.shape(c), target), 4, 0.1, "exponential")))
    got = np.asarray(f(jnp.arange(6, dtype=jnp.int32)))
    assert got.tolist() == [np.float32(0.1), target, target, target, target, target]


def test_restarts_with_the_smallest_cycle_mul_build_fast_and_agree():
    """cycle_mul = 1.001 (the smallest above 1) with 1-step cycles: the array forms' table of
    cycle boundaries within int32 range has ~15,000 entries (at 1.0000001 it would have had 1e9:
    a build that never ended, now a ValueError); every back end agrees to the boundaries'
    conditioning, also at m = 1 + 1/128 (found by the slow hypothesis run at 1.08e-12)."""
    for m in (1.001, 1.0078125):
        cfg = {"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_steps": 0,
               "init_value": 1.0, "warmup_shape": "cosine", "cycle_steps": 1, "cycle_mul": m}
        spec, ref, cf, tab = three_tables(cfg)
        tol = _restart_tol(spec)
        assert 1e-12 < tol < 2.3e-11
        agree(tab, cf, spec, tol, f"numpy table vs closed form {cfg}")
        agree(cf, ref, spec, tol, f"closed form vs reference {cfg}")
        n = len(ref)
        got = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.arange(n, dtype=jnp.int32)))
        agree(got, ref, spec, TOL_F32, f"jax float32 vs reference {cfg}")
        last = jnp.asarray(2**31 - 1, jnp.int32)
        assert np.isclose(float(warmup_jax.schedule_from_config(cfg)(last)), Schedule(spec)(2**31 - 1), rtol=1e-5, atol=1e-6)
