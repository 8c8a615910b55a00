"""Multi-head self-attention written by hand: einsum, masked_fill with a causal mask, softmax,
then the same with nn.MultiheadAttention and F.scaled_dot_product_attention."""
import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
B, T, H, D = 2, 5, 2, 4
x = torch.linspace(-1, 1, B * T * H * D).reshape(B, T, H * D)
Wq, Wk, Wv = (torch.linspace(-0.5, 0.5, 64).reshape(8, 8).roll(i, 0) for i in range(3))
q = (x @ Wq).view(B, T, H, D).transpose(1, 2)
k = (x @ Wk).view(B, T, H, D).transpose(1, 2)
v = (x @ Wv).view(B, T, H, D).transpose(1, 2)
scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(D)
mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
scores = scores.masked_fill(~mask, float("-inf"))
att = scores.softmax(dim=-1)
out = torch.einsum("bhqk,bhkd->bhqd", att, v).transpose(1, 2).reshape(B, T, H * D)
print(att[0, 0])
print(out.shape, out[1, -1])
sdpa = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, H * D)
print(torch.allclose(out, sdpa, atol=1e-6))
mha = torch.nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
with torch.no_grad():
    mha.in_proj_weight.copy_(torch.cat([Wq.T, Wk.T, Wv.T]))
    mha.in_proj_bias.zero_()
    mha.out_proj.weight.copy_(torch.eye(8))
    mha.out_proj.bias.zero_()
y, w = mha(x, x, x, attn_mask=~mask, need_weights=True)
print(torch.allclose(y, out, atol=1e-5), w.shape, w[0, -1])
print(torch.einsum("ii", torch.arange(9.0).reshape(3, 3)), torch.einsum("i,j->ij", torch.ones(2), torch.arange(3.0)))
