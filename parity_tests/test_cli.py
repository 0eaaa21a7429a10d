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


@pytest.mark.parametrize("cfg", [
    {"schedule": "torch.CosineAnnealingLR", "lr": 0.1, "T_max": 10},
    {"schedule": "keras.CosineDecay", "initial_learning_rate": 0.1, "decay_steps": 20, "warmup_target": 0.2,
     "warmup_steps": 5},
    {"schedule": "join", "schedules": [{"schedule": "torch.StepLR", "lr": 0.1, "step_size": 3},
                                       {"schedule": "warmup_constant", "peak_value": 0.1}], "boundaries": [8]},
], ids=["torch port", "keras port", "join holding a port"])
def test_table_of_a_port_checks_its_float64_host_form(cfg, capsys):
    assert main(["table", json.dumps(cfg)]) == 0
    out = capsys.readouterr().out
    assert "checked against: the float64 host form" in out and out.rstrip().endswith("PASS")


def test_table_of_a_run_config_holding_a_port(tmp_path, capsys):
    run = tmp_path / "run.toml"
    run.write_text('model = "mlp"\n[schedule]\nschedule = "transformers.get_linear_schedule_with_warmup"\n'
                   'lr = 0.001\nnum_warmup_steps = 3\nnum_training_steps = 20\n[optimizer]\nname = "adamw"\n')
    assert main(["table", str(run)]) == 0
    out = capsys.readouterr().out
    assert "checked against: the float64 host form" in out and out.rstrip().endswith("PASS")
    # at step 10 of 20 after a 3-step warmup: 0.001 * (20 - 10) / (20 - 3)
    row = next(line for line in out.splitlines() if line.split()[:1] == ["10"])
    assert float(row.split()[1]) == pytest.approx(0.001 * 10 / 17, rel=1e-15)


def test_table_of_our_schedule_checks_the_literal_reference(capsys):
    assert main(["table", '{"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 4}']) == 0
    assert "checked against: the float64 reference" in capsys.readouterr().out


def test_a_closed_pipe_ends_quietly():
    """``warmup-parity inspect ... | head`` with the reader gone before the output: no traceback,
    no "Broken pipe: None"; the exit status of a command a closed pipe stops (141)."""
    proc = subprocess.Popen([sys.executable, "-m", "warmup_parity.cli", "inspect",
                             '{"schedule": "torch.StepLR", "lr": 0.1, "step_size": 3}'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before the command writes
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert err == b""


def test_every_verb_takes_a_run_config_holding_a_join_of_ports(tmp_path, capsys):
    """inspect, table, plot and diff of a run config whose schedule joins two libraries' ports."""
    run = tmp_path / "run.json"
    sched = {"schedule": "join", "boundaries": [5], "schedules": [
        {"schedule": "torch.LinearLR", "lr": 0.1, "start_factor": 0.1, "total_iters": 5},
        {"schedule": "optax.cosine_decay_schedule", "init_value": 0.1, "decay_steps": 20}]}
    run.write_text(json.dumps({"model": "mlp", "schedule": sched, "optimizer": {"name": "sgd"}}))
    assert main(["inspect", str(run)]) == 0
    assert "schedule: join" in capsys.readouterr().out
    assert main(["table", str(run)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("PASS")
    assert main(["plot", str(run), "-o", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG
    assert main(["diff", str(run), json.dumps(sched)]) == 0
    assert "SAME" in capsys.readouterr().out
