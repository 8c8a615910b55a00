"""Printed autograd nodes of the ops sequence-to-sequence and speech models use: attention
(bmm, matmul, sdpa, masked_fill, softmax), recurrent layers and cells, packing utilities, CTC and
cross-entropy losses (label smoothing, probability targets, (N, C, T) inputs), under torch's names."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence, unpad_sequence

torch.manual_seed(0)
x = torch.randn(2, 4, 6, requires_grad=True)
h = torch.randn(2, 6, requires_grad=True)
lengths = torch.tensor([4, 2])
mask = torch.arange(4)[None, :] < lengths[:, None]
outs = {
    "bmm": torch.bmm(x, x.transpose(1, 2)),
    "softmax1": F.softmax(x, dim=1),
    "logsm": x.log_softmax(2),
    "unsq": h.unsqueeze(1),
    "squeeze": x[:, :1].squeeze(1),
    "squeeze_all": x[:1, :1].squeeze(),
    "repeat": h.unsqueeze(1).repeat(1, 4, 1),
    "expand": h.unsqueeze(1).expand(-1, 4, -1),
    "cat": torch.cat([x, x], 2),
    "stack": torch.stack([h, h], 1),
    "masked_fill": x.masked_fill(~mask.unsqueeze(-1), 0.0),
    "masked_fill_t": x.masked_fill(~mask.unsqueeze(-1), torch.tensor(0.0)),
    "chunk0": torch.chunk(x, 2, dim=2)[0],
    "chunk1": x.chunk(2, -1)[1],
    "split": x.split([2, 4], dim=2)[1],
    "tanh_sig": torch.tanh(x) * torch.sigmoid(x),
    "sign": torch.sign(x),
    "log1p": torch.log1p(x.abs()),
    "pad_left": F.pad(x, (2, 0)),
    "pad_reflect": F.pad(x, (2, 1), mode='reflect'),
    "pad_rep": F.pad(x, (2, 1), mode='replicate'),
    "gather": x.gather(2, torch.zeros(2, 4, 1, dtype=torch.long)),
    "topk": x.topk(2, dim=-1).values,
    "max": x.max(dim=1)[0],
    "amax": x.amax(dim=1),
    "sum_mask": (x * mask.unsqueeze(-1)).sum(1),
    "div_len": x.sum(1) / lengths.unsqueeze(1),
    "mean": x.mean(dim=1),
    "norm": x.norm(dim=-1),
    "t": h.t(),
    "transpose": x.transpose(0, 1),
    "permute": x.permute(1, 0, 2),
    "contig": x.transpose(0, 1).contiguous(),
    "view": x.view(8, 6),
    "reshape": x.reshape(-1),
    "flatten": x.flatten(1),
    "index": x[torch.arange(2), lengths - 1],
    "index2": x[:, -1, :],
    "where": torch.where(mask.unsqueeze(-1), x, torch.zeros(())),
    "flip": x.flip(1),
    "roll": x.roll(1, 1),
    "cumsum": x.cumsum(1),
    "clamp": x.clamp(min=0),
    "rsub": 1 - x,
    "neg": -x,
    "pow": x ** 2,
    "rpow": 2 ** x,
    "sqrt": x.abs().sqrt(),
    "exp": x.exp(),
    "matmul": x @ h.unsqueeze(-1),
    "baddbmm": torch.baddbmm(torch.zeros(2, 4, 4), x, x.transpose(1, 2)),
    "linear": F.linear(x, torch.randn(3, 6)),
    "linear2d": F.linear(h, torch.randn(3, 6), torch.randn(3)),
    "conv1d": F.conv1d(x, torch.randn(3, 4, 2)),
    "unfold": x.unfold(1, 2, 1),
    "repeat_inter": x.repeat_interleave(2, dim=0),
    "index_select": x.index_select(0, torch.tensor([1, 0])),
    "narrow": x.narrow(1, 0, 2),
    "select": x.select(1, 0),
    "diff": torch.diff(x, dim=1),
    "glu": F.glu(x, dim=-1),
    "gelu": F.gelu(x),
    "dropout": F.dropout(x, 0.5, training=True),
    "layer_norm": F.layer_norm(x, (6,)),
    "mse": F.mse_loss(x, torch.zeros_like(x)),
    "l1": F.l1_loss(x, torch.zeros_like(x), reduction='none'),
    "bce": F.binary_cross_entropy_with_logits(x, torch.ones_like(x)),
    "cosine": F.cosine_similarity(x, x + 1, dim=-1),
    "normalize": F.normalize(x, dim=-1),
    "embedding": F.embedding(torch.tensor([[1, 0]]), h),
    "sdpa": F.scaled_dot_product_attention(x, x, x, is_causal=True),
    "sdpa_mask": F.scaled_dot_product_attention(x, x, x, attn_mask=mask.unsqueeze(1)),
    "mu": torch.sign(x) * torch.log1p(255 * x.abs()) / torch.log1p(torch.tensor(255.0)),
    "float": x.float(),
    "double": x.double(),
    "to": x.to(torch.float64),
    "clone": x.clone(),
    "detach_req": x.detach().requires_grad_(),
    "softplus": F.softplus(x),
    "logsumexp": x.logsumexp(-1),
    "var": x.var(1),
    "std": x.std(dim=1, keepdim=True),
    "sort": x.sort(dim=-1)[0],
    "cummax": x.cummax(1).values,
    "tril": x[0].tril(),
    "outer": torch.outer(h[0], h[1]),
}
for k, v in outs.items():
    print(f"{k:14s}", v.grad_fn.name() if v.grad_fn is not None else None, tuple(v.shape))
gru = nn.GRU(6, 3, batch_first=True, bidirectional=True)
p = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
print(p.data.grad_fn.name(), p.batch_sizes, p.sorted_indices)
o, hn = gru(p)
u, l = pad_packed_sequence(o, batch_first=True)
print(u.grad_fn.name(), l, torch.cat([hn[-2], hn[-1]], 1).grad_fn.name())
print(hn)
o2, hn2 = gru(x)
print(o2.grad_fn.name(), hn2)
lstm = nn.LSTM(6, 3, num_layers=2)
o3, (h3, c3) = lstm(x)
print(o3.grad_fn.name(), h3, c3)
for cell in (nn.GRUCell(6, 3), nn.LSTMCell(6, 3), nn.RNNCell(6, 3)):
    print(cell(h), cell(h[0]))
mha = nn.MultiheadAttention(6, 2, batch_first=True)
a, w = mha(x, x, x, key_padding_mask=~mask)
print(a.grad_fn.name(), w.grad_fn.name(), w.shape)
print(pad_sequence([x[0], x[1, :2]], batch_first=True).grad_fn.name())
print([t.grad_fn.name() for t in unpad_sequence(x * 1, lengths, batch_first=True)])
lp = torch.randn(5, 2, 4).log_softmax(2).detach().requires_grad_()
tg = torch.tensor([[1, 2], [3, 3]])
for red in ("none", "mean", "sum"):
    for zi in (False, True):
        print(red, zi, F.ctc_loss(lp, tg, (5, 2), (2, 2), reduction=red, zero_infinity=zi))
logits = torch.randn(2, 5, 4, requires_grad=True)
tgt = torch.tensor([[1, 2, 0, 0], [3, 4, 4, 0]])
for red in ("none", "mean"):
    print(F.cross_entropy(logits, tgt, ignore_index=0, reduction=red, label_smoothing=0.1))
    print(F.cross_entropy(logits, tgt, ignore_index=0, reduction=red))
    print(F.nll_loss(logits.log_softmax(1), tgt, reduction=red))
print(F.cross_entropy(logits, logits.detach().softmax(1)))
for a_shape, b_shape in [((3,), (3, 2)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4))]:
    print(a_shape, b_shape, (torch.ones(a_shape, requires_grad=True) @ torch.ones(b_shape)).grad_fn.name())
