"""Matched models: a Flax NNX and a torch version with the same weights and outputs.

Flax kernels are ``(in, out)`` and convolutions NHWC with ``(kh, kw, in, out)``
kernels; torch weights are ``(out, in)`` and ``(out, in, kh, kw)`` on NCHW. The
torch model is built from the Flax one's weights, converted; the CNN flattens in
NHWC order on both sides so the dense layer after it needs no permutation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

MODELS = ("mlp", "cnn")


def _dtypes(dtype: str) -> tuple[Any, Any]:
    import jax.numpy as jnp
    import torch

    return (jnp.float64, torch.float64) if dtype == "float64" else (jnp.float32, torch.float32)


def build_flax(name: str, n_in: int, n_out: int, dtype: str, seed: int, hidden: int = 32) -> Any:
    """The Flax NNX model ``name`` (``"mlp"`` or ``"cnn"``) in ``dtype``."""
    import jax.numpy as jnp
    from flax import nnx

    jdt, _ = _dtypes(dtype)
    rngs = nnx.Rngs(seed)
    kw = {"param_dtype": jdt, "dtype": jdt, "rngs": rngs}

    if name == "mlp":

        class MLP(nnx.Module):
            def __init__(self) -> None:
                self.l1 = nnx.Linear(n_in, hidden, **kw)
                self.l2 = nnx.Linear(hidden, hidden, **kw)
                self.l3 = nnx.Linear(hidden, n_out, **kw)

            def __call__(self, x):
                x = x.reshape((x.shape[0], -1))
                return self.l3(jnp.tanh(self.l2(jnp.tanh(self.l1(x)))))

        return MLP()
    if name == "cnn":

        class CNN(nnx.Module):
            def __init__(self) -> None:
                self.c1 = nnx.Conv(1, 8, kernel_size=(3, 3), padding="VALID", **kw)
                self.c2 = nnx.Conv(8, 16, kernel_size=(3, 3), padding="VALID", **kw)
                self.l1 = nnx.Linear(4 * 4 * 16, n_out, **kw)

            def __call__(self, x):
                x = x[..., None]  # (n, 8, 8) -> NHWC
                x = jnp.tanh(self.c2(jnp.tanh(self.c1(x))))
                return self.l1(x.reshape((x.shape[0], -1)))

        return CNN()
    raise ValueError(f"model: name={name!r} is invalid; expected one of {', '.join(map(repr, MODELS))}")


def to_torch_layout(state: Any) -> dict[str, Any]:
    """An NNX ``State`` of parameters (or of their gradients) in torch layout, keyed by
    torch parameter names (``l1.weight``, ``c1.bias``, ...). Works on concrete and on
    traced arrays (inside ``jax.jit``)."""
    from flax import nnx

    out: dict[str, Any] = {}
    for path, value in nnx.to_flat_state(state):
        layer, kind = str(path[0]), str(path[-1])
        a = value[...]
        if kind == "kernel":
            out[f"{layer}.weight"] = a.T if a.ndim == 2 else a.transpose(3, 2, 0, 1)
        else:
            out[f"{layer}.bias"] = a
    return out


def flax_weights(model: Any) -> dict[str, np.ndarray]:
    """The Flax model's parameters in torch layout."""
    from flax import nnx

    return {k: np.asarray(v) for k, v in to_torch_layout(nnx.state(model, nnx.Param)).items()}


def build_torch(name: str, weights: dict[str, np.ndarray], dtype: str) -> Any:
    """The torch twin of :func:`build_flax`, loaded with ``weights`` (torch layout)."""
    import torch

    _, tdt = _dtypes(dtype)

    class MLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = weights
            self.l1 = torch.nn.Linear(*w["l1.weight"].shape[::-1])
            self.l2 = torch.nn.Linear(*w["l2.weight"].shape[::-1])
            self.l3 = torch.nn.Linear(*w["l3.weight"].shape[::-1])

        def forward(self, x):
            x = x.reshape(x.shape[0], -1)
            return self.l3(torch.tanh(self.l2(torch.tanh(self.l1(x)))))

    class CNN(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c1 = torch.nn.Conv2d(1, 8, 3)
            self.c2 = torch.nn.Conv2d(8, 16, 3)
            self.l1 = torch.nn.Linear(4 * 4 * 16, weights["l1.weight"].shape[0])

        def forward(self, x):
            x = x[:, None]  # (n, 8, 8) -> NCHW
            x = torch.tanh(self.c2(torch.tanh(self.c1(x))))
            return self.l1(x.permute(0, 2, 3, 1).reshape(x.shape[0], -1))  # NHWC flatten

    classes: dict[str, type[torch.nn.Module]] = {"mlp": MLP, "cnn": CNN}
    model = classes[name]().to(tdt)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            p.copy_(torch.as_tensor(np.array(weights[pname]), dtype=tdt))
    return model


def torch_weights(model: Any) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy() for k, v in model.named_parameters()}


def losses(task: str) -> tuple[Callable, Callable]:
    """(jax loss, torch loss): mean cross-entropy on integer labels, or mean squared error."""
    import jax.numpy as jnp
    import optax
    import torch

    if task == "classification":
        return (
            lambda logits, y: optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(),
            lambda logits, y: torch.nn.functional.cross_entropy(logits, y),
        )
    return (
        lambda out, y: jnp.mean((out - y) ** 2),
        lambda out, y: torch.nn.functional.mse_loss(out, y),
    )
