"""A config sized by the trainer that runs it: the length, warmup and base lr it leaves out.

Trainers know how many optimizer updates a run makes only once they see the data (HF
``Trainer``'s ``num_training_steps`` from ``max_steps`` or epochs and gradient
accumulation, Lightning's ``estimated_stepping_batches``). A config may leave out

- its length: ``total_steps`` (ours, torchtitan's), ``num_training_steps`` (HF's) or
  ``total_num_steps`` (DeepSpeed's);
- its warmup: ``warmup_steps``, ``num_warmup_steps`` or ``warmup_num_steps``;
- its base lr: ``lr`` of a port of a relative schedule (HF's, torch's, timm's) or
  ``peak_value`` of a catalogue schedule (the optimizer's lr, as HF's ``learning_rate`` is the peak);

and :func:`fill_sizes` writes in the trainer's numbers under the schedule's own name for
them. Given parameters are kept; a parameter the schedule does not have is not added; a
warmup given both in the config and by the trainer, differently, is a ``ValueError`` (not a
silent choice of one).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from warmup_spec.config_files import load_config
from warmup_spec.definition import ScheduleSpec
from warmup_spec.registry import REGISTRY, spec_from_config, spec_to_config

TOTAL_NAMES = ("total_steps", "num_training_steps", "total_num_steps")
WARMUP_NAMES = ("warmup_steps", "num_warmup_steps", "warmup_num_steps")
LR_NAMES = ("lr", "peak_value")


def fill_sizes(cfg: Any, *, total_steps: int | None, warmup_steps: int | None = None,
               lr: float | None = None) -> dict[str, Any]:
    """``cfg`` with the length, warmup and base lr it leaves out taken from the trainer.

    Args:
        cfg: a config mapping ``{"schedule": NAME, **parameters}``, a JSON string, the path of a
            ``.json``/``.toml`` file, or a spec (complete: nothing to fill).
        total_steps: the optimizer updates of the run, as the trainer counts them (``None``: unknown).
        warmup_steps: the trainer's warmup (HF's ``args.get_warmup_steps(total)``); ``None``
            leaves the schedule's own default.
        lr: the optimizer's lr, for ``lr`` or ``peak_value``; ``None`` leaves them out.

    Returns:
        The config, validated (``ValueError`` naming the parameter otherwise).

    Example:
        >>> fill_sizes({"schedule": "warmup_cosine_decay", "end_value": 1e-5}, total_steps=1000, warmup_steps=30,
        ...            lr=1e-3)  # doctest: +NORMALIZE_WHITESPACE
        {'schedule': 'warmup_cosine_decay', 'end_value': 1e-05, 'total_steps': 1000, 'warmup_steps': 30,
         'peak_value': 0.001}
        >>> fill_sizes({"schedule": "transformers.get_linear_schedule_with_warmup"}, total_steps=10, warmup_steps=2,
        ...            lr=0.1)  # doctest: +NORMALIZE_WHITESPACE
        {'schedule': 'transformers.get_linear_schedule_with_warmup', 'num_training_steps': 10, 'num_warmup_steps': 2,
         'lr': 0.1}
    """
    out = spec_to_config(cfg) if isinstance(cfg, ScheduleSpec) else load_config(cfg)
    cls = REGISTRY.get(out.get("schedule"))  # type: ignore[arg-type]
    if cls is None:
        spec_from_config(out)  # the config edge's ValueError, listing the valid names
        raise AssertionError("unreachable")  # pragma: no cover
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    clash = [k for k in WARMUP_NAMES if k in out and warmup_steps is not None and out[k] != warmup_steps]
    if clash:
        raise ValueError(f"{out['schedule']}: {clash[0]}={out[clash[0]]!r} in the config and the trainer's warmup of "
                         f"{warmup_steps} steps disagree; give the warmup in one place")
    for names, value in ((TOTAL_NAMES, total_steps), (WARMUP_NAMES, warmup_steps), (LR_NAMES, lr)):
        for name in names:
            if name in fields and name not in out and value is not None:
                out[name] = value
    spec_from_config(out)
    return out


__all__ = ["LR_NAMES", "TOTAL_NAMES", "WARMUP_NAMES", "fill_sizes"]
