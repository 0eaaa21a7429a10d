"""``warmup-parity experiment warmup``: a small grid through the command (JSON, PNG, what the
schedules are at each point, both frameworks agreeing), and the full default grid (slow)."""

from __future__ import annotations

import json
import math

import pytest

from warmup_parity.cli import main
from warmup_parity.experiment import SCHEDULES, WarmupExperiment, run_warmup

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_small_grid_through_the_command(tmp_path, capsys):
    argv = ["experiment", "warmup", "--steps", "6", "--warmup-steps", "4", "--peak-lrs", "2e-3", "--d-model", "8",
            "--layers", "1", "--dtype", "float64", "--schedules", "legacy_noam", "--out-dir", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("PASS") and "1 of 1 points agree within tolerance" in out
    result = json.loads((tmp_path / "warmup_experiment.json").read_text())
    assert (tmp_path / "warmup_experiment.png").read_bytes()[:8] == PNG
    points = {p["schedule"]: p for p in result["points"]}
    assert list(points) == ["legacy_noam"] and result["summary"]["mismatches"] == 0
    peak = 2e-3
    # the lr torch used at every step, against the hand-computed snippet (w = 4, s = t + 1)
    assert points["legacy_noam"]["lr"] == pytest.approx([peak * min(s / 4, 2 / s) for s in range(1, 7)], rel=1e-12)
    assert points["legacy_noam"]["max_lr"] == pytest.approx(peak * 2 / 3)  # not the nominal peak
    for p in result["points"]:
        assert p["verdict"] == "agree" and p["param_max_rel_diff"] <= 1e-12
        assert p["final_loss_jax"] == pytest.approx(p["final_loss_torch"], rel=1e-12)
        assert len(p["loss_jax"]) == len(p["loss_torch"]) == 6 and math.isfinite(p["final_loss_jax"])


def test_the_other_schedules_at_their_nominal_peak():
    """``none`` is the peak from step 0, ``linear`` ramps to it over w steps, ``noam`` reaches it
    at step w - 1 and decays as 1/sqrt(s) (the float64 host schedule of each config, by hand)."""
    from warmup_spec import Schedule

    exp = WarmupExperiment(warmup_steps=4, d_model=8)
    none, noam = Schedule(exp.schedule_config("none", 2e-3)), Schedule(exp.schedule_config("noam", 2e-3))
    linear = Schedule(exp.schedule_config("linear", 2e-3))
    assert [none(t) for t in range(3)] == [2e-3] * 3
    assert [linear(t) for t in range(6)] == pytest.approx([0, 5e-4, 1e-3, 1.5e-3, 2e-3, 2e-3], rel=1e-12)
    assert [noam(t) for t in range(6)] == pytest.approx([2e-3 * min(s ** -0.5, s / 8) * 2 for s in range(1, 7)],
                                                        rel=1e-12)
    assert noam(3) == pytest.approx(2e-3, rel=1e-12) and noam(15) == pytest.approx(1e-3, rel=1e-12)


def test_mistakes_in_the_grid_are_value_errors():
    with pytest.raises(ValueError, match=r"experiment: warmup_steps=300 is invalid; expected an integer < steps"):
        WarmupExperiment(warmup_steps=300)
    with pytest.raises(ValueError, match="experiment: schedules=\\('cosine',\\) is invalid"):
        WarmupExperiment(schedules=("cosine",))
    with pytest.raises(ValueError, match="experiment: peak_lrs=\\(0.0,\\) is invalid"):
        WarmupExperiment(peak_lrs=(0.0,))


@pytest.mark.slow
def test_the_default_grid():
    """The full experiment (a few minutes): no point shows a model or optimizer mismatch; at the
    smaller peak lrs the frameworks agree to float32's tolerance; at the largest, a warmup
    (linear or noam) ends lower than none."""
    result = run_warmup(WarmupExperiment())
    assert result["summary"]["mismatches"] == 0
    at = {(p["schedule"], p["peak_lr"]): p for p in result["points"]}
    for name in SCHEDULES:
        assert at[name, 3e-4]["verdict"] == "agree" and at[name, 1e-3]["verdict"] == "agree"
    assert min(at["linear", 3e-2]["final_loss_torch"], at["noam", 3e-2]["final_loss_torch"]) < \
        at["none", 3e-2]["final_loss_torch"]
