"""Both sides of a parameter-group rule list under one matched optimizer pair.

:func:`rule_pair` compiles a rule list (:mod:`warmup_spec.param_rules`) for a Flax NNX model
and its torch twin: the Optax transformation (``warmup_jax.rules_transform`` over the pair's
Optax side) and the torch optimizer with its param groups (``warmup_torch.param_groups``) and
one ``ScheduleLR`` driving every group with its own schedule. Each group's optimizer is the
pair with the group's weight decay, so ``{"match": "*.bias", "weight_decay": 0.0}`` is
AdamW's decoupled decay switched off for the biases in both frameworks, and a frozen group is
``optax.set_to_zero()`` on one side and absent from the optimizer on the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warmup_parity.optimizers import OptimizerSpec, SpecLike, optax_transform, optimizer_from_config, torch_optimizer
from warmup_spec import _checks as c
from warmup_spec.param_rules import parse_rules

if TYPE_CHECKING:
    import optax
    import torch

__all__ = ["RulePair", "rule_pair"]


@dataclass(frozen=True)
class RulePair:
    """What :func:`rule_pair` builds.

    Attributes:
        transform: the Optax transformation (for ``nnx.Optimizer(model, pair.transform, wrt=nnx.Param)``).
        optimizer: the torch optimizer over the rule groups (frozen parameters left out).
        scheduler: the ``ScheduleLR`` that sets every group's lr; call ``scheduler.step()`` after
            each ``optimizer.step()``.
        groups: the torch param groups' names, in the optimizer's group order.
        lr_schedule: the Optax schedule of the torch optimizer's group 0, the lr a run logs.
    """

    transform: optax.GradientTransformation
    optimizer: torch.optim.Optimizer
    scheduler: Any
    groups: tuple[tuple[str, ...], ...]
    lr_schedule: Callable[[Any], Any]


def _with_decay(spec: OptimizerSpec, weight_decay: float | None) -> OptimizerSpec:
    if weight_decay is None or weight_decay == spec.params.get("weight_decay"):
        return spec
    return OptimizerSpec(spec.name, {**spec.params, "weight_decay": weight_decay}, approximate=spec.approximate)


def _default_decay(spec: OptimizerSpec, rules: Any) -> float | None:
    """The pair's weight decay, the rules' default: ``None`` when the pair has none or schedules
    it (a rule's own ``weight_decay`` is then refused)."""
    wd = spec.params.get("weight_decay")
    if isinstance(wd, (int, float)):
        return float(wd)
    for k, rule in enumerate(parse_rules(rules)):
        if rule.weight_decay is not None:
            why = (f"the optimizer pair {spec.name!r} has none (adamw, adam_l2 and sgd_l2 have one)" if wd is None
                   else "the optimizer pair schedules its weight decay")
            raise c.fail(f"param_rules[{k}]", "weight_decay", rule.weight_decay, f"no weight_decay: {why}")
    return None


def rule_pair(
    spec: SpecLike,
    schedule: Mapping[str, Any] | Any,
    rules: Any,
    flax_params: Any,
    torch_model: torch.nn.Module,
    *,
    dtype: Any = None,
    wrap: Callable[[Any], Any] | None = None,
) -> RulePair:
    """Builds both sides of a rule list for a model pair whose parameters have the same
    torch-style names (Flax ``l1.kernel`` is torch ``l1.weight``; see ``warmup_jax.param_rules``).

    Args:
        spec: the optimizer pair (:func:`~warmup_parity.optimizers.optimizer_from_config`'s input).
            Its weight decay is the default; a rule's ``weight_decay`` needs a pair that has one.
        schedule: the run's schedule config.
        rules: the rule list.
        flax_params: the Flax NNX model (its parameters named as its torch twin's, an
            ``nnx.Sequential``'s included) or its parameters (``nnx.state(model, nnx.Param)``).
        torch_model: the torch twin.
        dtype: passed to :func:`~warmup_parity.optimizers.optax_transform`.
        wrap: applied to every group's Optax schedule (e.g. a per-epoch clock ``count -> f(count // n)``).

    Returns:
        The :class:`RulePair`.

    Raises:
        ValueError: an invalid rule, a rule that matches no parameter, a ``weight_decay`` for a pair
            without one, or rules that group the two models differently.
    """
    import warmup_jax
    import warmup_torch

    ospec = spec if isinstance(spec, OptimizerSpec) else optimizer_from_config(spec)
    wd_default = _default_decay(ospec, rules)
    outer = wrap if wrap is not None else (lambda s: s)

    def group_optimizer(group_schedule: Any, weight_decay: float | None) -> optax.GradientTransformation:
        return optax_transform(_with_decay(ospec, weight_decay), outer(group_schedule), dtype=dtype)

    tx = warmup_jax.rules_transform(flax_params, rules, group_optimizer, schedule=schedule, weight_decay=wd_default)
    groups = warmup_torch.param_groups(torch_model, rules, schedule=schedule, weight_decay=wd_default)
    jax_names = _jax_groups(flax_params, rules)
    torch_names = [set(g["param_names"]) for g in groups]
    if sorted(map(sorted, jax_names)) != sorted(map(sorted, torch_names)):
        raise ValueError("param_rules: the rules group the two models differently: "
                         f"JAX {sorted(map(sorted, jax_names))}, torch {sorted(map(sorted, torch_names))}")
    optimizer, scheduler = torch_optimizer(ospec, groups, [g["schedule"] for g in groups])
    return RulePair(tx, optimizer, scheduler, tuple(tuple(g["param_names"]) for g in groups),
                    outer(warmup_jax.schedule_from_config(groups[0]["schedule"])))


def _jax_groups(flax_params: Any, rules: Any) -> list[set[str]]:
    """The names of each non-frozen group on the JAX side."""
    import jax

    from warmup_jax.param_rules import FROZEN, param_labels, param_names

    labels = [str(x) for x in jax.tree_util.tree_leaves(param_labels(flax_params, rules))]
    by: dict[str, set[str]] = {}
    for name, label in zip(param_names(flax_params), labels):
        if label != FROZEN:
            by.setdefault(label, set()).add(name)
    return list(by.values())
