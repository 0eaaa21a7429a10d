"""The front ends' names, one a definition of the catalogue (its ``schedule`` name), listed
once. Each front-end module (``warmup_spec.host``, ``warmup_jax.schedules``,
``warmup_torch.schedulers``, ``warmup_keras.schedules``) defines them as its only public names
and has no ``__all__``: its package's star import takes them, with the types mypy sees (mypy
does not follow a star import through an ``__all__`` built with ``+=``). The packages export
them with ``__all__ += _front_end_names.__all__``. The names are not defined here (ruff's F822
is off for this file); ``test_keras.py`` checks that they are the catalogue's,
``test_user_mistakes.py`` that they are each front-end module's public names."""

__all__ = [
    "decay_from",
    "join",
    "legacy_noam",
    "noam",
    "one_cycle",
    "sample_clock",
    "scaled",
    "tri_stage",
    "untuned_warmup",
    "warmup_constant",
    "warmup_cosine_decay",
    "warmup_cosine_restarts",
    "warmup_exponential_decay",
    "warmup_inverse_sqrt",
    "warmup_linear_decay",
    "warmup_polynomial_decay",
    "warmup_stable_decay",
    "warmup_stable_decay_cycles",
    "with_warmup",
]
