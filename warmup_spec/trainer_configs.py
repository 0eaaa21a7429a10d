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
    return ValueError(f"{trainer} cannot express {spec.schedule}: {why}")


def _expressed(trainer: str, spec: ScheduleSpec, candidates: list[dict[str, Any]], updates: int,
               why: str) -> ScheduleSpec:
    """The first candidate that builds and runs ``spec``'s lrs over ``updates`` updates, else ``ValueError``."""
    for candidate in candidates:
        try:
            theirs = spec_from_config(candidate)
        except ValueError:
            continue
        if _same_run(spec, theirs, updates):
            return theirs
    raise _cannot(trainer, spec, why)


def _shape(spec: ScheduleSpec, trainer: str) -> tuple[list[float], float, int, int]:
    """``spec``'s lrs over ``0 .. end``, its peak, and the first and last update at the peak:
    what a trainer's own parameters are read from (then checked lr for lr)."""
    from warmup_spec.schedule import Schedule

    end = spec.end_step
    if end is None or end < 1:
        raise _cannot(trainer, spec, "it has no end, and the trainer sizes its schedule by its run")
    f = Schedule(spec)
    lrs = [f(k) for k in range(end + 1)]
    peak = max(lrs)
    at_peak = [k for k, v in enumerate(lrs) if math.isclose(v, peak, rel_tol=TOL)]
    return lrs, peak, at_peak[0], at_peak[-1]


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
        cfg: our port of torchtitan's schedule, or any schedule torchtitan runs identically
            over its ``total_steps`` updates (e.g. a ``warmup_stable_decay`` with
            ``init_value = peak_value / (warmup_steps + 1)``: torchtitan's warmup starts at ``lr / W``).

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
    if spec.schedule != TITAN:
        spec = _expressed("torchtitan", spec, _titan_candidates(spec), spec.end_step or 0,
                          "its schedule is a linear warmup from lr / W reaching lr at update W - 1, a stable lr, "
                          "then a linear, sqrt or cosine decay to min_lr_factor * lr at update total_steps")
    params = spec_to_config(spec)
    defaults = spec_to_config(spec_from_config({"schedule": TITAN, "lr": 1.0, "total_steps": 1}))
    section = {k: params[k] for k in TITAN_KEYS if k != "total_steps" and params[k] != defaults[k]}
    return {"optimizer": {"lr": params["lr"]}, "training": {"steps": params["total_steps"]}, "lr_scheduler": section}


def _titan_candidates(spec: ScheduleSpec) -> list[dict[str, Any]]:
    """torchtitan's parameters read off ``spec``'s lrs: the lr its peak, the warmup ending one
    update after the first peak, the decay starting after the last, reaching its floor at the end."""
    lrs, peak, first, last = _shape(spec, "torchtitan")
    total = len(lrs) - 1
    if peak <= 0:
        return []
    common = {"schedule": TITAN, "lr": peak, "warmup_steps": first + 1 if first > 0 else 0, "total_steps": total,
              "decay_ratio": (total - last) / total, "min_lr_factor": min(1.0, lrs[-1] / peak)}
    return [{**common, "decay_type": kind} for kind in ("linear", "sqrt", "cosine")]


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
    """MaxText's schedule keys for a schedule: our port of MaxText's, or any schedule MaxText runs
    identically over its ``steps`` (e.g. a ``warmup_cosine_decay`` with a linear warmup from 0).

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
    if spec.schedule != MAXTEXT:
        spec = _expressed("MaxText", spec, _maxtext_candidates(spec), (spec.end_step or 0) + 1,
                          "its schedules are a linear warmup from 0, then a cosine (or stable and WSD decay) "
                          "to learning_rate_final_fraction of the peak at the last step")
    params = spec_to_config(spec)
    return {k: params[k] for k in MAXTEXT_KEYS}


def _maxtext_candidates(spec: ScheduleSpec) -> list[dict[str, Any]]:
    """MaxText's keys read off ``spec``'s lrs: its warmup ends at the first peak, its decay (after
    the last) reaches its floor at the schedule's last step, which is the run's last (``steps``)."""
    lrs, peak, first, last = _shape(spec, "MaxText")
    n = len(lrs)  # MaxText's learning_rate_schedule_steps: its floor at update n - 1
    if peak <= 0:
        return []
    common = {"schedule": MAXTEXT, "learning_rate": peak, "learning_rate_final_fraction": lrs[-1] / peak,
              "warmup_steps_fraction": round((first + 0.5) / n, 12), "learning_rate_schedule_steps": n, "steps": n}
    wsd = {**common, "lr_schedule_type": "wsd", "wsd_decay_steps_fraction": round((n - last + 0.5) / n, 12)}
    return [common, {**wsd, "wsd_decay_style": "linear"}, {**wsd, "wsd_decay_style": "cosine"}]


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
