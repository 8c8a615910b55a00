"""Attention options end to end: MultiheadAttention with kdim/vdim, add_bias_kv, add_zero_attn,
need_weights / average_attn_weights, key padding and 2-D / 3-D masks (and a wrong-shaped one),
scaled_dot_product_attention with causal, boolean and float masks, scale, dropout, GQA and a mask
together with is_causal, and a full nn.Transformer (gelu, norm_first, batch_first) trained a few
Adam steps, plus encoder/decoder stacks with padding and causal masks."""
import torch
import torch.nn as nn
import torch.nn.functional as F

def sec(name):
    torch.manual_seed(0)
    print("==", name)

sec("mha kdim vdim")
mha = nn.MultiheadAttention(8, 2, kdim=6, vdim=5, dropout=0.0, bias=True, add_bias_kv=True, add_zero_attn=True)
print(mha)
print([(n, tuple(p.shape)) for n, p in mha.named_parameters()])
q = torch.randn(4, 3, 8)
k = torch.randn(7, 3, 6)
v = torch.randn(7, 3, 5)
out, w = mha(q, k, v)
print(out.shape, w.shape, f"{out.sum().item():.4f} {w.sum().item():.4f}")
out, w = mha(q, k, v, average_attn_weights=False)
print(w.shape)
out, w = mha(q, k, v, need_weights=False)
print(w)
kpm = torch.tensor([[False] * 6 + [True]] * 3)
out, w = mha(q, k, v, key_padding_mask=kpm)
print(f"{out.sum().item():.4f}", w.shape)

sec("mha batch_first masks")
mha = nn.MultiheadAttention(8, 4, batch_first=True, dropout=0.1)
mha.eval()
x = torch.randn(2, 5, 8)
causal = nn.Transformer.generate_square_subsequent_mask(5)
print(causal)
out, w = mha(x, x, x, attn_mask=causal, need_weights=True)
print(f"{out.sum().item():.4f}", w[0, 0])
out2, _ = mha(x, x, x, attn_mask=causal, is_causal=True)
print(torch.allclose(out, out2, atol=1e-6))
kpm = torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)
out, w = mha(x, x, x, key_padding_mask=kpm)
print(f"{out.sum().item():.4f}", w[0, 1])
bmask = torch.zeros(8, 5, 5)
out, w = mha(x, x, x, attn_mask=bmask)
print(out.shape)
try:
    mha(x, x, x, attn_mask=torch.zeros(3, 5, 5))
except Exception as e:
    print(type(e).__name__, e)
mha.train()
out, _ = mha(x, x, x)
print(f"{out.sum().item():.4f}")

sec("sdpa")
q = torch.randn(2, 3, 4, 8)
k = torch.randn(2, 3, 6, 8)
v = torch.randn(2, 3, 6, 8)
o = F.scaled_dot_product_attention(q, k, v)
print(f"{o.sum().item():.4f}")
o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
print(f"{o.sum().item():.4f}")
m = torch.rand(4, 6) > 0.3
o = F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.5)
print(f"{o.sum().item():.4f}")
o = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.randn(2, 1, 4, 6))
print(f"{o.sum().item():.4f}")
o = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
print(f"{o.sum().item():.4f}")
# torch's CPU flash path applies both a mask and the causal hint; with dropout it refuses the pair
o = F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True)
print(f"{o.sum().item():.4f}")
try:
    F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=True, dropout_p=0.1)
except RuntimeError as e:
    print(type(e).__name__, e)
o = F.scaled_dot_product_attention(torch.randn(2, 4, 3, 8), torch.randn(2, 2, 5, 8), torch.randn(2, 2, 5, 8), enable_gqa=True)
print(o.shape)

sec("transformer full")
model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32, dropout=0.1, batch_first=True, activation="gelu", norm_first=True)
print(model.encoder.layers[0])
print(sum(p.numel() for p in model.parameters()))
src = torch.randn(2, 7, 16)
tgt = torch.randn(2, 5, 16)
tgt_mask = model.generate_square_subsequent_mask(5)
src_kpm = torch.zeros(2, 7, dtype=torch.bool)
src_kpm[0, 5:] = True
out = model(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_kpm, memory_key_padding_mask=src_kpm, tgt_is_causal=True)
print(out.shape, f"{out.sum().item():.4f}")
model.eval()
out = model(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_kpm, memory_key_padding_mask=src_kpm)
print(f"{out.sum().item():.4f}")
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model.train()
for step in range(3):
    opt.zero_grad()
    out = model(src, tgt, tgt_mask=tgt_mask)
    loss = out.pow(2).mean()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")

sec("encoder only")
layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0)
enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8), enable_nested_tensor=False)
print(enc)
x = torch.randn(5, 2, 8)
m = torch.tensor([[False, False, False, True, True], [False] * 5])
print(f"{enc(x, src_key_padding_mask=m).pow(2).sum().item():.4f}")
print(f"{enc(x, mask=nn.Transformer.generate_square_subsequent_mask(5), is_causal=True).pow(2).sum().item():.4f}")
dl = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation=F.relu)
dec = nn.TransformerDecoder(dl, 1)
print(f"{dec(torch.randn(3, 2, 8), x).pow(2).sum().item():.4f}")
