r"""The twin map: :class:`WeightMap`, its :class:`Link`\ s (one torch tensor each) and module pairs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from warmup_parity.twin.layouts import ToFlax, ToTorch, identity, identity_back

__all__ = ["Link", "ModulePair", "WeightMap"]


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
    to_torch: ToTorch = field(default=identity, repr=False, compare=False)
    to_flax: ToFlax | None = field(default=identity_back, repr=False, compare=False)
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
    ``pairing`` is the ``{flax path: torch name}`` the structural pairing chose: its layers,
    the parameters of your own modules it paired by shape, and the modules holding them
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


