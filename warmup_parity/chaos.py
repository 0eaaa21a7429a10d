"""Chaos or bug: is a late divergence rounding amplified by the training dynamics, or a real difference?

Two runs that agree at step 0 (forward, loss, gradients, first update) and part later either
compute something differently (a bug) or train chaotically: every run amplifies its own
rounding (RMSprop and Adagrad at a high lr, traps.md: torch against itself with one weight
moved by 1e-15 parts by 1e-3 within 500 steps). The test is to perturb one side by one ulp and
see whether it parts from itself as fast: :func:`ulp_parting_step` trains a torch model twice,
once with every parameter moved by one ulp, and :func:`verdict` compares the two parting steps.

A float32 pair can part where the one-ulp test sees no chaos: Adam turns the two frameworks'
different rounding of near-zero gradients into full-size steps, which moving the weights by one
ulp does not reproduce. :func:`float64_says_chaos` is the second test for such a pair: the same
training in float64, whose rounding is 1e9 times smaller, agrees or parts much later; a real
difference parts as soon in any precision.

Example:
    >>> verdict(parted_at=180, ulp_parted_at=150, tolerance=1e-9).kind
    'chaos'
    >>> verdict(parted_at=12, ulp_parted_at=None, tolerance=1e-9).kind
    'bug'
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Verdict", "float64_says_chaos", "parting_step", "ulp_parting_step", "verdict"]

SLACK = 2.0
"""A one-ulp run that parts within ``SLACK`` times the pair's parting step parts "as fast"."""


@dataclass(frozen=True)
class Verdict:
    """Chaos or bug, and the two parting steps that decided it.

    Attributes:
        kind: ``"chaos"`` (a one-ulp perturbation parts as fast) or ``"bug"``.
        parted_at: the update after which the pair's parameters parted.
        ulp_parted_at: the update after which one side parted from itself perturbed by one ulp
            (``None``: not within the steps tried).
        tolerance: the norm-relative parameter tolerance both were measured against.
        tried: how many updates the one-ulp run trained (``None``: not said).
    """

    kind: str
    parted_at: int
    ulp_parted_at: int | None
    tolerance: float
    tried: int | None = None

    def __str__(self) -> str:
        if self.kind == "chaos":
            return (f"chaos, not a bug: one side against itself moved by one ulp parts by {self.tolerance:.0e} after "
                    f"update {self.ulp_parted_at} (the pair after update {self.parted_at}); compare over fewer "
                    "steps or at a lower lr")
        seen = "does not part" if self.ulp_parted_at is None else f"parts only after update {self.ulp_parted_at}"
        within = "" if self.tried is None else f" in {self.tried} updates"
        return (f"a bug, not chaos: one side against itself moved by one ulp {seen}{within}; the pair parted after "
                f"update {self.parted_at}")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "parted_at": self.parted_at, "ulp_parted_at": self.ulp_parted_at,
                "tolerance": self.tolerance, "tried": self.tried}


def verdict(parted_at: int, ulp_parted_at: int | None, *, tolerance: float, slack: float = SLACK,
            tried: int | None = None) -> Verdict:
    """Chaos when the one-ulp run parted within ``slack`` times the pair's parting step, else a bug.

    Args:
        parted_at: the update after which the pair parted (0 = the first update).
        ulp_parted_at: the update after which the one-ulp run parted from the unperturbed one, or
            ``None`` when it did not.
        tolerance: the tolerance both parting steps were measured with (for the text).
        slack: how much later than the pair the one-ulp run may part and still count as "as fast".
        tried: how many updates the one-ulp run trained (for the text).

    Returns:
        The :class:`Verdict`.
    """
    chaos = ulp_parted_at is not None and ulp_parted_at <= slack * max(parted_at, 1)
    return Verdict("chaos" if chaos else "bug", parted_at, ulp_parted_at, tolerance, tried)


def float64_says_chaos(parted_at: int, float64_parted_at: int | None, *, slack: float = SLACK) -> bool:
    """Whether the same pair trained in float64 says the float32 parting was amplified rounding: it
    does not part (``float64_parted_at`` None) or parts more than ``slack`` times later.

    Example:
        >>> float64_says_chaos(3, None), float64_says_chaos(3, 40), float64_says_chaos(3, 4)
        (True, True, False)
    """
    return float64_parted_at is None or float64_parted_at > slack * max(parted_at, 1)


def parting_step(a: Sequence[Mapping[str, np.ndarray]], b: Sequence[Mapping[str, np.ndarray]],
                 tolerance: float) -> int | None:
    """The first index whose parameters differ by more than ``tolerance`` (``||a - b|| / ||b||`` over
    all of them), or ``None``."""
    for k, (pa, pb) in enumerate(zip(a, b)):
        diff = np.concatenate([(np.asarray(pa[n], np.float64) - np.asarray(pb[n], np.float64)).ravel() for n in pb])
        ref = np.concatenate([np.asarray(pb[n], np.float64).ravel() for n in pb])
        if not np.linalg.norm(diff) <= tolerance * max(float(np.linalg.norm(ref)), 1e-300):
            return k
    return None


def ulp_parting_step(torch_model: Any, make_optimizer: Callable[[Any], tuple[Any, Callable[[], None]]],
                     batches: Sequence[tuple[Any, Any]], loss: Callable[[Any, Any], Any], *, tolerance: float,
                     forward: Callable[[Any, Any], Any] | None = None) -> int | None:
    """Trains two copies of a torch model, one with every floating parameter moved up by one ulp,
    and returns the update after which they part (``None``: not within ``batches``).

    Args:
        torch_model: the model at its initial weights (not changed: copies are trained).
        make_optimizer: ``model -> (optimizer, after_step)``; ``after_step()`` runs after each
            ``optimizer.step()`` (``scheduler.step``).
        batches: ``(x, y)`` torch tensors (``x`` may be a tuple), one pair a step.
        loss: ``(output, y) -> scalar tensor``.
        tolerance: the norm-relative parameter tolerance.
        forward: ``(model, x) -> output`` (default ``model(x)``, ``model(*x)`` for a tuple).

    Returns:
        The parting update, or ``None``.
    """
    import torch

    def call(model: Any, x: Any) -> Any:
        if forward is not None:
            return forward(model, x)
        return model(*x) if isinstance(x, tuple) else model(x)

    def run(perturb: bool) -> list[dict[str, np.ndarray]]:
        model = copy.deepcopy(torch_model)
        if perturb:
            with torch.no_grad():
                for p in model.parameters():
                    if p.is_floating_point():
                        p.copy_(torch.nextafter(p, torch.full_like(p, float("inf"))))
        optimizer, after_step = make_optimizer(model)
        out = []
        for x, y in batches:
            optimizer.zero_grad()
            loss(call(model, x), y).backward()
            optimizer.step()
            after_step()
            out.append({n: p.detach().cpu().numpy().copy() for n, p in model.named_parameters()})
        return out

    return parting_step(run(True), run(False), tolerance)
