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


# --- names that are almost right: did you mean --------------------------------------

SUGGESTED = [
    ("StepLR", "did you mean 'torch.StepLR'?"),
    ("pytorch.StepLR", "did you mean 'torch.StepLR'?"),
    ("torch.optim.lr_scheduler.StepLR", "did you mean 'torch.StepLR'?"),
    ("steplr", "did you mean 'torch.StepLR'?"),
    ("warmup_cosine", "did you mean 'warmup_cosine_decay' or 'warmup_cosine_restarts'"),
    ("optax.warmup_cosine_decay", "did you mean 'optax.warmup_cosine_decay_schedule'"),
    ("cosine", "'cosine' is HF's lr_scheduler_type: did you mean 'transformers.get_cosine_schedule_with_warmup', "
               "i.e. {'schedule': 'transformers.get_scheduler', 'name': 'cosine', ...} or 'fairseq.cosine'?"),
    ("linear", "did you mean 'transformers.get_linear_schedule_with_warmup'"),
    ("cosine_with_restarts", "did you mean 'transformers.get_cosine_with_hard_restarts_schedule_with_warmup'"),
    ("cosine_with_min_lr", "did you mean 'transformers.get_cosine_with_min_lr_schedule_with_warmup'"),
    ("reduce_lr_on_plateau", "(ReduceLROnPlateau follows a metric, not the step, and has no schedule config; in JAX "
                             "it is warmup_jax.plateau.reduce_lr_on_plateau)"),
]


@pytest.mark.parametrize("name,hint", SUGGESTED, ids=[n for n, _ in SUGGESTED])
def test_an_unknown_name_suggests_the_registered_one(name, hint, capsys):
    with pytest.raises(ValueError) as err:
        warmup_jax.schedule_from_config({"schedule": name})
    text = str(err.value)
    assert text.startswith(f"config: schedule={name!r} is invalid; expected one of the schedule names (")
    assert hint in text.split(": decay_from")[0], text  # before the list of names
    assert main(["inspect", json.dumps({"schedule": name})]) == 2
    assert capsys.readouterr().err == f"warmup-parity: {text}\n"


def test_every_hf_scheduler_type_points_to_its_port():
    from transformers import SchedulerType

    from warmup_spec import REGISTRY

    # "warmup_stable_decay" is a catalogue name too: the catalogue's
    ported = [t for t in SchedulerType if t.value not in ("reduce_lr_on_plateau", "greedy", "warmup_stable_decay")]
    assert len(ported) >= 9
    for kind in ported:  # the enum member itself, as transformers' TrainingArguments holds it
        with pytest.raises(ValueError) as err:
            warmup_jax.schedule_from_config({"schedule": kind})
        port = str(err.value).split("did you mean '")[1].split("'")[0]
        assert port.startswith("transformers.") and port in REGISTRY, (kind, port)
    cfg = {"schedule": "transformers.get_scheduler", "name": "cosine", "lr": 1.0, "num_warmup_steps": 2,
           "num_training_steps": 10}
    ref = {"schedule": "transformers.get_cosine_schedule_with_warmup", "lr": 1.0, "num_warmup_steps": 2,
           "num_training_steps": 10}
    import warmup_torch

    assert [warmup_torch.schedule_from_config(cfg)(t) for t in range(12)] == \
        [warmup_torch.schedule_from_config(ref)(t) for t in range(12)]


# --- a run config wherever a schedule config goes ------------------------------------


@pytest.mark.parametrize("ext", ["json", "toml"])
def test_a_run_config_builds_its_schedule_in_every_front_end(ext, tmp_path):
    import torch

    import warmup_torch

    if ext == "json":
        path = _write(tmp_path, "run.json", json.dumps(RUN))
    else:
        path = _write(tmp_path, "run.toml", 'model = "mlp"\nsteps = 5\n[schedule]\nschedule = "warmup_cosine_decay"\n'
                      "peak_value = 1e-3\nwarmup_steps = 10\ntotal_steps = 100\n[optimizer]\nname = \"adamw\"\n")
    want = [warmup_torch.schedule_from_config(GOOD)(t) for t in (0, 5, 10, 50, 100)]
    assert [float(warmup_jax.schedule_from_config(path)(t)) for t in (0, 5, 10, 50, 100)] == pytest.approx(want, rel=1e-6)
    assert [warmup_torch.schedule_from_config(path)(t) for t in (0, 5, 10, 50, 100)] == want
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    sched = warmup_torch.scheduler_from_config(opt, path)
    assert type(sched).__name__ == "ScheduleLR" and sched.spec == warmup_torch.schedule_from_config(GOOD).spec
    assert warmup_jax.schedule_from_config(RUN).spec == sched.spec  # a run config mapping too


# --- other messages that guide -------------------------------------------------------


def test_to_config_of_reduce_lr_on_plateau_points_to_warmup_jax_plateau():
    import torch

    import warmup_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=r"^to_config: ReduceLROnPlateau follows a metric, not the step, and has no "
                                         r"schedule config; in JAX it is warmup_jax\.plateau\.reduce_lr_on_plateau$"):
        warmup_torch.to_config(torch.optim.lr_scheduler.ReduceLROnPlateau(opt))
    import warmup_jax.plateau

    assert callable(warmup_jax.plateau.reduce_lr_on_plateau)  # the name the message gives exists


@pytest.mark.parametrize("cfg,start,end", [
    ({"schedule": "warmup_cosine_decay", "peak_value": 0.1, "warmup_steps": 3, "total_steps": 10},
     "an init_value > 0 avoids it", "an end_value > 0 avoids it"),
    ({"schedule": "timm.CosineLRScheduler", "lr": 0.1, "t_initial": 10, "warmup_t": 3},
     "a warmup_lr_init > 0 avoids it", "a lr_min > 0 avoids it"),
    ({"schedule": "deepspeed.WarmupDecayLR", "warmup_max_lr": 0.1, "warmup_num_steps": 3, "total_num_steps": 10},
     "a warmup_min_lr > 0 avoids it", "deepspeed.WarmupDecayLR has no parameter that changes it"),
    ({"schedule": "transformers.get_linear_schedule_with_warmup", "lr": 0.1, "num_warmup_steps": 3,
      "num_training_steps": 10}, "transformers.get_linear_schedule_with_warmup has no parameter that changes it",
     "transformers.get_linear_schedule_with_warmup has no parameter that changes it"),
], ids=["ours", "timm", "deepspeed", "HF"])
def test_inspect_hints_name_the_ports_own_parameters(cfg, start, end, capsys):
    assert main(["inspect", json.dumps(cfg)]) == 0
    out = capsys.readouterr().out
    assert f"lr is 0 at step 0: the first update does nothing ({start})" in out
    assert f"the lr is 0 and updates do nothing ({end})" in out
    # a port's hints name its own parameters, never the catalogue's init_value
    assert ("init_value" in out) == (cfg["schedule"] == "warmup_cosine_decay"), out


FRONT_END_MODULES = ("warmup_spec.host", "warmup_jax.schedules", "warmup_torch.schedulers", "warmup_keras.schedules")
"""The front-end modules: no ``__all__``, so that a star import (their packages') takes their
public names, which mypy follows (not an ``__all__`` built from ``warmup_spec._front_end_names``)."""


def test_every_public_module_lists_its_public_names():
    """``__all__`` in every public module of the packages (the ports' folders excepted, see the
    report; the front-end modules' public names are the front ends, those of
    ``warmup_spec._front_end_names``), each name in it defined, and ``dir(warmup_parity)`` shows
    its lazy names."""
    import importlib
    import pkgutil

    import warmup_parity
    from warmup_spec import _front_end_names

    skip = ("warmup_spec.ports", "warmup_spec.catalogue", "warmup_spec.primitives", "warmup_spec.definition")
    checked = []
    for package in ("warmup_spec", "warmup_jax", "warmup_torch", "warmup_keras", "warmup_parity"):
        pkg = importlib.import_module(package)
        names = [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]
        for name in names:
            if any(part.startswith("_") for part in name.split(".")) or name.startswith(skip):
                continue
            if name in ("warmup_parity.recipes",):  # a folder of TOML files
                continue
            module = importlib.import_module(name)
            if name in FRONT_END_MODULES:  # no __all__: their public names are the front ends, listed once
                assert sorted(n for n in vars(module) if not n.startswith("_")) == sorted(_front_end_names.__all__)
                checked.append(name)
                continue
            assert isinstance(getattr(module, "__all__", None), list), name
            assert [n for n in module.__all__ if not hasattr(module, n)] == [], name
            checked.append(name)
    assert len(checked) >= 30
    assert {"compare", "copy_weights", "testing"} <= set(dir(warmup_parity))
