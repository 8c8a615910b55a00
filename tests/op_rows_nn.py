"""Op-table rows for the fused nn primitives in kittygrad/ops/nn/ and kittygrad/ops/activation.py (see tests/op_table.py),
plus rows for the composed functions of kittygrad.nn.functional.

Each row's ``fn(m, *tensors)`` runs with ``m = kittygrad`` and ``m = torch``; integer targets and
indices are made inside ``fn``. The recurrent primitives mirror ``torch._VF``'s signatures, so
their rows call ``_vf(m)``.
"""
from __future__ import annotations

import numpy as np

from op_table import Row, away_from_zero, distinct, fixed, positive  # noqa: F401  (op_table imports this module at its end)


def F(m):
    return m.nn.functional


def _vf(m):
    if m.__name__ == "torch":
        return m._VF
    from kittygrad.ops.nn import recurrent

    return recurrent


def _attention_weights(m, w, average, batched):
    """kittygrad's fused op, or the same maths composed in torch (torch has no such primitive)."""
    if m.__name__ == "torch":
        ret = w.reshape(2, 2, *w.shape[1:])
        ret = ret.mean(1) if average else ret
        return w * 1, ret if batched else ret[0]
    from kittygrad.ops.nn import attention

    return attention.attention_weights(w, 2, 2, average, batched)


def _probs(x):
    return 1 / (1 + np.exp(-x)) * 0.9 + 0.05


def _ints(m, values):
    return m.tensor(values)


def _rnn_shapes(mode, T=3, N=2, I=3, H=2, layers=1, bidir=False, bias=True):
    gate = {"lstm": 4, "gru": 3}.get(mode, 1) * H
    ndir = 2 if bidir else 1
    shapes = [(T, N, I), (layers * ndir, N, H)]
    if mode == "lstm":
        shapes.append((layers * ndir, N, H))
    for layer in range(layers):
        for _ in range(ndir):
            in_size = I if layer == 0 else H * ndir
            shapes += [(gate, in_size), (gate, H)]
            if bias:
                shapes += [(gate,), (gate,)]
    return fixed(*shapes)


def _rnn(name, layers=1, bidir=False, bias=True, batch_first=False):
    def fn(m, x, h, *rest):
        vf = _vf(m)
        if batch_first:
            x = x.transpose(0, 1)
        if name == "lstm":
            c, params = rest[0], list(rest[1:])
            return getattr(vf, name)(x, (h, c), params, bias, layers, 0.0, False, bidir, batch_first)
        return getattr(vf, name)(x, h, list(rest), bias, layers, 0.0, False, bidir, batch_first)

    return fn


NN_ROWS: list = [
    # ---- activations (fused) ----
    Row("leaky_relu", lambda m, a: F(m).leaky_relu(a, 0.1), domain=away_from_zero),
    Row("elu", lambda m, a: F(m).elu(a, 0.7), domain=away_from_zero),
    Row("selu", lambda m, a: F(m).selu(a), domain=away_from_zero),
    Row("celu", lambda m, a: F(m).celu(a, 1.5), domain=away_from_zero),
    Row("gelu", lambda m, a: F(m).gelu(a * 2)),
    Row("gelu_tanh", lambda m, a: F(m).gelu(a, approximate="tanh")),
    Row("silu", lambda m, a: F(m).silu(a)),
    Row("mish", lambda m, a: F(m).mish(a * 3)),
    Row("softplus", lambda m, a: F(m).softplus(a, beta=2.0, threshold=1.5), domain=lambda x: x * 2 + 0.013),
    Row("softsign", lambda m, a: F(m).softsign(a), domain=away_from_zero),
    Row("hardtanh", lambda m, a: F(m).hardtanh(a, -0.5, 0.8), domain=lambda x: x * 1.013 + 0.001),
    Row("relu6", lambda m, a: F(m).relu6(a * 5), domain=lambda x: away_from_zero(x) + 0.0003),
    Row("hardswish", lambda m, a: F(m).hardswish(a * 3), domain=lambda x: x + 0.0007),
    Row("hardsigmoid", lambda m, a: F(m).hardsigmoid(a * 3), domain=lambda x: x + 0.0007),
    Row("logsigmoid", lambda m, a: F(m).logsigmoid(a * 3)),
    Row("prelu", lambda m, a, w: F(m).prelu(a, w), 2, shapes=fixed((2, 3, 4), (3,)), domain=away_from_zero),
    Row("prelu_shared", lambda m, a, w: F(m).prelu(a, w), 2, shapes=fixed((5,), (1,)), domain=away_from_zero),
    Row("leaky_relu_inplace", lambda m, a: F(m).leaky_relu(a * 1, 0.2, inplace=True), domain=away_from_zero),
    Row("elu_inplace", lambda m, a: F(m).elu(a * 1, inplace=True), domain=away_from_zero),
    # ---- linear maps ----
    Row("linear", lambda m, x, w, b: F(m).linear(x, w, b), 3, shapes=fixed((2, 3, 4), (5, 4), (5,))),
    Row("linear_nobias", lambda m, x, w: F(m).linear(x, w), 2, shapes=fixed((4,), (3, 4))),
    Row("bilinear", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c), 4, shapes=fixed((3, 2), (3, 4), (5, 2, 4), (5,))),
    # ---- convolution ----
    Row("conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b, padding=1), 3, shapes=fixed((2, 3, 5, 4), (4, 3, 3, 3), (4,))),
    Row("conv2d_strided", lambda m, x, w: F(m).conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)), 2,
        shapes=fixed((2, 2, 6, 7), (3, 2, 3, 2))),
    Row("conv2d_groups", lambda m, x, w, b: F(m).conv2d(x, w, b, stride=2, groups=2), 3, shapes=fixed((1, 4, 5, 5), (6, 2, 2, 3), (6,))),
    Row("conv2d_same", lambda m, x, w: F(m).conv2d(x, w, padding="same", dilation=2), 2, shapes=fixed((1, 2, 5, 6), (2, 2, 2, 3))),
    Row("conv2d_unbatched", lambda m, x, w: F(m).conv2d(x, w), 2, shapes=fixed((2, 4, 4), (3, 2, 2, 2))),
    Row("conv1d", lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=2, dilation=2), 3, shapes=fixed((2, 3, 9), (4, 3, 3), (4,))),
    Row("conv1d_depthwise", lambda m, x, w: F(m).conv1d(x, w, groups=3, padding="same"), 2, shapes=fixed((2, 3, 6), (6, 1, 4))),
    Row("conv3d", lambda m, x, w: F(m).conv3d(x, w, padding=1, stride=2), 2, shapes=fixed((1, 2, 4, 3, 4), (2, 2, 2, 3, 2))),
    Row("conv_transpose2d", lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), 3,
        shapes=fixed((2, 3, 3, 4), (3, 2, 3, 3), (2,))),
    Row("conv_transpose2d_groups", lambda m, x, w: F(m).conv_transpose2d(x, w, stride=(1, 2), groups=2, dilation=(2, 1)), 2,
        shapes=fixed((1, 4, 3, 3), (4, 3, 2, 2))),
    Row("conv_transpose1d", lambda m, x, w, b: F(m).conv_transpose1d(x, w, b, stride=3, padding=1), 3,
        shapes=fixed((2, 2, 4), (2, 3, 4), (3,))),
    # ---- pooling ----
    Row("max_pool2d", lambda m, x: F(m).max_pool2d(x, 2), shapes=fixed((2, 3, 4, 6)), domain=distinct),
    Row("max_pool2d_overlap", lambda m, x: F(m).max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), shapes=fixed((1, 2, 6, 7)),
        domain=distinct),
    Row("max_pool2d_indices", lambda m, x: F(m).max_pool2d(x, (2, 3), stride=1, dilation=(2, 1), return_indices=True),
        shapes=fixed((2, 1, 5, 5)), domain=distinct),
    Row("max_pool1d", lambda m, x: F(m).max_pool1d(x, 3, stride=2, padding=1), shapes=fixed((2, 3, 8)), domain=distinct),
    Row("avg_pool2d", lambda m, x: F(m).avg_pool2d(x, 2), shapes=fixed((2, 3, 4, 6))),
    Row("avg_pool2d_pad", lambda m, x: F(m).avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        shapes=fixed((1, 2, 6, 7))),
    Row("avg_pool2d_divisor", lambda m, x: F(m).avg_pool2d(x, (2, 3), stride=(1, 2), padding=1, divisor_override=4),
        shapes=fixed((1, 2, 4, 5))),
    Row("avg_pool1d", lambda m, x: F(m).avg_pool1d(x, 3, stride=2, padding=1), shapes=fixed((2, 3, 8))),
    Row("adaptive_avg_pool2d", lambda m, x: F(m).adaptive_avg_pool2d(x, (3, 2)), shapes=fixed((2, 2, 7, 5))),
    Row("adaptive_avg_pool1d", lambda m, x: F(m).adaptive_avg_pool1d(x, 4), shapes=fixed((2, 2, 10))),
    # ---- normalisation ----
    Row("batch_norm", lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True), 3, shapes=fixed((4, 3, 2, 2), (3,), (3,))),
    Row("batch_norm_1d", lambda m, x: F(m).batch_norm(x, None, None, training=True, eps=1e-3), shapes=fixed((5, 3))),
    Row("batch_norm_eval", lambda m, x, w, b: F(m).batch_norm(
        x, m.tensor([0.125, -0.25, 0.375], dtype=x.dtype), m.tensor([1.5, 0.5, 2.0], dtype=x.dtype), w, b), 3,
        shapes=fixed((4, 3, 5), (3,), (3,))),
    Row("instance_norm", lambda m, x, w, b: F(m).instance_norm(x, weight=w, bias=b), 3, shapes=fixed((2, 3, 4, 2), (3,), (3,))),
    Row("layer_norm", lambda m, x, w, b: F(m).layer_norm(x, (3, 4), w, b), 3, shapes=fixed((2, 3, 4), (3, 4), (3, 4))),
    Row("layer_norm_noaffine", lambda m, x: F(m).layer_norm(x, (5,)), shapes=fixed((3, 5))),
    Row("group_norm", lambda m, x, w, b: F(m).group_norm(x, 2, w, b), 3, shapes=fixed((2, 4, 3, 2), (4,), (4,))),
    Row("rms_norm", lambda m, x, w: F(m).rms_norm(x, (4,), w), 2, shapes=fixed((3, 2, 4), (4,))),
    Row("rms_norm_eps", lambda m, x: F(m).rms_norm(x, (2, 3), eps=1e-3), shapes=fixed((4, 2, 3))),
    # ---- embedding, padding ----
    Row("embedding", lambda m, w: F(m).embedding(_ints(m, [[1, 3, 1], [0, 4, 3]]), w, padding_idx=3), shapes=fixed((5, 3)), fd=False),
    Row("embedding_freq", lambda m, w: F(m).embedding(_ints(m, [1, 1, 2, 1]), w, scale_grad_by_freq=True), shapes=fixed((4, 2)), fd=False),
    Row("pad", lambda m, x: F(m).pad(x, (1, 2, 0, 1), value=0.5), shapes=fixed((2, 3, 4))),
    Row("pad_crop", lambda m, x: F(m).pad(x, (-1, 2, 1, -2)), shapes=fixed((2, 4, 5))),
    Row("pad_reflect", lambda m, x: F(m).pad(x, (2, 1, 1, 2), mode="reflect"), shapes=fixed((1, 2, 4, 5))),
    Row("pad_replicate", lambda m, x: F(m).pad(x, (2, 3), mode="replicate"), shapes=fixed((2, 3, 4))),
    Row("pad_circular", lambda m, x: F(m).pad(x, (1, 2, 2, 1), mode="circular"), shapes=fixed((1, 2, 3, 4))),
    # ---- attention weights returned by MultiheadAttention (one node with the pass-through) ----
    Row("attention_weights", lambda m, w: _attention_weights(m, w, True, True), shapes=fixed((4, 3, 5))),
    Row("attention_weights_heads", lambda m, w: _attention_weights(m, w, False, True), shapes=fixed((4, 3, 5))),
    Row("attention_weights_unbatched", lambda m, w: _attention_weights(m, w, True, False), shapes=fixed((4, 3, 5))),
    # ---- recurrent layers (torch._VF signatures) ----
    Row("rnn_tanh", _rnn("rnn_tanh"), 6, shapes=_rnn_shapes("rnn")),
    Row("rnn_relu", _rnn("rnn_relu", bias=False), 4, shapes=_rnn_shapes("rnn", bias=False), domain=lambda x: x + 0.05),
    Row("gru", _rnn("gru"), 6, shapes=_rnn_shapes("gru")),
    Row("lstm", _rnn("lstm"), 7, shapes=_rnn_shapes("lstm")),
    Row("lstm_deep_bidirectional", _rnn("lstm", layers=2, bidir=True), 19, shapes=_rnn_shapes("lstm", layers=2, bidir=True), fd=False),
    Row("gru_bidirectional_batch_first", _rnn("gru", bidir=True, batch_first=True), 10, shapes=_rnn_shapes("gru", bidir=True)),
    Row("rnn_tanh_deep", _rnn("rnn_tanh", layers=2), 10, shapes=_rnn_shapes("rnn", layers=2)),
    # ---- losses (fused) ----
    Row("mse_loss", lambda m, a, b: F(m).mse_loss(a, b), 2, shapes=fixed((3, 4), (3, 4))),
    Row("mse_loss_none", lambda m, a, b: F(m).mse_loss(a, b, reduction="none"), 2, shapes=fixed((3, 4), (3, 4))),
    Row("l1_loss", lambda m, a, b: F(m).l1_loss(a, b, reduction="sum"), 2, shapes=fixed((5,), (5,)), domain=away_from_zero),
    Row("smooth_l1_loss", lambda m, a, b: F(m).smooth_l1_loss(a, b, beta=0.5), 2, shapes=fixed((4, 3), (4, 3))),
    Row("huber_loss", lambda m, a, b: F(m).huber_loss(a, b, reduction="sum", delta=0.7), 2, shapes=fixed((4, 3), (4, 3))),
    Row("cross_entropy", lambda m, x: F(m).cross_entropy(x, _ints(m, [0, 2, 1, 2])), shapes=fixed((4, 3))),
    Row("cross_entropy_weighted", lambda m, x: F(m).cross_entropy(
        x, _ints(m, [0, 2, -100, 1]), weight=m.tensor([0.25, 1.0, 3.0], dtype=x.dtype), label_smoothing=0.2), shapes=fixed((4, 3))),
    Row("cross_entropy_spatial", lambda m, x: F(m).cross_entropy(
        x, _ints(m, [[[0, 1], [2, 2], [1, 0]], [[2, 0], [1, 1], [0, 5]]]), ignore_index=5, reduction="none"), shapes=fixed((2, 3, 3, 2))),
    Row("cross_entropy_sum_smooth", lambda m, x: F(m).cross_entropy(x, _ints(m, [3, 0]), reduction="sum", label_smoothing=0.1),
        shapes=fixed((2, 4))),
    Row("cross_entropy_probs", lambda m, x, t: F(m).cross_entropy(x, t.softmax(-1), weight=m.tensor([1.0, 0.5, 2.0], dtype=x.dtype),
        label_smoothing=0.1), 2, shapes=fixed((4, 3), (4, 3))),
    Row("cross_entropy_unbatched", lambda m, x: F(m).cross_entropy(x, _ints(m, 2)), shapes=fixed((4,))),
    Row("nll_loss", lambda m, x: F(m).nll_loss(x, _ints(m, [1, 0, 3]), weight=m.tensor([1.0, 2.0, 0.5, 1.5], dtype=x.dtype)),
        shapes=fixed((3, 4))),
    Row("nll_loss_none", lambda m, x: F(m).nll_loss(x, _ints(m, [[1, 0], [2, -100]]), reduction="none"), shapes=fixed((2, 3, 2))),
    Row("binary_cross_entropy", lambda m, x, t: F(m).binary_cross_entropy(x, t, weight=m.tensor([0.5, 2.0, 1.0], dtype=x.dtype)), 2,
        shapes=fixed((4, 3), (4, 3)), domain=_probs),
    Row("binary_cross_entropy_with_logits", lambda m, x, t, pw: F(m).binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=pw), 3,
        shapes=fixed((4, 3), (4, 3), (3,)), grad=(True, True, False)),
    Row("bce_with_logits_weight", lambda m, x, t, w: F(m).binary_cross_entropy_with_logits(x * 4, t.sigmoid(), w, reduction="sum"), 3,
        shapes=fixed((2, 3), (2, 3), (2, 1)), grad=(True, True, False)),
    Row("kl_div", lambda m, x, t: F(m).kl_div(x.log_softmax(-1), t.softmax(-1), reduction="batchmean"), 2, shapes=fixed((3, 4), (3, 4))),
    Row("kl_div_log_target", lambda m, x, t: F(m).kl_div(x, t, reduction="sum", log_target=True), 2, shapes=fixed((3, 4), (3, 4))),
    Row("kl_div_zero_target", lambda m, x, t: F(m).kl_div(x, t.relu(), reduction="none"), 2, shapes=fixed((2, 3), (2, 3)),
        domain=away_from_zero),
    # ---- composed functions of nn.functional ----
    Row("F_softmax", lambda m, x: F(m).softmax(x, dim=1) + F(m).log_softmax(x, dim=-1), shapes=fixed((3, 4))),
    Row("softmin", lambda m, x: F(m).softmin(x, dim=0), shapes=fixed((3, 4))),
    Row("glu", lambda m, x: F(m).glu(x, 1), shapes=fixed((2, 4, 3))),
    Row("tanhshrink", lambda m, x: F(m).tanhshrink(x)),
    Row("interpolate_nearest", lambda m, x: F(m).interpolate(x, scale_factor=2), shapes=fixed((1, 2, 3, 2))),
    Row("interpolate_nearest_size", lambda m, x: F(m).interpolate(x, size=(5, 3)), shapes=fixed((2, 1, 3, 4))),
    Row("interpolate_bilinear", lambda m, x: F(m).interpolate(x, size=(5, 7), mode="bilinear"), shapes=fixed((1, 2, 3, 4))),
    Row("interpolate_bilinear_ac", lambda m, x: F(m).interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=True),
        shapes=fixed((1, 2, 3, 4))),
    Row("interpolate_nearest_frac", lambda m, x: F(m).interpolate(x, scale_factor=1.5) + F(m).interpolate(x, scale_factor=1.5, mode="nearest-exact"),
        shapes=fixed((1, 2, 3, 5))),
    Row("interpolate_area", lambda m, x: F(m).interpolate(x, size=(2, 3), mode="area"), shapes=fixed((1, 2, 5, 7))),
    Row("interpolate_linear", lambda m, x: F(m).interpolate(x, scale_factor=0.6, mode="linear"), shapes=fixed((2, 2, 7))),
    Row("sdpa", lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v), 3, shapes=fixed((2, 3, 4), (2, 5, 4), (2, 5, 3))),
    Row("sdpa_causal", lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3), 3,
        shapes=fixed((2, 2, 4, 3), (2, 2, 4, 3), (2, 2, 4, 3))),
    Row("sdpa_mask", lambda m, q, k, v: F(m).scaled_dot_product_attention(
        q, k, v, attn_mask=m.tensor([[True, False, True], [True, True, False]])), 3, shapes=fixed((1, 2, 4), (1, 3, 4), (1, 3, 2))),
    Row("sdpa_float_mask", lambda m, q, k, v, mk: F(m).scaled_dot_product_attention(q, k, v, attn_mask=mk), 4,
        shapes=fixed((2, 3, 4), (2, 3, 4), (2, 3, 4), (3, 3))),
    Row("normalize", lambda m, x: F(m).normalize(x, dim=-1), shapes=fixed((3, 4))),
    Row("normalize_p1", lambda m, x: F(m).normalize(x, p=1, dim=0), shapes=fixed((3, 4)), domain=away_from_zero),
    Row("cosine_similarity", lambda m, a, b: F(m).cosine_similarity(a, b), 2, shapes=fixed((3, 4), (1, 4))),
    Row("pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b), 2, shapes=fixed((3, 4), (3, 4))),
    Row("pairwise_distance_p3", lambda m, a, b: F(m).pairwise_distance(a, b, p=3, keepdim=True), 2, shapes=fixed((3, 4), (3, 4))),
    Row("cosine_embedding_loss", lambda m, a, b: F(m).cosine_embedding_loss(a, b, _ints(m, [1, -1, -1, 1]), margin=-0.3), 2,
        shapes=fixed((4, 3), (4, 3))),
    Row("margin_ranking_loss", lambda m, a, b: F(m).margin_ranking_loss(a, b, m.tensor([1.0, -1.0, 1.0], dtype=a.dtype), margin=0.1), 2,
        shapes=fixed((3,), (3,))),
    Row("triplet_margin_loss", lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=2.0), 3, shapes=fixed((3, 4), (3, 4), (3, 4))),
    Row("triplet_margin_loss_swap", lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, p=1, swap=True, reduction="none"), 3,
        shapes=fixed((3, 4), (3, 4), (3, 4))),
    Row("hinge_embedding_loss", lambda m, x: F(m).hinge_embedding_loss(x, m.tensor([1.0, -1.0, -1.0, 1.0], dtype=x.dtype)),
        shapes=fixed((4,))),
    Row("soft_margin_loss", lambda m, x: F(m).soft_margin_loss(x, m.tensor([1.0, -1.0, -1.0], dtype=x.dtype)), shapes=fixed((3,))),
    Row("pixel_shuffle", lambda m, x: F(m).pixel_unshuffle(F(m).pixel_shuffle(x, 2) * 1, 2), shapes=fixed((1, 8, 2, 3))),
    Row("parameters_to_vector", lambda m, a, b: m.nn.utils.parameters_to_vector([a, b]), 2, shapes=fixed((2, 3), (4,))),
]
