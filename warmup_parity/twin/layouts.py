"""Layouts, by layer: how each Flax layer's variables become its torch twin's tensors
(see :mod:`warmup_parity.twin`), and reading both models' arrays."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["AS_IS", "CONV", "ROLES", "TRANSPOSED", "Arrays", "Converters", "Layer", "Spec", "ToFlax", "ToTorch",
           "dotted", "flax_arrays", "flax_variables", "identity", "identity_back", "is_container", "is_torch_layer",
           "join", "known_layers", "laid_out_as_in_flax", "layer_table", "layout_by_names", "norm_behaviour",
           "projections", "show", "torch_arrays", "type_name", "under"]

Arrays = tuple[Any, ...]
ToTorch = Callable[[Arrays], Any]
ToFlax = Callable[[Arrays], Arrays]
Converters = Mapping[str, tuple[Sequence[str], Callable[[Any], Sequence[Any]], Callable[[Sequence[Any]], Any]]]
"""``{flax variable regex: (torch name templates, to_torch, to_flax)}`` (see :mod:`warmup_parity.twin`)."""


ROLES: dict[str, tuple[str, ...]] = {
    "query": ("query", "q_proj", "q", "wq", "q_lin"),
    "key": ("key", "k_proj", "k", "wk", "k_lin"),
    "value": ("value", "v_proj", "v", "wv", "v_lin"),
    "out": ("out", "o_proj", "out_proj", "o", "wo", "out_lin", "dense"),
}
"""The names an attention's four projections go by (Flax's first), role -> names."""


def identity(a: Arrays) -> Any:
    return a[0]


def identity_back(t: Arrays) -> Arrays:
    return (t[0],)


def _transpose(a: Arrays) -> Any:
    return a[0].T


def _transpose_back(t: Arrays) -> Arrays:
    return (t[0].T,)


def _concat(parts: Sequence[Any], axis: int = 0) -> Any:
    """``np.concatenate``, or ``jnp.concatenate`` for JAX arrays (traced ones included)."""
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts, axis=axis)
    import jax.numpy as jnp

    return jnp.concatenate(parts, axis=axis)


def _conv(a: Arrays) -> Any:
    k = a[0]  # (*spatial, in/groups, out) -> (out, in/groups, *spatial)
    return k.transpose((k.ndim - 1, k.ndim - 2, *range(k.ndim - 2)))


def _conv_back(t: Arrays) -> Arrays:
    w = t[0]
    return (w.transpose((*range(2, w.ndim), 1, 0)),)


def _flip(k: Any, spatial: int) -> Any:
    return k[(slice(None, None, -1),) * spatial]


def _conv_t(a: Arrays) -> Any:
    k = a[0]  # (*spatial, in, out), flipped -> (in, out, *spatial)
    return _flip(k, k.ndim - 2).transpose((k.ndim - 2, k.ndim - 1, *range(k.ndim - 2)))


def _conv_t_back(t: Arrays) -> Arrays:
    w = t[0]
    return (_flip(w.transpose((*range(2, w.ndim), 0, 1)), w.ndim - 2),)


def _conv_tk(a: Arrays) -> Any:
    k = a[0]  # transpose_kernel=True: (*spatial, out, in) -> (in, out, *spatial)
    return k.transpose((k.ndim - 1, k.ndim - 2, *range(k.ndim - 2)))


def _conv_tk_back(t: Arrays) -> Arrays:
    w = t[0]
    return (w.transpose((*range(2, w.ndim), 1, 0)),)


# --------------------------------------------------------------------------- reading both sides


def dotted(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path)


def flax_variables(model: Any) -> dict[str, Any]:
    """The Flax model's parameters and batch statistics: dotted path -> the ``Variable``."""
    from flax import nnx

    return {dotted(path): node for path, node in nnx.iter_graph(model)
            if isinstance(node, (nnx.Param, nnx.BatchStat))}


def flax_arrays(model: Any) -> dict[str, np.ndarray]:
    """Dotted path -> NumPy array of every parameter and batch statistic of a Flax model."""
    return {k: np.asarray(v.get_value()) for k, v in flax_variables(model).items()}


def torch_arrays(model: Any) -> dict[str, np.ndarray]:
    """Name -> NumPy array (a copy) of every torch parameter and buffer."""
    out = {k: v.detach().cpu().numpy().copy() for k, v in model.named_buffers()}
    out.update({k: v.detach().cpu().numpy().copy() for k, v in model.named_parameters()})
    return out


# --------------------------------------------------------------------------- layouts, by layer


def show(name: str) -> str:
    """A module name for a message: quoted, or ``(the model)`` for the root."""
    return repr(name) if name else "(the model)"


def under(prefix: str, name: str) -> bool:
    """Whether ``name`` lies in the module ``prefix`` (every name lies in the root ``""``)."""
    return not prefix or name.startswith(prefix + ".")


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def type_name(obj: Any) -> str:
    linen_type = getattr(obj, "linen_type", None) if type(obj).__name__ == "LinenLayer" else None
    if linen_type is not None:
        return f"linen.{linen_type}"
    mod = type(obj).__module__
    prefix = "nnx." if mod.startswith("flax.") else ("nn." if mod.startswith("torch.nn") else "")
    return prefix + type(obj).__name__


@dataclass(frozen=True)
class Spec:
    """One torch tensor of a module pair: its name in the torch module, the Flax variables
    (names in the Flax module) it is made of, and how. ``fill``: the constant it stands for
    when only one side has it (None: both must)."""

    torch_attr: str
    flax_attrs: tuple[str, ...]
    layout: str
    to_torch: ToTorch = identity
    to_flax: ToFlax | None = identity_back
    fill: float | None = None
    kind: Literal["param", "stat"] = "param"
    sources: tuple[str, ...] = ()


AS_IS = "as is"
TRANSPOSED = "transposed"
CONV = "conv kernel (*k, in, out) -> (out, in, *k)"

Layer = Callable[[Any, Mapping[str, Any], Any], "list[Spec] | str"]
"""(Flax module or None, its variables by relative name, the torch module or None) -> the specs,
or a sentence saying why the two cannot be converted."""


def _bias(attr: str = "bias", flax: str = "bias") -> Spec:
    return Spec(attr, (flax,), AS_IS, fill=0.0)


def _linear(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[Spec] | str:
    return [Spec("weight", ("kernel",), TRANSPOSED, _transpose, _transpose_back), _bias()]


def _conv_specs(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[Spec] | str:
    kernel = arrays.get("kernel")
    if tmod is not None and kernel is not None and kernel.ndim - 2 != len(tmod.kernel_size):
        return f"a {kernel.ndim - 2}-d kernel; torch {type_name(tmod)} is {len(tmod.kernel_size)}-d"
    return [Spec("weight", ("kernel",), CONV, _conv, _conv_back), _bias()]


def _conv_transpose(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[Spec] | str:
    found = _conv_specs(fmod, arrays, tmod)
    if isinstance(found, str):
        return found
    if tmod is not None and tmod.groups != 1:
        return f"torch {type_name(tmod)} has groups={tmod.groups}; nnx.ConvTranspose has no groups"
    if fmod is not None and fmod.transpose_kernel:
        spec = Spec("weight", ("kernel",), "transposed-conv kernel (*k, out, in) -> (in, out, *k)", _conv_tk,
                     _conv_tk_back)
    else:
        spec = Spec("weight", ("kernel",), "transposed-conv kernel (*k, in, out) -> (in, out, *k), spatial axes "
                     "flipped", _conv_t, _conv_t_back)
    return [spec, _bias()]


def _norm(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[Spec] | str:
    groups = getattr(fmod, "num_groups", None)
    if tmod is not None and hasattr(tmod, "num_groups") and groups is not None and tmod.num_groups != groups:
        return f"num_groups={groups}; torch has num_groups={tmod.num_groups}"
    return [Spec("weight", ("scale",), AS_IS, fill=1.0), _bias()]


def _embed(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[Spec] | str:
    return [Spec("weight", ("embedding",), AS_IS)]


def _batchnorm(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[Spec] | str:
    return [Spec("weight", ("scale",), AS_IS, fill=1.0), _bias(),
            Spec("running_mean", ("mean",), AS_IS, kind="stat"), Spec("running_var", ("var",), AS_IS, kind="stat")]


def projections(tmod: Any) -> dict[str, str] | None:
    """The names of the four ``nn.Linear`` projections of a torch attention module (role ->
    name in the module, :data:`ROLES`), or None unless its ``nn.Linear``\\ s are exactly one per
    role, children or grandchildren (``q_proj``; ``self.query`` and ``output.dense``)."""
    import torch

    linears = [name for name, m in tmod.named_modules() if name and isinstance(m, torch.nn.Linear)]
    if len(linears) != len(ROLES) or any(name.count(".") > 1 for name in linears):
        return None
    found = {role: [n for n in linears if n.rsplit(".", 1)[-1] in names] for role, names in ROLES.items()}
    if any(len(names) != 1 for names in found.values()):
        return None
    return {role: names[0] for role, names in found.items()}


def _heads(k: Any) -> tuple[Callable[[Arrays], Any], ToFlax]:
    """A q/k/v kernel ``(in, H, D)`` <-> rows ``(H * D, in)``."""
    in_dim, heads, head_dim = (int(d) for d in k.shape)
    return (lambda a: a[0].reshape(a[0].shape[0], -1).T,
            lambda t: (t[0].T.reshape(in_dim, heads, head_dim),))


def _head_bias(b: Any) -> tuple[Callable[[Arrays], Any], ToFlax]:
    shape = tuple(int(d) for d in b.shape)
    return (lambda a: a[0].reshape(-1), lambda t: (t[0].reshape(shape),))


def _attention(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[Spec] | str:
    """``nnx.MultiHeadAttention`` <-> ``nn.MultiheadAttention`` (packed) or a module with four
    ``nn.Linear`` projections (transformers' attention)."""
    import torch

    names = ("query", "key", "value")
    kernels = tuple(f"{n}.kernel" for n in names)
    if not all(k in arrays for k in (*kernels, "out.kernel")):
        return "no query/key/value/out kernels"
    heads, head_dim = (int(d) for d in arrays["query.kernel"].shape[-2:])
    out_dim = int(arrays["out.kernel"].shape[-1])

    def out_rows(a: Arrays) -> Any:
        return a[0].reshape(-1, a[0].shape[-1]).T

    def out_back(t: Arrays) -> Arrays:
        return (t[0].T.reshape(heads, head_dim, out_dim),)

    out_layout = "out kernel (heads, head_dim, out) -> (out, heads * head_dim)"
    if tmod is not None and not isinstance(tmod, torch.nn.MultiheadAttention):
        proj = projections(tmod)
        if proj is None:
            return (f"torch {type_name(tmod)} is neither nn.MultiheadAttention nor a module with one nn.Linear "
                    f"projection each for query, key, value and out ({', '.join(n[1] for n in ROLES.values())})")
        specs = []
        for n in names:
            to_t, to_f = _heads(arrays[f"{n}.kernel"])
            specs.append(Spec(f"{proj[n]}.weight", (f"{n}.kernel",), "kernel (in, heads, head_dim) -> "
                               "(heads * head_dim, in)", to_t, to_f))
            if f"{n}.bias" in arrays:
                to_t, to_f = _head_bias(arrays[f"{n}.bias"])
                specs.append(Spec(f"{proj[n]}.bias", (f"{n}.bias",), "bias (heads, head_dim) -> (heads * head_dim,)",
                                   to_t, to_f, fill=0.0))
            else:
                specs.append(_bias(f"{proj[n]}.bias", f"{n}.bias"))
        return [*specs, Spec(f"{proj['out']}.weight", ("out.kernel",), out_layout, out_rows, out_back),
                _bias(f"{proj['out']}.bias", "out.bias")]
    kv_heads = int(arrays["key.kernel"].shape[-2])
    if kv_heads != heads:
        return (f"{kv_heads} key/value heads for {heads} query heads; nn.MultiheadAttention has no grouped-query "
                "attention")
    if tmod is not None and tmod.num_heads != heads:
        return (f"num_heads={heads}; torch has num_heads={tmod.num_heads} (the packed projections "
                "would split into heads differently)")
    in_dims = [int(arrays[k].shape[0]) for k in kernels]

    def to_rows(k: Any) -> Any:  # (in, H, D) -> (H * D, in)
        return k.reshape(k.shape[0], -1).T

    def pack(a: Arrays) -> Any:
        return _concat([to_rows(k) for k in a], axis=0)

    def unpack(t: Arrays) -> Arrays:
        return tuple(part.T.reshape(d, heads, head_dim) for d, part in zip(in_dims, np.split(t[0], 3, axis=0)))

    def pack_bias(a: Arrays) -> Any:
        return _concat([b.reshape(-1) for b in a])

    def unpack_bias(t: Arrays) -> Arrays:
        return tuple(part.reshape(heads, head_dim) for part in np.split(t[0], 3))

    packed = tmod._qkv_same_embed_dim if tmod is not None else len(set(in_dims)) == 1
    if packed:
        specs = [Spec("in_proj_weight", kernels, "q/k/v kernels (in, heads, head_dim) packed", pack, unpack)]
    else:
        specs = [Spec(f"{t}_proj_weight", (k,), "kernel (in, heads, head_dim) -> (heads * head_dim, in)",
                       *_heads(arrays[k])) for t, k in zip("qkv", kernels)]
    return [*specs,
            Spec("in_proj_bias", tuple(f"{n}.bias" for n in names), "q/k/v biases (heads, head_dim) packed",
                  pack_bias, unpack_bias, fill=0.0),
            Spec("out_proj.weight", ("out.kernel",), out_layout, out_rows, out_back),
            _bias("out_proj.bias", "out.bias")]


def layer_table() -> list[tuple[type, tuple[type, ...], Layer]]:
    """(Flax layer, the torch types it converts to, its specs), most specific first."""
    import torch
    from flax import nnx

    tnn = torch.nn
    return [
        (nnx.MultiHeadAttention, (tnn.Module,), _attention),
        (nnx.Linear, (tnn.Linear,), _linear),
        (nnx.ConvTranspose, (tnn.ConvTranspose1d, tnn.ConvTranspose2d, tnn.ConvTranspose3d), _conv_transpose),
        (nnx.Conv, (tnn.Conv1d, tnn.Conv2d, tnn.Conv3d), _conv_specs),
        (nnx.LayerNorm, (tnn.LayerNorm,), _norm),  # or a module that computes one: is_torch_layer
        (nnx.RMSNorm, (tnn.RMSNorm,), _norm),
        (nnx.GroupNorm, (tnn.GroupNorm,), _norm),
        (nnx.Embed, (tnn.Embedding,), _embed),
        (nnx.BatchNorm, (tnn.modules.batchnorm._BatchNorm,), _batchnorm),
    ]


def norm_behaviour(tmod: Any) -> str | None:
    """``"RMSNorm"`` or ``"LayerNorm"`` for a torch module of another library's own class
    (transformers' ``LlamaRMSNorm``, ``T5LayerNorm``, ...) that computes one: no submodules, a
    1-d ``weight`` (and for a LayerNorm a ``bias``) as its only parameters, its epsilon in
    ``variance_epsilon`` or ``eps``, and, called on a test input, the formula of that norm with
    that epsilon and weight (to 1e-4: such classes may compute in float32 inside). None
    otherwise (an ``x * (1 + weight)`` norm is not one of them: the twin does not know it).

    Example:
        >>> import torch
        >>> class MyRMSNorm(torch.nn.Module):
        ...     def __init__(self, d: int) -> None:
        ...         super().__init__()
        ...         self.weight, self.variance_epsilon = torch.nn.Parameter(torch.ones(d)), 1e-6
        ...     def forward(self, x: torch.Tensor) -> torch.Tensor:
        ...         return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.variance_epsilon)
        >>> norm_behaviour(MyRMSNorm(4)), norm_behaviour(torch.nn.Linear(4, 4))
        ('RMSNorm', None)
    """
    import torch

    own = dict(tmod.named_parameters(recurse=False))
    eps = next((getattr(tmod, a) for a in ("variance_epsilon", "eps") if isinstance(getattr(tmod, a, None), float)),
               None)
    weight = own.get("weight")
    if (eps is None or weight is None or weight.ndim != 1 or set(own) - {"weight", "bias"} or any(tmod.children())
            or ("bias" in own and tuple(own["bias"].shape) != tuple(weight.shape))):
        return None
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((3, weight.shape[0]), generator=gen, dtype=torch.float64)
    w = weight.detach().to(torch.float64)
    if "bias" in own:
        kind, want = "LayerNorm", torch.nn.functional.layer_norm(x, (x.shape[-1],), w, own["bias"].detach().double(),
                                                                  eps)
    else:
        kind, want = "RMSNorm", w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    try:
        with torch.no_grad():
            got = tmod(x.to(weight.dtype)).to(torch.float64)
    except Exception:  # a forward of another signature: not a norm of these
        return None
    if tuple(got.shape) != tuple(want.shape):
        return None
    scale = float(want.norm())
    return kind if scale > 0 and float((got - want).norm()) <= 1e-4 * scale else None


def laid_out_as_in_flax(tmod: Any) -> bool:
    """Whether every tensor of a torch layer has its Flax twin's layout (a norm, an embedding,
    a batch norm): a variable of your own module may be copied into it as it is.

    Example:
        >>> import torch
        >>> laid_out_as_in_flax(torch.nn.RMSNorm(4)), laid_out_as_in_flax(torch.nn.Linear(4, 4))
        (True, False)
    """
    return isinstance(tmod, tuple(t for _, ts, fn in layer_table() if fn in (_norm, _embed, _batchnorm) for t in ts))


def is_torch_layer(tmod: Any, flax_type: type, torch_types: tuple[type, ...]) -> bool:
    """Whether ``tmod`` is the torch twin of a Flax layer of ``flax_type``: one of
    ``torch_types``, or for ``nnx.RMSNorm``/``nnx.LayerNorm`` a module that computes that norm
    (:func:`norm_behaviour`)."""
    if isinstance(tmod, torch_types):
        return True
    return flax_type.__name__ in ("RMSNorm", "LayerNorm") and norm_behaviour(tmod) == flax_type.__name__


def known_layers() -> list[tuple[str, str]]:
    """The layer pairs the twin converts: ``(Flax type, torch types)`` in words.

    Example:
        >>> dict(known_layers())["nnx.GroupNorm"]
        'nn.GroupNorm'
    """
    return [(f"nnx.{f.__name__}", " or ".join(f"nn.{t.__name__}" for t in ts)) for f, ts, _ in layer_table()]


def is_container(module: Any) -> bool:
    """A Flax container or a module of your own (its variables copy as they are): not a layer of
    Flax's own that the twin does not know."""
    from flax import nnx

    return type(module).__module__.split(".")[0] != "flax" or isinstance(module, (nnx.Sequential, nnx.List, nnx.Dict))


def _layer_by_names(names: set[str], arrays: Mapping[str, Any]) -> Layer | None:
    """The layer whose Flax variable names these are (for a ``State`` without its model)."""
    if {"query.kernel", "key.kernel", "value.kernel", "out.kernel"} <= names:
        return _attention
    if names in ({"kernel"}, {"kernel", "bias"}):
        return _linear if np.ndim(arrays["kernel"]) == 2 else _conv_specs
    if names == {"embedding"}:
        return _embed
    if {"mean", "var"} <= names <= {"mean", "var", "scale", "bias"}:
        return _batchnorm
    if names in ({"scale"}, {"scale", "bias"}):
        return _norm
    return None


def layout_by_names(arrays: Mapping[tuple[Any, ...], Any]) -> dict[str, Any]:
    """Flax variables (path tuple -> array, concrete or traced) in torch layout, the layer of
    each read from the variable names (see ``models.to_torch_layout``); a variable of no
    known layer keeps its layout. A transposed convolution cannot be told from a convolution
    by its names: use :func:`torch_layout` (the model at hand) for one."""
    children: dict[tuple[Any, ...], set[tuple[Any, ...]]] = {}
    for path in arrays:
        for n in range(len(path)):
            children.setdefault(tuple(path[:n]), set()).add(tuple(path))
    out: dict[str, Any] = {}
    done: set[tuple[Any, ...]] = set()
    for prefix in sorted(children, key=len):  # outer modules first: attention owns its projections
        under = [p for p in children[prefix] if p not in done]
        rel = {dotted(p[len(prefix):]): arrays[p] for p in under}
        layer = _layer_by_names(set(rel), rel)
        if layer is None:
            continue
        specs = layer(None, rel, None)
        assert not isinstance(specs, str), specs
        for spec in specs:
            if all(a in rel for a in spec.flax_attrs):
                out[join(dotted(prefix), spec.torch_attr)] = spec.to_torch(tuple(rel[a] for a in spec.flax_attrs))
        done.update(under)
    for path in arrays:
        if path not in done:
            out[dotted(path)] = arrays[path]
    return out

