"""``warmup_parity.inspect_schedule`` (diagnose, format_diagnosis) and ``warmup_parity.plot``."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from parity_tests.cases import ALL
from warmup_parity.inspect_schedule import Diagnosis, default_horizon, diagnose, format_diagnosis

LEGACY = {"schedule": "legacy_noam", "max_lr": 0.01, "warmup_steps": 500}
COSINE = {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 100, "total_steps": 1000}
JOIN = {
    "schedule": "join",
    "schedules": [
        {"schedule": "warmup_constant", "peak_value": 0.1},
        {"schedule": "warmup_constant", "peak_value": 0.05},
    ],
    "boundaries": [300],
}
RESTARTS = {"schedule": "warmup_cosine_restarts", "peak_value": 0.1, "warmup_steps": 100, "cycle_steps": 1000}
CONSTANT = {"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 100}


def _has(d: Diagnosis, *words: str) -> list[str]:
    return [w for w in d.warnings if all(x.lower() in w.lower() for x in words)]


def test_legacy_noam_real_peak():
    d = diagnose(LEGACY)
    assert d.name == "legacy_noam"
    assert d.peak_step == 105  # s = 500**0.75 = 105.7, t = s - 1
    assert d.peak_value == pytest.approx(0.01 * min(106 / 500, 500**0.5 / 106), rel=1e-12)
    assert d.peak_fraction == pytest.approx(0.2109, abs=1e-4)
    assert d.nominal_peak_name == "max_lr" and d.nominal_peak == 0.01
    (w,) = _has(d, "peak", "max_lr", "noam")
    assert "21.1%" in w and "warmup_inverse_sqrt" in w
    assert [s for s, _ in d.warmup_values] == [499, 500]  # w - 1 and w
    assert d.end_step is None and d.horizon == 5000  # never ends: 10 * warmup_steps
    assert _has(d, "never ends", "5000")
    assert not _has(d, "lr is 0 at step 0")
    assert d.discontinuities == ()


def test_warmup_cosine_decay_from_zero():
    d = diagnose(COSINE)
    assert d.value_at_0 == 0.0
    assert _has(d, "lr is 0 at step 0")
    assert d.peak_step == 100 and d.peak_value == 1e-3
    assert d.warmup_steps == 100 and d.warmup_values == ((100, 1e-3),)
    assert d.end_step == 1000 and d.end_value == 0.0 and d.holds_after_end
    assert d.horizon == 1000 + 100 + 10
    assert _has(d, "end value is 0")
    assert d.discontinuities == () and not _has(d, "discontinuity")
    assert {j.step for j in d.joins} == {100, 1000}
    assert not _has(d, "never decays") and not _has(d, "never ends") and not _has(d, "below")
    assert d.mean_lr == pytest.approx(0.5 * 1e-3, rel=2e-3)
    text = format_diagnosis(d)
    assert "peak: 0.001 at step 100" in text and "end: 0 at step 1000 (holds after)" in text


def test_join_of_constants_is_discontinuous():
    d = diagnose(JOIN)
    (j,) = d.discontinuities
    assert j.step == 300 and "join boundary" in j.kind
    assert j.jump == pytest.approx(0.05) and j.typical == 0.0
    assert _has(d, "discontinuity at step 300")
    assert d.end_step == 300 and d.end_value == 0.05
    assert "DISCONTINUOUS" in format_diagnosis(d)


def test_restarts_are_labelled_not_warned():
    d = diagnose(RESTARTS)
    assert [j.step for j in d.restarts] == [1100, 2100, 3100]
    assert all(j.jump == pytest.approx(0.1, rel=1e-3) for j in d.restarts)
    assert d.discontinuities == () and not _has(d, "discontinuity")
    assert _has(d, "never ends")
    assert "restarts (intended jumps) at steps: 1100" in format_diagnosis(d)


def test_warmup_constant_never_decays():
    d = diagnose(CONSTANT)
    assert _has(d, "never decays")
    assert d.end_step == 100 and d.holds_after_end
    exp = {"schedule": "warmup_exponential_decay", "peak_value": 0.1, "warmup_steps": 10,
           "transition_steps": 10, "decay_rate": 1.0}
    assert _has(diagnose(exp), "never decays")
    assert not _has(diagnose(COSINE), "never decays")


def test_long_warmup_and_horizon():
    cfg = {**COSINE, "warmup_steps": 600}
    assert _has(diagnose(cfg), "warmup of 600 steps", "60%")
    assert not _has(diagnose(COSINE), "warmup of")
    d = diagnose(COSINE, horizon=50)
    assert d.horizon == 50 and _has(d, "horizon 50 stops before")
    assert default_horizon(COSINE) == 1110


@pytest.mark.parametrize("case_id,cfg", ALL, ids=[c for c, _ in ALL])
def test_every_case_diagnoses(case_id, cfg):
    import warmup_torch
    from warmup_spec.tables import lr_table

    d = diagnose(cfg)
    values = lr_table(cfg, np.arange(d.horizon + 1)).tolist()  # what diagnose evaluates
    f = warmup_torch.schedule_from_config(cfg)
    peak = max(values)
    np.testing.assert_allclose(values, [f(t) for t in range(d.horizon + 1)], rtol=1e-12, atol=1e-15 * peak)
    assert d.peak_value == peak and d.peak_step == values.index(peak)
    assert d.value_at_0 == values[0]
    if d.end_step is not None:
        assert d.end_step <= d.horizon and d.holds_after_end
        assert d.end_value == values[d.end_step]
    else:
        assert _has(d, "never ends")
    # the real jumps in the table: join-0 steps up from the cosine's end 0 to 1e-4 at 800;
    # warmup_cosine_decay-4 (w=10, T=11) drops from the peak to 0 in its one decay step
    expected = {"join-0": [800], "warmup_cosine_decay-4": [11]}.get(case_id, [])
    assert [j.step for j in d.discontinuities] == expected
    assert format_diagnosis(d).startswith(f"schedule: {cfg['schedule']}")


@pytest.mark.parametrize(
    "cfg",
    [
        {"schedule": "noam", "d_model": 512, "warmup_steps": 400},
        {"schedule": "one_cycle", "total_steps": 500, "peak_value": 0.1},
        {"schedule": "tri_stage", "peak_value": 0.1, "warmup_steps": 50, "hold_steps": 50, "decay_steps": 100},
        {"schedule": "warmup_stable_decay", "peak_value": 0.1, "warmup_steps": 50, "stable_steps": 100,
         "decay_steps": 50, "decay_shape": "1-sqrt"},
        {"schedule": "warmup_exponential_decay", "peak_value": 0.1, "warmup_steps": 10,
         "transition_steps": 10, "decay_rate": 0.5, "end_value": 1e-3},
        {"schedule": "untuned_warmup", "base": CONSTANT},
        {"schedule": "scaled", "base": COSINE, "factor": 2.0},
        {"schedule": "with_warmup", "base": {"schedule": "warmup_inverse_sqrt", "peak_value": 1.0,
                                               "warmup_steps": 0, "timescale": 10}, "warmup_steps": 20},
    ],
    ids=lambda c: c["schedule"],
)
def test_other_schedules_are_smooth(cfg):
    d = diagnose(cfg)
    assert d.discontinuities == ()
    assert d.peak_fraction is None or d.peak_fraction > 0.99
    if d.end_step is not None:
        assert d.holds_after_end and d.horizon == d.end_step + math.ceil(d.end_step / 10) + 10
    assert format_diagnosis(d).count("\n") >= 8


# --- plots ---------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    assert len(data) > 10_000  # an image with curves, not an empty canvas
    return struct.unpack(">II", data[16:24])


def test_plot_schedules_one_and_three(tmp_path):
    import matplotlib.image as mpimg

    from warmup_parity import plot

    w, h = (int(round(v * plot.DPI)) for v in plot.SCHEDULES_FIGSIZE)
    one = plot.plot_schedules([COSINE], tmp_path / "one.png")
    assert one == tmp_path / "one.png" and _png_size(one) == (w, h)
    three = plot.plot_schedules(
        [COSINE, LEGACY, RESTARTS], tmp_path / "sub" / "three.png", steps=1500, labels=["cos", "legacy", "sgdr"]
    )
    assert _png_size(three) == (w, h)
    assert mpimg.imread(three).shape[:2] == (h, w)


def test_plot_training(tmp_path):
    from warmup_parity import plot

    recs = [
        {"step": k, "lr_jax": 1e-3 * min(1, k / 10), "lr_torch": 1e-3 * min(1, k / 10),
         "loss_jax": 2.0 / (1 + k), "loss_torch": 2.0 / (1 + k) + 1e-9 * k,
         "param_max_abs_diff": 0.0 if k == 0 else 1e-7 * k, "param_rel_diff": 0.0 if k == 0 else 1e-8 * k}
        for k in range(50)
    ]
    out = plot.plot_training({"title": "synthetic", "steps": recs}, tmp_path / "train.png")
    w, h = (int(round(v * plot.DPI)) for v in plot.TRAINING_FIGSIZE)
    assert _png_size(out) == (w, h)


@pytest.mark.parametrize("cfg,what", [
    ({"schedule": "warmup_constant", "peak_value": 0.0}, "peak_value = 0"),
    ({"schedule": "torch.StepLR", "lr": 0.0, "step_size": 3}, "lr = 0"),
])
def test_inspect_flags_an_lr_of_0_everywhere(cfg, what):
    d = diagnose(cfg)
    assert d.warnings == (f"the lr is 0 at every step up to {default_horizon(cfg)} ({what}): no update moves the "
                          "parameters",)
