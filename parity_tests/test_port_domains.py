"""The ports take what their libraries take: values, step parameters and step types beyond
what our own catalogue accepts, each computed as the library computes it, checked against
the library itself in the host float64 form (1e-12) and the float32 JAX form (1e-6, relative
to the largest value); and what would give the library ``inf``/``NaN`` is refused, saying so.

optax is evaluated under ``jax.enable_x64`` (it then computes in float64), Keras in its
float64 mode (``floatx="float64"``; its cosines stay float32 on JAX, hence 1e-6 there).

Every jitted form here (ours in float32, optax's and Keras's own in float64) is computed in a
few XLA programs (:mod:`parity_tests.jitted`: each config's values bitwise its own jit's), on
the first request, from :data:`JIT32_PLAN` and :data:`TRUTH_PLAN` (the module's configs and
steps, listed at its end); the tests that read them are one ``xdist_group``.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import pytest  # noqa: E402

import warmup_jax  # noqa: E402
from parity_tests.jitted import JitTables  # noqa: E402
from warmup_spec import Schedule, ScheduleSpec, spec_from_config  # noqa: E402
from warmup_spec.hyper import momentum_of  # noqa: E402
from warmup_spec.tables import numpy_schedule  # noqa: E402


def _optax(cfg: dict[str, Any]) -> Any:
    kw = {k: v for k, v in cfg.items() if k != "schedule"}
    return getattr(optax, cfg["schedule"].removeprefix("optax."))(**kw)


def _keras(cfg: dict[str, Any]) -> Any:
    kw = {k: v for k, v in cfg.items() if k != "schedule"}
    return getattr(keras.optimizers.schedules, cfg["schedule"].removeprefix("keras."))(**kw)


def _key(obj: Any, steps: Any) -> tuple[str, str, bytes]:
    steps = np.asarray(steps)
    return repr(obj), steps.dtype.kind, steps.astype(np.float64).tobytes()


def _build32(obj: Any) -> Any:
    """The Optax schedule of a config, or of a spec (a ``momentum_of``)."""
    return warmup_jax.build(obj) if isinstance(obj, ScheduleSpec) else warmup_jax.schedule_from_config(obj)


class _Plan:
    """The jitted values of a list of (config or spec, steps), computed together on the first
    request; a request that is not in the list fails, naming it (add it to the list)."""

    def __init__(self, plan: Any, compute: Any) -> None:
        self.plan, self.compute, self.values = plan, compute, None

    def __call__(self, obj: Any, steps: Any) -> np.ndarray:
        if self.values is None:
            items = list({_key(o, st): (o, np.asarray(st)) for o, st in self.plan()}.items())
            self.values = dict(zip([k for k, _ in items], self.compute([v for _, v in items])))
        key = _key(obj, steps)
        assert key in self.values, f"{obj!r} at {np.asarray(steps)!r} is not in the plan: add it to the module's plan"
        return self.values[key]


def _jit32_all(items: list[tuple[Any, np.ndarray]]) -> list[np.ndarray]:
    """Our float32 forms (int32 or float32 steps), each jitted as a user jits it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", warmup_jax.CycledMomentumWarning)  # lr schedules built alone
        return JitTables([o for o, _ in items], [st for _, st in items], _build32, forms=("f32",)).form("f32")


def _truths_all(items: list[tuple[dict[str, Any], np.ndarray]]) -> list[np.ndarray]:
    """The library's own float64 values, at int64 or float64 steps: optax's under x64, its
    functions jitted together (:class:`JitTables`); Keras's in its float64 mode, eager as before,
    since XLA changes Keras's values (``PolynomialDecay(power=0.5)`` jitted gives NaN from its
    ``decay_steps`` on in float64, 1.149e-4 for 1e-4 in float32; eager and our port give 1e-4)."""
    optax_items = [i for i, (c, _) in enumerate(items) if c["schedule"].startswith("optax.")]
    optax_truths = JitTables([items[i][0] for i in optax_items], [items[i][1] for i in optax_items], _optax,
                             forms=("x64",), chunk=32).form("x64")
    out = dict(zip(optax_items, optax_truths))
    with jax.enable_x64(True):
        old = keras.config.floatx()
        keras.config.set_floatx("float64")
        try:
            for i, (c, st) in enumerate(items):
                if i not in out:
                    out[i] = np.asarray(jax.vmap(_keras(c))(jnp.asarray(st)), np.float64)
        finally:
            keras.config.set_floatx(old)
    return [np.broadcast_to(out[i], st.shape) for i, (_, st) in enumerate(items)]


_jit32 = _Plan(lambda: JIT32_PLAN, _jit32_all)
"""Our jitted float32 form of a config (or spec) at steps, from :data:`JIT32_PLAN`."""
_truth = _Plan(lambda: TRUTH_PLAN, _truths_all)
"""optax's or Keras's own float64 values of a config at steps, from :data:`TRUTH_PLAN`."""
JITTED = pytest.mark.xdist_group("test_port_domains")
"""The tests that read :data:`_jit32` or :data:`_truth`: one worker computes them."""


def _check(cfg: dict[str, Any], steps: np.ndarray, tol64: float = 1e-12) -> None:
    truth = _truth(cfg, steps)
    scale = float(np.max(np.abs(truth)))
    host = Schedule(cfg)
    ours64 = np.array([host(t.item()) for t in steps])
    ours32 = _jit32(cfg, steps)
    err64 = float(np.max(np.abs(ours64 - truth))) / scale
    err32 = float(np.max(np.abs(ours32 - truth))) / scale
    assert err64 <= tol64 and err32 <= 1e-6, (cfg, err64, err32)


def o(name: str, **kw: Any) -> dict[str, Any]:
    return {"schedule": f"optax.{name}", **kw}


def k(name: str, **kw: Any) -> dict[str, Any]:
    return {"schedule": f"keras.{name}", **kw}


INTS = np.arange(0, 160)
FLOATS = np.arange(0, 160, 0.37)

# (config, one example value of the widened domain): each refused before
OPTAX_DOMAIN = [
    o("piecewise_constant_schedule", init_value=-0.1, boundaries_and_scales={5: 0.5, 50: 0.1}),
    o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=100,
      end_value=-3.0),
    o("warmup_cosine_decay_schedule", init_value=0.1, peak_value=0.0, warmup_steps=10, decay_steps=100),
    o("cosine_decay_schedule", init_value=0.1, decay_steps=120, alpha=-0.5),
    o("linear_schedule", init_value=-0.1, end_value=0.2, transition_steps=100, transition_begin=-20),
    o("polynomial_schedule", init_value=-1.0, end_value=-0.01, power=2.0, transition_steps=100),
    o("exponential_decay", init_value=-0.01, transition_steps=7, decay_rate=0.8, transition_begin=50,
      end_value=-0.001),
    o("exponential_decay", init_value=-0.1, transition_steps=10, decay_rate=2.0, end_value=-0.05),
    o("warmup_exponential_decay_schedule", init_value=0.0, peak_value=-0.1, warmup_steps=-3, transition_steps=10,
      decay_rate=0.5),
    o("warmup_constant_schedule", init_value=0.1, peak_value=1.0, warmup_steps=-1),
    o("warmup_cosine_decay_schedule", init_value=0.0, peak_value=1.0, warmup_steps=-3, decay_steps=100),
    o("cosine_decay_schedule", init_value=1000.0, decay_steps=10**10),
    o("linear_schedule", init_value=1.0, end_value=0.0, transition_steps=2**40, transition_begin=-(2**35)),
    o("piecewise_interpolate_schedule", interpolate_type="cosine", init_value=-2.0,
      boundaries_and_scales={40: 0.5, 3 * 10**9: 0.1}),
    o("linear_onecycle_schedule", transition_steps=100, peak_value=-1.0, pct_start=-0.2),
]


@JITTED
@pytest.mark.parametrize("cfg", OPTAX_DOMAIN, ids=[f"{c['schedule'][6:]}-{i}" for i, c in enumerate(OPTAX_DOMAIN)])
def test_optax_domain_equals_optax(cfg):
    _check(cfg, INTS)


OPTAX_FLOATS = [
    o("warmup_cosine_decay_schedule", init_value=0.1, peak_value=1.0, warmup_steps=10, decay_steps=100),
    o("piecewise_constant_schedule", init_value=0.1, boundaries_and_scales={5: 0.5, 50: 0.1}),
    o("exponential_decay", init_value=0.1, transition_steps=7, decay_rate=0.5, staircase=True),
    o("linear_onecycle_schedule", transition_steps=100, peak_value=1.0),
]


@JITTED
@pytest.mark.parametrize("cfg", OPTAX_FLOATS)
def test_optax_float_counts_equal_optax(cfg):
    _check(cfg, FLOATS)


KERAS_DOMAIN = [
    k("ExponentialDecay", initial_learning_rate=-0.1, decay_steps=10, decay_rate=0.96),
    k("PiecewiseConstantDecay", boundaries=[10, 20], values=[-1.0, 0.5, -0.1]),
    k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.5, power=2.0),
    k("PolynomialDecay", initial_learning_rate=-1.0, decay_steps=30, end_learning_rate=-0.1, cycle=True),
    k("InverseTimeDecay", initial_learning_rate=-0.3, decay_steps=7, decay_rate=0.5, staircase=True),
    k("CosineDecay", initial_learning_rate=0.1, decay_steps=100, alpha=1.7),
    k("CosineDecay", initial_learning_rate=0.0, decay_steps=100, warmup_target=-0.2, warmup_steps=10),
    k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=10, t_mul=2.0, m_mul=1.3, alpha=-0.5),
]


@JITTED
@pytest.mark.parametrize("cfg", KERAS_DOMAIN, ids=[f"{c['schedule'][6:]}-{i}" for i, c in enumerate(KERAS_DOMAIN)])
def test_keras_domain_equals_keras(cfg):
    _check(cfg, INTS, tol64=1e-6 if "Cosine" in cfg["schedule"] else 1e-12)


KERAS_FLOATS = [
    k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=3, decay_rate=0.96, staircase=True),
    k("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5),
    k("PiecewiseConstantDecay", boundaries=[0, 10, 11], values=[1.0, 0.5, 0.2, 0.1]),
    k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=100, power=0.5),
    k("CosineDecay", initial_learning_rate=0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10),
]


@JITTED
@pytest.mark.parametrize("cfg", KERAS_FLOATS)
def test_keras_float_steps_equal_keras(cfg):
    _check(cfg, FLOATS, tol64=1e-6 if "Cosine" in cfg["schedule"] else 1e-12)


def test_keras_variable_step():
    """A Keras ``Variable`` step, as Keras's optimizers pass it (a float one in Keras's own tests)."""
    step = keras.Variable(1.0)
    sched = warmup_jax.schedule_from_config(k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=3, decay_rate=0.96,
                                     staircase=True))
    step.assign(100.0)
    assert float(sched(step)) == pytest.approx(0.1 * 0.96**33, rel=1e-6)


@pytest.mark.parametrize("cfg", [
    k("CosineDecayRestarts", initial_learning_rate=1.0, first_decay_steps=10),
    k("PolynomialDecay", initial_learning_rate=1.0, decay_steps=10, cycle=True),
])
def test_float_steps_of_integer_cycles_are_refused_saying_so(cfg):
    """Their cycles are found on integer steps: a float step is refused, not rounded."""
    match = "a non-integer step is invalid; expected an integer >= 0"
    with pytest.raises(ValueError, match=match):
        Schedule(cfg)(2.5)
    with pytest.raises(ValueError, match=match):
        warmup_jax.schedule_from_config(cfg)(jnp.float32(2.0))


def test_catalogue_steps_stay_integers():
    """Our own schedules count optimizer updates: a float step is still refused."""
    cfg = {"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 4}
    with pytest.raises(ValueError, match="warmup_constant: a non-integer step is invalid; expected an integer >= 0"):
        Schedule(cfg)(1.5)
    with pytest.raises(ValueError, match="a non-integer step is invalid"):
        warmup_jax.schedule_from_config(cfg)(jnp.float32(1.0))


@pytest.mark.parametrize("cfg,match", [
    (o("polynomial_schedule", init_value=0.1, end_value=0.0, power=-1.0, transition_steps=10), "power=-1.0"),
    (o("exponential_decay", init_value=0.1, transition_steps=10, decay_rate=-0.5), "decay_rate=-0.5"),
    (o("cosine_decay_schedule", init_value=0.1, decay_steps=10, exponent=-1.0), "exponent=-1.0"),
    (o("linear_schedule", init_value=float("nan"), end_value=0.0, transition_steps=10), "init_value=nan"),
    (k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=10, decay_rate=-0.5), "decay_rate=-0.5"),
    (k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=10, power=-1.0), "power=-1.0"),
    (k("CosineDecayRestarts", initial_learning_rate=0.1, first_decay_steps=10, t_mul=0.5), "t_mul=0.5"),
    ({"schedule": "torch.PolynomialLR", "lr": 0.1, "total_iters": 4, "power": -1.0}, "power=-1.0"),
    ({"schedule": "torch.StepLR", "lr": 0.1, "step_size": 0, "gamma": 0.5}, "step_size=0"),
    ({"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 0}, "T_max=0"),
    ({"schedule": "torch.OneCycleLR", "max_lr": 0.1, "total_steps": 10, "div_factor": 0.0}, "div_factor=0.0"),
    ({"schedule": "torch.OneCycleLR", "max_lr": 0.1, "total_steps": 10, "final_div_factor": -0.0},
     "final_div_factor=-0.0"),
    ({"schedule": "transformers.get_polynomial_decay_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2,
      "num_training_steps": 10, "power": -1.0}, "power=-1.0"),
    ({"schedule": "timm.TanhLRScheduler", "lr": 0.1, "t_initial": 8, "warmup_lr_init": -0.05},
     "warmup_lr_init=-0.05"),
    ({"schedule": "timm.StepLRScheduler", "lr": 0.1, "decay_t": 2.4, "decay_rate": 1.5}, "decay_rate=1.5"),
])
def test_what_gives_the_library_inf_or_nan_is_refused(cfg, match):
    with pytest.raises(ValueError, match=match + " is invalid; expected"):
        spec_from_config(cfg)


def test_float_steps_of_any_type_and_what_is_refused():
    import torch

    host = Schedule(o("linear_schedule", init_value=1.0, end_value=0.0, transition_steps=10))
    assert host(2.5) == host(np.float32(2.5)) == host(torch.tensor(2.5)) == host(jnp.float32(2.5)) == 0.75
    with pytest.raises(ValueError, match=r"step=-0.5 is invalid; expected a finite number >= 0"):
        host(-0.5)
    with pytest.raises(ValueError, match="a non-integer step is invalid; expected a finite number >= 0"):
        host(float("nan"))


@pytest.mark.parametrize("cfg", [
    o("exponential_decay", init_value=-0.1, transition_steps=10, decay_rate=2.0),
    o("warmup_constant_schedule", init_value=-0.1, peak_value=0.1, warmup_steps=5),
    k("CosineDecay", initial_learning_rate=-0.1, decay_steps=10),
])
def test_no_catalogue_equivalent_outside_the_catalogue_domain(cfg):
    """``inspect`` compares a port with its catalogue equivalent: none where the catalogue
    refuses the values (it would raise), one for the same schedule within it."""
    assert spec_from_config(cfg).equivalent() is None
    positive = {key: abs(v) if isinstance(v, float) else v for key, v in cfg.items()}
    assert spec_from_config(spec_from_config(positive).equivalent()) is not None


def _torch_lrs(make: Any, n: int) -> np.ndarray:
    """The lr of each of ``n`` updates of a scheduler stepped as users step it."""
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, out = make(opt), [opt.param_groups[0]["lr"]]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return np.array(out)


TORCH_GAMMAS = [
    ("StepLR", dict(step_size=3, gamma=0.0)),
    ("ExponentialLR", dict(gamma=0.0)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.0)),
    ("MultiStepLR", dict(milestones=[2, 5, 9], gamma=-0.5)),
]


@JITTED
@pytest.mark.parametrize("name,kw", TORCH_GAMMAS)
def test_torch_gamma_domain_equals_torch(name, kw):
    """torch takes ``gamma=0`` (0 after the first decay) and a negative ``MultiStepLR`` gamma."""
    import torch

    import warmup_torch

    n = 14
    truth = _torch_lrs(lambda opt: getattr(torch.optim.lr_scheduler, name)(opt, **kw), n)
    cfg = {"schedule": f"torch.{name}", "lr": 0.1, **kw}
    host = Schedule(cfg)
    assert [host(t) for t in range(n)] == truth.tolist()
    assert _torch_lrs(lambda opt: warmup_torch.scheduler_from_config(opt, cfg), n).tolist() == truth.tolist()
    ours32 = _jit32(cfg, np.arange(n))
    np.testing.assert_allclose(ours32, truth, rtol=1e-7, atol=0)


BEYOND_INT32 = [
    k("ExponentialDecay", initial_learning_rate=0.1, decay_steps=10**10, decay_rate=0.5),
    k("PolynomialDecay", initial_learning_rate=0.1, decay_steps=3 * 10**9, power=2.0),
    k("InverseTimeDecay", initial_learning_rate=0.1, decay_steps=10**10, decay_rate=0.5, staircase=True),
    k("PiecewiseConstantDecay", boundaries=[10**6, 3 * 10**9], values=[1.0, 0.5, 0.1]),
    o("exponential_decay", init_value=0.1, transition_steps=10**10, decay_rate=0.5, staircase=True),
    o("cosine_decay_schedule", init_value=1000.0, decay_steps=10**10),
]
INT32_STEPS = np.array([0, 1, 10**6, 10**9, 2**31 - 1])


@JITTED
@pytest.mark.parametrize("cfg", BEYOND_INT32)
def test_step_parameters_beyond_int32_equal_the_library(cfg):
    """Step parameters past int32 (the libraries take any Python int), on int32 steps up to 2**31 - 1."""
    _check(cfg, INT32_STEPS)


def _torch_check(make: Any, cfg: dict[str, Any], n: int) -> None:
    """The lrs of the library's scheduler ``make(optimizer)`` over ``n`` updates, checked as :func:`_check_lrs`."""
    _check_lrs(_torch_lrs(make, n), cfg)


def _check_lrs(truth: Any, cfg: dict[str, Any]) -> None:
    """The library's lrs at updates 0, 1, ... vs our host float64 form and our torch scheduler
    (1e-12), and the float32 JAX form (1e-6), relative to the largest |lr|."""
    import warmup_torch

    truth, n = np.asarray(truth, np.float64), len(truth)
    scale = float(np.max(np.abs(truth)))
    host = Schedule(cfg)
    ours64 = np.array([host(t) for t in range(n)])
    ours_torch = _torch_lrs(lambda opt: warmup_torch.scheduler_from_config(opt, cfg), n)
    ours32 = _jit32(cfg, np.arange(n))
    errs = [float(np.max(np.abs(x - truth))) / scale for x in (ours64, ours_torch, ours32)]
    assert errs[0] <= 1e-12 and errs[1] <= 1e-12 and errs[2] <= 1e-6, (cfg, errs)


# (scheduler, keyword arguments, steps): each refused before; OneCycleLR raises past total_steps
TORCH_DOMAIN = [
    ("StepLR", dict(step_size=3, gamma=-0.5), 14),
    ("StepLR", dict(step_size=2, gamma=-1.5), 14),
    ("StepLR", dict(step_size=-3, gamma=0.5), 14),
    ("StepLR", dict(step_size=2.5, gamma=0.5), 14),  # decays at the multiples of 5
    ("StepLR", dict(step_size=-1.5, gamma=0.5), 14),  # of 3
    ("StepLR", dict(step_size=0.5, gamma=0.5), 14),  # every step
    ("StepLR", dict(step_size=0.7, gamma=0.5), 14),  # at the multiples of 6305039478318694: never here
    ("CosineAnnealingLR", dict(T_max=-4, eta_min=0.01), 20),
    ("ExponentialLR", dict(gamma=-0.5), 14),
    ("ExponentialLR", dict(gamma=-1.0), 6),
    ("MultiStepLR", dict(milestones=[2.0, 5, 6.5, 5.0], gamma=0.5), 10),
    ("PolynomialLR", dict(total_iters=-4, power=-1.0), 6),
    ("ConstantLR", dict(factor=0.5, total_iters=2.5), 6),
    ("ConstantLR", dict(factor=0.5, total_iters=3.0), 6),
    ("LinearLR", dict(start_factor=0.5, total_iters=2.5), 6),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=4.0), 7),
    ("PolynomialLR", dict(total_iters=4.5, power=2.0), 8),
    ("PolynomialLR", dict(total_iters=3.5, power=-1.0), 8),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=-0.05), 14),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=-0.05), 14),
    ("CyclicLR", dict(base_lr=-0.1, max_lr=0.2, step_size_up=3, cycle_momentum=False), 14),
    ("CyclicLR", dict(base_lr=0.1, max_lr=0.3, step_size_up=3, mode="exp_range", gamma=0.0, cycle_momentum=False),
     14),
    ("CyclicLR", dict(base_lr=0.1, max_lr=0.3, step_size_up=3, mode="exp_range", gamma=-0.9, cycle_momentum=False),
     14),
    ("OneCycleLR", dict(max_lr=-0.1, total_steps=10, cycle_momentum=False), 11),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, div_factor=-2.0, cycle_momentum=False), 11),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, div_factor=0.5, final_div_factor=-3.0, anneal_strategy="linear",
                        cycle_momentum=False), 11),
]


def _torch_cfg(name: str, kw: dict[str, Any]) -> dict[str, Any]:
    cfg = {"schedule": f"torch.{name}", **kw}
    if name not in ("CyclicLR", "OneCycleLR"):  # relative: the optimizer's lr
        cfg["lr"] = 0.1
    return cfg


@JITTED
@pytest.mark.parametrize("name,kw,n", TORCH_DOMAIN, ids=[f"{t[0]}-{i}" for i, t in enumerate(TORCH_DOMAIN)])
def test_torch_domain_equals_torch(name, kw, n):
    """Negative and zero gammas, negative eta_min / base_lr / max_lr / div factors, float milestones,
    a negative step_size / T_max, a fractional step_size, float total_iters."""
    import torch

    cfg = _torch_cfg(name, kw)
    _torch_check(lambda opt: getattr(torch.optim.lr_scheduler, name)(opt, **kw), cfg, n)


HF_DOMAIN = [
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=2, num_training_steps=10, lr_end=-0.05)),
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=0, num_training_steps=10, lr_end=-1.0,
                                                       power=2.0)),
    ("get_wsd_schedule", dict(num_warmup_steps=2, num_decay_steps=3, num_training_steps=10, min_lr_ratio=-0.5)),
    ("get_wsd_schedule", dict(num_warmup_steps=3, num_decay_steps=4, num_stable_steps=2, min_lr_ratio=-2.0,
                              warmup_type="1-sqrt", decay_type="1-sqrt")),
    ("get_wsd_schedule", dict(num_warmup_steps=2, num_decay_steps=6, num_training_steps=10, min_lr_ratio=-0.3,
                              decay_type="cosine", num_cycles=1.5)),
    ("get_cosine_with_min_lr_schedule_with_warmup", dict(num_warmup_steps=2, num_training_steps=10, min_lr=-0.01)),
    ("get_cosine_with_min_lr_schedule_with_warmup", dict(num_warmup_steps=0, num_training_steps=8, min_lr_rate=-1.5,
                                                         num_cycles=1.5)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=3, num_training_steps=10,
                                                                 min_lr_rate=-0.2, warmup_lr_rate=-0.5)),
    ("get_constant_schedule_with_warmup", dict(num_warmup_steps=2.5)),
    ("get_constant_schedule_with_warmup", dict(num_warmup_steps=0.5)),
    ("get_constant_schedule_with_warmup", dict(num_warmup_steps=-3)),
    ("get_constant_schedule_with_warmup", dict(num_warmup_steps=4.0)),
]


@JITTED
@pytest.mark.parametrize("name,kw", HF_DOMAIN, ids=[f"{t[0][4:]}-{i}" for i, t in enumerate(HF_DOMAIN)])
def test_transformers_domain_equals_transformers(name, kw):
    """A negative ``lr_end`` / ``min_lr_ratio`` / ``min_lr`` / ``min_lr_rate`` / ``warmup_lr_rate``:
    HF's lambdas go below 0, or are held at 0 where HF takes ``max(0, factor)``; a fractional or
    negative constant-schedule warmup."""
    import transformers

    cfg = {"schedule": f"transformers.{name}", "lr": 0.1, **kw}
    _torch_check(lambda opt: getattr(transformers, name)(opt, **kw), cfg, 14)


class _ByEpoch:
    """A timm scheduler stepped as its users do: ``step(epoch)`` at the end of each epoch."""

    def __init__(self, scheduler: Any) -> None:
        self.scheduler, self.epoch = scheduler, 0

    def step(self) -> None:
        self.epoch += 1
        self.scheduler.step(self.epoch)


TIMM_DOMAIN = [
    ("StepLRScheduler", dict(decay_t=3, decay_rate=-0.5)),
    ("StepLRScheduler", dict(decay_t=2, decay_rate=1.5, warmup_t=2, warmup_lr_init=0.01)),
    ("StepLRScheduler", dict(decay_t=3, decay_rate=0.5, warmup_t=2, warmup_lr_init=-0.1)),
    ("MultiStepLRScheduler", dict(decay_t=[2, 5, 5], decay_rate=-0.5)),
    ("MultiStepLRScheduler", dict(decay_t=[6, 2, 9], decay_rate=0.5)),  # bisect counts the 6 with the 2
    ("MultiStepLRScheduler", dict(decay_t=[9, 4, 4, 1, 7], decay_rate=0.5, warmup_t=2, warmup_lr_init=0.01)),
    ("MultiStepLRScheduler", dict(decay_t=[-3, 5, 3], decay_rate=0.5)),
    ("CosineLRScheduler", dict(t_initial=5, lr_min=0.01, warmup_t=3, warmup_lr_init=-0.02)),
    ("StepLRScheduler", dict(decay_t=3, decay_rate=0.5, warmup_t=-2, warmup_lr_init=0.01)),
    ("MultiStepLRScheduler", dict(decay_t=[3, 6], decay_rate=0.5, warmup_t=-2, warmup_prefix=False)),
    ("CosineLRScheduler", dict(t_initial=8, lr_min=0.01, warmup_t=-3, warmup_lr_init=0.02, warmup_prefix=True)),
    ("CosineLRScheduler", dict(t_initial=8, lr_min=0.01, warmup_t=-3, warmup_lr_init=0.02)),
    ("PolyLRScheduler", dict(t_initial=8, power=2.0, warmup_t=-2, warmup_lr_init=0.02, warmup_prefix=True)),
    ("PolyLRScheduler", dict(t_initial=8, power=2.0, warmup_t=2, warmup_lr_init=-0.05, warmup_prefix=True)),
]


@JITTED
@pytest.mark.parametrize("name,kw", TIMM_DOMAIN, ids=[f"{t[0]}-{i}" for i, t in enumerate(TIMM_DOMAIN)])
def test_timm_domain_equals_timm(name, kw):
    """A negative or growing ``decay_rate`` (integer ``decay_t``), a negative ``warmup_lr_init``,
    multistep milestones out of order or negative (as timm's ``bisect_right`` counts them), a
    negative ``warmup_t`` (no warmup: ``warmup_lr_init`` at step 0, the decay ``|warmup_t|`` ahead
    with ``warmup_prefix``)."""
    from parity_tests.anchors.timm_lr import TS  # timm.scheduler without timm's __init__

    cfg = {"schedule": f"timm.{name}", "lr": 0.1, **kw}
    _torch_check(lambda opt: _ByEpoch(getattr(TS, name)(opt, **kw)), cfg, 14)


def test_timm_tanh_refuses_a_negative_warmup_t():
    """timm's ``TanhLRScheduler`` asserts ``warmup_t >= 0`` (its other schedulers take one)."""
    import torch

    from parity_tests.anchors.timm_lr import TS

    with pytest.raises(AssertionError):
        TS.TanhLRScheduler(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), t_initial=8, warmup_t=-2)
    with pytest.raises(ValueError, match=r"^timm\.TanhLRScheduler: warmup_t=-2 is invalid; expected an integer >= 0 "
                                         r"\(timm's TanhLRScheduler asserts it\)"):
        spec_from_config({"schedule": "timm.TanhLRScheduler", "lr": 0.1, "t_initial": 8, "warmup_t": -2})


DEEPSPEED_DOMAIN = [
    ("WarmupLR", dict(warmup_min_lr=-0.01, warmup_max_lr=0.1, warmup_num_steps=5)),
    ("WarmupLR", dict(warmup_min_lr=0.0, warmup_max_lr=-0.1, warmup_num_steps=5, warmup_type="linear")),
    ("WarmupDecayLR", dict(total_num_steps=10, warmup_min_lr=-0.01, warmup_max_lr=0.1, warmup_num_steps=3)),
    ("WarmupDecayLR", dict(total_num_steps=10, warmup_min_lr=0.0, warmup_max_lr=-0.1, warmup_num_steps=3)),
    ("WarmupCosineLR", dict(total_num_steps=10, warmup_min_ratio=-0.5, warmup_num_steps=3)),
    ("WarmupCosineLR", dict(total_num_steps=10, cos_min_ratio=-0.5, warmup_num_steps=3, warmup_type="linear")),
    ("WarmupCosineLR", dict(total_num_steps=2, cos_min_ratio=-0.5, warmup_num_steps=3)),
    ("LRRangeTest", dict(lr_range_test_min_lr=-0.01, lr_range_test_step_size=3)),
    ("LRRangeTest", dict(lr_range_test_min_lr=-0.01, lr_range_test_step_size=3, lr_range_test_staircase=True)),
    ("LRRangeTest", dict(lr_range_test_min_lr=0.01, lr_range_test_step_size=3, lr_range_test_step_rate=-0.5)),
    ("LRRangeTest", dict(lr_range_test_min_lr=0.01, lr_range_test_step_size=2, lr_range_test_step_rate=-1.0,
                         lr_range_test_staircase=True)),
    ("OneCycle", dict(cycle_min_lr=-0.01, cycle_max_lr=0.1, cycle_first_step_size=3, cycle_momentum=False)),
    ("OneCycle", dict(cycle_min_lr=0.1, cycle_max_lr=-0.05, cycle_first_step_size=2, cycle_second_step_size=4,
                      decay_step_size=2, decay_lr_rate=0.5, cycle_momentum=False)),
]


@JITTED
@pytest.mark.parametrize("name,kw", DEEPSPEED_DOMAIN, ids=[f"{t[0]}-{i}" for i, t in enumerate(DEEPSPEED_DOMAIN)])
def test_deepspeed_domain_equals_deepspeed(name, kw):
    """Negative lrs, warmup and cosine ratios and range-test rates, as DeepSpeed's Python floats take
    them (its cosine held at 0 by its ``max(0.0, ratio)``)."""
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    _torch_check(lambda opt: getattr(lr_schedules, name)(opt, **kw), _deepspeed_cfg(name, kw), 14)


def _deepspeed_cfg(name: str, kw: dict[str, Any]) -> dict[str, Any]:
    return {"schedule": f"deepspeed.{name}", **({"lr": 0.1} if name == "WarmupCosineLR" else {}), **kw}


MEGATRON_DOMAIN = [
    dict(init_lr=-1e-4, max_lr=3e-4, min_lr=3e-5, lr_warmup_steps=4, lr_decay_steps=12, lr_decay_style="cosine"),
    dict(init_lr=-0.1, max_lr=0.05, min_lr=0.0, lr_warmup_steps=3, lr_decay_steps=8, lr_decay_style="WSD",
         wsd_decay_steps=3, lr_wsd_decay_style="linear"),
]


@JITTED
@pytest.mark.parametrize("kw", MEGATRON_DOMAIN)
def test_megatron_domain_equals_megatron(kw):
    """A negative ``init_lr`` (Megatron asserts only ``init_lr <= max_lr``), against its ``get_lr``
    transcribed literally."""
    from parity_tests.anchors.formulas import megatron_lrs

    _check_lrs(megatron_lrs(kw, 14), {"schedule": "megatron.OptimizerParamScheduler", **kw})


FAIRSEQ_MIN_LR = dict(lr=0.1, min_lr=-0.02, warmup_updates=3, lr_period_updates=5, lr_shrink=0.5)


@JITTED
def test_fairseq_domain_equals_fairseq():
    """A negative ``min_lr`` (fairseq's cosine takes any; the warmup then starts there), against
    fairseq's schedule transcribed literally."""
    from parity_tests.anchors.formulas import fairseq_lrs

    kw = FAIRSEQ_MIN_LR
    _check_lrs(fairseq_lrs("cosine", kw, 14), {"schedule": "fairseq.cosine", **kw})


FAIRSEQ_SHRINKS = [
    dict(lr=0.1, min_lr=0.01, warmup_updates=2, lr_period_updates=4, lr_shrink=-0.5),
    dict(lr=0.1, lr_period_updates=3, lr_shrink=-1.0),
    dict(lr=0.1, min_lr=0.01, lr_period_updates=2, t_mult=2.0, lr_shrink=-0.5),
]


@JITTED
@pytest.mark.parametrize("kw", FAIRSEQ_SHRINKS)
def test_fairseq_negative_shrink_equals_fairseq(kw):
    """A negative ``lr_shrink`` (fairseq's ``lr_shrink ** i`` alternates the sign every cycle),
    with ``t_mult`` 1 and 2, against fairseq's schedule transcribed literally."""
    from parity_tests.anchors.formulas import fairseq_lrs

    _check_lrs(fairseq_lrs("cosine", kw, 20), {"schedule": "fairseq.cosine", **kw})


NANOGPT_MIN_LR = {"learning_rate": 0.1, "warmup_iters": 3, "lr_decay_iters": 10, "min_lr": -0.02}


@JITTED
def test_nanogpt_domain_equals_nanogpt():
    """A negative ``min_lr`` (nanoGPT writes it to the param groups as it is), against nanoGPT's
    ``get_lr`` (train.py, commit 3adf61e) transcribed literally."""
    from parity_tests.anchors.formulas import nanogpt_lrs

    kw = NANOGPT_MIN_LR
    _check_lrs(nanogpt_lrs(14, **kw), {"schedule": "nanogpt.get_lr", **kw})


TORCHTITAN_DOMAIN = [
    dict(total_steps=10, warmup_steps=2, decay_ratio=0.5, min_lr_factor=-0.5),
    dict(total_steps=10, warmup_steps=2, decay_type="sqrt", min_lr_factor=1.5),
    dict(total_steps=8, warmup_steps=0, decay_ratio=0.5, decay_type="cosine", min_lr_factor=-1.0),
    dict(total_steps=10, warmup_steps=-3),  # 13 decay steps: the decay starts part-way at update 0
    dict(total_steps=10, warmup_steps=-4, decay_type="cosine", min_lr_factor=0.2),
    dict(total_steps=10, warmup_steps=-3, decay_type="sqrt"),
    dict(total_steps=10, warmup_steps=-3, decay_ratio=0.5),  # no warmup, 5 stable steps
]


@JITTED
@pytest.mark.parametrize("kw", TORCHTITAN_DOMAIN)
def test_torchtitan_domain_equals_torchtitan(kw):
    """A ``min_lr_factor`` outside ``[0, 1]`` (torchtitan's config takes any float: below 0 the
    decay ends negative, above 1 it rises) and a negative ``warmup_steps`` (no warmup; with no
    ``decay_ratio``, ``T - w`` decay steps, started part-way), against its lambda transcribed literally."""
    from parity_tests.anchors.formulas import torchtitan_lrs

    _check_lrs(torchtitan_lrs(0.1, kw, 14),
               {"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 0.1, **kw})


MAXTEXT_DOMAIN = [
    dict(learning_rate=0.1, learning_rate_schedule_steps=10, steps=12, learning_rate_final_fraction=-0.5),
    dict(learning_rate=0.1, lr_schedule_type="wsd", learning_rate_schedule_steps=10, steps=12,
         wsd_decay_steps_fraction=0.4, learning_rate_final_fraction=2.0),
]


@JITTED
@pytest.mark.parametrize("kw", MAXTEXT_DOMAIN)
def test_maxtext_domain_equals_maxtext(kw):
    """A ``learning_rate_final_fraction`` below 0 or above 1 (MaxText's config types it a plain
    float), against ``create_learning_rate_schedule`` transcribed literally over optax."""
    from parity_tests.anchors.formulas import maxtext_lrs

    _check_lrs(maxtext_lrs(kw, 14), {"schedule": "maxtext.create_learning_rate_schedule", **kw})


TIMM_FRACTIONAL = [
    ("StepLRScheduler", dict(decay_t=3, decay_rate=0.5, warmup_t=2, warmup_lr_init=0.01)),
    ("StepLRScheduler", dict(decay_t=2, decay_rate=-0.5, warmup_prefix=False)),
    ("MultiStepLRScheduler", dict(decay_t=[3, 7, 7, 12], decay_rate=0.5, warmup_t=2, warmup_lr_init=0.01)),
]
TIMM_EPOCHS = np.arange(0, 20, 0.37).astype(np.float32).astype(np.float64)  # exact in both forms


@JITTED
@pytest.mark.parametrize("name,kw", TIMM_FRACTIONAL)
def test_timm_fractional_epochs_equal_timm(name, kw):
    """timm's ``step(epoch)`` with a fractional epoch, vs the host float64 form (1e-12) and the
    float32 JAX form (1e-6) at the same float32 epochs."""
    import torch

    from parity_tests.anchors.timm_lr import TS

    epochs = TIMM_EPOCHS
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, truth = getattr(TS, name)(opt, **kw), []
    for t in epochs:
        sched.step(float(t))
        truth.append(opt.param_groups[0]["lr"])
    cfg = {"schedule": f"timm.{name}", "lr": 0.1, **kw}
    host = Schedule(cfg)
    ours64 = np.array([host(float(t)) for t in epochs])
    ours32 = _jit32(cfg, epochs)
    np.testing.assert_allclose(ours64, truth, rtol=0, atol=1e-12 * 0.1)
    np.testing.assert_allclose(ours32, truth, rtol=0, atol=1e-6 * 0.1)


def test_timm_float_steps_stay_refused_where_found_on_integers():
    """A fractional ``decay_t`` and the cosine cycles are found on integer steps: refused, not rounded."""
    match = "a non-integer step is invalid; expected an integer >= 0"
    for cfg in ({"schedule": "timm.StepLRScheduler", "lr": 0.1, "decay_t": 2.4, "decay_rate": 0.5},
                {"schedule": "timm.CosineLRScheduler", "lr": 0.1, "t_initial": 10}):
        with pytest.raises(ValueError, match=match):
            Schedule(cfg)(2.5)


BIG_STEPS = np.array([1, 10**6, 10**9, 2**31 - 1])


def _check_at(truth: list[float], cfg: dict[str, Any], steps: np.ndarray) -> None:
    """The library's lrs at ``steps`` vs the host float64 form (1e-12) and the float32 JAX form
    on int32 steps (1e-6), relative to the largest |lr|."""
    truth_a = np.asarray(truth, np.float64)
    scale = float(np.max(np.abs(truth_a)))
    host = Schedule(cfg)
    ours64 = np.array([host(int(t)) for t in steps])
    ours32 = _jit32(cfg, steps)
    errs = [float(np.max(np.abs(x - truth_a))) / scale for x in (ours64, ours32)]
    assert errs[0] <= 1e-12 and errs[1] <= 1e-6, (cfg, errs)


HF_BEYOND_INT32 = [
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=10**6, num_training_steps=10**10)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=10**6, num_training_steps=10**10)),
    ("get_wsd_schedule", dict(num_warmup_steps=10**6, num_decay_steps=3 * 10**9, num_stable_steps=10**8)),
]


@JITTED
@pytest.mark.parametrize("name,kw", HF_BEYOND_INT32)
def test_transformers_step_counts_beyond_int32(name, kw):
    """HF's lambdas take any Python int: counts past int32, at int32 steps up to 2**31 - 1."""
    import torch
    import transformers

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    fn = getattr(transformers, name)(opt, **kw).lr_lambdas[0]
    _check_at([0.1 * fn(int(t)) for t in BIG_STEPS], {"schedule": f"transformers.{name}", "lr": 0.1, **kw}, BIG_STEPS)


TIMM_BEYOND_INT32 = [
    ("CosineLRScheduler", dict(t_initial=3 * 10**9, lr_min=1e-3)),
    ("StepLRScheduler", dict(decay_t=3 * 10**8, decay_rate=0.5)),
]


@JITTED
@pytest.mark.parametrize("name,kw", TIMM_BEYOND_INT32)
def test_timm_step_counts_beyond_int32(name, kw):
    """timm computes from the count it is given (``step_update(num_updates)``), any Python int."""
    import torch

    from parity_tests.anchors.timm_lr import TS

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, truth = getattr(TS, name)(opt, t_in_epochs=False, **kw), []
    for t in BIG_STEPS:
        sched.step_update(num_updates=int(t))
        truth.append(opt.param_groups[0]["lr"])
    _check_at(truth, {"schedule": f"timm.{name}", "lr": 0.1, "t_in_epochs": False, **kw}, BIG_STEPS)


DEEPSPEED_BEYOND_INT32 = [
    ("WarmupDecayLR", dict(total_num_steps=10**10, warmup_max_lr=0.1, warmup_num_steps=10**6)),
    ("WarmupCosineLR", dict(total_num_steps=10**10, warmup_num_steps=10**6)),
]


@JITTED
@pytest.mark.parametrize("name,kw", DEEPSPEED_BEYOND_INT32)
def test_deepspeed_step_counts_beyond_int32(name, kw):
    """DeepSpeed computes from ``last_batch_iteration`` (update ``k``: ``k - 1``), any Python int."""
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, truth = getattr(lr_schedules, name)(opt, **kw), []
    for t in BIG_STEPS:
        sched.step(int(t) - 1)
        truth.append(opt.param_groups[0]["lr"])
    _check_at(truth, _deepspeed_cfg(name, kw), BIG_STEPS)


# --- torch and DeepSpeed (tdomain) ---


def _deepspeed_one_cycle(opt: Any, kw: dict[str, Any], n: int) -> list[tuple[float, tuple[float, ...]]]:
    """(lr, betas) of each of ``n`` updates under DeepSpeed's own ``OneCycle`` (or our
    scheduler, ``kw["schedule"]`` set), stepped as the DeepSpeed engine steps it."""
    import warmup_torch

    if "schedule" in kw:
        sched = warmup_torch.scheduler_from_config(opt, kw)
    else:
        sched = pytest.importorskip("deepspeed.runtime.lr_schedules").OneCycle(opt, **kw)
    out = []
    for _ in range(n):
        group = opt.param_groups[0]
        out.append((group["lr"], tuple(group["betas"]) if "betas" in group else (group["momentum"],)))
        opt.step()
        sched.step()
    return out


DEEPSPEED_MOMENTUM = [
    dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=5),  # DeepSpeed's momentum defaults
    dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=4, cycle_second_step_size=7,
         cycle_first_stair_count=3, cycle_second_stair_count=2, cycle_min_mom=0.7, cycle_max_mom=0.95),
    dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=3, decay_lr_rate=0.5, decay_step_size=2,
         decay_mom_rate=0.3),  # the momentum grows past the cycle: cycle_max_mom * (1 + 0.3 x / 2)
    dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=3, cycle_second_step_size=0, decay_step_size=4,
         decay_mom_rate=-0.1, cycle_min_mom=0.85, cycle_max_mom=0.99),
    dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=3, decay_mom_rate=0.5),  # no decay_step_size
]


@JITTED
@pytest.mark.parametrize("kw", DEEPSPEED_MOMENTUM)
def test_deepspeed_one_cycle_momentum_equals_deepspeed(kw):
    """DeepSpeed's ``OneCycle`` cycles ``betas[0]`` by default (its update 0 at ``cycle_min_mom``,
    written at construction) and writes ``betas = (momentum, 0.99)``: our scheduler writes the
    same (1e-12); the host form and the float32 JAX form of ``momentum_of`` give that ``beta1``."""
    import torch

    from warmup_spec.hyper import MomentumOf, momentum_of

    n = 24
    params = [torch.zeros(1, requires_grad=True)]
    truth = _deepspeed_one_cycle(torch.optim.AdamW(params, lr=0.1, betas=(0.5, 0.999)), kw, n)
    cfg = {"schedule": "deepspeed.OneCycle", **kw}
    ours = _deepspeed_one_cycle(torch.optim.AdamW(params, lr=0.1, betas=(0.5, 0.999)), cfg, n)
    assert [t[1][1] for t in truth] == [0.99] * n and [o[1][1] for o in ours] == [0.99] * n
    np.testing.assert_allclose([o[1][0] for o in ours], [t[1][0] for t in truth], rtol=0, atol=1e-12)
    np.testing.assert_allclose([o[0] for o in ours], [t[0] for t in truth], rtol=0, atol=1e-12 * 1e-3)
    beta1 = [t[1][0] for t in truth]
    momentum = momentum_of(spec_from_config(cfg))
    assert isinstance(momentum, MomentumOf)
    host = Schedule(momentum)
    np.testing.assert_allclose([host(k) for k in range(n)], beta1, rtol=0, atol=1e-12)
    ours32 = _jit32(momentum, np.arange(n))
    np.testing.assert_allclose(ours32, beta1, rtol=1e-6, atol=0)
    assert beta1[0] == kw.get("cycle_min_mom", 0.8) and beta1[1] > beta1[0]  # construction's min, then the cycle


def test_deepspeed_one_cycle_leaves_a_momentum_without_betas():
    """DeepSpeed turns ``cycle_momentum`` off for an optimizer without ``betas`` (SGD): it keeps
    its momentum; ours too, with a warning that says so."""
    import torch

    kw = dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=3)
    params = [torch.zeros(1, requires_grad=True)]
    truth = _deepspeed_one_cycle(torch.optim.SGD(params, lr=0.1, momentum=0.5), kw, 10)
    with pytest.warns(UserWarning, match=r"deepspeed.OneCycle: cycle_momentum is turned off for SGD, which has no "
                                         r"betas"):
        ours = _deepspeed_one_cycle(torch.optim.SGD(params, lr=0.1, momentum=0.5),
                                    {"schedule": "deepspeed.OneCycle", **kw}, 10)
    assert [t[1] for t in truth] == [o[1] for o in ours] == [(0.5,)] * 10
    np.testing.assert_allclose([o[0] for o in ours], [t[0] for t in truth], rtol=1e-15, atol=0)


def test_deepspeed_one_cycle_momentum_in_jax_and_the_pairs():
    """Built as a plain Optax lr schedule it warns that the momentum is left out (not with
    ``cycle_momentum=False``); the matched pairs drive ``b1`` alone, with DeepSpeed's ``b2``."""
    from warmup_parity.optimizers import scheduled_hyperparams

    cfg = {"schedule": "deepspeed.OneCycle", "cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "cycle_first_step_size": 3}
    with pytest.warns(warmup_jax.CycledMomentumWarning, match="deepspeed.OneCycle cycles the momentum"):
        warmup_jax.schedule_from_config(cfg)(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warmup_jax.schedule_from_config({**cfg, "cycle_momentum": False})(2)
    assert list(scheduled_hyperparams({"name": "adamw", "b2": 0.99}, cfg)) == ["b1"]
    assert scheduled_hyperparams({"name": "sgd_momentum"}, cfg) == {}
    with pytest.raises(ValueError, match=r"adamw: b2=0.999 is invalid; expected 0.99 with deepspeed.OneCycle, which "
                                         r"writes betas = \(momentum, 0.99\)"):
        scheduled_hyperparams({"name": "adamw"}, cfg)


TDOMAIN_TORCH = [
    ("CosineAnnealingLR", dict(T_max=2.5, eta_min=0.01), 300),  # period 5
    ("CosineAnnealingLR", dict(T_max=0.3, eta_min=0.01), 300),  # 3 / 10: never periodic in float
    ("CosineAnnealingLR", dict(T_max=7.0, eta_min=0.01), 300),  # an integral float: 7
    ("CosineAnnealingLR", dict(T_max=-4.5, eta_min=-0.02), 300),
    ("CosineAnnealingLR", dict(T_max=100.3), 300),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2.5), 60),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2.5, step_size_down=0.5, mode="triangular2"), 60),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=0.3, step_size_down=1.2), 60),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=0.7, mode="triangular2"), 60),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=-3, step_size_down=5), 60),  # a falling sawtooth
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=-5), 60),  # cycles counted down
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=0), 60),  # a rising sawtooth
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3.5, step_size_down=0, mode="exp_range", gamma=0.97),
     60),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=-3, step_size_down=1, mode="exp_range", gamma=0.99), 60),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=1.5, step_size_down=-0.5, mode="triangular2"), 60),
]


@JITTED
@pytest.mark.parametrize("name,kw,n", TDOMAIN_TORCH, ids=[f"{t[0]}-{i}" for i, t in enumerate(TDOMAIN_TORCH)])
def test_torch_fractional_and_negative_periods_equal_torch(name, kw, n):
    """A fractional or negative ``CosineAnnealingLR`` ``T_max`` (torch's recursion follows the
    cosine at every step: 1e-12 over 300 steps) and fractional, negative or zero-down ``CyclicLR``
    step sizes (torch's own arithmetic: the host form is bit for bit torch's)."""
    import torch

    cfg = _tdomain_cfg(name, kw)
    kw = {**kw, "cycle_momentum": False} if name == "CyclicLR" else kw
    truth = _torch_lrs(lambda opt: getattr(torch.optim.lr_scheduler, name)(opt, **kw), n)
    _check_lrs(truth, cfg)
    if name == "CyclicLR":
        assert [Schedule(cfg)(t) for t in range(n)] == truth.tolist()


def _tdomain_cfg(name: str, kw: dict[str, Any]) -> dict[str, Any]:
    kw = {**kw, "cycle_momentum": False} if name == "CyclicLR" else kw
    return {"schedule": f"torch.{name}", **kw, **({"lr": 0.1} if name == "CosineAnnealingLR" else {})}


CYCLIC_MOMENTUM = [
    dict(step_size_up=2.5, step_size_down=0.5, mode="triangular2"),
    dict(step_size_up=-3, step_size_down=5, mode="exp_range", gamma=0.98),
    dict(step_size_up=0.3, step_size_down=1.2),
]


def _cyclic_momentum(kw: dict[str, Any]) -> Any:
    from warmup_spec.hyper import momentum_of

    return momentum_of(spec_from_config({"schedule": "torch.CyclicLR", "base_lr": 0.01, "max_lr": 0.1, **kw}))


@JITTED
@pytest.mark.parametrize("kw", CYCLIC_MOMENTUM)
def test_torch_cyclic_momentum_of_fractional_and_negative_steps_equals_torch(kw):
    """torch's momentum runs the same cycle inversely, for these step sizes too."""
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.5)
    sched, truth = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, **kw), []
    for _ in range(40):
        truth.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    momentum = _cyclic_momentum(kw)
    assert momentum is not None
    assert [Schedule(momentum)(t) for t in range(40)] == truth
    ours32 = _jit32(momentum, np.arange(40))
    np.testing.assert_allclose(ours32, truth, rtol=1e-6, atol=0)


@pytest.mark.parametrize("cfg", [
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 2.5},
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 0.3, "eta_min": 0.01},
    {"schedule": "torch.CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2.5, "step_size_down": 1.0,
     "cycle_momentum": False},
    {"schedule": "torch.CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": -3, "step_size_down": 5,
     "cycle_momentum": False},
])
def test_torch_fractional_periods_at_int32_steps(cfg):
    """The float32 JAX form reduces the phase on the integer step: within 1e-6 of the float64 host
    form up to ``2**31 - 1``."""
    steps = np.array([1, 10**6, 10**9 + 7, 2**31 - 1])
    host = Schedule(cfg)
    ours32 = np.asarray(warmup_jax.schedule_from_config(cfg)(jnp.asarray(steps, jnp.int32)), np.float64)
    np.testing.assert_allclose(ours32, [host(int(t)) for t in steps], rtol=0, atol=1e-6 * 0.1)


TORCH_WAVES = [  # T_max that no fraction small enough for int32 arithmetic holds over the int32 steps
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 2.718281828},
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": -(7.3 + 1e-9), "eta_min": 0.01},
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 123456.789},
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 0.3},
]
TORCH_WAVE_STEPS = np.array([*range(5001), 10**6, 10**9 + 7, 2**31 - 2, 2**31 - 1])


@JITTED
@pytest.mark.parametrize("cfg", TORCH_WAVES, ids=[str(cfg["T_max"]) for cfg in TORCH_WAVES])
def test_torch_irrational_looking_periods_at_int32_steps(cfg):
    """A ``T_max`` of no small fraction (``2.718281828`` took ``49171 / 18089``, 1e-2 of ``lr``
    off at step ``2**31 - 1``): the float32 JAX form reduces its phase chunk by chunk from the
    exact ``T_max``, within 4e-7 of ``lr`` (about 5 float32 ulps of 0.1) of the float64 closed
    form (exact) at steps 0..5000 and up to ``2**31 - 1``; the float64 array form within 1e-12."""
    host = Schedule(cfg)
    truth = np.array([host(int(t)) for t in TORCH_WAVE_STEPS])
    ours32 = _jit32(cfg, TORCH_WAVE_STEPS)
    assert np.max(np.abs(ours32 - truth)) <= 4e-7 * 0.1
    ours64 = np.asarray(numpy_schedule(cfg)(TORCH_WAVE_STEPS.astype(np.int64)))
    np.testing.assert_allclose(ours64, truth, rtol=1e-12, atol=0)


@pytest.mark.parametrize("cfg", [
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 2.718281828},  # the phase chunk by chunk
    {"schedule": "transformers.get_cosine_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2.5,
     "num_training_steps": 10},  # exactly, (2 t - 5) / 15 half-turns
    {"schedule": "transformers.get_cosine_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2.5,
     "num_training_steps": 10.3, "num_cycles": 1.7},  # chunk by chunk, after the crest at 2.5
])
def test_waves_of_a_real_period_at_narrow_and_unsigned_steps(cfg):
    """The reduced phase at an 8-, 16-bit or unsigned step is the int32 step's (the chunks of
    256 and the exact phase's ``- C`` overflowed there: 1e-1 of ``lr`` off before)."""
    steps = np.arange(100)
    schedule = warmup_jax.schedule_from_config(cfg)
    int32 = np.asarray(schedule(jnp.asarray(steps, jnp.int32)))
    assert np.max(np.abs(int32 - [Schedule(cfg)(int(t)) for t in steps])) <= 4e-7 * 0.1
    for dtype in (jnp.int8, jnp.uint8, jnp.int16, jnp.uint16, jnp.uint32):
        np.testing.assert_array_equal(np.asarray(schedule(jnp.asarray(steps, dtype))), int32, err_msg=str(dtype))


@pytest.mark.parametrize("kw,first,match", [
    (dict(T_max=1 / 3), 2, r"T_max=0.3333333333333333 is invalid; expected no fraction P / Q with Q odd: "
                           r"0.3333333333333333 is 1 / 3, where torch's recursion divides by 1 \+ cos"),
    (dict(T_max=0.2), 4, r"T_max=0.2 is invalid; expected no fraction P / Q with Q odd: 0.2 is 1 / 5"),
    (dict(T_max=-2.6), 40, r"T_max=-2.6 is invalid; expected no fraction P / Q with Q odd: -2.6 is 13 / 5"),
])
def test_torch_cosine_period_of_an_odd_fraction_is_refused(kw, first, match):
    """torch's cosine reaches -1 at the odd multiples of ``P`` and its recursion divides by
    ``1 + cos = 0`` (by the step ``first`` here): refused, saying so."""
    import torch

    with pytest.raises(ZeroDivisionError):
        _torch_lrs(lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, **kw), first + 1)
    with pytest.raises(ValueError, match=r"^torch.CosineAnnealingLR: " + match):
        spec_from_config({"schedule": "torch.CosineAnnealingLR", "lr": 0.1, **kw})


@pytest.mark.parametrize("kw,n,match", [
    (dict(step_size_up=0, step_size_down=4), 1, r"step_size_up=0 is invalid; expected a finite number other than 0"),
    (dict(step_size_up=2.5, step_size_down=-2.5), 1,
     r"step_size_down=-2.5 is invalid; expected a finite number other than -step_size_up \(-2.5\)"),
    (dict(step_size_up=1, step_size_down=-3, mode="triangular2"), 2200,
     r"step_size_down=-3 is invalid; expected a number > -step_size_up \(-1\) with mode='triangular2'"),
])
def test_torch_cyclic_step_sizes_that_divide_by_zero_are_refused(kw, n, match):
    """torch divides by ``step_size_up / total`` at step 0, by a zero total at construction, and
    ``triangular2`` over a negative total grows to ``inf``, then divides by zero."""
    import torch

    with pytest.raises(ZeroDivisionError):
        _torch_lrs(lambda opt: torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, cycle_momentum=False,
                                                                 **kw), n)
    with pytest.raises(ValueError, match=r"^torch.CyclicLR: " + match):
        spec_from_config({"schedule": "torch.CyclicLR", "base_lr": 0.01, "max_lr": 0.1, **kw})


WARM_RESTARTS = [
    dict(T_0=3, T_mult=1, eta_min=0.01),
    dict(T_0=3, T_mult=2, eta_min=-0.02),
    dict(T_0=1, T_mult=3),  # step(121.0): torch's log(243, 3) = 4.999..., the end of the cycle before
    dict(T_0=2, T_mult=10),  # step(222.0) likewise
]
WARM_RESTART_EPOCHS = np.concatenate([np.arange(0, 400, 0.37), [121.0, 222.0, 364.0, 1093.0]]
                                     ).astype(np.float32).astype(np.float64)  # exact in both forms


@JITTED
@pytest.mark.parametrize("kw", WARM_RESTARTS)
def test_torch_warm_restarts_at_float_epochs_equal_torch(kw):
    """torch's ``CosineAnnealingWarmRestarts.step(epoch)`` takes a float epoch (its documented
    ``step(epoch + i / iters)``): the host form is torch's arithmetic bit for bit, the float32 JAX
    form within 1e-6; at an integer epoch where torch's logarithm lands below the cycle start, its
    ``step(epoch)`` gives ``eta_min`` while ``step()`` (the port's integer steps) restarts."""
    import torch

    epochs = WARM_RESTART_EPOCHS
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, truth = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, **kw), []
    for t in epochs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's step(epoch) deprecation warning
            sched.step(float(t))
        truth.append(opt.param_groups[0]["lr"])
    cfg = {"schedule": "torch.CosineAnnealingWarmRestarts", "lr": 0.1, **kw}
    host = Schedule(cfg)
    assert [host(float(t)) for t in epochs] == truth
    ours32 = _jit32(cfg, epochs)
    np.testing.assert_allclose(ours32, truth, rtol=0, atol=1e-6 * 0.1)
    if kw["T_mult"] == 3:
        assert host(121.0) == 0.0 and host(121) == 0.1 == host(np.int64(121))


DEEPSPEED_FLOATS = [
    ("WarmupLR", dict(warmup_max_lr=0.1, warmup_min_lr=0.01, warmup_num_steps=5)),  # log(k) / log(5) > 1 on (5, 6)
    ("WarmupLR", dict(warmup_max_lr=0.1, warmup_num_steps=5, warmup_type="linear")),
    ("WarmupDecayLR", dict(total_num_steps=12, warmup_max_lr=0.1, warmup_min_lr=0.01, warmup_num_steps=4)),
    ("WarmupDecayLR", dict(total_num_steps=3, warmup_max_lr=0.1, warmup_num_steps=4, warmup_type="linear")),
    ("WarmupCosineLR", dict(total_num_steps=12, warmup_num_steps=4, warmup_min_ratio=0.1, cos_min_ratio=-0.2)),
    ("WarmupCosineLR", dict(total_num_steps=12, warmup_num_steps=4, warmup_type="linear")),
    ("LRRangeTest", dict(lr_range_test_min_lr=0.01, lr_range_test_step_size=3)),
    ("LRRangeTest", dict(lr_range_test_min_lr=0.01, lr_range_test_step_size=3, lr_range_test_staircase=True)),
    ("OneCycle", dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=4, cycle_second_step_size=6,
                      decay_lr_rate=0.5, decay_step_size=2, decay_mom_rate=0.2)),  # a second cycle on (10, 11)
    ("OneCycle", dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=5, cycle_second_step_size=7,
                      cycle_first_stair_count=3, cycle_second_stair_count=2)),  # stairs at j f / n
    ("OneCycle", dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=5, cycle_second_step_size=0)),
]


DEEPSPEED_KS = np.arange(0, 20, 0.37).astype(np.float32).astype(np.float64)  # exact in both forms


@JITTED
@pytest.mark.parametrize("name,kw", DEEPSPEED_FLOATS, ids=[f"{t[0]}-{i}" for i, t in enumerate(DEEPSPEED_FLOATS)])
def test_deepspeed_float_steps_equal_deepspeed(name, kw):
    """DeepSpeed's ``step(x)`` takes a float ``x`` (``last_batch_iteration``): update ``k = x + 1``
    is its ``get_lr`` there, phase changes between integers included; the host form is DeepSpeed's
    arithmetic (1e-15), the float32 JAX form within 1e-6, ``OneCycle``'s ``beta1`` likewise."""
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    import torch

    from warmup_spec.hyper import momentum_of

    ks = DEEPSPEED_KS
    opt = torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, truth, beta1 = getattr(lr_schedules, name)(opt, **kw), [], []
    for k in ks:
        sched.step(float(k) - 1)
        truth.append(opt.param_groups[0]["lr"])
        beta1.append(opt.param_groups[0]["betas"][0])
    cfg = _deepspeed_cfg(name, kw)
    schedules: list[Any] = [(cfg, truth)]
    if name == "OneCycle":
        schedules.append((momentum_of(spec_from_config(cfg)), beta1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", warmup_jax.CycledMomentumWarning)
        for obj, expected in schedules:
            host = Schedule(obj)
            np.testing.assert_allclose([host(float(k)) for k in ks], expected, rtol=0, atol=1e-15)
            ours32 = _jit32(obj, ks)
            np.testing.assert_allclose(ours32, expected, rtol=0, atol=1e-6 * max(map(abs, expected)))


SEQUENTIAL = {"schedule": "torch.SequentialLR", "lr": 0.1, "milestones": [4], "schedulers": [
    {"schedule": "torch.LinearLR", "start_factor": 0.5, "total_iters": 3},
    {"schedule": "torch.CosineAnnealingLR", "T_max": 2.5, "eta_min": 0.01}]}


@JITTED
def test_torch_sequential_with_a_fractional_cosine_equals_torch():
    """A fractional ``T_max`` in a ``SequentialLR``: the cosine starts its own clock at the milestone."""
    import torch

    def make(opt: Any) -> Any:
        S = torch.optim.lr_scheduler
        return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.5, total_iters=3),
                                    S.CosineAnnealingLR(opt, T_max=2.5, eta_min=0.01)], milestones=[4])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's SequentialLR: "the epoch parameter" deprecation
        truth = _torch_lrs(make, 30)
    _check_lrs(truth, SEQUENTIAL)


# --- transformers, torchtitan, MaxText (hdomain) ---

HF_COUNTS = [  # each refused before: negative, fractional, or NumPy / tensor / integral-float step counts
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=-2, num_training_steps=8)),
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=2.5, num_training_steps=10)),
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=2.5, num_training_steps=3.2)),  # a 1-step decay
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=0.07 * 100, num_training_steps=12)),  # 7.000000000000001
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=-2.5, num_training_steps=7.3)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=-2, num_training_steps=8)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=-5, num_training_steps=3, num_cycles=1.5)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=-1000003, num_training_steps=17, num_cycles=0.3)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=-5, num_training_steps=13,
                                                                num_cycles=3)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=-7, num_training_steps=3,
                                                                num_cycles=2)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=2, num_training_steps=12,
                                                                num_cycles=1.5)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=2, num_training_steps=12,
                                                                num_cycles=-2.5)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=0, num_training_steps=30,
                                                                num_cycles=-22)),  # a restart at each 30/22
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=-3.5, num_training_steps=9.2,
                                                                num_cycles=3)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=1.5, num_training_steps=1.7,
                                                                num_cycles=2)),
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=-2, num_training_steps=8, power=2.0)),
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=2.5, num_training_steps=10, power=2.0,
                                                       lr_end=0.01)),
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=1.5, num_training_steps=6.7, power=0.0)),
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=0, num_training_steps=10.5, power=-1.0)),
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=-3, num_training_steps=7.5, power=-0.5,
                                                       lr_end=-0.02)),
    ("get_inverse_sqrt_schedule", dict(num_warmup_steps=2.5)),
    ("get_inverse_sqrt_schedule", dict(num_warmup_steps=0.5)),
    ("get_inverse_sqrt_schedule", dict(num_warmup_steps=-3, timescale=4)),
    ("get_cosine_with_min_lr_schedule_with_warmup", dict(num_warmup_steps=-3, num_training_steps=10, min_lr=-0.01,
                                                         num_cycles=1.5)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=-2, num_training_steps=8,
                                                                 min_lr_rate=0.1)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=-1, num_training_steps=5,
                                                                 min_lr_rate=0.0, warmup_lr_rate=0.3)),
    ("get_wsd_schedule", dict(num_warmup_steps=-2, num_decay_steps=5, num_training_steps=10)),
    ("get_wsd_schedule", dict(num_warmup_steps=3, num_decay_steps=4, num_stable_steps=-2)),
    ("get_wsd_schedule", dict(num_warmup_steps=3, num_decay_steps=-4, num_stable_steps=2)),
    ("get_wsd_schedule", dict(num_warmup_steps=-4, num_decay_steps=7, num_stable_steps=1, num_cycles=1.5,
                              min_lr_ratio=-0.3)),
    ("get_wsd_schedule", dict(num_warmup_steps=-3, num_decay_steps=6, num_stable_steps=-1, decay_type="linear",
                              min_lr_ratio=0.1)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=3.0, num_training_steps=np.int64(10), num_cycles=2)),
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=np.int64(3), num_training_steps=np.float64(10.5))),
    ("get_wsd_schedule", dict(num_warmup_steps=4.0, num_decay_steps=np.int32(5), num_stable_steps="tensor 3")),
    ("get_wsd_schedule", dict(num_warmup_steps=3.5, num_decay_steps=6.3, num_training_steps=15, warmup_type="1-sqrt",
                              decay_type="1-sqrt", min_lr_ratio=0.1)),
    ("get_wsd_schedule", dict(num_warmup_steps=2.5, num_decay_steps=7.5, num_stable_steps=2.2, num_cycles=1.5,
                              min_lr_ratio=-0.3, warmup_type="cosine")),
    ("get_wsd_schedule", dict(num_warmup_steps=-2.5, num_decay_steps=6.2, num_stable_steps=1, num_cycles=2.0)),
    ("get_wsd_schedule", dict(num_warmup_steps=4.2, num_decay_steps=5, num_stable_steps=-2.7, decay_type="linear")),
    ("get_wsd_schedule", dict(num_warmup_steps=0.5, num_decay_steps=0.5, num_stable_steps=1.5, decay_type="linear")),
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps="tensor 3", num_training_steps="tensor 12")),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=2.5, num_training_steps=10)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=2.5, num_training_steps=10.3, num_cycles=1.7)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=0.07 * 100, num_training_steps=30, num_cycles=math.pi)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=-3.5, num_training_steps=np.float64(7.25))),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=4, num_training_steps=12, num_cycles=0.0)),
    ("get_cosine_with_min_lr_schedule_with_warmup", dict(num_warmup_steps=3.5, num_training_steps=20.5,
                                                         min_lr_rate=0.1, num_cycles=1.5)),
    ("get_cosine_with_min_lr_schedule_with_warmup", dict(num_warmup_steps=2, num_training_steps=9.5, min_lr=-0.02,
                                                         num_cycles=0.75)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=3.5, num_training_steps=20.5,
                                                                 min_lr_rate=0.1)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=4.5, num_training_steps=11,
                                                                 min_lr_rate=0.0, warmup_lr_rate=0.3,
                                                                 num_cycles=1 / math.e)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=1.5, num_training_steps=11,
                                                                 min_lr_rate=0.05, warmup_lr_rate=0.2)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=-2.5, num_training_steps=11,
                                                                 min_lr_rate=-0.1, num_cycles=1.25)),
]


def _counts(kw: dict[str, Any]) -> dict[str, Any]:
    """``kw`` with each ``"tensor n"`` a 0-d torch tensor of ``n``."""
    import torch

    return {key: torch.tensor(int(v.split()[1])) if isinstance(v, str) and v.startswith("tensor ") else v
            for key, v in kw.items()}


@JITTED
@pytest.mark.parametrize("name,kw", HF_COUNTS, ids=[f"{t[0][4:]}-{i}" for i, t in enumerate(HF_COUNTS)])
def test_transformers_step_counts_equal_transformers(name, kw):
    """HF's lambdas compare the step with any number: a negative ``num_warmup_steps`` is no
    warmup (the decay ``-w`` steps in at step 0), a fractional count ends a phase at the next
    whole step (every port; the cosine ones' wave has HF's real period and phase), a fractional
    or negative hard-restart ``num_cycles`` cuts the last cycle or runs each backwards,
    ``num_stable_steps`` / ``num_decay_steps`` below 0 skip their phase; NumPy, 0-d tensor and integral-float counts
    are taken as the numbers they are (kept as ints when whole). The warmup fact counts the
    steps ``t < w``."""
    import transformers

    kw = _counts(kw)
    cfg = {"schedule": f"transformers.{name}", "lr": 0.1, **kw}
    _torch_check(lambda opt: getattr(transformers, name)(opt, **kw), cfg, 20)
    spec = spec_from_config(cfg)
    for key in kw:
        if key.startswith("num_") and key != "num_cycles":
            value = getattr(spec, key)
            assert type(value) is (int if float(kw[key]).is_integer() else float) and value == float(kw[key])
    assert spec.warmup()[0] == max(math.ceil(float(kw["num_warmup_steps"])), 0)  # the steps t < w


HF_WAVES = [  # fractional counts, irrational-looking cycles: HF's wave of a real period and phase
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=2.5, num_training_steps=10)),  # exact phase (2t - 5) / 15
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=2.5, num_training_steps=10.3, num_cycles=1.7)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=0.07 * 100, num_training_steps=1000, num_cycles=math.pi)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=-3.5, num_training_steps=7.25)),
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=3, num_training_steps=1003, num_cycles=1e-9)),
    ("get_cosine_with_min_lr_schedule_with_warmup", dict(num_warmup_steps=3.5, num_training_steps=20.5,
                                                         min_lr_rate=-0.2, num_cycles=0.75)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=4.5, num_training_steps=11,
                                                                 min_lr_rate=0.0, warmup_lr_rate=0.3,
                                                                 num_cycles=1 / math.e)),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", dict(num_warmup_steps=0.5, num_training_steps=11,
                                                                 min_lr_rate=0.05)),
]


HF_WAVE_STEPS = np.array([*range(5001), 10**6, 123456789, 2**31 - 2, 2**31 - 1])


@JITTED
@pytest.mark.parametrize("name,kw", HF_WAVES, ids=[f"{t[0][4:]}-{i}" for i, t in enumerate(HF_WAVES)])
def test_transformers_cosine_waves_off_whole_steps_equal_transformers(name, kw):
    """The cosine ports at fractional counts and any ``num_cycles`` (``HFCosine``), at steps
    0..5000 and 10**6, 123456789, 2**31 - 2, 2**31 - 1 against HF's own lambda: the float64
    host form to 1e-15 relative (HF's arithmetic, operation for operation), the float32 JAX
    form within 4 float32 ulps of ``lr`` (its phase reduced exactly or chunk by chunk)."""
    import torch
    import transformers

    steps = HF_WAVE_STEPS.tolist()
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    fn = getattr(transformers, name)(opt, **kw).lr_lambdas[0]
    truth = np.array([0.1 * fn(t) for t in steps])
    cfg = {"schedule": f"transformers.{name}", "lr": 0.1, **kw}
    host = Schedule(cfg)
    ours64 = np.array([host(t) for t in steps])
    np.testing.assert_allclose(ours64, truth, rtol=1e-15, atol=0)
    ours32 = _jit32(cfg, HF_WAVE_STEPS)
    assert np.max(np.abs(ours32 - truth)) <= 4 * float(np.spacing(np.float32(0.1)))
    ours_np = np.asarray(numpy_schedule(cfg)(np.asarray(steps, np.int64)))  # float64 arrays: HF's arithmetic too
    assert ours_np.dtype == np.float64 and np.max(np.abs(ours_np - truth)) <= 1e-15 * 0.1


HF_COS_BY_HAND = {"schedule": "transformers.get_cosine_schedule_with_warmup", "lr": 1.0, "num_warmup_steps": 2.5,
                  "num_training_steps": 10}


@JITTED
def test_transformers_cosine_of_fractional_counts_by_hand():
    """``w=2.5, T=10``: warmup ``t / 2.5`` at steps 0..2, then ``(1 + cos(pi (t - 2.5) / 7.5)) / 2``:
    the crest passed (``(1 + cos(pi / 15)) / 2`` at step 3), 0 at step ``T = 10`` exactly, back to
    ``lr`` at ``2T - w = 17.5`` (between steps 17 and 18); the lr-rate variant's warmup
    ``(t + 1) / 3.5`` passes ``lr`` at its last step 3."""
    cos = Schedule({"schedule": "transformers.get_cosine_schedule_with_warmup", "lr": 1.0, "num_warmup_steps": 2.5,
                    "num_training_steps": 10})
    assert [cos(t) for t in range(3)] == [0.0, 1 / 2.5, 2 / 2.5]
    assert cos(3) == pytest.approx((1 + math.cos(math.pi / 15)) / 2, rel=1e-15) and cos(10) == 0.0
    assert cos(17) == cos(18) == pytest.approx((1 + math.cos(math.pi * 14.5 / 7.5)) / 2, rel=1e-15)
    assert _jit32(HF_COS_BY_HAND, np.array([10]))[0] == 0.0  # the phase (2t - 5) / 15 half-turns: 1 at T
    rate = Schedule({"schedule": "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "lr": 1.0,
                     "num_warmup_steps": 3.5, "num_training_steps": 20.5, "min_lr_rate": 0.1})
    assert rate(3) == 4 / 3.5 and rate(0) == pytest.approx(1 / 3.5, rel=1e-15)


def test_transformers_negative_or_fractional_warmup_facts():
    """The warmup fact is the steps ``t < num_warmup_steps``: ``ceil(w)``, none below 0; no
    catalogue equivalent where the catalogue refuses the warmup (negative, fractional)."""
    lin = "transformers.get_linear_schedule_with_warmup"
    assert spec_from_config({"schedule": lin, "lr": 0.1, "num_warmup_steps": 2.5, "num_training_steps": 10}
                            ).warmup() == (3, (3,))
    negative = spec_from_config({"schedule": lin, "lr": 0.1, "num_warmup_steps": -2, "num_training_steps": 10})
    assert negative.warmup() == (0, ()) and negative.equivalent() is None
    assert Schedule(negative)(0) == pytest.approx(0.1 * 10 / 12, rel=1e-15)  # (T - 0) / (T - w)
    assert spec_from_config({"schedule": lin, "lr": 0.1, "num_warmup_steps": 2, "num_training_steps": 10}
                            ).equivalent() is not None


def test_transformers_counts_of_no_value_are_zero_as_in_transformers():
    """``T <= 0`` with a negative warmup: 0 at every step (linear, hard restarts), as HF's lambdas give."""
    import torch
    import transformers

    for name, kw in [("get_linear_schedule_with_warmup", dict(num_warmup_steps=-3, num_training_steps=-1)),
                     ("get_cosine_with_hard_restarts_schedule_with_warmup",
                      dict(num_warmup_steps=-3, num_training_steps=-1, num_cycles=2))]:
        truth = _torch_lrs(lambda opt, name=name, kw=kw: getattr(transformers, name)(opt, **kw), 8)
        host = Schedule({"schedule": f"transformers.{name}", "lr": 0.1, **kw})
        assert truth.tolist() == [0.0] * 8 == [host(t) for t in range(8)]
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)  # a fractional T, never reached:
    fn = transformers.get_polynomial_decay_schedule_with_warmup(opt, 0, 10.5, power=-1.0).lr_lambdas[0]
    assert 0.1 * fn(10) == pytest.approx(1e-7 + (0.1 - 1e-7) * 21, rel=1e-14)  # power < 0 grows, finite


@pytest.mark.parametrize("cfg,call,match", [
    (dict(name="get_cosine_with_min_lr_schedule_with_warmup", num_warmup_steps=2, num_training_steps=9.5,
          min_lr_rate=0.1, num_cycles=1.5e6), None,
     r"num_cycles=1500000\.0 is invalid; .* \(HF takes any finite one; past 1e6 cycles over T - w HF's float64"),
    (dict(name="get_linear_schedule_with_warmup", num_warmup_steps=float("inf"), num_training_steps=10), None,
     r"num_warmup_steps=inf is invalid; expected a finite number of steps"),
    (dict(name="get_linear_schedule_with_warmup", num_warmup_steps="3", num_training_steps=10), None,
     r"num_warmup_steps='3' is invalid; expected a finite number of steps"),
    (dict(name="get_inverse_sqrt_schedule", num_warmup_steps=-3), ZeroDivisionError,
     r"num_warmup_steps=-3 is invalid; expected a number >= 0 with timescale=None"),
    (dict(name="get_polynomial_decay_schedule_with_warmup", num_warmup_steps=-5, num_training_steps=4, power=-2.0),
     ZeroDivisionError, r"power=-2\.0 is invalid; expected a finite number >= 0 when num_training_steps is a step"),
])
def test_transformers_counts_refused_saying_so(cfg, call, match):
    """Refused: what makes HF raise (at construction or at a step: ``call``), and more than 1e6
    cosine cycles, whose phase HF's float64 no longer holds (HF takes them: the message says why)."""
    import transformers

    cfg = dict(cfg)
    name = cfg.pop("name")
    if call is not None:  # HF raises at some step of the first 10
        with pytest.raises(call):
            _torch_lrs(lambda opt: getattr(transformers, name)(opt, **cfg), 10)
    with pytest.raises(ValueError, match=match):
        spec_from_config({"schedule": f"transformers.{name}", "lr": 0.1, **cfg})


def test_transformers_steps_stay_integers():
    """``LambdaLR`` passes HF's lambdas its integer ``last_epoch`` (a float one only through
    torch's deprecated ``step(epoch)``): a float step is refused, not rounded."""
    cfg = {"schedule": "transformers.get_linear_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 2.5,
           "num_training_steps": 10}
    match = "a non-integer step is invalid; expected an integer >= 0"
    with pytest.raises(ValueError, match=match):
        Schedule(cfg)(3.5)
    with pytest.raises(ValueError, match=match):
        warmup_jax.schedule_from_config(cfg)(jnp.float32(3.0))


def test_transformers_get_scheduler_takes_the_counts_as_numbers():
    """``get_scheduler`` hands HF's function its counts: a tensor or NumPy one is kept as its number."""
    import torch
    import transformers

    cfg = {"schedule": "transformers.get_scheduler", "lr": 0.1, "name": "cosine", "num_warmup_steps": torch.tensor(-2),
           "num_training_steps": np.int64(8)}
    spec = spec_from_config(cfg)
    assert (spec.num_warmup_steps, spec.num_training_steps) == (-2, 8) and type(spec.num_warmup_steps) is int
    truth = _torch_lrs(lambda opt: transformers.get_scheduler("cosine", opt, num_warmup_steps=-2,
                                                              num_training_steps=8), 20)
    np.testing.assert_allclose([Schedule(spec)(t) for t in range(20)], truth, rtol=0, atol=1e-12 * 0.1)


HF_NEGATIVE_BEYOND_INT32 = [
    ("get_cosine_schedule_with_warmup", dict(num_warmup_steps=-10**9, num_training_steps=10**6)),
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=-3 * 10**9, num_training_steps=3 * 10**9)),
    ("get_polynomial_decay_schedule_with_warmup", dict(num_warmup_steps=-3 * 10**9, num_training_steps=3 * 10**9,
                                                       power=2.0)),
    ("get_inverse_sqrt_schedule", dict(num_warmup_steps=-3 * 10**9, timescale=10**4)),
    ("get_linear_schedule_with_warmup", dict(num_warmup_steps=2.5e9 + 0.5, num_training_steps=3e9)),
]


@JITTED
@pytest.mark.parametrize("name,kw", HF_NEGATIVE_BEYOND_INT32)
def test_transformers_negative_counts_beyond_int32(name, kw):
    """A warmup far below 0 (or a fractional one past int32), at int32 steps up to 2**31 - 1:
    no clock runs from the negative step (the wave shifted by ``-w`` modulo its period, the
    curves started from their value at step 0)."""
    import torch
    import transformers

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    fn = getattr(transformers, name)(opt, **kw).lr_lambdas[0]
    _check_at([0.1 * fn(int(t)) for t in BIG_STEPS], {"schedule": f"transformers.{name}", "lr": 0.1, **kw}, BIG_STEPS)


HF_BELOW_INT32 = [
    ("get_wsd_schedule", dict(num_warmup_steps=2, num_stable_steps=-3 * 10**9, num_decay_steps=3 * 10**9 + 100,
                              min_lr_ratio=0.1)),
    ("get_wsd_schedule", dict(num_warmup_steps=-3 * 10**9, num_decay_steps=4 * 10**9, num_training_steps=2 * 10**9)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(num_warmup_steps=-3 * 10**9,
                                                                num_training_steps=10**9, num_cycles=2)),
]
BELOW_INT32_STEPS = np.array([0, 1, 2, 10, 50, 101, 102, 1000, 10**6, 2**31 - 1])


@JITTED
@pytest.mark.parametrize("name,kw", HF_BELOW_INT32)
def test_transformers_pieces_starting_below_int32(name, kw):
    """A piece whose clock starts below int32's range (WSD's decay from ``w + s = -3e9 + 2``,
    running to step 102): its float32 form on int32 steps follows HF there (it held the piece's
    start value, 0.9 lr off, before)."""
    import torch
    import transformers

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    fn = getattr(transformers, name)(opt, **kw).lr_lambdas[0]
    steps = BELOW_INT32_STEPS
    _check_at([0.1 * fn(int(t)) for t in steps], {"schedule": f"transformers.{name}", "lr": 0.1, **kw}, steps)


TORCHTITAN_NEGATIVE = [
    dict(total_steps=10, warmup_steps=2, decay_ratio=-0.3),  # d = -3: from update 14 the factor rises past 1
    dict(total_steps=8, warmup_steps=3, decay_ratio=-0.5, min_lr_factor=1.5),  # ... or falls, min_lr_factor > 1
    dict(total_steps=10, warmup_steps=2, decay_ratio=-0.3, decay_type="cosine", min_lr_factor=0.2),
    dict(total_steps=8, warmup_steps=-3.2, decay_ratio=-0.25, decay_type="cosine"),
    dict(total_steps=10, warmup_steps=2.7, decay_ratio=0.5),  # int(2.7) = 2
    dict(total_steps=10, warmup_steps=-2.5),  # int(-2.5) = -2
    dict(total_steps=10, warmup_steps=0.9, decay_type="cosine"),  # int(0.9) = 0: no warmup
]


@JITTED
@pytest.mark.parametrize("kw", TORCHTITAN_NEGATIVE)
def test_torchtitan_negative_decay_ratio_and_fractional_warmup_equal_torchtitan(kw):
    """A negative ``decay_ratio`` (``round(T r) < 0`` decay steps from past ``T``: torchtitan's
    progress is negative) and a fractional ``warmup_steps`` (torchtitan's ``int()``), against
    its lambda transcribed literally."""
    from parity_tests.anchors.formulas import torchtitan_lrs

    _check_lrs(torchtitan_lrs(0.1, kw, 30), {"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 0.1, **kw})


def test_torchtitan_sqrt_of_a_negative_decay_ratio_is_refused():
    """torchtitan's ``math.sqrt`` of the negative progress raises at the first decay update."""
    from parity_tests.anchors.formulas import torchtitan_lrs

    kw = dict(total_steps=10, warmup_steps=2, decay_ratio=-0.3, decay_type="sqrt")
    assert len(torchtitan_lrs(0.1, kw, 14)) == 14  # updates 0..13 (D = 14)
    with pytest.raises(ValueError, match="math domain error"):
        torchtitan_lrs(0.1, kw, 15)
    with pytest.raises(ValueError, match=r"decay_ratio=-0\.3 is invalid; expected a finite number >= 0 with "
                                         r"decay_type='sqrt'"):
        spec_from_config({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 0.1, **kw})


MAXTEXT_ZERO = [
    dict(learning_rate=0.1, learning_rate_schedule_steps=0, steps=12),
    dict(learning_rate=0.1, lr_schedule_type="wsd", learning_rate_schedule_steps=0, steps=5),
]


@JITTED
@pytest.mark.parametrize("kw", MAXTEXT_ZERO)
def test_maxtext_schedule_of_zero_steps_equals_maxtext(kw):
    """``learning_rate_schedule_steps=0`` (MaxText's config: ``ge=-1``): no warmup, no decay,
    the constant-zero piece from step 0, against ``create_learning_rate_schedule`` over optax."""
    import warmup_torch
    from parity_tests.anchors.formulas import maxtext_lrs

    cfg = {"schedule": "maxtext.create_learning_rate_schedule", **kw}
    truth = maxtext_lrs(kw, 14)
    host = Schedule(cfg)
    ours32 = _jit32(cfg, np.arange(14))
    ours_torch = _torch_lrs(lambda opt: warmup_torch.scheduler_from_config(opt, cfg), 14)
    assert truth.tolist() == [0.0] * 14 == [host(t) for t in range(14)] == ours32.tolist() == ours_torch.tolist()


def test_maxtext_numpy_step_counts_equal_maxtext():
    """NumPy integer step counts (MaxText's pydantic ``int`` fields take ``np.int64(5)``) are
    stored as ints and give MaxText's values."""
    from parity_tests.anchors.formulas import maxtext_lrs

    kw = dict(learning_rate=0.1, learning_rate_schedule_steps=np.int64(20), steps=np.int32(25))
    spec = spec_from_config({"schedule": "maxtext.create_learning_rate_schedule", **kw})
    assert type(spec.learning_rate_schedule_steps) is int and spec.learning_rate_schedule_steps == 20
    assert type(spec.steps) is int and spec.steps == 25
    truth = maxtext_lrs(dict(learning_rate=0.1, learning_rate_schedule_steps=20, steps=25), 30)
    assert truth[:3].tolist() == [0.0, 0.05, 0.1]  # int(20 * 0.1) = 2 warmup steps, the peak at step 2
    host = Schedule({"schedule": "maxtext.create_learning_rate_schedule", **kw})
    np.testing.assert_allclose([host(t) for t in range(30)], truth, rtol=1e-14, atol=0)
    with pytest.raises(ValueError, match=r"learning_rate_schedule_steps=-1 is invalid; expected an integer >= 1 "
                                         r"when steps is -1"):  # np.int64(-1) is -1, MaxText's "the other length"
        spec_from_config({"schedule": "maxtext.create_learning_rate_schedule", "learning_rate": 0.1,
                          "steps": np.int64(-1), "learning_rate_schedule_steps": -1})


@pytest.mark.parametrize("value", [20, np.int64(20), 20.0, np.float64(20.0), "20", " 20 ", True, np.bool_(True),
                                   -1, 0, 20.5, "20.0", "2e1", "20.5", "2_0", "+20", "20.", "0x14", "x", "nan", None, float("inf"), [20], -2])
def test_maxtext_step_counts_are_what_its_pydantic_int_field_takes(value):
    """MaxText's config reads its step counts as pydantic ``int`` fields (``ge=-1``) in lax mode:
    the port takes exactly the values pydantic takes, as the int pydantic makes of them."""
    pydantic = pytest.importorskip("pydantic")

    class Config(pydantic.BaseModel):
        learning_rate_schedule_steps: int = pydantic.Field(-1, ge=-1)

    try:
        expected: int | None = Config(learning_rate_schedule_steps=value).learning_rate_schedule_steps
    except pydantic.ValidationError:
        expected = None
    cfg = {"schedule": "maxtext.create_learning_rate_schedule", "learning_rate": 0.1, "steps": 30,
           "learning_rate_schedule_steps": value}
    if expected is None:
        with pytest.raises(ValueError, match=r"learning_rate_schedule_steps=.* is invalid; expected -1 or an integer"):
            spec_from_config(cfg)
    else:
        got = spec_from_config(cfg).learning_rate_schedule_steps
        assert type(got) is int and got == expected


def test_maxtext_zero_steps_with_steps_defaulted_is_refused():
    """``steps=-1`` defaults to ``learning_rate_schedule_steps=0``: no piece, and optax's
    ``join_schedules`` of none raises."""
    from parity_tests.anchors.formulas import maxtext_lrs

    kw = dict(learning_rate=0.1, learning_rate_schedule_steps=0, steps=-1)
    with pytest.raises(IndexError):
        maxtext_lrs(kw, 3)
    with pytest.raises(ValueError, match=r"learning_rate_schedule_steps=0 is invalid; expected an integer >= 1 when "
                                         r"steps is -1"):
        spec_from_config({"schedule": "maxtext.create_learning_rate_schedule", **kw})


# --- the configs and steps of the jitted forms above ---

JIT32_PLAN: list[tuple[Any, np.ndarray]] = [
    *[(c, INTS) for c in OPTAX_DOMAIN + KERAS_DOMAIN],
    *[(c, FLOATS) for c in OPTAX_FLOATS + KERAS_FLOATS],
    *[(c, INT32_STEPS) for c in BEYOND_INT32],
    *[({"schedule": f"torch.{name}", "lr": 0.1, **kw}, np.arange(14)) for name, kw in TORCH_GAMMAS],
    *[(_torch_cfg(name, kw), np.arange(n)) for name, kw, n in TORCH_DOMAIN],
    *[({"schedule": f"transformers.{name}", "lr": 0.1, **kw}, np.arange(14)) for name, kw in HF_DOMAIN],
    *[({"schedule": f"timm.{name}", "lr": 0.1, **kw}, np.arange(14)) for name, kw in TIMM_DOMAIN],
    *[(_deepspeed_cfg(name, kw), np.arange(14)) for name, kw in DEEPSPEED_DOMAIN],
    *[({"schedule": "megatron.OptimizerParamScheduler", **kw}, np.arange(14)) for kw in MEGATRON_DOMAIN],
    ({"schedule": "fairseq.cosine", **FAIRSEQ_MIN_LR}, np.arange(14)),
    *[({"schedule": "fairseq.cosine", **kw}, np.arange(20)) for kw in FAIRSEQ_SHRINKS],
    ({"schedule": "nanogpt.get_lr", **NANOGPT_MIN_LR}, np.arange(14)),
    *[({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 0.1, **kw}, np.arange(14))
      for kw in TORCHTITAN_DOMAIN],
    *[({"schedule": "maxtext.create_learning_rate_schedule", **kw}, np.arange(14)) for kw in MAXTEXT_DOMAIN],
    *[({"schedule": f"timm.{name}", "lr": 0.1, **kw}, TIMM_EPOCHS) for name, kw in TIMM_FRACTIONAL],
    *[({"schedule": f"transformers.{name}", "lr": 0.1, **kw}, BIG_STEPS) for name, kw in HF_BEYOND_INT32],
    *[({"schedule": f"timm.{name}", "lr": 0.1, "t_in_epochs": False, **kw}, BIG_STEPS)
      for name, kw in TIMM_BEYOND_INT32],
    *[(_deepspeed_cfg(name, kw), BIG_STEPS) for name, kw in DEEPSPEED_BEYOND_INT32],
    *[(momentum_of(spec_from_config({"schedule": "deepspeed.OneCycle", **kw})), np.arange(24))
      for kw in DEEPSPEED_MOMENTUM],
    *[(_tdomain_cfg(name, kw), np.arange(n)) for name, kw, n in TDOMAIN_TORCH],
    *[(_cyclic_momentum(kw), np.arange(40)) for kw in CYCLIC_MOMENTUM],
    *[(cfg, TORCH_WAVE_STEPS) for cfg in TORCH_WAVES],
    *[({"schedule": "torch.CosineAnnealingWarmRestarts", "lr": 0.1, **kw}, WARM_RESTART_EPOCHS)
      for kw in WARM_RESTARTS],
    *[(_deepspeed_cfg(name, kw), DEEPSPEED_KS) for name, kw in DEEPSPEED_FLOATS],
    *[(momentum_of(spec_from_config(_deepspeed_cfg(name, kw))), DEEPSPEED_KS)
      for name, kw in DEEPSPEED_FLOATS if name == "OneCycle"],
    (SEQUENTIAL, np.arange(30)),
    *[({"schedule": f"transformers.{name}", "lr": 0.1, **_counts(kw)}, np.arange(20)) for name, kw in HF_COUNTS],
    *[({"schedule": f"transformers.{name}", "lr": 0.1, **kw}, HF_WAVE_STEPS) for name, kw in HF_WAVES],
    *[({"schedule": f"transformers.{name}", "lr": 0.1, **kw}, BIG_STEPS) for name, kw in HF_NEGATIVE_BEYOND_INT32],
    *[({"schedule": f"transformers.{name}", "lr": 0.1, **kw}, BELOW_INT32_STEPS) for name, kw in HF_BELOW_INT32],
    *[({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 0.1, **kw}, np.arange(30))
      for kw in TORCHTITAN_NEGATIVE],
    *[({"schedule": "maxtext.create_learning_rate_schedule", **kw}, np.arange(14)) for kw in MAXTEXT_ZERO],
    (HF_COS_BY_HAND, np.array([10])),
]
"""Every (config or spec, steps) whose jitted float32 form a test reads (:data:`_jit32`)."""

TRUTH_PLAN: list[tuple[dict[str, Any], np.ndarray]] = [
    *[(c, INTS) for c in OPTAX_DOMAIN + KERAS_DOMAIN],
    *[(c, FLOATS) for c in OPTAX_FLOATS + KERAS_FLOATS],
    *[(c, INT32_STEPS) for c in BEYOND_INT32],
]
"""Every (config, steps) whose optax or Keras float64 values a test reads (:data:`_truth`)."""
