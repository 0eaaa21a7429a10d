"""``warmup-parity experiment NAME``: each experiment's quick grid through the command (JSON,
PNG, the lr every arm used against the hand-computed schedule, a verdict per point, no bug),
the verdict rule, the options' mistakes, and the full grids (slow)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from warmup_parity.cli import main
from warmup_parity.experiment import EXPERIMENTS, Options, run_experiment

PNG = b"\x89PNG\r\n\x1a\n"


def _quick(name, tmp_path, capsys, *extra):
    assert main(["experiment", name, "--quick", "--out-dir", str(tmp_path), *extra]) == 0
    out = capsys.readouterr().out
    stem = name.replace("-", "_") + "_experiment"
    assert out.rstrip().endswith("PASS") and (tmp_path / f"{stem}.png").read_bytes()[:8] == PNG
    result = json.loads((tmp_path / f"{stem}.json").read_text())
    for p in result["points"]:
        assert p["verdict"] in ("agree", "chaos") and p["lr_max_rel_diff"] <= 1e-6
        assert len(p["loss_jax"]) == len(p["loss_torch"]) == len(p["lr"]) == p["steps"]
    assert result["summary"]["bug"] == 0 and result["summary"]["points"] == len(result["points"])
    return {(p["arm"], p["x"]): p for p in result["points"]}, out


@pytest.mark.slow  # a Transformer point (18 s); the quick warmup grid runs the same command on the MLP
def test_warmup_a_transformer_point_through_the_command(tmp_path, capsys):
    """The post-LN Transformer in float64: the copied snippet's lr, by hand (w = 4, s = t + 1),
    peaks at a third of its nominal peak, and both frameworks agree to rounding."""
    argv = ["--steps", "6", "--warmup-steps", "4", "--peak-lrs", "2e-3", "--d-model", "8", "--layers", "1",
            "--dtype", "float64", "--arms", "legacy_noam"]
    assert main(["experiment", "warmup", "--out-dir", str(tmp_path), *argv]) == 0
    out = capsys.readouterr().out
    assert "1 points: 1 agree, 0 chaos, 0 bug" in out
    (p,) = json.loads((tmp_path / "warmup_experiment.json").read_text())["points"]
    peak = 2e-3
    assert p["lr"] == pytest.approx([peak * min(s / 4, 2 / s) for s in range(1, 7)], rel=1e-12)
    assert p["max_lr"] == pytest.approx(peak * 2 / 3)
    assert p["verdict"] == "agree" and p["param_max_rel_diff"] <= 1e-12
    assert p["final_loss_jax"] == pytest.approx(p["final_loss_torch"], rel=1e-12)


def test_warmup_quick(tmp_path, capsys):
    at, _ = _quick("warmup", tmp_path, capsys)
    assert at["none", 1e-2]["lr"] == [1e-2] * 12
    assert at["linear", 1e-2]["lr"] == pytest.approx([1e-2 * min(t / 4, 1) for t in range(12)], rel=1e-6)


def test_untuned_quick(tmp_path, capsys):
    """Ma & Yarats' warmups for beta2 = 0.8: linear over 2 / (1 - beta2) = 10 steps, exponential
    1 - exp(-(1 - beta2) (t + 1)); RAdam at the constant peak."""
    at, _ = _quick("untuned", tmp_path, capsys)
    peak, b2 = 3e-2, 0.8
    t = np.arange(12)
    assert at["linear", peak]["lr"] == pytest.approx(peak * np.minimum(1, (1 - b2) / 2 * (t + 1)), rel=1e-6)
    assert at["exponential", peak]["lr"] == pytest.approx(peak * (1 - np.exp(-(1 - b2) * (t + 1))), rel=1e-6)
    assert at["radam", peak]["lr"] == at["none", peak]["lr"] == [peak] * 12
    assert at["radam", peak]["optimizer"] == {"name": "radam", "b2": b2}
    # RAdam's first steps (rho_t <= 5) are momentum SGD, far smaller than Adam's: it ends elsewhere
    assert at["radam", peak]["final_loss_torch"] != pytest.approx(at["none", peak]["final_loss_torch"], rel=1e-3)


def test_wsd_quick(tmp_path, capsys):
    """Budget 16, warmup 2, cooldown 4 steps: cosine by hand; the branch (decay_from a constant
    run at step 12) is the same lr and the same training as warmup-stable-decay's 1-sqrt."""
    at, _ = _quick("wsd", tmp_path, capsys)
    peak, t = 1e-2, np.arange(16)
    cosine = np.where(t < 2, peak * t / 2, peak * (1 + np.cos(np.pi * (t - 2) / 14)) / 2)
    assert at["cosine", 16]["lr"] == pytest.approx(cosine, rel=1e-6, abs=1e-12)
    wsd, branch = at["wsd-1-sqrt", 16], at["branch-1-sqrt", 16]
    assert wsd["lr"][12:] == pytest.approx([peak * (1 - math.sqrt(k / 4)) for k in range(4)], rel=1e-6)
    assert branch["lr"] == pytest.approx(wsd["lr"], rel=1e-6) and branch["loss_torch"] == wsd["loss_torch"]


def test_lr_tolerance_quick(tmp_path, capsys):
    """Digits MLP, 12 steps, the quick grid's warmup of 8 (its warmup 0 under slow: each point
    and its re-checks compile their own step): at lr 3 it diverges (the loss ends above where it
    began), at 1e-2 it trains; the summary names where it starts to diverge; the verdict's
    float64 re-check."""
    at, out = _quick("lr-tolerance", tmp_path, capsys, "--warmup-steps", "8")
    assert at["warmup 8", 3.0]["lr"][:9] == pytest.approx([3.0 * t / 8 for t in range(9)], rel=1e-6)
    assert at["warmup 8", 3.0]["diverged_torch"] and not at["warmup 8", 1e-2]["diverged_torch"]
    assert "warmup 8: diverges from 3; largest that trains: 0.01" in out
    _chaos_at_3(at, (8,))


@pytest.mark.slow
def test_lr_tolerance_quick_grid(tmp_path, capsys):
    """The whole quick grid: both warmup lengths (0 and 8)."""
    at, out = _quick("lr-tolerance", tmp_path, capsys)
    assert at["warmup 8", 3.0]["lr"][:9] == pytest.approx([3.0 * t / 8 for t in range(9)], rel=1e-6)
    for w in (0, 8):
        assert at[f"warmup {w}", 3.0]["diverged_torch"] and not at[f"warmup {w}", 1e-2]["diverged_torch"]
    assert "warmup 0: diverges from 3; largest that trains: 0.01" in out
    _chaos_at_3(at, (0, 8))


def _chaos_at_3(at, warmups):
    # at lr 3 the pairs part and torch against itself moved by one ulp does not (Adam turns the frameworks'
    # different rounding of small gradients into full-size steps); float64 JAX and torch agree: chaos, not a bug
    for w in warmups:
        p = at[f"warmup {w}", 3.0]
        assert p["ulp_parted_at"] is None and p["float64_parted_at"] is None and p["verdict"] == "chaos"
        assert p["float64_max_rel_diff"] <= 1e-9 and p["max_rel_diff"] > 1e-4


def test_mistakes_in_the_options_are_value_errors():
    with pytest.raises(ValueError, match=r"experiment: warmups=\(300,\) is invalid; expected integers >= 0 and < "
                                         r"steps \(300\)"):
        Options.of("warmup", warmups=(300,))
    with pytest.raises(ValueError, match=r"experiment: arms=\('cosine',\) is invalid; expected some of 'none'"):
        Options.of("warmup", arms=("cosine",))
    with pytest.raises(ValueError, match=r"experiment: lrs=\(0.0,\) is invalid; expected finite numbers > 0"):
        Options.of("untuned", lrs=(0.0,))
    with pytest.raises(ValueError, match=r"experiment: lrs=\(0.001, 0.01\) is invalid; expected one peak lr for wsd"):
        Options.of("wsd", lrs=(1e-3, 1e-2))
    with pytest.raises(ValueError, match=r"experiment: budgets=\(20,\) is invalid; expected integers with room"):
        Options.of("wsd", budgets=(20,), warmups=(18,))
    with pytest.raises(ValueError, match=r"experiment: arms=\('x',\) is invalid; expected none for lr-tolerance"):
        Options.of("lr-tolerance", arms=("x",))
    with pytest.raises(ValueError, match=r"experiment: experiment='cosine' is invalid; expected one of 'warmup'"):
        Options.of("cosine")


def test_a_command_mistake_is_one_line(capsys):
    assert main(["experiment", "wsd", "--budgets", "0,10"]) == 2
    assert capsys.readouterr().err.strip().endswith("--budgets must be comma-separated integers > 0; got '0,10'")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_the_full_grid(name):
    """The full grids (minutes each): no point is a bug; the findings docs/experiments.md reports."""
    result = run_experiment(Options.of(name))
    assert result["summary"]["bug"] == 0
    at = {(p["arm"], p["x"]): p for p in result["points"]}
    if name == "warmup":
        assert min(at["linear", 3e-2]["final_loss_torch"], at["noam", 3e-2]["final_loss_torch"]) < \
            at["none", 3e-2]["final_loss_torch"]
    if name == "wsd":
        for t in (80.0, 160.0):
            assert at["branch-1-sqrt", t]["loss_torch"] == at["wsd-1-sqrt", t]["loss_torch"]
