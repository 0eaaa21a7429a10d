"""The shape of the code: one definition a schedule, no import cycles, an independent
oracle. These read the source (``ast``); nothing here runs a schedule."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from warmup_spec.catalogue import SCHEDULES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("warmup_spec", "warmup_jax", "warmup_torch", "warmup_keras", "warmup_parity")
EXEMPT = {"legacy_noam"}  # the drop-in and the diagnosis of the copied snippet rightly name it
PORTS = (ROOT / "warmup_spec" / "ports", ROOT / "warmup_torch" / "live")
"""Other libraries' schedules and the readers of their live objects: a port may name the
catalogue schedule it equals (its ``equivalent()``), and torch's own class names
(``OneCycleLR``) may coincide with a port's; neither is a second definition."""
FRONT_ENDS = tuple(ROOT / p for p in ("warmup_spec/host.py", "warmup_jax/schedules.py", "warmup_torch/schedulers.py",
                                      "warmup_keras/schedules.py"))
"""One line a schedule each, ``name = front_end(C.Name, ...)`` (``warmup_spec.front_end``): the
definition's signature carried, no second definition (``test_front_ends`` checks they match)."""
FRONT_END_NAMES = ROOT / "warmup_spec" / "_front_end_names.py"
"""The front ends' names, one line a schedule, for the packages' ``__all__``."""
EXAMPLES = (ROOT / "warmup_parity" / "doc_figures.py", ROOT / "warmup_parity" / "experiment.py")
"""The docs' figure data and the experiments' arms: example configs of schedules by name, as a
test's case table holds (data, not a definition)."""


def _sources() -> dict[str, Path]:
    """Module name -> file, for every module of the four packages."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


SOURCES = _sources()


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (first string statement of a module, class or function)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The parsed file (read once: every schedule's test reads every file)."""
    return ast.parse(path.read_text(encoding="utf-8"))


@functools.cache
def _words(path: Path) -> frozenset[str]:
    """Every identifier, import path part and string constant of the code (docstrings and
    comments excluded)."""
    tree = _tree(path)
    skip = _docstrings(tree)
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            words.add(node.name)
        elif isinstance(node, ast.alias):
            words.update(node.name.split("."))
            if node.asname:
                words.add(node.asname)
        elif isinstance(node, ast.ImportFrom) and node.module:
            words.update(node.module.split("."))
        elif isinstance(node, ast.keyword) and node.arg:
            words.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            words.add(node.value)
    return frozenset(words)


@pytest.mark.parametrize("cls", [c for c in SCHEDULES if c.schedule not in EXEMPT], ids=lambda c: c.schedule)
def test_each_schedule_is_written_in_at_most_three_files(cls):
    """Its definition, its float64 reference and the catalogue's import line: adding a
    schedule touches these, one line in each front-end module and in the front ends' names (and
    its test cases), not a dozen mirrors."""
    names = {cls.schedule, cls.__name__}
    files = sorted(str(p.relative_to(ROOT)) for p in SOURCES.values()
                   if p not in (*FRONT_ENDS, *EXAMPLES, FRONT_END_NAMES) and not set(PORTS) & set(p.parents)
                   and names & _words(p))
    assert len(files) <= 3, files
    assert FRONT_END_NAMES.read_text(encoding="utf-8").count(f'"{cls.schedule}",') == 1
    for path in FRONT_ENDS:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if f"C.{cls.__name__}," in line]
        assert len(lines) == 1 and lines[0].startswith(f"{cls.schedule} = "), (path, lines)


def _imports(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports (anywhere in the file), package hubs excluded."""
    tree = _tree(path)
    out = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in SOURCES else node.module
                       for a in node.names]
        for t in targets:
            if t in SOURCES and t != name and not SOURCES[t].name == "__init__.py":
                out.add(t)
    return out


def test_no_import_cycles():
    graph = {name: _imports(name, path) for name, path in SOURCES.items() if path.name != "__init__.py"}
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [node, nxt]))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


FLOORS = {"warmup_spec": {"warmup_spec"},
          "warmup_jax": {"warmup_spec", "warmup_jax"},
          "warmup_torch": {"warmup_spec", "warmup_torch"},
          "warmup_keras": {"warmup_spec", "warmup_keras"},
          "warmup_parity": {"warmup_spec", "warmup_jax", "warmup_torch", "warmup_parity"}}
"""What each package may import of the project, function-level imports included: the house is
layered (spec, then the front ends, then the doctor), no arrow runs back up."""


@pytest.mark.parametrize("package", list(FLOORS))
def test_imports_run_down_the_floors(package):
    for name, path in SOURCES.items():
        if name.split(".")[0] != package:
            continue
        for node in ast.walk(_tree(path)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            up = {m.split(".")[0] for m in mods} & set(PACKAGES) - FLOORS[package]
            assert not up, f"{name} imports {sorted(up)}"


def test_the_reference_reads_only_the_definitions():
    """The oracle shares no code with what it checks: it imports the definition classes
    (to dispatch on them) and nothing else of the project."""
    imported = _imports("warmup_spec.reference", SOURCES["warmup_spec.reference"])
    tree = ast.parse(SOURCES["warmup_spec.reference"].read_text(encoding="utf-8"))
    from_imports = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    project = {m for m in from_imports if m.split(".")[0] in PACKAGES}
    assert project == {"warmup_spec"} and imported <= {"warmup_spec.catalogue"}, (project, imported)


@pytest.mark.parametrize("package,forbidden", [("warmup_jax", "torch"), ("warmup_torch", "jax"),
                                               ("warmup_torch", "optax"), ("warmup_spec", "numpy")])
def test_back_ends_never_import_each_other(package, forbidden):
    """At module level (``warmup_spec`` imports NumPy only inside the table functions)."""
    for name, path in SOURCES.items():
        if name.split(".")[0] != package:
            continue
        tree = _tree(path)
        for node in tree.body:
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            assert not any(m.split(".")[0] == forbidden for m in mods), f"{name} imports {forbidden}"
