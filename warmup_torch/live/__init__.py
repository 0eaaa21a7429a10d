"""``to_config``: a live scheduler object -> the config that builds the same schedule.

Each reader knows one family of schedulers and returns its config (one config, or a list
with one per param group when the groups' base lrs differ), or ``None`` for a scheduler
it does not know; a scheduler it knows but cannot see inside (a user's plain lambda) is
a ``ValueError`` saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from warmup_torch.live import hf_transformers, ours, timm_scheduler, torch_builtin

__all__ = ["READERS", "Reader", "to_config"]

Reader = Callable[[Any], "dict[str, Any] | list[dict[str, Any]] | None"]
READERS: tuple[Reader, ...] = (ours.config_of, hf_transformers.config_of, timm_scheduler.config_of,
                               torch_builtin.config_of)


def to_config(scheduler: Any) -> dict[str, Any] | list[dict[str, Any]]:
    """The config of a live scheduler: torch's built-ins (nested ``SequentialLR`` /
    ``ChainedScheduler`` too), an HF ``LambdaLR`` made by ``transformers.get_*``, a timm
    scheduler, or one of ours. ``warmup_jax.schedule_from_config(to_config(scheduler))`` is then
    the same schedule in JAX.

    Raises:
        ValueError: a scheduler none of the readers knows, or one whose schedule they
            cannot see (a ``LambdaLR`` over a user's lambda).
    """
    for read in READERS:
        cfg = read(scheduler)
        if cfg is not None:
            return cfg
    raise ValueError(
        f"to_config: a {type(scheduler).__module__}.{type(scheduler).__qualname__} is not a scheduler "
        "we can read; expected a torch.optim.lr_scheduler built-in, an HF transformers get_* scheduler, "
        "a timm scheduler or a warmup_torch scheduler (write the schedule as a config instead)"
    )
