"""``warmup-parity diff`` and what ``inspect`` says of a port: its catalogue equivalent,
where they part, and tails that rise again."""

from __future__ import annotations

import math

import pytest

from warmup_parity.cli import main
from warmup_parity.diff import diff
from warmup_parity.inspect_schedule import diagnose, format_diagnosis

TORCH_COSINE = {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 100}
OURS = {"schedule": "warmup_cosine_decay", "peak_value": 0.1, "warmup_steps": 0, "total_steps": 100}


def test_diff_finds_where_torch_cosine_rises_again():
    d = diff(TORCH_COSINE, OURS)
    assert d.first_difference == 101 and d.agree_again is None
    assert d.largest == pytest.approx(0.1) and d.largest_at == 200  # torch back at its peak, ours at 0
    assert d.values_at_first[1] == 0.0 and d.values_at_first[0] == pytest.approx(0.1 * math.sin(math.pi / 200) ** 2)
    assert d.horizon == 620  # torch's three periods + 10%, longer than ours


def test_diff_same_and_horizon():
    step = {"schedule": "torch.StepLR", "lr": 0.1, "step_size": 10}
    ours = {"schedule": "warmup_exponential_decay", "peak_value": 0.1, "warmup_steps": 0,
            "transition_steps": 10, "decay_rate": 0.1, "staircase": True}
    d = diff(step, ours, horizon=50)
    assert d.same and d.horizon == 50 and d.largest <= 1e-17
    with pytest.raises(ValueError, match="horizon=0 is invalid"):
        diff(step, ours, horizon=0)


def test_diff_command(capsys):
    import json

    assert main(["diff", json.dumps(TORCH_COSINE), json.dumps(OURS), "--horizon", "150"]) == 1
    out = capsys.readouterr().out
    assert "agree: steps 0..100" in out and "first difference: step 101" in out and "DIFFERENT" in out
    assert main(["diff", json.dumps(OURS), json.dumps(OURS)]) == 0
    assert "SAME" in capsys.readouterr().out


def test_inspect_names_the_catalogue_equivalent_and_the_rising_tail():
    d = diagnose(TORCH_COSINE)
    assert d.equivalent is not None and "warmup_cosine_decay" in d.equivalent and "up to step 100" in d.equivalent
    (rise,) = [w for w in d.warnings if w.startswith("rises again")]
    assert "at step 100" in rise and "by step 200" in rise
    assert "rises again" not in format_diagnosis(diagnose(OURS))
    restarts = {"schedule": "warmup_cosine_restarts", "peak_value": 0.1, "warmup_steps": 0, "cycle_steps": 50}
    assert not [w for w in diagnose(restarts).warnings if w.startswith("rises again")]  # intended restarts


def test_inspect_of_a_port_equal_everywhere():
    d = diagnose({"schedule": "torch.LinearLR", "lr": 0.1, "start_factor": 0.01, "total_iters": 100})
    assert d.equivalent.startswith("equals the catalogue's") and "at every step" in d.equivalent
