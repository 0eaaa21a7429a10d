"""Names that cannot mislead: no public name of ours is a torch, optax or transformers name
with other semantics, and every renamed name still works for one release with a
``DeprecationWarning`` naming the new one."""

from __future__ import annotations

import pytest
import torch

import warmup_jax
import warmup_spec
import warmup_torch
from warmup_spec.registry import spec_from_config

SAME_SEMANTICS = {
    "Schedule": "warmup_spec.Schedule is a callable step -> lr: an optax.Schedule",
}
"""Our public names equal to one of theirs, each with why it means the same thing."""


def _public(module) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_")}


def test_no_public_name_collides_with_torch_optax_or_transformers():
    import optax
    import torch.optim.lr_scheduler
    import transformers

    theirs: dict[str, list[str]] = {}
    for module in (torch, torch.nn, torch.optim, torch.optim.lr_scheduler, optax, transformers):
        for name in _public(module):
            theirs.setdefault(name, []).append(module.__name__)
    assert "OneCycleLR" in theirs and "scale" in theirs and "get_scheduler" in theirs  # the walk sees them
    ours = {f"{pkg.__name__}.{n}": n for pkg in (warmup_spec, warmup_jax, warmup_torch, warmup_torch.schedulers)
            for n in getattr(pkg, "__all__", _public(pkg))}  # a front-end module: its public names
    collisions = {full: theirs[n] for full, n in ours.items() if n in theirs and n not in SAME_SEMANTICS}
    assert not collisions, collisions


OPT = torch.optim.SGD([torch.zeros(1, requires_grad=True)])


@pytest.mark.parametrize("module,old,new,check", [
    (warmup_torch, "OneCycleLR", "warmup_torch.schedulers.one_cycle",
     lambda old: old(OPT, 10, 0.1, last_epoch=-1).spec == warmup_spec.OneCycle(10, 0.1)),
    (warmup_torch, "WarmupCosineDecayLR", "warmup_torch.schedulers.warmup_cosine_decay",
     lambda old: old(OPT, 1.0, 2, 10).spec == warmup_spec.WarmupCosineDecay(1.0, 2, 10)),
    (warmup_torch, "ScaleLR", "warmup_torch.schedulers.scaled",
     lambda old: old(OPT, lambda t: 1.0, 0.5).get_last_lr() == [0.5]),
    (warmup_torch, "from_config", "warmup_torch.scheduler_from_config", lambda old: old is warmup_torch.scheduler_from_config),
    (warmup_torch, "scheduler_for", "warmup_torch.scheduler_from_config", lambda old: old is warmup_torch.scheduler_from_config),
    (warmup_torch, "scale", "warmup_torch.scaled", lambda old: old is warmup_torch.scaled),
    (warmup_jax, "from_config", "warmup_jax.schedule_from_config", lambda old: old is warmup_jax.schedule_from_config),
    (warmup_jax, "Schedule", "warmup_jax.JaxSchedule", lambda old: old is warmup_jax.JaxSchedule),
    (warmup_jax, "scale", "warmup_jax.scaled", lambda old: old is warmup_jax.scaled),
    (warmup_spec, "scale", "warmup_spec.scaled", lambda old: old is warmup_spec.scaled),
    (warmup_spec, "Scale", "warmup_spec.Scaled", lambda old: old is warmup_spec.Scaled),
])
def test_an_old_name_works_with_a_warning_naming_the_new(module, old, new, check):
    with pytest.warns(DeprecationWarning, match=rf"{module.__name__}\.{old} is deprecated .*; use {new}"):
        obj = getattr(module, old)
    assert check(obj)
    assert old not in module.__all__


def test_an_old_schedule_name_in_a_config_works_with_a_warning():
    cfg = {"schedule": "scale", "base": {"schedule": "warmup_constant", "peak_value": 1.0}, "factor": 0.5}
    with pytest.warns(DeprecationWarning, match="the schedule name 'scale' is deprecated .*; use 'scaled'"):
        spec = spec_from_config(cfg)
    assert spec == warmup_spec.Scaled(warmup_spec.WarmupConstant(1.0), 0.5)
    assert "scale" not in list(warmup_spec.REGISTRY)  # listed names are the new ones only


def test_an_unknown_name_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'OneCycle'"):
        warmup_torch.OneCycle  # noqa: B018


def test_one_cycle_anneal_takes_cosine_like_every_shape_and_cos_with_a_warning():
    assert warmup_spec.OneCycle(10, 1.0).anneal == "cosine"
    with pytest.warns(DeprecationWarning, match="one_cycle: anneal='cos' is deprecated .*; use anneal='cosine'"):
        old = warmup_spec.OneCycle(10, 1.0, anneal="cos")  # type: ignore[arg-type]
    assert old == warmup_spec.OneCycle(10, 1.0, anneal="cosine")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    sched = warmup_torch.schedulers.one_cycle(opt, 20, 0.1)
    for _ in range(5):
        opt.step()
        sched.step()
    state = sched.state_dict()
    state["schedule"]["anneal"] = "cos"  # a checkpoint written before the rename still resumes
    with pytest.warns(DeprecationWarning):
        again = warmup_torch.resume(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), state)
    assert again.last_epoch == 5 and again.get_last_lr() == sched.get_last_lr()
