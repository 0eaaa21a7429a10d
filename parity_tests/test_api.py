"""The public surface: the same names and signatures in both packages, and the
packages never import each other's framework."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import warmup_jax
import warmup_torch
from warmup_spec import REGISTRY

COMBINATORS = ["with_warmup", "untuned_warmup", "scaled", "join", "decay_from", "sample_clock"]
CATALOGUE = [name for name in REGISTRY if "." not in name and name not in COMBINATORS]


def _spec_params(name):
    """The definition's constructor: names, defaults, keyword-only markers, in order."""
    return _fn_params(REGISTRY[name])


def _fn_params(fn, skip=()):
    return [
        (p.name, p.default if p.default is not inspect.Parameter.empty else dataclasses.MISSING,
         p.kind is inspect.Parameter.KEYWORD_ONLY)
        for p in inspect.signature(fn).parameters.values()
        if p.name not in skip
    ]


def test_registry_is_the_whole_catalogue():
    """Unprefixed names are the catalogue; every other name is a port, '<library>.<name>'."""
    assert {n for n in REGISTRY if "." not in n} == {
        "warmup_constant", "warmup_linear_decay", "warmup_cosine_decay", "warmup_polynomial_decay",
        "warmup_exponential_decay", "warmup_inverse_sqrt", "noam", "legacy_noam", "warmup_stable_decay",
        "warmup_cosine_restarts", "one_cycle", "tri_stage", "warmup_stable_decay_cycles", *COMBINATORS}


@pytest.mark.parametrize("name", CATALOGUE)
def test_same_signature_in_spec_jax_and_torch(name):
    expected = _spec_params(name)
    assert _fn_params(getattr(warmup_jax, name)) == expected
    assert _fn_params(getattr(warmup_torch, name)) == expected


@pytest.mark.parametrize("name", sorted(n for n in REGISTRY if "." not in n))
def test_torch_scheduler_signature(name):
    params = inspect.signature(getattr(warmup_torch.schedulers, name)).parameters
    assert list(params)[0] == "optimizer" and params["optimizer"].kind is inspect.Parameter.POSITIONAL_ONLY
    assert _fn_params(getattr(warmup_torch.schedulers, name), skip=("optimizer",)) == _spec_params(name)


@pytest.mark.parametrize("fn", ["ScheduleLR", "scheduler_from_config"])
def test_last_epoch_is_keyword_only_everywhere(fn):
    param = inspect.signature(getattr(warmup_torch, fn)).parameters["last_epoch"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default == -1


@pytest.mark.parametrize("name", COMBINATORS)
def test_combinators_same_names_in_both(name):
    assert [p[0] for p in _fn_params(getattr(warmup_jax, name))] == \
        [p[0] for p in _fn_params(getattr(warmup_torch, name))]


@pytest.mark.parametrize("package,forbidden", [
    ("warmup_torch", ["jax", "optax", "flax"]),
    ("warmup_jax", ["torch"]),
    ("warmup_spec", ["jax", "torch", "numpy"]),
])
def test_packages_are_independent(package, forbidden):
    code = (f"import sys, {package}; bad = [m for m in {forbidden!r} if m in sys.modules]; "
            "bad += [m for m in sys.modules if m.startswith('warmup_spec.ports.')]; "  # the ports load on first use
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_public_function_has_a_doc_example():
    for mod in (warmup_jax, warmup_torch):
        for name in CATALOGUE + COMBINATORS:
            doc = getattr(mod, name).__doc__ or ""
            assert ">>>" in doc, f"{mod.__name__}.{name} has no example"


def test_the_registry_knows_each_ports_names_without_importing_it():
    """``PORTS`` lists what each port module registers (it cannot go stale: this imports them
    all and compares), and a lookup imports only the module of the name looked up (importing the
    packages imports none: ``test_packages_are_independent``)."""
    import importlib

    from warmup_spec.registry import PORTS
    for module in PORTS:
        importlib.import_module(module)
    registered: dict[str, set[str]] = {}
    for name in REGISTRY:
        cls = REGISTRY[name]
        if "." in name:
            registered.setdefault(cls.__module__, set()).add(name)
    assert registered == {module: set(names) for module, names in PORTS.items()}
    assert sorted(module.rsplit(".", 1)[1] for module in PORTS) == sorted(
        p.stem for p in (Path(__file__).parent.parent / "warmup_spec" / "ports").glob("[!_]*.py"))
    code = ("import sys; from warmup_spec import REGISTRY; "
            "assert 'optax.sgdr_schedule' in REGISTRY and len(REGISTRY) > 60; "
            "print(sorted(m for m in sys.modules if m.startswith('warmup_spec.ports.'))); "
            "REGISTRY['optax.sgdr_schedule']; "
            "print(sorted(m for m in sys.modules if m.startswith('warmup_spec.ports.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "[]", "['warmup_spec.ports._base', 'warmup_spec.ports.optax_schedules']"], out.stdout
