"""The ``warmup-parity`` command: exit codes, files written, what it prints."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from warmup_parity import cli
from warmup_parity.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def _demo_of(monkeypatch, steps):
    """The shipped demo recipe at ``steps`` updates (the schedule scaled with it)."""
    shipped = cli.recipe

    def recipe(name):
        cfg = shipped(name)
        if name == "demo":
            cfg = {**cfg, "steps": steps,
                   "schedule": {**cfg["schedule"], "warmup_steps": steps // 10, "total_steps": steps}}
        return cfg

    monkeypatch.setattr(cli, "recipe", recipe)


def test_demo_passes_and_writes_report(tmp_path, capsys, monkeypatch):
    """The wiring (two dtypes, the JSON report, the plot) at 40 updates; ``make demo`` and
    ``test_the_shipped_demo_passes`` (slow) run the shipped 500."""
    _demo_of(monkeypatch, 40)
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("PASS")
    assert "lr jax" in out and "param diff" in out
    report = json.loads((tmp_path / "parity_report.json").read_text())
    assert report["passed"] is True
    f32, f64 = report["runs"]
    assert f32["config"]["dtype"] == "float32" and f64["config"]["dtype"] == "float64"
    assert f64["summary"]["param_max_rel_diff"] <= 1e-9
    assert f32["summary"]["param_max_rel_diff"] <= 1e-5
    assert len(f32["steps"]) == 40 and f32["config"]["schedule"]["total_steps"] == 40
    assert (tmp_path / "parity_report.png").read_bytes()[:8] == PNG


@pytest.mark.slow
def test_the_shipped_demo_passes(tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("PASS")
    assert len(json.loads((tmp_path / "parity_report.json").read_text())["runs"][0]["steps"]) == 500


def test_recipe_demo_diagnoses_then_compares(tmp_path, capsys):
    assert main(["demo", "--recipe", "adjust-learning-rate", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    diagnosis, _, runs = out.partition("== the recipe")
    assert "peak: 0.0021095 at step 105" in diagnosis and "noam" in diagnosis
    assert "corrected: noam per step" in runs and out.rstrip().endswith("PASS")


def test_run_from_toml_and_failure_exit_code(tmp_path, capsys):
    cfg = tmp_path / "run.toml"
    cfg.write_text("""
model = "mlp"
data = "synthetic"
steps = 60
batch_size = 32
dtype = "float64"
[schedule]
schedule = "warmup_linear_decay"
peak_value = 0.01
warmup_steps = 10
total_steps = 60
[optimizer]
name = "sgd_momentum"
momentum = 0.9
""")
    assert main(["run", str(cfg), "--out-dir", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "parity_report.json").read_text())["runs"][0]["config"]["data"] == "synthetic"
    # float32 judged against float64's tolerance would fail: exit status 1 on FAIL
    from warmup_parity import runner

    strict = {**runner.TOLERANCES["float32"], "params": 1e-12}
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(runner.TOLERANCES, "float32", strict)
        assert main(["run", str(cfg), "--dtype", "float32", "--out-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out.rstrip().endswith("FAIL")


def test_inspect_and_plot(tmp_path, capsys):
    cfg = tmp_path / "s.json"
    cfg.write_text(json.dumps({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 10}))
    assert main(["inspect", str(cfg)]) == 0
    assert "never decays" in capsys.readouterr().out
    png = tmp_path / "p.png"
    assert main(["plot", str(cfg), '{"schedule": "noam", "d_model": 64, "warmup_steps": 20}', "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == PNG


def test_table_and_bad_config(capsys):
    assert main(["table"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("PASS")
    assert main(["inspect", '{"schedule": "warmup_cosine"}']) == 2
    assert "schedule='warmup_cosine' is invalid" in capsys.readouterr().err


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "warmup_parity.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "demo" in out.stdout and "inspect" in out.stdout
