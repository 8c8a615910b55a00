"""Op-table rows of ``kittygrad/nn/functional.py`` (functions composed from ops).

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, _int_tensor, away_from_zero, fixed

ROWS = [
    Row("adaptive_avg_pool2d", lambda m, x: F(m).adaptive_avg_pool2d(x, (3, 2)), shapes=fixed((2, 2, 7, 5))),
    Row("adaptive_avg_pool1d", lambda m, x: F(m).adaptive_avg_pool1d(x, 4), shapes=fixed((2, 2, 10))),
    Row("softmin", lambda m, x: F(m).softmin(x, dim=0), shapes=fixed((3, 4))),
    Row("glu", lambda m, x: F(m).glu(x, 1), shapes=fixed((2, 4, 3))),
    Row("tanhshrink", lambda m, x: F(m).tanhshrink(x)),
    Row("interpolate_nearest", lambda m, x: F(m).interpolate(x, scale_factor=2), shapes=fixed((1, 2, 3, 2))),
    Row("interpolate_nearest_size", lambda m, x: F(m).interpolate(x, size=(5, 3)), shapes=fixed((2, 1, 3, 4))),
    Row("interpolate_bilinear", lambda m, x: F(m).interpolate(x, size=(5, 7), mode="bilinear"), shapes=fixed((1, 2, 3, 4))),
    Row("interpolate_bilinear_ac", lambda m, x: F(m).interpolate(x, scale_factor=1.7, mode="bilinear", align_corners=True),
        shapes=fixed((1, 2, 3, 4))),
    # bicubic: up and down, align_corners both ways, a user scale_factor (its 1/scale steps) and a
    # recomputed one; 2- and 3-wide inputs put taps past both edges, where they clamp
    Row("interpolate_bicubic", lambda m, x: F(m).interpolate(x, size=(5, 7), mode="bicubic"), shapes=fixed((1, 2, 3, 4))),
    # antialiased downscaling (PIL's filters stretched by the factor), and its upscaling
    Row("interpolate_bilinear_antialias", lambda m, x: F(m).interpolate(x, size=(3, 2), mode="bilinear", antialias=True),
        shapes=fixed((1, 2, 7, 5))),
    Row("interpolate_bicubic_antialias", lambda m, x: F(m).interpolate(x, scale_factor=0.6, mode="bicubic",
                                                                         antialias=True, align_corners=True),
        shapes=fixed((2, 1, 8, 6))),
    Row("interpolate_lanczos_antialias", lambda m, x: F(m).interpolate(x, size=(4, 9), mode="lanczos", antialias=True),
        shapes=fixed((1, 1, 9, 5))),
    Row("interpolate_bicubic_ac", lambda m, x: F(m).interpolate(x, scale_factor=1.7, mode="bicubic", align_corners=True),
        shapes=fixed((1, 2, 3, 4))),
    Row("interpolate_bicubic_down", lambda m, x: F(m).interpolate(x, scale_factor=(0.6, 0.45), mode="bicubic"),
        shapes=fixed((2, 1, 7, 9))),
    Row("interpolate_bicubic_down_ac", lambda m, x: F(m).interpolate(x, size=(3, 2), mode="bicubic", align_corners=True),
        shapes=fixed((1, 2, 6, 5))),
    Row("interpolate_bicubic_recompute", lambda m, x: F(m).interpolate(
        x, scale_factor=(2.5, 0.5), mode="bicubic", recompute_scale_factor=True), shapes=fixed((1, 1, 2, 6))),
    Row("interpolate_nearest_frac", lambda m, x: F(m).interpolate(x, scale_factor=1.5) + F(m).interpolate(x, scale_factor=1.5, mode="nearest-exact"),
        shapes=fixed((1, 2, 3, 5))),
    Row("interpolate_area", lambda m, x: F(m).interpolate(x, size=(2, 3), mode="area"), shapes=fixed((1, 2, 5, 7))),
    Row("interpolate_linear", lambda m, x: F(m).interpolate(x, scale_factor=0.6, mode="linear"), shapes=fixed((2, 2, 7))),
    Row("sdpa", lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v), 3, shapes=fixed((2, 3, 4), (2, 5, 4), (2, 5, 3))),
    Row("sdpa_causal", lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3), 3,
        shapes=fixed((2, 2, 4, 3), (2, 2, 4, 3), (2, 2, 4, 3)), also=("fused_attention",)),
    # (batch, heads, length, features): one fused node, as torch's flash kernel (ops/nn/attention.py)
    Row("sdpa_4d", lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v), 3,
        shapes=fixed((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3))),
    Row("sdpa_mask", lambda m, q, k, v: F(m).scaled_dot_product_attention(
        q, k, v, attn_mask=m.tensor([[True, False, True], [True, True, False]])), 3, shapes=fixed((1, 2, 4), (1, 3, 4), (1, 3, 2))),
    Row("sdpa_float_mask", lambda m, q, k, v, mk: F(m).scaled_dot_product_attention(q, k, v, attn_mask=mk), 4,
        shapes=fixed((2, 3, 4), (2, 3, 4), (2, 3, 4), (3, 3))),
    Row("normalize", lambda m, x: F(m).normalize(x, dim=-1), shapes=fixed((3, 4))),
    Row("normalize_p1", lambda m, x: F(m).normalize(x, p=1, dim=0), shapes=fixed((3, 4)), domain=away_from_zero),
    Row("cosine_similarity", lambda m, a, b: F(m).cosine_similarity(a, b), 2, shapes=fixed((3, 4), (1, 4))),
    Row("pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b), 2, shapes=fixed((3, 4), (3, 4))),
    Row("pairwise_distance_p3", lambda m, a, b: F(m).pairwise_distance(a, b, p=3, keepdim=True), 2, shapes=fixed((3, 4), (3, 4))),
    Row("cosine_embedding_loss", lambda m, a, b: F(m).cosine_embedding_loss(a, b, _int_tensor(m, [1, -1, -1, 1]), margin=-0.3), 2,
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
