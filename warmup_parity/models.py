"""Matched models: a Flax NNX and a torch version with the same weights and outputs.

The built-in pairs, by name (:data:`MODELS`): ``mlp`` (two tanh hidden layers), ``cnn``
(two 3x3 convolutions and a dense layer, for the 8x8 digits), and the decoder-only
Transformer of :mod:`warmup_parity.transformer` (``transformer``: pre-LN;
``transformer_post_ln``: post-LN), for the character-level ``text`` data. The torch model is
built from the Flax one's weights in torch layout (:func:`flax_weights`, the conversion of
:mod:`warmup_parity.weights`); the CNN flattens in NHWC order on both sides so the dense
layer after it needs no permutation.

Your own pair: a run config's ``model = "module.path:factory"`` names a function (see
:func:`user_factory`) called as ``factory(dtype=..., seed=..., data=...)`` that returns
``(flax_model, torch_model)`` or ``(flax_model, torch_model, mapping)``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

MODELS = ("mlp", "cnn", "transformer", "transformer_post_ln")
TRANSFORMERS = {"transformer": "pre", "transformer_post_ln": "post"}
TRANSFORMER_HEADS = 4
"""Attention heads of the built-in transformers (``hidden`` is their width, a multiple of it)."""
TRANSFORMER_LAYERS = 2


def _dtypes(dtype: str) -> tuple[Any, Any]:
    import jax.numpy as jnp
    import torch

    return (jnp.float64, torch.float64) if dtype == "float64" else (jnp.float32, torch.float32)


def transformer_config(name: str, vocab_size: int, seq_len: int, hidden: int) -> Any:
    """The :class:`~warmup_parity.transformer.TransformerConfig` of a built-in transformer."""
    from warmup_parity.transformer import TransformerConfig

    return TransformerConfig(vocab_size=vocab_size, seq_len=seq_len, d_model=hidden, n_heads=TRANSFORMER_HEADS,
                             n_layers=TRANSFORMER_LAYERS, norm="post" if TRANSFORMERS[name] == "post" else "pre")


def build_flax(name: str, n_in: int, n_out: int, dtype: str, seed: int, hidden: int = 32) -> Any:
    """The Flax NNX model ``name`` (one of :data:`MODELS`) in ``dtype``.

    ``n_in``/``n_out``: input features (a transformer: the sequence length) and outputs (a
    transformer: the vocabulary size); ``hidden``: the width (a transformer's ``d_model``).
    """
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
    if name in TRANSFORMERS:
        from warmup_parity.transformer import FlaxTransformer

        return FlaxTransformer(transformer_config(name, n_out, n_in, hidden), rngs=rngs, dtype=jdt)
    raise ValueError(f"model: name={name!r} is invalid; expected one of {', '.join(map(repr, MODELS))}")


def to_torch_layout(state: Any) -> dict[str, Any]:
    """An NNX ``State`` of parameters (or of their gradients) in torch layout, keyed by torch
    names (``l1.weight``, ``c1.bias``, ``blocks.0.attn.in_proj_weight``, ...). Works on concrete
    and on traced arrays (inside ``jax.jit``).

    A ``State`` does not say which layer a variable belongs to, so the layer is read from the
    variable names (``kernel`` 2-d: a dense layer, more: a convolution, ``scale``: a norm,
    ``embedding``, ``query/key/value/out``: attention) and converted by the same table as
    :func:`warmup_parity.weights.copy_weights`; with the model at hand, use
    :func:`flax_weights` (or ``copy_weights``), which read the layer types.
    """
    from flax import nnx

    from warmup_parity.weights import layout_by_names

    return layout_by_names({tuple(path): v.get_value() if hasattr(v, "get_value") else v
                            for path, v in nnx.to_flat_state(state)})


def flax_weights(model: Any) -> dict[str, np.ndarray]:
    """The Flax model's parameters (and batch statistics) in torch layout, by torch name."""
    from warmup_parity.weights import torch_layout

    return {k: np.asarray(v) for k, v in torch_layout(model).items()}


def build_torch(name: str, weights: Mapping[str, np.ndarray], dtype: str) -> Any:
    """The torch twin of :func:`build_flax`, loaded with ``weights`` (torch layout, by name)."""
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

    if name in TRANSFORMERS:
        from warmup_parity.transformer import TorchTransformer

        vocab, d_model = weights["tok.weight"].shape
        cfg = transformer_config(name, int(vocab), int(weights["pos.weight"].shape[0]), int(d_model))
        model = TorchTransformer(cfg).to(tdt)
    else:
        classes: dict[str, type[torch.nn.Module]] = {"mlp": MLP, "cnn": CNN}
        if name not in classes:
            raise ValueError(f"model: name={name!r} is invalid; expected one of {', '.join(map(repr, MODELS))}")
        model = classes[name]().to(tdt)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            p.copy_(torch.as_tensor(np.array(weights[pname]), dtype=tdt))
    return model


def torch_weights(model: Any) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy() for k, v in model.named_parameters()}


def losses(task: str) -> tuple[Callable, Callable]:
    """(jax loss, torch loss): mean cross-entropy on integer labels (any leading axes), or
    mean squared error."""
    from warmup_parity.engine import loss_pair

    return loss_pair("cross_entropy" if task == "classification" else "mse")


# --------------------------------------------------------------------------- a user's pair


def is_factory(model: str) -> bool:
    """Whether a run config's ``model`` names a factory (``"module.path:factory"``)."""
    return isinstance(model, str) and ":" in model


def user_factory(spec: str) -> Callable[..., Any]:
    """The function a ``"module.path:factory"`` string names.

    The module is imported as usual (installed, or a file in the current directory, which is
    put on ``sys.path`` the way ``python -m`` does). The factory is called as
    ``factory(dtype=dtype, seed=seed, data=dataset)``: ``dtype`` is ``"float32"`` or
    ``"float64"`` (under ``jax.enable_x64`` for float64), ``seed`` the run's seed, ``data`` the
    run's :class:`~warmup_parity.data.Dataset` (its ``x``, ``y`` and ``n_out`` size the
    models). It returns ``(flax_model, torch_model)``, or ``(flax_model, torch_model,
    mapping)`` with a ``copy_weights`` mapping for names that differ; the runner copies the
    Flax model's weights into the torch model.

    Raises:
        ValueError: the string is not ``module:function``, the module cannot be imported
            (the reason given), it has no such callable, or the callable does not take
            those keyword arguments.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr or ":" in attr:
        raise ValueError(f"run: model={spec!r} is invalid; expected one of {', '.join(map(repr, MODELS))} or "
                         "'module.path:factory'")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"run: model={spec!r}: cannot import {module_name!r}: {err}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ValueError(f"run: model={spec!r}: module {module_name!r} has no function {attr!r}")
    try:
        inspect.signature(factory).bind(dtype="float32", seed=0, data=None)
    except TypeError:
        raise ValueError(f"run: model={spec!r}: the factory is called as factory(dtype=..., seed=..., data=...); "
                         f"its signature is {inspect.signature(factory)}") from None
    except ValueError:  # no signature to read (a builtin): the call will tell
        pass
    return factory


def call_factory(spec: str, dtype: str, seed: int, data: Any) -> tuple[Any, Any, Mapping[str, str] | None]:
    """Calls a user's factory and checks what it returns: ``(flax, torch[, mapping])``."""
    import torch
    from flax import nnx

    made = user_factory(spec)(dtype=dtype, seed=seed, data=data)
    if isinstance(made, tuple) and len(made) in (2, 3) and isinstance(made[0], nnx.Module) \
            and isinstance(made[1], torch.nn.Module) and (len(made) == 2 or isinstance(made[2], Mapping)):
        return made[0], made[1], (made[2] if len(made) == 3 else None)
    got = type(made).__name__ if not isinstance(made, tuple) else \
        "(" + ", ".join(type(m).__name__ for m in made) + ")"
    raise ValueError(f"run: model={spec!r} returned {got}; expected (nnx.Module, torch.nn.Module) or "
                     "(nnx.Module, torch.nn.Module, mapping)")
