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


def _out(t):
    return (t[0] if isinstance(t, tuple) else t).detach().numpy()


def _seq_first(t):
    return torch.as_tensor(t).permute(0, 2, 1)


CASES = {
    # name: (flax layer, torch layer, flax input, torch input, torch output -> flax layout)
    "linear": (lambda: nnx.Linear(6, 4, **_kw()), lambda: torch.nn.Linear(6, 4), X, torch.as_tensor(X), None),
    "conv1d": (lambda: nnx.Conv(6, 4, kernel_size=3, padding="VALID", **_kw()), lambda: torch.nn.Conv1d(6, 4, 3), X,
               _seq_first(X), lambda o: o.transpose(0, 2, 1)),
    "conv2d_groups": (lambda: nnx.Conv(4, 6, kernel_size=(3, 2), feature_group_count=2, padding="VALID", **_kw()),
                      lambda: torch.nn.Conv2d(4, 6, (3, 2), groups=2), RNG.standard_normal((2, 7, 7, 4)),
                      None, lambda o: o.transpose(0, 2, 3, 1)),
    "layernorm": (lambda: nnx.LayerNorm(6, epsilon=1e-5, **_kw()), lambda: torch.nn.LayerNorm(6), X,
                  torch.as_tensor(X), None),
    "rmsnorm": (lambda: nnx.RMSNorm(6, epsilon=1e-6, **_kw()), lambda: torch.nn.RMSNorm(6, eps=1e-6), X,
                torch.as_tensor(X), None),
    "embed": (lambda: nnx.Embed(10, 4, **_kw()), lambda: torch.nn.Embedding(10, 4), RNG.integers(0, 10, (2, 3)),
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

    f = _randomised(nnx.MultiHeadAttention(2, 6, decode=False, attention_fn=exact_attention, **_kw()))
    t = torch.nn.MultiheadAttention(6, 2, batch_first=True).double()
    wmap = copy_weights(f, t)
    assert [(link.torch_name, link.flax_paths) for link in wmap.links] == [
        ("in_proj_weight", ("query.kernel", "key.kernel", "value.kernel")),
        ("in_proj_bias", ("query.bias", "key.bias", "value.bias")),
        ("out_proj.weight", ("out.kernel",)), ("out_proj.bias", ("out.bias",))]
    np.testing.assert_allclose(*_mha_out(f, t, X, X), rtol=1e-12, atol=1e-13)
    # and back: torch's weights into a fresh Flax layer
    f2 = nnx.MultiHeadAttention(2, 6, decode=False, attention_fn=exact_attention, param_dtype=jnp.float64,
                                rngs=nnx.Rngs(5))
    copy_weights(f2, t, to="flax")
    for k in ("query", "key", "value", "out"):
        np.testing.assert_array_equal(np.asarray(getattr(f2, k).kernel[...]), np.asarray(getattr(f, k).kernel[...]))


def test_attention_with_other_key_and_value_widths_uses_separate_projections():
    from warmup_parity.transformer import exact_attention

    f = _randomised(nnx.MultiHeadAttention(2, 6, in_kv_features=3, decode=False, attention_fn=exact_attention,
                                           **_kw()))
    t = torch.nn.MultiheadAttention(6, 2, kdim=3, vdim=3, batch_first=True).double()
    wmap = copy_weights(f, t)
    assert [link.torch_name for link in wmap.links] == ["q_proj_weight", "k_proj_weight", "v_proj_weight",
                                                        "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    np.testing.assert_allclose(*_mha_out(f, t, X, RNG.standard_normal((2, 4, 3))), rtol=1e-12, atol=1e-13)


class FlaxNested(nnx.Module):
    def __init__(self) -> None:
        rngs = nnx.Rngs(1)
        self.seq = nnx.Sequential(nnx.Linear(6, 6, param_dtype=jnp.float64, rngs=rngs), nnx.relu,
                                  nnx.Linear(6, 6, param_dtype=jnp.float64, rngs=rngs))
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
    ("a bias only torch has", lambda: nnx.Linear(6, 4, use_bias=False, **_kw()), lambda: torch.nn.Linear(6, 4),
     "copy_weights: torch 'bias' has no Flax counterpart (the Flax layer has no bias)"),
    ("a bias only Flax has", lambda: nnx.Linear(6, 4, **_kw()), lambda: torch.nn.Linear(6, 4, bias=False),
     "copy_weights: Flax 'bias' has no torch counterpart 'bias' (the torch layer has no bias)"),
    ("a shape", lambda: nnx.Linear(6, 4, **_kw()), lambda: torch.nn.Linear(6, 5),
     "copy_weights: shape: Flax 'kernel' (6, 4) -> (4, 6) (transposed) does not fit torch 'weight' (5, 6)"),
    ("a layer type", lambda: nnx.Linear(6, 4, **_kw()), lambda: torch.nn.Conv1d(6, 4, 1),
     "copy_weights: Flax nnx.Linear (the model) is torch nn.Conv1d (the model); expected nn.Linear"),
    ("a kernel rank", lambda: nnx.Conv(6, 4, kernel_size=(3, 3), **_kw()), lambda: torch.nn.Conv1d(6, 4, 3),
     "copy_weights: Flax nnx.Conv (the model): a 2-d kernel; torch nn.Conv1d is 1-d"),
    ("the heads", lambda: nnx.MultiHeadAttention(2, 6, decode=False, **_kw()),
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
    wmap = weight_map(nnx.Linear(6, 4, use_bias=False, **_kw()), torch.nn.Linear(6, 4))
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
