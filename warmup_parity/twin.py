"""The torch twin of a Flax NNX model: which parameter is which, in which layout, written once.

:func:`weight_map` pairs a Flax model's variables with its torch twin's tensors; :func:`copy_weights`
copies them either way; ``compare`` converts parameters, gradients and updates with the same map,
and ``warmup_parity.resume`` carries a run's parameters and moments across with it.

Names: the Flax variable ``blocks.0.attn.query.kernel`` belongs to the Flax module ``blocks.0.attn``,
whose torch counterpart is the module of the same dotted name, as
:func:`warmup_spec.param_rules.torch_style_parts` names it (``nnx.Sequential``'s ``layers`` level
dropped: Flax ``seq.layers.0`` is torch ``seq.0``; the same rule names a parameter for
parameter-group rules in JAX). Where names differ:

- ``mapping={flax path regex: torch name}``: each key is a regular expression matched against
  a whole Flax module or variable path (the longest path a key matches wins), the value its torch
  name, with the key's groups (``{r"layer(\\d+)\\.conv(\\d+)": r"stages.\\1.layers.\\2.conv"}``); a plain
  path (``{"encoder": "enc"}``) renames everything under it;
- ``mapping=None``: the names first; when they do not pair, the two models' layers are paired by
  structure (layer type, parameter shapes, and with ``example`` the order in which a forward calls
  them): :data:`WeightMap.pairing` holds the pairing chosen (logged too); an ambiguous one is an
  error naming the candidates;
- an attention projection named ``query``/``key``/``value``/``out`` on one side and
  ``q_proj``/``k_proj``/``v_proj``/``o_proj`` (or another name of :data:`ROLES`) on the other.

Layouts converted, by layer (Flax -> torch):

- ``nnx.Linear`` -> ``nn.Linear``: ``kernel (in, out)`` -> ``weight (out, in)``, ``bias``.
- ``nnx.Conv`` -> ``nn.Conv1d/2d/3d`` (groups and any padding): ``kernel (*k, in/groups, out)`` ->
  ``weight (out, in/groups, *k)``, ``bias``.
- ``nnx.ConvTranspose`` -> ``nn.ConvTranspose1d/2d/3d``: ``kernel (*k, in, out)`` -> ``weight
  (in, out, *k)`` with the spatial axes flipped (``transpose_kernel=False``, the default, applies
  the kernel as a convolution over the dilated input; torch applies its transpose); with
  ``transpose_kernel=True`` the kernel is ``(*k, out, in)`` and not flipped.
- ``nnx.LayerNorm`` / ``nnx.RMSNorm`` / ``nnx.GroupNorm`` -> ``nn.LayerNorm`` / ``nn.RMSNorm`` /
  ``nn.GroupNorm``: ``scale`` -> ``weight``, ``bias``.
- ``nnx.BatchNorm`` -> ``nn.BatchNorm1d/2d/3d``: ``scale``/``bias`` -> ``weight``/``bias`` and the
  statistics ``mean``/``var`` -> ``running_mean``/``running_var``.
- ``nnx.Embed`` -> ``nn.Embedding``: ``embedding (n, d)`` -> ``weight (n, d)``; an output layer tied
  to it in torch (``lm_head.weight is embed.weight``) is the same tensor and needs nothing.
- ``nnx.MultiHeadAttention`` -> ``nn.MultiheadAttention``: the ``query``/``key``/``value`` kernels
  ``(in, heads, head_dim)`` packed into ``in_proj_weight (3 E, E)`` (``q/k/v_proj_weight`` when
  ``kdim``/``vdim`` differ), their biases into ``in_proj_bias``, ``out.kernel (heads, head_dim, E)``
  -> ``out_proj.weight``.
- ``nnx.MultiHeadAttention`` -> a torch module with four ``nn.Linear`` projections (the attention
  of transformers' models: ``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``, with or without biases):
  each kernel ``(in, heads, head_dim)`` -> ``weight (heads * head_dim, in)``, ``out.kernel`` ->
  ``o_proj.weight``; grouped-query attention (``num_kv_heads``) included: key/value have
  ``kv_heads * head_dim`` rows on both sides, and both repeat each key/value head for
  consecutive query heads.
- ``converters={flax variable regex: (torch name templates, to_torch, to_flax)}``: a layer of
  your own (an einsum kernel of an LLM). ``to_torch(array) -> list of arrays`` (one per template,
  each template a torch name using the regex's groups), ``to_flax(list of arrays) -> array``;
  write them with array methods (``.reshape``, ``.transpose``, indexing) so they also convert
  traced arrays inside ``jax.jit``. E.g. a packed ``kv_einsum (2, kv_heads, dim, head_dim)``::

      {r"(.*)\\.attn\\.kv_einsum\\.w": ([r"\\1.self_attn.k_proj.weight", r"\\1.self_attn.v_proj.weight"],
          lambda w: [w[i].transpose(0, 2, 1).reshape(-1, w.shape[2]) for i in (0, 1)],
          lambda ts: np.stack([t.reshape(KV, HD, -1).transpose(0, 2, 1) for t in ts]))}

- A variable of your own module (an ``nnx.Param`` attribute) is copied as it is to the torch
  parameter (``nnx.BatchStat``: buffer) of the same name, when the torch tensor is not one of a
  torch layer's; the shapes must agree. A square matrix copied as it is keeps its shape: if one
  side computes ``x @ W`` and the other ``F.linear(x, W)``, only training shows it (``compare``
  names the module).

A Flax layer of a type the twin does not know (``nnx.Einsum``, ``nnx.LoRA``, ...) is an error naming
it (give it a converter), as is every parameter on either side that is not matched and every shape
that does not agree after conversion; nothing is skipped or copied silently. Torch buffers other
than batch-norm statistics (a causal mask, ``num_batches_tracked``) are not parameters and are left
alone.

Example:
    >>> import torch
    >>> from flax import nnx
    >>> flax_model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
    >>> torch_model = torch.nn.Linear(3, 2)
    >>> wmap = copy_weights(flax_model, torch_model)
    >>> [(link.torch_name, link.flax_paths, link.layout) for link in wmap.links]
    [('weight', ('kernel',), 'transposed'), ('bias', ('bias',), 'as is')]
    >>> bool((torch_model.weight.detach().numpy() == flax_model.kernel[...].T).all())
    True
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from warmup_spec.param_rules import torch_style_parts

Arrays = tuple[Any, ...]
ToTorch = Callable[[Arrays], Any]
ToFlax = Callable[[Arrays], Arrays]
Converters = Mapping[str, tuple[Sequence[str], Callable[[Any], Sequence[Any]], Callable[[Sequence[Any]], Any]]]
"""``{flax variable regex: (torch name templates, to_torch, to_flax)}`` (see the module docstring)."""

__all__ = ["ROLES", "Link", "ModulePair", "WeightMap", "copy_weights", "torch_layout", "weight_map"]

log = logging.getLogger("warmup_parity")

ROLES: dict[str, tuple[str, ...]] = {
    "query": ("query", "q_proj", "q", "wq", "q_lin"),
    "key": ("key", "k_proj", "k", "wk", "k_lin"),
    "value": ("value", "v_proj", "v", "wv", "v_lin"),
    "out": ("out", "o_proj", "out_proj", "o", "wo", "out_lin", "dense"),
}
"""The names an attention's four projections go by (Flax's first), role -> names."""


def _identity(a: Arrays) -> Any:
    return a[0]


def _identity_back(t: Arrays) -> Arrays:
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


@dataclass(frozen=True)
class Link:
    """One torch tensor and the Flax variable(s) it is made of.

    Attributes:
        torch_name: the torch parameter or buffer name (``blocks.0.attn.in_proj_weight``);
            for a parameter only the Flax side has, the name torch would give it.
        flax_paths: the dotted Flax variable paths, in the order ``to_torch`` takes them
            (three for a packed q/k/v projection); empty when only torch has it.
        kind: ``"param"``, or ``"stat"`` for batch-norm running statistics.
        layout: how the layouts differ, in words (``"transposed"``, ``"as is"``, ...).
        in_torch: whether torch has the tensor (False: only Flax has it).
        fill: the constant a missing side stands for (a missing bias is 0, a scale 1).
        to_torch: Flax arrays -> the torch-layout array.
        to_flax: the torch arrays named by :attr:`sources` -> the Flax arrays of ``flax_paths``;
            None when another link of the same Flax variable restores it (a converter that makes
            several torch tensors of one Flax variable).
        sources: the torch tensors ``to_flax`` reads (default: this link's own).
    """

    torch_name: str
    flax_paths: tuple[str, ...]
    kind: Literal["param", "stat"]
    layout: str
    in_torch: bool = True
    fill: float = 0.0
    to_torch: ToTorch = field(default=_identity, repr=False, compare=False)
    to_flax: ToFlax | None = field(default=_identity_back, repr=False, compare=False)
    sources: tuple[str, ...] = field(default=(), repr=False)

    @property
    def in_flax(self) -> bool:
        return bool(self.flax_paths)

    @property
    def one_sided(self) -> bool:
        """Only one framework has it (a bias or scale one side's layer lacks)."""
        return not (self.in_torch and self.in_flax)

    @property
    def reads(self) -> tuple[str, ...]:
        """The torch tensors ``to_flax`` reads."""
        return self.sources or (self.torch_name,)


@dataclass(frozen=True)
class ModulePair:
    """A Flax module and the torch module of its (mapped) name; ``torch_type`` is None
    when torch has no module of that name."""

    flax_path: str
    torch_name: str
    flax_type: str
    torch_type: str | None


@dataclass(frozen=True)
class WeightMap:
    """Which Flax variables make which torch tensors, and the module correspondence.

    ``links`` are in torch's ``named_parameters()`` order, then statistics, then the
    parameters only Flax has. Conversions take and return arrays (NumPy, or JAX ones, traced
    included), so the same map converts parameters, gradients, updates and optimizer moments.
    ``pairing`` is the ``{flax module path: torch module name}`` the structural pairing chose
    (empty when the names, or the user's mapping, paired the models).
    """

    links: tuple[Link, ...]
    modules: tuple[ModulePair, ...]
    flax_to_torch_names: Mapping[str, str] = field(default_factory=dict, repr=False)
    pairing: Mapping[str, str] = field(default_factory=dict)

    def params(self) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.kind == "param")

    def stats(self) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.kind == "stat")

    def one_sided(self) -> tuple[Link, ...]:
        return tuple(link for link in self.links if link.one_sided)

    def torch_module(self, flax_path: str) -> str | None:
        """The torch module name of a Flax module path (None when torch has none)."""
        return self.flax_to_torch_names.get(flax_path)

    def to_torch(self, flax_arrays: Mapping[str, Any], links: Iterable[Link] | None = None) -> dict[str, Any]:
        """Flax arrays (by dotted path) -> torch-layout arrays (by torch name), for the links
        (default all) that Flax has."""
        return {link.torch_name: link.to_torch(tuple(flax_arrays[p] for p in link.flax_paths))
                for link in (self.links if links is None else links) if link.in_flax}

    def to_flax(self, torch_arrays: Mapping[str, Any], links: Iterable[Link] | None = None) -> dict[str, Any]:
        """Torch arrays (by name) -> Flax-layout arrays (by dotted path), for the links (default
        all) that both sides have and whose torch tensors are all in ``torch_arrays``."""
        out: dict[str, Any] = {}
        for link in self.links if links is None else links:
            if link.one_sided or link.to_flax is None or not all(s in torch_arrays for s in link.reads):
                continue
            out.update(zip(link.flax_paths, link.to_flax(tuple(torch_arrays[s] for s in link.reads))))
        return out


# --------------------------------------------------------------------------- reading both sides


def _dotted(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path)


def flax_variables(model: Any) -> dict[str, Any]:
    """The Flax model's parameters and batch statistics: dotted path -> the ``Variable``."""
    from flax import nnx

    return {_dotted(path): node for path, node in nnx.iter_graph(model)
            if isinstance(node, (nnx.Param, nnx.BatchStat))}


def flax_arrays(model: Any) -> dict[str, np.ndarray]:
    """Dotted path -> NumPy array of every parameter and batch statistic of a Flax model."""
    return {k: np.asarray(v.get_value()) for k, v in flax_variables(model).items()}


def torch_arrays(model: Any) -> dict[str, np.ndarray]:
    """Name -> NumPy array (a copy) of every torch parameter and buffer."""
    out = {k: v.detach().cpu().numpy().copy() for k, v in model.named_buffers()}
    out.update({k: v.detach().cpu().numpy().copy() for k, v in model.named_parameters()})
    return out


def module_types(model: Any) -> dict[tuple[Any, ...], str]:
    """The type name of every module of a Flax NNX model, by path (for
    :func:`warmup_spec.param_rules.torch_style_name`)."""
    from flax import nnx

    return {tuple(path): type(m).__name__ for path, m in nnx.iter_modules(model)}


# --------------------------------------------------------------------------- layouts, by layer


def _show(name: str) -> str:
    """A module name for a message: quoted, or ``(the model)`` for the root."""
    return repr(name) if name else "(the model)"


def _under(prefix: str, name: str) -> bool:
    """Whether ``name`` lies in the module ``prefix`` (every name lies in the root ``""``)."""
    return not prefix or name.startswith(prefix + ".")


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _type_name(obj: Any) -> str:
    mod = type(obj).__module__
    prefix = "nnx." if mod.startswith("flax.") else ("nn." if mod.startswith("torch.nn") else "")
    return prefix + type(obj).__name__


@dataclass(frozen=True)
class _Spec:
    """One torch tensor of a module pair: its name in the torch module, the Flax variables
    (names in the Flax module) it is made of, and how. ``fill``: the constant it stands for
    when only one side has it (None: both must)."""

    torch_attr: str
    flax_attrs: tuple[str, ...]
    layout: str
    to_torch: ToTorch = _identity
    to_flax: ToFlax | None = _identity_back
    fill: float | None = None
    kind: Literal["param", "stat"] = "param"
    sources: tuple[str, ...] = ()


AS_IS = "as is"
TRANSPOSED = "transposed"
CONV = "conv kernel (*k, in, out) -> (out, in, *k)"

Layer = Callable[[Any, Mapping[str, Any], Any], "list[_Spec] | str"]
"""(Flax module or None, its variables by relative name, the torch module or None) -> the specs,
or a sentence saying why the two cannot be converted."""


def _bias(attr: str = "bias", flax: str = "bias") -> _Spec:
    return _Spec(attr, (flax,), AS_IS, fill=0.0)


def _linear(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[_Spec] | str:
    return [_Spec("weight", ("kernel",), TRANSPOSED, _transpose, _transpose_back), _bias()]


def _conv_specs(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[_Spec] | str:
    kernel = arrays.get("kernel")
    if tmod is not None and kernel is not None and kernel.ndim - 2 != len(tmod.kernel_size):
        return f"a {kernel.ndim - 2}-d kernel; torch {_type_name(tmod)} is {len(tmod.kernel_size)}-d"
    return [_Spec("weight", ("kernel",), CONV, _conv, _conv_back), _bias()]


def _conv_transpose(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[_Spec] | str:
    found = _conv_specs(fmod, arrays, tmod)
    if isinstance(found, str):
        return found
    if tmod is not None and tmod.groups != 1:
        return f"torch {_type_name(tmod)} has groups={tmod.groups}; nnx.ConvTranspose has no groups"
    if fmod is not None and fmod.transpose_kernel:
        spec = _Spec("weight", ("kernel",), "transposed-conv kernel (*k, out, in) -> (in, out, *k)", _conv_tk,
                     _conv_tk_back)
    else:
        spec = _Spec("weight", ("kernel",), "transposed-conv kernel (*k, in, out) -> (in, out, *k), spatial axes "
                     "flipped", _conv_t, _conv_t_back)
    return [spec, _bias()]


def _norm(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[_Spec] | str:
    if tmod is not None and hasattr(tmod, "num_groups") and fmod is not None and tmod.num_groups != fmod.num_groups:
        return f"num_groups={fmod.num_groups}; torch has num_groups={tmod.num_groups}"
    return [_Spec("weight", ("scale",), AS_IS, fill=1.0), _bias()]


def _embed(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[_Spec] | str:
    return [_Spec("weight", ("embedding",), AS_IS)]


def _batchnorm(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[_Spec] | str:
    return [_Spec("weight", ("scale",), AS_IS, fill=1.0), _bias(),
            _Spec("running_mean", ("mean",), AS_IS, kind="stat"), _Spec("running_var", ("var",), AS_IS, kind="stat")]


def projections(tmod: Any) -> dict[str, str] | None:
    """The names of the four ``nn.Linear`` projections of a torch attention module (role ->
    name in the module, :data:`ROLES`), or None when it has not exactly one Linear per role."""
    import torch

    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for name, module in tmod.named_modules():
        if name and isinstance(module, torch.nn.Linear):
            for role, names in ROLES.items():
                if name.rsplit(".", 1)[-1] in names[1:] + names[:1]:
                    found[role].append(name)
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


def _attention(fmod: Any, arrays: Mapping[str, Any], tmod: Any) -> list[_Spec] | str:
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
            return (f"torch {_type_name(tmod)} is neither nn.MultiheadAttention nor a module with one nn.Linear "
                    f"projection each for query, key, value and out ({', '.join(n[1] for n in ROLES.values())})")
        specs = []
        for n in names:
            to_t, to_f = _heads(arrays[f"{n}.kernel"])
            specs.append(_Spec(f"{proj[n]}.weight", (f"{n}.kernel",), "kernel (in, heads, head_dim) -> "
                               "(heads * head_dim, in)", to_t, to_f))
            if f"{n}.bias" in arrays:
                to_t, to_f = _head_bias(arrays[f"{n}.bias"])
                specs.append(_Spec(f"{proj[n]}.bias", (f"{n}.bias",), "bias (heads, head_dim) -> (heads * head_dim,)",
                                   to_t, to_f, fill=0.0))
            else:
                specs.append(_bias(f"{proj[n]}.bias", f"{n}.bias"))
        return [*specs, _Spec(f"{proj['out']}.weight", ("out.kernel",), out_layout, out_rows, out_back),
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
        specs = [_Spec("in_proj_weight", kernels, "q/k/v kernels (in, heads, head_dim) packed", pack, unpack)]
    else:
        specs = [_Spec(f"{t}_proj_weight", (k,), "kernel (in, heads, head_dim) -> (heads * head_dim, in)",
                       *_heads(arrays[k])) for t, k in zip("qkv", kernels)]
    return [*specs,
            _Spec("in_proj_bias", tuple(f"{n}.bias" for n in names), "q/k/v biases (heads, head_dim) packed",
                  pack_bias, unpack_bias, fill=0.0),
            _Spec("out_proj.weight", ("out.kernel",), out_layout, out_rows, out_back),
            _bias("out_proj.bias", "out.bias")]


def _layers() -> list[tuple[type, tuple[type, ...], Layer]]:
    """(Flax layer, the torch types it converts to, its specs), most specific first."""
    import torch
    from flax import nnx

    tnn = torch.nn
    return [
        (nnx.MultiHeadAttention, (tnn.Module,), _attention),
        (nnx.Linear, (tnn.Linear,), _linear),
        (nnx.ConvTranspose, (tnn.ConvTranspose1d, tnn.ConvTranspose2d, tnn.ConvTranspose3d), _conv_transpose),
        (nnx.Conv, (tnn.Conv1d, tnn.Conv2d, tnn.Conv3d), _conv_specs),
        (nnx.LayerNorm, (tnn.LayerNorm,), _norm),
        (nnx.RMSNorm, (tnn.RMSNorm,), _norm),
        (nnx.GroupNorm, (tnn.GroupNorm,), _norm),
        (nnx.Embed, (tnn.Embedding,), _embed),
        (nnx.BatchNorm, (tnn.modules.batchnorm._BatchNorm,), _batchnorm),
    ]


def known_layers() -> list[tuple[str, str]]:
    """The layer pairs the twin converts: ``(Flax type, torch types)`` in words.

    Example:
        >>> dict(known_layers())["nnx.GroupNorm"]
        'nn.GroupNorm'
    """
    return [(f"nnx.{f.__name__}", " or ".join(f"nn.{t.__name__}" for t in ts)) for f, ts, _ in _layers()]


def _is_container(module: Any) -> bool:
    """A Flax container or a module of your own (its variables copy as they are): not a layer of
    Flax's own that the twin does not know."""
    from flax import nnx

    return type(module).__module__.split(".")[0] != "flax" or isinstance(module, (nnx.Sequential, nnx.List, nnx.Dict))


# --------------------------------------------------------------------------- names


def _compile_mapping(who: str, mapping: Mapping[str, str] | None) -> list[tuple[str, re.Pattern[str], str]]:
    if mapping is None:
        return []
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{who}: mapping={mapping!r} is invalid; expected a {{flax path regex: torch name}} mapping "
                         "or None")
    out = []
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"{who}: mapping={{{key!r}: {value!r}}} is invalid; expected "
                             "{flax path regex: torch name} strings")
        try:
            out.append((key, re.compile(key), value))
        except re.error as e:
            raise ValueError(f"{who}: mapping key {key!r} is invalid; expected a regular expression ({e})") from None
    return out


def _compile_converters(who: str, converters: Converters | None) -> list[tuple[str, re.Pattern[str], Any]]:
    if converters is None:
        return []
    out = []
    for key, value in converters.items():
        ok = isinstance(key, str) and isinstance(value, tuple) and len(value) == 3 and callable(value[1]) \
            and callable(value[2]) and not isinstance(value[0], str) and isinstance(value[0], Sequence) \
            and all(isinstance(t, str) for t in value[0]) and len(value[0]) > 0
        if not ok:
            raise ValueError(f"{who}: converters={{{key!r}: {value!r}}} is invalid; expected {{flax variable regex: "
                             "([torch name templates], to_torch, to_flax)}")
        try:
            out.append((key, re.compile(key), value))
        except re.error as e:
            raise ValueError(f"{who}: converters key {key!r} is invalid; expected a regular expression ({e})") \
                from None
    return out


# --------------------------------------------------------------------------- matching


class _Matcher:
    """Builds the links of one Flax/torch pair, collecting every problem. Without a torch
    model (``tmodel=None``) the torch side is the canonical one: the names and layouts torch's
    own layers would have."""

    def __init__(self, fmodel: Any, tmodel: Any, mapping: Mapping[str, str] | None,
                 converters: Converters | None, who: str) -> None:
        from flax import nnx

        modules = list(nnx.iter_modules(fmodel))
        self.fmodules = {_dotted(p): (tuple(p), m) for p, m in modules}
        self.types = {tuple(p): type(m).__name__ for p, m in modules}
        nodes = [(tuple(path), node) for path, node in nnx.iter_graph(fmodel)
                 if isinstance(node, (nnx.Param, nnx.BatchStat))]
        self.fvars = {_dotted(path): node for path, node in nodes}
        self.fvar_paths = {_dotted(path): path for path, _ in nodes}
        self.farrays = {k: np.asarray(v.get_value()) for k, v in self.fvars.items()}
        self.virtual = tmodel is None
        self.tmodules: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_modules())
        self.tparams: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_parameters())
        self.tbuffers: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_buffers())
        self.mapping = _compile_mapping(who, mapping)
        self.converters = _compile_converters(who, converters)
        self.used_keys: set[str] = set()
        self.links: list[Link] = []
        self.problems: list[str] = []
        self.claimed_f: set[str] = set()
        self.claimed_t: set[str] = set()
        self.unnamed = False  # a Flax module or variable whose torch name the torch model does not have

    def torch_name(self, path: tuple[Any, ...]) -> str:
        """The torch name of a Flax module or variable path: the user's mapping (the longest
        path a key matches), else the torch-style path (:func:`torch_style_parts`)."""
        parts = torch_style_parts(path, self.types)
        for n in range(len(path), -1, -1):
            key = _dotted(path[:n])
            for pattern, regex, value in self.mapping:
                match = regex.fullmatch(key)
                if match is not None:
                    self.used_keys.add(pattern)
                    rest = [p for p in parts[n:] if p is not None]
                    return ".".join(s for s in [match.expand(value), *rest] if s)
        name = ".".join(p for p in parts if p is not None)
        return name if self.virtual or name in self.tmodules else self.role_name(name)

    def role_name(self, name: str) -> str:
        """An attention projection's torch name under another name of its role (``query`` ->
        ``q_proj``) when torch has no module ``name`` but has exactly one of the others."""
        parent, _, last = name.rpartition(".")
        role = next((r for r, names in ROLES.items() if last in names), None)
        if role is None:
            return name
        others = [_join(parent, n) for n in ROLES[role] if _join(parent, n) in self.tmodules]
        return others[0] if len(others) == 1 else name

    @staticmethod
    def suggest(name: str, names: Iterable[str]) -> str:
        close = difflib.get_close_matches(name, list(names), n=2, cutoff=0.5)
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""

    def has_torch(self, name: str, kind: str, default: bool) -> bool:
        if self.virtual:
            return default
        return name in (self.tparams if kind == "param" else self.tbuffers)

    def add(self, torch_name: str, flax_paths: tuple[str, ...], spec: _Spec, in_torch: bool,
            sources: tuple[str, ...] = ()) -> None:
        self.claimed_f.update(flax_paths)
        self.claimed_t.add(torch_name)
        if in_torch and flax_paths and not self.virtual:
            arrays = tuple(self.farrays[p] for p in flax_paths)
            pool = self.tparams if spec.kind == "param" else self.tbuffers
            want = tuple(pool[torch_name].shape)
            try:
                got: tuple[int, ...] | None = tuple(np.shape(spec.to_torch(arrays)))
            except (ValueError, TypeError, IndexError):
                got = None
            if got != want:
                shapes = ", ".join(f"{p!r} {tuple(a.shape)}" for p, a in zip(flax_paths, arrays))
                became = f"-> {got} ({spec.layout})" if got is not None else f"cannot be made ({spec.layout})"
                self.problems.append(f"shape: Flax {shapes} {became} does not fit torch {torch_name!r} {want}")
                return
        self.links.append(Link(torch_name, flax_paths, spec.kind, spec.layout, in_torch,
                               spec.fill or 0.0, spec.to_torch, spec.to_flax, sources))

    def convert_custom(self) -> None:
        """The user's converters: each Flax variable a regex matches -> its torch tensors."""
        used: set[str] = set()
        for fpath in self.fvars:
            for pattern, regex, (templates, to_torch, to_flax) in self.converters:
                match = regex.fullmatch(fpath)
                if match is None:
                    continue
                used.add(pattern)
                names = tuple(match.expand(t) for t in templates)
                missing = [n for n in names if not self.virtual and n not in self.tparams]
                if missing:
                    self.problems.append(f"converters[{pattern!r}]: Flax {fpath!r} -> torch "
                                         f"{', '.join(map(repr, missing))}, which the torch model does not have"
                                         f"{self.suggest(missing[0], self.tparams)}")
                    self.claimed_f.add(fpath)
                    break
                for i, name in enumerate(names):
                    def part(a: Arrays, i: int = i, fn: Any = to_torch) -> Any:
                        return list(fn(a[0]))[i]

                    def back(t: Arrays, fn: Any = to_flax) -> Arrays:
                        return (fn(list(t)),)

                    spec = _Spec(name, (fpath,), f"converters[{pattern!r}]", part, back if i == 0 else None,
                                 kind="stat" if name in self.tbuffers else "param")
                    self.add(name, (fpath,), spec, True, names if i == 0 else ())
                self.claimed_f.add(fpath)
                break
        for pattern, _, _ in self.converters:
            if pattern not in used:
                self.problems.append(f"converters key {pattern!r} matches no Flax variable")

    def convert(self, fpath: str, fmod: Any, tname: str, tmod: Any, layer: Layer) -> None:
        """The links of one module pair (every variable under ``fpath`` and parameter under ``tname``)."""
        own = {k[len(fpath) + 1:] if fpath else k: v for k, v in self.farrays.items()
               if _under(fpath, k) and k not in self.claimed_f}
        specs = layer(fmod, own, tmod)
        what = f"Flax {_type_name(fmod)} {_show(fpath)}"
        if isinstance(specs, str):
            self.problems.append(f"{what}: {specs}")
            self.claimed_f.update(_join(fpath, k) for k in own)
            self.claimed_t.update(k for k in self.tparams if _under(tname, k))
            return
        for spec in specs:
            fpaths = tuple(_join(fpath, a) for a in spec.flax_attrs)
            have_f = all(p in own for p in spec.flax_attrs)
            torch_full = _join(tname, spec.torch_attr)
            have_t = self.has_torch(torch_full, spec.kind, have_f)
            if not (have_f or have_t):
                continue
            if have_f != have_t and spec.fill is None:
                side = f"torch {_type_name(tmod)} {_show(tname)} has no {spec.torch_attr!r}" if have_f else \
                    f"{what} has no {', '.join(map(repr, spec.flax_attrs))}"
                self.problems.append(side)
                self.claimed_f.update(fpaths)
                self.claimed_t.add(torch_full)
                continue
            self.add(torch_full, fpaths if have_f else (), spec, have_t)
        if _type_name(fmod) == "nnx.BatchNorm":
            self.claimed_t.add(_join(tname, "num_batches_tracked"))
        for k in own:  # a variable the layer does not know (a LoRA adapter, qk-norm, ...)
            full = _join(fpath, k)
            if full not in self.claimed_f:
                self.problems.append(f"Flax {full!r} has no torch counterpart in {_type_name(tmod)} {_show(tname)}")
                self.claimed_f.add(full)
        for k in self.tparams:
            if _under(tname, k) and k not in self.claimed_t:
                self.problems.append(f"torch {k!r} has no Flax counterpart in {what}")
                self.claimed_t.add(k)

    def run(self) -> tuple[list[ModulePair], dict[str, str]]:
        self.convert_custom()
        layers = _layers()
        whole: list[str] = []  # modules converted as a whole (attention owns its projections)
        pairs: list[ModulePair] = []
        names: dict[str, str] = {}
        for fpath, (path, fmod) in sorted(self.fmodules.items(), key=lambda kv: (len(kv[1][0]), kv[0])):
            tname = self.torch_name(path)
            tmod = self.tmodules.get(tname)
            pairs.append(ModulePair(fpath, tname, _type_name(fmod), None if tmod is None else _type_name(tmod)))
            if tmod is not None or self.virtual:
                names[fpath] = tname
            if any(_under(w, fpath) for w in whole):
                continue
            own = [k for k in self.fvars if _under(fpath, k) and k not in self.claimed_f]
            found = next(((tt, fn) for ft, tt, fn in layers if isinstance(fmod, ft)), None)
            if found is None:
                direct = [k for k in own if "." not in (k[len(fpath) + 1:] if fpath else k)]
                if direct and not _is_container(fmod):
                    self.problems.append(f"Flax {_type_name(fmod)} {_show(fpath)} is a layer the twin does not know "
                                         f"(it knows {', '.join(f for f, _ in known_layers())}); give its variables "
                                         "converters={flax variable regex: (torch names, to_torch, to_flax)}")
                    self.claimed_f.update(direct)
                continue
            if not own:
                continue
            if not self.virtual and tmod is None:
                self.unnamed = True
                self.problems.append(f"Flax {_type_name(fmod)} {_show(fpath)} has no torch module {_show(tname)}"
                                     f"{self.suggest(tname, [n for n in self.tmodules if n])}")
                self.claimed_f.update(own)
                continue
            if tmod is not None and not isinstance(tmod, found[0]):
                self.problems.append(f"Flax {_type_name(fmod)} {_show(fpath)} is torch {_type_name(tmod)} "
                                     f"{_show(tname)}; expected " + " or ".join(f"nn.{t.__name__}" for t in found[0]))
                self.claimed_f.update(own)
                self.claimed_t.update(k for k in self.tparams if _under(tname, k))
                continue
            self.convert(fpath, fmod, tname, tmod, found[1])
            whole.append(fpath)
        self.convert_raw()
        for tname in self.tparams:
            if tname not in self.claimed_t:
                left = [p for p in self.fvars if p not in self.claimed_f]
                self.problems.append(f"torch {tname!r} has no Flax counterpart{self.suggest(tname, left)}")
        for pattern, _, _ in self.mapping:
            if pattern not in self.used_keys:
                self.problems.append(f"mapping key {pattern!r} matches no Flax module or variable")
        return pairs, names

    def convert_raw(self) -> None:
        """Variables of your own modules: the torch tensor of the same name, as they are."""
        import torch
        from flax import nnx

        torch_own = (torch.nn.Module, torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict,
                     torch.nn.ParameterList, torch.nn.ParameterDict)
        for fpath, var in self.fvars.items():
            if fpath in self.claimed_f:
                continue
            kind: Literal["param", "stat"] = "stat" if isinstance(var, nnx.BatchStat) else "param"
            tname = self.torch_name(self.fvar_paths[fpath])
            if not self.has_torch(tname, kind, True):
                self.unnamed = True
                what = "parameter" if kind == "param" else "buffer"
                pool = self.tparams if kind == "param" else self.tbuffers
                left = [n for n in pool if n not in self.claimed_t]
                self.problems.append(f"Flax {fpath!r} has no torch {what} {tname!r}{self.suggest(tname, left)}")
                self.claimed_f.add(fpath)
                continue
            owner = self.tmodules.get(tname.rpartition(".")[0])
            if owner is not None and type(owner).__module__.startswith("torch.nn") and type(owner) not in torch_own:
                fmod = self.fmodules[_dotted(self.fvar_paths[fpath][:-1])][1]
                self.problems.append(f"Flax {fpath!r} (a variable of {_type_name(fmod)}) would be copied as it is "
                                     f"into torch {tname!r} of {_type_name(owner)}, "
                                     "whose layout the twin converts only from the matching Flax layer")
                self.claimed_f.add(fpath)
                self.claimed_t.add(tname)
                continue
            self.add(tname, (fpath,), _Spec(tname, (fpath,), AS_IS, kind=kind), True)


# --------------------------------------------------------------------------- pairing by structure


@dataclass(frozen=True)
class _Unit:
    """A layer the structural pairing pairs: its name, kind (the Flax layer type) and shapes."""

    name: str
    module: Any
    kind: str
    shapes: tuple[Any, ...]

    @property
    def signature(self) -> tuple[str, tuple[Any, ...]]:
        return self.kind, self.shapes


def _flax_units(fmodel: Any, claimed: set[str]) -> list[_Unit]:
    """The known layers of a Flax model with variables (attention owns its projections), with
    the shapes torch's twin would give their parameters."""
    from flax import nnx

    arrays = flax_arrays(fmodel)
    layers = _layers()
    units: list[_Unit] = []
    for path, fmod in sorted(nnx.iter_modules(fmodel), key=lambda pm: len(pm[0])):
        fpath = _dotted(path)
        if any(_under(u.name, fpath) for u in units):
            continue
        found = next(((ft, fn) for ft, _, fn in layers if isinstance(fmod, ft)), None)
        own = {k[len(fpath) + 1:] if fpath else k: v for k, v in arrays.items()
               if _under(fpath, k) and k not in claimed}
        if found is None or not own:
            continue
        specs = found[1](fmod, own, None)
        if isinstance(specs, str):
            continue
        if found[0] is nnx.MultiHeadAttention:
            shapes: tuple[Any, ...] = (sum(int(np.size(v)) for v in own.values()),)
        else:
            shapes = tuple(sorted(tuple(np.shape(s.to_torch(tuple(own[a] for a in s.flax_attrs)))) for s in specs
                                  if s.kind == "param" and all(a in own for a in s.flax_attrs)))
        units.append(_Unit(fpath, fmod, found[0].__name__, shapes))
    return units


def _torch_units(tmodel: Any, attention: bool) -> list[_Unit]:
    """The torch model's layers of the kinds the twin converts (attention modules as a whole
    when the Flax side has ``nnx.MultiHeadAttention``)."""
    import torch

    kinds = [(ft.__name__, tt) for ft, tt, _ in _layers()[1:]]
    units: list[_Unit] = []
    for name, module in tmodel.named_modules():
        if any(_under(u.name, name) for u in units if u.kind == "MultiHeadAttention"):
            continue
        if attention and (isinstance(module, torch.nn.MultiheadAttention) or projections(module) is not None):
            units.append(_Unit(name, module, "MultiHeadAttention", (sum(p.numel() for p in module.parameters()),)))
            continue
        kind = next((k for k, tt in kinds if isinstance(module, tt)), None)
        own = list(module.parameters(recurse=False))
        if kind is not None and own:
            units.append(_Unit(name, module, kind, tuple(sorted(tuple(p.shape) for p in own))))
    return units


def _as_input(x: Any, to: Callable[[Any], Any]) -> Any:
    return tuple(to(v) for v in x) if isinstance(x, tuple) else to(x)


def _call_order(fmodel: Any, tmodel: Any, funits: list[_Unit], tunits: list[_Unit], example: Any,
                flax_forward: Callable[[Any, Any], Any] | None,
                torch_forward: Callable[[Any, Any], Any] | None) -> tuple[dict[str, int], dict[str, int]]:
    """The index of each unit's first call in one forward of each model on ``example``."""
    import jax.numpy as jnp
    import torch

    forder: dict[str, int] = {}
    names = {id(u.module): u.name for u in funits}
    classes = {c for u in funits for c in type(u.module).__mro__[:1]}
    saved = []

    def wrap(original: Any) -> Any:
        def recorded(module: Any, *args: Any, **kwargs: Any) -> Any:
            name = names.get(id(module))
            if name is not None:
                forder.setdefault(name, len(forder))
            return original(module, *args, **kwargs)

        return recorded

    for cls in classes:
        owner = next(c for c in cls.__mro__ if "__call__" in vars(c))
        saved.append((owner, vars(owner)["__call__"]))
    try:
        for owner, original in saved:
            setattr(owner, "__call__", wrap(original))  # noqa: B010 (a class attribute, set and put back)
        x = _as_input(example, jnp.asarray)
        (flax_forward or (lambda m, v: m(*v) if isinstance(v, tuple) else m(v)))(fmodel, x)
    finally:
        for owner, original in reversed(saved):
            setattr(owner, "__call__", original)  # noqa: B010
    torder: dict[str, int] = {}
    dtype = next((p.dtype for p in tmodel.parameters() if p.is_floating_point()), torch.get_default_dtype())

    def tensor(v: Any) -> Any:
        t = torch.as_tensor(np.array(v))
        return t.to(dtype) if t.is_floating_point() else t

    def hook(name: str) -> Callable[..., None]:
        def first_call(module: Any, args: Any) -> None:  # a pre-hook returning a value would replace the input
            torder.setdefault(name, len(torder))

        return first_call

    handles = [u.module.register_forward_pre_hook(hook(u.name)) for u in tunits]
    try:
        with torch.no_grad():
            x = _as_input(example, tensor)
            (torch_forward or (lambda m, v: m(*v) if isinstance(v, tuple) else m(v)))(tmodel, x)
    finally:
        for h in handles:
            h.remove()
    return forder, torder


def _describe(units: Sequence[_Unit]) -> str:
    return ", ".join(_show(u.name) for u in units)


def structural_pairing(flax_model: Any, torch_model: Any, *, example: Any = None, converters: Converters | None = None,
                       flax_forward: Callable[[Any, Any], Any] | None = None,
                       torch_forward: Callable[[Any, Any], Any] | None = None) -> dict[str, str]:
    """Pairs the layers of two structurally identical models by kind and parameter shapes,
    and in call order when ``example`` is given (one forward of each model is traced).

    Args:
        flax_model: an ``nnx.Module``.
        torch_model: a ``torch.nn.Module``.
        example: an input both models take (a NumPy array, or a tuple of them for several
            inputs); without it a kind and shape that several layers share is ambiguous.
        converters: the user's converters (the variables they convert are not paired).
        flax_forward, torch_forward: ``(model, x) -> output`` when a model is not called as
            ``model(x)`` (a layout change, a keyword).

    Returns:
        ``{flax module path: torch module name}``.

    Raises:
        ValueError: the models differ in the number of layers of some kind and shape, or the
            pairing is ambiguous; the message names the candidates.
    """
    claimed = {p for p in flax_arrays(flax_model) if any(rx.fullmatch(p) for _, rx, _ in
                                                         _compile_converters("copy_weights", converters))}
    funits = _flax_units(flax_model, claimed)
    tunits = _torch_units(torch_model, any(u.kind == "MultiHeadAttention" for u in funits))
    order: tuple[dict[str, int], dict[str, int]] | None = None
    if example is not None:
        order = _call_order(flax_model, torch_model, funits, tunits, example, flax_forward, torch_forward)
    problems: list[str] = []
    pairing: dict[str, str] = {}
    for sig in dict.fromkeys(u.signature for u in [*funits, *tunits]):
        fs = [u for u in funits if u.signature == sig]
        ts = [u for u in tunits if u.signature == sig]
        what = f"{sig[0]} {list(sig[1])}"
        if len(fs) != len(ts):
            problems.append(f"Flax has {len(fs)} {what} ({_describe(fs) or 'none'}), torch {len(ts)} "
                            f"({_describe(ts) or 'none'})")
            continue
        if len(fs) > 1:
            if order is None or not all(u.name in order[0] for u in fs) or not all(u.name in order[1] for u in ts):
                why = "pass example= (an input: they are paired in call order)" if order is None else \
                    "a forward of example= does not call them all"
                problems.append(f"ambiguous: Flax {_describe(fs)} and torch {_describe(ts)} are all {what}; {why} "
                                "or mapping=")
                continue
            fs = sorted(fs, key=lambda u: order[0][u.name])
            ts = sorted(ts, key=lambda u: order[1][u.name])
        pairing.update((f.name, t.name) for f, t in zip(fs, ts))
    if problems:
        raise ValueError("structural pairing: " + "; ".join(problems))
    return pairing


# --------------------------------------------------------------------------- the map


def _match(flax_model: Any, torch_model: Any, mapping: Mapping[str, str] | None, converters: Converters | None,
           who: str) -> tuple[_Matcher, WeightMap]:
    m = _Matcher(flax_model, torch_model, mapping, converters, who)
    modules, names = m.run()
    order = {name: k for k, name in enumerate([*m.tparams, *m.tbuffers])}  # virtual: as the layers list them
    links = sorted(m.links, key=lambda link: (link.kind != "param", not link.in_torch, order.get(link.torch_name, 0)))
    return m, WeightMap(tuple(links), tuple(modules), names)


def _failed(who: str, problems: Sequence[str]) -> ValueError:
    hint = any("has no torch" in p or "has no Flax counterpart" in p for p in problems)
    return ValueError(f"{who}: " + "; ".join(problems)
                      + ("; pass mapping={flax path: torch name} for names that differ" if hint else ""))


def weight_map(flax_model: Any, torch_model: Any, mapping: Mapping[str, str] | None = None, *,
               converters: Converters | None = None, example: Any = None,
               flax_forward: Callable[[Any, Any], Any] | None = None,
               torch_forward: Callable[[Any, Any], Any] | None = None, who: str = "copy_weights") -> WeightMap:
    """Matches the two models' parameters and statistics, without copying anything.

    A bias (or norm scale) that only one side's layer has is kept as a one-sided
    :class:`Link` (``compare`` treats it as the constant it stands for);
    :func:`copy_weights` refuses it.

    Args:
        flax_model: an ``nnx.Module``.
        torch_model: a ``torch.nn.Module``, or None for the names and layouts torch's own
            layers would have (what :func:`torch_layout` returns).
        mapping: ``{flax path regex: torch name}`` for modules or variables whose names differ;
            None: the names, else the pairing by structure (see the module docstring).
        converters: ``{flax variable regex: (torch name templates, to_torch, to_flax)}`` for
            layers of your own.
        example: an input both models take, to pair same-shaped layers by call order.
        flax_forward, torch_forward: ``(model, x) -> output``, to call a model on ``example``.
        who: the name error messages start with.

    Returns:
        The :class:`WeightMap`.

    Raises:
        ValueError: one line naming every unmatched parameter, type or shape mismatch, unused
            mapping or converter key, and (names that differ) why the structural pairing failed.
    """
    m, wmap = _match(flax_model, torch_model, mapping, converters, who)
    if not m.problems:
        return wmap
    if mapping is not None or torch_model is None or not m.unnamed:
        raise _failed(who, m.problems)
    try:
        pairing = structural_pairing(flax_model, torch_model, example=example, converters=converters,
                                     flax_forward=flax_forward, torch_forward=torch_forward)
    except ValueError as e:
        raise ValueError(f"{who}: by name: " + "; ".join(m.problems) + f"; by structure: {str(e)}") from None
    m2, wmap = _match(flax_model, torch_model, {re.escape(f): t for f, t in pairing.items()}, converters, who)
    if m2.problems:
        raise ValueError(f"{who}: by name: " + "; ".join(m.problems) + "; by structure (" + ", ".join(
            f"{f!r} -> {t!r}" for f, t in pairing.items()) + "): " + "; ".join(m2.problems))
    log.info("%s: names differ; paired by structure: %s", who, pairing)
    return WeightMap(wmap.links, wmap.modules, wmap.flax_to_torch_names, pairing)


def torch_layout(flax_model: Any, converters: Converters | None = None) -> dict[str, np.ndarray]:
    """The Flax model's parameters and statistics as torch's own layers would name and lay
    them out (``l1.kernel (in, out)`` -> ``l1.weight (out, in)``, ...), without a torch model.

    Example:
        >>> from flax import nnx
        >>> {k: v.shape for k, v in torch_layout(nnx.Linear(3, 2, rngs=nnx.Rngs(0))).items()}
        {'weight': (2, 3), 'bias': (2,)}
    """
    wmap = weight_map(flax_model, None, converters=converters)
    return wmap.to_torch(flax_arrays(flax_model))


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
        rel = {_dotted(p[len(prefix):]): arrays[p] for p in under}
        layer = _layer_by_names(set(rel), rel)
        if layer is None:
            continue
        specs = layer(None, rel, None)
        assert not isinstance(specs, str), specs
        for spec in specs:
            if all(a in rel for a in spec.flax_attrs):
                out[_join(_dotted(prefix), spec.torch_attr)] = spec.to_torch(tuple(rel[a] for a in spec.flax_attrs))
        done.update(under)
    for path in arrays:
        if path not in done:
            out[_dotted(path)] = arrays[path]
    return out


def refuse_one_sided(wmap: WeightMap, who: str = "copy_weights") -> None:
    """A ``ValueError`` naming every tensor only one side has (nothing to copy it from)."""
    problems = []
    for link in wmap.one_sided():
        if link.in_torch:
            problems.append(f"torch {link.torch_name!r} has no Flax counterpart (the Flax layer has no "
                            f"{link.torch_name.rsplit('.', 1)[-1]})")
        else:
            problems.append(f"Flax {link.flax_paths[0]!r} has no torch counterpart {link.torch_name!r} "
                            f"(the torch layer has no {link.torch_name.rsplit('.', 1)[-1]})")
    if problems:
        raise ValueError(f"{who}: " + "; ".join(problems))


def copy_weights(flax_model: Any, torch_model: Any, mapping: Mapping[str, str] | None = None, *,
                 to: Literal["torch", "flax"] = "torch", converters: Converters | None = None, example: Any = None,
                 flax_forward: Callable[[Any, Any], Any] | None = None,
                 torch_forward: Callable[[Any, Any], Any] | None = None) -> WeightMap:
    """Copies the Flax model's parameters and batch statistics into the torch model
    (``to="flax"``: the torch model's into the Flax model), converting layouts.

    Values take the destination's dtype (a float64 torch model gets float64 copies).

    Args:
        flax_model: an ``nnx.Module``.
        torch_model: a ``torch.nn.Module``.
        mapping: ``{flax path regex: torch name}`` for modules or variables whose names differ
            (the longest path a key matches wins; groups allowed:
            ``{r"layer(\\d+)": r"stages.\\1"}``); None: by name, else by structure.
        to: the side written: ``"torch"`` (default) or ``"flax"``.
        converters: ``{flax variable regex: (torch name templates, to_torch, to_flax)}`` for
            layers of your own (see the module docstring).
        example: an input both models take: with ``mapping=None`` and names that differ,
            same-shaped layers are paired in the order one forward calls them.
        flax_forward, torch_forward: ``(model, x) -> output``, to call a model on ``example``.

    Returns:
        The :class:`WeightMap` used (which Flax variables make which torch tensor;
        ``pairing``: the structural pairing, when one was needed).

    Raises:
        ValueError: one line naming every parameter on either side that is not matched
            (a bias only one side has included), every shape that does not agree after
            conversion, a layer the twin does not know, and every unused mapping key;
            nothing is copied then.

    Example:
        >>> import torch
        >>> from flax import nnx
        >>> f = nnx.Conv(2, 4, kernel_size=(3, 3), feature_group_count=2, rngs=nnx.Rngs(0))
        >>> t = torch.nn.Conv2d(2, 4, 3, groups=2)
        >>> _ = copy_weights(f, t)
        >>> tuple(t.weight.shape), tuple(f.kernel.shape)
        ((4, 1, 3, 3), (3, 3, 1, 4))
    """
    if to not in ("torch", "flax"):
        raise ValueError(f"copy_weights: to={to!r} is invalid; expected 'torch' or 'flax'")
    if torch_model is None:
        raise ValueError("copy_weights: torch_model=None is invalid; expected a torch.nn.Module")
    wmap = weight_map(flax_model, torch_model, mapping, converters=converters, example=example,
                      flax_forward=flax_forward, torch_forward=torch_forward)
    refuse_one_sided(wmap)
    if to == "torch":
        write_torch(wmap, flax_model, torch_model)
    else:
        write_flax(wmap, torch_model, flax_model)
    return wmap


def write_torch(wmap: WeightMap, flax_model: Any, torch_model: Any) -> None:
    """Writes every link into the torch model; a tensor only torch has gets its constant."""
    import torch

    arrays = flax_arrays(flax_model)
    tensors = {**dict(torch_model.named_buffers()), **dict(torch_model.named_parameters())}
    with torch.no_grad():
        for link in wmap.links:
            if not link.in_torch:
                continue
            dest = tensors[link.torch_name]
            if link.in_flax:
                value = link.to_torch(tuple(arrays[p] for p in link.flax_paths))
                dest.copy_(torch.as_tensor(np.array(value), dtype=dest.dtype))
            else:
                dest.fill_(link.fill)


def write_flax(wmap: WeightMap, torch_model: Any, flax_model: Any) -> None:
    """Writes every link into the Flax model; a variable only Flax has gets its constant."""
    import jax.numpy as jnp

    variables = flax_variables(flax_model)
    values = wmap.to_flax(torch_arrays(torch_model))
    for link in wmap.links:
        if link.in_flax and not link.in_torch:
            values.update((p, np.full(np.shape(variables[p].get_value()), link.fill)) for p in link.flax_paths)
    for path, value in values.items():
        var = variables[path]
        var.set_value(jnp.asarray(value, dtype=var.get_value().dtype))
