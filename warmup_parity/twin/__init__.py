"""The torch twin of a Flax NNX model: which parameter is which, in which layout, written once.

:func:`weight_map` pairs a Flax model's variables with its torch twin's tensors; :func:`copy_weights`
copies them either way; ``compare`` converts parameters, gradients and updates with the same map,
and ``warmup_parity.resume`` carries a run's parameters and moments across with it.

Names: the Flax variable ``blocks.0.attn.query.kernel`` belongs to the Flax module ``blocks.0.attn``,
whose torch counterpart is the module of the same dotted name, as
:func:`warmup_spec.param_rules.torch_style_parts` names it (``nnx.Sequential``'s ``layers`` level
dropped: Flax ``seq.layers.0`` is torch ``seq.0``; the same rule names a parameter for
parameter-group rules in JAX). Where names differ:

- ``mapping={flax path regex: torch name}``: each key is a regular expression matched against
  a whole Flax module or variable path (the longest path a key matches wins), the value its torch
  name, with the key's groups (``{r"layer(\\d+)\\.conv(\\d+)": r"stages.\\1.layers.\\2.conv"}``); a plain
  path (``{"encoder": "enc"}``) renames everything under it;
- ``mapping=None``: the names first; when they do not pair, the two models' layers are paired by
  structure (layer type, parameter shapes, and with ``example`` the order in which a forward calls
  them), then the parameters of your own modules by shape (one of a shape on each side) and
  the modules that hold exactly the twins of what a Flax module holds (a block, an attention
  of four Linears: ``compare`` places a divergence computed in their forward there):
  :data:`WeightMap.pairing` holds the pairing chosen (logged too); an ambiguous one is an
  error naming the candidates;
- an attention projection named ``query``/``key``/``value``/``out`` on one side and
  ``q_proj``/``k_proj``/``v_proj``/``o_proj`` (or another name of :data:`ROLES`) on the other.

A Flax Linen model is the Flax side through ``nnx.bridge.ToNNX(module, rngs=...).lazy_init(x)``:
each Linen layer converts as the NNX layer of its kind (:mod:`warmup_parity.twin.linen`).

Layouts converted, by layer (Flax -> torch):

- ``nnx.Linear`` -> ``nn.Linear``: ``kernel (in, out)`` -> ``weight (out, in)``, ``bias``.
- ``nnx.Conv`` -> ``nn.Conv1d/2d/3d`` (groups and any padding): ``kernel (*k, in/groups, out)`` ->
  ``weight (out, in/groups, *k)``, ``bias``.
- ``nnx.ConvTranspose`` -> ``nn.ConvTranspose1d/2d/3d``: ``kernel (*k, in, out)`` -> ``weight
  (in, out, *k)`` with the spatial axes flipped (``transpose_kernel=False``, the default, applies
  the kernel as a convolution over the dilated input; torch applies its transpose); with
  ``transpose_kernel=True`` the kernel is ``(*k, out, in)`` and not flipped.
- ``nnx.LayerNorm`` / ``nnx.RMSNorm`` / ``nnx.GroupNorm`` -> ``nn.LayerNorm`` / ``nn.RMSNorm`` /
  ``nn.GroupNorm``: ``scale`` -> ``weight``, ``bias``; or another library's class that computes a
  LayerNorm/RMSNorm (transformers' ``LlamaRMSNorm``: :func:`~warmup_parity.twin.layouts.norm_behaviour`).
- ``nnx.BatchNorm`` -> ``nn.BatchNorm1d/2d/3d``: ``scale``/``bias`` -> ``weight``/``bias`` and the
  statistics ``mean``/``var`` -> ``running_mean``/``running_var``.
- ``nnx.Embed`` -> ``nn.Embedding``: ``embedding (n, d)`` -> ``weight (n, d)``; an output layer tied
  to it in torch (``lm_head.weight is embed.weight``) is the same tensor and needs nothing.
- ``nnx.MultiHeadAttention`` -> ``nn.MultiheadAttention``: the ``query``/``key``/``value`` kernels
  ``(in, heads, head_dim)`` packed into ``in_proj_weight (3 E, E)`` (``q/k/v_proj_weight`` when
  ``kdim``/``vdim`` differ), their biases into ``in_proj_bias``, ``out.kernel (heads, head_dim, E)``
  -> ``out_proj.weight``.
- ``nnx.MultiHeadAttention`` -> a torch module with four ``nn.Linear`` projections (the attention
  of transformers' models: ``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``, with or without biases):
  each kernel ``(in, heads, head_dim)`` -> ``weight (heads * head_dim, in)``, ``out.kernel`` ->
  ``o_proj.weight``; grouped-query attention (``num_kv_heads``) included: key/value have
  ``kv_heads * head_dim`` rows on both sides, and both repeat each key/value head for
  consecutive query heads.
- ``converters={flax variable regex: (torch name templates, to_torch, to_flax)}``: a layer of
  your own (an einsum kernel of an LLM). ``to_torch(array) -> list of arrays`` (one per template,
  each template a torch name using the regex's groups), ``to_flax(list of arrays) -> array``;
  write them with array methods (``.reshape``, ``.transpose``, indexing) so they also convert
  traced arrays inside ``jax.jit``. E.g. a packed ``kv_einsum (2, kv_heads, dim, head_dim)``::

      {r"(.*)\\.attn\\.kv_einsum\\.w": ([r"\\1.self_attn.k_proj.weight", r"\\1.self_attn.v_proj.weight"],
          lambda w: [w[i].transpose(0, 2, 1).reshape(-1, w.shape[2]) for i in (0, 1)],
          lambda ts: np.stack([t.reshape(KV, HD, -1).transpose(0, 2, 1) for t in ts]))}

- A variable of your own module (an ``nnx.Param`` attribute) is copied as it is to the torch
  parameter (``nnx.BatchStat``: buffer) of the same name, when the torch tensor is not one of a
  torch layer's; the shapes must agree. A square matrix copied as it is keeps its shape: if one
  side computes ``x @ W`` and the other ``F.linear(x, W)``, only training shows it (``compare``
  names the module).

A Flax layer of a type the twin does not know (``nnx.Einsum``, ``nnx.LoRA``, ...) is an error naming
it (give it a converter), as is every parameter on either side that is not matched and every shape
that does not agree after conversion; nothing is skipped or copied silently. Torch buffers other
than batch-norm statistics (a causal mask, ``num_batches_tracked``) are not parameters and are left
alone.

Example:
    >>> import torch
    >>> from flax import nnx
    >>> flax_model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
    >>> torch_model = torch.nn.Linear(3, 2)
    >>> wmap = copy_weights(flax_model, torch_model)
    >>> [(link.torch_name, link.flax_paths, link.layout) for link in wmap.links]
    [('weight', ('kernel',), 'transposed'), ('bias', ('bias',), 'as is')]
    >>> bool((torch_model.weight.detach().numpy() == flax_model.kernel[...].T).all())
    True
"""

from __future__ import annotations

from warmup_parity.twin.layouts import (
    ROLES,
    Converters,
    flax_arrays,
    flax_variables,
    known_layers,
    layout_by_names,
    projections,
    torch_arrays,
)
from warmup_parity.twin.links import Link, ModulePair, WeightMap
from warmup_parity.twin.matching import (
    copy_weights,
    refuse_one_sided,
    torch_layout,
    weight_map,
    write_flax,
    write_torch,
)
from warmup_parity.twin.pairing import structural_pairing

__all__ = ["ROLES", "Converters", "Link", "ModulePair", "WeightMap", "copy_weights", "flax_arrays", "flax_variables",
           "known_layers", "layout_by_names", "projections", "refuse_one_sided", "structural_pairing", "torch_arrays",
           "torch_layout", "weight_map", "write_flax", "write_torch"]
