"""``copy_weights``: every layer pair converted both ways (the outputs then agree to rounding in
float64), statistics included; every name or shape that does not match is a ``ValueError``
naming it; ``models.to_torch_layout`` (a ``State`` without its model) uses the same table."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

from parity_tests.pairs.host_init import lecun_normal, normal
from warmup_parity import copy_weights, models
from warmup_parity.twin import torch_layout, weight_map

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 5, 6))


@pytest.fixture(autouse=True)
def _float64():
    with jax.enable_x64(True):
        yield


def _kw():
    return {"param_dtype": jnp.float64, "rngs": nnx.Rngs(0)}


def _lk():
    """``_kw()`` for a layer with a kernel, drawn on the host: eagerly, Flax's default compiles a
    truncated normal for every new kernel shape (20 s over this file)."""
    return {**_kw(), "kernel_init": lecun_normal}


def _out(t):
    return (t[0] if isinstance(t, tuple) else t).detach().numpy()


def _seq_first(t):
    return torch.as_tensor(t).permute(0, 2, 1)


CASES = {
    # name: (flax layer, torch layer, flax input, torch input, torch output -> flax layout)
    "linear": (lambda: nnx.Linear(6, 4, **_lk()), lambda: torch.nn.Linear(6, 4), X, torch.as_tensor(X), None),
    "conv1d": (lambda: nnx.Conv(6, 4, kernel_size=3, padding="VALID", **_lk()), lambda: torch.nn.Conv1d(6, 4, 3), X,
               _seq_first(X), lambda o: o.transpose(0, 2, 1)),
    "conv2d_groups": (lambda: nnx.Conv(4, 6, kernel_size=(3, 2), feature_group_count=2, padding="VALID", **_lk()),
                      lambda: torch.nn.Conv2d(4, 6, (3, 2), groups=2), RNG.standard_normal((2, 7, 7, 4)),
                      None, lambda o: o.transpose(0, 2, 3, 1)),
    "layernorm": (lambda: nnx.LayerNorm(6, epsilon=1e-5, **_kw()), lambda: torch.nn.LayerNorm(6), X,
                  torch.as_tensor(X), None),
    "rmsnorm": (lambda: nnx.RMSNorm(6, epsilon=1e-6, **_kw()), lambda: torch.nn.RMSNorm(6, eps=1e-6), X,
                torch.as_tensor(X), None),
    "embed": (lambda: nnx.Embed(10, 4, **_kw(), embedding_init=normal(0.5)), lambda: torch.nn.Embedding(10, 4),
              RNG.integers(0, 10, (2, 3)),
              None, None),
    "batchnorm": (lambda: nnx.BatchNorm(6, momentum=0.9, use_running_average=True, **_kw()),
                  lambda: torch.nn.BatchNorm1d(6).eval(), X.reshape(-1, 6), None, None),
}


def _randomised(layer):
    """Every parameter and statistic random, so that a swapped or dropped tensor shows."""
    for _, var in nnx.iter_graph(layer):
        if isinstance(var, (nnx.Param, nnx.BatchStat)):
            value = RNG.uniform(0.5, 1.5, np.shape(var.get_value()))
            var.set_value(jnp.asarray(value, jnp.float64))
    return layer


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("to", ["torch", "flax"])
def test_each_layer_pair_converts_both_ways(name, to):
    make_f, make_t, xf, xt, back = CASES[name]
    flax_layer, torch_layer = make_f(), make_t().double()
    if name == "conv2d_groups":
        xt = torch.as_tensor(xf).permute(0, 3, 1, 2)
    if xt is None:
        xt = torch.as_tensor(xf)
    _randomised(flax_layer)  # float64 statistics too: nnx.BatchNorm keeps them in float32 whatever param_dtype
    if to == "flax":
        with torch.no_grad():
            for p in [*torch_layer.parameters(), *torch_layer.buffers()]:
                if p.is_floating_point():
                    p.copy_(torch.as_tensor(RNG.uniform(0.5, 1.5, tuple(p.shape))))
    wmap = copy_weights(flax_layer, torch_layer, to=to)
    got = _out(torch_layer(xt))
    got = back(got) if back is not None else got
    want = np.asarray(flax_layer(jnp.asarray(xf)))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert wmap.links and all(not link.one_sided for link in wmap.links)
    if name == "batchnorm":  # the running statistics travelled too, as statistics
        assert [(link.torch_name, link.kind) for link in wmap.stats()] == [("running_mean", "stat"),
                                                                          ("running_var", "stat")]
        np.testing.assert_array_equal(torch_layer.running_var.numpy(), np.asarray(flax_layer.var[...]))


def _mha_out(f, t, q, kv):
    want = np.asarray(f(q, kv, kv))
    got = t(torch.as_tensor(q), torch.as_tensor(kv), torch.as_tensor(kv), need_weights=False)[0].detach().numpy()
    return got, want


def test_attention_packs_q_k_v_and_unpacks_them():
    """The exact softmax (``exact_attention``): the default one computes in float32 (see
    test_transformer)."""
    from warmup_parity.transformer import exact_attention

    f = _randomised(nnx.MultiHeadAttention(2, 6, decode=False, attention_fn=exact_attention, **_lk()))
    t = torch.nn.MultiheadAttention(6, 2, batch_first=True).double()
    wmap = copy_weights(f, t)
    assert [(link.torch_name, link.flax_paths) for link in wmap.links] == [
        ("in_proj_weight", ("query.kernel", "key.kernel", "value.kernel")),
        ("in_proj_bias", ("query.bias", "key.bias", "value.bias")),
        ("out_proj.weight", ("out.kernel",)), ("out_proj.bias", ("out.bias",))]
    np.testing.assert_allclose(*_mha_out(f, t, X, X), rtol=1e-12, atol=1e-13)
    # and back: torch's weights into a fresh Flax layer
    f2 = nnx.MultiHeadAttention(2, 6, decode=False, attention_fn=exact_attention, param_dtype=jnp.float64,
                                rngs=nnx.Rngs(5), kernel_init=lecun_normal)
    copy_weights(f2, t, to="flax")
    for k in ("query", "key", "value", "out"):
        np.testing.assert_array_equal(np.asarray(getattr(f2, k).kernel[...]), np.asarray(getattr(f, k).kernel[...]))


def test_attention_with_other_key_and_value_widths_uses_separate_projections():
    from warmup_parity.transformer import exact_attention

    f = _randomised(nnx.MultiHeadAttention(2, 6, in_kv_features=3, decode=False, attention_fn=exact_attention,
                                           **_lk()))
    t = torch.nn.MultiheadAttention(6, 2, kdim=3, vdim=3, batch_first=True).double()
    wmap = copy_weights(f, t)
    assert [link.torch_name for link in wmap.links] == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                                        "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    np.testing.assert_allclose(*_mha_out(f, t, X, RNG.standard_normal((2, 4, 3))), rtol=1e-12, atol=1e-13)


class FlaxNested(nnx.Module):
    def __init__(self) -> None:
        rngs = nnx.Rngs(1)
        kw = {"param_dtype": jnp.float64, "rngs": rngs, "kernel_init": lecun_normal}
        self.seq = nnx.Sequential(nnx.Linear(6, 6, **kw), nnx.relu, nnx.Linear(6, 6, **kw))
        self.blocks = nnx.List([nnx.LayerNorm(6, epsilon=1e-5, param_dtype=jnp.float64, rngs=rngs)
                                for _ in range(2)])
        self.scale = nnx.Param(jnp.asarray(RNG.uniform(0.5, 1.5, (6,))))

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        return self.seq(x) * self.scale[...]


class TorchNested(torch.nn.Module):
    def __init__(self, seq: str = "seq") -> None:
        super().__init__()
        self.seq_name = seq
        setattr(self, seq, torch.nn.Sequential(torch.nn.Linear(6, 6), torch.nn.ReLU(), torch.nn.Linear(6, 6)))
        self.blocks = torch.nn.ModuleList([torch.nn.LayerNorm(6) for _ in range(2)])
        self.scale = torch.nn.Parameter(torch.ones(6))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return getattr(self, self.seq_name)(x) * self.scale


def test_containers_sequential_list_and_raw_parameters():
    f, t = FlaxNested(), TorchNested().double()
    wmap = copy_weights(f, t)
    assert [link.torch_name for link in wmap.params()] == [n for n, _ in t.named_parameters()]
    assert {link.torch_name: link.flax_paths for link in wmap.links}["seq.2.weight"] == ("seq.layers.2.kernel",)
    np.testing.assert_allclose(_out(t(torch.as_tensor(X))), np.asarray(f(jnp.asarray(X))), rtol=1e-12, atol=1e-13)


def test_a_mapping_renames_a_module_and_everything_under_it():
    f, t = FlaxNested(), TorchNested(seq="body").double()
    with pytest.raises(ValueError, match=r"Flax nnx.Linear 'seq.layers.0' has no torch module 'seq.0'"):
        copy_weights(f, t)
    copy_weights(f, t, mapping={"seq": "body"})
    np.testing.assert_allclose(_out(t(torch.as_tensor(X))), np.asarray(f(jnp.asarray(X))), rtol=1e-12, atol=1e-13)


MISTAKES = [
    ("a bias only torch has", lambda: nnx.Linear(6, 4, use_bias=False, **_lk()), lambda: torch.nn.Linear(6, 4),
     "copy_weights: torch 'bias' has no Flax counterpart (the Flax layer has no bias)"),
    ("a bias only Flax has", lambda: nnx.Linear(6, 4, **_lk()), lambda: torch.nn.Linear(6, 4, bias=False),
     "copy_weights: Flax 'bias' has no torch counterpart 'bias' (the torch layer has no bias)"),
    ("a shape", lambda: nnx.Linear(6, 4, **_lk()), lambda: torch.nn.Linear(6, 5),
     "copy_weights: shape: Flax 'kernel' (6, 4) -> (4, 6) (transposed) does not fit torch 'weight' (5, 6)"),
    ("a layer type", lambda: nnx.Linear(6, 4, **_lk()), lambda: torch.nn.Conv1d(6, 4, 1),
     "copy_weights: Flax nnx.Linear (the model) is torch nn.Conv1d (the model); expected nn.Linear"),
    ("a kernel rank", lambda: nnx.Conv(6, 4, kernel_size=(3, 3), **_lk()), lambda: torch.nn.Conv1d(6, 4, 3),
     "copy_weights: Flax nnx.Conv (the model): a 2-d kernel; torch nn.Conv1d is 1-d"),
    ("the heads", lambda: nnx.MultiHeadAttention(2, 6, decode=False, **_lk()),
     lambda: torch.nn.MultiheadAttention(6, 3, batch_first=True),
     "copy_weights: Flax nnx.MultiHeadAttention (the model): num_heads=2; torch has num_heads=3"),
    ("statistics torch does not keep", lambda: nnx.BatchNorm(6, **_kw()),
     lambda: torch.nn.BatchNorm1d(6, track_running_stats=False),
     "copy_weights: torch nn.BatchNorm1d (the model) has no 'running_mean'; torch nn.BatchNorm1d (the model) has "
     "no 'running_var'"),
]


@pytest.mark.parametrize("what,make_f,make_t,message", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_what_does_not_match_is_a_value_error_naming_it(what, make_f, make_t, message):
    f, t = make_f(), make_t().double()
    before = [p.detach().clone() for p in t.parameters()]
    with pytest.raises(ValueError) as err:
        copy_weights(f, t)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)
    assert all(torch.equal(a, b) for a, b in zip(before, t.parameters()))  # nothing copied


def test_unmatched_names_on_both_sides_and_an_unused_mapping_key():
    f, t = FlaxNested(), TorchNested(seq="sequential").double()
    with pytest.raises(ValueError) as err:
        copy_weights(f, t, mapping={"blocks.0": "blocks.0", "encoder": "enc"})
    text = str(err.value)
    assert "Flax nnx.Linear 'seq.layers.0' has no torch module 'seq.0' (did you mean 'sequential.0'?)" in text
    assert "torch 'sequential.0.weight' has no Flax counterpart" in text
    assert "mapping key 'encoder' matches no Flax module or variable" in text
    assert text.endswith("pass mapping={flax path: torch name} for names that differ")
    with pytest.raises(ValueError, match="copy_weights: to='jax' is invalid; expected 'torch' or 'flax'"):
        copy_weights(f, t, to="jax")


def test_a_bias_only_one_side_has_is_a_one_sided_link_for_compare():
    wmap = weight_map(nnx.Linear(6, 4, use_bias=False, **_lk()), torch.nn.Linear(6, 4))
    (bias,) = wmap.one_sided()
    assert (bias.torch_name, bias.in_torch, bias.in_flax, bias.fill) == ("bias", True, False, 0.0)


def test_to_torch_layout_of_a_state_is_the_same_conversion_inside_jit():
    """On the built-in transformer (embeddings, packed attention, LayerNorms, dense layers):
    the old helper overwrote a LayerNorm's bias with its scale; the table maps both."""
    f = models.build_flax("transformer", 8, 11, "float64", 0, 8)
    _randomised(f)
    traced = jax.jit(models.to_torch_layout)(nnx.state(f, nnx.Param))
    want = torch_layout(f)
    assert sorted(traced) == sorted(want)
    for name in want:
        np.testing.assert_array_equal(np.asarray(traced[name]), want[name])
    assert want["blocks.0.attn.in_proj_weight"].shape == (24, 8)
    np.testing.assert_array_equal(want["blocks.0.ln1.weight"], np.asarray(f.blocks[0].ln1.scale[...]))
    np.testing.assert_array_equal(want["blocks.0.ln1.bias"], np.asarray(f.blocks[0].ln1.bias[...]))
    # and the torch twin built from these weights computes the same logits
    t = models.build_torch("transformer", want, "float64")
    tokens = RNG.integers(0, 11, (2, 8))
    logits = nnx.jit(lambda m, x: m(x))(f, jnp.asarray(tokens))
    np.testing.assert_allclose(_out(t(torch.as_tensor(tokens))), np.asarray(logits), rtol=1e-11, atol=1e-12)


# --------------------------------------------------------------------------- issue 16: the twin's new layers


def _max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


@pytest.mark.parametrize("transpose_kernel", [False, True])
@pytest.mark.parametrize("to", ["torch", "flax"])
def test_conv_transpose_is_copied_with_its_spatial_axes_flipped(transpose_kernel, to):
    """Today's code copied a ConvTranspose kernel as a convolution's: 0.7-2 off at stride 2."""
    f = _randomised(nnx.ConvTranspose(2, 3, (3, 4), strides=2, padding="VALID", transpose_kernel=transpose_kernel,
                                      **_lk()))
    t = torch.nn.ConvTranspose2d(2, 3, (3, 4), stride=2).double()
    if to == "flax":
        with torch.no_grad():
            for p in t.parameters():
                p.copy_(torch.as_tensor(RNG.standard_normal(tuple(p.shape))))
    wmap = copy_weights(f, t, to=to)
    assert wmap.links[0].torch_name == "weight" and ("flipped" in wmap.links[0].layout) != transpose_kernel
    x = RNG.standard_normal((2, 5, 4, 2))
    got = _out(t(torch.as_tensor(x).permute(0, 3, 1, 2))).transpose(0, 2, 3, 1)
    want = np.asarray(f(jnp.asarray(x)))
    assert got.shape == want.shape == (2, 11, 10, 3)
    assert _max_diff(got, want) < 1e-14, _max_diff(got, want)


def test_group_norm_needs_no_mapping():
    f = _randomised(nnx.GroupNorm(6, num_groups=3, epsilon=1e-5, **_kw()))
    t = torch.nn.GroupNorm(3, 6).double()
    copy_weights(f, t)
    x = RNG.standard_normal((2, 4, 4, 6))
    got = _out(t(torch.as_tensor(x).permute(0, 3, 1, 2))).transpose(0, 2, 3, 1)
    assert _max_diff(got, f(jnp.asarray(x))) < 1e-14
    with pytest.raises(ValueError, match=r"num_groups=3; torch has num_groups=2"):
        copy_weights(f, torch.nn.GroupNorm(2, 6))


CONV_PADDINGS = [  # (rank, Flax padding, torch keyword arguments): every rank and every padding form once
    (1, "VALID", {"padding": 0}), (2, "SAME", {"padding": "same"}), (3, 1, {"padding": 1}),
    (2, "CIRCULAR", {"padding": 1, "padding_mode": "circular"}), (1, [(2, 0)], {"padding": 0}),
]


@pytest.mark.parametrize("dims,padding,torch_kw", CONV_PADDINGS, ids=[f"{p[0]}d-{p[1]}" for p in CONV_PADDINGS])
def test_convolutions_of_every_rank_groups_and_padding(dims, padding, torch_kw):
    """The kernel copies the same whatever the padding (an asymmetric one is torch's padding
    layer before the convolution)."""
    f = _randomised(nnx.Conv(4, 6, kernel_size=(3,) * dims, feature_group_count=2, padding=padding, **_lk()))
    t = getattr(torch.nn, f"Conv{dims}d")(4, 6, 3, groups=2, **torch_kw).double()
    copy_weights(f, t)
    x = RNG.standard_normal((2, *(5,) * dims, 4))
    xt = torch.as_tensor(np.moveaxis(x, -1, 1))
    if isinstance(padding, list):  # (2, 0): two before, none after
        xt = torch.nn.functional.pad(xt, (2, 0))
    got = np.moveaxis(_out(t(xt)), 1, -1)
    assert _max_diff(got, f(jnp.asarray(x))) < 1e-13


def test_tied_embedding_and_output_weights():
    class FlaxTied(nnx.Module):
        def __init__(self):
            self.embed = nnx.Embed(10, 4, **_kw(), embedding_init=normal(0.5))

        def __call__(self, tokens):
            return self.embed.attend(self.embed(tokens))

    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(10, 4)
            self.lm_head = torch.nn.Linear(4, 10, bias=False)
            self.lm_head.weight = self.embed.weight

        def forward(self, tokens):
            return self.lm_head(self.embed(tokens))

    f, t = _randomised(FlaxTied()), TorchTied().double()
    wmap = copy_weights(f, t)
    assert [(link.torch_name, link.flax_paths) for link in wmap.links] == [("embed.weight", ("embed.embedding",))]
    tokens = RNG.integers(0, 10, (2, 3))
    assert _max_diff(_out(t(torch.as_tensor(tokens))), f(jnp.asarray(tokens))) < 1e-13
    with torch.no_grad():
        t.embed.weight.mul_(2.0)
    copy_weights(f, t, to="flax")
    np.testing.assert_array_equal(np.asarray(f.embed.embedding[...]), t.lm_head.weight.detach().numpy())


def test_a_flax_layer_the_twin_does_not_know_is_an_error_naming_it():
    f = nnx.Einsum("bd,df->bf", (6, 4), (4,), **_lk())
    with pytest.raises(ValueError, match=r"^copy_weights: Flax nnx.Einsum \(the model\) is a layer the twin does "
                                         r"not know \(it knows nnx.MultiHeadAttention, nnx.Linear, .*nnx.GroupNorm"):
        copy_weights(f, torch.nn.Linear(6, 4))


# --------------------------------------------------------------------------- attention as transformers writes it


def _exact_gqa(query, key, value, bias=None, mask=None, **kwargs):
    """Exact softmax, each key/value head serving consecutive query heads (as HF ``repeat_kv``)."""
    rep = query.shape[-2] // key.shape[-2]
    key, value = jnp.repeat(key, rep, axis=-2), jnp.repeat(value, rep, axis=-2)
    weights = jax.nn.softmax(jnp.einsum("...qhd,...khd->...hqk", query / np.sqrt(query.shape[-1]), key), axis=-1)
    return jnp.einsum("...hqk,...khd->...qhd", weights, value)


class HFAttention(torch.nn.Module):
    """Attention as transformers' models write it (``LlamaAttention``, ``ViTAttention``): four
    ``nn.Linear`` projections, grouped-query heads through transformers' own ``repeat_kv``; the
    softmax in the inputs' dtype (transformers' eager one computes in float32)."""

    def __init__(self, dim, heads, kv_heads, bias):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.q_proj = torch.nn.Linear(dim, heads * self.head_dim, bias=bias)
        self.k_proj = torch.nn.Linear(dim, kv_heads * self.head_dim, bias=bias)
        self.v_proj = torch.nn.Linear(dim, kv_heads * self.head_dim, bias=bias)
        self.o_proj = torch.nn.Linear(heads * self.head_dim, dim, bias=bias)

    def forward(self, x):
        from transformers.models.llama.modeling_llama import repeat_kv

        b, s, _ = x.shape
        q, k, v = (p(x).view(b, s, -1, self.head_dim).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        k, v = repeat_kv(k, self.heads // self.kv_heads), repeat_kv(v, self.heads // self.kv_heads)
        w = torch.softmax(q @ k.transpose(2, 3) / self.head_dim ** 0.5, dim=-1)
        return self.o_proj((w @ v).transpose(1, 2).reshape(b, s, -1))


ATTENTION = [(2, 2, True), (4, 2, False), (4, 1, True)]  # (heads, kv heads, bias)


@pytest.mark.parametrize("heads,kv_heads,bias", ATTENTION, ids=["mha-bias", "gqa", "mqa-bias"])
@pytest.mark.parametrize("to", ["torch", "flax"])
def test_hf_attention_against_nnx_multi_head_attention(heads, kv_heads, bias, to):
    """Today: 'expected nn.MultiheadAttention'."""
    f = _randomised(nnx.MultiHeadAttention(heads, 8, num_kv_heads=kv_heads, use_bias=bias, decode=False,
                                           attention_fn=_exact_gqa, **_lk()))
    t = HFAttention(8, heads, kv_heads, bias).double()
    if to == "flax":
        with torch.no_grad():
            for p in t.parameters():
                p.copy_(torch.as_tensor(RNG.standard_normal(tuple(p.shape))))
    wmap = copy_weights(f, t, to=to)
    assert [link.torch_name for link in wmap.links][:2] == ["q_proj.weight", "q_proj.bias"] if bias else \
        [link.torch_name for link in wmap.links] == ["q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight"]
    x = RNG.standard_normal((2, 5, 8))
    assert _max_diff(_out(t(torch.as_tensor(x))), f(jnp.asarray(x))) < 1e-13


def test_transformers_own_attention_modules_are_recognised():
    from transformers import LlamaConfig, ViTConfig
    from transformers.models.llama.modeling_llama import LlamaAttention
    from transformers.models.vit.modeling_vit import ViTAttention

    vit = ViTAttention(ViTConfig(hidden_size=8, num_attention_heads=2, qkv_bias=True)).double()
    copy_weights(_randomised(nnx.MultiHeadAttention(2, 8, decode=False, **_lk())), vit)
    llama = LlamaAttention(LlamaConfig(hidden_size=8, num_attention_heads=4, num_key_value_heads=2), 0).double()
    f = _randomised(nnx.MultiHeadAttention(4, 8, num_kv_heads=2, use_bias=False, decode=False, **_lk()))
    copy_weights(f, llama)
    np.testing.assert_array_equal(llama.k_proj.weight.detach().numpy(), np.asarray(f.key.kernel[...]).reshape(8, 4).T)


class OnePlusRMSNorm(torch.nn.Module):
    """Gemma's RMSNorm: ``x * (1 + weight)``, not an RMSNorm of weight ``weight``."""

    def __init__(self, d):
        super().__init__()
        self.weight, self.eps = torch.nn.Parameter(torch.zeros(d)), 1e-6

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * (1 + self.weight)


def test_transformers_own_norm_classes_are_read_by_what_they_compute():
    from transformers.models.llama.modeling_llama import LlamaRMSNorm
    from transformers.models.t5.modeling_t5 import T5LayerNorm

    for norm in (LlamaRMSNorm(6, eps=1e-5), T5LayerNorm(6, eps=1e-5)):
        f, t = _randomised(nnx.RMSNorm(6, epsilon=1e-5, **_kw())), norm.double()
        copy_weights(f, t)
        x = RNG.standard_normal((2, 6))
        np.testing.assert_array_equal(t.weight.detach().numpy(), np.asarray(f.scale[...]))
        assert _max_diff(_out(t(torch.as_tensor(x))), f(jnp.asarray(x))) < 1e-6  # they compute in float32
    with pytest.raises(ValueError, match=r"Flax nnx.RMSNorm \(the model\) is torch OnePlusRMSNorm \(the model\); "
                                         r"expected nn.RMSNorm or a module computing it"):
        copy_weights(nnx.RMSNorm(6, **_kw()), OnePlusRMSNorm(6))


def test_a_variable_of_your_own_is_copied_as_it_is_only_into_a_layer_of_the_same_layout():
    class Own(nnx.Module):
        def __init__(self, shape):
            self.weight = nnx.Param(jnp.asarray(RNG.standard_normal(shape)))

    class Model(nnx.Module):
        def __init__(self):
            self.norm, self.lin = Own((3,)), Own((3, 3))

    t = torch.nn.ModuleDict({"norm": torch.nn.LayerNorm(3, bias=False), "lin": torch.nn.Linear(3, 3, bias=False)})
    with pytest.raises(ValueError, match=r"^copy_weights: Flax 'lin.weight' \(a variable of Own\) would be copied as "
                                         r"it is into torch 'lin.weight' of nn.Linear, whose layout"):
        copy_weights(Model(), t)
    t = torch.nn.ModuleDict({"norm": torch.nn.LayerNorm(3, bias=False)})
    f = Model()
    del f.lin
    copy_weights(f, t.double())
    np.testing.assert_array_equal(t.norm.weight.detach().numpy(), np.asarray(f.norm.weight[...]))


class LinearAttention(nnx.Module):
    """NNX attention written with four ``nnx.Linear`` (as public NNX zoos write it)."""

    def __init__(self, dim, heads, kv_heads):
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.query = nnx.Linear(dim, dim, **_lk())
        self.key = nnx.Linear(dim, kv_heads * self.head_dim, **_lk())
        self.value = nnx.Linear(dim, kv_heads * self.head_dim, **_lk())
        self.out = nnx.Linear(dim, dim, **_lk())

    def __call__(self, x):
        split = [p(x).reshape(*x.shape[:-1], -1, self.head_dim) for p in (self.query, self.key, self.value)]
        return self.out(_exact_gqa(*split).reshape(x.shape))


def test_hf_attention_against_nnx_attention_of_separate_linears():
    f, t = _randomised(LinearAttention(8, 4, 2)), HFAttention(8, 4, 2, True).double()
    wmap = copy_weights(f, t)
    assert wmap.torch_module("query") == "q_proj" and wmap.torch_module("out") == "o_proj"
    x = RNG.standard_normal((2, 5, 8))
    assert _max_diff(_out(t(torch.as_tensor(x))), f(jnp.asarray(x))) < 1e-13
    # and a packed torch nn.MultiheadAttention keeps working (test_attention_packs_q_k_v_and_unpacks_them)


# --------------------------------------------------------------------------- converters: layers of your own


class Einsum(nnx.Module):
    """A public NNX LLM's einsum layer: one raw kernel ``w``."""

    def __init__(self, shape):
        self.w = nnx.Param(jnp.asarray(RNG.standard_normal(shape)))


class EinsumAttention(nnx.Module):
    """Gemma-style: ``q_einsum`` (heads, dim, head_dim), packed ``kv_einsum`` (2, kv_heads, dim,
    head_dim), ``attn_vec_einsum`` (heads, head_dim, dim)."""

    def __init__(self, dim, heads, kv_heads):
        hd = dim // heads
        self.q_einsum = Einsum((heads, dim, hd))
        self.kv_einsum = Einsum((2, kv_heads, dim, hd))
        self.attn_vec_einsum = Einsum((heads, hd, dim))

    def __call__(self, x):
        q = jnp.einsum("bsd,hdk->bshk", x, self.q_einsum.w[...])
        k, v = jnp.einsum("bsd,chdk->cbshk", x, self.kv_einsum.w[...])
        return jnp.einsum("bshk,hkd->bsd", _exact_gqa(q, k, v), self.attn_vec_einsum.w[...])


def _gemma_converters(dim, heads, kv_heads):
    hd = dim // heads
    return {
        r"(.*)q_einsum\.w": ([r"\1q_proj.weight"], lambda w: [w.transpose(0, 2, 1).reshape(-1, dim)],
                             lambda ts: ts[0].reshape(heads, hd, dim).transpose(0, 2, 1)),
        r"(.*)kv_einsum\.w": ([r"\1k_proj.weight", r"\1v_proj.weight"],
                              lambda w: [w[i].transpose(0, 2, 1).reshape(-1, dim) for i in (0, 1)],
                              lambda ts: np.stack([t.reshape(kv_heads, hd, dim).transpose(0, 2, 1) for t in ts])),
        r"(.*)attn_vec_einsum\.w": ([r"\1o_proj.weight"], lambda w: [w.reshape(-1, dim).T],
                                    lambda ts: ts[0].T.reshape(heads, hd, dim)),
    }


def test_converters_copy_a_custom_layer_both_ways():
    f, t = EinsumAttention(8, 4, 2), HFAttention(8, 4, 2, False).double()
    converters = _gemma_converters(8, 4, 2)
    wmap = copy_weights(f, t, converters=converters)
    assert [(link.torch_name, link.flax_paths) for link in wmap.links] == [
        ("q_proj.weight", ("q_einsum.w",)), ("k_proj.weight", ("kv_einsum.w",)),
        ("v_proj.weight", ("kv_einsum.w",)), ("o_proj.weight", ("attn_vec_einsum.w",))]
    x = RNG.standard_normal((2, 5, 8))
    assert _max_diff(_out(t(torch.as_tensor(x))), f(jnp.asarray(x))) < 1e-13
    f2 = EinsumAttention(8, 4, 2)  # other weights, then torch's back
    copy_weights(f2, t, to="flax", converters=converters)
    for name in ("q_einsum", "kv_einsum", "attn_vec_einsum"):
        np.testing.assert_array_equal(np.asarray(getattr(f2, name).w[...]), np.asarray(getattr(f, name).w[...]))
    with pytest.raises(ValueError, match=r"converters\['(.*)q_einsum\\\\.w'\]: Flax 'q_einsum.w' -> torch "
                                         r"'q_proj.kernel', which the torch model does not have"):
        copy_weights(f, t, converters={**converters, r"(.*)q_einsum\.w": ([r"\1q_proj.kernel"], *converters[
            r"(.*)q_einsum\.w"][1:])})
    with pytest.raises(ValueError, match=r"converters=\{'x': 'y'\} is invalid"):
        copy_weights(f, t, converters={"x": "y"})


# --------------------------------------------------------------------------- mapping without a table


class FlaxMLP(nnx.Module):
    """Names unlike torch's; ``b`` is called before ``a`` (Flax lists its attributes sorted)."""

    def __init__(self):
        self.stem = nnx.Linear(4, 8, **_lk())
        self.b = nnx.Linear(8, 8, **_lk())
        self.a = nnx.Linear(8, 8, **_lk())
        self.norm = nnx.LayerNorm(8, epsilon=1e-5, **_kw())
        self.head = nnx.Linear(8, 2, **_lk())

    def __call__(self, x):
        return self.head(self.norm(self.a(jnp.tanh(self.b(jnp.tanh(self.stem(x)))))))


def _torch_mlp():
    tnn = torch.nn
    return tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 8), tnn.Tanh(), tnn.Linear(8, 8),
                          tnn.LayerNorm(8), tnn.Linear(8, 2)).double()


def test_structural_mapping_pairs_by_kind_shape_and_call_order():
    f, t = _randomised(FlaxMLP()), _torch_mlp()
    x = RNG.standard_normal((3, 4))
    with pytest.raises(ValueError) as err:
        copy_weights(f, t)
    text = str(err.value)
    assert text.startswith("copy_weights: by name: Flax nnx.Linear 'a' has no torch module 'a'")
    assert ("by structure: structural pairing: ambiguous: Flax 'a', 'b' and torch '2', '4' are all Linear "
            "[(8,), (8, 8)]; pass example= (an input: they are paired in call order) or mapping=") in text
    wmap = copy_weights(f, t, example=x)
    assert dict(wmap.pairing) == {"stem": "0", "b": "2", "a": "4", "norm": "5", "head": "6"}
    ours = _out(t(torch.as_tensor(x)))  # float64 outputs near 10: 1e-13 of their size is ~50 ulps (LayerNorm's sums)
    assert _max_diff(ours, f(jnp.asarray(x))) < 1e-13 * max(1.0, float(np.max(np.abs(ours))))


def test_pairing_in_call_order_leaves_both_models_as_they_were():
    """The call-order forward on ``example`` changes neither model: before, the Flax model's
    batch statistics took the example's batch (mean -0.005 after one call here), its dropout's
    RNG count moved on, and torch's ``running_mean`` and ``num_batches_tracked`` moved too."""

    tnn = torch.nn

    class Flax(nnx.Module):
        def __init__(self):
            rngs = nnx.Rngs(0)
            self.a, self.b = nnx.Linear(4, 4, rngs=rngs), nnx.Linear(4, 4, rngs=rngs)
            self.bn, self.drop = nnx.BatchNorm(4, rngs=rngs), nnx.Dropout(0.5, rngs=rngs)

        def __call__(self, x):
            return self.b(self.drop(self.bn(self.a(x))))

    class Torch(tnn.Module):
        def __init__(self):
            super().__init__()
            self.first, self.norm, self.drop, self.second = tnn.Linear(4, 4), tnn.BatchNorm1d(4), tnn.Dropout(0.5), \
                tnn.Linear(4, 4)

        def forward(self, x):
            return self.second(self.drop(self.norm(self.first(x))))

    def _values(model):  # every variable; an RNG key as its key data
        return {p: np.asarray(jax.random.key_data(v) if jnp.issubdtype(v.dtype, jax.dtypes.prng_key) else v)
                for p, v in ((p, v.get_value()) for p, v in nnx.to_flat_state(nnx.state(model)))}

    f, t = Flax(), Torch()
    x = RNG.standard_normal((8, 4)).astype(np.float32) + 3.0
    flax_before = _values(f)
    torch_rng = torch.random.get_rng_state()
    wmap = copy_weights(f, t, example=x)
    assert dict(wmap.pairing) == {"a": "first", "bn": "norm", "b": "second"}
    flax_after = _values(f)
    assert flax_after.keys() == flax_before.keys() and ("drop", "rngs", "count") in flax_after
    for p in flax_before:
        np.testing.assert_array_equal(flax_after[p], flax_before[p], err_msg=str(p))
    assert int(t.norm.num_batches_tracked) == 0
    np.testing.assert_array_equal(t.norm.running_mean.numpy(), np.zeros(4, np.float32))  # Flax's, copied
    np.testing.assert_array_equal(t.norm.running_var.numpy(), np.ones(4, np.float32))
    assert torch.equal(torch.random.get_rng_state(), torch_rng)


def test_structural_pairing_pairs_raw_parameters_by_shape_and_the_modules_holding_them():
    class FlaxBlock(nnx.Module):
        def __init__(self):
            self.up, self.down = nnx.Linear(4, 8, **_lk()), nnx.Linear(8, 4, **_lk())

        def __call__(self, x):
            return self.down(jnp.tanh(self.up(x)))

    class FlaxModel(nnx.Module):
        def __init__(self):
            self.blk = FlaxBlock()
            self.shift = nnx.Param(jnp.asarray(RNG.standard_normal((1, 4))))
            self.head = nnx.Linear(4, 2, **_lk())

        def __call__(self, x):
            return self.head(self.blk(x + self.shift[...]))

    class TorchModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.offset = torch.nn.Parameter(torch.zeros(1, 4))
            self.body = torch.nn.ModuleDict({"mlp": torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                                                                        torch.nn.Linear(8, 4))})
            self.out = torch.nn.Linear(4, 2)

        def forward(self, x):
            return self.out(self.body["mlp"](x + self.offset))

    f, t = _randomised(FlaxModel()), TorchModel().double()
    wmap = copy_weights(f, t)
    assert dict(wmap.pairing) == {"blk.up": "body.mlp.0", "blk.down": "body.mlp.2", "head": "out",
                                  "shift": "offset", "blk": "body.mlp"}  # the innermost of body and body.mlp
    x = RNG.standard_normal((3, 4))
    assert _max_diff(_out(t(torch.as_tensor(x))), f(jnp.asarray(x))) < 1e-13


def test_structural_mapping_names_what_has_no_twin():
    t = torch.nn.Sequential(*list(_torch_mlp())[:-1])  # no head
    with pytest.raises(ValueError, match=r"by structure: structural pairing: Flax has 1 Linear \[\(2,\), \(2, 8\)\] "
                                         r"\('head'\), torch 0 \(none\)"):
        copy_weights(FlaxMLP(), t, example=RNG.standard_normal((3, 4)))


def test_regex_mapping_with_groups():
    class FlaxStages(nnx.Module):
        def __init__(self):
            self.blocks = nnx.List([nnx.Linear(6, 6, **_lk()) for _ in range(3)])

        def __call__(self, x):
            for b in self.blocks:
                x = jnp.tanh(b(x))
            return x

    class Stage(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = torch.nn.Linear(6, 6)

    class TorchStages(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = torch.nn.ModuleList([Stage() for _ in range(3)])

        def forward(self, x):
            for s in self.stages:
                x = torch.tanh(s.dense(x))
            return x

    f, t = _randomised(FlaxStages()), TorchStages().double()
    wmap = copy_weights(f, t, mapping={r"blocks\.(\d+)": r"stages.\1.dense"})
    assert wmap.torch_module("blocks.2") == "stages.2.dense" and not wmap.pairing
    assert _max_diff(_out(t(torch.as_tensor(X))), f(jnp.asarray(X))) < 1e-13
    with pytest.raises(ValueError, match=r"mapping key '\(' is invalid; expected a regular expression"):
        copy_weights(f, t, mapping={"(": "x"})


@pytest.mark.slow
def test_compare_pairs_by_structure_in_the_first_batchs_call_order():
    from warmup_parity import compare

    cfg = {"schedule": "warmup_cosine_decay", "peak_value": 1e-2, "warmup_steps": 2, "total_steps": 4}
    batches = [(RNG.standard_normal((3, 4)), RNG.standard_normal((3, 2))) for _ in range(4)]
    report = compare(FlaxMLP(), _torch_mlp(), batches, loss="mse", optimizer={"name": "adamw"}, schedule=cfg)
    assert report.passed, str(report)


def test_compare_takes_converters():
    from warmup_parity import compare

    cfg = {"schedule": "warmup_cosine_decay", "peak_value": 1e-2, "warmup_steps": 2, "total_steps": 4}
    x = RNG.standard_normal((2, 5, 8))
    report = compare(EinsumAttention(8, 4, 2), HFAttention(8, 4, 2, False), [(x, x)] * 3, loss="mse",
                     optimizer={"name": "adamw"}, schedule=cfg, converters=_gemma_converters(8, 4, 2))
    assert report.passed, str(report)


# --------------------------------------------------------------------------- Flax Linen through nnx.bridge


def test_a_linen_model_through_nnx_bridge():
    """Linen layers stand for their NNX kinds: by the automatic names (``Dense_0``), and by one
    traced call (``example=``) for the layers a model names itself."""
    from flax import linen

    class LinenNet(linen.Module):
        name_first: bool = False

        @linen.compact
        def __call__(self, x):
            x = linen.Conv(4, (3, 3), padding="VALID", name="stem" if self.name_first else None,
                           param_dtype=jnp.float64)(x)
            x = linen.GroupNorm(num_groups=2, epsilon=1e-5, param_dtype=jnp.float64)(x)
            return linen.Dense(3, param_dtype=jnp.float64)(x.reshape(x.shape[0], -1))

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.Conv_0, self.GroupNorm_0, self.Dense_0 = (torch.nn.Conv2d(2, 4, 3), torch.nn.GroupNorm(2, 4),
                                                           torch.nn.Linear(36, 3))

        def forward(self, x):  # NHWC in, flattened in NHWC order as Linen does
            h = self.GroupNorm_0(self.Conv_0(x.permute(0, 3, 1, 2))).permute(0, 2, 3, 1)
            return self.Dense_0(h.reshape(h.shape[0], -1))

    x = RNG.standard_normal((2, 5, 5, 2))
    f = _randomised(nnx.bridge.ToNNX(LinenNet(), rngs=nnx.Rngs(0)).lazy_init(jnp.asarray(x)))
    t = TorchNet().double()
    wmap = copy_weights(f, t)
    assert wmap.links[0].layout == "conv kernel (*k, in, out) -> (out, in, *k)"
    assert _max_diff(_out(t(torch.as_tensor(x))), f(jnp.asarray(x))) < 1e-13
    named = _randomised(nnx.bridge.ToNNX(LinenNet(name_first=True), rngs=nnx.Rngs(0)).lazy_init(jnp.asarray(x)))
    with pytest.raises(ValueError, match=r"Flax 'stem.kernel' belongs to a Linen layer of a type the twin does not "
                                         r"know"):
        copy_weights(named, t, mapping={"stem": "Conv_0"})
    copy_weights(named, t, mapping={"stem": "Conv_0"}, example=x)
    assert _max_diff(_out(t(torch.as_tensor(x))), named(jnp.asarray(x))) < 1e-13
    # a Linen variables dict, through from_linen and back
    from warmup_parity.twin.linen import from_linen, linen_variables

    variables = LinenNet().init(jax.random.key(1), jnp.asarray(x))
    model = from_linen(LinenNet(), variables)
    copy_weights(model, t, to="flax")
    got = LinenNet().apply(linen_variables(model), jnp.asarray(x))
    assert _max_diff(_out(t(torch.as_tensor(x))), got) < 1e-13


def test_the_linen_layers_call_on_example_leaves_the_model_as_it_was():
    """The call that finds a bridged Linen model's layers on ``example`` is traced: the batch
    statistics are the model's own after ``copy_weights`` (an eager call took the example's
    batch into them: mean 0.015 instead of 0 in its first feature here)."""
    from flax import linen

    class LinenNet(linen.Module):
        @linen.compact
        def __call__(self, x):
            x = linen.Dense(4, name="proj", param_dtype=jnp.float64)(x)
            return linen.BatchNorm(use_running_average=False, name="norm", param_dtype=jnp.float64)(x)

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj, self.norm = torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)

        def forward(self, x):
            return self.norm(self.proj(x))

    x = RNG.standard_normal((6, 3)) + 1.0
    f = nnx.bridge.ToNNX(LinenNet(), rngs=nnx.Rngs(0)).lazy_init(jnp.asarray(x))
    before = {p: np.asarray(v.get_value()) for p, v in nnx.to_flat_state(nnx.state(f, nnx.BatchStat))}
    assert len(before) == 2
    t = TorchNet().double()
    copy_weights(f, t, mapping={"proj": "proj", "norm": "norm"}, example=x,
                 flax_forward=lambda m, v: m(v, mutable=True))  # a bridged model updating its statistics
    for p, v in nnx.to_flat_state(nnx.state(f, nnx.BatchStat)):
        np.testing.assert_array_equal(np.asarray(v.get_value()), before[p], err_msg=str(p))
    np.testing.assert_array_equal(t.norm.running_mean.numpy(), before[("norm", "mean")])
