"""Spec -> Keras 3 ``LearningRateSchedule``: the composition's array form over ``keras.ops``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Union

import keras

from warmup_keras._ops import KERAS_OPS
from warmup_spec.definition import ScheduleSpec
from warmup_spec.display import Displayed
from warmup_spec.registry import REGISTRY, spec_of, spec_to_config

ConfigLike = Union[Mapping[str, Any], ScheduleSpec, str, "os.PathLike[str]"]


@keras.saving.register_keras_serializable(package="warmup_keras")
class KerasSchedule(Displayed, keras.optimizers.schedules.LearningRateSchedule):
    """A Keras ``LearningRateSchedule`` of any schedule of ours: ``step -> lr`` in ``keras.ops``.

    Runs on every Keras back end (traced under ``jit`` on JAX, eager on torch), in Keras's
    ``floatx``; the lr of the ``k``-th update (``optimizer.iterations == k``) is ``f(k)``.
    ``get_config`` is the schedule's config (plus Keras's ``name`` where one is given), so a
    model saved with it (``model.save``) loads with the same schedule.

    Args:
        spec: a spec, a config mapping ``{"schedule": NAME, **parameters}``, a JSON string or
            the path of a ``.json``/``.toml`` file.
        name: Keras's name of the schedule (an ops scope in Keras's own schedules); kept in
            the config only.

    Attributes:
        spec: the frozen spec it evaluates.

    Example:
        >>> sched = KerasSchedule({"schedule": "warmup_constant", "peak_value": 0.1, "warmup_steps": 2})
        >>> [round(float(sched(t)), 6) for t in range(4)]
        [0.0, 0.05, 0.1, 0.1]
        >>> sched.get_config()["schedule"], KerasSchedule.from_config(sched.get_config()).spec == sched.spec
        ('warmup_constant', True)
    """

    def __init__(self, spec: ConfigLike, name: str | None = None) -> None:
        self.spec = spec_of(spec)
        self.name = name
        self._fn = self.spec.compose().array(KERAS_OPS, 0, (0, None))  # steps are >= 0
        # the ports of libraries that take float steps (Keras's own) take them here too
        self._float_steps = self.spec.float_steps()

    def __call__(self, step: Any) -> Any:
        return self._fn(KERAS_OPS.as_step(step, self.spec.schedule, self._float_steps))

    def get_config(self) -> dict[str, Any]:
        cfg = spec_to_config(self.spec)
        return cfg if self.name is None else {**cfg, "name": self.name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KerasSchedule:
        cfg = dict(config)
        return cls(cfg, name=cfg.pop("name", None))

    def __repr__(self) -> str:
        return f"<Keras schedule of {self.spec!r}>"


def schedule_from_config(cfg: ConfigLike) -> KerasSchedule:
    """Builds the Keras schedule a config describes.

    Args:
        cfg: a mapping ``{"schedule": NAME, **parameters}`` (a catalogue schedule or a port
            such as ``"keras.CosineDecay"`` or ``"transformers.cosine"``), a spec, a JSON string or
            the path of a ``.json``/``.toml`` file. The same config gives the same schedule in
            ``warmup_jax.schedule_from_config`` and ``warmup_torch.scheduler_from_config``.

    Returns:
        A :class:`KerasSchedule` for ``keras.optimizers.*(learning_rate=...)``.

    Raises:
        ValueError: unknown schedule or parameter (listing the valid ones), or an invalid value.

    Example:
        >>> sched = schedule_from_config({"schedule": "warmup_cosine_decay", "peak_value": 1.0,
        ...                      "warmup_steps": 2, "total_steps": 6})
        >>> [round(float(sched(t)), 6) for t in (1, 2, 4, 9)]
        [0.5, 1.0, 0.5, 0.0]
    """
    return KerasSchedule(cfg)


def port(schedule: str) -> Callable[..., KerasSchedule]:
    """The constructor of a port by its library's name, taking the library's own arguments
    (positional in its order, and Keras's ``name``).

    Args:
        schedule: a registered port, e.g. ``"keras.CosineDecay"``, ``"optax.warmup_cosine_decay_schedule"``.

    Returns:
        ``make(*args, name=None, **kwargs) -> KerasSchedule``.

    Example:
        >>> ExponentialDecay = port("keras.ExponentialDecay")
        >>> sched = ExponentialDecay(0.1, 3, 0.5, staircase=True)
        >>> [round(float(sched(t)), 6) for t in (0, 2, 3, 6)]
        [0.1, 0.1, 0.05, 0.025]
    """
    if schedule not in REGISTRY:
        spec_of({"schedule": schedule})  # the config edge's ValueError, listing the valid names
    cls = REGISTRY[schedule]

    def make(*args: Any, name: str | None = None, **kwargs: Any) -> KerasSchedule:
        return KerasSchedule(cls(*args, **kwargs), name=name)

    make.__name__ = make.__qualname__ = schedule.rpartition(".")[2]
    make.__doc__ = cls.__doc__
    return make


__all__ = ["ConfigLike", "KerasSchedule", "port", "schedule_from_config"]
