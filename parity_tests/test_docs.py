"""The docs are true as written: the porting guide's examples run and print what it shows
(doctest), and every config name the docs give is one the registry knows, and the other
way round for the ports."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from warmup_spec import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
PORTING = ROOT / "docs" / "porting.md"
LIBRARIES = sorted({name.split(".")[0] for name in REGISTRY if "." in name})


def test_porting_guide_examples_print_what_it_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(str(PORTING), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15 and result.failed == 0, result


DOCTESTED = [p for p in DOCS if ">>>" in p.read_text(encoding="utf-8")]
SCRIPTED = [p for p in DOCS if p not in DOCTESTED and "```python" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("doc", [p for p in DOCTESTED if p != PORTING], ids=lambda p: p.name)
def test_doc_examples_print_what_they_show(doc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(str(doc), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted and result.failed == 0, result


@pytest.mark.parametrize("doc", SCRIPTED, ids=lambda p: p.name)
def test_doc_python_blocks_run_in_order(doc, tmp_path, monkeypatch):
    """Blocks without printed output run as written, in order, in one namespace."""
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"^```python\n(.*?)^```", doc.read_text(encoding="utf-8"), flags=re.S | re.M)
    namespace: dict = {"__name__": doc.stem}
    for k, code in enumerate(blocks):
        exec(compile(code, f"{doc.name} python block {k}", "exec"), namespace)  # noqa: S102


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_doc_fragments_are_python(doc):
    """Blocks marked ``python fragment`` use the reader's own model or loader: they are not
    run, but they parse."""
    for k, code in enumerate(re.findall(r"^```python fragment\n(.*?)^```", doc.read_text(encoding="utf-8"),
                                        flags=re.S | re.M)):
        compile(code, f"{doc.name} fragment {k}", "exec")


@pytest.mark.parametrize("doc", [*DOCS, ROOT / "README.md"], ids=lambda p: p.name)
def test_every_config_name_in_the_docs_exists(doc):
    """Every ``"schedule": "..."`` of a config shown, and every name of the porting
    guide's "config name" column."""
    text = doc.read_text(encoding="utf-8")
    named = set(re.findall(r'"schedule":\s*"([^"]+)"', text))
    named |= set(re.findall(r'^schedule\s*=\s*"([^"]+)"', text, flags=re.M))  # TOML
    for row in re.findall(r"^\|([^\n]*)\|$", text, flags=re.M):
        cells = row.split("|")
        if len(cells) >= 2:
            named |= {n for n in re.findall(r"`([a-z]+\.[A-Za-z_]\w*)`", cells[1]) if n.split(".")[0] in LIBRARIES}
    unknown = {n for n in named if n not in REGISTRY}
    assert not unknown, unknown


def test_every_port_is_in_the_porting_guide():
    text = PORTING.read_text(encoding="utf-8")
    missing = sorted(n for n in REGISTRY if "." in n and f"`{n}`" not in text)
    assert not missing, missing
