"""The training engine: both models cast and matched, trained step by step on the same batches
with a matched optimizer pair, and checked as :mod:`warmup_parity.comparison` describes
(:func:`train_pair`, :func:`prepare`, :func:`cast_models`, :class:`TorchLR`, the losses).

Example:
    >>> jax_loss, torch_loss = loss_pair("mse")
    >>> import jax.numpy as jnp
    >>> float(jax_loss(jnp.ones(3), jnp.zeros(3)))
    1.0
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from warmup_parity.hints import HintContext, hint
from warmup_parity.recording import FlaxCalls, TorchCalls, event_diff, rel_diff, shape_mismatch
from warmup_parity.report import TOLERANCES, Divergence, Report
from warmup_parity.twin import Converters, Link, WeightMap, flax_arrays, torch_arrays, weight_map, write_torch
from warmup_parity.twin.forward import Forward, call_model

__all__ = ["LOSSES", "TorchLR", "cast_models", "gradient_tolerance", "loss_pair", "prepare", "train_pair"]

LOSSES = ("cross_entropy", "mse")
"""The built-in losses; a pair of callables ``(jax_loss, torch_loss)``, each ``(output, y) ->
scalar``, is any other."""

TINY = 1e-300


def loss_pair(loss: str | tuple[Callable[..., Any], Callable[..., Any]], *,
              ignore_index: int = -100) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(JAX loss, torch loss), each ``(output, y) -> scalar``.

    ``"cross_entropy"``: mean over every position whose label is not ``ignore_index`` of the
    softmax cross-entropy with integer labels of any integer dtype (logits ``(..., classes)``,
    labels ``(...)``), as torch's ``cross_entropy(..., ignore_index=-100)``; ``"mse"``: mean
    squared error.
    """
    if isinstance(loss, tuple) and len(loss) == 2 and all(callable(f) for f in loss):
        return loss
    if loss == "cross_entropy":
        import jax.numpy as jnp
        import optax
        import torch

        def jax_ce(logits: Any, y: Any) -> Any:
            keep = y != ignore_index
            per = optax.softmax_cross_entropy_with_integer_labels(logits, jnp.where(keep, y, 0))
            return jnp.sum(jnp.where(keep, per, 0.0)) / jnp.sum(keep)

        def torch_ce(logits: Any, y: Any) -> Any:
            return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1).long(),
                                                     ignore_index=ignore_index)

        return jax_ce, torch_ce
    if loss == "mse":
        import jax.numpy as jnp
        import torch

        def jax_mse(out: Any, y: Any) -> Any:
            return jnp.mean((out - y) ** 2)

        def torch_mse(out: Any, y: Any) -> Any:
            return torch.nn.functional.mse_loss(out, y)

        return jax_mse, torch_mse
    raise ValueError(f"compare: loss={loss!r} is invalid; expected 'cross_entropy', 'mse' or a pair of callables "
                     "(jax_loss, torch_loss)")


def _norm_rel(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> tuple[float, float]:
    """(max |a - b|, ||a - b|| / ||b||) over all entries of matching dicts."""
    if not b:
        return 0.0, 0.0
    diff = np.concatenate([(np.asarray(a[k], np.float64) - np.asarray(b[k], np.float64)).ravel() for k in b])
    ref = np.concatenate([np.asarray(b[k], np.float64).ravel() for k in b])
    if diff.size == 0:
        return 0.0, 0.0
    return float(np.max(np.abs(diff))), float(np.linalg.norm(diff) / max(float(np.linalg.norm(ref)), TINY))


def _worst(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> tuple[str, float]:
    """The entry with the largest norm-relative difference, and that difference."""
    items = {k: rel_diff(a[k], b[k]) for k in b}
    name = max(items, key=lambda k: np.inf if np.isnan(items[k]) else items[k])  # a NaN is the worst
    return name, items[name]


def _complete(links: Sequence[Link], f: dict[str, np.ndarray], t: dict[str, np.ndarray],
              constants: bool) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Both sides in torch layout for every link: a tensor one side lacks is its constant
    there (``constants=False``: 0, for gradients and updates)."""
    for link in links:
        if not link.in_flax:
            f[link.torch_name] = np.full_like(t[link.torch_name], link.fill if constants else 0.0)
        if not link.in_torch:
            t[link.torch_name] = np.full_like(f[link.torch_name], link.fill if constants else 0.0)
    return f, t


def _sides(wmap: WeightMap, links: Sequence[Link], fvals: Mapping[str, Any], tvals: Mapping[str, Any],
           constants: bool) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Both sides in torch layout, by torch name, for ``links``, from Flax arrays by path and
    torch arrays by name (see :func:`_complete`)."""
    f = {k: np.asarray(v) for k, v in wmap.to_torch(fvals, links).items()}
    t = {link.torch_name: np.array(tvals[link.torch_name]) for link in links if link.in_torch}
    return _complete(links, f, t, constants)


def cast_models(flax_model: Any, torch_model: Any, dtype: str) -> None:
    """Puts both models' floating parameters and statistics in ``dtype`` (in place), and the
    Flax layers' ``dtype``/``param_dtype`` (which they fix at construction: an ``nnx.Embed``
    built in float32 keeps computing in float32). Call under ``jax.enable_x64(True)`` for
    float64."""
    import jax
    import jax.numpy as jnp
    import torch
    from flax import nnx

    from warmup_parity.twin import flax_variables

    torch_model.to(torch.float64 if dtype == "float64" else torch.float32)
    target = jnp.float64 if dtype == "float64" else jnp.float32
    cast = [var for var in flax_variables(flax_model).values()
            if jnp.issubdtype(var.get_value().dtype, jnp.floating) and var.get_value().dtype != target]
    if cast:  # one program for all (cast one by one, each new shape compiled a conversion of its own)
        for var, value in zip(cast, jax.jit(lambda vs: [v.astype(target) for v in vs])([v.get_value() for v in cast])):
            var.set_value(value)
    for _, module in nnx.iter_modules(flax_model):  # the compute dtype Flax layers fix at construction
        for attr in ("dtype", "param_dtype"):
            current = getattr(module, attr, None)
            if current is not None and not isinstance(current, str) and jnp.issubdtype(current, jnp.floating) \
                    and jnp.dtype(current) != target:
                setattr(module, attr, target)


def prepare(flax_model: Any, torch_model: Any, dtype: str, copy: bool,
            mapping: Mapping[str, str] | None = None, *, converters: Converters | None = None,
            example: Any = None, flax_forward: Forward | None = None,
            torch_forward: Forward | None = None) -> WeightMap:
    """Casts both models to ``dtype``, matches their weights (``warmup_parity.twin.weight_map``'s
    ``mapping``, ``converters``, ``example`` and forwards) and (``copy=True``) copies the Flax
    model's into the torch model; a tensor only torch has is set to its constant."""
    cast_models(flax_model, torch_model, dtype)
    wmap = weight_map(flax_model, torch_model, mapping, converters=converters, example=example,
                      flax_forward=flax_forward, torch_forward=torch_forward)
    if copy:
        write_torch(wmap, flax_model, torch_model)
    return wmap


@dataclass
class TorchLR:
    """How the torch side sets its lr around ``optimizer.step()``: ``before(k)`` (an
    ``adjust_learning_rate`` call) and ``after(k)`` (``scheduler.step()``)."""

    before: Callable[[int], None] | None
    after: Callable[[int], None] | None

    @classmethod
    def scheduler(cls, scheduler: Any) -> TorchLR:
        """``scheduler.step()`` after every ``optimizer.step()``."""
        def after(k: int) -> None:
            scheduler.step()

        return cls(None, after)


def _each(x: Any, f: Callable[[Any], Any]) -> Any:
    """``f`` applied to an input, or to each array of a tuple input."""
    return tuple(f(a) for a in x) if isinstance(x, tuple) else f(x)


def batches_of(batches: Iterable[tuple[Any, Any]], steps: int | None) -> list[tuple[Any, np.ndarray]]:
    """The batches of one run, ``steps`` of them (reused in order); an input may be a tuple of arrays."""
    data = [(_each(tuple(x) if isinstance(x, list) else x, np.asarray), np.asarray(y)) for x, y in batches]
    if not data:
        raise ValueError("compare: batches is empty; expected (x, y) NumPy arrays, one pair a step")
    n = len(data) if steps is None else steps
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"compare: steps={steps!r} is invalid; expected an integer >= 1 or None (one step a batch)")
    return [data[k % len(data)] for k in range(n)]


def train_pair(flax_model: Any, torch_model: Any, wmap: WeightMap, batches: Sequence[tuple[np.ndarray, np.ndarray]],
               *, losses: tuple[Callable[..., Any], Callable[..., Any]], tx: Any, schedule: Callable[[Any], Any],
               torch_opt: Any, torch_lr: TorchLR, dtype: str, config: dict[str, Any],
               on_step: Callable[[dict[str, float]], None] | None = None,
               flax_forward: Forward | None = None, torch_forward: Forward | None = None) -> Report:
    """Trains both models on ``batches`` (one a step) and checks them as the module docstring
    says. Both models are in ``dtype`` and hold their initial weights; call under
    ``jax.enable_x64(dtype == "float64")``. The Flax model ends with its trained state."""
    import jax
    import jax.numpy as jnp
    import torch
    from flax import nnx

    t_start = time.perf_counter()
    fforward, tforward = flax_forward or call_model, torch_forward or call_model
    tol = {**TOLERANCES[dtype], "step0_grad": gradient_tolerance(wmap, dtype)}
    jloss, tloss = losses
    tdt = torch.float64 if dtype == "float64" else torch.float32
    params = wmap.params()
    tparams = dict(torch_model.named_parameters())
    ctx = HintContext(dict((".".join(map(str, p)), m) for p, m in nnx.iter_modules(flax_model)),
                   dict(torch_model.named_modules()), wmap, dtype,
                   {t: f for f, t in sorted(wmap.flax_to_torch_names.items(), key=lambda ft: -len(ft[0]))},
                   tparams=tparams)  # the outermost Flax module of a torch name (a Sequential, not its layers)
    f0, t0 = _sides(wmap, params, flax_arrays(flax_model), torch_arrays(torch_model), True)
    ctx.initial = (f0, t0)
    flax_before = nnx.clone(flax_model)  # for the forward record, taken only when the loss differs

    optimizer = nnx.Optimizer(flax_model, tx, wrt=nnx.Param)
    graphdef, state = nnx.split((flax_model, optimizer))

    def torch_layout(state: Any) -> dict[str, Any]:  # traced: the conversion runs inside the step
        return wmap.to_torch({".".join(map(str, p)): v.get_value() for p, v in nnx.to_flat_state(state)}, params)

    @jax.jit
    def jax_step(state: Any, x: Any, y: Any) -> Any:
        model, opt = nnx.merge(graphdef, state)
        lr = schedule(opt.step[...])
        loss, grads = nnx.value_and_grad(lambda m: jloss(fforward(m, x), y))(model)
        opt.update(model, grads)
        return nnx.state((model, opt)), loss, lr, torch_layout(nnx.state(model, nnx.Param)), torch_layout(grads)

    torch_tensors = [(link.torch_name, tparams[link.torch_name]) for link in params if link.in_torch]
    tcalls = TorchCalls(torch_model)

    def as_input(a: np.ndarray) -> np.ndarray:
        return a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a

    def as_tensor(a: np.ndarray) -> Any:
        t = torch.as_tensor(a)
        return t.to(tdt) if t.is_floating_point() else t

    report = Report(config=config)
    first: Divergence | None = None
    checks: dict[str, float] = {"step0_loss_rel_diff": 0.0, "step0_grad_rel_diff": 0.0, "lr_max_rel_diff": 0.0,
                                "param_max_rel_diff": 0.0}
    _, initial_rel = _norm_rel(f0, t0)
    if not initial_rel <= tol["params"]:
        name, d = _worst(f0, t0)
        first = Divergence("parameters", name, 0, initial_rel, tol["params"],
                           f"before the first update: the initial weights differ, most in {name!r} ({d:.1e})",
                           hint(ctx, "parameters", name, name))
    prev_f, prev_t = f0, t0
    for k, (x_np, y_np) in enumerate(batches):
        x, y = _each(x_np, as_input), as_input(y_np)
        # torch: the lr in effect at the k-th optimizer.step()
        if torch_lr.before is not None:
            torch_lr.before(k)
        lr_t = float(torch_opt.param_groups[0]["lr"])
        torch_opt.zero_grad()
        xt, yt = _each(x, as_tensor), torch.as_tensor(y)
        with tcalls if k == 0 else contextlib.nullcontext():  # the submodules' inputs and outputs at step 0
            loss_t = tloss(tforward(torch_model, xt), yt)
        loss_t.backward()
        if k == 0:
            tgrads = {n: (p.grad.detach().cpu().numpy().copy() if p.grad is not None else
                          np.zeros(tuple(p.shape), p.detach().cpu().numpy().dtype)) for n, p in tparams.items()}
        torch_opt.step()
        if torch_lr.after is not None:
            torch_lr.after(k)
        # jax
        state, loss_j, lr_j, params_j, grads_j = jax_step(state, _each(x, jnp.asarray), jnp.asarray(y))
        pf, pt = _complete(params, {n: np.asarray(v) for n, v in jax.device_get(params_j).items()},
                           {n: p.detach().cpu().numpy().copy() for n, p in torch_tensors}, True)
        max_abs, rel = _norm_rel(pf, pt)
        lr_j, lj, lt = float(lr_j), float(loss_j), loss_t.item()
        lr_diff = abs(lr_j - lr_t) / max(abs(lr_t), TINY) if (lr_t != 0.0 or lr_j != 0.0) else 0.0
        checks["lr_max_rel_diff"] = max(checks["lr_max_rel_diff"], lr_diff)
        checks["param_max_rel_diff"] = max(checks["param_max_rel_diff"], rel) if rel == rel else float("nan")
        rec = {"step": k, "lr_jax": lr_j, "lr_torch": lr_t, "loss_jax": lj, "loss_torch": lt,
               "param_max_abs_diff": max_abs, "param_rel_diff": rel}
        report.steps.append(rec)
        if on_step is not None:
            on_step(rec)
        if k == 0:
            checks["step0_loss_rel_diff"] = abs(lj - lt) / max(abs(lt), TINY)
            gf, gt = _complete(params, {n: np.asarray(v) for n, v in jax.device_get(grads_j).items()},
                               {n: tgrads[n] for n, _ in torch_tensors}, False)
            checks["step0_grad_rel_diff"] = _norm_rel(gf, gt)[1]
            ctx.grad0 = (gf, gt)
            if first is None:
                first = _step0(ctx, flax_before, fforward, _each(x, jnp.asarray), tcalls.events, (lj, lt), (gf, gt),
                               (lr_j, lr_t, lr_diff), (pf, pt, rel), tol)
        elif first is None:
            if not lr_diff <= tol["lr"]:
                first = Divergence("lr", "schedule", k, lr_diff, tol["lr"], f"JAX {lr_j:.6e}, torch {lr_t:.6e}",
                                   hint(ctx, "lr", "schedule", "schedule"))
            elif not rel <= tol["params"]:
                name, d = _worst(pf, pt)
                moved = rel_diff(pf[name] - prev_f[name], pt[name] - prev_t[name])
                first = Divergence("parameters", name, k, rel, tol["params"],
                                   f"after update {k}: most in {name!r} ({d:.1e}); that update differed by "
                                   f"{moved:.1e}", hint(ctx, "parameters", name, name))
        prev_f, prev_t = pf, pt
    # the Flax model leaves with its trained state, as the torch one does
    nnx.update(flax_model, nnx.state(nnx.merge(graphdef, state)[0]))
    report.first_divergence = first
    stats_rel, notes = _statistics(wmap, flax_model, torch_model, tol)
    report.notes.extend(notes)
    failed = [name for name, value in checks.items() if not value <= _tolerance_of(name, tol)]
    report.summary = {
        **checks,
        "param_max_abs_diff": max(r["param_max_abs_diff"] for r in report.steps),
        "tolerances": {name: _tolerance_of(name, tol) for name in checks},
        "failed": failed,
        "first_divergence": None if first is None else first.to_json(),
        "statistics_rel_diff": stats_rel,
        "final_loss_jax": report.steps[-1]["loss_jax"],
        "final_loss_torch": report.steps[-1]["loss_torch"],
        "elapsed_s": round(time.perf_counter() - t_start, 3),
    }
    report.summary["passed"] = not failed and first is None
    return report


def gradient_tolerance(wmap: WeightMap, dtype: str) -> float:
    """The step-0 gradients' tolerance (norm-relative over all parameters): the dtype's
    ``step0`` tolerance per 10 layers with parameters, at least the ``step0`` tolerance. A
    gradient's rounding error grows with the layers its backward passes through (each adds a
    few ulps, more where a batch norm's reductions over a batch enter every element), so a deep
    model's correct gradients part by more than a shallow one's: ResNet-18's widths in
    bottleneck blocks (57 layers) by 1.7e-14 to 2.5e-14 in float64, within its 5.7e-14.

    Example:
        >>> import torch
        >>> from flax import nnx
        >>> from warmup_parity.twin import weight_map
        >>> layers = nnx.Sequential(*[nnx.Linear(2, 2, rngs=nnx.Rngs(0)) for _ in range(30)])
        >>> gradient_tolerance(weight_map(layers, None), "float64")
        3e-14
    """
    layers = {link.torch_name.rpartition(".")[0] for link in wmap.params()}
    return TOLERANCES[dtype]["step0"] * max(1.0, len(layers) / 10)


def _tolerance_of(check: str, tol: Mapping[str, float]) -> float:
    return {"step0_loss_rel_diff": tol["step0"], "step0_grad_rel_diff": tol["step0_grad"], "lr_max_rel_diff": tol["lr"],
            "param_max_rel_diff": tol["params"]}[check]


def _step0(ctx: HintContext, flax_before: Any, flax_forward: Forward, x: Any,
           torch_events: list[tuple[str, str, int, list[np.ndarray]]], losses: tuple[float, float],
           grads: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
           lrs: tuple[float, float, float], params: tuple[dict[str, np.ndarray], dict[str, np.ndarray], float],
           tol: Mapping[str, float]) -> Divergence | None:
    """The first divergence of update 0: loss (placed by the forward record), gradients,
    lr, update."""
    lj, lt = losses
    loss_diff = abs(lj - lt) / max(abs(lt), TINY)
    if not loss_diff <= tol["step0"]:
        with FlaxCalls(flax_before) as fcalls:
            flax_forward(flax_before, x)
        placed = _place_forward(ctx, fcalls.events, torch_events, tol["local"])
        if placed is not None:
            where, subject, diff, detail = placed
            return Divergence("forward", where, 0, diff, tol["local"], detail,
                              hint(ctx, "forward", where, subject, diff))
        return Divergence("loss", "loss", 0, loss_diff, tol["step0"],
                          f"JAX {lj:.12g}, torch {lt:.12g}; every submodule's output agreed",
                          hint(ctx, "loss", "loss", "loss"))
    gf, gt = grads
    grad_rel = _norm_rel(gf, gt)[1]
    if not grad_rel <= tol["step0_grad"]:
        name, d = _worst(gf, gt)
        return Divergence("gradient", name, 0, grad_rel, tol["step0_grad"],
                          f"norm-relative over all gradients; {name!r} differs most, by {d:.1e}",
                          hint(ctx, "gradient", name, name, grad_rel))
    lr_j, lr_t, lr_diff = lrs
    if not lr_diff <= tol["lr"]:
        return Divergence("lr", "schedule", 0, lr_diff, tol["lr"], f"JAX {lr_j:.6e}, torch {lr_t:.6e}",
                          hint(ctx, "lr", "schedule", "schedule"))
    pf, pt, rel = params
    if not rel <= tol["params"]:
        f0, t0 = ctx.initial or ({}, {})
        name, _ = _worst({n: pf[n] - f0[n] for n in pt}, {n: pt[n] - t0[n] for n in pt})
        return Divergence("update", name, 0, rel, tol["params"],
                          f"the parameters after update 0 differ by {rel:.1e} (norm-relative); {name!r}'s update most",
                          hint(ctx, "update", name, name))
    return None


def _place_forward(ctx: HintContext, flax_events: Sequence[tuple[str, str, int, list[np.ndarray]]],
                   torch_events: Sequence[tuple[str, str, int, list[np.ndarray]]],
                   tol: float) -> tuple[str, str, float, str] | None:
    """The first recorded input or output (in Flax's call order) that differs beyond ``tol``:
    ``(where, subject module, difference, detail)``. An output that differs while its input
    agreed is its module's; an input that differs was computed by the caller's forward."""
    recorded = {(phase, name, n): value for phase, name, n, value in torch_events}
    stack: list[str] = []  # the Flax modules whose call is open
    for phase, fpath, n, value in flax_events:
        caller = next((ctx.wmap.torch_module(c) for c in reversed(stack) if ctx.wmap.torch_module(c) is not None), "")
        if phase == "in":
            stack.append(fpath)
        elif stack:
            stack.pop()
        tname = ctx.wmap.torch_module(fpath)
        if tname is None or (phase, tname, n) not in recorded:
            continue
        d = event_diff(value, recorded[(phase, tname, n)])
        call = f" (call {n + 1})" if n else ""
        kind = type(ctx.tmodules.get(tname)).__name__
        shapes = shape_mismatch(value, recorded[(phase, tname, n)]) if phase == "out" else None
        if d is None and shapes is not None:
            return tname, tname, float("inf"), (
                f"the output of {tname or 'the model'!r} ({kind}){call} has shape {shapes[0]} in Flax and {shapes[1]} "
                "in torch (no layout makes them the same); its input agreed")
        if d is None or d <= tol:
            continue
        if phase == "out":
            return tname, tname, d, f"the output of {tname or 'the model'!r} ({kind}){call} differs; its input agreed"
        in_caller = f"the forward of {caller!r}" if caller else "the model's own forward"
        return caller or "", tname, d, (f"the input of {tname!r}{call} already differs: it is computed in "
                                        f"{in_caller}, after the submodules called before it agreed")
    return None


def _statistics(wmap: WeightMap, flax_model: Any, torch_model: Any,
                tol: Mapping[str, float]) -> tuple[float | None, list[str]]:
    """Batch-norm running statistics after training: their difference (None without any),
    and a note saying why they differ."""
    stats = wmap.stats()
    if not stats:
        return None, []
    f, t = _sides(wmap, stats, flax_arrays(flax_model), torch_arrays(torch_model), True)
    _, rel = _norm_rel(f, t)
    if rel <= tol["params"]:
        return rel, [f"batch-norm running statistics agree to {rel:.1e}"]
    text = (f"batch-norm running statistics differ by {rel:.1e} (not a training difference: in train mode both "
            "normalise with the batch's statistics). torch updates running_var with the unbiased batch variance "
            "(n / (n - 1)), Flax with the biased one, so eval-mode outputs differ")
    moms = []
    for path, m in ((p, m) for p, m in _flax_modules(flax_model) if type(m).__name__ == "BatchNorm"):
        tname = wmap.torch_module(path)
        tm = dict(torch_model.named_modules()).get(tname or "")
        if tm is not None and tm.momentum is not None and abs((1 - m.momentum) - tm.momentum) > 1e-12:
            moms.append(f"{path!r}: Flax momentum={m.momentum} keeps {m.momentum} of the old value, torch "
                        f"momentum={tm.momentum} keeps {1 - tm.momentum}")
    return rel, [text + (("; momentum differs: " + "; ".join(moms)) if moms else "")]


def _flax_modules(model: Any) -> list[tuple[str, Any]]:
    from flax import nnx

    return [(".".join(map(str, p)), m) for p, m in nnx.iter_modules(model)]

