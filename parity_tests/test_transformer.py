"""The decoder-only Transformer pair (``warmup_parity.transformer``) and its text data: the two
sides compute the same logits, pre-LN and post-LN, causally; the Flax attention trap; the
key bias whose gradient is rounding noise; the pair through ``warmup-parity run``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

from warmup_parity import compare, copy_weights
from warmup_parity.data import batch_indices, text, text_corpus
from warmup_parity.runner import RunConfig, run
from warmup_parity.transformer import FlaxTransformer, TorchTransformer, TransformerConfig, build_pair

TOKENS = np.random.default_rng(0).integers(0, 13, (3, 10))


def _logits(flax_model, torch_model, tokens=TOKENS):
    forward = nnx.jit(lambda m, x: m(x))  # one compilation, not one per operation
    return np.asarray(forward(flax_model, jnp.asarray(tokens))), torch_model(torch.as_tensor(tokens)).detach().numpy()


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_both_sides_compute_the_same_logits(norm):
    cfg = TransformerConfig(vocab_size=13, seq_len=10, d_model=16, n_heads=4, n_layers=2, norm=norm)
    with jax.enable_x64(True):
        f64 = _rel(*_logits(*build_pair(cfg, "float64", seed=1)))
    f32 = _rel(*_logits(*build_pair(cfg, "float32", seed=1)))
    assert f64 <= 1e-14 and f32 <= 1e-6, (f64, f32)


def test_post_ln_has_no_final_norm_and_pre_ln_has_one():
    names = {norm: {n for n, _ in TorchTransformer(TransformerConfig(13, norm=norm)).named_modules()}
             for norm in ("pre", "post")}
    assert "ln_f" in names["pre"] and "ln_f" not in names["post"]


def test_attention_is_causal_in_both():
    cfg = TransformerConfig(vocab_size=13, seq_len=10, d_model=16, n_heads=2, n_layers=1)
    with jax.enable_x64(True):
        f, t = build_pair(cfg, "float64")
        changed = TOKENS.copy()
        changed[:, 6:] = (changed[:, 6:] + 1) % 13
        for side in range(2):
            a, b = _logits(f, t)[side], _logits(f, t, changed)[side]
            np.testing.assert_array_equal(a[:, :6], b[:, :6])
            assert np.abs(a[:, 6:] - b[:, 6:]).min() > 0


def test_flax_default_attention_computes_its_softmax_in_float32():
    """``nnx.MultiHeadAttention``'s default attention_fn goes through
    ``jax.nn.dot_product_attention`` (no dropout): float32 softmax even for float64 inputs."""
    with jax.enable_x64(True):
        x = np.random.default_rng(1).standard_normal((2, 7, 8))
        default = nnx.MultiHeadAttention(2, 8, decode=False, param_dtype=jnp.float64, rngs=nnx.Rngs(0))
        torch_mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
        copy_weights(default, torch_mha)
        want = torch_mha(*(torch.as_tensor(x),) * 3, need_weights=False)[0].detach().numpy()
        assert 1e-9 < _rel(np.asarray(default(x)), want) < 1e-5
        from warmup_parity.transformer import exact_attention

        default.attention_fn = exact_attention
        assert _rel(np.asarray(default(x)), want) < 1e-14


def test_the_attention_key_bias_is_rounding_noise_that_adam_amplifies_in_float32():
    """With attention biases, float32 runs part in the key bias alone (its gradient is exactly 0
    mathematically); compare names it and says why. (Without them, the default, float32 runs
    agree: the warmup experiment's points at small lrs.)"""
    ds = text(seq_len=8)
    idx = batch_indices(len(ds.x), 4, 10, seed=0)
    cfg = TransformerConfig(vocab_size=ds.n_out, seq_len=8, d_model=16, n_heads=2, n_layers=1, attention_bias=True)
    report = compare(FlaxTransformer(cfg, rngs=nnx.Rngs(0)), TorchTransformer(cfg), [(ds.x[i], ds.y[i]) for i in idx],
                     loss="cross_entropy", optimizer={"name": "adam"},
                     schedule={"schedule": "warmup_constant", "peak_value": 1e-2, "warmup_steps": 2}, dtype="float32")
    d = report.first_divergence
    assert d is not None and (d.kind, d.where) == ("parameters", "blocks.0.attn.in_proj_bias"), str(report)
    assert d.step > 0 and "attention's key bias: its gradient is exactly 0" in d.hint
    assert report.summary["step0_grad_rel_diff"] <= 1e-6  # the gradients agreed: noise in the key bias only


def test_config_mistakes():
    with pytest.raises(ValueError, match=r"transformer: d_model=10 is invalid; expected a multiple of n_heads \(4\)"):
        TransformerConfig(13, d_model=10)
    with pytest.raises(ValueError, match="transformer: norm='mid' is invalid; expected 'pre' or 'post'"):
        TransformerConfig(13, norm="mid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="transformer: n_layers=0 is invalid; expected an integer >= 1"):
        TransformerConfig(13, n_layers=0)


def test_the_text_is_python_help_character_by_character():
    ds = text(seq_len=24)
    corpus = text_corpus()
    assert len(corpus) > 400_000 and ds.n_out == len(set(corpus)) == len(ds.vocab)
    assert ds.decode(ds.x[0]) == corpus[:24] and ds.decode(ds.y[0]) == corpus[1:25]
    assert ds.x.shape == ds.y.shape == ((len(corpus) - 1) // 24, 24) and ds.x.dtype == np.int64
    with pytest.raises(ValueError, match="text: seq_len=0 is invalid"):
        text(seq_len=0)


def test_the_built_in_transformer_through_the_runner():
    """Pre-LN here; the post-LN pair trains 220 steps in test_compare."""
    cfg = RunConfig(schedule={"schedule": "noam", "d_model": 16, "warmup_steps": 5, "scale": 0.5},
                    optimizer={"name": "adamw"}, model="transformer", data="text", steps=8, batch_size=4, hidden=16,
                    dtype="float64")
    report = run(cfg)
    assert report.passed and report.summary["param_max_rel_diff"] <= 1e-13, str(report)
    assert report.steps[-1]["loss_torch"] < report.steps[0]["loss_torch"]


def test_run_config_mistakes_for_text_and_transformers():
    base = {"schedule": {"schedule": "warmup_constant", "peak_value": 1e-3, "warmup_steps": 2},
            "optimizer": {"name": "adam"}}
    with pytest.raises(ValueError, match="run: model='transformer' needs data='text'"):
        RunConfig.from_mapping({**base, "model": "transformer"})
    with pytest.raises(ValueError, match="run: data='text' needs a transformer"):
        RunConfig.from_mapping({**base, "data": "text"})
    with pytest.raises(ValueError, match="run: hidden=30 is invalid for a transformer; expected a multiple of 4"):
        RunConfig.from_mapping({**base, "model": "transformer", "data": "text", "hidden": 30})


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm", ["pre", "post"])
def test_the_default_size_trains_identically_over_300_adamw_steps(norm, dtype):
    """The built-in size (width 32, 2 layers, 4 heads, 32 characters, batches of 16) with a
    warmup-cosine schedule: float64 to 1e-9, float32 to 1e-5."""
    ds = text(seq_len=32)
    idx = batch_indices(len(ds.x), 16, 300, seed=0)
    cfg = TransformerConfig(vocab_size=ds.n_out, seq_len=32, d_model=32, n_heads=4, n_layers=2, norm=norm)
    with jax.enable_x64(dtype == "float64"):
        flax_model = FlaxTransformer(cfg, rngs=nnx.Rngs(0), dtype=jnp.float64 if dtype == "float64" else jnp.float32)
    warmup = {"schedule": "warmup_cosine_decay", "peak_value": 3e-3, "warmup_steps": 30, "total_steps": 300}
    report = compare(flax_model, TorchTransformer(cfg), [(ds.x[i], ds.y[i]) for i in idx], loss="cross_entropy",
                     optimizer={"name": "adamw", "weight_decay": 0.01}, schedule=warmup, dtype=dtype)
    assert report.passed, str(report)
    assert report.steps[-1]["loss_torch"] < 3.0
