"""The schedule algebra: a few primitives from which every schedule is composed.

Each primitive carries its float64 closed form (:meth:`Node.closed`), its array form
over NumPy or ``jax.numpy`` (:meth:`Node.array`, written for float32 accuracy) and its
facts (:attr:`Node.end`, :meth:`Node.events`, :meth:`Node.open_horizon`). A named
schedule (:mod:`warmup_spec.catalogue`) is a short composition of them.

- :class:`Constant`, :class:`Interp`: holds, warmups and finite decays (linear, cosine
  with an exponent, polynomial, exponential, 1-sqrt);
- :class:`PowerLaw`, :class:`Saturation`, :class:`Exponential`, :class:`Cycles`:
  inverse square roots and ramps, the untuned factor, exponential/staircase decays,
  cycles with restarts (each library's cycle-index rule turned into a table);
- :class:`Join`, :class:`Scale`, :class:`Product`, :class:`Sum`, :class:`Min`,
  :class:`Periodic`: composition;
  :class:`UserFn`: a user's own function inside a composition; :class:`Described`:
  the facts a definition knows and its primitives cannot tell.
"""

from warmup_spec.primitives._node import STEP_CAP, Described, Node, UserFn, reach
from warmup_spec.primitives.compose import Join, Min, Product, Scale, Sum
from warmup_spec.primitives.cycles import Cycles
from warmup_spec.primitives.exponential import Exponential
from warmup_spec.primitives.interp import Constant, Interp
from warmup_spec.primitives.periodic import Periodic
from warmup_spec.primitives.power import PowerLaw, Saturation

__all__ = [
    "STEP_CAP",
    "Constant",
    "Cycles",
    "Described",
    "Exponential",
    "Interp",
    "Join",
    "Min",
    "Node",
    "Periodic",
    "PowerLaw",
    "Product",
    "Saturation",
    "Scale",
    "Sum",
    "UserFn",
    "reach",
]
