"""Every docs example that calls a torch setup and an optax setup twins trains to parity: the
example's own code is executed (README blocks, porting.md's HF worked port, stepping.md's
per-step fragments), its torch side and its optax side train the same tiny model from the
same weights on the same batches, in float64, and end with the same parameters.

A setup that only looks alike fails here: torch's ``AdamW`` decays by 0.01 by default and
``optax.adamw`` by 1e-4, which parts the runs by ~1e-7 after a few warmup steps, far
above float64's agreement (~1e-15)."""

from __future__ import annotations

import doctest
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TOL = 1e-12  # relative to the largest parameter; the weight-decay mismatch is ~1e-5 of it


def _dedent(indent: str, body: str) -> str:
    return "\n".join(line[len(indent):] if line.startswith(indent) else line for line in body.splitlines())


README_BLOCKS = [_dedent(i, b) for i, lang, b in re.findall(r"^( *)```(\w+)\n(.*?)^\1```", README, flags=re.S | re.M)
                 if lang == "python"]


@contextmanager
def float64() -> Iterator[None]:
    """torch's default dtype and jax's x64, both float64, for the block."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with jax.enable_x64(True):
            yield
    finally:
        torch.set_default_dtype(old)


def numpy_of(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().copy()


def train_optax(tx: optax.GradientTransformation, params: Any, loss: Callable[..., Any],
                batches: Sequence[Any]) -> Any:
    """``params`` after one update of ``tx`` per batch (``loss(params, *batch)``)."""
    state = tx.init(params)
    grad = jax.jit(jax.grad(loss))
    for batch in batches:
        updates, state = tx.update(grad(params, *batch), state, params)
        params = optax.apply_updates(params, updates)
    return params


def assert_twins(torch_params: Sequence[torch.Tensor], jax_params: Sequence[Any], start: Sequence[np.ndarray]) -> None:
    """Equal parameters, and parameters that moved (a run that trained nothing proves nothing)."""
    scale = max(float(np.max(np.abs(numpy_of(t)))) for t in torch_params)
    for t, j, s in zip(torch_params, jax_params, start):
        np.testing.assert_allclose(np.asarray(j), numpy_of(t), rtol=0, atol=TOL * scale)
        assert np.max(np.abs(numpy_of(t) - s)) > 1e3 * TOL * scale


def test_readme_first_example_trains_to_parity() -> None:
    """README's first block: ``optax.adamw(schedule, ...)`` and torch ``AdamW`` with
    ``warmup_torch.schedulers.warmup_cosine_decay``; the block trains the torch model itself on ``torch.randn(20, 8, 4)``."""
    namespace: dict[str, Any] = {"__name__": "readme"}
    with float64():
        torch.manual_seed(0)
        exec(compile(README_BLOCKS[0], "README.md python block 0", "exec"), namespace)  # noqa: S102
        torch.manual_seed(0)  # the block's model and batches, again
        init = torch.nn.Linear(4, 1)
        batches = [(jnp.asarray(numpy_of(x)),) for x in torch.randn(20, 8, 4)]
        start = [numpy_of(init.weight).T, numpy_of(init.bias)]
        params = train_optax(namespace["tx"], {"w": jnp.asarray(start[0]), "b": jnp.asarray(start[1])},
                             lambda p, x: jnp.mean(jnp.square(x @ p["w"] + p["b"])), batches)
    model = namespace["model"]
    assert_twins([model.weight.T, model.bias], [params["w"], params["b"]], start)


def test_readme_param_groups_example_trains_to_parity() -> None:
    """README's per-group schedules: torch ``AdamW`` over two groups with ``ScheduleLR(optimizer,
    cfgs)``, and ``optax.multi_transform`` with one ``optax.adamw`` per label."""
    k = next(k for k, b in enumerate(README_BLOCKS) if "emb_cfg" in b)
    namespace: dict[str, Any] = {"__name__": "readme"}
    with float64():
        for j, code in enumerate(README_BLOCKS[:k + 1]):
            torch.manual_seed(1)
            exec(compile(code, f"README.md python block {j}", "exec"), namespace)  # noqa: S102
        torch.manual_seed(1)  # the block's emb and head, again
        emb0, head0 = torch.nn.Embedding(10, 4), torch.nn.Linear(4, 1)
        tokens = torch.randint(0, 10, (30, 8))
        emb, head, optimizer, sched = (namespace[n] for n in ("emb", "head", "optimizer", "sched"))
        for tok in tokens:
            head(emb(tok)).square().mean().backward()
            optimizer.step()
            optimizer.zero_grad()
            sched.step()
        start = [numpy_of(emb0.weight), numpy_of(head0.weight).T, numpy_of(head0.bias)]
        params = train_optax(
            namespace["tx"], {"emb": jnp.asarray(start[0]), "head": {"w": jnp.asarray(start[1]),
                                                                      "b": jnp.asarray(start[2])}},
            lambda p, t: jnp.mean(jnp.square(p["emb"][t] @ p["head"]["w"] + p["head"]["b"])),
            [(jnp.asarray(t.numpy()),) for t in tokens])
    assert_twins([emb.weight, head.weight.T, head.bias], [params["emb"], params["head"]["w"], params["head"]["b"]],
                 start)


def test_porting_guide_hf_recipe_trains_to_parity() -> None:
    """docs/porting.md, "An HF recipe, trained with optax": the recipe's torch ``AdamW`` with
    ``transformers.get_cosine_schedule_with_warmup``, and the guide's ``tx``."""
    text = (ROOT / "docs" / "porting.md").read_text(encoding="utf-8")
    part = text[text.index("### An HF recipe"):text.index("### An optax recipe")]
    test = doctest.DocTestParser().get_doctest(part, {}, "porting.md HF recipe", "porting.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    with float64():
        torch.manual_seed(2)
        runner.run(test, clear_globs=False)
        assert runner.failures == 0
        ns = test.globs
        model, optimizer, scheduler = ns["model"], ns["optimizer"], ns["scheduler"]
        torch.manual_seed(2)
        init = torch.nn.Linear(4, 2)
        start = [numpy_of(init.weight).T, numpy_of(init.bias)]
        xs = torch.randn(30, 8, 4)
        for x in xs:
            model(x).square().mean().backward()
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()
        params = train_optax(ns["tx"], {"w": jnp.asarray(start[0]), "b": jnp.asarray(start[1])},
                             lambda p, x: jnp.mean(jnp.square(x @ p["w"] + p["b"])),
                             [(jnp.asarray(numpy_of(x)),) for x in xs])
    assert_twins([model.weight.T, model.bias], [params["w"], params["b"]], start)


def test_stepping_guide_per_step_fragments_train_to_parity() -> None:
    """docs/stepping.md, "Per-step stepping": the torch fragment and the optax fragment, run
    on the same model, loader and config."""
    text = (ROOT / "docs" / "stepping.md").read_text(encoding="utf-8")
    fragments = re.findall(r"^```python fragment\n(.*?)^```", text, flags=re.S | re.M)
    torch_code = next(f for f in fragments if "scheduler = warmup_torch.scheduler_from_config(opt, cfg)" in f)
    optax_code = next(f for f in fragments if "tx = optax.adamw(warmup_jax.schedule_from_config(cfg)" in f)
    cfg = {"schedule": "warmup_cosine_decay", "peak_value": 1e-2, "warmup_steps": 5, "total_steps": 30}
    with float64():
        torch.manual_seed(3)
        model = torch.nn.Linear(4, 1)
        start = [numpy_of(model.weight).T, numpy_of(model.bias)]
        loader = [(torch.randn(8, 4), torch.randn(8, 1)) for _ in range(30)]
        exec(torch_code, {"torch": torch, "model": model, "cfg": cfg, "loader": loader,  # noqa: S102
                          "loss_fn": torch.nn.functional.mse_loss})
        ns: dict[str, Any] = {
            "cfg": cfg, "params": {"w": jnp.asarray(start[0]), "b": jnp.asarray(start[1])},
            "loader": [(jnp.asarray(numpy_of(x)), jnp.asarray(numpy_of(y))) for x, y in loader],
            "loss": lambda p, x, y: jnp.mean(jnp.square(x @ p["w"] + p["b"] - y))}
        exec(optax_code, ns)  # noqa: S102
    assert_twins([model.weight.T, model.bias], [ns["params"]["w"], ns["params"]["b"]], start)


def test_readme_lambda_lr_example_peaks_at_the_schedules_peak() -> None:
    """README: the host callable as a ``LambdaLR`` lambda, the optimizer built at ``lr=1.0``, gives
    the schedule's own lrs (its peak 3e-4 at update 10), not ``3e-4 * f(k)``."""
    k = next(k for k, b in enumerate(README_BLOCKS) if "LambdaLR(lambda_opt" in b)
    namespace: dict[str, Any] = {"__name__": "readme"}
    for j, code in enumerate(README_BLOCKS[:k + 1]):
        exec(compile(code, f"README.md python block {j}", "exec"), namespace)  # noqa: S102
    opt, sched, f = namespace["lambda_opt"], namespace["lambda_sched"], namespace["f"]
    lrs = []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == [f(t) for t in range(30)]
    assert max(lrs) == lrs[10] == pytest.approx(3e-4, rel=1e-15)
