"""The README is true as written: its Python blocks run in order (one namespace), its run
config is a valid run config, and every command it shows exists."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^( *)```(\w+)\n(.*?)^\1```", README, flags=re.S | re.M)


def _dedent(indent: str, body: str) -> str:
    return "\n".join(line[len(indent):] if line.startswith(indent) else line for line in body.splitlines())


def test_python_blocks_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    python = [_dedent(i, b) for i, lang, b in BLOCKS if lang == "python"]
    assert len(python) >= 5
    for k, code in enumerate(python):
        exec(compile(code, f"README.md python block {k}", "exec"), namespace)  # noqa: S102
    # what the blocks promise
    assert namespace["torch_scheduler"].get_last_lr() == [0.0]
    assert float(namespace["jax_schedule"](1000)) == pytest.approx(1e-3, rel=1e-6)  # the torch recipe's peak
    assert namespace["lr_now"] == pytest.approx(1.5e-4) and namespace["table"].shape == (100_000,)


def test_toml_blocks_are_valid_run_configs():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from warmup_parity.runner import RunConfig

    tomls = [_dedent(i, b) for i, lang, b in BLOCKS if lang == "toml"]
    assert tomls
    for text in tomls:
        RunConfig.from_mapping(tomllib.loads(text))


def test_shown_commands_exist():
    from warmup_parity.cli import parser

    commands = set(parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    shown = re.findall(r"^warmup-parity (\w+)", "\n".join(b for _, lang, b in BLOCKS if lang == "sh"), flags=re.M)
    assert shown and set(shown) <= commands, set(shown) - commands
    make = re.findall(r"^make (\w+)", "\n".join(b for _, lang, b in BLOCKS if lang == "sh"), flags=re.M)
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), flags=re.M))
    assert set(make) <= targets


def test_python_fragments_parse():
    """``python fragment`` blocks (the "Where you train" section) use the reader's own model:
    they are not run (each integration is run by its own test), but they parse."""
    fragments = re.findall(r"^```python fragment\n(.*?)^```", README, flags=re.S | re.M)
    assert len(fragments) >= 4
    for k, code in enumerate(fragments):
        compile(code, f"README.md fragment {k}", "exec")


def test_the_figures_shown_exist():
    shown = re.findall(r"!\[[^]]*\]\(([^)]+\.png)\)", README)
    assert len(shown) >= 3 and all((ROOT / p).exists() for p in shown), shown
