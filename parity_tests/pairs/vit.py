"""A ViT classifier in Flax NNX, written as public NNX model zoos write it, and the
transformers ``ViTForImageClassification`` configuration that is the same network.

The layout and names follow jax-ml/bonsai's ``bonsai/models/vit/modeling.py``: an
``Embeddings`` module (held as ``pos_embeddings``) with the patch ``projection`` convolution
(kernel = stride = the patch), a ``cls_token`` and the position table ``pos_embeddings``;
``layers``, pre-LN ``TransformerEncoder`` blocks with ``layernorm_before``, an
``nnx.MultiHeadAttention`` ``attention`` (``query``/``key``/``value`` kernels ``(in, heads,
head_dim)``, ``out`` ``(heads, head_dim, out)``), ``layernorm_after`` and the MLP's
``linear1``/``linear2`` in the block itself; a final ``ln`` and the ``classifier`` on the
class token; channels last. transformers 5.x names the same layers
``vit.embeddings.patch_embeddings.projection``, ``vit.layers.{i}.attention.{q,k,v,o}_proj``
(separate ``Linear``s), ``vit.layers.{i}.mlp.fc1``/``fc2``, ``vit.layernorm``, takes channels
first and returns ``.logits``.

Differences from bonsai, each to be transformers' network: no dropout (transformers' rate
is 0); the MLP's GELU is exact (``gelu_approximate=False``; bonsai calls ``jax.nn.gelu``,
whose default is the tanh approximation, while transformers' ``hidden_act="gelu"`` is exact:
``gelu_approximate=True`` plants that difference); the attention's softmax in the inputs'
dtype (``warmup_parity.transformer.exact_attention``: Flax's default computes it in float32).

Example:
    >>> import jax.numpy as jnp
    >>> cfg = ViTCfg.tiny()
    >>> x = jnp.zeros((2, cfg.image_size, cfg.image_size, 3))
    >>> nnx.eval_shape(lambda x: flax_model(cfg)(x), x).shape  # traced, not run
    (2, 3)
    >>> hf_config(cfg).hidden_act, hf_config(cfg).layer_norm_eps
    ('gelu', 1e-12)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from parity_tests.pairs.host_init import lecun_normal, normal
from warmup_parity.transformer import exact_attention

__all__ = ["Embeddings", "TransformerEncoder", "ViTCfg", "ViTClassificationModel", "flax_model", "hf_config",
           "torch_model"]


@dataclass(frozen=True)
class ViTCfg:
    """The network (bonsai's ``ModelConfig`` fields, less the dropout rates)."""

    image_size: int
    patch_size: int
    hidden_dim: int
    num_heads: int
    mlp_dim: int
    num_layers: int
    num_labels: int
    num_channels: int = 3
    eps: float = 1e-12
    gelu_approximate: bool = False

    @classmethod
    def tiny(cls) -> ViTCfg:
        """8x8 images in 4 patches of 4x4, width 16, 2 heads, one block (the default suite)."""
        return cls(image_size=8, patch_size=4, hidden_dim=16, num_heads=2, mlp_dim=32, num_layers=1, num_labels=3)

    @classmethod
    def realistic(cls) -> ViTCfg:
        """ViT-S's depth and heads (12 blocks, 6 heads) at half its width (192), 32x32 images in 16 patches."""
        return cls(image_size=32, patch_size=8, hidden_dim=192, num_heads=6, mlp_dim=768, num_layers=12,
                   num_labels=10)


class Embeddings(nnx.Module):
    def __init__(self, cfg: ViTCfg, *, rngs: nnx.Rngs) -> None:
        num_patches = (cfg.image_size // cfg.patch_size) ** 2
        patch = (cfg.patch_size, cfg.patch_size)
        self.projection = nnx.Conv(cfg.num_channels, cfg.hidden_dim, kernel_size=patch, strides=patch,
                                   kernel_init=lecun_normal, rngs=rngs)
        self.cls_token = nnx.Param(normal(0.02)(rngs.params(), (1, 1, cfg.hidden_dim)))
        self.pos_embeddings = nnx.Param(normal(0.02)(rngs.params(), (1, num_patches + 1, cfg.hidden_dim)))

    def __call__(self, pixel_values: Any) -> Any:
        embeddings = self.projection(pixel_values)
        b, h, w, c = embeddings.shape
        embeddings = embeddings.reshape(b, h * w, c)
        cls_tokens = jnp.tile(self.cls_token[...], (b, 1, 1))
        return jnp.concatenate((cls_tokens, embeddings), axis=1) + self.pos_embeddings[...]


class TransformerEncoder(nnx.Module):
    def __init__(self, cfg: ViTCfg, *, rngs: nnx.Rngs) -> None:
        self.attention = nnx.MultiHeadAttention(num_heads=cfg.num_heads, in_features=cfg.hidden_dim, decode=False,
                                                attention_fn=exact_attention, kernel_init=lecun_normal, rngs=rngs)
        self.linear1 = nnx.Linear(cfg.hidden_dim, cfg.mlp_dim, kernel_init=lecun_normal, rngs=rngs)
        self.linear2 = nnx.Linear(cfg.mlp_dim, cfg.hidden_dim, kernel_init=lecun_normal, rngs=rngs)
        self.layernorm_before = nnx.LayerNorm(cfg.hidden_dim, epsilon=cfg.eps, rngs=rngs)
        self.layernorm_after = nnx.LayerNorm(cfg.hidden_dim, epsilon=cfg.eps, rngs=rngs)
        self.gelu_approximate = cfg.gelu_approximate

    def __call__(self, hidden_states: Any) -> Any:
        hidden_states = self.attention(self.layernorm_before(hidden_states)) + hidden_states
        layer_output = jax.nn.gelu(self.linear1(self.layernorm_after(hidden_states)),
                                   approximate=self.gelu_approximate)
        return self.linear2(layer_output) + hidden_states


class ViTClassificationModel(nnx.Module):
    """``model(images)``: images ``(batch, height, width, channels)`` -> logits."""

    def __init__(self, cfg: ViTCfg, *, rngs: nnx.Rngs) -> None:
        self.pos_embeddings = Embeddings(cfg, rngs=rngs)
        self.layers = nnx.List([TransformerEncoder(cfg, rngs=rngs) for _ in range(cfg.num_layers)])
        self.ln = nnx.LayerNorm(cfg.hidden_dim, epsilon=cfg.eps, rngs=rngs)
        self.classifier = nnx.Linear(cfg.hidden_dim, cfg.num_labels, kernel_init=lecun_normal, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        x = self.pos_embeddings(x)
        for layer in self.layers:
            x = layer(x)
        return self.classifier(self.ln(x)[:, 0, :])


def flax_model(cfg: ViTCfg, seed: int = 0) -> ViTClassificationModel:
    return ViTClassificationModel(cfg, rngs=nnx.Rngs(seed))


def hf_config(cfg: ViTCfg) -> Any:
    """The transformers ``ViTConfig`` of the same network (exact GELU, q/k/v biases, no
    dropout, SDPA attention: the eager path computes the softmax in float32)."""
    from transformers import ViTConfig

    config = ViTConfig(image_size=cfg.image_size, patch_size=cfg.patch_size, num_channels=cfg.num_channels,
                       hidden_size=cfg.hidden_dim, num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads,
                       intermediate_size=cfg.mlp_dim, hidden_act="gelu", layer_norm_eps=cfg.eps, qkv_bias=True,
                       hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, num_labels=cfg.num_labels)
    config._attn_implementation = "sdpa"
    return config


def torch_model(cfg: ViTCfg) -> Any:
    """transformers' ``ViTForImageClassification`` in train mode (its own initial weights)."""
    from transformers import ViTForImageClassification

    return ViTForImageClassification(hf_config(cfg)).train()
