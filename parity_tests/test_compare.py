"""``compare``: a user's own Flax NNX / torch pair trained side by side. Clean pairs pass (the
MLP, the CNN, the transformer, a model with BatchNorm); each planted bug is found and placed
(its ``kind`` and ``where``), with its likely cause in the summary."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

from parity_tests.pairs.host_init import lecun_normal, normal
from warmup_parity import compare, copy_weights, models
from warmup_parity.data import batch_indices, digits, text
from warmup_parity.report import TOLERANCES, Divergence
from warmup_parity.testing import assert_training_parity

ADAMW = {"name": "adamw", "weight_decay": 0.01}
ADAM = {"name": "adam"}
SCHED = {"schedule": "warmup_cosine_decay", "peak_value": 1e-2, "warmup_steps": 5, "total_steps": 40}
RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 16, 8))  # 6 batches of 16 vectors of 8
Y = RNG.integers(0, 4, (6, 16))
BATCHES = list(zip(X, Y))


# --------------------------------------------------------------------------- a small pair to plant bugs in
# (kernels drawn on the host, parity_tests/pairs/host_init.py: no truncated normal compiled per shape)


class FlaxMLP(nnx.Module):
    """fc1 -> act -> fc2 inside ``mlp``; the options plant the bugs."""

    def __init__(self, rngs: nnx.Rngs, approximate: bool = False, use_bias: bool = True) -> None:
        self.fc1 = nnx.Linear(8, 8, use_bias=use_bias, rngs=rngs, kernel_init=lecun_normal)
        self.fc2 = nnx.Linear(8, 8, rngs=rngs, kernel_init=lecun_normal)
        self.approximate = approximate

    def __call__(self, x):
        return self.fc2(jax.nn.gelu(self.fc1(x), approximate=self.approximate))


class FlaxNet(nnx.Module):
    def __init__(self, *, approximate: bool = False, eps: float = 1e-5, use_bias: bool = True,
                 deterministic: bool = True, seed: int = 0) -> None:
        rngs = nnx.Rngs(seed)
        self.inp = nnx.Linear(8, 8, rngs=rngs, kernel_init=lecun_normal)
        self.ln = nnx.LayerNorm(8, epsilon=eps, rngs=rngs)
        self.mix = nnx.Param(jax.random.normal(jax.random.key(seed + 1), (8, 8)) / 3)
        self.drop = nnx.Dropout(0.2, deterministic=deterministic, rngs=rngs)
        self.mlp = FlaxMLP(rngs, approximate, use_bias)
        self.head = nnx.Linear(8, 4, rngs=rngs, kernel_init=lecun_normal)

    def __call__(self, x):
        h = self.ln(self.inp(x))
        h = self.drop(h @ self.mix[...])
        return self.head(self.mlp(h))


class TorchMLP(torch.nn.Module):
    def __init__(self, use_bias: bool = True) -> None:
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 8, bias=use_bias)
        self.fc2 = torch.nn.Linear(8, 8)

    def forward(self, x):
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class TorchNet(torch.nn.Module):
    def __init__(self, *, eps: float = 1e-5, use_bias: bool = True, dropout: float = 0.0,
                 square_as_linear: bool = False, first: str = "inp") -> None:
        super().__init__()
        self.first = first
        setattr(self, first, torch.nn.Linear(8, 8))
        self.ln = torch.nn.LayerNorm(8, eps=eps)
        self.mix = torch.nn.Parameter(torch.zeros(8, 8))
        self.drop = torch.nn.Dropout(dropout)
        self.mlp = TorchMLP(use_bias)
        self.head = torch.nn.Linear(8, 4)
        self.square_as_linear = square_as_linear

    def forward(self, x):
        h = self.ln(getattr(self, self.first)(x))
        h = torch.nn.functional.linear(h, self.mix) if self.square_as_linear else h @ self.mix
        return self.head(self.mlp(self.drop(h)))


def _compare(flax_model, torch_model, steps=3, loss="cross_entropy", **kw):
    torch.manual_seed(0)
    with jax.enable_x64(True):
        return compare(flax_model, torch_model, BATCHES, loss=loss, optimizer=ADAMW, schedule=SCHED, steps=steps, **kw)


def _check(report, kind, where, step=0):
    d = report.first_divergence
    assert isinstance(d, Divergence) and not report.passed, str(report)
    assert (d.kind, d.where, d.step) == (kind, where, step), str(report)
    assert d.difference > d.tolerance and str(report).startswith("FAIL")
    return d


# --------------------------------------------------------------------------- the clean pairs


def test_the_clean_small_pair_passes_and_trains_both_in_place():
    flax_model, torch_model = FlaxNet(), TorchNet()
    report = _compare(flax_model, torch_model, steps=20, in_place=True)
    assert report.passed and report.first_divergence is None, str(report)
    s = report.summary
    assert s["param_max_rel_diff"] <= 1e-13 and s["step0_grad_rel_diff"] <= 1e-15
    assert str(report).startswith("PASS: 20 steps in float64: parameters agree to")
    # the models left trained and equal: the Flax model carries its trained state
    assert report.steps[-1]["loss_torch"] < report.steps[0]["loss_torch"] - 0.1
    np.testing.assert_allclose(np.asarray(flax_model.head.kernel[...]).T, torch_model.head.weight.detach().numpy(),
                               rtol=1e-12, atol=1e-14)
    # the lr of every step is the schedule's, on both sides
    from warmup_spec import Schedule

    f = Schedule(SCHED)
    assert [r["lr_jax"] for r in report.steps] == pytest.approx([f(k) for k in range(20)], rel=1e-12)
    assert [r["lr_torch"] for r in report.steps] == pytest.approx([f(k) for k in range(20)], rel=1e-12)


@pytest.mark.parametrize("name", ["mlp"])
def test_the_built_in_pairs_pass(name):
    """The built-in CNN trains through the same engine in test_training_parity (the runner), and
    a convolution pair through ``compare`` in the BatchNorm test below."""
    ds = digits()
    idx = batch_indices(len(ds.x), 16, 8, seed=0)
    with jax.enable_x64(True):
        flax_model = models.build_flax(name, 64, 10, "float64", 0, 16)
        torch_model = models.build_torch(name, models.flax_weights(flax_model), "float64")
        torch.manual_seed(1)  # copy=True overwrites torch's own init anyway
    report = compare(flax_model, torch_model, [(ds.x[i], ds.y[i]) for i in idx], loss="cross_entropy",
                     optimizer=ADAM, schedule=SCHED)
    assert report.passed, str(report)
    assert report.summary["param_max_rel_diff"] <= 1e-13


class FlaxBN(nnx.Module):
    def __init__(self) -> None:
        rngs = nnx.Rngs(3)
        self.conv = nnx.Conv(1, 4, kernel_size=(3, 3), padding="VALID", use_bias=False, rngs=rngs,
                             kernel_init=lecun_normal)
        self.bn = nnx.BatchNorm(4, momentum=0.9, epsilon=1e-5, rngs=rngs)
        self.head = nnx.Linear(6 * 6 * 4, 10, rngs=rngs, kernel_init=lecun_normal)

    def __call__(self, x):
        h = jnp.tanh(self.bn(self.conv(x[..., None])))
        return self.head(h.reshape(h.shape[0], -1))


class TorchBN(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, bias=False)  # a bias before BatchNorm has a 0 gradient
        self.bn = torch.nn.BatchNorm2d(4, momentum=0.1, eps=1e-5)
        self.head = torch.nn.Linear(6 * 6 * 4, 10)

    def forward(self, x):
        h = torch.tanh(self.bn(self.conv(x[:, None])))
        return self.head(h.permute(0, 2, 3, 1).reshape(h.shape[0], -1))


def test_a_batchnorm_pair_passes_and_its_running_statistics_are_explained():
    """Train mode: both normalise with the batch statistics, so the parameters agree; the
    running variance differs by torch's unbiased batch variance (n / (n - 1)), said in a note."""
    ds = digits()
    idx = batch_indices(len(ds.x), 32, 20, seed=0)
    flax_model, torch_model = FlaxBN(), TorchBN()
    with jax.enable_x64(True):
        report = compare(flax_model, torch_model, [(ds.x[i], ds.y[i]) for i in idx], loss="cross_entropy",
                         optimizer=ADAM, schedule=SCHED)
    assert report.passed, str(report)
    assert report.summary["param_max_rel_diff"] <= 1e-12
    assert 1e-4 < report.summary["statistics_rel_diff"] < 1e-1
    assert "unbiased batch variance" in report.notes[0] and "unbiased" in str(report)
    # the running means agree (no n / (n - 1) there)
    np.testing.assert_allclose(np.asarray(flax_model.bn.mean[...]), torch_model.bn.running_mean.numpy(), rtol=1e-10)


@pytest.mark.slow  # 200 steps (17 s); test_transformer compares the same pair on a few
def test_the_transformer_float64_agrees_to_1e9_over_200_adamw_steps_with_warmup():
    """The issue's bar on a tiny post-LN transformer (the built-in pair, 1 layer, width 16)."""
    from warmup_parity.transformer import FlaxTransformer, TorchTransformer, TransformerConfig

    ds = text(seq_len=12)
    idx = batch_indices(len(ds.x), 4, 220, seed=0)
    cfg = TransformerConfig(vocab_size=ds.n_out, seq_len=12, d_model=16, n_heads=2, n_layers=1, norm="post")
    with jax.enable_x64(True):
        flax_model = FlaxTransformer(cfg, rngs=nnx.Rngs(0), dtype=jnp.float64)
    torch_model = TorchTransformer(cfg)
    warmup = {"schedule": "warmup_cosine_decay", "peak_value": 3e-3, "warmup_steps": 40, "total_steps": 220}
    report = compare(flax_model, torch_model, [(ds.x[i], ds.y[i]) for i in idx], loss="cross_entropy",
                     optimizer=ADAMW, schedule=warmup)
    assert report.passed and len(report.steps) == 220, str(report)
    assert report.summary["param_max_rel_diff"] <= TOLERANCES["float64"]["params"]
    assert report.steps[-1]["loss_torch"] < report.steps[0]["loss_torch"] - 1.0  # it learned (4.9 -> ~3)


# --------------------------------------------------------------------------- the planted bugs


def test_layernorm_eps_is_placed_at_the_layernorm():
    d = _check(_compare(FlaxNet(eps=1e-6), TorchNet(eps=1e-5)), "forward", "ln")
    assert "LayerNorm eps: Flax epsilon=1e-06, torch eps=1e-05" in d.hint


def test_tanh_gelu_is_placed_in_the_forward_that_computes_it():
    """The GELU between fc1 and fc2 is no module: fc1's output agrees, fc2's input does not, so
    the divergence is the forward of ``mlp``."""
    d = _check(_compare(FlaxNet(approximate=True), TorchNet()), "forward", "mlp")
    assert "the input of 'mlp.fc2' already differs" in d.detail
    assert "GELU" in d.hint and "here Flax uses tanh, torch exact" in d.hint


def test_an_untransposed_square_kernel_is_placed_at_the_module_using_it():
    """A raw square parameter is copied as it is; Flax computes ``h @ W``, torch ``F.linear(h, W)``."""
    d = _check(_compare(FlaxNet(), TorchNet(square_as_linear=True)), "forward", "")
    assert "the input of 'drop' already differs" in d.detail
    assert "a square matrix copied as it is: 'mix' (8, 8)" in d.hint


def test_a_kernel_copied_untransposed_by_hand_is_found_before_training():
    flax_model, torch_model = FlaxNet(), TorchNet()
    copy_weights(flax_model, torch_model)
    with torch.no_grad():
        torch_model.mlp.fc2.weight.copy_(torch.as_tensor(np.array(flax_model.mlp.fc2.kernel[...])))
    d = _check(_compare(flax_model, torch_model, copy=False), "parameters", "mlp.fc2.weight")
    assert "before the first update" in d.detail and "transposed kernel" in d.hint


def test_a_missing_bias_is_placed_at_its_gradient():
    d = _check(_compare(FlaxNet(use_bias=False), TorchNet()), "gradient", "mlp.fc1.bias")
    assert "missing bias: the torch layer 'mlp.fc1' has one, the Flax layer has none (use_bias=False)" in d.hint
    assert "'mlp.fc1.bias' differs most, by 1.0e+00" in d.detail  # a gradient against none at all
    assert d.difference > d.tolerance == 1e-14  # norm-relative over all gradients, and the tolerance it failed


def test_dropout_on_in_one_side_is_placed_at_the_dropout():
    d = _check(_compare(FlaxNet(deterministic=True), TorchNet(dropout=0.2)), "forward", "drop")
    assert "its input agreed" in d.detail
    assert "dropout is active: torch 'drop' (Dropout p=0.2, training mode)" in d.hint


def test_names_that_do_not_match_are_paired_by_structure_or_a_value_error_naming_both():
    report = _compare(FlaxNet(), TorchNet(first="proj"))  # one Linear of its shapes on each side: 'inp' is 'proj'
    assert report.passed, str(report)
    with pytest.raises(ValueError, match=r"Flax nnx.Linear 'inp' has no torch module 'inp'.*"
                                         r"torch 'proj.weight' has no Flax counterpart.*; by structure: "):
        _compare(FlaxNet(), TorchNet(first="proj", use_bias=False))  # and the structures differ too
    report = _compare(FlaxNet(), TorchNet(first="proj"), mapping={"inp": "proj"})  # a mapping says it
    assert report.passed, str(report)


def test_the_loss_itself_and_the_optimizer_are_told_apart_from_the_model():
    def torch_sum_ce(logits, y):
        return torch.nn.functional.cross_entropy(logits, y, reduction="sum")

    def jax_ce(logits, y):
        import optax

        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    d = _check(_compare(FlaxNet(), TorchNet(), loss=(jax_ce, torch_sum_ce)), "loss", "loss")
    assert "every submodule's output agreed" in d.detail and "reduction" in d.hint


def test_assert_training_parity_raises_with_the_summary():
    with jax.enable_x64(True):
        assert_training_parity(FlaxNet(), TorchNet(), BATCHES, loss="cross_entropy", optimizer=ADAMW,
                               schedule=SCHED, steps=3)
        with pytest.raises(AssertionError, match=r"^FAIL: 3 steps in float64: forward at 'ln', step 0: .*"
                                                 r"Likely cause: LayerNorm eps"):
            assert_training_parity(FlaxNet(eps=1e-6), TorchNet(), BATCHES, loss="cross_entropy", optimizer=ADAMW,
                                   schedule=SCHED, steps=3)


def test_argument_mistakes_are_one_line_value_errors():
    for kwargs, message in [({"dtype": "float16"}, "compare: dtype='float16' is invalid"),
                            ({"loss": "hinge"}, "compare: loss='hinge' is invalid"),
                            ({"steps": 0}, "compare: steps=0 is invalid")]:
        args = {"loss": "cross_entropy", "optimizer": ADAMW, "schedule": SCHED, **kwargs}
        with pytest.raises(ValueError, match=message):
            compare(FlaxNet(), TorchNet(), BATCHES, **args)
    with pytest.raises(ValueError, match="compare: batches is empty"):
        compare(FlaxNet(), TorchNet(), [], loss="mse", optimizer=ADAMW, schedule=SCHED)


# --------------------------------------------------------------------------- adapters and a report that never misleads


class FlaxCNN(nnx.Module):
    """NHWC images -> conv -> mean over space -> fc; ``padding`` plants the SAME-vs-0 bug."""

    def __init__(self, padding: str = "SAME") -> None:
        rngs = nnx.Rngs(0)
        self.conv = nnx.Conv(3, 4, (3, 3), padding=padding, rngs=rngs, kernel_init=lecun_normal)
        self.fc = nnx.Linear(4, 3, rngs=rngs, kernel_init=lecun_normal)

    def __call__(self, x):
        return self.fc(jnp.tanh(self.conv(x)).mean(axis=(1, 2)))


class TorchCNN(torch.nn.Module):
    """NCHW ``pixel_values`` -> a transformers output with ``.logits`` (as transformers' image models)."""

    def __init__(self, padding: int = 1, nhwc: bool = False) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=padding)
        self.fc = torch.nn.Linear(4, 3)
        self.nhwc = nhwc

    def forward(self, pixel_values):
        from transformers.modeling_outputs import ImageClassifierOutput

        x = pixel_values.permute(0, 3, 1, 2) if self.nhwc else pixel_values
        logits = self.fc(torch.tanh(self.conv(x)).mean(dim=(2, 3)))
        return logits if self.nhwc else ImageClassifierOutput(logits=logits)


IMAGES = [(RNG.standard_normal((4, 6, 6, 3)), RNG.integers(0, 3, 4)) for _ in range(3)]


def _images(flax_model, torch_model, **kw):
    with jax.enable_x64(True):
        return compare(flax_model, torch_model, IMAGES, loss="cross_entropy", optimizer=ADAMW, schedule=SCHED, **kw)


def test_adapters_feed_nchw_and_read_logits():
    """An NHWC Flax model against a torch model taking NCHW ``pixel_values`` and returning ``.logits``."""
    def torch_forward(m, x):
        return m(pixel_values=x.permute(0, 3, 1, 2)).logits

    report = _images(FlaxCNN(), TorchCNN(), torch_forward=torch_forward)
    assert report.passed, str(report)
    assert report.summary["param_max_rel_diff"] <= 1e-13
    # an adapter on the Flax side too: a difference it makes outside the models is the loss's, not a module's
    d = _check(_images(FlaxCNN(), TorchCNN(), flax_forward=lambda m, x: m(x) * 1.001, torch_forward=torch_forward),
               "loss", "loss")
    assert "every submodule's output agreed" in d.detail


class FlaxTwoInputs(nnx.Module):
    def __init__(self) -> None:
        self.fc = nnx.Linear(8, 4, rngs=nnx.Rngs(0), kernel_init=lecun_normal)

    def __call__(self, x, mask):
        return self.fc(x * mask[..., None])


class TorchTwoInputs(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x, mask):
        return self.fc(x * mask[..., None])


def test_a_tuple_input_feeds_a_multi_input_model():
    mask = (RNG.random((6, 16)) > 0.3).astype(np.float64)
    batches = [((x, m), y) for x, m, y in zip(X, mask, Y)]
    with jax.enable_x64(True):
        report = compare(FlaxTwoInputs(), TorchTwoInputs(), batches, loss="cross_entropy", optimizer=ADAMW,
                         schedule=SCHED)
    assert report.passed and len(report.steps) == 6, str(report)


def test_an_output_of_another_shape_is_the_divergence_with_both_shapes():
    """Flax padding='SAME' against torch padding=0: the conv's output shape differs; pooling hides it
    from 'fc', which used to be blamed."""
    d = _check(_images(FlaxCNN("SAME"), TorchCNN(padding=0, nhwc=True)), "forward", "conv")
    assert "has shape (4, 6, 6, 4) in Flax and (4, 4, 4, 4) in torch" in d.detail, d.detail
    assert "Flax padding='SAME', torch padding=(0, 0)" in d.hint, d.hint


@pytest.mark.parametrize("dtype", [np.int32, np.int16, np.uint8])
def test_integer_labels_of_any_dtype(dtype):
    batches = [(x, y.astype(dtype)) for x, y in BATCHES]
    with jax.enable_x64(True):
        report = compare(FlaxNet(), TorchNet(), batches, loss="cross_entropy", optimizer=ADAMW, schedule=SCHED,
                         steps=3)
    assert report.passed, str(report)


def test_ignore_index_is_left_out_on_both_sides():
    labels = [y.copy() for y in Y]
    for y in labels:
        y[::3] = -100  # HF's ignore index
    batches = list(zip(X, labels))
    with jax.enable_x64(True):
        report = compare(FlaxNet(), TorchNet(), batches, loss="cross_entropy", optimizer=ADAMW, schedule=SCHED,
                         steps=3)
        assert report.passed and np.isfinite(report.steps[0]["loss_jax"]), str(report)
        kept = [(x, np.where(y == -100, 7, y)) for x, y in batches]  # another index, given
        other = compare(FlaxNet(), TorchNet(), kept, loss="cross_entropy", optimizer=ADAMW, schedule=SCHED,
                        steps=3, ignore_index=7)
    assert other.passed and other.steps[0]["loss_torch"] == pytest.approx(report.steps[0]["loss_torch"], rel=1e-14)


def test_a_schedule_may_be_a_config_a_schedule_object_or_a_scheduler():
    import warmup_jax
    import warmup_torch
    from warmup_spec import Schedule

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    reference = _compare(FlaxNet(), TorchNet())
    for schedule in (Schedule(SCHED), warmup_jax.schedule_from_config(SCHED), warmup_torch.scheduler_from_config(opt, SCHED)):
        with jax.enable_x64(True):
            report = compare(FlaxNet(), TorchNet(), BATCHES, loss="cross_entropy", optimizer=ADAMW,
                             schedule=schedule, steps=3)
        assert report.passed, str(report)
        assert [r["lr_torch"] for r in report.steps] == [r["lr_torch"] for r in reference.steps]
        assert report.config["schedule"] == reference.config["schedule"]


def test_a_failing_hint_never_hides_the_report(monkeypatch):
    from warmup_parity import hints

    # the ConvTranspose that crashed the conv rule ('ConvTranspose' object has no attribute 'feature_group_count')
    fm = nnx.ConvTranspose(3, 4, (3, 3), strides=(2, 2), rngs=nnx.Rngs(0), kernel_init=lecun_normal)
    tm = torch.nn.ConvTranspose2d(3, 4, 3)
    assert hints._conv_hint(fm, tm) == ["convolution settings differ: Flax strides=(2, 2), torch stride=(1, 1)"]

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(hints, "_norm_hint", broken)
    d = _check(_compare(FlaxNet(eps=1e-6), TorchNet()), "forward", "ln")
    assert "(the hint rule broken failed: RuntimeError: boom)" in d.hint


def test_the_users_models_are_left_as_they_were():
    flax_model, torch_model = FlaxNet(), TorchNet()
    before_f = np.asarray(flax_model.head.kernel[...]).copy()
    before_t = torch_model.head.weight.detach().clone()
    report = _compare(flax_model, torch_model, steps=5)
    assert report.passed, str(report)
    assert flax_model.head.kernel[...].dtype == jnp.float32 and np.array_equal(flax_model.head.kernel[...], before_f)
    assert torch_model.head.weight.dtype == torch.float32 and torch.equal(torch_model.head.weight, before_t)


class FlaxEmbed(nnx.Module):
    def __init__(self) -> None:
        rngs = nnx.Rngs(0)
        self.emb = nnx.Embed(10, 8, rngs=rngs, embedding_init=normal(8 ** -0.5))
        self.fc = nnx.Linear(8, 4, rngs=rngs, kernel_init=lecun_normal)

    def __call__(self, tokens):
        return self.fc(jnp.tanh(self.emb(tokens)).mean(axis=1))


class TorchEmbed(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(10, 8, padding_idx=0)  # the planted late bug: row 0 never learns
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, tokens):
        return self.fc(torch.tanh(self.emb(tokens)).mean(dim=1))


def test_a_late_divergence_is_classified_bug_or_chaos():
    """A bug that first acts at update 4 (token 0, torch's padding_idx, appears there) is a bug: torch
    against itself moved by one ulp does not part."""
    rng = np.random.default_rng(1)
    tokens = [rng.integers(1 if k < 4 else 0, 10, (8, 5)) for k in range(8)]
    batches = [(t, rng.integers(0, 4, 8)) for t in tokens]
    with jax.enable_x64(True):
        report = compare(FlaxEmbed(), TorchEmbed(), batches, loss="cross_entropy", optimizer=ADAMW, schedule=SCHED)
    d = _check(report, "parameters", "emb.weight", step=4)
    assert report.verdict is not None and report.verdict.kind == "bug" and report.verdict.parted_at == 4
    assert "verdict: a bug, not chaos" in str(report)
    assert report.to_json()["verdict"]["kind"] == "bug" and d.step == 4


@pytest.mark.slow  # ~15 s here (two float32 runs and the torch rerun); the helper's test covers the logic fast
def test_a_chaotic_pair_is_classified_chaos():
    """The same MLP on both sides, float32, SGD at lr 3: rounding alone makes them part; torch against
    itself moved by one ulp parts as fast."""
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((32, 8)), rng.integers(0, 4, 32)) for _ in range(20)]
    fm = models.build_flax("mlp", 8, 4, "float32", 0, hidden=32)
    tm = models.build_torch("mlp", models.flax_weights(fm), "float32")
    report = compare(fm, tm, batches, loss="cross_entropy", optimizer={"name": "sgd"}, dtype="float32",
                     schedule={"schedule": "warmup_constant", "peak_value": 3.0, "warmup_steps": 2})
    d = report.first_divergence
    assert d is not None and d.kind == "parameters" and d.step > 5, str(report)
    assert report.verdict is not None and report.verdict.kind == "chaos", str(report)
    assert "verdict: chaos, not a bug" in str(report)


def test_the_chaos_verdict_helper():
    from warmup_parity import chaos

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).double()
    rng = np.random.default_rng(0)
    batches = [(torch.as_tensor(rng.standard_normal((32, 4))), torch.as_tensor(rng.integers(0, 3, 32)))
               for _ in range(30)]

    def make(lr):
        def build(m):
            opt = torch.optim.SGD(m.parameters(), lr=lr)
            return opt, lambda: None
        return build

    loss = torch.nn.functional.cross_entropy
    calm = chaos.ulp_parting_step(model, make(1e-2), batches, loss, tolerance=1e-9)
    wild = chaos.ulp_parting_step(model, make(10.0), batches, loss, tolerance=1e-9)  # SGD at lr 10: chaotic
    assert calm is None and wild is not None and 5 < wild < 30
    assert chaos.verdict(wild, wild, tolerance=1e-9).kind == "chaos"
    assert chaos.verdict(5, calm, tolerance=1e-9).kind == "bug"


class FlaxF32Norm(nnx.Module):
    """An RMSNorm that computes in float32 whatever its input (as many public NNX LLMs do)."""

    def __init__(self) -> None:
        self.scale = nnx.Param(jnp.ones(8))

    def __call__(self, x):
        x32 = x.astype(jnp.float32)
        y = x32 * jax.lax.rsqrt(jnp.mean(x32 ** 2, axis=-1, keepdims=True) + 1e-6)
        return y.astype(x.dtype) * self.scale[...]


class FlaxNormNet(nnx.Module):
    def __init__(self) -> None:
        rngs = nnx.Rngs(0)
        self.inp = nnx.Linear(8, 8, rngs=rngs, kernel_init=lecun_normal)
        self.norm = FlaxF32Norm()
        self.head = nnx.Linear(8, 4, rngs=rngs, kernel_init=lecun_normal)

    def __call__(self, x):
        return self.head(self.norm(self.inp(x)))


class TorchNormNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = torch.nn.Linear(8, 8)
        self.norm = torch.nn.RMSNorm(8, eps=1e-6)
        self.head = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.head(self.norm(self.inp(x)))


def test_float32_rounding_inside_a_layer_is_named_as_such():
    d = _check(_compare(FlaxNormNet(), TorchNormNet(), mapping={"norm.scale": "norm.weight"}), "forward", "norm")
    assert 1e-10 < d.difference < 2e-6, d.difference
    assert "at float32's rounding level in a float64 run: a layer that computes in float32 internally" in d.hint


# --------------------------------------------------------------------------- a user's pair through `warmup-parity run`

FACTORY = '''
import jax.numpy as jnp
import torch
from flax import nnx


class Net(nnx.Module):
    def __init__(self, n_out, dtype):
        self.fc = nnx.Linear(64, n_out, param_dtype=dtype, rngs=nnx.Rngs(0))

    def __call__(self, x):
        return self.fc(x.reshape((x.shape[0], -1)))


class TorchNet(torch.nn.Module):
    def __init__(self, n_out):
        super().__init__()
        self.linear = torch.nn.Linear(64, n_out)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))


def make(dtype, seed, data):
    return Net(data.n_out, jnp.float64 if dtype == "float64" else jnp.float32), TorchNet(data.n_out), {"fc": "linear"}


def wrong(n):
    return None
'''


def test_run_takes_a_users_factory(tmp_path, monkeypatch, capsys):
    import json

    from warmup_parity.cli import main

    (tmp_path / "my_pair.py").write_text(FACTORY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    run = {"model": "my_pair:make", "data": "digits", "steps": 5, "dtype": "float64", "batch_size": 32,
           "schedule": SCHED, "optimizer": ADAM}
    (tmp_path / "run.json").write_text(json.dumps(run))
    assert main(["run", "run.json", "--out-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("PASS")
    report = json.loads((tmp_path / "parity_report.json").read_text())["runs"][0]
    assert report["first_divergence"] is None and report["summary"]["param_max_rel_diff"] <= 1e-13
    for model, message in [("my_pair:nothing", "run: model='my_pair:nothing': module 'my_pair' has no function "
                                               "'nothing'"),
                           ("no_such_module:make", "run: model='no_such_module:make': cannot import 'no_such_module'"),
                           ("my_pair:wrong", "run: model='my_pair:wrong': the factory is called as factory(dtype=..., "
                                             "seed=..., data=...); its signature is (n)"),
                           ("resnet", "run: model='resnet' is invalid; expected one of 'mlp', 'cnn', 'transformer', "
                                      "'transformer_post_ln'")]:
        (tmp_path / "bad.json").write_text(json.dumps({**run, "model": model}))
        assert main(["run", "bad.json", "--out-dir", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"warmup-parity: {message}") and err.count("\n") == 1, err


def test_the_package_exports_the_functions_lazily():
    """``warmup_parity.compare`` is the function even after its module is imported, and
    importing the package loads neither framework."""
    import subprocess
    import sys

    import warmup_parity
    import warmup_parity.comparison

    assert warmup_parity.compare is warmup_parity.comparison.compare
    assert warmup_parity.copy_weights is copy_weights and warmup_parity.testing.assert_training_parity
    code = "import sys, warmup_parity; print(sorted(m for m in ('jax', 'torch', 'flax') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
