"""Train a Flax NNX model and its torch twin side by side, and find where they part.

:func:`compare` copies the Flax model's weights into the torch model (``copy=True``),
trains both (copies of them, unless ``in_place=True``) with a matched optimizer pair under
one schedule on the same batches, and returns a :class:`Report`: per step the lr, the loss
and the parameter difference of both sides, and ``first_divergence``, the earliest place
where they differ beyond the dtype's tolerance, checked in this order:

1. before any update: the initial parameters (they differ only with ``copy=False``);
2. update 0: the loss; when it differs, each submodule's input and output in call order
   (torch forward hooks; on the Flax side each module's ``__call__`` recorded) names the
   first submodule whose output differs while its input agreed (``kind="forward"``, ``where``
   that submodule), or whose input already differs (``where`` the module whose forward
   computed it), or, when every submodule agrees, the loss itself (``kind="loss"``);
3. then each parameter's gradient (``"gradient"``), the lr (``"lr"``) and each parameter's
   first update (``"update"``);
4. every later update: the lr, then the parameters (``"parameters"``), with a verdict, chaos
   or bug (:mod:`warmup_parity.chaos`), in ``report.verdict``.

The training engine is :mod:`warmup_parity.engine`, the forward record
:mod:`warmup_parity.recording`, the likely causes :mod:`warmup_parity.hints` and the report
:mod:`warmup_parity.report`.

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

from warmup_parity.engine import Forward, TorchLR, batches_of, loss_pair, prepare, train_pair
from warmup_parity.report import TOLERANCES, Report

__all__ = ["compare"]


def _schedule_spec(schedule: Any) -> Any:
    """The spec of a schedule argument: a config, a spec, a host ``Schedule``, or a ``warmup_jax``
    or ``warmup_torch`` schedule (which carry theirs)."""
    from warmup_spec.definition import ScheduleSpec
    from warmup_spec.registry import spec_of

    carried = getattr(schedule, "spec", None)
    if isinstance(carried, ScheduleSpec):
        return carried
    if isinstance(carried, list):
        raise ValueError("compare: schedule is a scheduler with one schedule per param group; compare takes one "
                         "schedule (a config, a warmup_jax or warmup_torch schedule, or a Schedule)")
    return spec_of(schedule)


def _config_of(spec: Any) -> Any:
    from warmup_spec.registry import spec_to_config

    try:
        return spec_to_config(spec)
    except ValueError:  # a base that is a user function has no config
        return repr(spec)


def compare(flax_model: Any, torch_model: Any, batches: Iterable[tuple[Any, Any]], *,
            loss: str | tuple[Callable[..., Any], Callable[..., Any]], optimizer: Any, schedule: Any,
            steps: int | None = None, dtype: str = "float64", copy: bool = True,
            mapping: Mapping[str, str] | None = None,
            on_step: Callable[[dict[str, float]], None] | None = None,
            flax_forward: Forward | None = None, torch_forward: Forward | None = None,
            ignore_index: int = -100, in_place: bool = False) -> Report:
    """Trains a Flax NNX model and a torch model side by side and reports where they part.

    By default both models are left as they were: the comparison casts and trains copies.
    With ``in_place=True`` the models themselves are cast to ``dtype`` and trained for
    ``steps`` updates. Either way they run in the modes you left them in
    (``torch_model.train()``/``eval()``, Flax's ``deterministic``/``use_running_average``).

    Args:
        flax_model: an ``nnx.Module``, ``flax_model(x) -> output``.
        torch_model: a ``torch.nn.Module``, ``torch_model(x) -> output``.
        batches: ``(x, y)`` NumPy arrays, one pair a step (reused in order when ``steps`` is
            larger); ``x`` may be a tuple of arrays (a multi-input model, called as ``model(*x)``).
            Floating arrays are cast to ``dtype``; integer ones (labels, token ids) are kept.
        loss: ``"cross_entropy"`` (integer labels of any integer dtype, any number of leading
            axes, ``ignore_index`` left out), ``"mse"``, or ``(jax_loss, torch_loss)``, each
            ``(output, y) -> scalar``.
        optimizer: a matched optimizer pair (``{"name": "adamw", "weight_decay": 0.01}``, an
            ``OptimizerSpec``; see ``warmup_parity.optimizers``).
        schedule: a schedule config (``{"schedule": "warmup_cosine_decay", ...}``, any
            library's names), a spec, a host ``Schedule``, or a ``warmup_jax``/``warmup_torch``
            schedule (its spec is used).
        steps: updates (default: one per batch).
        dtype: ``"float64"`` (parameters agree to 1e-9) or ``"float32"`` (1e-5).
        copy: copy the Flax model's weights into the torch model first (``copy_weights``);
            with False the weights are compared as they are.
        mapping: ``{flax path: torch name}`` for names that differ (see ``copy_weights``).
        on_step: called with each step's record (a progress bar).
        flax_forward: ``(model, x) -> output`` for the Flax side (default ``model(x)``).
        torch_forward: ``(model, x) -> output`` for the torch side, e.g. for transformers'
            ``ResNetForImageClassification`` fed NHWC batches:
            ``lambda m, x: m(pixel_values=x.permute(0, 3, 1, 2)).logits``.
        ignore_index: the label ``"cross_entropy"`` leaves out on both sides (torch's -100).
        in_place: cast and train the models themselves instead of copies.

    Returns:
        The :class:`Report`; ``report.passed``, ``report.first_divergence``, ``str(report)``;
        for parameters that part after update 0, ``report.verdict`` says chaos or bug
        (:func:`warmup_parity.chaos.verdict`).

    Raises:
        ValueError: an invalid argument, or parameters that cannot be matched (naming them).
    """
    import copy as copying

    import jax
    from flax import nnx

    if dtype not in TOLERANCES:
        raise ValueError(f"compare: dtype={dtype!r} is invalid; expected 'float64' or 'float32'")
    for name, flag in (("copy", copy), ("in_place", in_place)):
        if not isinstance(flag, bool):
            raise ValueError(f"compare: {name}={flag!r} is invalid; expected True or False")
    for name, fn in (("flax_forward", flax_forward), ("torch_forward", torch_forward)):
        if fn is not None and not callable(fn):
            raise ValueError(f"compare: {name}={fn!r} is invalid; expected None or a callable (model, x) -> output")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise ValueError(f"compare: ignore_index={ignore_index!r} is invalid; expected an integer (torch's -100)")
    losses = loss_pair(loss, ignore_index=ignore_index)
    data = batches_of(batches, steps)
    spec_of_schedule = _schedule_spec(schedule)
    from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer

    spec = optimizer if hasattr(optimizer, "params") and hasattr(optimizer, "name") else \
        optimizer_from_config(optimizer)
    config = {"title": "", "flax_model": type(flax_model).__name__, "torch_model": type(torch_model).__name__,
              "loss": loss if isinstance(loss, str) else "custom", "optimizer": spec.to_config(),
              "schedule": _config_of(spec_of_schedule), "steps": len(data), "dtype": dtype, "copy": copy,
              "in_place": in_place}
    if not in_place:
        flax_model, torch_model = nnx.clone(flax_model), copying.deepcopy(torch_model)
    with jax.enable_x64(dtype == "float64"):
        import jax.numpy as jnp

        import warmup_jax

        wmap = prepare(flax_model, torch_model, dtype, copy, mapping)
        torch_initial = copying.deepcopy(torch_model)
        jax_schedule = warmup_jax.from_config(spec_of_schedule)
        tx = optax_transform(spec, jax_schedule, dtype=jnp.float64 if dtype == "float64" else jnp.float32)
        topt, tsched = torch_optimizer(spec, torch_model.parameters(), spec_of_schedule)
        report = train_pair(flax_model, torch_model, wmap, data, losses=losses, tx=tx, schedule=jax_schedule,
                            torch_opt=topt, torch_lr=TorchLR.scheduler(tsched), dtype=dtype, config=config,
                            on_step=on_step, flax_forward=flax_forward, torch_forward=torch_forward)
    first = report.first_divergence
    if first is not None and first.kind == "parameters" and first.step > 0:
        report.verdict = _chaos_verdict(torch_initial, spec, spec_of_schedule, data, losses[1], torch_forward,
                                        dtype, first.step)
    return report


def _chaos_verdict(torch_model: Any, spec: Any, schedule: Any, data: Any, torch_loss: Callable[..., Any],
                   torch_forward: Forward | None, dtype: str, parted_at: int) -> Any:
    """Chaos or bug for parameters that parted after update ``parted_at``: the torch side against
    itself moved by one ulp, over up to ``chaos.SLACK`` times as many updates."""
    import torch

    from warmup_parity import chaos
    from warmup_parity.optimizers import torch_optimizer

    tdt = torch.float64 if dtype == "float64" else torch.float32
    n = min(len(data), int(chaos.SLACK * max(parted_at, 1)) + 1)

    def tensor(a: Any) -> Any:
        t = torch.as_tensor(a)
        return t.to(tdt) if t.is_floating_point() else t

    batches = [(tuple(tensor(a) for a in x) if isinstance(x, tuple) else tensor(x), torch.as_tensor(y))
               for x, y in data[:n]]

    def make(model: Any) -> tuple[Any, Callable[[], None]]:
        opt, sched = torch_optimizer(spec, model.parameters(), schedule)
        return opt, sched.step

    tol = TOLERANCES[dtype]["params"]
    ulp = chaos.ulp_parting_step(torch_model, make, batches, torch_loss, tolerance=tol, forward=torch_forward)
    return chaos.verdict(parted_at, ulp, tolerance=tol, tried=n)
