"""A small decoder-only Transformer, in Flax NNX and in torch, with the same names.

Token and position embeddings, ``n_layers`` blocks of causal multi-head self-attention and
an MLP (``d_model -> d_ff -> d_model``, exact GELU), a linear head over the vocabulary.
``norm="pre"`` puts the LayerNorms before attention and MLP (GPT-2 style, with a final
``ln_f``); ``norm="post"`` after each residual sum (the original Transformer, no ``ln_f``),
the variant whose early training warmup is known to stabilise.

The two sides are written so that float64 training agrees to rounding:

- GELU is the exact (erf) one on both sides (``jax.nn.gelu`` defaults to the tanh
  approximation);
- the LayerNorm eps is set on both (``1e-5``; Flax's default is 1e-6), and Flax's
  ``use_fast_variance`` is off (torch computes a two-pass variance);
- attention uses :func:`exact_attention`: ``nnx.MultiHeadAttention``'s default goes through
  ``jax.nn.dot_product_attention``, which computes the softmax in float32 even for float64
  inputs (8.5e-8 off torch on a 6-wide layer);
- torch's ``nn.MultiheadAttention`` is ``batch_first=True`` and gets the causal mask as a
  boolean ``attn_mask`` (True = masked; Flax's mask is True = attend).

Example:
    >>> import jax
    >>> import numpy as np
    >>> with jax.enable_x64(True):
    ...     flax_model, torch_model = build_pair(TransformerConfig(vocab_size=11, seq_len=8, d_model=16),
    ...                                          dtype="float64", seed=0)
    ...     tokens = np.arange(16).reshape(2, 8) % 11
    ...     diff = np.abs(np.asarray(flax_model(tokens)) - torch_model(torch.as_tensor(tokens)).detach().numpy())
    >>> bool(diff.max() < 1e-12)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jax
import jax.numpy as jnp
import torch
from flax import nnx
from flax.nnx.nn.attention import dot_product_attention_weights

from warmup_parity.twin import copy_weights

__all__ = ["FlaxTransformer", "TorchTransformer", "TransformerConfig", "build_pair", "exact_attention"]


@dataclass(frozen=True)
class TransformerConfig:
    """The shape of the model.

    Attributes:
        vocab_size: number of token ids.
        seq_len: the longest sequence (the position embedding's size).
        d_model: the residual width; a multiple of ``n_heads``.
        n_heads: attention heads.
        n_layers: blocks.
        d_ff: the MLP's hidden width (default ``4 * d_model``).
        norm: ``"pre"`` (LayerNorm before each sublayer, plus a final one) or ``"post"``
            (after each residual sum).
        eps: the LayerNorms' epsilon, both sides.
        attention_bias: biases in the attention projections (default False, as in GPT-NeoX
            or LLaMA). The key projection's bias has a gradient of exactly 0 (the softmax
            ignores a constant added to all of a query's logits), so what each framework
            computes for it is rounding noise, which Adam turns into full-size, different
            steps: in float32 that bias alone parts the two runs (by 1.2 relative after 200
            steps, the rest agreeing to 1.3e-6), without changing any output.
    """

    vocab_size: int
    seq_len: int = 32
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int | None = None
    norm: Literal["pre", "post"] = "pre"
    eps: float = 1e-5
    attention_bias: bool = False

    def __post_init__(self) -> None:
        for name in ("vocab_size", "seq_len", "d_model", "n_heads", "n_layers"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"transformer: {name}={v!r} is invalid; expected an integer >= 1")
        if self.d_model % self.n_heads:
            raise ValueError(f"transformer: d_model={self.d_model} is invalid; expected a multiple of "
                             f"n_heads ({self.n_heads})")
        if self.norm not in ("pre", "post"):
            raise ValueError(f"transformer: norm={self.norm!r} is invalid; expected 'pre' or 'post'")

    @property
    def hidden(self) -> int:
        return self.d_ff if self.d_ff is not None else 4 * self.d_model


def exact_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None, **kwargs: Any) -> Any:
    """``nnx.dot_product_attention`` with the softmax in the inputs' dtype.

    Flax's default takes ``jax.nn.dot_product_attention`` when there is no dropout, and that
    computes the softmax in float32 whatever the inputs: a float64 model then differs from
    torch by ~1e-7. Pass it as ``nnx.MultiHeadAttention(..., attention_fn=exact_attention)``.
    The keyword arguments are those ``nnx.MultiHeadAttention`` passes (dropout included).
    """
    kwargs.pop("module", None)
    weights = dot_product_attention_weights(query, key, bias, mask, **kwargs)
    return jnp.einsum("...hqk,...khd->...qhd", weights, value, precision=kwargs.get("precision"))


# --------------------------------------------------------------------------- Flax NNX


class FlaxMLP(nnx.Module):
    def __init__(self, cfg: TransformerConfig, rngs: nnx.Rngs, dtype: Any) -> None:
        self.fc1 = nnx.Linear(cfg.d_model, cfg.hidden, param_dtype=dtype, rngs=rngs)
        self.fc2 = nnx.Linear(cfg.hidden, cfg.d_model, param_dtype=dtype, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        return self.fc2(jax.nn.gelu(self.fc1(x), approximate=False))


class FlaxBlock(nnx.Module):
    def __init__(self, cfg: TransformerConfig, rngs: nnx.Rngs, dtype: Any) -> None:
        self.post = cfg.norm == "post"
        self.ln1 = nnx.LayerNorm(cfg.d_model, epsilon=cfg.eps, use_fast_variance=False, param_dtype=dtype, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(cfg.n_heads, cfg.d_model, decode=False, attention_fn=exact_attention,
                                           use_bias=cfg.attention_bias, param_dtype=dtype, rngs=rngs)
        self.ln2 = nnx.LayerNorm(cfg.d_model, epsilon=cfg.eps, use_fast_variance=False, param_dtype=dtype, rngs=rngs)
        self.mlp = FlaxMLP(cfg, rngs, dtype)

    def __call__(self, x: Any, mask: Any) -> Any:
        if self.post:
            x = self.ln1(x + self.attn(x, mask=mask))
            return self.ln2(x + self.mlp(x))
        x = x + self.attn(self.ln1(x), mask=mask)
        return x + self.mlp(self.ln2(x))


class FlaxTransformer(nnx.Module):
    """The Flax NNX side: ``tokens (batch, time)`` int -> logits ``(batch, time, vocab)``."""

    def __init__(self, cfg: TransformerConfig, *, rngs: nnx.Rngs, dtype: Any = jnp.float32) -> None:
        self.tok = nnx.Embed(cfg.vocab_size, cfg.d_model, param_dtype=dtype, rngs=rngs)
        self.pos = nnx.Embed(cfg.seq_len, cfg.d_model, param_dtype=dtype, rngs=rngs)
        self.blocks = nnx.List([FlaxBlock(cfg, rngs, dtype) for _ in range(cfg.n_layers)])
        self.ln_f = nnx.LayerNorm(cfg.d_model, epsilon=cfg.eps, use_fast_variance=False, param_dtype=dtype,
                                  rngs=rngs) if cfg.norm == "pre" else None
        self.head = nnx.Linear(cfg.d_model, cfg.vocab_size, param_dtype=dtype, rngs=rngs)

    def __call__(self, tokens: Any) -> Any:
        x = self.tok(tokens) + self.pos(jnp.arange(tokens.shape[-1]))
        mask = nnx.make_causal_mask(tokens)
        for block in self.blocks:
            x = block(x, mask)
        if self.ln_f is not None:
            x = self.ln_f(x)
        return self.head(x)


# --------------------------------------------------------------------------- torch


class TorchMLP(torch.nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(cfg.d_model, cfg.hidden)
        self.fc2 = torch.nn.Linear(cfg.hidden, cfg.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class TorchBlock(torch.nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.post = cfg.norm == "post"
        self.ln1 = torch.nn.LayerNorm(cfg.d_model, eps=cfg.eps)
        self.attn = torch.nn.MultiheadAttention(cfg.d_model, cfg.n_heads, bias=cfg.attention_bias, batch_first=True)
        self.ln2 = torch.nn.LayerNorm(cfg.d_model, eps=cfg.eps)
        self.mlp = TorchMLP(cfg)

    def _attend(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.post:
            x = self.ln1(x + self._attend(x, mask))
            return self.ln2(x + self.mlp(x))
        h = self.ln1(x)
        x = x + self._attend(h, mask)
        return x + self.mlp(self.ln2(x))


class TorchTransformer(torch.nn.Module):
    """The torch side, with the Flax side's names: ``tokens (batch, time)`` long -> logits."""

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.tok = torch.nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = torch.nn.Embedding(cfg.seq_len, cfg.d_model)
        self.blocks = torch.nn.ModuleList([TorchBlock(cfg) for _ in range(cfg.n_layers)])
        self.ln_f = torch.nn.LayerNorm(cfg.d_model, eps=cfg.eps) if cfg.norm == "pre" else None
        self.head = torch.nn.Linear(cfg.d_model, cfg.vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[-1]
        x = self.tok(tokens) + self.pos(torch.arange(t, device=tokens.device))
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool, device=tokens.device), diagonal=1)
        for block in self.blocks:
            x = block(x, mask)
        if self.ln_f is not None:
            x = self.ln_f(x)
        return self.head(x)


def build_pair(cfg: TransformerConfig, dtype: str = "float32", seed: int = 0) -> tuple[FlaxTransformer,
                                                                                       TorchTransformer]:
    """The two models, the torch one holding the Flax one's initial weights (Flax's
    initialisers; ``copy_weights``). Call under ``jax.enable_x64(True)`` for float64."""
    if dtype not in ("float32", "float64"):
        raise ValueError(f"transformer: dtype={dtype!r} is invalid; expected 'float32' or 'float64'")
    jdt = jnp.float64 if dtype == "float64" else jnp.float32
    flax_model = FlaxTransformer(cfg, rngs=nnx.Rngs(seed), dtype=jdt)
    torch_model = TorchTransformer(cfg).to(torch.float64 if dtype == "float64" else torch.float32)
    copy_weights(flax_model, torch_model)
    return flax_model, torch_model
