"""nn functions on integer (and bool) tensors, as torch: most kernels refuse them with a
NotImplementedError naming the C++ kernel; hardtanh/relu6 clamp them, softsign gives floats, the
norms and RNN modules refuse them in their own words."""
from __future__ import annotations

import pytest
import torch

import kittygrad as kitty
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)


def _x(m, dtype="int64"):
    return m.tensor([1, -2, 3]).to(getattr(m, dtype)) if dtype != "uint8" else m.tensor([1, 0, 3], dtype=m.uint8)


CALLS = {
    "gelu": lambda m: m.nn.functional.gelu(_x(m)),
    "GELU tanh, int32": lambda m: m.nn.GELU("tanh")(_x(m, "int32")),
    "cross_entropy": lambda m: m.nn.functional.cross_entropy(_x(m).reshape(1, 3), m.tensor([0])),
    "cross_entropy, 3-d": lambda m: m.nn.functional.cross_entropy(m.ones(2, 3, 4, dtype=m.long), m.zeros(2, 4, dtype=m.long)),
    "nll_loss": lambda m: m.nn.functional.nll_loss(_x(m).reshape(1, 3), m.tensor([0])),
    "nll_loss, 4-d": lambda m: m.nn.functional.nll_loss(m.ones(2, 3, 2, 2, dtype=m.long), m.zeros(2, 2, 2, dtype=m.long)),
    "softplus": lambda m: m.nn.functional.softplus(_x(m)),
    "silu_": lambda m: m.nn.functional.silu(_x(m), inplace=True),
    "elu": lambda m: m.nn.functional.elu(_x(m, "int8")),
    "selu": lambda m: m.nn.functional.selu(_x(m)),
    "celu": lambda m: m.nn.functional.celu(_x(m)),
    "mish": lambda m: m.nn.functional.mish(_x(m)),
    "hardswish": lambda m: m.nn.functional.hardswish(_x(m)),
    "hardsigmoid": lambda m: m.nn.functional.hardsigmoid(_x(m)),
    "leaky_relu on bools": lambda m: m.nn.functional.leaky_relu(m.tensor([True])),
    "logsigmoid": lambda m: m.nn.functional.logsigmoid(_x(m)),
    "prelu": lambda m: m.nn.functional.prelu(_x(m), m.tensor([1])),
    "PReLU (float weight)": lambda m: m.nn.PReLU()(_x(m)),
    "prelu, float64 weight": lambda m: m.nn.functional.prelu(m.ones(3), m.ones(1, dtype=m.float64)),
    "prelu, channels off": lambda m: m.nn.functional.prelu(m.ones(2, 3, dtype=m.long), m.ones(2, dtype=m.long)),
    "layer_norm": lambda m: m.nn.functional.layer_norm(_x(m), (3,)),
    "LayerNorm (float weight)": lambda m: m.nn.LayerNorm(3)(_x(m)),
    "group_norm": lambda m: m.nn.functional.group_norm(_x(m).reshape(1, 3), 1),
    "batch_norm": lambda m: m.nn.BatchNorm1d(3)(m.ones(2, 3, dtype=m.long)),
    "instance_norm": lambda m: m.nn.functional.instance_norm(m.ones(1, 2, 3, dtype=m.long)),
    "bce_with_logits": lambda m: m.nn.functional.binary_cross_entropy_with_logits(_x(m), m.tensor([1., 0., 1.])),
    "binary_cross_entropy": lambda m: m.nn.functional.binary_cross_entropy(_x(m), _x(m)),
    "Tensor.norm": lambda m: _x(m).norm(),
    "torch.norm nuc": lambda m: m.norm(m.ones(2, 2, dtype=m.long), p="nuc"),
    "linalg.norm": lambda m: m.linalg.norm(_x(m)),
    "linalg.norm over two dims": lambda m: m.linalg.norm(m.ones(2, 2, dtype=m.long), dim=(0, 1)),
    "linalg.norm ord 1, 2-d": lambda m: m.linalg.norm(m.ones(2, 2, dtype=m.long), ord=1),
    "vector_norm, float dtype": lambda m: m.linalg.vector_norm(_x(m), dtype=m.float32),
    "vector_norm, long dtype": lambda m: m.linalg.vector_norm(m.ones(3), dtype=m.int64),
    "normalize": lambda m: m.nn.functional.normalize(_x(m).reshape(1, 3)),
    "LSTM": lambda m: m.nn.LSTM(3, 4)(m.ones(2, 1, 3, dtype=m.long)),
    "GRU, float64 input": lambda m: m.nn.GRU(3, 4)(m.ones(2, 1, 3, dtype=m.float64)),
    "RNN, sizes off too": lambda m: m.nn.RNN(3, 4)(m.ones(2, 1, 5, dtype=m.long)),
    # the cells run linear (addmm with a bias, mm without) on the input, then on the state
    "RNNCell": lambda m: m.nn.RNNCell(3, 4)(m.ones(2, 3, dtype=m.long)),
    "RNNCell relu, unbatched bool": lambda m: m.nn.RNNCell(3, 4, nonlinearity="relu")(m.ones(3, dtype=m.bool)),
    "LSTMCell, no bias": lambda m: m.nn.LSTMCell(3, 4, bias=False)(m.ones(2, 3, dtype=m.int32)),
    "GRUCell, long state": lambda m: m.nn.GRUCell(3, 4)(m.ones(2, 3), m.ones(2, 4, dtype=m.long)),
    "RNNCell, float64 state": lambda m: m.nn.RNNCell(3, 4)(m.ones(2, 3), m.ones(2, 4, dtype=m.float64)),
    "rnn_tanh_cell with biases": lambda m: m.rnn_tanh_cell(
        m.ones(2, 3, dtype=m.long), m.ones(2, 4), m.ones(4, 3), m.ones(4, 4), m.ones(4), m.ones(4)),
    "glu": lambda m: m.nn.functional.glu(m.ones(2, 4, dtype=m.long)),
    "GLU on bools": lambda m: m.nn.GLU()(m.ones(2, 4, dtype=m.bool)),
    "glu, odd size": lambda m: m.nn.functional.glu(m.ones(2, 3, dtype=m.long)),
    "kl_div, float target": lambda m: m.nn.functional.kl_div(_x(m), m.ones(3), reduction="sum"),
    "KLDivLoss, int32 target": lambda m: m.nn.KLDivLoss(reduction="batchmean")(m.ones(3), m.ones(3, dtype=m.int32)),
    "kl_div, sizes off": lambda m: m.nn.functional.kl_div(m.ones(3, dtype=m.long), m.ones(4), reduction="sum"),
    "kl_div, float sizes off": lambda m: m.nn.functional.kl_div(m.ones(3), m.ones(4), reduction="sum"),
    "cosine_similarity": lambda m: m.nn.functional.cosine_similarity(m.ones(2, 3, dtype=m.long), m.ones(2, 3, dtype=m.long)),
    "cosine_similarity, sizes off": lambda m: m.nn.functional.cosine_similarity(
        m.ones(2, 3, dtype=m.int32), m.ones(2, 4, dtype=m.long)),
    "CosineSimilarity bool, uint8": lambda m: m.nn.CosineSimilarity()(m.ones(2, 3, dtype=m.bool), m.ones(2, 3, dtype=m.uint8)),
    "cosine_similarity long, float": lambda m: m.nn.functional.cosine_similarity(m.ones(2, 3, dtype=m.long), m.ones(2, 3)),
    "hardtanh": lambda m: m.nn.functional.hardtanh(_x(m)),
    "hardtanh_, fractional bounds": lambda m: m.nn.functional.hardtanh(_x(m), -1.5, 2.5, inplace=True),
    "Hardtanh int32": lambda m: m.nn.Hardtanh(-2, 2)(_x(m, "int32")),
    "hardtanh uint8, negative bound": lambda m: m.nn.functional.hardtanh(_x(m, "uint8")),
    "relu6 uint8": lambda m: m.nn.functional.relu6(_x(m, "uint8")),
    "ReLU6 on bools": lambda m: m.nn.ReLU6()(m.tensor([True])),
    "softsign": lambda m: m.nn.functional.softsign(_x(m)),
    "softsign on bools": lambda m: m.nn.functional.softsign(m.tensor([True])),
    "softshrink": lambda m: m.nn.functional.softshrink(_x(m), -1.0),
    "hardshrink": lambda m: m.nn.functional.hardshrink(_x(m, "int32")),
    "Tensor.hardshrink": lambda m: _x(m).hardshrink(),
    # pooling: int64 averages (truncating), max pools take integers but not bool, except 1-d
    # max pooling without indices (floats only)
    "avg_pool1d, padded, long": lambda m: m.nn.functional.avg_pool1d(
        m.tensor([[[1, 2, -3, -4, 5, 7, -7, 0]]]), 3, 1, 1, count_include_pad=False),
    "avg_pool2d, divisor, long": lambda m: m.nn.functional.avg_pool2d(
        m.tensor([[[1, 2, -3, -4], [5, 7, -7, 0]]]), 2, divisor_override=3),
    "avg_pool3d long": lambda m: m.nn.functional.avg_pool3d(m.arange(-4, 4).reshape(1, 1, 2, 2, 2), 2),
    "avg_pool1d int32": lambda m: m.nn.functional.avg_pool1d(m.ones(1, 2, 4, dtype=m.int32), 2),
    "avg_pool3d bool": lambda m: m.nn.functional.avg_pool3d(m.ones(1, 1, 2, 2, 2, dtype=m.bool), 2),
    "avg_pool3d float16": lambda m: m.nn.functional.avg_pool3d(m.ones(1, 1, 2, 2, 2, dtype=m.float16), 2),
    "lp_pool1d long": lambda m: m.nn.functional.lp_pool1d(m.tensor([[[1, 3, 2, 0]]]), 2, 2),
    "max_pool1d long": lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 4, dtype=m.long), 2),
    "max_pool1d long, indices": lambda m: m.nn.functional.max_pool1d(m.tensor([[[1, 3, 2, 0]]]), 2, return_indices=True)[1],
    "max_pool2d bool": lambda m: m.nn.functional.max_pool2d(m.ones(1, 2, 2, 2, dtype=m.bool), 2),
    "max_pool3d bool": lambda m: m.nn.functional.max_pool3d(m.ones(1, 1, 2, 2, 2, dtype=m.bool), 2),
    "adaptive_max_pool1d long": lambda m: m.nn.functional.adaptive_max_pool1d(m.ones(1, 2, 4, dtype=m.long), 2),
    "adaptive_max_pool3d uint8": lambda m: m.nn.functional.adaptive_max_pool3d(m.ones(1, 1, 2, 2, 2, dtype=m.uint8), 1),
    "adaptive_max_pool2d bfloat16": lambda m: m.nn.functional.adaptive_max_pool2d(m.arange(8.).reshape(1, 2, 2, 2).bfloat16(), 1),
    "adaptive_avg_pool2d long, one output": lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(1, 1, 2, 2, dtype=m.long), 1),
    "adaptive_avg_pool3d long, None": lambda m: m.nn.functional.adaptive_avg_pool3d(m.ones(1, 1, 1, 2, 2, dtype=m.long), (None, 1, 1)),
    "adaptive_avg_pool3d long": lambda m: m.nn.functional.adaptive_avg_pool3d(m.ones(1, 1, 2, 2, 2, dtype=m.long), 2),
}


@pytest.mark.parametrize("case", sorted(CALLS))
def test_nn_functions_on_integer_tensors_like_torch(case):
    call = CALLS[case]
    try:
        expected = call(torch)
    except Exception:
        ours, theirs = raised_as_torch(lambda: call(torch), lambda: call(kitty))
        assert ours.replace("kittygrad.", "torch.") == theirs
        return
    got = call(kitty)
    assert (got.tolist(), str(got.dtype).split(".")[1]) == (expected.tolist(), str(expected.dtype).split(".")[1])
