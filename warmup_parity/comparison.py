"""Train a Flax NNX model and its torch twin side by side, and find where they part.

:func:`compare` copies the Flax model's weights into the torch model (``copy=True``),
trains both with a matched optimizer pair under one schedule on the same batches, and
returns a :class:`Report`: per step the lr, the loss and the parameter difference of both
sides, and ``first_divergence``, the earliest place where they differ beyond the dtype's
tolerance, checked in this order:

1. before any update: the initial parameters (they differ only with ``copy=False``);
2. update 0: the loss; when it differs, each submodule's input and output in call order
   (torch forward hooks; on the Flax side each module's ``__call__`` recorded) names the
   first submodule whose output differs while its input agreed (``kind="forward"``, ``where``
   that submodule), or whose input already differs (``where`` the module whose forward
   computed it), or, when every submodule agrees, the loss itself (``kind="loss"``);
3. then each parameter's gradient (``"gradient"``), the lr (``"lr"``) and each parameter's
   first update (``"update"``);
4. every later update: the lr, then the parameters (``"parameters"``).

``where`` is the torch-style dotted name of the submodule or parameter (``""`` is the
model's own forward). ``str(report)`` is a short summary naming the divergence and, where
one is known, its likely cause (LayerNorm eps, GELU's tanh approximation, a transposed
square kernel, dropout or train mode, a missing bias, Flax attention's float32 softmax,
convolution settings, a module's compute dtype).

A bias (or norm scale) that only one side's layer has is compared as the constant it
stands for (0, or 1 for a scale) and set to it on the other side: its gradient shows it.

Example:
    >>> import numpy as np, torch
    >>> from flax import nnx
    >>> class Net(nnx.Module):
    ...     def __init__(self):
    ...         self.fc = nnx.Linear(4, 2, rngs=nnx.Rngs(0))
    ...     def __call__(self, x):
    ...         return self.fc(x)
    >>> class TorchNet(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = torch.nn.Linear(4, 2)
    ...     def forward(self, x):
    ...         return self.fc(x)
    >>> rng = np.random.default_rng(0)
    >>> batches = [(rng.standard_normal((8, 4)), rng.integers(0, 2, 8)) for _ in range(5)]
    >>> schedule = {"schedule": "warmup_cosine_decay", "peak_value": 1e-2, "warmup_steps": 2, "total_steps": 5}
    >>> report = compare(Net(), TorchNet(), batches, loss="cross_entropy", optimizer={"name": "adamw"},
    ...                  schedule=schedule)
    >>> report.passed, report.first_divergence
    (True, None)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from warmup_parity.engine import TorchLR, batches_of, loss_pair, prepare, train_pair
from warmup_parity.report import TOLERANCES, Report

__all__ = ["compare"]


def compare(flax_model: Any, torch_model: Any, batches: Iterable[tuple[Any, Any]], *,
            loss: str | tuple[Callable[..., Any], Callable[..., Any]], optimizer: Any, schedule: Mapping[str, Any],
            steps: int | None = None, dtype: str = "float64", copy: bool = True,
            mapping: Mapping[str, str] | None = None,
            on_step: Callable[[dict[str, float]], None] | None = None) -> Report:
    """Trains a Flax NNX model and a torch model side by side and reports where they part.

    Both models are cast to ``dtype`` (in place) and trained (in place) for ``steps``
    updates, in the modes you left them in (``torch_model.train()``/``eval()``, Flax's
    ``deterministic``/``use_running_average``).

    Args:
        flax_model: an ``nnx.Module``, ``flax_model(x) -> output``.
        torch_model: a ``torch.nn.Module``, ``torch_model(x) -> output``.
        batches: ``(x, y)`` NumPy arrays, one pair a step (reused in order when ``steps`` is
            larger). Floating arrays are cast to ``dtype``; integer ones (labels, token ids)
            are kept.
        loss: ``"cross_entropy"`` (integer labels, any number of leading axes), ``"mse"``, or
            ``(jax_loss, torch_loss)``, each ``(output, y) -> scalar``.
        optimizer: a matched optimizer pair (``{"name": "adamw", "weight_decay": 0.01}``, an
            ``OptimizerSpec``; see ``warmup_parity.optimizers``).
        schedule: a schedule config (``{"schedule": "warmup_cosine_decay", ...}``, any
            library's names).
        steps: updates (default: one per batch).
        dtype: ``"float64"`` (parameters agree to 1e-9) or ``"float32"`` (1e-5).
        copy: copy the Flax model's weights into the torch model first (``copy_weights``);
            with False the weights are compared as they are.
        mapping: ``{flax path: torch name}`` for names that differ (see ``copy_weights``).
        on_step: called with each step's record (a progress bar).

    Returns:
        The :class:`Report`; ``report.passed``, ``report.first_divergence``, ``str(report)``.

    Raises:
        ValueError: an invalid argument, or parameters that cannot be matched (naming them).
    """
    import jax

    if dtype not in TOLERANCES:
        raise ValueError(f"compare: dtype={dtype!r} is invalid; expected 'float64' or 'float32'")
    if not isinstance(copy, bool):
        raise ValueError(f"compare: copy={copy!r} is invalid; expected True or False")
    losses = loss_pair(loss)
    data = batches_of(batches, steps)
    from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer

    spec = optimizer if hasattr(optimizer, "params") and hasattr(optimizer, "name") else \
        optimizer_from_config(optimizer)
    config = {"title": "", "flax_model": type(flax_model).__name__, "torch_model": type(torch_model).__name__,
              "loss": loss if isinstance(loss, str) else "custom", "optimizer": spec.to_config(),
              "schedule": dict(schedule), "steps": len(data), "dtype": dtype, "copy": copy}
    with jax.enable_x64(dtype == "float64"):
        import jax.numpy as jnp

        import warmup_jax

        wmap = prepare(flax_model, torch_model, dtype, copy, mapping)
        jax_schedule = warmup_jax.from_config(schedule)
        tx = optax_transform(spec, jax_schedule, dtype=jnp.float64 if dtype == "float64" else jnp.float32)
        topt, tsched = torch_optimizer(spec, torch_model.parameters(), schedule)
        return train_pair(flax_model, torch_model, wmap, data, losses=losses, tx=tx, schedule=jax_schedule,
                          torch_opt=topt, torch_lr=TorchLR.scheduler(tsched), dtype=dtype,
                          config=config, on_step=on_step)

