"""Parameter-group rules in optax: a rule list -> one ``optax.multi_transform``.

The rules (``[{"match": GLOB, "lr_mult": x, "weight_decay": y, "schedule": cfg, "frozen": bool}, ...]``,
first match wins, unmatched parameters take the defaults) are parsed, validated and matched
by :mod:`warmup_spec.param_rules` against each leaf's torch-style name
(:func:`~warmup_spec.param_rules.torch_style_name`); the attribute that holds a Flax
``Variable``'s array is not part of the name. Given the Flax NNX model itself (not only its
parameters), the names are its torch twin's: ``model.l1.kernel`` is ``l1.weight``, an
``nnx.Sequential``'s ``layers.2.kernel`` is ``2.weight``, a batch norm's ``mean`` is
``running_mean``; so the same rules give the same groups in ``warmup_torch.param_groups``.
Given a parameter tree (a ``State``, a dict), the module types are unknown: its path is joined
with dots and a last part ``kernel``, ``scale`` or ``embedding`` renamed ``weight``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import optax

from warmup_jax.config import schedule_from_config
from warmup_spec.param_rules import DEFAULT, assign, parse_rules, plan, torch_style_name

__all__ = ["leaf_name", "param_labels", "param_names", "rules_transform"]

Factory = Callable[[Any, Any], optax.GradientTransformation]
"""``(schedule, weight_decay) -> optax transformation``: one group's optimizer."""

FROZEN = "frozen"


def _parts(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """The parts of a ``jax.tree_util`` key path; a last attribute key ``value`` (how a Flax
    ``Variable`` holds its array) is dropped."""
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
    return tuple(parts)


def leaf_name(path: tuple[Any, ...], module_types: Mapping[tuple[Any, ...], str] | None = None) -> str:
    """The torch-style name of a leaf from its ``jax.tree_util`` key path.

    Dict keys, attribute names and sequence indices are the parts; a last attribute key
    ``value`` (how a Flax ``Variable`` holds its array) is dropped.

    Args:
        path: the key path.
        module_types: the type name of the Flax module at each path prefix (see
            :func:`~warmup_spec.param_rules.torch_style_name`).

    Example:
        >>> import jax, numpy as np
        >>> paths = jax.tree_util.tree_flatten_with_path({"l1": {"kernel": np.zeros(2), "bias": np.zeros(1)}})[0]
        >>> [leaf_name(p) for p, _ in paths]
        ['l1.bias', 'l1.weight']
    """
    return torch_style_name(_parts(path), module_types)


def _tree_and_types(params: Any) -> tuple[Any, Mapping[tuple[Any, ...], str] | None]:
    """The parameter tree and the module types: an NNX model gives its ``nnx.Param`` state and
    the type of every submodule; any other tree is itself, without types."""
    if not any(c.__module__.startswith("flax.") for c in type(params).__mro__):  # flax not imported for a dict
        return params, None
    from flax import nnx

    if not isinstance(params, nnx.Module):
        return params, None
    types = {tuple(path): type(module).__name__ for path, module in nnx.iter_modules(params)}
    return nnx.state(params, nnx.Param), types


def param_names(params: Any) -> list[str]:
    """The torch-style name of every leaf of ``params`` (a Flax NNX model: of its ``nnx.Param``\\ s),
    in ``jax.tree_util`` order.

    Example:
        >>> from flax import nnx
        >>> model = nnx.Sequential(nnx.Linear(2, 3, rngs=nnx.Rngs(0)), nnx.relu, nnx.Linear(3, 1, rngs=nnx.Rngs(1)))
        >>> param_names(model)
        ['0.bias', '0.weight', '2.bias', '2.weight']
        >>> param_names(nnx.state(model, nnx.Param))  # a tree without its model: no module types
        ['layers.0.bias', 'layers.0.weight', 'layers.2.bias', 'layers.2.weight']
    """
    tree, types = _tree_and_types(params)
    return [leaf_name(p, types) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]


def _labels_of(label: dict[tuple[Any, ...], str], names: Mapping[tuple[Any, ...], str]) -> Callable[[Any], Any]:
    """The labels function of optax's ``multi_transform``: each leaf's group, by its path."""

    def labels(tree: Any) -> Any:
        def one(path: tuple[Any, ...], _: Any) -> str:
            parts = _parts(path)
            if parts not in label:
                raise ValueError(f"param_rules: parameter {leaf_name(path)!r} is not in the tree the rules were "
                                 f"compiled for ({', '.join(sorted(names.values()))})")
            return label[parts]

        return jax.tree_util.tree_map_with_path(one, tree)

    return labels


def _named(params: Any) -> tuple[Any, dict[tuple[Any, ...], str]]:
    """The parameter tree and each leaf's torch-style name by its path parts."""
    tree, types = _tree_and_types(params)
    return tree, {_parts(p): leaf_name(p, types) for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]}


def param_labels(params: Any, rules: Any) -> Any:
    """The parameter tree with each leaf replaced by its group's label (``"default"``,
    ``"param_rules[k]"`` or ``"frozen"``): optax's ``param_labels``.

    Args:
        params: the Flax NNX model (its parameters named as its torch twin names them) or a
            parameter tree (``nnx.state(model, nnx.Param)``, a dict).
        rules: the rule list.

    Raises:
        ValueError: an invalid rule, or a rule that matches no leaf (naming the rule).
    """
    parsed = parse_rules(rules)
    tree, names = _named(params)
    taken = assign(list(names.values()), parsed)
    label = {p: DEFAULT if k is None else (FROZEN if parsed[k].frozen else f"param_rules[{k}]")
             for p, k in zip(names, taken)}
    return _labels_of(label, names)(tree)


def _schedule_of(spec: Any) -> Any:
    """The group's Optax schedule; it carries its spec as ``.spec`` (what a pair reads to tell
    whether the schedule also drives the momentum)."""
    return schedule_from_config(spec)


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
        params: the Flax NNX model whose parameters the transformation will update (its leaves
            named as its torch twin names them), or their tree (``nnx.state(model, nnx.Param)``),
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
    _, names = _named(params)
    groups = plan(list(names.values()), rules, schedule=schedule, weight_decay=weight_decay)
    transforms: dict[str, optax.GradientTransformation] = {}
    for g in groups:
        if g.frozen:
            transforms[FROZEN] = optax.set_to_zero()
        else:
            assert g.schedule is not None  # only a frozen group has none
            transforms[g.label] = optimizer(_schedule_of(g.schedule), g.weight_decay)
    by_name = {n: (FROZEN if g.frozen else g.label) for g in groups for n in g.names}
    return optax.multi_transform(transforms, _labels_of({p: by_name[n] for p, n in names.items()}, names))
