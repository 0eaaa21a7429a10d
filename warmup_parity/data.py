"""Offline data sets and the one batch order both frameworks train on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DATASETS", "TEXT_SEQ_LEN", "Dataset", "batch_indices", "digits", "load", "synthetic", "text", "text_corpus"]

DATASETS = ("digits", "synthetic", "text")
TEXT_SEQ_LEN = 32
"""The sequence length of the ``text`` data set (the transformer's context)."""


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` (float64 ``(n, 8, 8)`` images or ``(n, d)`` vectors, or int64 ``(n, T)``
    token ids) and targets ``y`` (class labels, regression targets, or the next tokens)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    task: str  # "classification" (integer labels) or "regression"
    n_out: int
    vocab: str = ""  # text: the characters, token id i is vocab[i]

    def decode(self, tokens: np.ndarray) -> str:
        """Token ids back to text (``text`` only)."""
        return "".join(self.vocab[int(t)] for t in np.ravel(tokens))


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


def text_corpus() -> str:
    """The English help text of Python's ``help()`` (``pydoc_data.topics``, about 465 KB):
    real prose and code examples, shipped with the standard library, no download."""
    from pydoc_data.topics import topics

    return "\n".join(topics[k] for k in sorted(topics))


def text(seq_len: int = TEXT_SEQ_LEN) -> Dataset:
    """Character-level language modelling on :func:`text_corpus`.

    The vocabulary is the sorted set of its characters (103); ``x`` cuts the corpus into
    consecutive windows of ``seq_len`` token ids, ``y`` holds each one's next characters
    (the same window shifted by one).

    Example:
        >>> ds = text(seq_len=16)
        >>> ds.x.shape[1], ds.n_out, ds.decode(ds.y[0][:-1]) == ds.decode(ds.x[0][1:])
        (16, 103, True)
    """
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"text: seq_len={seq_len!r} is invalid; expected an integer >= 1")
    corpus = text_corpus()
    vocab = "".join(sorted(set(corpus)))
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.fromiter((index[ch] for ch in corpus), dtype=np.int64, count=len(corpus))
    n = (len(ids) - 1) // seq_len
    x = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1: n * seq_len + 1].reshape(n, seq_len)
    return Dataset("text", x, y, "classification", len(vocab), vocab)


def load(name: str) -> Dataset:
    if name == "digits":
        return digits()
    if name == "synthetic":
        return synthetic()
    if name == "text":
        return text()
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
