"""Config edge for JAX: ``{"schedule": NAME, **params}`` -> Optax schedule."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Union

from warmup_jax._build import JaxSchedule, build
from warmup_spec.definition import ScheduleSpec
from warmup_spec.registry import spec_of

ConfigLike = Union[Mapping[str, Any], ScheduleSpec, str, "os.PathLike[str]"]


def schedule_from_config(cfg: ConfigLike) -> JaxSchedule:
    """Builds the Optax schedule a config describes.

    Args:
        cfg: a mapping ``{"schedule": NAME, **parameters}``, a spec, a JSON string,
            or the path of a ``.json``/``.toml`` file. The same config gives the
            same schedule in ``warmup_torch.schedule_from_config`` (and its scheduler in
            ``warmup_torch.scheduler_from_config``).

    Returns:
        An Optax schedule ``count -> lr``.

    Raises:
        ValueError: unknown schedule or parameter (listing the valid ones), or an
            invalid value.

    Example:
        >>> sched = schedule_from_config({"schedule": "warmup_cosine_decay", "peak_value": 1.0,
        ...                               "warmup_steps": 2, "total_steps": 6})
        >>> [round(float(sched(t)), 6) for t in (1, 2, 4, 9)]
        [0.5, 1.0, 0.5, 0.0]
    """
    if isinstance(cfg, (list, tuple)):
        raise ValueError(
            "warmup_jax.schedule_from_config: a list of configs is one config per torch param group; in optax "
            "give each group's label its schedule: "
            "optax.multi_transform({label: optax.adamw(schedule_from_config(cfg))}, labels)"
        )
    return build(spec_of(cfg))


__all__ = ["ConfigLike", "schedule_from_config"]
