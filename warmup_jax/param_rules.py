"""Parameter-group rules in optax: a rule list -> one ``optax.multi_transform``.

The rules (``[{"match": GLOB, "lr_mult": x, "weight_decay": y, "schedule": cfg, "frozen": bool}, ...]``,
first match wins, unmatched parameters take the defaults) are parsed, validated and matched
by :mod:`warmup_spec.param_rules` against each leaf's torch-style name: its tree path joined
with dots, a last part ``kernel``, ``scale`` or ``embedding`` renamed ``weight``
(:func:`~warmup_spec.param_rules.torch_style_name`); the attribute that holds a Flax
``Variable``'s array is not part of the name. The Flax NNX parameter ``model.l1.kernel`` is
``l1.weight``, as in the torch twin, so the same rules give the same groups in
``warmup_torch.param_groups``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import optax

from warmup_jax.config import schedule_from_config
from warmup_spec.param_rules import DEFAULT, Group, assign, parse_rules, plan, torch_style_name

__all__ = ["leaf_name", "param_labels", "param_names", "rules_transform"]

Factory = Callable[[Any, Any], optax.GradientTransformation]
"""``(schedule, weight_decay) -> optax transformation``: one group's optimizer."""

FROZEN = "frozen"


def leaf_name(path: tuple[Any, ...]) -> str:
    """The torch-style name of a leaf from its ``jax.tree_util`` key path.

    Dict keys, attribute names and sequence indices are the parts; a last attribute key
    ``value`` (how a Flax ``Variable`` holds its array) is dropped.

    Example:
        >>> import jax, numpy as np
        >>> paths = jax.tree_util.tree_flatten_with_path({"l1": {"kernel": np.zeros(2), "bias": np.zeros(1)}})[0]
        >>> [leaf_name(p) for p, _ in paths]
        ['l1.bias', 'l1.weight']
    """
    parts: list[Any] = []
    for key in path:
        if isinstance(key, jax.tree_util.DictKey):
            parts.append(key.key)
        elif isinstance(key, jax.tree_util.GetAttrKey):
            parts.append(key.name)
        elif isinstance(key, jax.tree_util.SequenceKey):
            parts.append(key.idx)
        elif isinstance(key, jax.tree_util.FlattenedIndexKey):
            parts.append(key.key)
        else:
            parts.append(str(key))
    if len(path) > 1 and isinstance(path[-1], jax.tree_util.GetAttrKey) and path[-1].name == "value":
        parts.pop()
    return torch_style_name(parts)


def param_names(params: Any) -> list[str]:
    """The torch-style name of every leaf of ``params``, in ``jax.tree_util`` order."""
    return [leaf_name(p) for p, _ in jax.tree_util.tree_flatten_with_path(params)[0]]


def _labels_of(label: dict[str, str]) -> Callable[[Any], Any]:
    """The labels function of optax's ``multi_transform``: each leaf's group, by its name."""

    def labels(tree: Any) -> Any:
        def one(path: tuple[Any, ...], _: Any) -> str:
            name = leaf_name(path)
            if name not in label:
                raise ValueError(f"param_rules: parameter {name!r} is not in the tree the rules were compiled "
                                 f"for ({', '.join(sorted(label))})")
            return label[name]

        return jax.tree_util.tree_map_with_path(one, tree)

    return labels


def param_labels(params: Any, rules: Any) -> Any:
    """``params`` with each leaf replaced by its group's label (``"default"``,
    ``"param_rules[k]"`` or ``"frozen"``): optax's ``param_labels``.

    Raises:
        ValueError: an invalid rule, or a rule that matches no leaf (naming the rule).
    """
    parsed = parse_rules(rules)
    names = param_names(params)
    taken = assign(names, parsed)
    label = {n: DEFAULT if k is None else (FROZEN if parsed[k].frozen else f"param_rules[{k}]")
             for n, k in zip(names, taken)}
    return _labels_of(label)(params)


def _schedule_of(spec: Any) -> Any:
    """The group's Optax schedule; it carries its spec as ``.spec`` (what a pair reads to tell
    whether the schedule also drives the momentum)."""
    return schedule_from_config(spec)


def _group_labels(groups: list[Group]) -> dict[str, str]:
    return {n: (FROZEN if g.frozen else g.label) for g in groups for n in g.names}


def rules_transform(
    params: Any,
    rules: Any,
    optimizer: Factory,
    *,
    schedule: Any,
    weight_decay: float | None = None,
) -> optax.GradientTransformation:
    """The optax transformation of a rule list: ``optax.multi_transform`` with one optimizer
    per group, each under its own schedule, and ``optax.set_to_zero()`` for the frozen ones.

    Args:
        params: the parameters the transformation will update (e.g. ``nnx.state(model, nnx.Param)``),
            to name and match the leaves now: a rule that matches nothing fails here, not at ``init``.
        rules: the rule list (:mod:`warmup_spec.param_rules`).
        optimizer: ``(schedule, weight_decay) -> transformation``: one group's optimizer, given its
            optax schedule (``lr_mult`` applied; its spec is its ``.spec``) and its weight decay
            (``None`` when neither the rule nor ``weight_decay`` sets one); e.g.
            ``lambda lr, wd: optax.adamw(lr, weight_decay=wd)``.
        schedule: the run's schedule (a config, a spec), for the leaves no rule matches and the
            rules without their own.
        weight_decay: the default weight decay.

    Returns:
        The transformation (its labels are computed from the tree it is given, which must have
        the leaves of ``params``).

    Raises:
        ValueError: an invalid rule, or a rule that matches no leaf (naming the rule).

    Example:
        >>> import jax, jax.numpy as jnp, optax
        >>> params = {"body": {"kernel": jnp.ones(2), "bias": jnp.ones(2)}, "head": {"kernel": jnp.ones(2)}}
        >>> rules = [{"match": "*.bias", "weight_decay": 0.0}, {"match": "head.*", "frozen": True}]
        >>> cfg = {"schedule": "warmup_constant", "peak_value": 0.5, "warmup_steps": 0}
        >>> tx = rules_transform(params, rules, lambda lr, wd: optax.adamw(lr, weight_decay=wd),
        ...                      schedule=cfg, weight_decay=0.1)
        >>> updates, _ = tx.update(jax.tree.map(jnp.ones_like, params), tx.init(params), params)
        >>> [[round(float(x), 4) for x in v] for v in (updates["body"]["kernel"], updates["body"]["bias"])]
        [[-0.55, -0.55], [-0.5, -0.5]]
        >>> updates["head"]["kernel"].tolist()
        [0.0, 0.0]
    """
    groups = plan(param_names(params), rules, schedule=schedule, weight_decay=weight_decay)
    transforms: dict[str, optax.GradientTransformation] = {}
    for g in groups:
        if g.frozen:
            transforms[FROZEN] = optax.set_to_zero()
        else:
            assert g.schedule is not None  # only a frozen group has none
            transforms[g.label] = optimizer(_schedule_of(g.schedule), g.weight_decay)
    return optax.multi_transform(transforms, _labels_of(_group_labels(groups)))
