"""Likely causes of a divergence, by what the two models' modules hold: norm eps, GELU's tanh
approximation, convolution settings, attention's float32 softmax, a module's compute dtype, a
transposed square kernel, a missing bias, active dropout, gradients that are rounding noise.

:func:`hint` joins the rules that apply to a divergence; each rule is a function of the two
modules (or the :class:`HintContext`) that returns sentences.

Example:
    >>> from flax import nnx
    >>> import torch
    >>> _norm_hint(nnx.LayerNorm(4, rngs=nnx.Rngs(0)), torch.nn.LayerNorm(4), "float64")[0][:40]
    'LayerNorm eps: Flax epsilon=1e-06, torch'
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from warmup_parity.recording import rel_diff
from warmup_parity.twin import Link, WeightMap, projections
from warmup_parity.twin.layouts import join

__all__ = ["HintContext", "hint", "module_of"]


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(type(obj))
    except (OSError, TypeError):
        return ""


def _module_source(obj: Any) -> str:
    """The source of the module (file) that defines an object's class."""
    try:
        return inspect.getsource(sys.modules[type(obj).__module__])
    except (OSError, TypeError, KeyError):
        return ""


def _eps(module: Any, dtype: str) -> float | None:
    if hasattr(module, "epsilon"):
        return float(module.epsilon)
    if isinstance(getattr(module, "variance_epsilon", None), float):  # transformers' RMSNorm classes
        return float(module.variance_epsilon)
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
class HintContext:
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


def module_of(name: str) -> str:
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


# transformers' GELU classes (``ACT2FN``): exact, or the tanh approximation
_EXACT_GELUS = ("GELUActivation",)
_TANH_GELUS = ("GELUTanh", "PytorchGELUTanh", "NewGELUActivation", "FastGELUActivation")


def _torch_gelu(tm: Any) -> tuple[str, str] | None:
    """``("exact" | "tanh" | "other", the class)`` of the GELU a torch module holds or calls;
    None when it uses none (or it cannot be known)."""
    for m in tm.modules():
        name = type(m).__name__
        if name == "GELU":
            return ("tanh" if getattr(m, "approximate", "none") == "tanh" else "exact"), "nn.GELU"
        if name in _EXACT_GELUS or name in _TANH_GELUS:
            return ("exact" if name in _EXACT_GELUS else "tanh"), f"transformers' {name}"
        if "GELU" in name:
            return "other", f"transformers' {name}"
    src = _source(tm)
    if "gelu" not in src:
        return None
    return ("tanh" if "tanh" in src and "approximate" in src else "exact"), "F.gelu"


def _calls(src: str, opening: str) -> list[str]:
    """The argument text of each call ``opening...)`` in ``src`` (parentheses balanced)."""
    out = []
    for start in (m.end() for m in re.finditer(re.escape(opening), src)):
        depth, end = 1, start
        while end < len(src) and depth:
            depth += {"(": 1, ")": -1}.get(src[end], 0)
            end += 1
        out.append(src[start:end - 1])
    return out


def _flax_gelu(fm: Any) -> str | None:
    """``"exact"``/``"tanh"`` for the GELU a Flax module calls, read from its ``nnx.Sequential``
    layers or its source (``approximate=`` a literal or an attribute of the module; without it,
    the default: tanh); None when it calls none or the argument cannot be read."""
    fgelu = _flax_gelus(fm)
    if fgelu:
        return "tanh" if any(getattr(f, "keywords", {}).get("approximate", True) for f in fgelu) else "exact"
    src = _source(fm).replace(" ", "")
    if "gelu(" not in src:
        return None
    args = [a for call in _calls(src, "gelu(") for a in re.findall(r"approximate=([\w.]+)", call)]
    if any("approximate=" not in call for call in _calls(src, "gelu(")):
        args.append("True")  # a call without it: the default
    values = set()
    for a in args:
        value = {"True": True, "False": False}.get(a)
        if value is None and a.startswith("self."):
            value = getattr(fm, a[len("self."):], None)
        if not isinstance(value, bool):
            return None
        values.add(value)
    if len(values) > 1:
        return None
    return "exact" if values == {False} else "tanh"


def _gelu_hint(fm: Any, tm: Any) -> list[str]:
    if fm is None or tm is None:
        return []
    torch_gelu, flax_gelu = _torch_gelu(tm), _flax_gelu(fm)
    if torch_gelu is None or flax_gelu is None or flax_gelu == torch_gelu[0]:
        return []
    return ["GELU: jax.nn.gelu / nnx.gelu default to the tanh approximation (approximate=True), torch's nn.GELU "
            f"and transformers' hidden_act='gelu' (GELUActivation) are exact; here Flax uses {flax_gelu}, torch "
            f"{torch_gelu[0]} ({torch_gelu[1]}): pass approximate=False in JAX, or approximate='tanh' "
            "(hidden_act='gelu_pytorch_tanh') in torch"]


def _inside_attention_hint(ctx: HintContext, where: str, subject: str) -> list[str]:
    """A difference computed inside a torch attention module of four projections, found at the
    input of its output projection (so its query/key/value projections agreed)."""
    tm = ctx.tmodules.get(where)
    roles = projections(tm) if tm is not None and where != subject else None
    if tm is None or roles is None or subject != join(where, roles["out"]):
        return []
    causes = []
    if "rotate_half" in _module_source(tm) or any("Rotary" in type(m).__name__ for m in ctx.tmodules.values()):
        causes.append("the rotary convention (torch's rotate_half pairs dimension i with i + head_dim/2; an "
                      "interleaved rotary pairs 2i with 2i+1)")
    q, k = (tm.get_submodule(roles[r]) for r in ("query", "key"))
    if getattr(k, "out_features", 0) < getattr(q, "out_features", 0):
        causes.append("the grouped-query head grouping (transformers' repeat_kv repeats each kv head for "
                      "consecutive query heads: query head h uses kv head h // (heads / kv_heads), not "
                      "h % kv_heads)")
    causes.append("the attention's scale, mask or softmax")
    return [f"the difference arises inside the attention {where!r} after its query/key/value projections agreed: "
            "likely " + "; or ".join(causes)]


def _conv_hint(fm: Any, tm: Any) -> list[str]:
    if fm is None or tm is None or not hasattr(tm, "stride") or not hasattr(fm, "strides"):
        return []
    n = len(tm.kernel_size)

    def tup(v: Any) -> tuple[int, ...]:
        return (v,) * n if isinstance(v, int) else tuple(v) if v is not None else (1,) * n

    diffs = []
    dilation = getattr(fm, "kernel_dilation", None)  # nnx.ConvTranspose has kernel_dilation, no groups
    pairs = [("strides", tup(fm.strides), "stride", tuple(tm.stride)),
             ("kernel_dilation", tup(dilation), "dilation", tuple(tm.dilation)),
             ("feature_group_count", getattr(fm, "feature_group_count", 1), "groups", tm.groups)]
    for fname, fv, tname, tv in pairs:
        if fv != tv:
            diffs.append(f"Flax {fname}={fv}, torch {tname}={tv}")
    if "Transpose" in type(tm).__name__:  # torch's padding of a transposed conv crops its output: not comparable
        return [f"convolution settings differ: {'; '.join(diffs)}"] if diffs else []
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


def _square_hint(ctx: HintContext, module: str) -> list[str]:
    out = []
    for link in ctx.wmap.params():
        if link.layout != "as is" or module_of(link.torch_name) != module or not link.in_flax or not link.in_torch:
            continue
        shape = tuple(ctx.tparams[link.torch_name].shape) if link.torch_name in ctx.tparams else ()
        if len(shape) == 2 and shape[0] == shape[1]:
            out.append(f"a square matrix copied as it is: {link.torch_name!r} {tuple(shape)}; Flax layers compute "
                       "x @ kernel, torch's x @ weight.T: if the two forwards use it differently, transpose it in one")
    return out


def _bias_hint(ctx: HintContext, names: Iterable[str]) -> list[str]:
    out = []
    for link in ctx.wmap.one_sided():
        if link.torch_name in names or module_of(link.torch_name) in names:
            attr = link.torch_name.rsplit(".", 1)[-1]
            module = module_of(link.torch_name)
            has, lacks = ("torch", "Flax") if link.in_torch else ("Flax", "torch")
            out.append(f"missing {attr}: the {has} layer {module!r} has one, the {lacks} layer has none"
                       + (" (use_bias=False)" if lacks == "Flax" and attr == "bias" else "")
                       + (" (bias=False)" if lacks == "torch" and attr == "bias" else ""))
    return out


def _dropout_hint(ctx: HintContext) -> list[str]:
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


def _transposed_hint(ctx: HintContext, name: str) -> list[str]:
    if ctx.initial is None:
        return []
    f, t = ctx.initial[0].get(name), ctx.initial[1].get(name)
    if f is None or t is None or f.ndim != 2 or f.shape[0] != f.shape[1]:
        return []
    if np.allclose(t, f.T, rtol=0, atol=0) or rel_diff(t, f.T) < 1e-6:
        return [f"transposed kernel: torch {name!r} holds the Flax kernel untransposed (Flax kernels are (in, out), "
                "torch weights (out, in)); copy_weights converts it"]
    return []


def _noise_hint(ctx: HintContext, name: str) -> list[str]:
    """A parameter whose gradient is rounding noise: Adam-like optimizers make it a full step."""
    if ctx.grad0 is None or name not in ctx.grad0[1]:
        return []
    gf, gt = ctx.grad0[0][name], ctx.grad0[1][name]
    if name.endswith("in_proj_bias") or name.endswith("key.bias"):
        third = gt.size // 3
        part = slice(third, 2 * third) if name.endswith("in_proj_bias") else slice(None)
        if rel_diff(gf[part], gt[part]) > 1e-3:
            return ["attention's key bias: its gradient is exactly 0 mathematically (the softmax ignores a constant "
                    "added to all of a query's logits), so each framework's is rounding noise, which Adam-like "
                    "optimizers turn into full-size, different steps; it never changes the outputs. Build the "
                    "attention without biases, or compare in float64"]
    if rel_diff(gf, gt) > 1e-3:
        return [f"the gradient of {name!r} is rounding noise (the two differed by {rel_diff(gf, gt):.1e} at step 0 "
                "while all gradients agreed): optimizers that normalise the gradient (Adam, RMSprop, Adagrad) turn "
                "it into different full-size steps"]
    return []


ROUNDING_LEVEL = {"float64": 1e-12, "float32": 1e-4}
"""A step-0 gradient difference below this, with the forward and the loss agreeing, is
rounding accumulated through the backward (not a missing or extra term, which is O(1))."""

FLOAT32_LEVEL = (1e-10, 2e-6)
"""A float64 run's forward difference in this range, that no other rule explains, is float32
rounding (float32's eps is 1.2e-7), not a formula."""


def _float32_level_hint(ctx: HintContext, difference: float | None, names: Iterable[str] = ()) -> list[str]:
    lo, hi = FLOAT32_LEVEL
    if ctx.dtype != "float64" or difference is None or not lo <= difference <= hi:
        return []
    casting = [n for n in names if n in ctx.tmodules and re.search(r"\bfloat32\b", _source(ctx.tmodules[n]))]
    which = "".join(f"torch {n!r} ({type(ctx.tmodules[n]).__name__}) casts to float32 in its code; " for n in casting)
    return [f"{which}the difference ({difference:.1e}) is at float32's rounding level in a float64 run: a layer that "
            "computes in float32 internally (an RMSNorm or rotary table that casts to float32, the softmax of "
            "Flax's default attention or of transformers' attention code), not a different formula"]


def _guarded(rule: Callable[..., list[str]], *args: Any) -> list[str]:
    """A rule's sentences; a rule that fails says so instead of hiding the report."""
    try:
        return rule(*args)
    except Exception as e:  # a hint is advice: it must never cost the user the report
        return [f"(the hint rule {rule.__name__} failed: {type(e).__name__}: {e})"]


def hint(ctx: HintContext, kind: str, where: str, subject: str, difference: float | None = None) -> str:
    """The likely causes of a divergence, joined (empty when none is known). A rule that raises
    is reported as such in the text; it never hides the report."""
    hints: list[str] = []
    if kind == "forward":
        for name in dict.fromkeys([subject, where]):
            fm, tm = ctx.pair(name)
            rules: list[tuple[Callable[..., list[str]], tuple[Any, ...]]] = [
                (_norm_hint, (fm, tm, ctx.dtype)), (_conv_hint, (fm, tm)), (_dtype_hint, (fm, ctx.dtype)),
                (_attention_hint, (fm, tm, ctx.dtype)), (_gelu_hint, (fm, tm)), (_square_hint, (ctx, name)),
                (_bias_hint, (ctx, [name]))]
            for rule, args in rules:
                hints += _guarded(rule, *args)
        hints += _guarded(_inside_attention_hint, ctx, where, subject)
        hints += _guarded(_dropout_hint, ctx)
        hints = hints or _guarded(_float32_level_hint, ctx, difference, dict.fromkeys([subject, where]))
        if not hints and difference == float("inf"):  # an output of another shape
            hints.append("padding, stride, dilation or pooling differ")
    elif kind == "parameters":
        hints += _guarded(_transposed_hint, ctx, where) + _guarded(_bias_hint, ctx, [where])
        hints += _guarded(_noise_hint, ctx, where)
    elif kind == "loss":
        hints.append("the outputs agree but the losses do not: the reduction (mean or sum), label smoothing, "
                     "or how logits and labels are laid out")
    elif kind == "gradient":
        hints += _guarded(_gradient_hint, ctx, where, difference)
    elif kind == "update":
        hints += _guarded(_bias_hint, ctx, [where]) + _guarded(_noise_hint, ctx, where)
        hints.append("the gradients agree but the first update does not: the optimizer pair (weight decay, eps, "
                     "betas, param groups); warmup_parity.optimizers has matched pairs (docs/optimizers.md)")
    elif kind == "lr":
        hints.append("the torch lr is not the schedule: scheduler.step() before optimizer.step(), or an lr "
                     "written into the param groups")
    return "; ".join(dict.fromkeys(hints))


def _gradient_hint(ctx: HintContext, where: str, difference: float | None = None) -> list[str]:
    hints = _bias_hint(ctx, [where])
    tparam = ctx.tparams.get(where)
    if tparam is not None and not tparam.requires_grad:
        hints.append(f"torch {where!r} has requires_grad=False")
    _, tm = ctx.pair(module_of(where))
    if tm is not None and getattr(tm, "padding_idx", None) is not None:
        hints.append(f"torch {module_of(where)!r} has padding_idx={tm.padding_idx}: that row gets no gradient")
    if not hints and difference is not None and difference < ROUNDING_LEVEL[ctx.dtype]:
        hints.append(f"the gradients differ by {difference:.1e}, at {ctx.dtype}'s rounding level: the forward and "
                     "the loss agree, so this is rounding accumulated through a deep backward (batch norm's "
                     "reductions add most), not a formula difference; the parameters over the run tell")
    if not hints:
        hints.append("the forward and the loss agree but this gradient does not: a detach()/stop_gradient, a "
                     "custom backward, or the parameter used differently")
    return hints
