"""One config (dict, JSON or TOML) builds the same schedule in both frameworks."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import warmup_jax
import warmup_torch
from parity_tests.cases import ALL
from warmup_spec import load_config, spec_from_config, spec_to_config

TOML = """
schedule = "warmup_cosine_decay"
peak_value = 3e-4
warmup_steps = 50
total_steps = 400
end_value = 3e-6
warmup_shape = "cosine"
"""


def _jax_table(cfg, n):
    return np.asarray(jax.vmap(warmup_jax.schedule_from_config(cfg))(jnp.arange(n)), np.float64)


def _torch_table(cfg, n):
    opt = torch.optim.AdamW([torch.zeros(2, requires_grad=True)], lr=1.0)
    sched = warmup_torch.scheduler_from_config(opt, cfg)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


@pytest.mark.parametrize("fmt", ["json-file", "json-string", "toml-file", "dict"])
def test_config_sources_build_the_same_schedule(tmp_path, fmt):
    cfg = load_config_from_toml_text(tmp_path)
    if fmt == "json-file":
        path = tmp_path / "s.json"
        path.write_text(json.dumps(cfg))
        source = str(path)
    elif fmt == "json-string":
        source = json.dumps(cfg)
    elif fmt == "toml-file":
        source = tmp_path / "s.toml"
    else:
        source = cfg
    j = _jax_table(source, 450)
    t = _torch_table(source, 450)
    np.testing.assert_allclose(j, t, rtol=1e-6, atol=1e-12)
    assert j[50] == pytest.approx(3e-4, rel=1e-6) and t[-1] == pytest.approx(3e-6, rel=1e-12)


def load_config_from_toml_text(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(TOML)
    return load_config(path)


@pytest.mark.parametrize("cfg", [c for _, c in ALL], ids=[i for i, _ in ALL])
def test_spec_config_round_trip(cfg):
    spec = spec_from_config(cfg)
    again = spec_to_config(spec)
    assert spec_from_config(json.loads(json.dumps(again))) == spec
    assert again["schedule"] == cfg["schedule"]


def test_bad_config_source():
    with pytest.raises(ValueError, match="^config: no such file and not json has no extension; expected a .json or "
                                         "[.]toml file$"):
        load_config("no such file and not json")
