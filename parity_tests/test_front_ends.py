"""Every front end is its definition's signature and docstring (:mod:`warmup_spec.front_end`),
and each definition's docstring example runs through every front end: the float64 host
function, the Optax schedule and the torch scheduler (stepped as a training loop would)."""

from __future__ import annotations

import doctest
import inspect
import pickle

import pytest
import torch

import warmup_jax
import warmup_spec
import warmup_torch
from warmup_spec.catalogue import CATALOGUE
from warmup_spec.schedule import Schedule
from warmup_torch import ScheduleLR, schedulers

NAMES = [d.schedule for d in CATALOGUE]


def _lrs_of_scheduler(front_end):
    """``front_end(...)`` as ``step -> lr``: the lr in effect at the ``t``-th update of a loop
    that calls ``scheduler.step()`` after ``optimizer.step()`` (which, without gradients,
    changes nothing: after the first, only the scheduler steps, for long examples)."""

    def schedule(*args, **kwargs):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=123.0)
        sched = front_end(opt, *args, **kwargs)
        lrs: list[float] = []

        def f(t):
            while len(lrs) <= t:
                lrs.append(opt.param_groups[0]["lr"])
                if len(lrs) == 1:
                    opt.step()
                sched.step()
            return lrs[t]

        return f

    return schedule


FRONT_ENDS = {
    "host": lambda name: getattr(warmup_spec, name),
    "jax": lambda name: getattr(warmup_jax, name),
    "torch scheduler": lambda name: _lrs_of_scheduler(getattr(schedulers, name)),
}


@pytest.mark.parametrize("kind", sorted(FRONT_ENDS))
@pytest.mark.parametrize("definition", CATALOGUE, ids=NAMES)
def test_the_definitions_example_runs_in_every_front_end(definition, kind):
    test = doctest.DocTestParser().get_doctest(
        inspect.getdoc(definition), {definition.schedule: FRONT_ENDS[kind](definition.schedule)}, definition.schedule, None, 0)
    assert test.examples, f"{definition.__name__} has no example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize("definition", CATALOGUE, ids=NAMES)
def test_signature_and_help_are_the_definitions(definition):
    params = list(inspect.signature(definition).parameters.values())
    for package in (warmup_spec, warmup_jax, warmup_torch):
        fn = getattr(package, definition.schedule)
        assert list(inspect.signature(fn).parameters.values()) == params
        assert inspect.getdoc(fn).startswith(inspect.getdoc(definition).split("\n\n")[0])
        assert "Returns:" in inspect.getdoc(fn)
    scheduler = getattr(schedulers, definition.schedule)
    assert list(inspect.signature(scheduler).parameters) == ["optimizer", *(p.name for p in params)]
    assert "optimizer: the wrapped optimizer." in inspect.getdoc(scheduler)


def test_front_ends_build_what_they_say():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    spec = warmup_spec.WarmupConstant(0.1, 2)
    assert warmup_spec.warmup_constant(0.1, 2) == Schedule(spec)
    assert warmup_jax.warmup_constant(0.1, 2).spec == spec
    sched = schedulers.warmup_constant(opt, 0.1, 2)
    assert type(sched) is ScheduleLR and sched.spec == spec


def test_front_ends_pickle_by_name():
    assert pickle.loads(pickle.dumps(schedulers.one_cycle)) is schedulers.one_cycle
    assert pickle.loads(pickle.dumps(warmup_jax.warmup_constant)) is warmup_jax.warmup_constant
    assert pickle.loads(pickle.dumps(warmup_spec.warmup_constant)) is warmup_spec.warmup_constant


def test_a_bad_parameter_is_the_definitions_error_in_every_front_end():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)])
    messages = set()
    for make in (warmup_spec.warmup_constant, warmup_jax.warmup_constant,
                 lambda *a: schedulers.warmup_constant(opt, *a)):
        with pytest.raises(ValueError) as err:
            make(-1.0)
        messages.add(str(err.value))
    assert len(messages) == 1 and "peak_value=-1.0" in messages.pop()
