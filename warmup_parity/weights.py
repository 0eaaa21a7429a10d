"""Copy weights between a Flax NNX model and its torch twin, converting layouts.

Parameters are matched by attribute path: the Flax variable ``blocks.0.attn.query.kernel``
belongs to the Flax module ``blocks.0.attn``, whose torch counterpart is the module of the
same dotted name (``nnx.Sequential``'s ``layers`` level is dropped: Flax ``seq.layers.0`` is
torch ``seq.0``). ``mapping`` renames what differs: ``{flax path: torch name}`` for a module
or a variable, the longest matching prefix wins (``{"encoder": "enc"}`` renames every path
under ``encoder``).

Layouts converted, by module type (Flax -> torch):

- ``nnx.Linear`` -> ``nn.Linear``: ``kernel (in, out)`` -> ``weight (out, in)``, ``bias``.
- ``nnx.Conv`` -> ``nn.Conv1d/2d/3d``: ``kernel (*k, in/groups, out)`` ->
  ``weight (out, in/groups, *k)`` (grouped convolutions included), ``bias``.
- ``nnx.LayerNorm`` / ``nnx.RMSNorm`` -> ``nn.LayerNorm`` / ``nn.RMSNorm``: ``scale`` ->
  ``weight``, ``bias``.
- ``nnx.Embed`` -> ``nn.Embedding``: ``embedding (n, d)`` -> ``weight (n, d)``.
- ``nnx.BatchNorm`` -> ``nn.BatchNorm1d/2d/3d``: ``scale``/``bias`` -> ``weight``/``bias``
  and the statistics ``mean``/``var`` -> ``running_mean``/``running_var``.
- ``nnx.MultiHeadAttention`` -> ``nn.MultiheadAttention``: the ``query``/``key``/``value``
  kernels ``(in, heads, head_dim)`` packed into ``in_proj_weight (3 E, E)`` (or
  ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when ``kdim``/``vdim`` differ), their
  biases into ``in_proj_bias``, ``out.kernel (heads, head_dim, E)`` -> ``out_proj.weight``.
- Any other variable (an ``nnx.Param`` attribute of your own module) is copied as it is to
  the torch parameter (``nnx.BatchStat``: buffer) of the same name; the shapes must agree.
  A square matrix copied as it is keeps its shape: if one side computes ``x @ W`` and the
  other ``F.linear(x, W)``, only training shows it (``compare`` names the module).

Every parameter on either side that is not matched, and every shape that does not agree
after conversion, is a ``ValueError`` naming it; nothing is skipped. Torch buffers other
than batch-norm statistics (a causal mask, ``num_batches_tracked``) are not parameters and
are left alone.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Arrays = tuple[np.ndarray, ...]
ToTorch = Callable[[Arrays], np.ndarray]
ToFlax = Callable[[np.ndarray], Arrays]

__all__ = ["Link", "ModulePair", "WeightMap", "copy_weights", "torch_layout", "weight_map"]


def _identity(a: Arrays) -> np.ndarray:
    return a[0]


def _identity_back(t: np.ndarray) -> Arrays:
    return (t,)


def _transpose(a: Arrays) -> np.ndarray:
    return a[0].T


def _transpose_back(t: np.ndarray) -> Arrays:
    return (t.T,)


def _concat(parts: Sequence[Any], axis: int = 0) -> Any:
    """``np.concatenate``, or ``jnp.concatenate`` for JAX arrays (traced ones included)."""
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts, axis=axis)
    import jax.numpy as jnp

    return jnp.concatenate(parts, axis=axis)


def _conv(a: Arrays) -> np.ndarray:
    k = a[0]  # (*spatial, in/groups, out) -> (out, in/groups, *spatial)
    return k.transpose((k.ndim - 1, k.ndim - 2, *range(k.ndim - 2)))


def _conv_back(t: np.ndarray) -> Arrays:
    return (t.transpose((*range(2, t.ndim), 1, 0)),)


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
        to_torch: Flax arrays (NumPy) -> the torch-layout array.
        to_flax: a torch-layout array -> the Flax arrays.
    """

    torch_name: str
    flax_paths: tuple[str, ...]
    kind: Literal["param", "stat"]
    layout: str
    in_torch: bool = True
    fill: float = 0.0
    to_torch: ToTorch = field(default=_identity, repr=False, compare=False)
    to_flax: ToFlax = field(default=_identity_back, repr=False, compare=False)

    @property
    def in_flax(self) -> bool:
        return bool(self.flax_paths)

    @property
    def one_sided(self) -> bool:
        """Only one framework has it (a bias or scale one side's layer lacks)."""
        return not (self.in_torch and self.in_flax)


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
    parameters only Flax has. Conversions take and return NumPy arrays, so the same map
    converts parameters, gradients and updates.
    """

    links: tuple[Link, ...]
    modules: tuple[ModulePair, ...]
    flax_to_torch_names: Mapping[str, str] = field(default_factory=dict, repr=False)

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
        (default all) that Flax has. Works on NumPy arrays and on traced JAX arrays."""
        return {link.torch_name: link.to_torch(tuple(flax_arrays[p] for p in link.flax_paths))
                for link in (self.links if links is None else links) if link.in_flax}


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


# --------------------------------------------------------------------------- layouts and converters


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
    to_flax: ToFlax = _identity_back
    fill: float | None = None
    kind: Literal["param", "stat"] = "param"


AS_IS = "as is"
TRANSPOSED = "transposed"
CONV = "conv kernel (*k, in, out) -> (out, in, *k)"

Converter = Callable[[Any, Mapping[str, np.ndarray], Any], "list[_Spec] | str"]
"""(Flax module, its variables by relative name, the torch module or None) -> the specs,
or a sentence saying why the two cannot be converted."""


def _linear(fmod: Any, arrays: Mapping[str, np.ndarray], tmod: Any) -> list[_Spec] | str:
    return [_Spec("weight", ("kernel",), TRANSPOSED, _transpose, _transpose_back),
            _Spec("bias", ("bias",), AS_IS, fill=0.0)]


def _conv_specs(fmod: Any, arrays: Mapping[str, np.ndarray], tmod: Any) -> list[_Spec] | str:
    kernel = arrays.get("kernel")
    if tmod is not None and kernel is not None and kernel.ndim - 2 != len(tmod.kernel_size):
        return f"a {kernel.ndim - 2}-d kernel; torch {_type_name(tmod)} is {len(tmod.kernel_size)}-d"
    return [_Spec("weight", ("kernel",), CONV, _conv, _conv_back), _Spec("bias", ("bias",), AS_IS, fill=0.0)]


def _norm(fmod: Any, arrays: Mapping[str, np.ndarray], tmod: Any) -> list[_Spec] | str:
    return [_Spec("weight", ("scale",), AS_IS, fill=1.0), _Spec("bias", ("bias",), AS_IS, fill=0.0)]


def _embed(fmod: Any, arrays: Mapping[str, np.ndarray], tmod: Any) -> list[_Spec] | str:
    return [_Spec("weight", ("embedding",), AS_IS)]


def _batchnorm(fmod: Any, arrays: Mapping[str, np.ndarray], tmod: Any) -> list[_Spec] | str:
    return [_Spec("weight", ("scale",), AS_IS, fill=1.0), _Spec("bias", ("bias",), AS_IS, fill=0.0),
            _Spec("running_mean", ("mean",), AS_IS, kind="stat"), _Spec("running_var", ("var",), AS_IS, kind="stat")]


def _attention(fmod: Any, arrays: Mapping[str, np.ndarray], tmod: Any) -> list[_Spec] | str:
    """``nnx.MultiHeadAttention`` <-> ``nn.MultiheadAttention``: q/k/v kernels ``(in, H, D)``
    packed into ``in_proj_weight`` (or ``q/k/v_proj_weight`` when kdim/vdim differ)."""
    kv_heads = getattr(fmod, "num_kv_heads", None) or getattr(fmod, "num_heads", None)
    if fmod is not None and kv_heads != fmod.num_heads:
        return f"num_kv_heads={kv_heads} != num_heads={fmod.num_heads}; torch has no grouped-query attention"
    if tmod is not None and tmod.num_heads != fmod.num_heads:
        return (f"num_heads={fmod.num_heads}; torch has num_heads={tmod.num_heads} (the packed projections "
                "would split into heads differently)")
    names = ("query", "key", "value")
    kernels = tuple(f"{n}.kernel" for n in names)
    if not all(k in arrays for k in (*kernels, "out.kernel")):
        return "no query/key/value/out kernels"
    heads, head_dim = (int(d) for d in arrays["query.kernel"].shape[-2:])
    in_dims = [int(arrays[k].shape[0]) for k in kernels]
    out_dim = int(arrays["out.kernel"].shape[-1])

    def to_rows(k: np.ndarray) -> np.ndarray:  # (in, H, D) -> (H * D, in)
        return k.reshape(k.shape[0], -1).T

    def from_rows(w: np.ndarray, in_dim: int) -> np.ndarray:
        return w.T.reshape(in_dim, heads, head_dim)

    def pack(a: Arrays) -> np.ndarray:
        return _concat([to_rows(k) for k in a], axis=0)

    def unpack(w: np.ndarray) -> Arrays:
        return tuple(from_rows(part, d) for d, part in zip(in_dims, np.split(w, 3, axis=0)))

    def pack_bias(a: Arrays) -> np.ndarray:
        return _concat([b.reshape(-1) for b in a])

    def unpack_bias(v: np.ndarray) -> Arrays:
        return tuple(part.reshape(heads, head_dim) for part in np.split(v, 3))

    packed = tmod._qkv_same_embed_dim if tmod is not None else len(set(in_dims)) == 1
    if packed:
        specs = [_Spec("in_proj_weight", kernels, "q/k/v kernels (in, heads, head_dim) packed", pack, unpack)]
    else:
        def rows(a: Arrays) -> np.ndarray:
            return to_rows(a[0])

        def back(d: int) -> ToFlax:
            return lambda w: (from_rows(w, d),)

        specs = [_Spec(f"{t}_proj_weight", (k,), "kernel (in, heads, head_dim) -> (heads * head_dim, in)", rows,
                       back(d)) for t, k, d in zip("qkv", kernels, in_dims)]
    return [*specs,
            _Spec("in_proj_bias", tuple(f"{n}.bias" for n in names), "q/k/v biases (heads, head_dim) packed",
                  pack_bias, unpack_bias, fill=0.0),
            _Spec("out_proj.weight", ("out.kernel",), "out kernel (heads, head_dim, out) -> (out, heads * head_dim)",
                  lambda a: a[0].reshape(-1, a[0].shape[-1]).T, lambda w: (w.T.reshape(heads, head_dim, out_dim),)),
            _Spec("out_proj.bias", ("out.bias",), AS_IS, fill=0.0)]


def _converters() -> list[tuple[type, tuple[type, ...], Converter]]:
    """(Flax type, the torch types it converts to, converter), most specific first."""
    import torch
    from flax import nnx

    tnn = torch.nn
    return [
        (nnx.MultiHeadAttention, (tnn.MultiheadAttention,), _attention),
        (nnx.Linear, (tnn.Linear,), _linear),
        (nnx.Conv, (tnn.Conv1d, tnn.Conv2d, tnn.Conv3d), _conv_specs),
        (nnx.LayerNorm, (tnn.LayerNorm,), _norm),
        (nnx.RMSNorm, (tnn.RMSNorm,), _norm),
        (nnx.Embed, (tnn.Embedding,), _embed),
        (nnx.BatchNorm, (tnn.modules.batchnorm._BatchNorm,), _batchnorm),
    ]


# --------------------------------------------------------------------------- matching


class _Matcher:
    """Builds the links of one Flax/torch pair, collecting every problem. Without a torch
    model (``tmodel=None``) the torch side is the canonical one: the names and layouts torch's
    own layers would have."""

    def __init__(self, fmodel: Any, tmodel: Any, mapping: Mapping[str, str] | None) -> None:
        from flax import nnx

        modules = list(nnx.iter_modules(fmodel))
        self.fmodules = {_dotted(p): (tuple(p), m) for p, m in modules}
        self.sequential = {tuple(p) for p, m in modules if isinstance(m, nnx.Sequential)}
        nodes = [(tuple(path), node) for path, node in nnx.iter_graph(fmodel)
                 if isinstance(node, (nnx.Param, nnx.BatchStat))]
        self.fvars = {_dotted(path): node for path, node in nodes}
        self.fvar_paths = {_dotted(path): path for path, _ in nodes}
        self.farrays = {k: np.asarray(v.get_value()) for k, v in self.fvars.items()}
        self.virtual = tmodel is None
        self.tmodules: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_modules())
        self.tparams: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_parameters())
        self.tbuffers: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_buffers())
        self.mapping = dict(mapping or {})
        for key, value in self.mapping.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError(f"copy_weights: mapping={{{key!r}: {value!r}}} is invalid; expected "
                                 "{flax path: torch name} strings")
        self.used_keys: set[str] = set()
        self.links: list[Link] = []
        self.problems: list[str] = []
        self.claimed_f: set[str] = set()
        self.claimed_t: set[str] = set()

    def torch_name(self, path: tuple[Any, ...]) -> str:
        """The torch name of a Flax module or variable path: the user's mapping (longest
        prefix), else the same dotted name without ``nnx.Sequential``'s ``layers``."""
        kept = [(i, str(seg)) for i, seg in enumerate(path)
                if not (seg == "layers" and tuple(path[:i]) in self.sequential)]
        for n in range(len(path), -1, -1):
            key = _dotted(path[:n])
            if key in self.mapping:
                self.used_keys.add(key)
                return ".".join(s for s in [self.mapping[key], *(seg for i, seg in kept if i >= n)] if s)
        return ".".join(seg for _, seg in kept)

    @staticmethod
    def suggest(name: str, names: Iterable[str]) -> str:
        close = difflib.get_close_matches(name, list(names), n=2, cutoff=0.5)
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""

    def has_torch(self, name: str, kind: str, default: bool) -> bool:
        if self.virtual:
            return default
        return name in (self.tparams if kind == "param" else self.tbuffers)

    def add(self, torch_name: str, flax_paths: tuple[str, ...], spec: _Spec, in_torch: bool) -> None:
        self.claimed_f.update(flax_paths)
        self.claimed_t.add(torch_name)
        if in_torch and flax_paths and not self.virtual:
            arrays = tuple(self.farrays[p] for p in flax_paths)
            pool = self.tparams if spec.kind == "param" else self.tbuffers
            want = tuple(pool[torch_name].shape)
            try:
                got: tuple[int, ...] | None = tuple(np.shape(spec.to_torch(arrays)))
            except ValueError:
                got = None
            if got != want:
                shapes = ", ".join(f"{p!r} {tuple(a.shape)}" for p, a in zip(flax_paths, arrays))
                became = f"-> {got} ({spec.layout})" if got is not None else f"cannot be made ({spec.layout})"
                self.problems.append(f"shape: Flax {shapes} {became} does not fit torch {torch_name!r} {want}")
                return
        self.links.append(Link(torch_name, flax_paths, spec.kind, spec.layout, in_torch,
                               spec.fill or 0.0, spec.to_torch, spec.to_flax))

    def convert(self, fpath: str, fmod: Any, tname: str, tmod: Any, converter: Converter) -> None:
        """The links of one module pair (every variable under ``fpath`` and parameter under ``tname``)."""
        own = {k[len(fpath) + 1:] if fpath else k: v for k, v in self.farrays.items() if _under(fpath, k)}
        specs = converter(fmod, own, tmod)
        what = f"Flax {_type_name(fmod)} {_show(fpath)}"
        if isinstance(specs, str):
            self.problems.append(f"{what}: {specs}")
            self.claimed_f.update(_join(fpath, k) for k in own)
            self.claimed_t.update(k for k in self.tparams if _under(tname, k))
            return
        for spec in specs:
            fpaths = tuple(_join(fpath, a) for a in spec.flax_attrs)
            have_f = all(p in self.fvars for p in fpaths)
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
        for k in own:  # a variable the converter does not know (a LoRA adapter, qk-norm, ...)
            full = _join(fpath, k)
            if full not in self.claimed_f:
                self.problems.append(f"Flax {full!r} has no torch counterpart in {_type_name(tmod)} {_show(tname)}")
                self.claimed_f.add(full)
        for k in self.tparams:
            if _under(tname, k) and k not in self.claimed_t:
                self.problems.append(f"torch {k!r} has no Flax counterpart in {what}")
                self.claimed_t.add(k)

    def run(self) -> tuple[list[ModulePair], dict[str, str]]:
        from flax import nnx

        converters = _converters()
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
            found = next(((tt, fn) for ft, tt, fn in converters if isinstance(fmod, ft)), None)
            if found is None:
                continue
            own = [k for k in self.fvars if _under(fpath, k)]
            if not self.virtual and tmod is None:
                if own:
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
        for fpath, var in self.fvars.items():  # variables of other modules: the same name, as they are
            if fpath in self.claimed_f:
                continue
            kind: Literal["param", "stat"] = "stat" if isinstance(var, nnx.BatchStat) else "param"
            tname = self.torch_name(self.fvar_paths[fpath])
            if not self.has_torch(tname, kind, True):
                what = "parameter" if kind == "param" else "buffer"
                pool = self.tparams if kind == "param" else self.tbuffers
                left = [n for n in pool if n not in self.claimed_t]
                self.problems.append(f"Flax {fpath!r} has no torch {what} {tname!r}{self.suggest(tname, left)}")
                self.claimed_f.add(fpath)
                continue
            self.add(tname, (fpath,), _Spec(tname, (fpath,), AS_IS, kind=kind), True)
        for tname in self.tparams:
            if tname not in self.claimed_t:
                left = [p for p in self.fvars if p not in self.claimed_f]
                self.problems.append(f"torch {tname!r} has no Flax counterpart{self.suggest(tname, left)}")
        for key in self.mapping:
            if key not in self.used_keys:
                self.problems.append(f"mapping key {key!r} matches no Flax module or variable")
        return pairs, names


def weight_map(flax_model: Any, torch_model: Any, mapping: Mapping[str, str] | None = None) -> WeightMap:
    """Matches the two models' parameters and statistics, without copying anything.

    A bias (or norm scale) that only one side's layer has is kept as a one-sided
    :class:`Link` (``compare`` treats it as the constant it stands for);
    :func:`copy_weights` refuses it.

    Args:
        flax_model: an ``nnx.Module``.
        torch_model: a ``torch.nn.Module``, or None for the names and layouts torch's own
            layers would have (what :func:`torch_layout` returns).
        mapping: ``{flax path: torch name}`` for modules or variables whose names differ.

    Returns:
        The :class:`WeightMap`.

    Raises:
        ValueError: one line naming every unmatched parameter, type or shape mismatch, and
            unused mapping key.
    """
    m = _Matcher(flax_model, torch_model, mapping)
    modules, names = m.run()
    if m.problems:
        hint = any("has no torch" in p or "has no Flax counterpart" in p for p in m.problems)
        raise ValueError("copy_weights: " + "; ".join(m.problems)
                         + ("; pass mapping={flax path: torch name} for names that differ" if hint else ""))
    order = {name: k for k, name in enumerate([*m.tparams, *m.tbuffers])}  # virtual: as the converters list them
    links = sorted(m.links, key=lambda link: (link.kind != "param", not link.in_torch, order.get(link.torch_name, 0)))
    return WeightMap(tuple(links), tuple(modules), names)


def torch_layout(flax_model: Any) -> dict[str, np.ndarray]:
    """The Flax model's parameters and statistics as torch's own layers would name and lay
    them out (``l1.kernel (in, out)`` -> ``l1.weight (out, in)``, ...), without a torch model.

    Example:
        >>> from flax import nnx
        >>> {k: v.shape for k, v in torch_layout(nnx.Linear(3, 2, rngs=nnx.Rngs(0))).items()}
        {'weight': (2, 3), 'bias': (2,)}
    """
    wmap = weight_map(flax_model, None)
    return wmap.to_torch(flax_arrays(flax_model))


def _converter_by_names(names: set[str], arrays: Mapping[str, Any]) -> Converter | None:
    """The converter whose Flax variable names these are (for a ``State`` without its model)."""
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
    known layer keeps its layout."""
    children: dict[tuple[Any, ...], set[tuple[Any, ...]]] = {}
    for path in arrays:
        for n in range(len(path)):
            children.setdefault(tuple(path[:n]), set()).add(tuple(path))
    out: dict[str, Any] = {}
    done: set[tuple[Any, ...]] = set()
    for prefix in sorted(children, key=len):  # outer modules first: attention owns its projections
        under = [p for p in children[prefix] if p not in done]
        rel = {_dotted(p[len(prefix):]): arrays[p] for p in under}
        converter = _converter_by_names(set(rel), rel)
        if converter is None:
            continue
        specs = converter(None, rel, None)
        assert not isinstance(specs, str), specs
        for spec in specs:
            if all(a in rel for a in spec.flax_attrs):
                out[_join(_dotted(prefix), spec.torch_attr)] = spec.to_torch(tuple(rel[a] for a in spec.flax_attrs))
        done.update(under)
    for path in arrays:
        if path not in done:
            out[_dotted(path)] = arrays[path]
    return out


def _refuse_one_sided(wmap: WeightMap) -> None:
    problems = []
    for link in wmap.one_sided():
        if link.in_torch:
            problems.append(f"torch {link.torch_name!r} has no Flax counterpart (the Flax layer has no "
                            f"{link.torch_name.rsplit('.', 1)[-1]})")
        else:
            problems.append(f"Flax {link.flax_paths[0]!r} has no torch counterpart {link.torch_name!r} "
                            f"(the torch layer has no {link.torch_name.rsplit('.', 1)[-1]})")
    if problems:
        raise ValueError("copy_weights: " + "; ".join(problems))


def copy_weights(flax_model: Any, torch_model: Any, mapping: Mapping[str, str] | None = None, *,
                 to: Literal["torch", "flax"] = "torch") -> WeightMap:
    """Copies the Flax model's parameters and batch statistics into the torch model
    (``to="flax"``: the torch model's into the Flax model), converting layouts.

    Values take the destination's dtype (a float64 torch model gets float64 copies).

    Args:
        flax_model: an ``nnx.Module``.
        torch_model: a ``torch.nn.Module``.
        mapping: ``{flax path: torch name}`` for modules or variables whose names differ
            (the longest matching prefix applies: ``{"encoder": "enc"}``).
        to: the side written: ``"torch"`` (default) or ``"flax"``.

    Returns:
        The :class:`WeightMap` used (which Flax variables make which torch tensor).

    Raises:
        ValueError: one line naming every parameter on either side that is not matched
            (a bias only one side has included), every shape that does not agree after
            conversion, and every unused mapping key; nothing is copied then.

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
    wmap = weight_map(flax_model, torch_model, mapping)
    _refuse_one_sided(wmap)
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
    arrays = torch_arrays(torch_model)
    for link in wmap.links:
        if not link.in_flax:
            continue
        if link.in_torch:
            values = link.to_flax(arrays[link.torch_name])
        else:
            values = tuple(np.full(np.shape(variables[p].get_value()), link.fill) for p in link.flax_paths)
        for path, value in zip(link.flax_paths, values):
            var = variables[path]
            var.set_value(jnp.asarray(value, dtype=var.get_value().dtype))
