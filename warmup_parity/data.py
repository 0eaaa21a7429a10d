"""Offline data sets and the one batch order both frameworks train on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DATASETS = ("digits", "synthetic")


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` (float64, ``(n, 8, 8)`` images or ``(n, d)`` vectors) and targets ``y``."""

    name: str
    x: np.ndarray
    y: np.ndarray
    task: str  # "classification" (integer labels) or "regression"
    n_out: int


def digits() -> Dataset:
    """scikit-learn's handwritten digits (1797 images 8x8, 10 classes), shipped offline.

    Pixels are scaled from 0..16 to 0..1.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = np.asarray(bunch.images, np.float64) / 16.0
    return Dataset("digits", x, np.asarray(bunch.target, np.int64), "classification", 10)


def synthetic(n: int = 256, d: int = 8, n_out: int = 2, seed: int = 0) -> Dataset:
    """A smooth regression problem ``y = tanh(x A) B + noise``, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    a = rng.standard_normal((d, 16)) / np.sqrt(d)
    b = rng.standard_normal((16, n_out)) / 4.0
    y = np.tanh(x @ a) @ b + 0.01 * rng.standard_normal((n, n_out))
    return Dataset("synthetic", x, y, "regression", n_out)


def load(name: str) -> Dataset:
    if name == "digits":
        return digits()
    if name == "synthetic":
        return synthetic()
    raise ValueError(f"data: name={name!r} is invalid; expected one of {', '.join(map(repr, DATASETS))}")


def batch_indices(n: int, batch_size: int, steps: int, seed: int) -> list[np.ndarray]:
    """Minibatch indices for ``steps`` updates: a fresh permutation per epoch, fixed by
    ``seed``; the last partial batch of each epoch is dropped. ``batch_size >= n`` means
    full batch."""
    if batch_size >= n:
        full = np.arange(n)
        return [full] * steps
    rng = np.random.default_rng(seed)
    per_epoch = n // batch_size
    out: list[np.ndarray] = []
    while len(out) < steps:
        perm = rng.permutation(n)
        out.extend(perm[k * batch_size:(k + 1) * batch_size] for k in range(per_epoch))
    return out[:steps]
