"""Schedules in epochs (``steps_from_epochs``) and gradient accumulation in both frameworks.

Hand-computed conversions, the one shared helper object, its errors, and a training
parity check: ``optax.MultiSteps(every_k_schedule=k)`` against a torch loop that steps
the optimizer (and the scheduler) every ``k`` micro-batches, both with the converted
config: the j-th optimizer update uses ``f(j)`` on both sides (``docs/stepping.md``).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import warmup_jax
import warmup_spec.steps
import warmup_torch
from warmup_spec import spec_from_config
from warmup_spec.reference import reference
from warmup_spec.steps import epoch_keys, steps_from_epochs, updates_per_epoch

ERROR_FORMAT = re.compile(r"^[a-z_]+: [A-Za-z_\[\]0-9]+=.+ is invalid; expected .+$")

# --- conversions (hand values) -----------------------------------------------------


def test_updates_per_epoch_rounds_up_a_partial_accumulation_window():
    assert updates_per_epoch(100, 8) == 13  # 12 full windows + one of 4 micro-batches
    assert updates_per_epoch(96, 8) == 12
    assert updates_per_epoch(3, 8) == 1  # an epoch shorter than one window: one update
    assert updates_per_epoch(7) == 7


def test_basic_conversion_and_key_order():
    cfg = {"schedule": "warmup_cosine_decay", "peak_value": 3e-4, "warmup_epochs": 0.5,
           "total_epochs": 3, "end_value": 1e-5}
    out = steps_from_epochs(cfg, steps_per_epoch=100, grad_accum=8)  # 13 updates / epoch
    assert out == {"schedule": "warmup_cosine_decay", "peak_value": 3e-4, "warmup_steps": 7,
                   "total_steps": 39, "end_value": 1e-5}
    assert list(out) == ["schedule", "peak_value", "warmup_steps", "total_steps", "end_value"]
    assert "warmup_epochs" in cfg  # the input is not modified


@pytest.mark.parametrize(
    ("epochs", "upe", "rounding", "want"),
    [
        (0.5, 7, "nearest", 4),   # 3.5: halves round up
        (0.25, 10, "nearest", 3),  # 2.5 -> 3 (Python's round() would give 2)
        (0.24, 10, "nearest", 2),
        (0.3, 10, "ceil", 3),     # 0.3 * 10 is 3.0000000000000004 in floats: ceil would be 4
        (0.1, 10, "ceil", 1),     # the double nearest 0.1 is above 1/10: exact decimal gives 1
        (0.7, 10, "floor", 7),    # 0.7 * 10 is 7.000000000000001 in floats, the double 0.7 below 7/10
        (0.29, 100, "floor", 29),  # 0.29 * 100 is 28.999999999999996 in floats
        (0.35, 10, "floor", 3),
        (0.35, 10, "ceil", 4),
        (2, 13, "nearest", 26),
        (0, 13, "ceil", 0),
    ],
)
def test_rounding_is_exact_decimal(epochs, upe, rounding, want):
    cfg = {"schedule": "warmup_constant", "peak_value": 1.0, "warmup_epochs": epochs}
    assert steps_from_epochs(cfg, upe, rounding=rounding)["warmup_steps"] == want


def test_numpy_scalars_convert_like_python_numbers():
    cfg = {"schedule": "warmup_linear_decay", "peak_value": 1.0,
           "warmup_epochs": np.float64(0.25), "total_epochs": np.int64(3)}
    assert steps_from_epochs(cfg, 40, 4) == {"schedule": "warmup_linear_decay", "peak_value": 1.0,
                                             "warmup_steps": 3, "total_steps": 30}


def test_every_epoch_key_of_the_catalogue():
    upe = 10  # 40 micro-batches, 4 accumulated
    cases = [
        ({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_epochs": 1, "stable_epochs": 2,
          "decay_epochs": 1.5}, {"warmup_steps": 10, "stable_steps": 20, "decay_steps": 15}),
        ({"schedule": "tri_stage", "peak_value": 1.0, "warmup_epochs": 0.5, "hold_epochs": 1,
          "decay_epochs": 2}, {"warmup_steps": 5, "hold_steps": 10, "decay_steps": 20}),
        ({"schedule": "warmup_cosine_restarts", "peak_value": 1.0, "warmup_epochs": 0.2,
          "cycle_epochs": 2.5}, {"warmup_steps": 2, "cycle_steps": 25}),
        ({"schedule": "warmup_exponential_decay", "peak_value": 1.0, "warmup_epochs": 1,
          "transition_epochs": 0.3, "decay_rate": 0.5}, {"warmup_steps": 10, "transition_steps": 3}),
        ({"schedule": "one_cycle", "peak_value": 1.0, "total_epochs": 4}, {"total_steps": 40}),
        ({"schedule": "noam", "d_model": 512, "warmup_epochs": 0.45}, {"warmup_steps": 5}),
        ({"schedule": "legacy_noam", "max_lr": 0.01, "warmup_epochs": 3}, {"warmup_steps": 30}),
        ({"schedule": "warmup_inverse_sqrt", "peak_value": 1.0, "warmup_epochs": 1}, {"warmup_steps": 10}),
        ({"schedule": "warmup_polynomial_decay", "peak_value": 1.0, "warmup_epochs": 1,
          "total_epochs": 5, "power": 2.0}, {"warmup_steps": 10, "total_steps": 50}),
    ]
    for cfg, steps in cases:
        out = steps_from_epochs(cfg, steps_per_epoch=40, grad_accum=4)
        assert updates_per_epoch(40, 4) == upe
        rest = {k: v for k, v in cfg.items() if not k.endswith("_epochs")}
        assert out == {**rest, **steps}, cfg["schedule"]
        spec_from_config(out)


def test_epoch_keys_follow_the_steps_parameters():
    assert epoch_keys("warmup_cosine_decay") == {"warmup_epochs": "warmup_steps", "total_epochs": "total_steps"}
    assert epoch_keys("join") == {"boundary_epochs": "boundaries"}
    assert epoch_keys("scaled") == {}
    assert epoch_keys("with_warmup") == {"warmup_epochs": "warmup_steps"}


def test_nested_combinators_and_mixed_units():
    cfg = {
        "schedule": "join",
        "boundary_epochs": [0.5, 2],
        "schedules": [
            {"schedule": "warmup_constant", "peak_value": 0.1, "warmup_epochs": 0.5},
            {"schedule": "scaled", "factor": 0.5,
             "base": {"schedule": "warmup_linear_decay", "peak_value": 0.1, "warmup_steps": 0,
                      "total_epochs": 1.5}},
            {"schedule": "with_warmup", "warmup_epochs": 0.25,
             "base": {"schedule": "warmup_cosine_decay", "peak_value": 0.05, "warmup_steps": 0,
                      "total_epochs": 3}},
        ],
    }
    out = steps_from_epochs(cfg, steps_per_epoch=60, grad_accum=3)  # 20 updates / epoch
    assert out == {
        "schedule": "join",
        "boundaries": [10, 40],
        "schedules": [
            {"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 10},
            {"schedule": "scaled", "factor": 0.5,
             "base": {"schedule": "warmup_linear_decay", "peak_value": 0.1, "warmup_steps": 0,
                      "total_steps": 30}},
            {"schedule": "with_warmup", "warmup_steps": 5,
             "base": {"schedule": "warmup_cosine_decay", "peak_value": 0.05, "warmup_steps": 0,
                      "total_steps": 60}},
        ],
    }
    # the converted config builds the same lr in both frameworks
    jax_lr = warmup_jax.schedule_from_config(out)
    torch_lr = warmup_torch.schedule_from_config(out)
    for t in (0, 9, 10, 39, 40, 44, 45, 120):
        assert float(jax_lr(t)) == pytest.approx(torch_lr(t), rel=1e-6, abs=1e-12)


def test_config_without_epoch_keys_comes_back_equal():
    cfg = {"schedule": "warmup_linear_decay", "peak_value": 0.1, "warmup_steps": 5, "total_steps": 50}
    out = steps_from_epochs(cfg, 10, 2)
    assert out == cfg and out is not cfg


def test_same_object_in_both_packages():
    assert warmup_jax.steps_from_epochs is warmup_spec.steps.steps_from_epochs
    assert warmup_torch.steps_from_epochs is warmup_spec.steps.steps_from_epochs
    assert "steps_from_epochs" in warmup_jax.__all__
    assert "steps_from_epochs" in warmup_torch.__all__


# --- validation ----------------------------------------------------------------------

COSINE_EPOCHS = {"schedule": "warmup_cosine_decay", "peak_value": 0.1, "warmup_epochs": 1, "total_epochs": 3}


@pytest.mark.parametrize(
    ("cfg", "kwargs", "message"),
    [
        ({**COSINE_EPOCHS, "foo_epochs": 1}, {},
         "warmup_cosine_decay: foo_epochs=1 is invalid; expected an epoch key of warmup_cosine_decay: "
         "warmup_epochs, total_epochs"),
        ({"schedule": "warmup_constant", "peak_value": 1.0, "total_epochs": 3}, {},
         "warmup_constant: total_epochs=3 is invalid; expected an epoch key of warmup_constant: warmup_epochs"),
        ({"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_epochs": 1, "stable_epochs": 1,
          "decay_epochs": 1, "total_epochs": 3}, {},
         "warmup_stable_decay: total_epochs=3 is invalid; expected an epoch key of warmup_stable_decay: "
         "warmup_epochs, stable_epochs, decay_epochs"),
        ({"schedule": "scaled", "factor": 2.0, "warmup_epochs": 1,
          "base": {"schedule": "warmup_constant", "peak_value": 1.0}}, {},
         "scaled: warmup_epochs=1 is invalid; expected no *_epochs key (scaled has no *_steps parameter)"),
        ({**COSINE_EPOCHS, "warmup_steps": 5}, {},
         "warmup_cosine_decay: warmup_epochs=1 is invalid; expected either warmup_epochs or warmup_steps, not both"),
        ({**COSINE_EPOCHS, "warmup_epochs": -0.5}, {},
         "warmup_cosine_decay: warmup_epochs=-0.5 is invalid; expected a finite number >= 0.0"),
        ({**COSINE_EPOCHS, "total_epochs": float("nan")}, {},
         "warmup_cosine_decay: total_epochs=nan is invalid; expected a finite number >= 0.0"),
        ({**COSINE_EPOCHS, "total_epochs": True}, {},
         "warmup_cosine_decay: total_epochs=True is invalid; expected a finite number >= 0.0"),
        ({**COSINE_EPOCHS, "total_epochs": "3"}, {},
         "warmup_cosine_decay: total_epochs='3' is invalid; expected a finite number >= 0.0"),
        ({"schedule": "join", "boundary_epochs": 1, "schedules": [{"schedule": "warmup_constant", "peak_value": 1.0}] * 2}, {},
         "join: boundary_epochs=1 is invalid; expected a list of epoch boundaries"),
        ({"schedule": "join", "boundary_epochs": [-1], "schedules": [{"schedule": "warmup_constant", "peak_value": 1.0}] * 2}, {},
         "join: boundary_epochs[0]=-1 is invalid; expected a finite number >= 0.0"),
        (COSINE_EPOCHS, {"steps_per_epoch": 0},
         "steps_from_epochs: steps_per_epoch=0 is invalid; expected an integer >= 1"),
        (COSINE_EPOCHS, {"grad_accum": 0},
         "steps_from_epochs: grad_accum=0 is invalid; expected an integer >= 1"),
        (COSINE_EPOCHS, {"grad_accum": 2.0},
         "steps_from_epochs: grad_accum=2.0 is invalid; expected an integer >= 1"),
        (COSINE_EPOCHS, {"rounding": "up"},
         "steps_from_epochs: rounding='up' is invalid; expected one of 'nearest', 'ceil', 'floor'"),
        # a nested error names the nested schedule
        ({"schedule": "with_warmup", "warmup_epochs": 1,
          "base": {"schedule": "warmup_constant", "peak_value": 1.0, "decay_epochs": 2}}, {},
         "warmup_constant: decay_epochs=2 is invalid; expected an epoch key of warmup_constant: warmup_epochs"),
        # converted values are validated by the schedule itself
        ({**COSINE_EPOCHS, "warmup_epochs": 1, "total_epochs": 1}, {},
         "warmup_cosine_decay: total_steps=10 is invalid; expected an integer > warmup_steps (10)"),
        ({"schedule": "noam", "d_model": 512, "warmup_epochs": 0.01}, {},
         "noam: warmup_steps=0 is invalid; expected an integer >= 1"),
        ({"peak_value": 1.0, "warmup_epochs": 1}, {}, "config: missing key 'schedule'"),
        ({"schedule": "cosine", "warmup_epochs": 1}, {}, "config: schedule='cosine' is invalid; expected one of"),
        ({"schedule": ["cosine"], "warmup_epochs": 1}, {}, "config: schedule=['cosine'] is invalid; expected one of"),
    ],
)
def test_errors(cfg, kwargs, message):
    args = {"steps_per_epoch": 10, "grad_accum": 1, **kwargs}
    with pytest.raises(ValueError) as info:
        steps_from_epochs(cfg, **args)
    text = str(info.value)
    assert text.startswith(message), text
    if "missing key" not in message:
        assert ERROR_FORMAT.match(text), text


def test_not_a_mapping():
    with pytest.raises(ValueError, match=r"^steps_from_epochs: cfg=\[1\] is invalid; expected a mapping"):
        steps_from_epochs([1], 10)  # type: ignore[arg-type]


# --- training parity with gradient accumulation ----------------------------------------

N_FEAT, MICRO = 5, 4  # features, examples per micro-batch


def _data(n_micro: int):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n_micro, MICRO, N_FEAT))
    y = x @ rng.standard_normal(N_FEAT) + 0.1 * rng.standard_normal((n_micro, MICRO))
    return x, y


def _optax_multisteps(cfg, x, y, k, epochs):
    """optax side: MultiSteps(sgd) over ``epochs`` passes of the micro-batches; records
    (lr, params) at every emitted update (float64)."""
    import jax
    import jax.numpy as jnp
    import optax

    with jax.enable_x64(True):
        inner = optax.inject_hyperparams(optax.sgd)(learning_rate=warmup_jax.schedule_from_config(cfg))
        # MultiSteps accumulates in float32 unless told: float64 to compare at 1e-12
        tx = optax.MultiSteps(inner, every_k_schedule=k, accumulator_dtype=jnp.float64)
        w = jnp.zeros(N_FEAT, jnp.float64)
        state = tx.init(w)

        @jax.jit
        def step(w, state, xb, yb):
            g = jax.grad(lambda w: jnp.mean((xb @ w - yb) ** 2))(w)
            u, state = tx.update(g, state, w)
            return optax.apply_updates(w, u), state

        lrs, params = [], []
        for _ in range(epochs):
            for xb, yb in zip(x, y):
                w, state = step(w, state, jnp.asarray(xb), jnp.asarray(yb))
                if bool(tx.has_updated(state)):
                    lrs.append(float(state.inner_opt_state.hyperparams["learning_rate"]))
                    params.append(np.asarray(w))
        return lrs, params, int(state.gradient_step)


def _torch_accumulation(cfg, x, y, k, epochs, flush_at_epoch_end=True):
    """torch side: loss / window backward per micro-batch, optimizer.step() and
    scheduler.step() every ``k`` micro-batches and (HF-style) at the end of each epoch."""
    import torch

    w = torch.zeros(N_FEAT, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0)
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    xs, ys = torch.as_tensor(x), torch.as_tensor(y)
    n = len(xs)
    lrs, params = [], []
    for _ in range(epochs):
        for i in range(n):
            start = (i // k) * k
            window = min(k, n - start) if flush_at_epoch_end else k
            loss = torch.mean((xs[i] @ w - ys[i]) ** 2) / window
            loss.backward()
            if (i + 1) % k == 0 or (flush_at_epoch_end and i + 1 == n):
                lrs.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
                opt.zero_grad()
                params.append(w.detach().numpy().copy())
    return lrs, params, sched.last_epoch


def test_multisteps_and_torch_accumulation_see_the_same_lr_per_update():
    spe, k, epochs = 12, 3, 4  # 4 updates an epoch, 16 in all
    cfg = steps_from_epochs(
        {"schedule": "warmup_cosine_decay", "peak_value": 0.05, "warmup_epochs": 1.5,
         "total_epochs": epochs, "end_value": 0.005},
        steps_per_epoch=spe, grad_accum=k,
    )
    assert (cfg["warmup_steps"], cfg["total_steps"]) == (6, 16)
    x, y = _data(spe)
    jax_lrs, jax_params, jax_updates = _optax_multisteps(cfg, x, y, k, epochs)
    torch_lrs, torch_params, torch_updates = _torch_accumulation(cfg, x, y, k, epochs)

    spec = spec_from_config(cfg)
    want = [reference(spec, j) for j in range(16)]
    assert jax_updates == torch_updates == len(jax_lrs) == len(torch_lrs) == cfg["total_steps"]
    np.testing.assert_allclose(jax_lrs, want, rtol=1e-12, atol=0)
    np.testing.assert_allclose(torch_lrs, want, rtol=1e-12, atol=0)
    assert want[0] == 0.0 and want[6] == pytest.approx(0.05) and want[15] > 0.005
    # same updates, so the same parameters after each one
    for j, (a, b) in enumerate(zip(jax_params, torch_params)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"update {j}")
    assert np.abs(jax_params[-1]).max() > 0.1  # the model did train


def test_partial_window_at_epoch_end_torch_flushes_multisteps_does_not():
    """10 micro-batches an epoch, k=3: the flushing torch loop makes ceil(10/3) = 4
    updates an epoch, as the converted config counts; MultiSteps carries the partial
    window into the next epoch and makes floor(20/3) = 6 updates in 2 epochs."""
    spe, k, epochs = 10, 3, 2
    cfg = steps_from_epochs({"schedule": "warmup_linear_decay", "peak_value": 0.05,
                             "warmup_epochs": 0.5, "total_epochs": epochs},
                            steps_per_epoch=spe, grad_accum=k)
    assert (cfg["warmup_steps"], cfg["total_steps"]) == (2, 8)
    x, y = _data(spe)
    torch_lrs, _, torch_updates = _torch_accumulation(cfg, x, y, k, epochs)
    assert torch_updates == len(torch_lrs) == 8 == cfg["total_steps"]
    spec = spec_from_config(cfg)
    np.testing.assert_allclose(torch_lrs, [reference(spec, j) for j in range(8)], rtol=1e-12)
    assert torch_lrs[-1] > 0  # the last update is the schedule's last non-final step
    _, _, jax_updates = _optax_multisteps(cfg, x, y, k, epochs)
    assert jax_updates == math.floor(epochs * spe / k) == 6


def test_per_epoch_stepping_recipe():
    """Stepping once per epoch: the config counts epochs; torch calls scheduler.step()
    after each epoch, optax evaluates the schedule at count // updates_per_epoch."""
    import jax
    import optax
    import torch

    cfg = {"schedule": "warmup_linear_decay", "peak_value": 0.1, "warmup_steps": 2, "total_steps": 5}
    upe, epochs = 3, 6
    sched = warmup_jax.schedule_from_config(cfg)
    with jax.enable_x64(True):
        tx = optax.inject_hyperparams(optax.sgd)(learning_rate=lambda count: sched(count // upe))
        w = jax.numpy.zeros(2)
        state = tx.init(w)
        jax_lrs = []
        for _ in range(epochs * upe):
            _, state = tx.update(jax.numpy.ones(2), state, w)
            jax_lrs.append(float(state.hyperparams["learning_rate"]))
    p = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    scheduler = warmup_torch.scheduler_from_config(opt, cfg)
    torch_lrs = []
    for _ in range(epochs):
        for _ in range(upe):
            torch_lrs.append(opt.param_groups[0]["lr"])
            p.grad = torch.ones(2)
            opt.step()
        scheduler.step()  # once per epoch
    want = [0.0, 0.05, 0.1, 0.1 * 2 / 3, 0.1 / 3, 0.0]
    np.testing.assert_allclose(torch_lrs, np.repeat(want, upe), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jax_lrs, np.repeat(want, upe), rtol=1e-6, atol=1e-9)


def test_epoch_keys_of_list_parameters():
    """A list of ``*_steps`` takes ``*_epochs``; a plural list takes its singular."""
    from warmup_spec.steps import epoch_keys

    assert epoch_keys("warmup_stable_decay_cycles") == {
        "warmup_epochs": "warmup_steps", "stable_epochs": "stable_steps", "decay_epochs": "decay_steps"}
    assert epoch_keys("join") == {"boundary_epochs": "boundaries"}
    assert epoch_keys("keras.PiecewiseConstantDecay") == {"boundary_epochs": "boundaries"}


def test_no_epochs_inside_a_sample_clock():
    base = {"schedule": "warmup_cosine_decay", "peak_value": 1.0, "warmup_epochs": 1, "total_epochs": 3}
    with pytest.raises(ValueError, match=r"sample_clock: base=.* is invalid; expected a base in samples or tokens"):
        steps_from_epochs({"schedule": "sample_clock", "base": base, "batch_size": 8}, steps_per_epoch=10)
