"""Matching a Flax model's variables with its torch twin's tensors, and copying them
(:func:`weight_map`, :func:`copy_weights`; see :mod:`warmup_parity.twin`)."""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

from warmup_parity.twin.layouts import (
    AS_IS,
    ROLES,
    Arrays,
    Converters,
    Layer,
    Spec,
    dotted,
    flax_arrays,
    flax_variables,
    is_container,
    is_torch_layer,
    join,
    known_layers,
    laid_out_as_in_flax,
    layer_table,
    show,
    torch_arrays,
    type_name,
    under,
)
from warmup_parity.twin.linen import bridged, flax_modules, is_kind
from warmup_parity.twin.links import Link, ModulePair, WeightMap
from warmup_parity.twin.pairing import structural_pairing
from warmup_parity.twin.rules import compile_converters, compile_mapping
from warmup_spec.param_rules import torch_style_parts

__all__ = ["copy_weights", "refuse_one_sided", "torch_layout", "weight_map", "write_flax", "write_torch"]

log = logging.getLogger("warmup_parity")


# --------------------------------------------------------------------------- matching


class _Matcher:
    """Builds the links of one Flax/torch pair, collecting every problem. Without a torch
    model (``tmodel=None``) the torch side is the canonical one: the names and layouts torch's
    own layers would have."""

    def __init__(self, fmodel: Any, tmodel: Any, mapping: Mapping[str, str] | None,
                 converters: Converters | None, who: str, example: Any = None,
                 flax_forward: Callable[[Any, Any], Any] | None = None) -> None:
        from flax import nnx

        modules = flax_modules(fmodel, example, flax_forward)
        self.linen_roots = [p for p, _ in bridged(fmodel)]
        self.fmodules = {dotted(p): (tuple(p), m) for p, m in modules}
        self.types = {tuple(p): type(m).__name__ for p, m in modules}
        nodes = [(tuple(path), node) for path, node in nnx.iter_graph(fmodel)
                 if isinstance(node, (nnx.Param, nnx.BatchStat))]
        self.fvars = {dotted(path): node for path, node in nodes}
        self.fvar_paths = {dotted(path): path for path, _ in nodes}
        self.farrays = {k: np.asarray(v.get_value()) for k, v in self.fvars.items()}
        self.virtual = tmodel is None
        self.tmodules: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_modules())
        self.tparams: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_parameters())
        self.tbuffers: dict[str, Any] = {} if tmodel is None else dict(tmodel.named_buffers())
        self.mapping = compile_mapping(who, mapping)
        self.converters = compile_converters(who, converters)
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
            key = dotted(path[:n])
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
        others = [join(parent, n) for n in ROLES[role] if join(parent, n) in self.tmodules]
        return others[0] if len(others) == 1 else name

    @staticmethod
    def suggest(name: str, names: Iterable[str]) -> str:
        close = difflib.get_close_matches(name, list(names), n=2, cutoff=0.5)
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""

    def has_torch(self, name: str, kind: str, default: bool) -> bool:
        if self.virtual:
            return default
        return name in (self.tparams if kind == "param" else self.tbuffers)

    def add(self, torch_name: str, flax_paths: tuple[str, ...], spec: Spec, in_torch: bool,
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

                    spec = Spec(name, (fpath,), f"converters[{pattern!r}]", part, back if i == 0 else None,
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
               if under(fpath, k) and k not in self.claimed_f}
        specs = layer(fmod, own, tmod)
        what = f"Flax {type_name(fmod)} {show(fpath)}"
        if isinstance(specs, str):
            self.problems.append(f"{what}: {specs}")
            self.claimed_f.update(join(fpath, k) for k in own)
            self.claimed_t.update(k for k in self.tparams if under(tname, k))
            return
        for spec in specs:
            fpaths = tuple(join(fpath, a) for a in spec.flax_attrs)
            have_f = all(p in own for p in spec.flax_attrs)
            torch_full = join(tname, spec.torch_attr)
            have_t = self.has_torch(torch_full, spec.kind, have_f)
            if not (have_f or have_t):
                continue
            if have_f != have_t and spec.fill is None:
                side = f"torch {type_name(tmod)} {show(tname)} has no {spec.torch_attr!r}" if have_f else \
                    f"{what} has no {', '.join(map(repr, spec.flax_attrs))}"
                self.problems.append(side)
                self.claimed_f.update(fpaths)
                self.claimed_t.add(torch_full)
                continue
            self.add(torch_full, fpaths if have_f else (), spec, have_t)
        if getattr(fmod, "kind", type(fmod).__name__) == "BatchNorm":
            self.claimed_t.add(join(tname, "num_batches_tracked"))
        for k in own:  # a variable the layer does not know (a LoRA adapter, qk-norm, ...)
            full = join(fpath, k)
            if full not in self.claimed_f:
                self.problems.append(f"Flax {full!r} has no torch counterpart in {type_name(tmod)} {show(tname)}")
                self.claimed_f.add(full)
        for k in self.tparams:
            if under(tname, k) and k not in self.claimed_t:
                self.problems.append(f"torch {k!r} has no Flax counterpart in {what}")
                self.claimed_t.add(k)

    def run(self) -> tuple[list[ModulePair], dict[str, str]]:
        self.convert_custom()
        layers = layer_table()
        whole: list[str] = []  # modules converted as a whole (attention owns its projections)
        pairs: list[ModulePair] = []
        names: dict[str, str] = {}
        for fpath, (path, fmod) in sorted(self.fmodules.items(), key=lambda kv: (len(kv[1][0]), kv[0])):
            tname = self.torch_name(path)
            tmod = self.tmodules.get(tname)
            pairs.append(ModulePair(fpath, tname, type_name(fmod), None if tmod is None else type_name(tmod)))
            if tmod is not None or self.virtual:
                names[fpath] = tname
            if any(under(w, fpath) for w in whole):
                continue
            own = [k for k in self.fvars if under(fpath, k) and k not in self.claimed_f]
            found = next(((tt, fn) for ft, tt, fn in layers if is_kind(fmod, ft)), None)
            type_of = next((ft for ft, _, _ in layers if is_kind(fmod, ft)), type(fmod))
            if found is None:
                direct = [k for k in own if "." not in (k[len(fpath) + 1:] if fpath else k)]
                if direct and not is_container(fmod):
                    self.problems.append(f"Flax {type_name(fmod)} {show(fpath)} is a layer the twin does not know "
                                         f"(it knows {', '.join(f for f, _ in known_layers())}); give its variables "
                                         "converters={flax variable regex: (torch names, to_torch, to_flax)}")
                    self.claimed_f.update(direct)
                continue
            if not own:
                continue
            if not self.virtual and tmod is None:
                self.unnamed = True
                self.problems.append(f"Flax {type_name(fmod)} {show(fpath)} has no torch module {show(tname)}"
                                     f"{self.suggest(tname, [n for n in self.tmodules if n])}")
                self.claimed_f.update(own)
                continue
            if tmod is not None and not is_torch_layer(tmod, type_of, found[0]):
                self.problems.append(f"Flax {type_name(fmod)} {show(fpath)} is torch {type_name(tmod)} "
                                     f"{show(tname)}; expected " + " or ".join(f"nn.{t.__name__}" for t in found[0])
                                     + (" or a module computing it (a 1-d weight, variance_epsilon or eps)"
                                        if type_of.__name__ in ("RMSNorm", "LayerNorm") else ""))
                self.claimed_f.update(own)
                self.claimed_t.update(k for k in self.tparams if under(tname, k))
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
            root = next((r for r in self.linen_roots if tuple(self.fvar_paths[fpath][:len(r)]) == r), None)
            if root is not None:
                self.problems.append(f"Flax {fpath!r} belongs to a Linen layer of a type the twin does not know "
                                     "(Linen layers are known by the type one traced call shows, example=, or by "
                                     "their automatic names, Dense_0, ...)")
                self.claimed_f.add(fpath)
                continue
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
            if (owner is not None and type(owner).__module__.startswith("torch.nn") and type(owner) not in torch_own
                    and not laid_out_as_in_flax(owner)):
                fmod = self.fmodules[dotted(self.fvar_paths[fpath][:-1])][1]
                self.problems.append(f"Flax {fpath!r} (a variable of {type_name(fmod)}) would be copied as it is "
                                     f"into torch {tname!r} of {type_name(owner)}, "
                                     "whose layout the twin converts only from the matching Flax layer")
                self.claimed_f.add(fpath)
                self.claimed_t.add(tname)
                continue
            self.add(tname, (fpath,), Spec(tname, (fpath,), AS_IS, kind=kind), True)


# --------------------------------------------------------------------------- the map


def _match(flax_model: Any, torch_model: Any, mapping: Mapping[str, str] | None, converters: Converters | None,
           who: str, example: Any, flax_forward: Callable[[Any, Any], Any] | None) -> tuple[_Matcher, WeightMap]:
    m = _Matcher(flax_model, torch_model, mapping, converters, who, example, flax_forward)
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
            None: the names, else the pairing by structure (see :mod:`warmup_parity.twin`).
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
    m, wmap = _match(flax_model, torch_model, mapping, converters, who, example, flax_forward)
    if not m.problems:
        return wmap
    if mapping is not None or torch_model is None or not m.unnamed:
        raise _failed(who, m.problems)
    try:
        pairing = structural_pairing(flax_model, torch_model, example=example, converters=converters,
                                     flax_forward=flax_forward, torch_forward=torch_forward)
    except ValueError as e:
        raise ValueError(f"{who}: by name: " + "; ".join(m.problems) + f"; by structure: {str(e)}") from None
    m2, wmap = _match(flax_model, torch_model, {re.escape(f): t for f, t in pairing.items()}, converters, who,
                      example, flax_forward)
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
            layers of your own (see :mod:`warmup_parity.twin`).
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

