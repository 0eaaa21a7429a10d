"""Learning-rate schedules as Keras 3 ``LearningRateSchedule``s, on every Keras back end.

Every schedule of :mod:`warmup_spec.catalogue` as a typed function
(``warmup_keras.warmup_cosine_decay(3e-4, 1000, 100_000)``), with the same names,
parameters, defaults and error messages as ``warmup_jax`` and ``warmup_torch``;
:func:`schedule_from_config` for any config, ports included (``{"schedule": "keras.CosineDecay", ...}``);
:func:`port` for a port by its library's name. Each returns a :class:`KerasSchedule`,
computed in ``keras.ops`` (the composition ``warmup_jax`` evaluates in ``jax.numpy``),
serialisable with ``get_config`` and registered for ``keras.saving``.

Keras reads its back end when first imported: set ``KERAS_BACKEND`` (``"jax"``, ``"torch"``,
``"tensorflow"``) before importing this module. Imports neither ``warmup_jax`` nor ``warmup_torch``.
"""

try:
    import keras  # noqa: F401
except ImportError as err:  # pragma: no cover - only without the extra or without a Keras back end
    raise ImportError(
        f"warmup_keras needs keras 3 and its back end ({err}); install them with: "
        "pip install 'warmup-schedules[keras]' and set KERAS_BACKEND (jax, torch or tensorflow)",
        name=err.name,
    ) from err

from warmup_keras.schedule import ConfigLike, KerasSchedule, port, schedule_from_config
from warmup_keras.schedules import *  # noqa: F403  (one front end a definition)
from warmup_spec import _front_end_names

__all__ = ["ConfigLike", "KerasSchedule", "port", "schedule_from_config"]
__all__ += _front_end_names.__all__
