"""Schedules written in epochs: convert ``*_epochs`` keys to optimizer-update counts.

Every schedule counts *optimizer updates* (``optax``: the count of the transformation
that holds the schedule; ``torch``: ``scheduler.step()`` calls, one after each
``optimizer.step()``). A config may instead give its step parameters in epochs, by
replacing the ``_steps`` suffix with ``_epochs`` (``warmup_epochs``, ``total_epochs``,
``stable_epochs``, ``decay_epochs``, ``hold_epochs``, ``cycle_epochs``,
``transition_epochs``; for ``join``, ``boundary_epochs`` instead of ``boundaries``);
:func:`steps_from_epochs` turns them into the ``*_steps`` keys.

Counting rule (``docs/stepping.md``):

- ``steps_per_epoch`` is the number of data-loader batches (micro-batches) in one
  epoch and ``grad_accum`` the number of micro-batches whose gradients make one
  optimizer update. An epoch has ``updates_per_epoch = ceil(steps_per_epoch /
  grad_accum)`` updates: a last, partial accumulation window still ends with an
  optimizer step, as in the HF ``Trainer`` loop (which steps at the end of every
  epoch; recent transformers also size the schedule with this ceil, older ones
  with ``floor``, one update short per epoch with a remainder).
- ``n`` epochs are ``n * updates_per_epoch`` updates, computed exactly (the epoch
  value is read as the decimal it prints as: ``0.1`` is 1/10, not the binary double)
  and rounded to an integer with ``rounding``: ``"nearest"`` (default, halves round
  up: 0.5 epoch of 7 updates is 4), ``"ceil"`` (HF's rounding of
  ``num_train_epochs * updates`` and of ``warmup_ratio * max_steps``) or ``"floor"``.
- Each key is converted on its own, nested configs (``base``, ``schedules``) too; a
  combinator's inner steps count from its own start, so with fractional epochs the
  sum of rounded parts can differ by one from the rounded sum.

Example:
    >>> steps_from_epochs(
    ...     {"schedule": "warmup_cosine_decay", "peak_value": 3e-4,
    ...      "warmup_epochs": 0.5, "total_epochs": 3},
    ...     steps_per_epoch=100, grad_accum=8)   # ceil(100 / 8) = 13 updates an epoch
    {'schedule': 'warmup_cosine_decay', 'peak_value': 0.0003, 'warmup_steps': 7, 'total_steps': 39}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from warmup_spec import _checks as c
from warmup_spec.registry import REGISTRY, spec_from_config

__all__ = ["ROUNDINGS", "epoch_keys", "steps_from_epochs", "updates_per_epoch"]

ROUNDINGS = ("nearest", "ceil", "floor")
_WHO = "steps_from_epochs"


def updates_per_epoch(steps_per_epoch: int, grad_accum: int = 1) -> int:
    """Optimizer updates in one epoch: ``ceil(steps_per_epoch / grad_accum)``.

    >>> updates_per_epoch(100, 8), updates_per_epoch(96, 8), updates_per_epoch(3, 8)
    (13, 12, 1)
    """
    n = c.integer(_WHO, "steps_per_epoch", steps_per_epoch, 1)
    k = c.integer(_WHO, "grad_accum", grad_accum, 1)
    return -(-n // k)


def epoch_keys(schedule: str) -> dict[str, str]:
    """The epoch keys a schedule accepts, mapped to the step parameter each sets.

    >>> epoch_keys("warmup_stable_decay")
    {'warmup_epochs': 'warmup_steps', 'stable_epochs': 'stable_steps', 'decay_epochs': 'decay_steps'}
    """
    if not isinstance(schedule, str) or schedule not in REGISTRY:
        raise c.fail("config", "schedule", schedule, "one of " + ", ".join(sorted(REGISTRY)))
    cls = REGISTRY[schedule]
    keys = {
        f.name[: -len("_steps")] + "_epochs": f.name
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name.endswith("_steps")
    }
    for name in cls.step_lists:  # join's "boundaries": "boundary_epochs"
        if name.endswith("_steps"):  # a list of *_steps: its *_epochs key is above
            continue
        singular = name[: -len("ies")] + "y" if name.endswith("ies") else name.removesuffix("s")
        keys[singular + "_epochs"] = name
    return keys


def _round(x: Fraction, rounding: str) -> int:
    if rounding == "ceil":
        return math.ceil(x)
    if rounding == "floor":
        return math.floor(x)
    return math.floor(x + Fraction(1, 2))


def _epochs_to_steps(name: str, key: str, value: Any, upe: int, rounding: str) -> int:
    x = c.number(name, key, value, 0.0)  # finite, >= 0, not a bool
    exact = Fraction(int(value)) if isinstance(value, int) else Fraction(repr(x))
    return _round(exact * upe, rounding)


def _convert(cfg: Any, upe: int, rounding: str) -> Any:
    if not isinstance(cfg, Mapping):
        return cfg  # a spec or a user's callable inside a combinator: left as it is
    if "schedule" not in cfg:
        raise ValueError(
            "config: missing key 'schedule'; expected one of " + ", ".join(sorted(REGISTRY))
        )
    name = cfg["schedule"]
    keys = epoch_keys(name)
    out: dict[str, Any] = {}
    for key, value in cfg.items():
        if not key.endswith("_epochs"):
            out[key] = value
            continue
        if key not in keys:
            if not keys:
                raise c.fail(name, key, value, f"no *_epochs key ({name} has no *_steps parameter)")
            raise c.fail(name, key, value, f"an epoch key of {name}: " + ", ".join(keys))
        target = keys[key]
        if target in cfg:
            raise c.fail(name, key, value, f"either {key} or {target}, not both")
        if target in REGISTRY[name].step_lists:
            if not isinstance(value, (list, tuple)):
                raise c.fail(name, key, value, f"a list of epoch {target}")
            out[target] = [
                _epochs_to_steps(name, f"{key}[{i}]", v, upe, rounding) for i, v in enumerate(value)
            ]
        else:
            out[target] = _epochs_to_steps(name, key, value, upe, rounding)
    if isinstance(out.get("base"), Mapping):
        if name == "sample_clock" and any(k.endswith("_epochs") for k in out["base"]):
            # its base counts samples or tokens, not updates: an epoch has no fixed number of them
            raise c.fail(name, "base", out["base"], "a base in samples or tokens (no *_epochs keys inside a "
                         "sample_clock)")
        out["base"] = _convert(out["base"], upe, rounding)
    if isinstance(out.get("schedules"), (list, tuple)):
        out["schedules"] = [_convert(s, upe, rounding) for s in out["schedules"]]
    return out


def steps_from_epochs(
    cfg: Mapping[str, Any],
    steps_per_epoch: int,
    grad_accum: int = 1,
    *,
    rounding: str = "nearest",
) -> dict[str, Any]:
    """``cfg`` with every ``*_epochs`` key replaced by its ``*_steps`` key in updates.

    Returns a new config (keys in their original order; configs without epoch keys
    come back equal) that has been validated as a schedule: a conversion that rounds
    to an invalid count (e.g. ``total_steps <= warmup_steps``) raises the schedule's
    own ``ValueError``. Errors follow the library's format, e.g.
    ``"warmup_constant: total_epochs=3 is invalid; expected an epoch key of
    warmup_constant: warmup_epochs"``.
    """
    upe = updates_per_epoch(steps_per_epoch, grad_accum)
    c.choice(_WHO, "rounding", rounding, ROUNDINGS)
    if not isinstance(cfg, Mapping):
        raise c.fail(_WHO, "cfg", cfg, 'a mapping {"schedule": NAME, **parameters}')
    out = _convert(cfg, upe, rounding)
    spec_from_config(out)  # validates the converted values, nested configs included
    return out
