"""Flax Linen models as the Flax side, through ``nnx.bridge.ToNNX``: each Linen layer stands
for the NNX layer of its kind (``nn.Dense`` for ``nnx.Linear``, ...), its type read from one
traced call (``example``) or, without one, from Linen's automatic names (``Dense_0``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from warmup_parity.twin.forward import call_model

__all__ = ["LINEN_TO_NNX", "LinenLayer", "bridged", "flax_modules", "from_linen", "is_kind", "linen_layers",
           "linen_variables"]

LINEN_TO_NNX = {
    "Dense": "Linear", "Conv": "Conv", "ConvTranspose": "ConvTranspose", "LayerNorm": "LayerNorm",
    "RMSNorm": "RMSNorm", "GroupNorm": "GroupNorm", "BatchNorm": "BatchNorm", "Embed": "Embed",
    "MultiHeadDotProductAttention": "MultiHeadAttention", "MultiHeadAttention": "MultiHeadAttention",
    "SelfAttention": "MultiHeadAttention",
}
"""Linen layer -> the NNX layer whose variables (names and layouts) it has."""

_DEFAULTS = {"transpose_kernel": False, "num_groups": None}
"""The attributes a layout reads, for a layer known only by its name: Linen's default, or None
(unknown: not checked)."""


@dataclass(frozen=True)
class LinenLayer:
    """A Linen layer standing for the NNX layer ``kind``; its attributes are the Linen module's
    (``linen`` None: known by its automatic name, Linen's defaults)."""

    kind: str
    linen_type: str
    linen: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("kind", "linen_type", "linen"):
            raise AttributeError(name)
        if self.linen is not None:
            return getattr(self.linen, name)
        if name in _DEFAULTS:
            return _DEFAULTS[name]
        raise AttributeError(name)


def bridged(model: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """The ``nnx.bridge.ToNNX`` modules of a Flax model (path, module)."""
    from flax import nnx

    return [(tuple(p), m) for p, m in nnx.iter_modules(model) if isinstance(m, nnx.bridge.ToNNX)]


def linen_layers(model: Any, example: Any = None,
                 flax_forward: Callable[[Any, Any], Any] | None = None) -> dict[tuple[Any, ...], LinenLayer]:
    """The Linen layers of every ``ToNNX`` module of ``model``, by path: from one traced call on
    ``example`` when the model holds one ``ToNNX``, else from the automatic names."""
    from flax import linen as nn
    from flax import nnx

    roots = bridged(model)
    if not roots:
        return {}
    out: dict[tuple[Any, ...], LinenLayer] = {}
    if example is not None and len(roots) == 1:
        import jax.numpy as jnp

        root = roots[0][0]

        def record(next_fun: Any, args: Any, kwargs: Any, context: Any) -> Any:
            name = type(context.module).__name__
            if context.method_name == "__call__" and name in LINEN_TO_NNX:
                out.setdefault(root + tuple(context.module.path), LinenLayer(LINEN_TO_NNX[name], name, context.module))
            return next_fun(*args, **kwargs)

        x = tuple(jnp.asarray(v) for v in example) if isinstance(example, tuple) else jnp.asarray(example)
        with nn.intercept_methods(record):  # traced abstractly: nothing computed, the model's state left as it was
            nnx.eval_shape(flax_forward or call_model, model, x)
        return out
    for root, _ in roots:
        for path, node in nnx.iter_graph(model):
            if not (isinstance(node, (nnx.Param, nnx.BatchStat)) and tuple(path[:len(root)]) == root):
                continue
            layer = tuple(path[:-1])
            found = re.fullmatch(r"([A-Za-z]\w*?)_\d+", str(layer[-1])) if len(layer) > len(root) else None
            if found is not None and found.group(1) in LINEN_TO_NNX:
                out.setdefault(layer, LinenLayer(LINEN_TO_NNX[found.group(1)], found.group(1)))
    return out


def flax_modules(model: Any, example: Any = None, flax_forward: Callable[[Any, Any], Any] | None = None,
                 ) -> list[tuple[tuple[Any, ...], Any]]:
    """Every module of a Flax NNX model (path, module), the Linen layers of its ``ToNNX``
    modules as :class:`LinenLayer`\\ s."""
    from flax import nnx

    return [(tuple(p), m) for p, m in nnx.iter_modules(model)] + list(linen_layers(model, example,
                                                                                   flax_forward).items())


def is_kind(module: Any, cls: type) -> bool:
    """Whether a Flax module (or a Linen layer standing for one) is of the NNX layer ``cls``."""
    return module.kind == cls.__name__ if isinstance(module, LinenLayer) else isinstance(module, cls)


def from_linen(module: Any, variables: Any) -> Any:
    """A Linen module and its variables dict (``module.init(...)``) as the NNX model the twin
    takes (``nnx.bridge.ToNNX``), the variables its own; :func:`linen_variables` gives them back.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from flax import linen
        >>> variables = linen.Dense(2).init(jax.random.key(0), jnp.ones((1, 3)))
        >>> model = from_linen(linen.Dense(2), variables)
        >>> jax.tree.map(jnp.shape, linen_variables(model))
        {'params': {'bias': (2,), 'kernel': (3, 2)}}
    """
    from flax import nnx
    from flax.nnx.bridge import variables as bridge_variables
    from flax.nnx.bridge.wrappers import _set_initializing

    model = nnx.bridge.ToNNX(module, rngs=nnx.Rngs(0))
    for name, value in bridge_variables.linen_vars_to_nnx_attrs(dict(variables)).items():
        setattr(model, name, nnx.data(value))
    _set_initializing(model, False)  # as lazy_init leaves it: a call applies these variables
    return model


def linen_variables(model: Any) -> dict[str, Any]:
    """The Linen variables dict of a ``ToNNX`` model (after ``copy_weights(..., to="flax")``)."""
    from flax.nnx.bridge import variables as bridge_variables

    attrs = {k: v for k, v in vars(model).items() if not k.startswith(("to_nnx__", "_pytree__"))}
    return dict(bridge_variables.nnx_attrs_to_linen_vars(attrs))
