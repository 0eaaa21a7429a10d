"""Pairing two models' layers by structure: kind, parameter shapes and call order
(``mapping=None`` when names differ; see :mod:`warmup_parity.twin`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from warmup_parity.twin.forward import call_model
from warmup_parity.twin.layouts import (
    Converters,
    dotted,
    flax_arrays,
    layer_table,
    norm_behaviour,
    projections,
    show,
    under,
)
from warmup_parity.twin.linen import LinenLayer, flax_modules, is_kind
from warmup_parity.twin.rules import compile_converters

__all__ = ["structural_pairing"]

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
    layers = layer_table()
    units: list[_Unit] = []
    for path, fmod in sorted(flax_modules(fmodel), key=lambda pm: len(pm[0])):
        fpath = dotted(path)
        if any(under(u.name, fpath) for u in units):
            continue
        found = next(((ft, fn) for ft, _, fn in layers if is_kind(fmod, ft)), None)
        own = {k[len(fpath) + 1:] if fpath else k: v for k, v in arrays.items()
               if under(fpath, k) and k not in claimed}
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

    kinds = [(ft.__name__, tt) for ft, tt, _ in layer_table()[1:]]
    units: list[_Unit] = []
    for name, module in tmodel.named_modules():
        if any(under(u.name, name) for u in units if u.kind == "MultiHeadAttention"):
            continue
        if attention and (isinstance(module, torch.nn.MultiheadAttention) or projections(module) is not None):
            units.append(_Unit(name, module, "MultiHeadAttention", (sum(p.numel() for p in module.parameters()),)))
            continue
        kind = next((k for k, tt in kinds if isinstance(module, tt)), None) or norm_behaviour(module)
        own = list(module.parameters(recurse=False))
        if kind is not None and own:
            units.append(_Unit(name, module, kind, tuple(sorted(tuple(p.shape) for p in own))))
    return units


def _as_input(x: Any, to: Callable[[Any], Any]) -> Any:
    return tuple(to(v) for v in x) if isinstance(x, tuple) else to(x)


def _call_order(fmodel: Any, tmodel: Any, funits: list[_Unit], tunits: list[_Unit], example: Any,
                flax_forward: Callable[[Any, Any], Any] | None,
                torch_forward: Callable[[Any, Any], Any] | None) -> tuple[dict[str, int], dict[str, int]]:
    """The index of each unit's first call in one forward of each model on ``example``.

    Neither model is changed: the Flax forward is traced abstractly (``nnx.eval_shape``:
    nothing computed or compiled, the batch statistics and RNG counts left as they were), and
    the torch forward's buffers (running statistics, ``num_batches_tracked``) and RNG state are
    put back after it."""
    import jax.numpy as jnp
    import torch
    from flax import nnx

    forder: dict[str, int] = {}
    native = {u.name for u in funits if not isinstance(u.module, LinenLayer)}  # Linen layers: not traced
    classes = {type(u.module) for u in funits if u.name in native}
    names: dict[int, str] = {}  # the traced copy's modules (nnx.eval_shape calls the forward on a copy)
    saved = []

    def wrap(original: Any) -> Any:
        def recorded(module: Any, *args: Any, **kwargs: Any) -> Any:
            name = names.get(id(module))
            if name is not None:
                forder.setdefault(name, len(forder))
            return original(module, *args, **kwargs)

        return recorded

    def traced(model: Any, x: Any) -> Any:
        names.update({id(m): dotted(p) for p, m in nnx.iter_modules(model) if dotted(p) in native})
        return (flax_forward or call_model)(model, x)

    for cls in classes:
        owner = next(c for c in cls.__mro__ if "__call__" in vars(c))
        saved.append((owner, vars(owner)["__call__"]))
    try:
        for owner, original in saved:
            setattr(owner, "__call__", wrap(original))  # noqa: B010 (a class attribute, set and put back)
        nnx.eval_shape(traced, fmodel, _as_input(example, jnp.asarray))
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
    buffers = [(b, b.detach().clone()) for b in tmodel.buffers()]
    try:
        with torch.no_grad(), torch.random.fork_rng():
            x = _as_input(example, tensor)
            (torch_forward or call_model)(tmodel, x)
    finally:
        for h in handles:
            h.remove()
        with torch.no_grad():
            for b, before in buffers:
                b.copy_(before)
    return forder, torder


def _describe(units: Sequence[_Unit]) -> str:
    return ", ".join(show(u.name) for u in units)


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
        ``{flax module path: torch module name}`` for the layers, then
        ``{flax variable path: torch parameter name}`` for the parameters of your own modules
        that one shape pairs, then the modules that hold them (a Flax module is the torch
        module that holds exactly the twins of what it holds).

    Raises:
        ValueError: the models differ in the number of layers of some kind and shape, or the
            pairing is ambiguous; the message names the candidates.
    """
    claimed = {p for p in flax_arrays(flax_model) if any(rx.fullmatch(p) for _, rx, _ in
                                                         compile_converters("copy_weights", converters))}
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
    pairing.update(_raw_pairing(flax_model, torch_model, funits, tunits, claimed))
    pairing.update(_container_pairing(flax_model, torch_model, funits, tunits, pairing))
    return pairing


def _raw_pairing(fmodel: Any, tmodel: Any, funits: list[_Unit], tunits: list[_Unit],
                 claimed: set[str]) -> dict[str, str]:
    """The parameters of your own modules (a class token, a position table: in no layer), by
    shape: ``{flax variable path: torch parameter name}`` for each shape exactly one such
    parameter has on each side (the others are left to their names)."""
    fraw = {p: np.shape(a) for p, a in flax_arrays(fmodel).items()
            if p not in claimed and not any(under(u.name, p) for u in funits)}
    traw = {n: tuple(t.shape) for n, t in tmodel.named_parameters() if not any(under(u.name, n) for u in tunits)}
    out: dict[str, str] = {}
    for shape in dict.fromkeys(fraw.values()):
        fs = [p for p, s in fraw.items() if s == shape]
        ts = [n for n, s in traw.items() if s == shape]
        if len(fs) == len(ts) == 1:
            out[fs[0]] = ts[0]
    return out


def _container_pairing(fmodel: Any, tmodel: Any, funits: list[_Unit], tunits: list[_Unit],
                       paired: dict[str, str]) -> dict[str, str]:
    """The modules that hold paired layers and parameters (a block, an attention written as
    four ``nnx.Linear``\\ s), so that ``compare`` can place a divergence computed in their
    forward: a Flax module is the torch module that holds exactly the torch twins of what it
    holds (of several such nested modules, the innermost first)."""
    tnames = {t.name for t in tunits} | set(paired.values())
    by_set: dict[frozenset[str], tuple[list[str], list[str]]] = {}
    for path, _ in flax_modules(fmodel):
        fpath = dotted(path)
        if not fpath or fpath in paired or any(under(u.name, fpath) for u in funits):
            continue
        held = frozenset(t for f, t in paired.items() if under(fpath, f))
        if held:
            by_set.setdefault(held, ([], []))[0].append(fpath)
    for name, _ in tmodel.named_modules():
        held = frozenset(t for t in tnames if under(name, t))
        if name and name not in tnames and held in by_set:
            by_set[held][1].append(name)
    out: dict[str, str] = {}
    for fs, ts in by_set.values():
        out.update(zip(sorted(fs, key=lambda n: -n.count(".")), sorted(ts, key=lambda n: -n.count("."))))
    return out

