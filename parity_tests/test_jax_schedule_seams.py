"""``warmup_jax`` schedules where a user's code meets them: a schedule that cycles the momentum,
used as a plain lr schedule, warns once (the momentum would be dropped silently); a JAX
schedule pickles."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import jax.numpy as jnp
import optax
import pytest

import warmup_jax as J
from warmup_jax.hyper import hyper_schedules, with_schedules
from warmup_parity.optimizers import optax_transform
from warmup_spec.hyper import momentum_of

# torch's defaults: cycle_momentum=True. Each test takes its own max_lr: a momentum once built
# for a schedule is applied, whatever later uses it.
ONE_CYCLE = {"schedule": "torch.OneCycleLR", "total_steps": 100}
CYCLIC = {"schedule": "torch.CyclicLR", "base_lr": 0.001, "step_size_up": 10}


def caught(tx: optax.GradientTransformation, updates: int = 3) -> list[warnings.WarningMessage]:
    """The warnings of ``updates`` updates of ``tx``."""
    params = jnp.zeros(2)
    state = tx.init(params)
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        for _ in range(updates):
            _, state = tx.update(jnp.ones(2), state, params)
    return list(ws)


@pytest.mark.parametrize("cfg", [{**ONE_CYCLE, "max_lr": 0.11}, {**CYCLIC, "max_lr": 0.11}],
                         ids=["OneCycleLR", "CyclicLR"])
def test_plain_optax_optimizer_warns_once_naming_how_to_apply_both(cfg: dict[str, Any]) -> None:
    ws = caught(optax.sgd(J.from_config(cfg), momentum=0.9))
    assert [w.category for w in ws] == [J.CycledMomentumWarning]
    assert issubclass(J.CycledMomentumWarning, UserWarning)
    text = str(ws[0].message)
    assert text.startswith(f"{cfg['schedule']} cycles the momentum (cycle_momentum=True)")
    assert "optax_transform(pair, schedule)" in text and "with_schedules" in text and "cycle_momentum=False" in text


@pytest.mark.parametrize("cfg", [{**ONE_CYCLE, "max_lr": 0.12}, {**CYCLIC, "max_lr": 0.12}],
                         ids=["OneCycleLR", "CyclicLR"])
def test_cycle_momentum_false_is_a_plain_lr_schedule(cfg: dict[str, Any]) -> None:
    assert caught(optax.sgd(J.from_config({**cfg, "cycle_momentum": False}), momentum=0.9)) == []


def test_the_matched_pair_applies_both_and_does_not_warn() -> None:
    pair = {"name": "sgd_momentum", "momentum": 0.9}
    assert caught(optax_transform(pair, J.from_config({**ONE_CYCLE, "max_lr": 0.13}))) == []
    assert caught(optax_transform(pair, {**ONE_CYCLE, "max_lr": 0.14})) == []


def test_the_schedule_driven_transformation_applies_both_and_does_not_warn() -> None:
    lr = J.from_config({**CYCLIC, "max_lr": 0.15})
    tx = with_schedules(lambda momentum: optax.sgd(lr, momentum=momentum),
                        hyper_schedules({"momentum": momentum_of(lr)}))
    assert caught(tx) == []


def test_a_jax_schedule_pickles() -> None:
    for f in (J.warmup_cosine_decay(0.3, 5, 40, 0.01), J.from_config({"schedule": "torch.StepLR", "lr": 0.1,
                                                                        "step_size": 3})):
        g = pickle.loads(pickle.dumps(f))
        assert g.spec == f.spec and g is not f
        assert [float(g(k)) for k in range(12)] == [float(f(k)) for k in range(12)]
