"""Every layer against torch with identical weights (torch's state_dict copied in): outputs,
input gradients and parameter gradients, in float32 and float64."""
from __future__ import annotations

import numpy as np
import pytest

from _compare import check, randn


def ints(*shape, high=5, seed=0):
    return np.random.default_rng(seed).integers(0, high, shape)


CASES = [
    # id, factory, input arrays, call (None: module(*inputs)), train
    ("Linear", lambda m: m.nn.Linear(4, 3), [randn(2, 5, 4)], None, True),
    ("Linear_nobias", lambda m: m.nn.Linear(4, 3, bias=False), [randn(4)], None, True),
    ("Bilinear", lambda m: m.nn.Bilinear(3, 4, 2), [randn(5, 3), randn(5, 4, seed=1)], None, True),
    ("Identity", lambda m: m.nn.Identity(3), [randn(2, 3)], None, True),
    ("Flatten", lambda m: m.nn.Flatten(), [randn(2, 3, 4)], None, True),
    ("Unflatten", lambda m: m.nn.Unflatten(1, (2, 3)), [randn(4, 6)], None, True),
    ("Conv1d", lambda m: m.nn.Conv1d(3, 4, 3, stride=2, padding=1), [randn(2, 3, 9)], None, True),
    ("Conv1d_reflect", lambda m: m.nn.Conv1d(2, 4, 5, padding=2, padding_mode="reflect", dilation=1), [randn(2, 2, 7)], None, True),
    ("Conv2d", lambda m: m.nn.Conv2d(3, 8, 3), [randn(2, 3, 7, 6)], None, True),
    ("Conv2d_full", lambda m: m.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2, bias=False),
     [randn(2, 4, 9, 8)], None, True),
    ("Conv2d_same", lambda m: m.nn.Conv2d(2, 3, 4, padding="same"), [randn(1, 2, 6, 5)], None, True),
    ("Conv2d_circular", lambda m: m.nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), [randn(1, 2, 5, 5)], None, True),
    ("Conv2d_replicate_unbatched", lambda m: m.nn.Conv2d(2, 3, 3, padding=2, padding_mode="replicate"), [randn(2, 5, 4)], None, True),
    ("Conv2d_depthwise", lambda m: m.nn.Conv2d(4, 8, 3, groups=4, padding=1), [randn(2, 4, 6, 6)], None, True),
    ("Conv3d", lambda m: m.nn.Conv3d(2, 3, 2, stride=(1, 2, 1)), [randn(1, 2, 3, 4, 3)], None, True),
    ("ConvTranspose1d", lambda m: m.nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), [randn(2, 3, 5)], None, True),
    ("ConvTranspose2d", lambda m: m.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2), [randn(2, 4, 3, 4)],
     None, True),
    ("ConvTranspose2d_output_size", lambda m: m.nn.ConvTranspose2d(2, 3, 3, stride=2), [randn(1, 2, 4, 4)],
     lambda mod, x: mod(x, output_size=[10, 9]), True),
    ("MaxPool1d", lambda m: m.nn.MaxPool1d(3, stride=2, padding=1), [randn(2, 3, 10)], None, True),
    ("MaxPool2d", lambda m: m.nn.MaxPool2d(2), [randn(2, 3, 6, 8)], None, True),
    ("MaxPool2d_indices", lambda m: m.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True, return_indices=True), [randn(2, 2, 7, 6)],
     None, True),
    ("MaxPool2d_dilation", lambda m: m.nn.MaxPool2d((2, 3), stride=(1, 2), dilation=2), [randn(1, 2, 7, 9)], None, True),
    ("AvgPool1d", lambda m: m.nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), [randn(2, 3, 9)], None, True),
    ("AvgPool2d", lambda m: m.nn.AvgPool2d(2), [randn(2, 3, 6, 8)], None, True),
    ("AvgPool2d_ceil", lambda m: m.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), [randn(1, 2, 6, 7)], None, True),
    ("AdaptiveAvgPool1d", lambda m: m.nn.AdaptiveAvgPool1d(3), [randn(2, 3, 7)], None, True),
    ("AdaptiveAvgPool2d", lambda m: m.nn.AdaptiveAvgPool2d((3, None)), [randn(2, 3, 7, 5)], None, True),
    ("AdaptiveAvgPool2d_global", lambda m: m.nn.AdaptiveAvgPool2d(1), [randn(2, 3, 5, 5)], None, True),
    ("BatchNorm1d", lambda m: m.nn.BatchNorm1d(3), [randn(6, 3)], None, True),
    ("BatchNorm1d_3d", lambda m: m.nn.BatchNorm1d(3, momentum=None), [randn(4, 3, 5)], None, True),
    ("BatchNorm1d_eval", lambda m: m.nn.BatchNorm1d(3), [randn(6, 3)], None, False),
    ("BatchNorm2d", lambda m: m.nn.BatchNorm2d(4, momentum=0.3), [randn(3, 4, 5, 5)], None, True),
    ("BatchNorm2d_noaffine", lambda m: m.nn.BatchNorm2d(4, affine=False), [randn(3, 4, 2, 3)], None, True),
    ("BatchNorm2d_nostats", lambda m: m.nn.BatchNorm2d(4, track_running_stats=False), [randn(3, 4, 2, 3)], None, False),
    ("BatchNorm2d_nobias", lambda m: m.nn.BatchNorm2d(4, bias=False), [randn(3, 4, 2, 3)], None, True),
    ("InstanceNorm1d", lambda m: m.nn.InstanceNorm1d(3, affine=True), [randn(2, 3, 6)], None, True),
    ("InstanceNorm2d_stats", lambda m: m.nn.InstanceNorm2d(3, track_running_stats=True), [randn(2, 3, 4, 4)], None, True),
    ("LayerNorm", lambda m: m.nn.LayerNorm(5), [randn(2, 3, 5)], None, True),
    ("LayerNorm_2d", lambda m: m.nn.LayerNorm((3, 5), eps=1e-3, bias=False), [randn(2, 3, 5)], None, True),
    ("GroupNorm", lambda m: m.nn.GroupNorm(2, 6), [randn(3, 6, 4)], None, True),
    ("GroupNorm_4d", lambda m: m.nn.GroupNorm(3, 3, affine=False), [randn(2, 3, 2, 2)], None, True),
    ("RMSNorm", lambda m: m.nn.RMSNorm(5), [randn(2, 3, 5)], None, True),
    ("RMSNorm_eps", lambda m: m.nn.RMSNorm((3, 5), eps=1e-4), [randn(2, 3, 5)], None, True),
    ("Dropout_eval", lambda m: m.nn.Dropout(0.4), [randn(3, 4)], None, False),
    ("Dropout2d_eval", lambda m: m.nn.Dropout2d(0.4), [randn(2, 3, 4, 4)], None, False),
    ("Embedding", lambda m: m.nn.Embedding(7, 3, padding_idx=2), [ints(2, 4, high=7)], None, True),
    ("Embedding_maxnorm", lambda m: m.nn.Embedding(7, 3, max_norm=0.5), [ints(5, high=7)], None, True),
    ("RNN", lambda m: m.nn.RNN(3, 4), [randn(5, 2, 3)], None, True),
    ("RNN_relu_deep_bidir_bf", lambda m: m.nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True, bidirectional=True),
     [randn(2, 5, 3), randn(4, 2, 4, seed=1)], None, True),
    ("RNN_unbatched", lambda m: m.nn.RNN(3, 4, bias=False), [randn(5, 3)], None, True),
    ("LSTM", lambda m: m.nn.LSTM(3, 4), [randn(5, 2, 3)], None, True),
    ("LSTM_full", lambda m: m.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True),
     [randn(2, 6, 3), randn(4, 2, 4, seed=1), randn(4, 2, 4, seed=2)], lambda mod, x, h, c: mod(x, (h, c)), True),
    ("GRU", lambda m: m.nn.GRU(3, 4, num_layers=2), [randn(5, 2, 3), randn(2, 2, 4, seed=1)], None, True),
    ("GRU_bidir_unbatched", lambda m: m.nn.GRU(3, 4, bidirectional=True), [randn(5, 3)], None, True),
    ("RNNCell", lambda m: m.nn.RNNCell(3, 4, nonlinearity="relu"), [randn(2, 3), randn(2, 4, seed=1)], None, True),
    ("LSTMCell", lambda m: m.nn.LSTMCell(3, 4), [randn(2, 3), randn(2, 4, seed=1), randn(2, 4, seed=2)],
     lambda mod, x, h, c: mod(x, (h, c)), True),
    ("LSTMCell_nostate", lambda m: m.nn.LSTMCell(3, 4), [randn(3)], None, True),
    ("GRUCell", lambda m: m.nn.GRUCell(3, 4, bias=False), [randn(2, 3)], None, True),
    ("MultiheadAttention", lambda m: m.nn.MultiheadAttention(8, 2), [randn(5, 3, 8), randn(4, 3, 8, seed=1), randn(4, 3, 8, seed=2)],
     None, True),
    ("MultiheadAttention_masks", lambda m: m.nn.MultiheadAttention(8, 4, batch_first=True, kdim=5, vdim=6),
     [randn(2, 3, 8), randn(2, 4, 5, seed=1), randn(2, 4, 6, seed=2),
      np.array([[False, False, True, False], [False, False, False, False]]), np.triu(np.ones((3, 4), bool), 1)],
     lambda mod, q, k, v, kpm, am: mod(q, k, v, key_padding_mask=kpm, attn_mask=am, average_attn_weights=False), True),
    ("MultiheadAttention_noweights", lambda m: m.nn.MultiheadAttention(6, 3, bias=False),
     [randn(4, 2, 6), randn(4, 2, 6, seed=1)], lambda mod, q, k: mod(q, k, k, need_weights=False), True),
    ("MultiheadAttention_unbatched", lambda m: m.nn.MultiheadAttention(4, 2), [randn(3, 4), randn(5, 4, seed=1)],
     lambda mod, q, k: mod(q, k, k), True),
    ("TransformerEncoderLayer", lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), [randn(5, 3, 8)], None, True),
    ("TransformerEncoderLayer_prenorm_gelu", lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
     norm_first=True, batch_first=True), [randn(3, 5, 8), np.triu(np.ones((5, 5), bool), 1)],
     lambda mod, x, mask: mod(x, src_mask=mask, is_causal=True), True),
    ("TransformerEncoderLayer_eval_padding", lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
     [randn(2, 4, 8), np.array([[False, False, False, True], [False, False, False, False]])],
     lambda mod, x, kpm: mod(x, src_key_padding_mask=kpm), False),
    ("TransformerEncoder", lambda m: m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
     norm=m.nn.LayerNorm(8)), [randn(5, 3, 8)], None, True),
    ("Upsample_nearest", lambda m: m.nn.Upsample(scale_factor=2), [randn(1, 2, 3, 4)], None, True),
    ("Upsample_bilinear", lambda m: m.nn.Upsample(size=(5, 7), mode="bilinear", align_corners=False), [randn(1, 2, 3, 4)], None, True),
    ("PixelShuffle", lambda m: m.nn.PixelShuffle(2), [randn(1, 8, 2, 3)], None, True),
    ("ZeroPad2d", lambda m: m.nn.ZeroPad2d((1, 2, 0, 1)), [randn(1, 2, 3, 3)], None, True),
    ("ReflectionPad2d", lambda m: m.nn.ReflectionPad2d(1), [randn(1, 2, 3, 3)], None, True),
    ("ReplicationPad1d", lambda m: m.nn.ReplicationPad1d((2, 1)), [randn(1, 2, 3)], None, True),
    ("CircularPad2d", lambda m: m.nn.CircularPad2d(1), [randn(1, 2, 3, 3)], None, True),
    ("ConstantPad1d", lambda m: m.nn.ConstantPad1d(2, 3.5), [randn(2, 3)], None, True),
    ("CosineSimilarity", lambda m: m.nn.CosineSimilarity(dim=-1), [randn(3, 4), randn(3, 4, seed=1)], None, True),
    ("PairwiseDistance", lambda m: m.nn.PairwiseDistance(p=1.5), [randn(3, 4), randn(3, 4, seed=1)], None, True),
    ("Sequential_cnn", lambda m: m.nn.Sequential(
        m.nn.Conv2d(1, 4, 3, padding=1), m.nn.BatchNorm2d(4), m.nn.ReLU(), m.nn.MaxPool2d(2), m.nn.Flatten(), m.nn.Linear(16, 3)),
     [randn(2, 1, 4, 4)], None, True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_torch(case, dtype):
    name, make, arrays, call, train = case
    check(make, arrays, dtype, call=call, train=train, what=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_instance_norm_momentum_none_keeps_running_stats(nd, dtype):
    # torch runs instance norm with momentum 0 when momentum is None: the running stats stay put
    # (there is no cumulative average as in batch norm); kittygrad used to update them with 0.1
    shape = (2, 3) + (4, 3, 2)[:nd]

    def make(lib):
        mod = getattr(lib.nn, f"InstanceNorm{nd}d")(3, momentum=None, affine=True, track_running_stats=True)
        with lib.no_grad():
            mod.running_mean.copy_(lib.tensor([0.1, -0.2, 0.3]))
            mod.running_var.copy_(lib.tensor([0.5, 1.5, 2.0]))
        return mod

    check(make, [randn(*shape) * 2 + 1], dtype=dtype, what=f"InstanceNorm{nd}d momentum=None")
    check(make, [randn(*shape[1:])], dtype=dtype, what=f"InstanceNorm{nd}d momentum=None unbatched")
