"""Parameter-group rules: one rule list, compiled to torch param groups and to an optax transformation.

A rule list is ``[{"match": GLOB, "lr_mult": x, "weight_decay": y, "schedule": cfg, "frozen": bool}, ...]``
(every key but ``match`` optional). Each parameter takes the FIRST rule whose ``match`` glob
matches its dotted torch-style name; a parameter no rule matches takes the defaults (the run's
schedule and weight decay, ``lr_mult`` 1). This module is the framework-free half: parsing,
validation, names and matching. ``warmup_torch.param_groups`` and ``warmup_jax.param_rules``
compile the same :class:`Group` list for their framework, so a parameter lands in the same group
with the same lr, decay and schedule in both.

Keys of a rule:

- ``match``: a glob over the parameter's name (:func:`fnmatch.fnmatchcase`: ``*`` matches any
  run of characters, dots included, ``?`` one character, ``[seq]`` a set; case-sensitive):
  ``"*.bias"``, ``"embed.*"``, ``"layers.[0-3].*"``;
- ``lr_mult``: the group's lr is ``lr_mult * schedule(k)`` (``>= 0``, default 1);
- ``weight_decay``: the group's weight decay (``>= 0``; default: the optimizer's);
- ``schedule``: the group's own schedule: a full config (``{"schedule": NAME, ...}``) or the
  keys to change in the run's schedule (``{"warmup_steps": 2000}``: the run's schedule with a
  longer warmup);
- ``frozen``: ``True`` leaves the parameters untouched (no update, no decay); it takes no other key.

Names (:func:`torch_style_name`): torch's ``named_parameters()`` names as they are; a Flax NNX
path joined with dots as torch would name it: the ``layers`` level of an ``nnx.Sequential`` dropped
(torch's ``nn.Sequential`` has none: Flax ``seq.layers.2.kernel`` is torch ``seq.2.weight``) and the
last part renamed as torch's layer names it (``kernel`` -> ``weight``, ``scale`` -> ``weight``,
``embedding`` -> ``weight``, a batch norm's ``mean``/``var`` -> ``running_mean``/``running_var``).
Which module is an ``nnx.Sequential`` and which layer owns a parameter are read from the module
types the caller passes (``warmup_jax.param_labels`` reads them from the model); without them
only the last part is renamed (``kernel``, ``scale``, ``embedding`` -> ``weight``).

A rule that matches no parameter, or only parameters that earlier rules take, changes nothing:
it is a ``ValueError`` naming the rule (a typo must not silently train something else).

Example:
    >>> rules = [{"match": "*.bias", "weight_decay": 0.0}, {"match": "head.*", "lr_mult": 10.0}]
    >>> cfg = {"schedule": "warmup_constant", "peak_value": 1e-3, "warmup_steps": 10}
    >>> groups = plan(["body.weight", "body.bias", "head.weight", "head.bias"], rules, schedule=cfg,
    ...               weight_decay=0.1)
    >>> for g in groups:
    ...     print(g.label, g.names, g.weight_decay)
    default ('body.weight',) 0.1
    param_rules[0] ('body.bias', 'head.bias') 0.0
    param_rules[1] ('head.weight',) 0.1
    >>> groups[2].lr(10)  # 10 * the run's schedule
    0.01
"""

from __future__ import annotations

import fnmatch
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmup_spec import _checks as c
from warmup_spec.catalogue import Scaled
from warmup_spec.definition import ScheduleSpec
from warmup_spec.registry import spec_of, spec_to_config
from warmup_spec.schedule import Schedule

__all__ = ["DEFAULT", "KEYS", "LEAF_NAMES", "TORCH_LEAF_NAMES", "Group", "ParamRule", "assign", "parse_rules", "plan",
           "torch_style_name", "torch_style_parts"]

KEYS = ("match", "lr_mult", "weight_decay", "schedule", "frozen")
"""The keys of a rule, ``match`` required."""

LEAF_NAMES = {"kernel": "weight", "scale": "weight", "embedding": "weight"}
"""A Flax parameter's last path part -> torch's name for it, when the owning layer's type is unknown."""

_KERNEL = {"kernel": "weight"}
_NORM = {"scale": "weight"}
TORCH_LEAF_NAMES: dict[str, dict[str, str]] = {
    "Linear": _KERNEL, "LinearGeneral": _KERNEL, "Conv": _KERNEL, "ConvTranspose": _KERNEL,
    "LayerNorm": _NORM, "RMSNorm": _NORM, "GroupNorm": _NORM,
    "BatchNorm": {"scale": "weight", "mean": "running_mean", "var": "running_var"},
    "Embed": {"embedding": "weight"},
}
"""Flax layer type name -> its variables' torch names (the parts not listed keep their name)."""

SEQUENTIAL = "Sequential"
"""The Flax container whose ``layers`` level torch's ``nn.Sequential`` does not have."""

DEFAULT = "default"
"""The label of the group of the parameters no rule matches."""

_SHOWN = 12
"""How many parameter names an error message lists."""


def torch_style_parts(path: Sequence[Any], module_types: Mapping[tuple[Any, ...], str] | None = None,
                      ) -> tuple[str | None, ...]:
    """Each part of a Flax module or variable path as torch names it, ``None`` where torch has
    no such level (the ``layers`` of an ``nnx.Sequential``); no part is renamed.

    Args:
        path: the path's parts (strings and sequence indices).
        module_types: the type name of the module at each path prefix (``{(): "Sequential"}``).

    Example:
        >>> torch_style_parts(("layers", 2, "kernel"), {(): "Sequential", ("layers", 2): "Linear"})
        (None, '2', 'kernel')
    """
    types = module_types or {}
    path = tuple(path)
    return tuple(None if part == "layers" and types.get(path[:i]) == SEQUENTIAL else str(part)
                 for i, part in enumerate(path))


def torch_style_name(path: Sequence[Any], module_types: Mapping[tuple[Any, ...], str] | None = None) -> str:
    """The dotted torch-style name of a parameter path (a Flax NNX path, or a name's parts).

    The parts are joined with dots (ints as digits, an ``nnx.Sequential``'s ``layers`` dropped:
    :func:`torch_style_parts`) and the last one is renamed as torch's twin of the owning layer
    names it (:data:`TORCH_LEAF_NAMES`; a layer of another type keeps its names); without
    ``module_types`` by :data:`LEAF_NAMES`.

    Args:
        path: the parameter's path.
        module_types: the type name of the module at each path prefix, e.g. from
            ``{path: type(m).__name__ for path, m in nnx.iter_modules(model)}``.

    Example:
        >>> torch_style_name(("encoder", "layers", 0, "kernel")), torch_style_name(("norm", "scale"))
        ('encoder.layers.0.weight', 'norm.weight')
        >>> torch_style_name(("layers", 2, "kernel"), {(): "Sequential", ("layers", 2): "Linear"})
        '2.weight'
    """
    path = tuple(path)
    parts = torch_style_parts(path, module_types)
    names = [p for p in parts if p is not None]
    if names and parts[-1] is not None:
        renames = LEAF_NAMES if module_types is None else TORCH_LEAF_NAMES.get(module_types.get(path[:-1], ""), {})
        names[-1] = renames.get(names[-1], names[-1])
    return ".".join(names)


@dataclass(frozen=True)
class ParamRule:
    """One validated rule (see the module docstring); ``schedule`` is the rule's own config
    as given (a full config or the keys to change), ``None`` for the run's."""

    match: str
    lr_mult: float = 1.0
    weight_decay: float | None = None
    schedule: Any = None
    frozen: bool = False


def _parse_one(k: int, rule: Any) -> ParamRule:
    who = f"param_rules[{k}]"
    if isinstance(rule, ParamRule):
        return rule
    if not isinstance(rule, Mapping):
        raise c.fail("param_rules", f"[{k}]", rule, 'a mapping {"match": GLOB, ...}')
    unknown = sorted(set(rule) - set(KEYS))
    if unknown:
        raise ValueError(f"{who}: unknown key {unknown[0]!r}; valid keys: {', '.join(KEYS)}")
    if "match" not in rule:
        raise ValueError(f"{who}: missing key 'match'; a rule is {{\"match\": GLOB, ...}}")
    match = rule["match"]
    if not isinstance(match, str) or not match:
        raise c.fail(who, "match", match, "a non-empty glob over dotted parameter names")
    lr_mult = c.number(who, "lr_mult", rule.get("lr_mult", 1.0), 0.0)
    wd = rule.get("weight_decay")
    weight_decay = None if wd is None else c.number(who, "weight_decay", wd, 0.0)
    frozen = c.flag(who, "frozen", rule.get("frozen", False))
    schedule = rule.get("schedule")
    if schedule is not None and not isinstance(schedule, (Mapping, ScheduleSpec, Schedule)):
        raise c.fail(who, "schedule", schedule, "a schedule config, or a mapping of the keys to change in the run's")
    if frozen:
        others = [key for key in KEYS if key not in ("match", "frozen") and key in rule]
        if others:
            expected = "no such key with frozen=True (a frozen group is not updated)"
            raise c.fail(who, others[0], rule[others[0]], expected)
    return ParamRule(match, lr_mult, weight_decay, schedule, frozen)


def parse_rules(rules: Any) -> tuple[ParamRule, ...]:
    """Validates a rule list (``None`` or ``[]``: no rules).

    Raises:
        ValueError: not a list, a rule that is not a mapping, an unknown or missing key, a bad
            value (``"param_rules[1]: lr_mult=-1 is invalid; expected a finite number >= 0.0"``),
            or ``frozen=True`` with another key.
    """
    if rules is None:
        return ()
    if isinstance(rules, (str, bytes, Mapping)) or not isinstance(rules, Sequence):
        raise c.fail("param_rules", "rules", rules, 'a list of rules [{"match": GLOB, ...}, ...]')
    return tuple(_parse_one(k, r) for k, r in enumerate(rules))


def _names_text(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _SHOWN else "")


def assign(names: Sequence[str], rules: Sequence[ParamRule]) -> list[int | None]:
    """The index of the rule each name takes (first match wins), ``None`` for the defaults.

    Raises:
        ValueError: a rule that matches no name, or only names earlier rules take.
    """
    taken: list[int | None] = []
    for name in names:
        taken.append(next((k for k, r in enumerate(rules) if fnmatch.fnmatchcase(name, r.match)), None))
    for k, rule in enumerate(rules):
        if k in taken:
            continue
        matched = [n for n in names if fnmatch.fnmatchcase(n, rule.match)]
        if not matched:
            expected = "a glob matching at least one parameter name; the names are: " + _names_text(list(names))
        else:
            by = sorted({f"param_rules[{taken[names.index(n)]}]" for n in matched})
            expected = (f"a glob matching a parameter no earlier rule takes; {', '.join(by)} already take "
                        + _names_text(matched))
        raise c.fail(f"param_rules[{k}]", "match", rule.match, expected)
    return taken


@dataclass(frozen=True)
class Group:
    """One parameter group of a compiled rule list.

    Attributes:
        label: ``"default"`` (the parameters no rule matches) or ``"param_rules[k]"``.
        rule: the rule's index, ``None`` for the defaults.
        names: the parameters' names, in the order given.
        schedule: the group's schedule, ``lr_mult`` applied (a ``scale`` of it when not 1);
            ``None`` for a frozen group.
        weight_decay: the group's weight decay (``None``: neither the rule nor the defaults set one).
        frozen: whether the group is left untouched.
    """

    label: str
    rule: int | None
    names: tuple[str, ...]
    schedule: ScheduleSpec | None
    weight_decay: float | None
    frozen: bool

    def lr(self, step: int) -> float:
        """The group's lr at ``step`` (0.0 when frozen), float64."""
        return 0.0 if self.schedule is None else Schedule(self.schedule)(step)

    def config(self) -> Any:
        """The group's schedule as a config mapping (the spec itself when a base is a user
        function, which has no config)."""
        if self.schedule is None:
            return None
        try:
            return spec_to_config(self.schedule)
        except ValueError:
            return self.schedule


def _group_schedule(k: int, rule: ParamRule, default: ScheduleSpec) -> ScheduleSpec:
    who = f"param_rules[{k}]"
    given = rule.schedule
    if given is None:
        spec = default
    elif isinstance(given, Mapping) and "schedule" not in given:  # the keys to change in the run's schedule
        try:
            base = spec_to_config(default)
        except ValueError:
            raise c.fail(who, "schedule", dict(given), "a full config (the run's schedule has no config to change)")\
                from None
        spec = spec_of({**base, **given})
    else:
        spec = spec_of(given)
    return spec if rule.lr_mult == 1.0 else Scaled(spec, rule.lr_mult)


def plan(names: Sequence[str], rules: Any, *, schedule: Any, weight_decay: float | None = None) -> list[Group]:
    """Compiles a rule list over the parameter ``names``: the groups, the defaults' first (when
    some parameter takes them), then one per rule in rule order.

    Args:
        names: every parameter's dotted torch-style name (:func:`torch_style_name`), in order.
        rules: the rule list (see the module docstring).
        schedule: the run's schedule (a config, a spec or a ``Schedule``), for the defaults and
            the rules without their own.
        weight_decay: the optimizer's weight decay, for the defaults and the rules without their own.

    Raises:
        ValueError: an invalid rule or schedule, or a rule that changes nothing (see :func:`assign`).
    """
    parsed = parse_rules(rules)
    names = [str(n) for n in names]
    if weight_decay is not None and not (isinstance(weight_decay, numbers.Real) and math.isfinite(weight_decay)
                                         and weight_decay >= 0 and not isinstance(weight_decay, bool)):
        raise c.fail("param_rules", "weight_decay", weight_decay, "a finite number >= 0.0 or None")
    default = spec_of(schedule)
    taken = assign(names, parsed)
    groups: list[Group] = []
    rest = tuple(n for n, k in zip(names, taken) if k is None)
    if rest:
        groups.append(Group(DEFAULT, None, rest, default, weight_decay, False))
    for k, rule in enumerate(parsed):
        members = tuple(n for n, j in zip(names, taken) if j == k)
        wd = rule.weight_decay if rule.weight_decay is not None else weight_decay
        if rule.frozen:
            groups.append(Group(f"param_rules[{k}]", k, members, None, None, True))
        else:
            groups.append(Group(f"param_rules[{k}]", k, members, _group_schedule(k, rule, default), wd, False))
    return groups
