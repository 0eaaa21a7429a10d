"""LLM continuation (issue 12, item 5): WSD cycles with a re-warmup from the previous end
(``warmup_stable_decay_cycles``), a cooldown from any step of any schedule (``decay_from``),
the zero tail of both, and the lr as a function of the samples or tokens seen under Megatron's
batch-size ramp (``sample_clock``), in every front end (JAX float32 jit, JAX x64, the torch
callable and the torch scheduler driving an optimizer) against the float64 reference and
against values worked out by hand."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import warmup_jax
import warmup_torch
from parity_tests.conftest import TOL_F32, TOL_F64, assert_close
from parity_tests.jitted import JitTables
from warmup_spec import Schedule, spec_from_config, spec_to_config, steps_from_epochs
from warmup_spec.catalogue.sample_clock import ramp_stages
from warmup_spec.reference import reference, reference_table

pi, cos, sqrt = math.pi, math.cos, math.sqrt

WSD = {"schedule": "warmup_stable_decay", "peak_value": 1e-3, "warmup_steps": 50, "stable_steps": 400,
       "decay_steps": 200, "end_value": 1e-5}
COSINE = {"schedule": "warmup_cosine_decay", "peak_value": 3e-4, "warmup_steps": 100, "total_steps": 1000,
          "end_value": 3e-6}
TOKENS = {"schedule": "warmup_cosine_decay", "peak_value": 6e-4, "warmup_steps": 20_000,
          "total_steps": 3_000_000, "end_value": 6e-5}  # in tokens: 2048 tokens a sample below

CASES = {
    "cycles-3": {"schedule": "warmup_stable_decay_cycles", "peak_values": [1e-3, 8e-4, 6e-4],
                 "warmup_steps": [100, 50, 50], "stable_steps": [500, 300, 200], "decay_steps": [200, 150, 300],
                 "end_values": [1e-4, 5e-5, 0.0]},
    "cycles-cosine-tail": {"schedule": "warmup_stable_decay_cycles", "peak_values": [2e-3, 2e-3],
                           "warmup_steps": [0, 30], "stable_steps": [100, 0], "decay_steps": [77, 123],
                           "end_values": [2e-4, 1e-5], "decay_shape": "cosine", "warmup_shape": "cosine",
                           "zero_tail": True},
    "cycles-exp-1sqrt": {"schedule": "warmup_stable_decay_cycles", "peak_values": [1e-3, 5e-4],
                         "warmup_steps": [200, 100], "stable_steps": [300, 300], "decay_steps": [300, 500],
                         "end_values": [1e-5, 5e-6], "decay_shape": "1-sqrt", "warmup_shape": "exponential",
                         "init_value": 1e-6},
    "decay-wsd-stable": {"schedule": "decay_from", "base": WSD, "base_steps": 300, "decay_steps": 120},
    "decay-cosine-mid": {"schedule": "decay_from", "base": COSINE, "base_steps": 420, "decay_steps": 250,
                         "end_value": 1e-6, "decay_shape": "1-sqrt", "zero_tail": True},
    "decay-in-warmup": {"schedule": "decay_from", "base": COSINE, "base_steps": 37, "decay_steps": 63,
                        "decay_shape": "cosine"},
    "samples": {"schedule": "sample_clock", "base": COSINE, "batch_size": 4},
    "samples-ramp": {"schedule": "sample_clock", "batch_size": 96, "rampup_start": 16, "rampup_increment": 16,
                     "rampup_samples": 10_000,
                     "base": {"schedule": "warmup_linear_decay", "peak_value": 1e-3, "warmup_steps": 5_000,
                              "total_steps": 60_000}},
    "tokens-ramp": {"schedule": "sample_clock", "base": TOKENS, "batch_size": 12, "tokens_per_sample": 2048,
                    "rampup_start": 3, "rampup_increment": 3, "rampup_samples": 400},
    "tokens-of-cycles": {"schedule": "sample_clock", "batch_size": 8, "tokens_per_sample": 16,
                         "base": {"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 0.5],
                                  "warmup_steps": [160, 800], "stable_steps": [3000, 0],
                                  "decay_steps": [1600, 1600], "end_values": [0.1, 0.0], "zero_tail": True}},
    "decay-of-a-clock": {"schedule": "decay_from", "base_steps": 500, "decay_steps": 100,
                         "base": {"schedule": "sample_clock", "base": COSINE, "batch_size": 2,
                                  "rampup_start": 1, "rampup_increment": 1, "rampup_samples": 300}},
}
IDS = list(CASES)


def _steps(cfg: dict) -> np.ndarray:
    end = spec_from_config(cfg).end_step
    return np.arange((end + max(50, end // 10)) if end is not None else 3000)


@functools.cache
def _jitted() -> JitTables:
    """The x64 (int64 steps) and float32 (int32 steps) ``jit(vmap)`` of every case, each config
    jitted as a user jits it, all in one program a form (:class:`parity_tests.jitted.JitTables`,
    which checks each form's dtype)."""
    return JitTables(list(CASES.values()), [_steps(cfg) for cfg in CASES.values()])


@pytest.mark.xdist_group("test_llm_schedules")
@pytest.mark.parametrize("cfg", list(CASES.values()), ids=IDS)
def test_every_front_end_matches_the_reference(cfg: dict) -> None:
    steps = _steps(cfg)
    ref = np.asarray(reference_table(spec_from_config(cfg), steps))
    got64, got32 = _jitted().get(IDS.index(next(k for k, c in CASES.items() if c is cfg)))
    assert_close(got32, ref, TOL_F32, "jax float32")
    assert_close(got64, ref, TOL_F64, "jax x64")
    f = warmup_torch.schedule_from_config(cfg)
    assert_close([f(int(t)) for t in steps], ref, TOL_F64, "torch callable")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=123.0)
    scheduler = warmup_torch.scheduler_from_config(opt, cfg)
    seen = []
    for _ in steps:
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    assert_close(seen, ref, TOL_F64, "torch scheduler")
    assert spec_from_config(spec_to_config(spec_from_config(cfg))) == spec_from_config(cfg)


# --------------------------------------------------------------------------- by hand

C4 = (1 + cos(pi / 4)) / 2
HAND = [
    # two cycles: warm 0 -> 1, hold, decay to 0.4; re-warm 0.4 -> 0.8 from there, hold, decay to 0
    ({"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 0.8], "warmup_steps": [2, 2],
      "stable_steps": [1, 1], "decay_steps": [2, 2], "end_values": [0.4, 0.0]},
     {0: 0.0, 1: 0.5, 2: 1.0, 3: 1.0, 4: 0.7, 5: 0.4, 6: 0.6, 7: 0.8, 8: 0.8, 9: 0.4, 10: 0.0, 99: 0.0}),
    # no first warmup, a cosine re-warmup and decay, then the zero tail
    ({"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 0.5], "warmup_steps": [0, 4],
      "stable_steps": [2, 0], "decay_steps": [4, 4], "end_values": [0.25, 0.1], "decay_shape": "cosine",
      "warmup_shape": "cosine", "zero_tail": True},
     {0: 1.0, 2: 1.0, 3: 0.25 + 0.75 * C4, 4: 0.625, 5: 0.25 + 0.75 * (1 - C4), 6: 0.25,
      7: 0.25 + 0.25 * (1 - C4), 8: 0.375, 10: 0.5, 11: 0.1 + 0.4 * C4, 13: 0.1 + 0.4 * (1 - C4), 14: 0.0, 20: 0.0}),
    # an exponential re-warmup from the previous end: 1/8 -> 1 over 3 steps doubles each step
    ({"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 1.0], "warmup_steps": [1, 3],
      "stable_steps": [0, 0], "decay_steps": [1, 4], "end_values": [0.125, 0.0], "decay_shape": "1-sqrt",
      "warmup_shape": "exponential", "init_value": 0.5},
     {0: 0.5, 1: 1.0, 2: 0.125, 3: 0.25, 4: 0.5, 5: 1.0, 6: 0.5, 7: 1 - sqrt(0.5), 8: 1 - sqrt(0.75), 9: 0.0}),
    # a cooldown from step 6 of a WSD's stable phase (value 1.0) over 4 steps to 0.2
    ({"schedule": "decay_from", "base_steps": 6, "decay_steps": 4, "end_value": 0.2,
      "base": {"schedule": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 2, "stable_steps": 20,
               "decay_steps": 10}},
     {0: 0.0, 1: 0.5, 5: 1.0, 6: 1.0, 7: 0.8, 8: 0.6, 9: 0.4, 10: 0.2, 1000: 0.2}),
    # from step 3 of a linear decay 1 -> 0 over 8 steps (value 5/8), cosine, zero tail
    ({"schedule": "decay_from", "base_steps": 3, "decay_steps": 4, "decay_shape": "cosine", "end_value": 0.125,
      "zero_tail": True,
      "base": {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 0, "total_steps": 8}},
     {0: 1.0, 2: 0.75, 3: 0.625, 4: 0.125 + 0.5 * (1 + cos(pi / 4)) / 2, 5: 0.375, 6: 0.125 + 0.5 * (1 - C4),
      7: 0.0, 50: 0.0}),
    # from step 0: the whole schedule is the cooldown from base(0)
    ({"schedule": "decay_from", "base_steps": 0, "decay_steps": 4, "decay_shape": "1-sqrt",
      "base": {"schedule": "warmup_constant", "peak_value": 2.0, "warmup_steps": 0}},
     {0: 2.0, 1: 1.0, 2: 2 * (1 - sqrt(0.5)), 3: 2 * (1 - sqrt(0.75)), 4: 0.0}),
    # samples: batch 4 -> the base at 0, 4, 8, ...; the linear decay 1 -> 0 over 40 samples
    ({"schedule": "sample_clock", "batch_size": 4,
      "base": {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 8, "total_steps": 40}},
     {0: 0.0, 1: 0.5, 2: 1.0, 3: 1 - 4 / 32, 9: 1 - 28 / 32, 10: 0.0, 11: 0.0}),
]
HAND_IDS = [f"{cfg['schedule']}-{k}" for k, (cfg, _) in enumerate(HAND)]


@functools.cache
def _hand_jits() -> list[list[dict[int, float]]]:
    """[float32, x64]: each hand case's schedule jitted on a scalar int32 step (as optax calls
    it) at its steps, every case in one program a mode."""
    steps = sorted({t for _, expected in HAND for t in expected})
    out = []
    for x64 in (False, True):
        with jax.enable_x64(x64):
            scheds = [warmup_jax.schedule_from_config(cfg) for cfg, _ in HAND]
            program = jax.jit(lambda t, scheds=scheds: [s(t) for s in scheds])
            at = {t: program(jnp.int32(t)) for t in steps}
            assert {v.dtype for vs in at.values() for v in vs} == {jnp.dtype("float64" if x64 else "float32")}
            out.append([{t: float(at[t][k]) for t in expected} for k, (_, expected) in enumerate(HAND)])
    return out


@pytest.mark.xdist_group("test_llm_schedules")
@pytest.mark.parametrize("k", range(len(HAND)), ids=HAND_IDS)
def test_hand_values(k: int) -> None:
    cfg, expected = HAND[k]
    spec = spec_from_config(cfg)
    peak = max(expected.values())
    f = warmup_torch.schedule_from_config(cfg)
    got32, got64 = _hand_jits()[0][k], _hand_jits()[1][k]
    for t, want in expected.items():
        assert reference(spec, t) == pytest.approx(want, rel=1e-14, abs=1e-15), f"reference t={t}"
        assert f(t) == pytest.approx(want, rel=1e-13, abs=1e-15 * peak), f"torch t={t}"
        assert got64[t] == pytest.approx(want, rel=1e-13, abs=1e-15 * peak), f"jax x64 t={t}"
        assert got32[t] == pytest.approx(want, rel=1e-6, abs=1e-7 * peak), f"jax f32 t={t}"


# Megatron's ramp (--rampup-batch-size 2 2 12, global batch 8): the batch grows by 2 every
# 12 / 3 = 4 samples consumed: before update k the samples seen are 0, 2, 4, 8, 14, 22, 30, ...
# (batches 2, 2, 4, 6, 8, 8, ...), 16 tokens a sample. The base is a linear warmup over 128 tokens
# to 1.0 and a linear decay to 0 at 480 tokens.
RAMP = {"schedule": "sample_clock", "batch_size": 8, "tokens_per_sample": 16, "rampup_start": 2,
        "rampup_increment": 2, "rampup_samples": 12,
        "base": {"schedule": "warmup_linear_decay", "peak_value": 1.0, "warmup_steps": 128, "total_steps": 480}}
RAMP_TABLE = [  # (update, batch size, samples seen before it, tokens seen, lr)
    (0, 2, 0, 0, 0.0),
    (1, 2, 2, 32, 0.25),
    (2, 4, 4, 64, 0.5),
    (3, 6, 8, 128, 1.0),
    (4, 8, 14, 224, 1 - 96 / 352),
    (5, 8, 22, 352, 1 - 224 / 352),
    (6, 8, 30, 480, 0.0),
    (7, 8, 38, 608, 0.0),
]


def test_token_clock_under_a_ramped_batch_size_by_hand() -> None:
    spec = spec_from_config(RAMP)
    assert spec.stages == ramp_stages(8, 2, 2, 12) == ((0, 0, 2), (2, 4, 4), (3, 8, 6), (4, 14, 8))
    f = warmup_torch.schedule_from_config(RAMP)
    jax32 = jax.jit(jax.vmap(warmup_jax.schedule_from_config(RAMP)))
    steps = jnp.arange(len(RAMP_TABLE), dtype=jnp.int32)
    with jax.enable_x64(True):
        lrs64 = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(RAMP)))(steps))
    lrs32 = np.asarray(jax32(steps))
    for k, batch, samples, tokens, lr in RAMP_TABLE:
        assert spec.batch_size_at(k) == batch and spec.samples_seen(k) == samples and 16 * samples == tokens
        assert reference(spec, k) == pytest.approx(lr, rel=1e-15, abs=1e-16)
        assert f(k) == pytest.approx(lr, rel=1e-15, abs=1e-16)
        assert lrs64[k] == pytest.approx(lr, rel=1e-15, abs=1e-16)
        assert lrs32[k] == pytest.approx(lr, rel=1e-6, abs=1e-7)
    assert spec.end_step == 6 and spec.warmup() == (3, (3,))


def test_megatron_ramp_is_its_float_division() -> None:
    """``int(c / (samples / n))`` with a per-increment length that is not an integer (10/3): the
    stage edges fall where Megatron's float division puts them, checked update by update."""
    samples, start, inc, batch = 10, 1, 1, 4
    per = samples / ((batch - start) // inc)
    consumed, got = 0, []
    for _ in range(12):
        b = batch if consumed > samples else start + int(consumed / per) * inc
        got.append((consumed, b))
        consumed += b
    spec = spec_from_config({"schedule": "sample_clock", "base": {"schedule": "warmup_constant", "peak_value": 1.0},
                             "batch_size": batch, "rampup_start": start, "rampup_increment": inc,
                             "rampup_samples": samples})
    assert [(spec.samples_seen(k), spec.batch_size_at(k)) for k in range(12)] == got
    assert got[:6] == [(0, 1), (1, 1), (2, 1), (3, 1), (4, 2), (6, 2)]


def test_gpt3_scale_token_clock_needs_int64_in_jax() -> None:
    """GPT-3's recipe (375M warmup tokens, cosine to 10% at 260B tokens, the batch ramped from 32 to
    1536 sequences of 2048 tokens over the first 4.9M samples): past int32, so JAX without x64 says
    what to do, and with x64 (int64 clock) equals the float64 closed form and the reference."""
    cfg = {"schedule": "sample_clock", "batch_size": 1536, "tokens_per_sample": 2048, "rampup_start": 32,
           "rampup_increment": 32, "rampup_samples": 4_882_812,
           "base": {"schedule": "warmup_cosine_decay", "peak_value": 6e-4, "warmup_steps": 375_000_000,
                    "total_steps": 260_000_000_000, "end_value": 6e-5}}
    with pytest.raises(ValueError) as err:
        warmup_jax.schedule_from_config(cfg)(0)
    assert str(err.value).startswith("sample_clock: the base ends at 260000000000 tokens, past the largest clock "
                                     "of this integer dtype (2147483647: JAX without jax_enable_x64 counts in int32)")
    spec = spec_from_config(cfg)
    steps = [0, 1, 3246, 3247, 5000, 14410, 20000, 50_000, spec.end_step - 1, spec.end_step, 2**31 - 1]
    f = Schedule(spec)
    with jax.enable_x64(True):
        got = np.asarray(jax.jit(jax.vmap(warmup_jax.schedule_from_config(cfg)))(jnp.asarray(steps, jnp.int32)))
    ref = [reference(spec, k) for k in steps]
    assert_close(got, ref, TOL_F64, "jax x64", peak=6e-4)
    assert_close([f(k) for k in steps], ref, TOL_F64, "torch", peak=6e-4)
    assert spec.samples_seen(spec.end_step) * 2048 >= 260_000_000_000 > spec.samples_seen(spec.end_step - 1) * 2048


def test_a_sample_clock_over_a_base_that_never_ends_holds_at_the_int32_maximum() -> None:
    cfg = {"schedule": "sample_clock", "batch_size": 3,
           "base": {"schedule": "warmup_inverse_sqrt", "peak_value": 1.0, "warmup_steps": 10}}
    g = jax.jit(warmup_jax.schedule_from_config(cfg))
    k_sat = (2**31 - 1) // 3  # the last update whose clock fits int32
    f = Schedule(cfg)
    for k in (k_sat - 1, k_sat):
        assert float(g(jnp.int32(k))) == pytest.approx(f(k), rel=1e-6)
    assert float(g(jnp.int32(2**31 - 1))) == float(g(jnp.int32(k_sat)))  # held, as optax's count holds
    tokens = {**cfg, "tokens_per_sample": 4}
    with pytest.raises(ValueError, match="a token clock over a base that never ends passes the largest clock"):
        warmup_jax.schedule_from_config(tokens)(0)
    with jax.enable_x64(True):
        assert float(jax.jit(warmup_jax.schedule_from_config(tokens))(jnp.int32(2**31 - 1))) == pytest.approx(
            Schedule(tokens)(2**31 - 1), rel=1e-14)


# --------------------------------------------------------------------------- facts and errors


def test_cycles_are_continuous_and_decay_from_starts_at_the_base_value() -> None:
    cycles = spec_from_config(CASES["cycles-3"])
    f = Schedule(cycles)
    for start, end in ((800, 1e-4), (1300, 5e-5)):  # each re-warmup starts at the previous end
        assert f(start) == end
    assert [k for k, kind in cycles.events() if kind.startswith("end of cycle")] == [800, 1300]
    port = {"schedule": "decay_from", "base_steps": 500, "decay_steps": 300, "end_value": 1e-5,
            "base": {"schedule": "transformers.get_inverse_sqrt_schedule", "lr": 1e-3, "num_warmup_steps": 100}}
    for cfg in (CASES["decay-wsd-stable"], CASES["decay-cosine-mid"], CASES["decay-in-warmup"], port):
        spec = spec_from_config(cfg)
        k = spec.base_steps
        assert Schedule(spec)(k) == Schedule(spec.base)(k) and Schedule(spec)(k - 1) == Schedule(spec.base)(k - 1)


@pytest.mark.parametrize("cfg,message", [
    ({"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 1.0], "warmup_steps": [1], "stable_steps": [1, 1],
      "decay_steps": [1, 1], "end_values": [0.0, 0.0]},
     "warmup_stable_decay_cycles: warmup_steps=[1] is invalid; expected a list of 2 values (one per cycle, as peak_values)"),
    ({"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 1.0], "warmup_steps": [1, 1],
      "stable_steps": [1, 1], "decay_steps": [1, 0], "end_values": [0.0, 0.0]},
     "warmup_stable_decay_cycles: decay_steps[1]=0 is invalid; expected an integer >= 1"),
    ({"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 0.5], "warmup_steps": [1, 1],
      "stable_steps": [1, 1], "decay_steps": [1, 1], "end_values": [0.0, 0.6]},
     "warmup_stable_decay_cycles: end_values[1]=0.6 is invalid; expected a finite number in [0.0, 0.5]"),
    ({"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 1.0], "warmup_steps": [1, 1],
      "stable_steps": [1, 1], "decay_steps": [1, 1], "end_values": [0.0, 0.0], "warmup_shape": "exponential",
      "init_value": 0.1},
     "warmup_stable_decay_cycles: end_values[0]=0.0 is invalid; expected a finite number > 0 with "
     "warmup_shape='exponential' (the next cycle's warmup starts there)"),
    ({"schedule": "decay_from", "base": COSINE, "base_steps": 500, "decay_steps": 10, "end_value": 1e-3},
     "decay_from: end_value=0.001 is invalid; expected a finite number in [0.0, 0.0001772867543835391] (the "
     "base's value at step 500)"),
    ({"schedule": "decay_from", "base": COSINE, "base_steps": -1, "decay_steps": 10},
     "decay_from: base_steps=-1 is invalid; expected an integer >= 0"),
    ({"schedule": "sample_clock", "base": COSINE, "batch_size": 8, "rampup_start": 8, "rampup_increment": 1,
      "rampup_samples": 10}, "sample_clock: rampup_start=8 is invalid; expected an integer in [1, batch_size) = [1, 8)"),
    ({"schedule": "sample_clock", "base": COSINE, "batch_size": 8, "rampup_start": 2, "rampup_increment": 4,
      "rampup_samples": 10},
     "sample_clock: rampup_increment=4 is invalid; expected an integer >= 1 dividing batch_size - rampup_start (6)"),
    ({"schedule": "sample_clock", "base": COSINE, "batch_size": 8, "rampup_start": 2},
     "sample_clock: rampup_increment=None is invalid; expected an integer (a ramp needs rampup_start, "
     "rampup_increment and rampup_samples)"),
    ({"schedule": "sample_clock", "base": COSINE, "batch_size": 0},
     "sample_clock: batch_size=0 is invalid; expected an integer >= 1"),
])
def test_the_same_error_in_every_front_end(cfg: dict, message: str) -> None:
    for build in (spec_from_config, warmup_jax.schedule_from_config, warmup_torch.schedule_from_config,
                  lambda c: warmup_torch.scheduler_from_config(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), c)):
        with pytest.raises(ValueError) as err:
            build(cfg)
        assert str(err.value) == message


def test_cycles_in_epochs_and_a_user_function_base() -> None:
    cfg = {"schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 0.5], "warmup_epochs": [0.5, 0.25],
           "stable_epochs": [2, 1], "decay_epochs": [1, 1], "end_values": [0.1, 0.0]}
    assert steps_from_epochs(cfg, steps_per_epoch=40, grad_accum=4) == {
        "schedule": "warmup_stable_decay_cycles", "peak_values": [1.0, 0.5], "warmup_steps": [5, 3],
        "stable_steps": [20, 10], "decay_steps": [10, 10], "end_values": [0.1, 0.0]}
    jf = warmup_jax.decay_from(lambda t: 0.5 + 0.0 * t, 3, 2)  # the user's function, traced by JAX
    tf = warmup_torch.decay_from(lambda t: 0.5, 3, 2)
    assert [float(jf(t)) for t in range(6)] == [tf(t) for t in range(6)] == [0.5, 0.5, 0.5, 0.5, 0.25, 0.0]
