"""LLM trainers' own schedule configs, read as ours and written back as theirs.

- torchtitan: the job config's ``[lr_scheduler]`` section (``warmup_steps``, ``total_steps``,
  ``decay_ratio``, ``decay_type``, ``min_lr_factor``; ``LRSchedulersContainer.Config`` in
  ``torchtitan/components/optimizer/lr_scheduler.py``, pytorch/torchtitan commit
  26291926f92b594c8d1415f059f749b6f686ae65), with ``[optimizer] lr`` (the lr it scales) and
  ``[training] steps`` (its length when ``total_steps`` is unset; default 10000,
  ``torchtitan/config/training.py``);
- MaxText: the keys of ``src/maxtext/configs/base.yml`` (``learning_rate``,
  ``lr_schedule_type``, ``learning_rate_final_fraction`` (``cosine_learning_rate_final_fraction``
  in older MaxText), ``warmup_steps_fraction``, ``learning_rate_schedule_steps``, ``steps``,
  ``wsd_decay_steps_fraction``, ``wsd_decay_style``), AI-Hypercomputer/maxtext commit
  e591f30cbbf217ed67ef71263ec0538239f9c3b8; every other key of a MaxText config is ignored;
- torchtune: the recipe's ``lr_scheduler`` component (``_component_`` and its keyword
  arguments; the recipe adds ``num_training_steps`` and ``last_epoch``):
  ``torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup`` (pytorch/torchtune
  commit 2463c5f0134c9596f4049406fb9a754fa9030f2e; ``torchtune.modules.get_cosine_schedule_with_warmup``
  before 0.3), whose lr factor is HF's ``get_cosine_schedule_with_warmup``'s, and our own
  component, :func:`warmup_torch.torchtune_component.lr_scheduler`, for any schedule.

Reading gives the config of our port of the trainer's schedule (which takes the trainer's
own names: ``docs/llm.md``). Writing gives the trainer's config for a port of it, or for any
other schedule the trainer can express: a candidate is checked to give the same lr at every
update of the run (the float64 host schedules, 1e-12 relative), else ``ValueError`` says
what the trainer cannot express. Pure Python: nothing is imported from the trainers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from warmup_spec import _checks as c
from warmup_spec.definition import ScheduleSpec
from warmup_spec.registry import spec_from_config, spec_of, spec_to_config

TITAN = "torchtitan.linear_warmup_stable_decay"
TITAN_KEYS = ("warmup_steps", "total_steps", "decay_ratio", "decay_type", "min_lr_factor")
TITAN_STEPS = 10_000
"""torchtitan's ``[training] steps`` default."""
MAXTEXT = "maxtext.create_learning_rate_schedule"
MAXTEXT_KEYS = ("learning_rate", "lr_schedule_type", "learning_rate_final_fraction", "warmup_steps_fraction",
                "learning_rate_schedule_steps", "steps", "wsd_decay_steps_fraction", "wsd_decay_style")
MAXTEXT_RENAMED = {"cosine_learning_rate_final_fraction": "learning_rate_final_fraction"}
TORCHTUNE_COSINE = ("torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
                    "torchtune.training.get_cosine_schedule_with_warmup",
                    "torchtune.modules.get_cosine_schedule_with_warmup")
"""torchtune's names of its one schedule (the first is its home, the others its re-exports and old name)."""
HF_COSINE = "transformers.get_cosine_schedule_with_warmup"
OUR_COMPONENT = "warmup_torch.torchtune_component.lr_scheduler"
TOL = 1e-12


def _same_run(a: ScheduleSpec, b: ScheduleSpec, updates: int) -> bool:
    """Whether ``a`` and ``b`` give the same lr (float64, 1e-12 relative) at updates ``0 .. updates - 1``."""
    from warmup_spec.schedule import Schedule

    fa, fb = Schedule(a), Schedule(b)
    return all(math.isclose(fa(k), fb(k), rel_tol=TOL, abs_tol=0.0) for k in range(updates))


def _cannot(trainer: str, spec: ScheduleSpec, why: str) -> ValueError:
    return ValueError(f"{trainer} cannot express {spec.name}: {why}")


def _expressed(trainer: str, spec: ScheduleSpec, candidate: dict[str, Any] | None, updates: int,
               why: str) -> ScheduleSpec:
    """The trainer's spec for ``spec``: ``candidate`` when it builds and runs the same lrs, else ``ValueError``."""
    if candidate is not None:
        try:
            theirs = spec_from_config(candidate)
        except ValueError:
            theirs = None
        if theirs is not None and _same_run(spec, theirs, updates):
            return theirs
    raise _cannot(trainer, spec, why)


# --- torchtitan ----------------------------------------------------------------------------


def from_torchtitan(job: Mapping[str, Any]) -> dict[str, Any]:
    """Our config of a torchtitan job config's schedule.

    Args:
        job: the job config's sections (a parsed TOML): ``[lr_scheduler]`` (torchtitan's
            defaults where a key is absent), ``[optimizer] lr`` (required: the lr it scales)
            and ``[training] steps``.

    Returns:
        ``{"schedule": "torchtitan.linear_warmup_stable_decay", ...}``.

    Example:
        >>> job = {"optimizer": {"lr": 8e-4}, "training": {"steps": 1000},
        ...        "lr_scheduler": {"warmup_steps": 100, "decay_ratio": 0.2}}
        >>> from_torchtitan(job)  # doctest: +NORMALIZE_WHITESPACE
        {'schedule': 'torchtitan.linear_warmup_stable_decay', 'lr': 0.0008, 'total_steps': 1000,
         'warmup_steps': 100, 'decay_ratio': 0.2}
    """
    section = dict(job.get("lr_scheduler") or {})
    unknown = sorted(set(section) - set(TITAN_KEYS))
    if unknown:
        raise ValueError(f"torchtitan [lr_scheduler]: unknown key {unknown[0]!r}; valid keys: " + ", ".join(TITAN_KEYS))
    optimizer = job.get("optimizer") or {}
    if "lr" not in optimizer:
        raise ValueError("torchtitan config: [optimizer] lr is missing; expected the lr the schedule scales")
    total = section.pop("total_steps", None)
    if total is None:
        total = (job.get("training") or {}).get("steps", TITAN_STEPS)
    cfg = {"schedule": TITAN, "lr": optimizer["lr"], "total_steps": total, **section}
    spec_from_config(cfg)
    return cfg


def to_torchtitan(cfg: Any) -> dict[str, Any]:
    """A torchtitan job config (``optimizer``, ``training`` and ``lr_scheduler`` sections) for a schedule.

    Args:
        cfg: our port of torchtitan's schedule, or a ``warmup_stable_decay`` (or
            ``warmup_linear_decay``) that torchtitan runs identically: its warmup reaches the
            peak one update early from ``peak / W`` (``init_value = peak / (warmup_steps + 1)``
            here), linear.

    Returns:
        ``{"optimizer": {"lr": ...}, "training": {"steps": ...}, "lr_scheduler": {...}}``, the
        ``[lr_scheduler]`` keys that differ from torchtitan's defaults.

    Raises:
        ValueError: a schedule torchtitan cannot express, saying why.

    Example:
        >>> to_torchtitan({"schedule": "torchtitan.linear_warmup_stable_decay", "lr": 1e-3,
        ...                "total_steps": 500, "decay_type": "cosine"})
        {'optimizer': {'lr': 0.001}, 'training': {'steps': 500}, 'lr_scheduler': {'decay_type': 'cosine'}}
    """
    spec = spec_of(cfg)
    if spec.name != TITAN:
        spec = _expressed("torchtitan", spec, _titan_candidate(spec), _length(spec),
                          "its schedule is a linear warmup from lr / W reaching lr at update W - 1, a stable lr, "
                          "then a linear, sqrt or cosine decay to min_lr_factor * lr at update total_steps")
    params = spec_to_config(spec)
    defaults = spec_to_config(spec_from_config({"schedule": TITAN, "lr": 1.0, "total_steps": 1}))
    section = {k: params[k] for k in TITAN_KEYS if k != "total_steps" and params[k] != defaults[k]}
    return {"optimizer": {"lr": params["lr"]}, "training": {"steps": params["total_steps"]}, "lr_scheduler": section}


def _length(spec: ScheduleSpec) -> int:
    end = spec.end_step
    if end is None:
        raise _cannot("a trainer", spec, "it has no end, and a trainer's schedule is sized by its run")
    return end


def _titan_candidate(spec: ScheduleSpec) -> dict[str, Any] | None:
    p = spec.params()
    if spec.name == "warmup_linear_decay":
        p = {**p, "stable_steps": 0, "decay_steps": p["total_steps"] - p["warmup_steps"], "decay_shape": "linear"}
    elif spec.name != "warmup_stable_decay":
        return None
    peak, w = p["peak_value"], p["warmup_steps"]
    total = w + p["stable_steps"] + p["decay_steps"]
    if p.get("decay_shape") not in ("linear", "cosine") or peak <= 0 or total <= 0:
        return None
    return {"schedule": TITAN, "lr": peak, "warmup_steps": w + 1, "total_steps": total,
            "decay_ratio": p["decay_steps"] / total, "decay_type": p["decay_shape"],
            "min_lr_factor": p["end_value"] / peak}


# --- MaxText ---------------------------------------------------------------------------------


def from_maxtext(config: Mapping[str, Any]) -> dict[str, Any]:
    """Our config of a MaxText config's schedule (its other keys ignored; MaxText's defaults
    where a schedule key is absent).

    Example:
        >>> from_maxtext({"learning_rate": 3e-4, "steps": 1000, "cosine_learning_rate_final_fraction": 0.1,
        ...               "per_device_batch_size": 4})  # doctest: +NORMALIZE_WHITESPACE
        {'schedule': 'maxtext.create_learning_rate_schedule', 'learning_rate': 0.0003, 'steps': 1000,
         'learning_rate_final_fraction': 0.1}
    """
    cfg: dict[str, Any] = {"schedule": MAXTEXT}
    for key, value in config.items():
        name = MAXTEXT_RENAMED.get(key, key)
        if name in MAXTEXT_KEYS:
            if name in cfg and cfg[name] != value:
                raise c.fail("MaxText config", key, value, f"the same value as {name}={cfg[name]!r}")
            cfg[name] = value
    spec_from_config(cfg)
    return cfg


def to_maxtext(cfg: Any) -> dict[str, Any]:
    """MaxText's schedule keys for a schedule: our port of MaxText's, or a ``warmup_cosine_decay``
    with a linear warmup from 0 that MaxText runs identically over its ``steps``.

    Raises:
        ValueError: a schedule MaxText cannot express, saying why.

    Example:
        >>> to_maxtext({"schedule": "warmup_cosine_decay", "peak_value": 1e-3, "warmup_steps": 10,
        ...             "total_steps": 99, "end_value": 1e-4})  # doctest: +NORMALIZE_WHITESPACE
        {'learning_rate': 0.001, 'lr_schedule_type': 'cosine', 'learning_rate_final_fraction': 0.1,
         'warmup_steps_fraction': 0.105, 'learning_rate_schedule_steps': 100, 'steps': 100,
         'wsd_decay_steps_fraction': 0.1, 'wsd_decay_style': 'linear'}
    """
    spec = spec_of(cfg)
    if spec.name != MAXTEXT:
        candidate = _maxtext_candidate(spec)
        spec = _expressed("MaxText", spec, candidate, candidate["steps"] if candidate else 0,
                          "its schedules are a linear warmup from 0, then a cosine (or stable and WSD decay) "
                          "to learning_rate_final_fraction of the peak at the last step")
    params = spec_to_config(spec)
    return {k: params[k] for k in MAXTEXT_KEYS}


def _maxtext_candidate(spec: ScheduleSpec) -> dict[str, Any] | None:
    if spec.name != "warmup_cosine_decay":
        return None
    p = spec.params()
    peak, w, T = p["peak_value"], p["warmup_steps"], p["total_steps"]
    if peak <= 0 or p["exponent"] != 1.0 or p["init_value"] != 0.0:
        return None
    L = T + 1  # MaxText's cosine reaches its floor at its last step L - 1
    return {"schedule": MAXTEXT, "learning_rate": peak, "learning_rate_final_fraction": p["end_value"] / peak,
            "warmup_steps_fraction": round((w + 0.5) / L, 12), "learning_rate_schedule_steps": L, "steps": L}


# --- torchtune -------------------------------------------------------------------------------


def from_torchtune(component: Mapping[str, Any], *, num_training_steps: int, lr: float) -> dict[str, Any]:
    """Our config of a torchtune recipe's ``lr_scheduler`` component.

    Args:
        component: ``{"_component_": ..., **kwargs}`` from the recipe's YAML.
        num_training_steps: what the recipe passes (its epochs times updates per epoch).
        lr: the optimizer's lr (the schedules are relative to it).

    Example:
        >>> component = {"_component_": "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
        ...              "num_warmup_steps": 100}
        >>> from_torchtune(component, num_training_steps=1000, lr=2e-5)  # doctest: +NORMALIZE_WHITESPACE
        {'schedule': 'transformers.get_cosine_schedule_with_warmup', 'lr': 2e-05, 'num_warmup_steps': 100,
         'num_training_steps': 1000}
    """
    from warmup_spec.sizing import fill_sizes

    kwargs = dict(component)
    name = kwargs.pop("_component_", None)
    if name in TORCHTUNE_COSINE:
        cfg = {"schedule": HF_COSINE, "lr": lr, **kwargs, "num_training_steps": num_training_steps}
        spec_from_config(cfg)
        return cfg
    if name == OUR_COMPONENT:
        warmup = kwargs.pop("num_warmup_steps", None)
        return fill_sizes(kwargs, total_steps=num_training_steps, warmup_steps=warmup, lr=lr)
    valid = "one of " + ", ".join((*TORCHTUNE_COSINE, OUR_COMPONENT))
    raise c.fail("torchtune lr_scheduler", "_component_", name, valid)


def to_torchtune(cfg: Any) -> dict[str, Any]:
    """A torchtune ``lr_scheduler`` component for a schedule: torchtune's own cosine where the
    schedule is it (a relative HF cosine), else our component with the schedule's config
    (its length left to the recipe's ``num_training_steps``, its warmup as ``num_warmup_steps``).

    Example:
        >>> to_torchtune({"schedule": "transformers.get_cosine_schedule_with_warmup", "lr": 1e-4,
        ...               "num_warmup_steps": 10, "num_training_steps": 100})  # doctest: +NORMALIZE_WHITESPACE
        {'_component_': 'torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup', 'num_warmup_steps': 10,
         'num_cycles': 0.5}
        >>> to_torchtune({"schedule": "warmup_linear_decay", "peak_value": 1e-4, "warmup_steps": 10,
        ...               "total_steps": 100})  # doctest: +NORMALIZE_WHITESPACE
        {'_component_': 'warmup_torch.torchtune_component.lr_scheduler', 'schedule': 'warmup_linear_decay',
         'peak_value': 0.0001, 'num_warmup_steps': 10, 'end_value': 0.0, 'init_value': 0.0, 'warmup_shape': 'linear'}
    """
    params = spec_to_config(spec_of(cfg))
    name = params.pop("schedule")
    if name == HF_COSINE:
        params.pop("lr")
        params.pop("num_training_steps")
        return {"_component_": TORCHTUNE_COSINE[0], **params}
    from warmup_spec.sizing import TOTAL_NAMES, WARMUP_NAMES

    out: dict[str, Any] = {"_component_": OUR_COMPONENT, "schedule": name}
    for key, value in params.items():
        if key in TOTAL_NAMES:
            continue  # the recipe passes num_training_steps
        out["num_warmup_steps" if key in WARMUP_NAMES else key] = value
    return out


__all__ = ["from_maxtext", "from_torchtitan", "from_torchtune", "to_maxtext", "to_torchtitan", "to_torchtune"]
