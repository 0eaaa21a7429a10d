"""A Llama-style decoder in Flax NNX, with the names of Meta's reference implementation, and
the transformers ``LlamaForCausalLM`` configuration that is the same network.

The names and layout follow Meta's ``llama/model.py`` (meta-llama/llama), which JAX ports
commonly keep: ``tok_embeddings``; ``layers``, each a ``TransformerBlock`` with
``attention_norm``, ``attention`` (``wq``/``wk``/``wv``/``wo``, no biases, grouped-query
heads), ``ffn_norm`` and ``feed_forward`` (SwiGLU: ``w2(silu(w1(x)) * w3(x))``); the final
``norm`` and the ``output`` projection. transformers names the same layers
``model.embed_tokens``, ``model.layers.{i}.input_layernorm``,
``.self_attn.{q,k,v,o}_proj``, ``.post_attention_layernorm``,
``.mlp.{gate,up,down}_proj``, ``model.norm`` and ``lm_head``, and returns ``.logits``.

Two conventions are transformers', not Meta's, as every checkpoint converted to
transformers assumes: the rotary embedding rotates the two HALVES of each head
(``rotate_half``; Meta rotates interleaved pairs, ``rope="interleaved"`` plants that
difference), and a key/value head ``j`` serves the consecutive query heads ``j*r .. j*r+r-1``
(``repeat_kv``, as Meta's ``repeat_kv``; ``kv_grouping="tile"`` plants the head grouping that
tiles instead). The RMSNorm ``epsilon`` is the configuration's ``norm_eps`` (Llama 2 and 3
use 1e-5, ``nnx.RMSNorm``'s default is 1e-6).

transformers computes two things in float32 whatever the model's dtype: ``LlamaRMSNorm``
(it casts its input to float32) and the rotary tables (``inv_freq`` and the angles in
float32). A float64 model cannot reproduce that to float64 precision (XLA's and torch's
float32 ``mean``, ``rsqrt``, ``sin`` and ``cos`` differ in the last bit); for a float64
comparison :func:`computing_in_dtype` swaps those two for the same formulas in the model's
dtype (``torch.nn.RMSNorm`` and rotary tables in the dtype).

Example:
    >>> import jax.numpy as jnp
    >>> cfg = LlamaCfg.tiny()
    >>> nnx.eval_shape(lambda x: flax_model(cfg)(x), jnp.zeros((2, 5), jnp.int32)).shape  # traced, not run
    (2, 5, 32)
    >>> hf_config(cfg).num_key_value_heads, hf_config(cfg).rms_norm_eps
    (2, 1e-05)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jax
import jax.numpy as jnp
from flax import nnx

from parity_tests.pairs.host_init import lecun_normal, normal

__all__ = ["Attention", "FeedForward", "LlamaCfg", "Transformer", "TransformerBlock", "computing_in_dtype",
           "flax_model", "hf_config", "rotary", "torch_model"]


@dataclass(frozen=True)
class LlamaCfg:
    """The network (Meta's ``ModelArgs`` names): ``n_kv_heads`` key/value heads shared by
    ``n_heads // n_kv_heads`` query heads each."""

    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    hidden_dim: int
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_seq_len: int = 64
    rope: Literal["halves", "interleaved"] = "halves"
    kv_grouping: Literal["repeat", "tile"] = "repeat"

    @classmethod
    def tiny(cls) -> LlamaCfg:
        """Width 16, 4 query heads over 2 key/value heads of 4, one block, 32 tokens (the default suite)."""
        return cls(dim=16, n_layers=1, n_heads=4, n_kv_heads=2, vocab_size=32, hidden_dim=32)

    @classmethod
    def realistic(cls) -> LlamaCfg:
        """Width 256, 4 blocks, 8 query heads over 2 key/value heads of 32, 256 tokens."""
        return cls(dim=256, n_layers=4, n_heads=8, n_kv_heads=2, vocab_size=256, hidden_dim=688)


def rotary(x: Any, theta: float, layout: str) -> Any:
    """The rotary position embedding of ``x (batch, time, heads, head_dim)`` in its dtype:
    the angle of position ``p`` and frequency ``i`` is ``p * theta**(-2i / head_dim)``,
    applied to the halves (``x[:d/2]``, ``x[d/2:]``) or to interleaved pairs (``x[0::2]``, ``x[1::2]``)."""
    d = x.shape[-1]
    inv_freq = 1.0 / (theta ** (jnp.arange(0, d, 2, dtype=x.dtype) / d))
    angles = jnp.arange(x.shape[1], dtype=x.dtype)[:, None] * inv_freq
    cos, sin = jnp.cos(angles)[None, :, None, :], jnp.sin(angles)[None, :, None, :]
    if layout == "halves":
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
        return jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return jnp.stack([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1).reshape(x.shape)


class Attention(nnx.Module):
    def __init__(self, cfg: LlamaCfg, *, rngs: nnx.Rngs) -> None:
        self.n_heads, self.n_kv_heads, self.head_dim = cfg.n_heads, cfg.n_kv_heads, cfg.dim // cfg.n_heads
        self.theta, self.rope, self.kv_grouping = cfg.rope_theta, cfg.rope, cfg.kv_grouping
        self.wq = nnx.Linear(cfg.dim, cfg.n_heads * self.head_dim, use_bias=False, kernel_init=lecun_normal, rngs=rngs)
        self.wk = nnx.Linear(cfg.dim, cfg.n_kv_heads * self.head_dim, use_bias=False, kernel_init=lecun_normal, rngs=rngs)
        self.wv = nnx.Linear(cfg.dim, cfg.n_kv_heads * self.head_dim, use_bias=False, kernel_init=lecun_normal, rngs=rngs)
        self.wo = nnx.Linear(cfg.n_heads * self.head_dim, cfg.dim, use_bias=False, kernel_init=lecun_normal, rngs=rngs)

    def _group(self, kv: Any) -> Any:
        r = self.n_heads // self.n_kv_heads
        if self.kv_grouping == "repeat":  # kv head j -> query heads j*r .. j*r + r - 1
            return jnp.repeat(kv, r, axis=2)
        return jnp.tile(kv, (1, 1, r, 1))  # kv head j -> query heads j, j + n_kv, ...

    def __call__(self, x: Any) -> Any:
        b, t, _ = x.shape
        q = rotary(self.wq(x).reshape(b, t, self.n_heads, self.head_dim), self.theta, self.rope)
        k = rotary(self.wk(x).reshape(b, t, self.n_kv_heads, self.head_dim), self.theta, self.rope)
        v = self.wv(x).reshape(b, t, self.n_kv_heads, self.head_dim)
        k, v = self._group(k), self._group(v)
        logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) * self.head_dim ** -0.5
        causal = jnp.tril(jnp.ones((t, t), bool))
        weights = jax.nn.softmax(jnp.where(causal, logits, -jnp.inf), axis=-1)  # in the inputs' dtype
        return self.wo(jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(b, t, -1))


class FeedForward(nnx.Module):
    def __init__(self, cfg: LlamaCfg, *, rngs: nnx.Rngs) -> None:
        self.w1 = nnx.Linear(cfg.dim, cfg.hidden_dim, use_bias=False, kernel_init=lecun_normal, rngs=rngs)
        self.w2 = nnx.Linear(cfg.hidden_dim, cfg.dim, use_bias=False, kernel_init=lecun_normal, rngs=rngs)
        self.w3 = nnx.Linear(cfg.dim, cfg.hidden_dim, use_bias=False, kernel_init=lecun_normal, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        return self.w2(nnx.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nnx.Module):
    def __init__(self, cfg: LlamaCfg, *, rngs: nnx.Rngs) -> None:
        self.attention_norm = nnx.RMSNorm(cfg.dim, epsilon=cfg.norm_eps, rngs=rngs)
        self.attention = Attention(cfg, rngs=rngs)
        self.ffn_norm = nnx.RMSNorm(cfg.dim, epsilon=cfg.norm_eps, rngs=rngs)
        self.feed_forward = FeedForward(cfg, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        h = x + self.attention(self.attention_norm(x))
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nnx.Module):
    """``model(tokens)``: token ids ``(batch, time)`` -> next-token logits ``(batch, time, vocab)``."""

    def __init__(self, cfg: LlamaCfg, *, rngs: nnx.Rngs) -> None:
        self.tok_embeddings = nnx.Embed(cfg.vocab_size, cfg.dim, embedding_init=normal(cfg.dim ** -0.5), rngs=rngs)
        self.layers = nnx.List([TransformerBlock(cfg, rngs=rngs) for _ in range(cfg.n_layers)])
        self.norm = nnx.RMSNorm(cfg.dim, epsilon=cfg.norm_eps, rngs=rngs)
        self.output = nnx.Linear(cfg.dim, cfg.vocab_size, use_bias=False, kernel_init=lecun_normal, rngs=rngs)

    def __call__(self, tokens: Any) -> Any:
        h = self.tok_embeddings(tokens)
        for layer in self.layers:
            h = layer(h)
        return self.output(self.norm(h))


def flax_model(cfg: LlamaCfg, seed: int = 0) -> Transformer:
    return Transformer(cfg, rngs=nnx.Rngs(seed))


def hf_config(cfg: LlamaCfg) -> Any:
    """The transformers ``LlamaConfig`` of the same network (SDPA attention: the eager path
    computes the softmax in float32)."""
    from transformers import LlamaConfig

    config = LlamaConfig(vocab_size=cfg.vocab_size, hidden_size=cfg.dim, intermediate_size=cfg.hidden_dim,
                         num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads,
                         num_key_value_heads=cfg.n_kv_heads, hidden_act="silu", max_position_embeddings=cfg.max_seq_len,
                         rms_norm_eps=cfg.norm_eps, rope_parameters={"rope_type": "default", "rope_theta": cfg.rope_theta},
                         attention_bias=False, mlp_bias=False, tie_word_embeddings=False, attention_dropout=0.0)
    config._attn_implementation = "sdpa"
    return config


def torch_model(cfg: LlamaCfg) -> Any:
    """transformers' ``LlamaForCausalLM`` in train mode (its own initial weights)."""
    from transformers import LlamaForCausalLM

    return LlamaForCausalLM(hf_config(cfg)).train()


def _rotary_in_dtype() -> type:
    import torch

    class RotaryInDtype(torch.nn.Module):
        """transformers' default rotary tables ``(cos, sin)``, computed in the input's dtype."""

        def __init__(self, head_dim: int, theta: float) -> None:
            super().__init__()
            self.head_dim, self.theta = head_dim, theta

        def forward(self, x: Any, position_ids: Any) -> tuple[Any, Any]:
            inv_freq = 1.0 / (self.theta ** (torch.arange(0, self.head_dim, 2, dtype=x.dtype) / self.head_dim))
            freqs = position_ids[..., None].to(x.dtype) * inv_freq
            emb = torch.cat((freqs, freqs), dim=-1)
            return emb.cos(), emb.sin()

    return RotaryInDtype


def computing_in_dtype(model: Any) -> Any:
    """``model`` (a transformers Llama) with its ``LlamaRMSNorm``s replaced by
    ``torch.nn.RMSNorm`` (the same weight and eps) and its rotary embedding by one that
    computes the tables in the input's dtype: the same formulas, without transformers'
    float32 casts. In place; returns the model."""
    import torch
    from transformers.models.llama.modeling_llama import LlamaRMSNorm, LlamaRotaryEmbedding

    rotary_cls = _rotary_in_dtype()
    config = model.config
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, LlamaRMSNorm):
                norm = torch.nn.RMSNorm(child.weight.shape[0], eps=child.variance_epsilon, dtype=child.weight.dtype)
                with torch.no_grad():
                    norm.weight.copy_(child.weight)
                setattr(parent, name, norm)
            elif isinstance(child, LlamaRotaryEmbedding):
                setattr(parent, name, rotary_cls(head_dim, config.rope_parameters["rope_theta"]))
    return model
