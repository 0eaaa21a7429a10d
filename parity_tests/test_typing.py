"""The front ends stay typed: ``mypy`` sees every definition's signature through each front
end (:mod:`warmup_spec.front_end`), so a misspelled keyword, a shape string that does not
exist or a keyword-only parameter given by position is a type error before anything runs,
in the host, Optax and torch front ends alike."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

SNIPPET = textwrap.dedent('''
    import torch
    import warmup_jax
    import warmup_spec
    import warmup_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    warmup_jax.warmup_cosine_decay(1.0, warmup_steps=10, total_steps=100)
    warmup_torch.schedulers.warmup_cosine_decay(opt, 1.0, warmup_steps=10, total_steps=100).step()
    warmup_jax.warmup_cosine_decay(peak_vale=1.0, warmup_steps=10, total_steps=100)
    warmup_torch.warmup_cosine_decay(peak_vale=1.0, warmup_steps=10, total_steps=100)
    warmup_torch.schedulers.warmup_cosine_decay(opt, peak_vale=1.0, warmup_steps=10, total_steps=100)
    warmup_spec.warmup_constant(1.0, warmup_shape="cosin")
    warmup_torch.schedulers.warmup_constant(opt, 1.0, 2, 0.0)
    warmup_jax.warmup_constant(1.0, warmup_shape="cosin")
    warmup_torch.schedulers.warmup_constant(opt, 1.0, warmup_shape="cosin")
    warmup_jax.warmup_constant(1.0, 2, 0.0)
    warmup_spec.warmup_constant(1.0, 2, 0.0)
''')


def test_mypy_flags_bad_front_end_calls(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", "--no-incremental", str(path)],
        capture_output=True, text=True,
    )
    errors = {int(m[1]): m[2] for m in re.finditer(r"snippet\.py:(\d+): error: (.*)", out.stdout)}
    assert errors.keys() == set(range(10, 19)), out.stdout + out.stderr  # the two good calls pass
    for line in (10, 11, 12):  # a misspelled keyword: Optax, host, torch scheduler
        assert 'Unexpected keyword argument "peak_vale"' in errors[line], errors[line]
    for line in (13, 15, 16):  # a shape that does not exist: host, Optax, torch scheduler
        assert "'cosin'" in errors[line] and "warmup_shape" in errors[line], errors[line]
    for line in (14, 17, 18):  # a keyword-only parameter by position: torch scheduler, Optax, host
        assert "Too many positional arguments" in errors[line], errors[line]
