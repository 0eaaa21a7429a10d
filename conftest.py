"""Doctest namespace: a definition's docstring example (``warmup_spec/catalogue``) runs
with the float64 host front ends (``warmup_cosine_decay(...)``);
``parity_tests/test_front_ends.py`` runs the same example through the Optax and torch
front ends."""

from __future__ import annotations

import os

import pytest

# Keras reads its back end at its first import (collecting warmup_keras's doctests included);
# TensorFlow, its default, is not installed: the suite runs Keras on JAX (and on torch in a subprocess)
os.environ.setdefault("KERAS_BACKEND", "jax")

_XLA_CACHE = "JAX_COMPILATION_CACHE_DIR"


def pytest_configure(config: pytest.Config) -> None:
    """One XLA compilation cache for the whole run: the pytest-xdist workers (started after
    this, with this environment) and the suite's subprocesses. Many tests compile the same
    program (the doctor's train step of one test pair under one optimizer and schedule, from a
    new closure each time, which jax's in-memory cache does not match); the cache returns the
    executable compiled for the first. The values are that executable's, as without the cache.
    A run of its own: the directory is made here and removed at the end (a cache dir set by
    the caller is used as it is and kept)."""
    if hasattr(config, "workerinput") or os.environ.get(_XLA_CACHE):
        return
    import tempfile

    config._xla_cache = tempfile.mkdtemp(prefix="warmup-parity-xla-")  # type: ignore[attr-defined]
    os.environ[_XLA_CACHE] = config._xla_cache  # type: ignore[attr-defined]
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    # no size bound: with one, jax locks the directory and scans every entry at each write (the
    # run took 393 s instead of 237-272 s); unlocked, a worker reading an entry the other is still
    # writing gets jax's warning and compiles anew (the same executable)
    # No XLA_FLAGS to shorten the compiles (about half the suite's time): the suite vouches for the
    # values users get. --xla_backend_optimization_level=0 saved a fifth of the CPU and changed 579 of
    # 1,413 batched schedule tables and 80 of 82 training reports (timm's TanhLRScheduler by 30% at
    # one step: it failed its anchor); --xla_cpu_parallel_codegen_split_count=1 saved nothing.


def pytest_unconfigure(config: pytest.Config) -> None:
    cache = getattr(config, "_xla_cache", None)
    if cache is not None:
        import shutil

        shutil.rmtree(cache, ignore_errors=True)
        os.environ.pop(_XLA_CACHE, None)


@pytest.fixture(autouse=True)
def _front_ends_for_doctests(doctest_namespace: dict) -> None:
    import warmup_spec.host as host
    from warmup_spec import _front_end_names

    for name in _front_end_names.__all__:
        doctest_namespace.setdefault(name, getattr(host, name))
