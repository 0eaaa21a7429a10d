"""The mistakes a user makes in the first hour, each one clear line that names the cause:
exit status 2 and one line on stderr from the command, never a traceback; the same
``ValueError`` text from the Python API where the mistake is a config's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import warmup_jax
from warmup_parity.cli import main

GOOD = {"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 10, "total_steps": 100}
RUN = {"schedule": GOOD, "optimizer": {"name": "adamw"}, "steps": 5, "model": "mlp", "data": "synthetic"}


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text)
    return str(path)


def _files(tmp: Path) -> dict[str, str]:
    return {
        "missing": str(tmp / "no_such_recipe.toml"),
        "yaml": _write(tmp, "recipe.yaml", "schedule: warmup_constant\n"),
        "bad_json": _write(tmp, "bad.json", '{"schedule": "warmup_constant",\n "peak_value": }'),
        "bad_toml": _write(tmp, "bad.toml", 'schedule = "warmup_constant"\npeak_value = = 1\n'),
        "list_json": _write(tmp, "list.json", json.dumps([GOOD])),
        "empty_toml": _write(tmp, "empty.toml", ""),
        "schedule_toml": _write(tmp, "schedule.toml", 'schedule = "warmup_constant"\npeak_value = 0.1\n'),
        "no_optimizer": _write(tmp, "no_opt.json", json.dumps({"schedule": GOOD, "steps": 5})),
        "no_schedule": _write(tmp, "no_sched.json", json.dumps({"optimizer": {"name": "adamw"}, "steps": 5})),
        "run_toml": _write(tmp, "run.json", json.dumps(RUN)),
        "bad_name": _write(tmp, "bad_name.json", json.dumps({**GOOD, "schedule": "warmup_cosine"})),
        "folder": str(tmp),
    }


# (command line with {placeholders} for the files above, the expected stderr line's start)
CLI_MISTAKES = [
    (["run", "{missing}"], "warmup-parity: config: file not found: {missing}"),
    (["run", "{yaml}"], "warmup-parity: config: {yaml} has extension '.yaml'; expected a .json or .toml file"),
    (["inspect", "{bad_json}"], "warmup-parity: config: cannot parse {bad_json}: line 2, column 16: Expecting value"),
    (["inspect", "{bad_toml}"], "warmup-parity: config: cannot parse {bad_toml}: Invalid value (at line 2, column 14)"),
    (["inspect", "{list_json}"], "warmup-parity: config: {list_json} holds a list; expected a mapping"),
    (["run", "{empty_toml}"], "warmup-parity: run: {empty_toml} is empty; expected a run config with [schedule] and "
                              "[optimizer] tables"),
    (["run", "{schedule_toml}"], "warmup-parity: run: {schedule_toml} is a schedule config (schedule = "
                                 "'warmup_constant'); a run config holds it in a [schedule] table"),
    (["run", "{no_optimizer}"], "warmup-parity: run: {no_optimizer} has no [optimizer] table"),
    (["run", "{no_schedule}"], "warmup-parity: run: {no_schedule} has no [schedule] table"),
    (["inspect", "{bad_name}"], "warmup-parity: config: schedule='warmup_cosine' is invalid; expected one of"),
    (["inspect", "{folder}/x"], "warmup-parity: config: {folder}/x has no extension; expected a .json or .toml file"),
    (["inspect", "{folder}.json"], "warmup-parity: config: file not found: {folder}.json"),
    (["inspect", '{{"schedule": "noam", "d_model": 512,}}'],
     "warmup-parity: config: cannot parse the inline JSON config: line 1, column 37: Expecting property name"),
    (["inspect", "{run_toml}", "--horizon", "0"], "warmup-parity inspect: argument --horizon: "
                                                  "--horizon must be an integer >= 1; got 0"),
    (["plot", "{run_toml}", "-o", "{folder}/x.png", "--steps", "0"],
     "warmup-parity plot: argument --steps: --steps must be an integer >= 1; got 0"),
    (["plot", "{run_toml}", "-o", "{folder}/x.png", "--steps", "-5"],
     "warmup-parity plot: argument --steps: --steps must be an integer >= 1; got -5"),
    (["plot", "{run_toml}", "-o", "{folder}/x.jpg"],
     "warmup-parity: plot: -o {folder}/x.jpg: unknown format '.jpg'; expected one of .png, .pdf, .svg"),
    (["run", "{run_toml}", "--out-dir", "{schedule_toml}/sub"],
     "warmup-parity: --out-dir {schedule_toml}/sub: cannot create it: Not a directory"),
    (["run", "{run_toml}", "--dtype", "float16"], "warmup-parity run: argument --dtype: invalid choice"),
    (["diff", "{run_toml}"], "warmup-parity diff: the following arguments are required: b"),
    (["table", '{{"schedule": "warmup_constant", "peak_value": -1}}'],
     "warmup-parity: warmup_constant: peak_value=-1 is invalid; expected a finite number >= 0.0"),
    (["frobnicate"], "warmup-parity: argument command: invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("argv,expected", CLI_MISTAKES, ids=[" ".join(a[:2]) for a, _ in CLI_MISTAKES])
def test_cli_mistake_is_one_line_and_exit_2(argv, expected, tmp_path, capsys):
    files = _files(tmp_path)
    code = main([a.format(**files) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(expected.format(**files)), err


def test_inspect_table_plot_diff_take_a_run_config(tmp_path, capsys):
    files = _files(tmp_path)
    assert main(["inspect", files["run_toml"]]) == 0
    assert "schedule: warmup_cosine_decay" in capsys.readouterr().out
    assert main(["diff", files["run_toml"], json.dumps(GOOD)]) == 0
    assert main(["plot", files["run_toml"], "-o", str(tmp_path / "a" / "b.svg"), "--steps", "50"]) == 0
    assert (tmp_path / "a" / "b.svg").read_text().lstrip().startswith("<?xml")
    assert main(["plot", files["run_toml"], "-o", str(tmp_path / "c.pdf"), "--steps", "50"]) == 0
    assert (tmp_path / "c.pdf").read_bytes()[:5] == b"%PDF-"


def test_run_help_shows_an_example_config(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "[schedule]" in out and "[optimizer]" in out and "--out-dir" in out and "--dtype" in out


# the same config mistakes through the Python API: the same text as the command's
API_MISTAKES = [
    ("{missing}", "config: file not found: {missing}"),
    ("{yaml}", "config: {yaml} has extension '.yaml'; expected a .json or .toml file"),
    ("{bad_json}", "config: cannot parse {bad_json}: line 2, column 16: Expecting value"),
    ("{list_json}", "config: {list_json} holds a list; expected a mapping"),
    ("{bad_name}", "config: schedule='warmup_cosine' is invalid; expected one of"),
    ("", "config: an empty string; expected a JSON object or the path of a .json/.toml file"),
]


@pytest.mark.parametrize("source,expected", API_MISTAKES, ids=[s or "empty" for s, _ in API_MISTAKES])
def test_api_mistakes_same_text(source, expected, tmp_path):
    import torch

    import warmup_torch

    files = _files(tmp_path)
    src, want = source.format(**files), expected.format(**files)
    for build in (warmup_jax.schedule_from_config, lambda s: warmup_torch.scheduler_from_config(
            torch.optim.SGD([torch.zeros(1, requires_grad=True)]), s), warmup_torch.schedule_from_config):
        with pytest.raises(ValueError) as err:
            build(src)
        assert str(err.value).startswith(want), str(err.value)


def test_huge_parameters_and_float_steps():
    """The mistakes of the issue's list that are not config mistakes: a JAX schedule whose
    integer parameters pass int32 works at every step; a float step is one ValueError."""
    import numpy as np

    import warmup_torch

    f = warmup_jax.warmup_cosine_decay(1000.0, 0, 10**10)
    assert float(f(5)) == pytest.approx(1000.0, rel=1e-6)
    assert np.isfinite(float(f(2**31 - 1)))
    for g in (f, warmup_torch.warmup_cosine_decay(1000.0, 0, 10**10)):
        with pytest.raises(ValueError, match=r"^warmup_cosine_decay: a non-integer step is invalid; expected an "
                                             r"integer >= 0$"):
            g(5.5)
