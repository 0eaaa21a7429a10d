"""Other libraries' schedules, by their own names and parameters, equal to those libraries.

A config ``{"schedule": "<library>.<name>", **the library's own parameters}`` (with
``"lr"`` for the base lr of a schedule relative to the optimizer's lr) builds the same
schedule in ``warmup_jax.schedule_from_config`` and ``warmup_torch.scheduler_from_config``: the library's
values at every step, its quirks included (its step 0, off-by-ones, periodic or rising
tails), each a short composition of :mod:`warmup_spec.primitives`. One module a library;
``docs/porting.md`` maps every name and convention.

A module is imported on the first use of one of its names (:data:`warmup_spec.registry.PORTS`
lists them), so ``import warmup_spec`` costs nothing for the ports it does not use.
"""
