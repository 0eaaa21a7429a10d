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


@pytest.fixture(autouse=True)
def _front_ends_for_doctests(doctest_namespace: dict) -> None:
    import warmup_spec.host as host

    for name in host.__all__:
        doctest_namespace.setdefault(name, getattr(host, name))
