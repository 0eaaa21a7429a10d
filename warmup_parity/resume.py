"""Move a run between frameworks mid-way: a torch checkpoint continues in JAX, a JAX run in torch.

A run is its parameters, its optimizer's moments and its step. The two directions:

- :func:`torch_to_jax`: a torch checkpoint (``{"model": ..., "optimizer": ..., "scheduler": ...}``,
  the three ``state_dict()``\\ s, as ``torch.save`` writes them) into a Flax NNX model and its
  ``nnx.Optimizer``: the parameters, every Optax ``count`` (and the optimizer's ``step``) set to
  the scheduler's ``last_epoch``, and the moments of a matched pair;
- :func:`jax_to_torch`: an NNX model and optimizer -> that torch checkpoint, for a torch model,
  optimizer and scheduler of the same run (their own state is not read, only their shape):
  load it with ``model.load_state_dict``, ``optimizer.load_state_dict`` and
  ``warmup_torch.resume(optimizer, ckpt["scheduler"])``.

On the JAX side a run is saved and restored with orbax-checkpoint (:func:`save_jax`,
:func:`restore_jax`), the schedule's config beside the state, so that resuming with another
schedule is refused, as ``ScheduleLR.load_state_dict`` refuses it in torch. The lr of the next
update is the schedule at the same step on both sides (the step is carried exactly).

Names and layouts: a Flax parameter path is its torch name by
:func:`warmup_spec.param_rules.torch_style_name` (``l1.kernel`` is ``l1.weight``); kernels are
transposed to torch's layout (``(in, out)`` -> ``(out, in)``, convolutions
``(*spatial, in, out)`` -> ``(out, in, *spatial)``), other parameters are copied as they are.

Moments: the optimizer pair's record (:data:`warmup_parity.optimizers.PAIRS`) maps each Optax
state field to its torch state key (``Pair.fields``, e.g. AdamW's ``mu`` -> ``exp_avg``), and
its per-step scalars (``Pair.scalars``, NAdam's ``mu_product``). The pair is the one the torch
optimizer names: :func:`~warmup_parity.optimizers.torch_optimizer` saves its name in each param
group (``"optimizer_pair"``), so a checkpoint says which pair it is; a live torch optimizer
without it is taken by its class, and a class without a twin (``ASGD``, ``LBFGS``) is refused.

Each is found in the Optax state by its field name followed by the parameter's path, so a chain,
``optax.multi_transform`` (parameter-group rules) or ``masked`` around it is found too. The run
is assumed stepped per update (one ``scheduler.step()`` per ``optimizer.step()``, the Optax count).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from warmup_parity.optimizers import pair as pair_named
from warmup_parity.optimizers import pair_of
from warmup_spec.param_rules import torch_style_name
from warmup_spec.registry import spec_of, spec_to_config

if TYPE_CHECKING:
    import torch

__all__ = ["jax_to_torch", "restore_jax", "save_jax", "schedule_config", "torch_to_jax"]

Path_ = tuple[Any, ...]


# --------------------------------------------------------------------------- configs


def schedule_config(schedule: Any) -> Any:
    """The normalised config of a schedule (a list of them, one per torch param group), as a
    ``ScheduleLR`` saves it in its ``state_dict``; ``None`` for a schedule over a user function."""
    if isinstance(schedule, (list, tuple)):
        return [schedule_config(s) for s in schedule]
    spec = spec_of(schedule)  # an invalid config is the library's ValueError
    try:
        return spec_to_config(spec)
    except ValueError:  # a base that is a user function has no config
        return None


def _check_schedule(who: str, saved: Any, schedule: Any) -> None:
    ours = schedule_config(schedule)
    if saved != ours:
        raise ValueError(
            f"{who}: the saved state is for {saved!r}, but this run uses {ours!r}; resume with the saved "
            "schedule (its config is in the checkpoint) or start a new run"
        )


# --------------------------------------------------------------------------- layouts


def _to_torch_layout(leaf: Any, a: np.ndarray) -> np.ndarray:
    if leaf != "kernel" or a.ndim < 2:
        return a
    return a.T if a.ndim == 2 else np.transpose(a, (a.ndim - 1, a.ndim - 2, *range(a.ndim - 2)))


def _to_flax_layout(leaf: Any, a: np.ndarray) -> np.ndarray:
    if leaf != "kernel" or a.ndim < 2:
        return a
    return a.T if a.ndim == 2 else np.transpose(a, (*range(2, a.ndim), 1, 0))


# --------------------------------------------------------------------------- the JAX side


def _walk(tree: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """The leaves of a pure dict (``nnx.to_pure_dict``) with their paths."""
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            yield from _walk(value, (*path, key))
    else:
        yield path, tree


def _put(tree: dict[Any, Any], path: Path_, value: Any) -> None:
    for key in path[:-1]:
        tree = tree[key]
    tree[path[-1]] = value


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype")


class _JaxRun:
    """A Flax NNX model and its ``nnx.Optimizer`` as pure dicts, by torch name."""

    def __init__(self, model: Any, optimizer: Any) -> None:
        from flax import nnx

        self.model, self.optimizer = model, optimizer
        self.params = nnx.to_pure_dict(nnx.state(model, nnx.Param))
        self.opt = nnx.to_pure_dict(nnx.state(optimizer))
        self.param_paths = {p: torch_style_name(p) for p, _ in _walk(self.params)}

    def moments(self) -> Iterator[tuple[Path_, str, Path_, Any]]:
        """``(optimizer state path, field, parameter path, array)`` of every moment."""
        for path, leaf in _walk(self.opt):
            if not _is_array(leaf):
                continue  # a masked-out parameter of another group
            for j in range(len(path) - 1):
                if path[j + 1:] in self.param_paths and isinstance(path[j], str):
                    yield path, path[j], path[j + 1:], leaf
                    break

    def step(self) -> int:
        return int(np.asarray(self.opt["step"]))

    def counts(self) -> Iterator[Path_]:
        return self.scalars(("count", "step"))

    def scalars(self, names: Iterable[str]) -> Iterator[Path_]:
        """The paths of the optimizer state's scalar leaves named one of ``names``."""
        wanted = set(names)
        for path, leaf in _walk(self.opt):
            if _is_array(leaf) and path[-1] in wanted and np.ndim(leaf) == 0:
                yield path

    def write(self) -> None:
        """Writes the (changed) pure dicts back into the model and the optimizer."""
        from flax import nnx

        params = nnx.state(self.model, nnx.Param)
        nnx.replace_by_pure_dict(params, self.params)
        nnx.update(self.model, params)
        opt = nnx.state(self.optimizer)
        nnx.replace_by_pure_dict(opt, self.opt)
        nnx.update(self.optimizer, opt)


def _torch_names(torch_model: Any, optimizer_state: Mapping[str, Any] | None = None,
                 torch_optimizer: Any = None) -> dict[int, str]:
    """torch's optimizer state index -> parameter name: the groups' ``param_names`` where saved,
    else by identity with the live optimizer's tensors, else ``model.parameters()``' order."""
    names = [n for n, _ in torch_model.named_parameters()]
    out: dict[int, str] = {}
    if torch_optimizer is not None:
        by_id = {id(p): n for n, p in torch_model.named_parameters()}
        index = 0
        for g in torch_optimizer.param_groups:
            for p in g["params"]:
                out[index] = by_id[id(p)]
                index += 1
        return out
    assert optimizer_state is not None
    for g in optimizer_state["param_groups"]:
        given = g.get("param_names")
        for j, index in enumerate(g["params"]):
            out[index] = given[j] if given is not None else names[index]
    return out


def _array(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def torch_to_jax(checkpoint: Mapping[str, Any], torch_model: torch.nn.Module, model: Any, optimizer: Any, *,
                 schedule: Any, pair: str | None = None) -> Any:
    """Continues a torch run in JAX: loads a torch checkpoint into a Flax NNX model and its optimizer.

    Args:
        checkpoint: ``{"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict()}`` of the torch run (``torch.load(path, weights_only=True)``).
        torch_model: the torch model of that run (its parameter names; its values are not read,
            the checkpoint's are). The optimizer state's parameter indices are named by the param
            groups' ``param_names`` where saved (``warmup_torch.param_groups``, torch's
            ``named_parameters()`` groups), else taken as ``torch_model.parameters()``' order.
        model: the Flax NNX twin (its parameters are overwritten).
        optimizer: its ``nnx.Optimizer``, built with the matched Optax side and the run's schedule
            (``optax_transform(spec, warmup_jax.from_config(schedule))``); its state is overwritten.
        schedule: the schedule the JAX side runs (a config, or a list for per-group schedules).
        pair: the optimizer pair's name (:data:`warmup_parity.optimizers.PAIRS`) when the checkpoint
            does not name it (a torch optimizer not built by ``torch_optimizer``).

    Returns:
        ``optimizer``, now at the torch run's step: its next update uses ``schedule(k)``,
        ``k = checkpoint["scheduler"]["last_epoch"]``, as the next torch step would.

    Raises:
        ValueError: another schedule (``"torch_to_jax: the saved state is for ..., but this run
            uses ..."``), a parameter or moment that has no counterpart or another shape, a checkpoint
            that does not name its pair (and no ``pair``), or a torch ``step`` that is not the scheduler's.

    Example:
        >>> import torch  # doctest: +SKIP
        >>> torch.save({"model": tmodel.state_dict(), "optimizer": topt.state_dict(),
        ...             "scheduler": tsched.state_dict()}, "ckpt.pt")
        >>> ckpt = torch.load("ckpt.pt", weights_only=True)
        >>> opt = nnx.Optimizer(fmodel, optax_transform(spec, warmup_jax.from_config(cfg)), wrt=nnx.Param)
        >>> torch_to_jax(ckpt, tmodel, fmodel, opt, schedule=cfg)
    """
    scheduler = checkpoint["scheduler"]
    _check_schedule("torch_to_jax", scheduler.get("schedule"), schedule)
    k = int(scheduler["last_epoch"])
    run = _JaxRun(model, optimizer)
    torch_params = {n: _array(checkpoint["model"][n]) for n, _ in torch_model.named_parameters()}
    by_name = {name: path for path, name in run.param_paths.items()}
    if set(by_name) != set(torch_params):
        raise ValueError(f"torch_to_jax: the parameters differ: only in JAX {sorted(set(by_name) - set(torch_params))},"
                         f" only in torch {sorted(set(torch_params) - set(by_name))}")
    params = dict(_walk(run.params))
    for name, path in by_name.items():
        _put(run.params, path, _converted(name, path, torch_params[name], params[path]))
    state = checkpoint["optimizer"]
    names = _torch_names(torch_model, state)
    record = pair_named(pair) if pair is not None else pair_of(state)
    per_name = {names[int(i)]: s for i, s in state["state"].items()}
    for name, s in per_name.items():
        if "step" in s and int(_array(s["step"])) != k:
            raise ValueError(f"torch_to_jax: parameter {name!r} was updated {int(_array(s['step']))} times but the "
                             f"scheduler's last_epoch is {k} (the run must step its scheduler once an update)")
    fields = record.fields
    for opath, field, ppath, leaf in run.moments():
        key = fields.get(field)
        name = run.param_paths[ppath]
        if key is None:
            raise ValueError(f"torch_to_jax: the Optax state field {field!r} ({name}) has no counterpart in torch's "
                             f"{record.torch_class} state (keys {', '.join(fields.values())})")
        if name not in per_name:
            continue  # torch has not updated it yet: the Optax initial state is torch's
        if key not in per_name[name]:
            raise ValueError(f"torch_to_jax: torch's state of {name!r} has no {key!r} for the Optax {field!r}")
        _put(run.opt, opath, _converted(name, ppath, _array(per_name[name][key]), leaf))
    opt_leaves = dict(_walk(run.opt))
    for path in run.counts():
        _put(run.opt, path, np.asarray(k, dtype=np.asarray(opt_leaves[path]).dtype))
    for path in run.scalars(record.scalars):
        values = {float(_array(s[record.scalars[path[-1]]])) for s in per_name.values()}
        if len(values) > 1:
            raise ValueError(f"torch_to_jax: torch's per-parameter {record.scalars[path[-1]]!r} differ ({values}); "
                             "the Optax state holds one")
        if values:
            _put(run.opt, path, np.asarray(values.pop(), dtype=np.asarray(opt_leaves[path]).dtype))
    run.write()
    return optimizer


def _converted(name: str, ppath: Path_, torch_value: np.ndarray, like: Any) -> Any:
    import jax.numpy as jnp

    value = _to_flax_layout(ppath[-1], torch_value)
    if tuple(value.shape) != tuple(like.shape):
        raise ValueError(f"cross-framework resume: {name!r} has shape {tuple(torch_value.shape)} in torch and "
                         f"{tuple(like.shape)} in JAX, which the layout conversion does not match")
    return jnp.asarray(value, dtype=like.dtype)


def jax_to_torch(model: Any, optimizer: Any, torch_model: torch.nn.Module, torch_optimizer: torch.optim.Optimizer,
                 torch_scheduler: Any) -> dict[str, Any]:
    """Continues a JAX run in torch: the torch checkpoint of a Flax NNX model and its optimizer.

    Args:
        model: the Flax NNX model.
        optimizer: its ``nnx.Optimizer`` (a matched pair's Optax side), at step ``k``.
        torch_model: the torch twin (names, order, dtypes; its values are not read).
        torch_optimizer: the torch side's optimizer over ``torch_model`` (its param groups give the
            hyperparameters; its state is not read).
        torch_scheduler: its ``ScheduleLR`` (the schedule, and any scheduled hyperparameters, to resume).

    Returns:
        ``{"model": ..., "optimizer": ..., "scheduler": ...}``: the three ``state_dict()``\\ s the
        torch run would hold after ``k`` updates. Load them with ``torch_model.load_state_dict``,
        ``torch_optimizer.load_state_dict`` and ``scheduler = warmup_torch.resume(torch_optimizer,
        ckpt["scheduler"])`` (which writes the lr, and the scheduled hyperparameters, of update ``k``).

    Raises:
        ValueError: a parameter or moment without a torch counterpart or of another shape, or a
            torch optimizer without an Optax twin (naming it and the supported ones).

    Example:
        >>> ckpt = jax_to_torch(fmodel, opt, tmodel, topt, tsched)  # doctest: +SKIP
        >>> tmodel.load_state_dict(ckpt["model"]); topt.load_state_dict(ckpt["optimizer"])
        >>> tsched = warmup_torch.resume(topt, ckpt["scheduler"])
    """
    import torch

    run = _JaxRun(model, optimizer)
    k = run.step()
    torch_params = dict(torch_model.named_parameters())
    names = set(run.param_paths.values())
    if names != set(torch_params):
        raise ValueError(f"jax_to_torch: the parameters differ: only in JAX {sorted(names - set(torch_params))}, "
                         f"only in torch {sorted(set(torch_params) - names)}")
    leaves = dict(_walk(run.params))

    def tensor(name: str, ppath: Path_, value: Any) -> torch.Tensor:
        target = torch_params[name]
        a = _to_torch_layout(ppath[-1], np.asarray(value))
        if tuple(a.shape) != tuple(target.shape):
            raise ValueError(f"jax_to_torch: {name!r} has shape {tuple(a.shape)} from JAX and "
                             f"{tuple(target.shape)} in torch")
        return torch.as_tensor(np.array(a), dtype=target.dtype)

    model_state = dict(torch_model.state_dict())
    for ppath, name in run.param_paths.items():
        model_state[name] = tensor(name, ppath, leaves[ppath])
    opt_state = torch_optimizer.state_dict()
    index = {name: i for i, name in _torch_names(torch_model, torch_optimizer=torch_optimizer).items()}
    record = pair_of(torch_optimizer)
    fields = record.fields
    if k > 0:
        state: dict[int, dict[str, Any]] = {}
        for _, field, ppath, leaf in run.moments():
            name = run.param_paths[ppath]
            if field not in fields:
                raise ValueError(f"jax_to_torch: the Optax state field {field!r} ({name}) has no counterpart in "
                                 f"torch's {record.torch_class} state")
            if name not in index:
                raise ValueError(f"jax_to_torch: {name!r} has Optax moments but is not in the torch optimizer")
            state.setdefault(index[name], {})[fields[field]] = tensor(name, ppath, leaf)
        scalar = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32  # torch's own
        values = {"step": float(k)} if record.counted else {}
        opt_leaves = dict(_walk(run.opt))
        values.update({record.scalars[p[-1]]: float(np.asarray(opt_leaves[p])) for p in run.scalars(record.scalars)})
        for i in index.values():
            state.setdefault(i, {}).update({key: torch.tensor(v, dtype=scalar) for key, v in values.items()})
        opt_state["state"] = dict(sorted(state.items()))
    lrs = torch_scheduler.lrs_at(k)
    for group, lr in zip(opt_state["param_groups"], lrs):
        group["lr"] = lr
    scheduler_state = {**torch_scheduler.state_dict(), "last_epoch": k, "_step_count": k + 1,
                       "_last_lr": [float(x) for x in lrs]}
    return {"model": model_state, "optimizer": opt_state, "scheduler": scheduler_state}


# --------------------------------------------------------------------------- orbax


def save_jax(directory: str | Path, model: Any, optimizer: Any, *, schedule: Any, overwrite: bool = False) -> Path:
    """Saves an NNX model and optimizer with orbax-checkpoint, the schedule's config beside them.

    The directory holds two orbax items: ``state`` (the parameters and the optimizer state,
    ``nnx.to_pure_dict``, saved with ``StandardSave``) and ``meta`` (JSON: the schedule's config
    and the step).

    Args:
        directory: where to write: a new directory (an existing one is orbax's ``ValueError``
            unless ``overwrite=True``).
        model: the Flax NNX model.
        optimizer: its ``nnx.Optimizer``.
        schedule: the schedule the optimizer runs (a config, or a list for per-group schedules).
        overwrite: replace an existing checkpoint.

    Returns:
        The checkpoint directory (absolute).

    Example:
        >>> save_jax("/tmp/run/step_300", fmodel, opt, schedule=cfg)  # doctest: +SKIP
    """
    import orbax.checkpoint as ocp
    from flax import nnx

    path = Path(directory).absolute()
    pure = nnx.to_pure_dict(nnx.state((model, optimizer)))
    meta = {"schedule": schedule_config(schedule), "step": _JaxRun(model, optimizer).step(), "format": 1}
    json.dumps(meta)  # a schedule over a user function has no config: None, still JSON
    with ocp.Checkpointer(ocp.CompositeCheckpointHandler()) as ckpt:
        ckpt.save(path, ocp.args.Composite(state=ocp.args.StandardSave(pure), meta=ocp.args.JsonSave(meta)),
                  force=overwrite)
    return path


def restore_jax(directory: str | Path, model: Any, optimizer: Any, *, schedule: Any) -> Any:
    """Restores :func:`save_jax`'s checkpoint into an NNX model and optimizer of the same shapes.

    Args:
        directory: the checkpoint directory.
        model: a Flax NNX model of the run's architecture (overwritten).
        optimizer: its ``nnx.Optimizer``, built with the run's Optax transformation (overwritten).
        schedule: the schedule this run uses: it must be the saved one.

    Returns:
        ``optimizer``, at the saved step.

    Raises:
        ValueError: the checkpoint is for another schedule (``"restore_jax: the saved state is for
            ..., but this run uses ..."``), as ``ScheduleLR.load_state_dict`` refuses it in torch.

    Example:
        >>> restore_jax("/tmp/run/step_300", fresh_model, fresh_opt, schedule=cfg)  # doctest: +SKIP
    """
    import orbax.checkpoint as ocp
    from flax import nnx

    path = Path(directory).absolute()
    with ocp.Checkpointer(ocp.CompositeCheckpointHandler()) as ckpt:
        meta = ckpt.restore(path, ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
        _check_schedule("restore_jax", meta["schedule"], schedule)
        target = nnx.state((model, optimizer))
        pure = ckpt.restore(path, ocp.args.Composite(state=ocp.args.StandardRestore(nnx.to_pure_dict(target))))
    nnx.replace_by_pure_dict(target, pure["state"])
    nnx.update((model, optimizer), target)
    return optimizer
