"""Train a Flax NNX model and its torch twin side by side, and find where they part.

:func:`compare` copies the Flax model's weights into the torch model (``copy=True``),
trains both with a matched optimizer pair under one schedule on the same batches, and
returns a :class:`Report`: per step the lr, the loss and the parameter difference of both
sides, and ``first_divergence``, the earliest place where they differ beyond the dtype's
tolerance, checked in this order:

1. before any update: the initial parameters (they differ only with ``copy=False``);
2. update 0: the loss; when it differs, each submodule's input and output in call order
   (torch forward hooks; on the Flax side each module's ``__call__`` recorded) names the
   first submodule whose output differs while its input agreed (``kind="forward"``, ``where``
   that submodule), or whose input already differs (``where`` the module whose forward
   computed it), or, when every submodule agrees, the loss itself (``kind="loss"``);
3. then each parameter's gradient (``"gradient"``), the lr (``"lr"``) and each parameter's
   first update (``"update"``);
4. every later update: the lr, then the parameters (``"parameters"``).

``where`` is the torch-style dotted name of the submodule or parameter (``""`` is the
model's own forward). ``str(report)`` is a short summary naming the divergence and, where
one is known, its likely cause (LayerNorm eps, GELU's tanh approximation, a transposed
square kernel, dropout or train mode, a missing bias, Flax attention's float32 softmax,
convolution settings, a module's compute dtype).

A bias (or norm scale) that only one side's layer has is compared as the constant it
stands for (0, or 1 for a scale) and set to it on the other side: its gradient shows it.

Example:
    >>> import numpy as np, torch
    >>> from flax import nnx
    >>> class Net(nnx.Module):
    ...     def __init__(self):
    ...         self.fc = nnx.Linear(4, 2, rngs=nnx.Rngs(0))
    ...     def __call__(self, x):
    ...         return self.fc(x)
    >>> class TorchNet(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = torch.nn.Linear(4, 2)
    ...     def forward(self, x):
    ...         return self.fc(x)
    >>> rng = np.random.default_rng(0)
    >>> batches = [(rng.standard_normal((8, 4)), rng.integers(0, 2, 8)) for _ in range(5)]
    >>> schedule = {"schedule": "warmup_cosine_decay", "peak_value": 1e-2, "warmup_steps": 2, "total_steps": 5}
    >>> report = compare(Net(), TorchNet(), batches, loss="cross_entropy", optimizer={"name": "adamw"},
    ...                  schedule=schedule)
    >>> report.passed, report.first_divergence
    (True, None)
"""

from __future__ import annotations

import contextlib
import inspect
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from warmup_parity.weights import Link, WeightMap, flax_arrays, torch_arrays, weight_map, write_torch

__all__ = ["KINDS", "LOSSES", "TOLERANCES", "Divergence", "Report", "compare", "loss_pair"]

TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"step0": 1e-14, "params": 1e-9, "lr": 1e-12, "local": 1e-12},
    "float32": {"step0": 1e-6, "params": 1e-5, "lr": 1e-6, "local": 1e-5},
}
"""Per dtype: ``step0`` the step-0 loss and gradients (relative, the gradients
norm-relative over all parameters), ``params`` the parameters after every update
(norm-relative ``||jax - torch|| / ||torch||``), ``lr`` the lr (relative), ``local`` one
submodule output, gradient or update when placing a divergence (norm-relative)."""

KINDS = ("parameters", "forward", "loss", "gradient", "lr", "update")
"""The kinds of :class:`Divergence` (``"parameters"`` before the first update or after a later one)."""

LOSSES = ("cross_entropy", "mse")
"""The built-in losses; a pair of callables ``(jax_loss, torch_loss)``, each ``(output, y) ->
scalar``, is any other."""

TINY = 1e-300


def loss_pair(loss: str | tuple[Callable[..., Any], Callable[..., Any]]) -> tuple[Callable[..., Any],
                                                                                  Callable[..., Any]]:
    """(JAX loss, torch loss), each ``(output, y) -> scalar``.

    ``"cross_entropy"``: mean over every position of the softmax cross-entropy with integer
    labels (logits ``(..., classes)``, labels ``(...)``); ``"mse"``: mean squared error.
    """
    if isinstance(loss, tuple) and len(loss) == 2 and all(callable(f) for f in loss):
        return loss
    if loss == "cross_entropy":
        import optax
        import torch

        def jax_ce(logits: Any, y: Any) -> Any:
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        def torch_ce(logits: Any, y: Any) -> Any:
            return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

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


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Divergence:
    """Where the two runs first part.

    Attributes:
        kind: ``"parameters"``, ``"forward"``, ``"loss"``, ``"gradient"``, ``"lr"`` or ``"update"``.
        where: the torch-style dotted name of the submodule or parameter (``""``: the model's
            own forward; ``"schedule"`` for the lr; ``"loss"`` for the loss).
        step: the update it was seen at (``"parameters"``: the parameters after that update,
            or, with ``detail`` saying so, before the first one).
        difference: the measured difference (relative or norm-relative).
        tolerance: the tolerance it exceeded.
        detail: what was compared, in words.
        hint: the likely cause, where one is known (else empty).
    """

    kind: str
    where: str
    step: int
    difference: float
    tolerance: float
    detail: str = ""
    hint: str = ""

    def __str__(self) -> str:
        where = f"at {self.where!r}" if self.where else "in the model's own forward"
        text = f"{self.kind} {where}, step {self.step}: {self.difference:.2e} > {self.tolerance:.0e}"
        text += f" ({self.detail})" if self.detail else ""
        return text + (f". Likely cause: {self.hint}" if self.hint else "")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": self.where, "step": self.step, "difference": self.difference,
                "tolerance": self.tolerance, "detail": self.detail, "hint": self.hint}


@dataclass
class Report:
    """What a comparison measured; ``to_json()`` is the ``parity_report.json`` format.

    ``steps`` holds one record per update: ``step, lr_jax, lr_torch, loss_jax, loss_torch,
    param_max_abs_diff, param_rel_diff``; ``summary`` the worst values, the tolerances, the
    failed checks and ``passed``.
    """

    config: dict[str, Any]
    steps: list[dict[str, float]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    first_divergence: Divergence | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.summary.get("passed"))

    def to_json(self) -> dict[str, Any]:
        first = None if self.first_divergence is None else self.first_divergence.to_json()
        return {"title": self.config.get("title", ""), "config": self.config, "summary": self.summary,
                "steps": self.steps, "first_divergence": first, "notes": self.notes}

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=1))
        return path

    def __repr__(self) -> str:
        return f"<Report {str(self).splitlines()[0]!r}>"

    def __str__(self) -> str:
        s = self.summary
        n, dtype = len(self.steps), self.config.get("dtype", "?")
        head = f"{n} steps in {dtype}"
        if self.first_divergence is None and self.passed:
            line = (f"PASS: {head}: parameters agree to {s['param_max_rel_diff']:.1e} (tolerance "
                    f"{s['tolerances']['param_max_rel_diff']:.0e}), step-0 loss {s['step0_loss_rel_diff']:.1e}, "
                    f"gradients {s['step0_grad_rel_diff']:.1e}")
        elif self.first_divergence is None:
            line = f"FAIL: {head}: {', '.join(s.get('failed', []))}"
        else:
            line = f"FAIL: {head}: {self.first_divergence}"
        return "\n".join([line, *(f"note: {n}" for n in self.notes)])


# --------------------------------------------------------------------------- recording calls


def _leaves(value: Any) -> list[np.ndarray]:
    """The arrays in a module's input or output (tuples, lists, dicts; None skipped)."""
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return []
    if isinstance(value, Mapping):
        return [a for v in value.values() for a in _leaves(v)]
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _leaves(v)]
    if hasattr(value, "detach"):  # torch
        return [value.detach().cpu().numpy().copy()]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        try:
            return [np.asarray(value)]
        except Exception:  # a tracer or an abstract value: nothing to compare
            return []
    return []


class _FlaxCalls:
    """Records every submodule's input and output, in call order, while a Flax model runs:
    each ``__call__`` of the model's module classes is wrapped for the duration (only this
    model's instances are recorded; a ``super().__call__`` inside one is not recorded twice)."""

    def __init__(self, model: Any) -> None:
        from flax import nnx

        modules = list(nnx.iter_modules(model))
        self.names = {id(m): ".".join(str(p) for p in path) for path, m in modules}
        self.classes = {c for _, m in modules for c in type(m).__mro__
                        if "__call__" in vars(c) and issubclass(c, nnx.Module) and c is not nnx.Module}
        self.events: list[tuple[str, str, int, list[np.ndarray]]] = []
        self._saved: list[tuple[type, Any]] = []
        self._active: set[int] = set()
        self._counts: dict[str, int] = {}

    def _wrap(self, original: Any) -> Any:
        recorder = self

        def recorded(module: Any, *args: Any, **kwargs: Any) -> Any:
            name = recorder.names.get(id(module))
            if name is None or id(module) in recorder._active:
                return original(module, *args, **kwargs)
            n = recorder._counts.get(name, 0)
            recorder._counts[name] = n + 1
            recorder.events.append(("in", name, n, _leaves(args[0]) if args else []))
            recorder._active.add(id(module))
            try:
                out = original(module, *args, **kwargs)
            finally:
                recorder._active.discard(id(module))
            recorder.events.append(("out", name, n, _leaves(out)))
            return out

        recorded.__wrapped__ = original  # type: ignore[attr-defined]
        return recorded

    def __enter__(self) -> _FlaxCalls:
        for cls in self.classes:
            original = vars(cls)["__call__"]
            self._saved.append((cls, original))
            setattr(cls, "__call__", self._wrap(original))  # noqa: B010 (a class attribute, set and put back)
        return self

    def __exit__(self, *exc: Any) -> None:
        for cls, original in reversed(self._saved):
            setattr(cls, "__call__", original)  # noqa: B010
        self._saved.clear()


class _TorchCalls:
    """Records every submodule's input and output, in call order, with forward hooks."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.events: list[tuple[str, str, int, list[np.ndarray]]] = []
        self._handles: list[Any] = []
        self._counts: dict[str, int] = {}
        self._open: dict[str, list[int]] = {}

    def __enter__(self) -> _TorchCalls:
        for name, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._pre(name)))
            self._handles.append(module.register_forward_hook(self._post(name)))
        return self

    def _pre(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any) -> None:
            n = self._counts.get(name, 0)
            self._counts[name] = n + 1
            self._open.setdefault(name, []).append(n)
            self.events.append(("in", name, n, _leaves(args[0]) if args else []))

        return hook

    def _post(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, out: Any) -> None:
            self.events.append(("out", name, self._open[name].pop(), _leaves(out)))

        return hook

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / max(||a||, ||b||)`` in float64 (0 for two zero arrays)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(float(np.linalg.norm(a64)), float(np.linalg.norm(b64)))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a64 - b64) / scale)


def _layouts(a: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    """``a`` as it is and in the other layouts that give ``shape``: channels last -> first
    (NHWC -> NCHW), time and batch swapped, or flattened differently."""
    out = [a] if a.shape == shape else []
    if a.ndim >= 3 and np.moveaxis(a, -1, 1).shape == shape:
        out.append(np.moveaxis(a, -1, 1))
    if a.ndim >= 2 and np.swapaxes(a, 0, 1).shape == shape:
        out.append(np.swapaxes(a, 0, 1))
    if not out and a.size == int(np.prod(shape)):
        out.append(a.reshape(shape))
    return out


def _event_diff(fl: Sequence[np.ndarray], tl: Sequence[np.ndarray]) -> float | None:
    """The difference of two recorded values (the worst over their arrays, each in its best
    layout); None when nothing in them can be compared."""
    worst: float | None = None
    for a, b in zip(fl, tl):
        candidates = _layouts(a, b.shape)
        if not candidates:
            continue
        d = min(_rel(c, b) for c in candidates)
        worst = d if worst is None or not d <= worst else worst
    return worst


# --------------------------------------------------------------------------- hints


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(type(obj))
    except (OSError, TypeError):
        return ""


def _eps(module: Any, dtype: str) -> float | None:
    if hasattr(module, "epsilon"):
        return float(module.epsilon)
    if hasattr(module, "eps"):
        if module.eps is None:  # torch RMSNorm: the dtype's machine epsilon
            return float(np.finfo(dtype).eps)
        return float(module.eps)
    return None


def _pads(module: Any) -> Any:
    """Padding as ``((lo, hi), ...)`` or a word, for Flax ``padding`` and torch ``padding``."""
    pad = module.padding
    if isinstance(pad, str):
        return pad.upper()
    if isinstance(pad, int):
        return ((pad, pad),) * len(module.kernel_size)
    pad = tuple(pad)
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in pad)


@dataclass
class _Context:
    """What the hints look at: both models' modules, the weight map, the dtype."""

    fmodules: dict[str, Any]
    tmodules: dict[str, Any]
    wmap: WeightMap
    dtype: str
    torch_to_flax: dict[str, str]
    initial: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None
    tparams: dict[str, Any] = field(default_factory=dict)
    grad0: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None

    def pair(self, tname: str) -> tuple[Any, Any]:
        fpath = self.torch_to_flax.get(tname)
        return (None if fpath is None else self.fmodules.get(fpath)), self.tmodules.get(tname)

    def link(self, torch_name: str) -> Link | None:
        return next((link for link in self.wmap.links if link.torch_name == torch_name), None)


def _module_of(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def _norm_hint(fm: Any, tm: Any, dtype: str) -> list[str]:
    if fm is None or tm is None or not any(k in type(tm).__name__ for k in ("Norm",)):
        return []
    fe, te = _eps(fm, dtype), _eps(tm, dtype)
    out = []
    if fe is not None and te is not None and fe != te:
        out.append(f"{type(tm).__name__} eps: Flax epsilon={fe:g}, torch eps={te:g} (the defaults differ: Flax "
                   "1e-6 for LayerNorm and RMSNorm, torch 1e-5)")
    if "BatchNorm" in type(tm).__name__ and getattr(fm, "use_running_average", False) == tm.training:
        out.append(f"train mode: torch {type(tm).__name__} is in {'training' if tm.training else 'eval'} mode, Flax "
                   f"use_running_average={fm.use_running_average}")
    return out


def _flax_gelus(fm: Any) -> list[Any]:
    """The GELU functions an ``nnx.Sequential`` calls (``nnx.gelu``, a ``partial`` of it)."""
    layers = getattr(fm, "layers", None) if type(fm).__name__ == "Sequential" else None
    return [f for f in (layers or []) if "gelu" in getattr(getattr(f, "func", f), "__name__", "")]


def _gelu_hint(fm: Any, tm: Any) -> list[str]:
    fsrc, tsrc = _source(fm) if fm is not None else "", _source(tm) if tm is not None else ""
    tgelu = [m for m in (tm.modules() if tm is not None else []) if type(m).__name__ == "GELU"]
    fgelu = _flax_gelus(fm)
    if not ("gelu" in fsrc or fgelu) or not ("gelu" in tsrc or tgelu):
        return []
    if fgelu:
        flax_tanh = any(getattr(f, "keywords", {}).get("approximate", True) for f in fgelu)
    else:
        flax_tanh = "approximate=False" not in fsrc.replace(" ", "")
    if tgelu:
        torch_tanh = any(getattr(m, "approximate", "none") == "tanh" for m in tgelu)
    else:
        torch_tanh = "tanh" in tsrc and "approximate" in tsrc
    if flax_tanh == torch_tanh:
        return []
    return ["GELU: jax.nn.gelu / nnx.gelu default to the tanh approximation (approximate=True), torch's GELU is "
            f"exact (approximate='none'); here Flax uses {'tanh' if flax_tanh else 'exact'}, torch "
            f"{'tanh' if torch_tanh else 'exact'}: pass approximate=False in JAX or approximate='tanh' in torch"]


def _conv_hint(fm: Any, tm: Any) -> list[str]:
    if fm is None or tm is None or not hasattr(tm, "stride") or not hasattr(fm, "strides"):
        return []
    n = len(tm.kernel_size)

    def tup(v: Any) -> tuple[int, ...]:
        return (v,) * n if isinstance(v, int) else tuple(v) if v is not None else (1,) * n

    diffs = []
    pairs = [("strides", tup(fm.strides), "stride", tuple(tm.stride)),
             ("kernel_dilation", tup(fm.kernel_dilation), "dilation", tuple(tm.dilation)),
             ("feature_group_count", fm.feature_group_count, "groups", tm.groups)]
    for fname, fv, tname, tv in pairs:
        if fv != tv:
            diffs.append(f"Flax {fname}={fv}, torch {tname}={tv}")
    fp, tp = _pads(fm), _pads(tm)
    same = {("VALID", "VALID"), ("SAME", "SAME")}
    if (fp, tp) not in same and fp != tp and not (fp == "VALID" and tp == ((0, 0),) * n):
        diffs.append(f"Flax padding={fm.padding!r}, torch padding={tm.padding!r} (Flax's default is 'SAME', "
                     "torch's 0)")
    return [f"convolution settings differ: {'; '.join(diffs)}"] if diffs else []


def _attention_hint(fm: Any, tm: Any, dtype: str) -> list[str]:
    out = []
    if fm is not None and type(fm).__name__ == "MultiHeadAttention":
        fn = getattr(fm, "attention_fn", None)
        if dtype == "float64" and getattr(fn, "__module__", "").startswith("flax.") \
                and getattr(fm, "dropout_rate", 0.0) == 0.0:
            out.append("nnx.MultiHeadAttention's default attention_fn goes through jax.nn.dot_product_attention, "
                       "which computes the softmax in float32 even for float64 inputs (~1e-7): pass "
                       "attention_fn=warmup_parity.transformer.exact_attention")
    if tm is not None and type(tm).__name__ == "MultiheadAttention" and not tm.batch_first:
        out.append("torch nn.MultiheadAttention is (time, batch, feature) unless batch_first=True")
    return out


def _dtype_hint(fm: Any, dtype: str) -> list[str]:
    want = np.dtype(dtype)
    got = getattr(fm, "dtype", None)
    if got is None or isinstance(got, str) or fm is None:
        return []
    try:
        if np.dtype(got) != want:
            return [f"the Flax module computes in {np.dtype(got).name} (its dtype attribute); the run is {dtype}"]
    except TypeError:
        return []
    return []


def _square_hint(ctx: _Context, module: str) -> list[str]:
    out = []
    for link in ctx.wmap.params():
        if link.layout != "as is" or _module_of(link.torch_name) != module or not link.in_flax or not link.in_torch:
            continue
        shape = tuple(ctx.tparams[link.torch_name].shape) if link.torch_name in ctx.tparams else ()
        if len(shape) == 2 and shape[0] == shape[1]:
            out.append(f"a square matrix copied as it is: {link.torch_name!r} {tuple(shape)}; Flax layers compute "
                       "x @ kernel, torch's x @ weight.T: if the two forwards use it differently, transpose it in one")
    return out


def _bias_hint(ctx: _Context, names: Iterable[str]) -> list[str]:
    out = []
    for link in ctx.wmap.one_sided():
        if link.torch_name in names or _module_of(link.torch_name) in names:
            attr = link.torch_name.rsplit(".", 1)[-1]
            module = _module_of(link.torch_name)
            has, lacks = ("torch", "Flax") if link.in_torch else ("Flax", "torch")
            out.append(f"missing {attr}: the {has} layer {module!r} has one, the {lacks} layer has none"
                       + (" (use_bias=False)" if lacks == "Flax" and attr == "bias" else "")
                       + (" (bias=False)" if lacks == "torch" and attr == "bias" else ""))
    return out


def _dropout_hint(ctx: _Context) -> list[str]:
    active = []
    for name, m in ctx.tmodules.items():
        p = getattr(m, "p", None) if "Dropout" in type(m).__name__ else getattr(m, "dropout", None) \
            if type(m).__name__ == "MultiheadAttention" else None
        if p and m.training:
            active.append(f"torch {name!r} ({type(m).__name__} p={p}, training mode)")
    for path, m in ctx.fmodules.items():
        rate = getattr(m, "rate", None) if type(m).__name__ == "Dropout" else getattr(m, "dropout_rate", None) \
            if type(m).__name__ == "MultiHeadAttention" else None
        if rate and not getattr(m, "deterministic", False):
            active.append(f"Flax {path!r} ({type(m).__name__} rate={rate}, deterministic=False)")
    if not active:
        return []
    return ["dropout is active: " + ", ".join(active) + "; parity needs no random dropout on either side (rate 0, "
            "or eval() in torch and deterministic=True in Flax)"]


def _transposed_hint(ctx: _Context, name: str) -> list[str]:
    if ctx.initial is None:
        return []
    f, t = ctx.initial[0].get(name), ctx.initial[1].get(name)
    if f is None or t is None or f.ndim != 2 or f.shape[0] != f.shape[1]:
        return []
    if np.allclose(t, f.T, rtol=0, atol=0) or _rel(t, f.T) < 1e-6:
        return [f"transposed kernel: torch {name!r} holds the Flax kernel untransposed (Flax kernels are (in, out), "
                "torch weights (out, in)); copy_weights converts it"]
    return []


def _noise_hint(ctx: _Context, name: str) -> list[str]:
    """A parameter whose gradient is rounding noise: Adam-like optimizers make it a full step."""
    if ctx.grad0 is None or name not in ctx.grad0[1]:
        return []
    gf, gt = ctx.grad0[0][name], ctx.grad0[1][name]
    if name.endswith("in_proj_bias") or name.endswith("key.bias"):
        third = gt.size // 3
        part = slice(third, 2 * third) if name.endswith("in_proj_bias") else slice(None)
        if _rel(gf[part], gt[part]) > 1e-3:
            return ["attention's key bias: its gradient is exactly 0 mathematically (the softmax ignores a constant "
                    "added to all of a query's logits), so each framework's is rounding noise, which Adam-like "
                    "optimizers turn into full-size, different steps; it never changes the outputs. Build the "
                    "attention without biases, or compare in float64"]
    if _rel(gf, gt) > 1e-3:
        return [f"the gradient of {name!r} is rounding noise (the two differed by {_rel(gf, gt):.1e} at step 0 while "
                "all gradients agreed): optimizers that normalise the gradient (Adam, RMSprop, Adagrad) turn it into "
                "different full-size steps"]
    return []


def _hint(ctx: _Context, kind: str, where: str, subject: str) -> str:
    """The likely causes of a divergence, joined (empty when none is known)."""
    hints: list[str] = []
    if kind == "forward":
        for name in dict.fromkeys([subject, where]):
            fm, tm = ctx.pair(name)
            hints += _norm_hint(fm, tm, ctx.dtype) + _conv_hint(fm, tm) + _dtype_hint(fm, ctx.dtype)
            hints += _attention_hint(fm, tm, ctx.dtype) + _gelu_hint(fm, tm) + _square_hint(ctx, name)
            hints += _bias_hint(ctx, [name])
        hints += _dropout_hint(ctx)
    elif kind == "parameters":
        hints += _transposed_hint(ctx, where) + _bias_hint(ctx, [where]) + _noise_hint(ctx, where)
    elif kind == "loss":
        hints.append("the outputs agree but the losses do not: the reduction (mean or sum), label smoothing, "
                     "or how logits and labels are laid out")
    elif kind == "gradient":
        hints += _bias_hint(ctx, [where])
        tparam = ctx.tparams.get(where)
        if tparam is not None and not tparam.requires_grad:
            hints.append(f"torch {where!r} has requires_grad=False")
        _, tm = ctx.pair(_module_of(where))
        if tm is not None and getattr(tm, "padding_idx", None) is not None:
            hints.append(f"torch {_module_of(where)!r} has padding_idx={tm.padding_idx}: that row gets no gradient")
        if not hints:
            hints.append("the forward and the loss agree but this gradient does not: a detach()/stop_gradient, a "
                         "custom backward, or the parameter used differently")
    elif kind == "update":
        hints += _bias_hint(ctx, [where]) + _noise_hint(ctx, where)
        hints.append("the gradients agree but the first update does not: the optimizer pair (weight decay, eps, "
                     "betas, param groups); warmup_parity.optimizers has matched pairs (docs/optimizers.md)")
    elif kind == "lr":
        hints.append("the torch lr is not the schedule: scheduler.step() before optimizer.step(), or an lr "
                     "written into the param groups")
    return "; ".join(dict.fromkeys(hints))


# --------------------------------------------------------------------------- the two runs


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
    items = {k: _rel(a[k], b[k]) for k in b}
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
    import jax.numpy as jnp
    import torch
    from flax import nnx

    from warmup_parity.weights import flax_variables

    torch_model.to(torch.float64 if dtype == "float64" else torch.float32)
    target = jnp.float64 if dtype == "float64" else jnp.float32
    for var in flax_variables(flax_model).values():
        value = var.get_value()
        if jnp.issubdtype(value.dtype, jnp.floating) and value.dtype != target:
            var.set_value(value.astype(target))
    for _, module in nnx.iter_modules(flax_model):  # the compute dtype Flax layers fix at construction
        for attr in ("dtype", "param_dtype"):
            current = getattr(module, attr, None)
            if current is not None and not isinstance(current, str) and jnp.issubdtype(current, jnp.floating) \
                    and jnp.dtype(current) != target:
                setattr(module, attr, target)


def prepare(flax_model: Any, torch_model: Any, dtype: str, copy: bool,
            mapping: Mapping[str, str] | None = None) -> WeightMap:
    """Casts both models to ``dtype``, matches their weights and (``copy=True``) copies the
    Flax model's into the torch model; a tensor only torch has is set to its constant."""
    cast_models(flax_model, torch_model, dtype)
    wmap = weight_map(flax_model, torch_model, mapping)
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


def _batches(batches: Iterable[tuple[Any, Any]], steps: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    data = [(np.asarray(x), np.asarray(y)) for x, y in batches]
    if not data:
        raise ValueError("compare: batches is empty; expected (x, y) NumPy arrays, one pair a step")
    n = len(data) if steps is None else steps
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"compare: steps={steps!r} is invalid; expected an integer >= 1 or None (one step a batch)")
    return [data[k % len(data)] for k in range(n)]


def train_pair(flax_model: Any, torch_model: Any, wmap: WeightMap, batches: Sequence[tuple[np.ndarray, np.ndarray]],
               *, losses: tuple[Callable[..., Any], Callable[..., Any]], tx: Any, schedule: Callable[[Any], Any],
               torch_opt: Any, torch_lr: TorchLR, dtype: str, config: dict[str, Any],
               on_step: Callable[[dict[str, float]], None] | None = None) -> Report:
    """Trains both models on ``batches`` (one a step) and checks them as the module docstring
    says. Both models are in ``dtype`` and hold their initial weights; call under
    ``jax.enable_x64(dtype == "float64")``. The Flax model ends with its trained state."""
    import jax
    import jax.numpy as jnp
    import torch
    from flax import nnx

    t_start = time.perf_counter()
    tol = TOLERANCES[dtype]
    jloss, tloss = losses
    tdt = torch.float64 if dtype == "float64" else torch.float32
    params = wmap.params()
    tparams = dict(torch_model.named_parameters())
    ctx = _Context(dict((".".join(map(str, p)), m) for p, m in nnx.iter_modules(flax_model)),
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
        loss, grads = nnx.value_and_grad(lambda m: jloss(m(x), y))(model)
        opt.update(model, grads)
        return nnx.state((model, opt)), loss, lr, torch_layout(nnx.state(model, nnx.Param)), torch_layout(grads)

    torch_tensors = [(link.torch_name, tparams[link.torch_name]) for link in params if link.in_torch]
    tcalls = _TorchCalls(torch_model)

    def as_input(a: np.ndarray) -> np.ndarray:
        return a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a

    report = Report(config=config)
    first: Divergence | None = None
    checks: dict[str, float] = {"step0_loss_rel_diff": 0.0, "step0_grad_rel_diff": 0.0, "lr_max_rel_diff": 0.0,
                                "param_max_rel_diff": 0.0}
    _, initial_rel = _norm_rel(f0, t0)
    if not initial_rel <= tol["params"]:
        name, d = _worst(f0, t0)
        first = Divergence("parameters", name, 0, initial_rel, tol["params"],
                           f"before the first update: the initial weights differ, most in {name!r} ({d:.1e})",
                           _hint(ctx, "parameters", name, name))
    prev_f, prev_t = f0, t0
    for k, (x_np, y_np) in enumerate(batches):
        x, y = as_input(x_np), as_input(y_np)
        # torch: the lr in effect at the k-th optimizer.step()
        if torch_lr.before is not None:
            torch_lr.before(k)
        lr_t = float(torch_opt.param_groups[0]["lr"])
        torch_opt.zero_grad()
        xt, yt = torch.as_tensor(x), torch.as_tensor(y)
        with tcalls if k == 0 else contextlib.nullcontext():  # the submodules' inputs and outputs at step 0
            loss_t = tloss(torch_model(xt.to(tdt) if xt.is_floating_point() else xt), yt)
        loss_t.backward()
        if k == 0:
            tgrads = {n: (p.grad.detach().cpu().numpy().copy() if p.grad is not None else
                          np.zeros(tuple(p.shape), p.detach().cpu().numpy().dtype)) for n, p in tparams.items()}
        torch_opt.step()
        if torch_lr.after is not None:
            torch_lr.after(k)
        # jax
        state, loss_j, lr_j, params_j, grads_j = jax_step(state, jnp.asarray(x), jnp.asarray(y))
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
                first = _step0(ctx, flax_before, tcalls.events, x, (lj, lt), (gf, gt), (lr_j, lr_t, lr_diff),
                               (pf, pt, rel), tol)
        elif first is None:
            if not lr_diff <= tol["lr"]:
                first = Divergence("lr", "schedule", k, lr_diff, tol["lr"], f"JAX {lr_j:.6e}, torch {lr_t:.6e}",
                                   _hint(ctx, "lr", "schedule", "schedule"))
            elif not rel <= tol["params"]:
                name, d = _worst(pf, pt)
                moved = _rel(pf[name] - prev_f[name], pt[name] - prev_t[name])
                first = Divergence("parameters", name, k, rel, tol["params"],
                                   f"after update {k}: most in {name!r} ({d:.1e}); that update differed by "
                                   f"{moved:.1e}", _hint(ctx, "parameters", name, name))
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


def _tolerance_of(check: str, tol: Mapping[str, float]) -> float:
    return {"step0_loss_rel_diff": tol["step0"], "step0_grad_rel_diff": tol["step0"], "lr_max_rel_diff": tol["lr"],
            "param_max_rel_diff": tol["params"]}[check]


def _step0(ctx: _Context, flax_before: Any, torch_events: list[tuple[str, str, int, list[np.ndarray]]],
           x: np.ndarray, losses: tuple[float, float], grads: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
           lrs: tuple[float, float, float], params: tuple[dict[str, np.ndarray], dict[str, np.ndarray], float],
           tol: Mapping[str, float]) -> Divergence | None:
    """The first divergence of update 0: loss (placed by the forward record), gradients,
    lr, update."""
    import jax.numpy as jnp

    lj, lt = losses
    loss_diff = abs(lj - lt) / max(abs(lt), TINY)
    if not loss_diff <= tol["step0"]:
        with _FlaxCalls(flax_before) as fcalls:
            flax_before(jnp.asarray(x))
        placed = _place_forward(ctx, fcalls.events, torch_events, tol["local"])
        if placed is not None:
            where, subject, diff, detail = placed
            return Divergence("forward", where, 0, diff, tol["local"], detail, _hint(ctx, "forward", where, subject))
        return Divergence("loss", "loss", 0, loss_diff, tol["step0"],
                          f"JAX {lj:.12g}, torch {lt:.12g}; every submodule's output agreed",
                          _hint(ctx, "loss", "loss", "loss"))
    gf, gt = grads
    grad_rel = _norm_rel(gf, gt)[1]
    if not grad_rel <= tol["step0"]:
        name, d = _worst(gf, gt)
        return Divergence("gradient", name, 0, d, tol["local"],
                          f"all gradients differ by {grad_rel:.1e} (norm-relative); {name!r} most",
                          _hint(ctx, "gradient", name, name))
    lr_j, lr_t, lr_diff = lrs
    if not lr_diff <= tol["lr"]:
        return Divergence("lr", "schedule", 0, lr_diff, tol["lr"], f"JAX {lr_j:.6e}, torch {lr_t:.6e}",
                          _hint(ctx, "lr", "schedule", "schedule"))
    pf, pt, rel = params
    if not rel <= tol["params"]:
        f0, t0 = ctx.initial or ({}, {})
        name, _ = _worst({n: pf[n] - f0[n] for n in pt}, {n: pt[n] - t0[n] for n in pt})
        return Divergence("update", name, 0, rel, tol["params"],
                          f"the parameters after update 0 differ by {rel:.1e} (norm-relative); {name!r}'s update most",
                          _hint(ctx, "update", name, name))
    return None


def _place_forward(ctx: _Context, flax_events: Sequence[tuple[str, str, int, list[np.ndarray]]],
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
        d = _event_diff(value, recorded[(phase, tname, n)])
        if d is None or d <= tol:
            continue
        call = f" (call {n + 1})" if n else ""
        kind = type(ctx.tmodules.get(tname)).__name__
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


def compare(flax_model: Any, torch_model: Any, batches: Iterable[tuple[Any, Any]], *,
            loss: str | tuple[Callable[..., Any], Callable[..., Any]], optimizer: Any, schedule: Mapping[str, Any],
            steps: int | None = None, dtype: str = "float64", copy: bool = True,
            mapping: Mapping[str, str] | None = None,
            on_step: Callable[[dict[str, float]], None] | None = None) -> Report:
    """Trains a Flax NNX model and a torch model side by side and reports where they part.

    Both models are cast to ``dtype`` (in place) and trained (in place) for ``steps``
    updates, in the modes you left them in (``torch_model.train()``/``eval()``, Flax's
    ``deterministic``/``use_running_average``).

    Args:
        flax_model: an ``nnx.Module``, ``flax_model(x) -> output``.
        torch_model: a ``torch.nn.Module``, ``torch_model(x) -> output``.
        batches: ``(x, y)`` NumPy arrays, one pair a step (reused in order when ``steps`` is
            larger). Floating arrays are cast to ``dtype``; integer ones (labels, token ids)
            are kept.
        loss: ``"cross_entropy"`` (integer labels, any number of leading axes), ``"mse"``, or
            ``(jax_loss, torch_loss)``, each ``(output, y) -> scalar``.
        optimizer: a matched optimizer pair (``{"name": "adamw", "weight_decay": 0.01}``, an
            ``OptimizerSpec``; see ``warmup_parity.optimizers``).
        schedule: a schedule config (``{"schedule": "warmup_cosine_decay", ...}``, any
            library's names).
        steps: updates (default: one per batch).
        dtype: ``"float64"`` (parameters agree to 1e-9) or ``"float32"`` (1e-5).
        copy: copy the Flax model's weights into the torch model first (``copy_weights``);
            with False the weights are compared as they are.
        mapping: ``{flax path: torch name}`` for names that differ (see ``copy_weights``).
        on_step: called with each step's record (a progress bar).

    Returns:
        The :class:`Report`; ``report.passed``, ``report.first_divergence``, ``str(report)``.

    Raises:
        ValueError: an invalid argument, or parameters that cannot be matched (naming them).
    """
    import jax

    if dtype not in TOLERANCES:
        raise ValueError(f"compare: dtype={dtype!r} is invalid; expected 'float64' or 'float32'")
    if not isinstance(copy, bool):
        raise ValueError(f"compare: copy={copy!r} is invalid; expected True or False")
    losses = loss_pair(loss)
    data = _batches(batches, steps)
    from warmup_parity.optimizers import optax_transform, optimizer_from_config, torch_optimizer

    spec = optimizer if hasattr(optimizer, "params") and hasattr(optimizer, "name") else \
        optimizer_from_config(optimizer)
    config = {"title": "", "flax_model": type(flax_model).__name__, "torch_model": type(torch_model).__name__,
              "loss": loss if isinstance(loss, str) else "custom", "optimizer": spec.to_config(),
              "schedule": dict(schedule), "steps": len(data), "dtype": dtype, "copy": copy}
    with jax.enable_x64(dtype == "float64"):
        import jax.numpy as jnp

        import warmup_jax

        wmap = prepare(flax_model, torch_model, dtype, copy, mapping)
        jax_schedule = warmup_jax.schedule_from_config(schedule)
        tx = optax_transform(spec, jax_schedule, dtype=jnp.float64 if dtype == "float64" else jnp.float32)
        topt, tsched = torch_optimizer(spec, torch_model.parameters(), schedule)
        return train_pair(flax_model, torch_model, wmap, data, losses=losses, tx=tx, schedule=jax_schedule,
                          torch_opt=topt, torch_lr=TorchLR.scheduler(tsched), dtype=dtype,
                          config=config, on_step=on_step)
