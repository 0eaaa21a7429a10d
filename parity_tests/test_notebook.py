"""Notebooks: ``warmup_parity.figure`` returns a matplotlib Figure of schedules (the float64 lr
of each step in the chosen range) or of parity reports; schedules and reports show a
readable ``repr`` and, in Jupyter, a PNG (``_repr_png_``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import warmup_jax
import warmup_parity
import warmup_torch
from warmup_parity.comparison import Report
from warmup_spec import Schedule

COSINE = {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 10, "total_steps": 100}
NOAM = {"schedule": "noam", "d_model": 64, "warmup_steps": 20}
STEPS = [{"step": k, "lr_jax": 1e-3 * min(1, k / 10), "lr_torch": 1e-3 * min(1, k / 10), "loss_jax": 2.0 / (1 + k),
          "loss_torch": 2.0 / (1 + k), "param_max_abs_diff": 1e-7 * k, "param_rel_diff": 1e-8 * k} for k in range(20)]
REPORT = Report(config={"title": "synthetic", "dtype": "float32"}, steps=STEPS,
                summary={"passed": True, "param_max_rel_diff": 1.9e-7, "step0_loss_rel_diff": 0.0,
                         "step0_grad_rel_diff": 0.0, "tolerances": {"param_max_rel_diff": 1e-5}})


def test_figure_of_schedules_draws_each_float64_lr_over_the_chosen_steps():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    items = [COSINE, warmup_jax.schedule_from_config(NOAM), warmup_torch.scheduler_from_config(opt, COSINE)]
    fig = warmup_parity.figure(*items, steps=range(5, 150), labels=["a", "b", "c"])
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a", "b", "c"]
    for line, cfg in zip(lines, (COSINE, NOAM, COSINE)):
        assert line.get_xdata().tolist() == list(range(5, 150))
        np.testing.assert_allclose(line.get_ydata(), [Schedule(cfg)(k) for k in range(5, 150)], rtol=1e-14, atol=0)
    default = warmup_parity.figure(Schedule(COSINE))  # the end plus 10% (and 10)
    assert default.axes[0].get_lines()[0].get_xdata()[-1] == 120
    assert default.axes[0].get_lines()[0].get_label() == "warmup_cosine_decay (warmup=10, total=100, peak=0.001)"


def test_figure_of_reports_and_mistakes():
    fig = warmup_parity.figure(REPORT, REPORT.to_json())
    assert len(fig.axes) == 3 and len(fig.axes[0].get_lines()) == 4  # two runs, JAX and torch each
    with pytest.raises(ValueError, match="^figure: schedules and reports together"):
        warmup_parity.figure(REPORT, COSINE)
    with pytest.raises(ValueError, match=r"^figure: steps=0 is invalid; expected an integer >= 1"):
        warmup_parity.figure(COSINE, steps=0)
    with pytest.raises(ValueError, match="^figure: nothing to draw"):
        warmup_parity.figure()


def test_schedules_and_reports_have_a_readable_repr_and_a_png():
    import matplotlib.pyplot as plt

    host, jx = Schedule(COSINE), warmup_jax.schedule_from_config(COSINE)
    assert repr(host).startswith("Schedule(WarmupCosineDecay(peak_value=0.001, warmup_steps=10")
    assert repr(jx).startswith("<Optax schedule of WarmupCosineDecay(peak_value=0.001")
    assert repr(REPORT) == "<Report 'PASS: 20 steps in float32: parameters agree to 1.9e-07 (tolerance 1e-05), " \
                           "step-0 loss 0.0e+00, gradients 0.0e+00'>"
    before = plt.get_fignums()
    for obj in (host, jx, REPORT):
        data = obj._repr_png_()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert plt.get_fignums() == before  # nothing left open in pyplot (a notebook would show it twice)
    assert np.array_equal(host._repr_png_(), jx._repr_png_())  # the same picture: the schedule's
