"""A bottleneck ResNet in Flax NNX, written as public NNX model zoos write it, and the
transformers ``ResNetForImageClassification`` configuration that is the same network.

The layout and names follow jax-ml/bonsai's ``bonsai/models/resnet/modeling.py`` (a ``Stem``
with ``conv``/``bn`` and a max pool; groups ``layer0``, ``layer1``, ... of ``Bottleneck``
blocks in ``blocks``, each ``conv0``/``bn0`` .. ``conv2``/``bn2`` and an optional
``downsample`` with ``conv``/``bn``; the mean over H and W; ``fc``), channels last. The
torch twin names the same layers ``resnet.embedder.embedder.convolution``,
``resnet.encoder.stages.{s}.layers.{b}.layer.{j}.convolution``, ``.shortcut.convolution``,
``classifier.1`` and takes channels first: no name is shared.

Differences from bonsai, each to be transformers' network: the number of groups, their
widths and depths come from the configuration (bonsai fixes ResNet-50's 64..2048); the
batch norms train (``use_running_average=False``) with torch's statistics update
(``momentum=0.9`` keeps 0.9 of the old value, as torch's 0.1) and ``epsilon=1e-5``.

Example:
    >>> cfg = ResNetCfg.tiny()
    >>> nnx.eval_shape(lambda x: flax_model(cfg)(x), jnp.zeros((2, 32, 32, 3))).shape  # traced, not run
    (2, 3)
    >>> hf_config(cfg).hidden_sizes, hf_config(cfg).layer_type
    ([16, 32], 'bottleneck')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
from flax import nnx

from parity_tests.pairs.host_init import lecun_normal

__all__ = ["Bottleneck", "BlockGroup", "Downsample", "ResNet", "ResNetCfg", "Stem", "flax_model", "hf_config",
           "torch_model"]


@dataclass(frozen=True)
class ResNetCfg:
    """The network: ``widths[s]`` output channels of group ``s`` (its bottleneck is a quarter
    of it), ``depths[s]`` blocks; the stem's ``stem_width`` channels; ``num_classes``."""

    widths: tuple[int, ...]
    depths: tuple[int, ...]
    stem_width: int
    num_classes: int
    channels: int = 3

    @classmethod
    def tiny(cls) -> ResNetCfg:
        """Two groups of one block, 8..32 channels (the default suite)."""
        return cls(widths=(16, 32), depths=(1, 1), stem_width=8, num_classes=3)

    @classmethod
    def realistic(cls) -> ResNetCfg:
        """ResNet-18's widths and depths (64..512 channels, two blocks a group), in bottleneck blocks."""
        return cls(widths=(64, 128, 256, 512), depths=(2, 2, 2, 2), stem_width=64, num_classes=10)


def _conv(cin: int, cout: int, k: int, stride: int, rngs: nnx.Rngs) -> nnx.Conv:
    return nnx.Conv(cin, cout, kernel_size=(k, k), strides=stride, padding=k // 2, use_bias=False,
                    kernel_init=lecun_normal, rngs=rngs)


def _bn(c: int, rngs: nnx.Rngs) -> nnx.BatchNorm:
    return nnx.BatchNorm(c, use_running_average=False, momentum=0.9, epsilon=1e-5, rngs=rngs)


class Bottleneck(nnx.Module):
    """1x1 reduce, 3x3 (the stride), 1x1 expand; the residual through ``downsample`` when
    the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int, downsample: Downsample | None, *, rngs: nnx.Rngs) -> None:
        mid = cout // 4
        self.conv0, self.bn0 = _conv(cin, mid, 1, 1, rngs), _bn(mid, rngs)
        self.conv1, self.bn1 = _conv(mid, mid, 3, stride, rngs), _bn(mid, rngs)
        self.conv2, self.bn2 = _conv(mid, cout, 1, 1, rngs), _bn(cout, rngs)
        self.downsample = downsample

    def __call__(self, x: Any) -> Any:
        identity = x
        x = nnx.relu(self.bn0(self.conv0(x)))
        x = nnx.relu(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(x))
        if self.downsample is not None:
            identity = self.downsample(identity)
        return nnx.relu(x + identity)


class Downsample(nnx.Module):
    def __init__(self, cin: int, cout: int, stride: int, *, rngs: nnx.Rngs) -> None:
        self.conv, self.bn = _conv(cin, cout, 1, stride, rngs), _bn(cout, rngs)

    def __call__(self, x: Any) -> Any:
        return self.bn(self.conv(x))


class BlockGroup(nnx.Module):
    def __init__(self, cin: int, cout: int, depth: int, stride: int, *, rngs: nnx.Rngs) -> None:
        down = Downsample(cin, cout, stride, rngs=rngs) if stride != 1 or cin != cout else None
        self.blocks = nnx.List([Bottleneck(cin, cout, stride, down, rngs=rngs)]
                               + [Bottleneck(cout, cout, 1, None, rngs=rngs) for _ in range(depth - 1)])

    def __call__(self, x: Any) -> Any:
        for block in self.blocks:
            x = block(x)
        return x


class Stem(nnx.Module):
    def __init__(self, cin: int, cout: int, *, rngs: nnx.Rngs) -> None:
        self.conv = nnx.Conv(cin, cout, kernel_size=(7, 7), strides=2, padding=3, use_bias=False,
                             kernel_init=lecun_normal, rngs=rngs)
        self.bn = _bn(cout, rngs)

    def __call__(self, x: Any) -> Any:
        x = nnx.relu(self.bn(self.conv(x)))
        return nnx.max_pool(x, window_shape=(3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))


class ResNet(nnx.Module):
    """``model(images)``: images ``(batch, height, width, channels)`` -> logits."""

    def __init__(self, cfg: ResNetCfg, *, rngs: nnx.Rngs) -> None:
        self.stem = Stem(cfg.channels, cfg.stem_width, rngs=rngs)
        self.n_groups = len(cfg.widths)
        cin = cfg.stem_width
        for s, (width, depth) in enumerate(zip(cfg.widths, cfg.depths)):
            setattr(self, f"layer{s}", BlockGroup(cin, width, depth, 1 if s == 0 else 2, rngs=rngs))
            cin = width
        self.fc = nnx.Linear(cin, cfg.num_classes, kernel_init=lecun_normal, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        x = self.stem(x)
        for s in range(self.n_groups):
            x = getattr(self, f"layer{s}")(x)
        return self.fc(jnp.mean(x, axis=(1, 2)))


def flax_model(cfg: ResNetCfg, seed: int = 0) -> ResNet:
    return ResNet(cfg, rngs=nnx.Rngs(seed))


def hf_config(cfg: ResNetCfg) -> Any:
    """The transformers ``ResNetConfig`` of the same network (stride in the 3x3 convolution,
    the first group not downsampling: transformers' defaults, and bonsai's)."""
    from transformers import ResNetConfig

    return ResNetConfig(num_channels=cfg.channels, embedding_size=cfg.stem_width, hidden_sizes=list(cfg.widths),
                        depths=list(cfg.depths), layer_type="bottleneck", hidden_act="relu",
                        downsample_in_first_stage=False, downsample_in_bottleneck=False, num_labels=cfg.num_classes)


def torch_model(cfg: ResNetCfg) -> Any:
    """transformers' ``ResNetForImageClassification`` in train mode (its own initial weights)."""
    from transformers import ResNetForImageClassification

    return ResNetForImageClassification(hf_config(cfg)).train()
