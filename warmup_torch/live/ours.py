"""Our own schedulers: their config is saved in them."""

from __future__ import annotations

import copy
from typing import Any

from warmup_torch.scheduler import ScheduleLR

__all__ = ["config_of"]


def config_of(scheduler: Any) -> dict[str, Any] | list[dict[str, Any]] | None:
    if not isinstance(scheduler, ScheduleLR):
        return None
    config = scheduler.state_dict()["schedule"]
    if config is None or (isinstance(config, list) and any(c is None for c in config)):
        raise ValueError(
            f"to_config: this {type(scheduler).__name__} runs a schedule over a user function, which has no "
            "config; build it from specs or configs only"
        )
    return copy.deepcopy(config)
