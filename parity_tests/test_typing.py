"""The front ends stay typed: ``mypy`` sees every generated signature, so a misspelled
keyword or a shape string that does not exist is a type error before anything runs."""

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
    warmup_torch.WarmupCosineDecayLR(opt, 1.0, warmup_steps=10, total_steps=100, last_epoch=-1)
    warmup_jax.warmup_cosine_decay(peak_vale=1.0, warmup_steps=10, total_steps=100)
    warmup_torch.warmup_cosine_decay(peak_vale=1.0, warmup_steps=10, total_steps=100)
    warmup_torch.WarmupCosineDecayLR(opt, peak_vale=1.0, warmup_steps=10, total_steps=100)
    warmup_spec.warmup_constant(1.0, warmup_shape="cosin")
    warmup_torch.NoamLR(opt, 512, 4000, 1.0, -1)
''')


def test_mypy_flags_bad_front_end_calls(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET)
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", "--no-incremental", str(path)],
        capture_output=True, text=True,
    )
    errors = {int(m[1]): m[2] for m in re.finditer(r"snippet\.py:(\d+): error: (.*)", out.stdout)}
    assert errors.keys() == {10, 11, 12, 13, 14}, out.stdout + out.stderr  # the two good calls pass
    for line in (10, 11, 12):
        assert 'Unexpected keyword argument "peak_vale"' in errors[line], errors[line]
    assert "'cosin'" in errors[13] and "warmup_shape" in errors[13], errors[13]
    assert "Too many positional arguments" in errors[14], errors[14]  # last_epoch is keyword-only
