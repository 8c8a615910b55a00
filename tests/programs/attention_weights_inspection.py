"""Inspecting nn.MultiheadAttention: batch_first inputs, need_weights=True with
average_attn_weights=True and False, a key_padding_mask, a boolean causal attn_mask and the
equivalent float (-inf) mask, a per-head 3-D mask, kdim/vdim different from embed_dim, and a check of
the outputs and weights against attention written by hand from in_proj_weight / out_proj; then a
small gradient step through the module.

tolerance: rtol=1e-4 atol=1e-6
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

B, T, E, H = 2, 5, 8, 2
mha = nn.MultiheadAttention(E, H, batch_first=True)
print(mha)
print("in_proj", tuple(mha.in_proj_weight.shape), "out_proj", tuple(mha.out_proj.weight.shape))
x = torch.randn(B, T, E)

out, w = mha(x, x, x)
print("out", tuple(out.shape), "avg weights", tuple(w.shape))
print("rows sum to one", torch.allclose(w.sum(-1), torch.ones(B, T)))

out_h, w_h = mha(x, x, x, average_attn_weights=False)
print("per-head weights", tuple(w_h.shape), torch.allclose(w_h.mean(1), w))

_, none_w = mha(x, x, x, need_weights=False)
print("need_weights=False gives", none_w)

pad = torch.tensor([[False, False, False, False, False], [False, False, False, True, True]])
causal_bool = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
causal_float = torch.zeros(T, T).masked_fill(causal_bool, float("-inf"))
o1, w1 = mha(x, x, x, key_padding_mask=pad, attn_mask=causal_bool, average_attn_weights=False)
o2, w2 = mha(x, x, x, key_padding_mask=pad, attn_mask=causal_float, average_attn_weights=False)
print("bool and float masks agree", torch.allclose(o1, o2), torch.allclose(w1, w2))
print("masked weights zero", w1[1, :, :, 3:].abs().max().item(), w1[:, :, 0, 1:].abs().max().item())
print("weights b1 head0", w1[1, 0])

nn_mask = nn.Transformer.generate_square_subsequent_mask(T)
print("generate_square_subsequent_mask", nn_mask[1].tolist())


def manual_attention(q_in, k_in, v_in, mha, mask=None):
    Wq, Wk, Wv = mha.in_proj_weight.chunk(3)
    bq, bk, bv = mha.in_proj_bias.chunk(3)
    q = F.linear(q_in, Wq, bq).view(B, -1, H, E // H).transpose(1, 2)
    k = F.linear(k_in, Wk, bk).view(B, -1, H, E // H).transpose(1, 2)
    v = F.linear(v_in, Wv, bv).view(B, -1, H, E // H).transpose(1, 2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(E // H)
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    attn = scores.softmax(-1)
    ctx = (attn @ v).transpose(1, 2).reshape(B, -1, E)
    return mha.out_proj(ctx), attn


mask = causal_bool[None, None] | pad[:, None, None, :]
o_ref, w_ref = manual_attention(x, x, x, mha, mask)
print("manual output agrees", torch.allclose(o1, o_ref, atol=1e-6), torch.allclose(w1, w_ref, atol=1e-6))

# a per-(batch*head) 3-D float mask: a different relative-position bias per head
rel = torch.arange(T)[None, :] - torch.arange(T)[:, None]
slopes = torch.tensor([0.5, 0.25])
bias = -slopes[:, None, None] * rel.abs().float()  # (H, T, T)
bias3d = bias.repeat(B, 1, 1)  # (B*H, T, T)
o3, w3 = mha(x, x, x, attn_mask=bias3d, average_attn_weights=False)
print("3-D mask", tuple(bias3d.shape), "weights", w3[0, :, 2])

cross = nn.MultiheadAttention(E, H, batch_first=True, kdim=6, vdim=4)
print("separate proj", cross.in_proj_weight, tuple(cross.q_proj_weight.shape),
      tuple(cross.k_proj_weight.shape), tuple(cross.v_proj_weight.shape))
mem_k, mem_v = torch.randn(B, 7, 6), torch.randn(B, 7, 4)
oc, wc = cross(x, mem_k, mem_v)
print("cross out", tuple(oc.shape), "weights", tuple(wc.shape))
print("cross weights[0, 0]", wc[0, 0])

opt = torch.optim.SGD(mha.parameters(), lr=0.1)
target = torch.randn(B, T, E)
for step in range(3):
    out, _ = mha(x, x, x, key_padding_mask=pad, attn_mask=causal_bool)
    loss = F.mse_loss(out, target)
    opt.zero_grad()
    loss.backward()
    print(f"step {step} loss {loss.item():.6f} in_proj grad {mha.in_proj_weight.grad.norm().item():.6f}")
    opt.step()
