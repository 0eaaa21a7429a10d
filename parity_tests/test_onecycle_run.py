"""The done-when of issue 12: ``warmup-parity run`` of a config whose schedule is torch's
``OneCycleLR`` with its defaults (momentum cycling on) passes in float64 with SGD momentum
and with AdamW; the same run with the momentum left out of the Optax side fails, so the
pass is the momentum's."""

from __future__ import annotations

import json

import pytest

from warmup_parity import optimizers
from warmup_parity.cli import main

RUN = """
model = "mlp"
data = "digits"
steps = {steps}
dtype = "float64"
[schedule]
schedule = "torch.OneCycleLR"
max_lr = {max_lr}
total_steps = {steps}
[optimizer]
name = "{name}"
"""


def _run(tmp_path, name: str, max_lr: float, steps: int = 300) -> tuple[int, dict]:
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(RUN.format(steps=steps, max_lr=max_lr, name=name))
    code = main(["run", str(cfg), "--out-dir", str(tmp_path)])
    return code, json.loads((tmp_path / "parity_report.json").read_text())["runs"][0]["summary"]


@pytest.mark.parametrize("name,max_lr", [("sgd_momentum", 0.05), ("adamw", 3e-3)])
def test_warmup_parity_run_one_cycle_lr_defaults_passes_float64(tmp_path, capsys, name, max_lr):
    code, summary = _run(tmp_path, name, max_lr)
    assert code == 0 and capsys.readouterr().out.rstrip().endswith("PASS")
    assert summary["failed"] == [] and summary["param_max_rel_diff"] <= 1e-9


def test_the_same_run_without_the_optax_momentum_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(optimizers, "scheduled_hyperparams", lambda spec, schedule=None: {})
    code, summary = _run(tmp_path, "sgd_momentum", 0.05, steps=100)
    assert code == 1 and capsys.readouterr().out.rstrip().endswith("FAIL")
    assert summary["failed"] == ["param_max_rel_diff"] and summary["param_max_rel_diff"] > 1e-3
