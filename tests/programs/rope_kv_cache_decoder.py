"""A tiny decoder-only transformer with rotary position embeddings (RoPE, written with sin/cos,
stack and flatten over interleaved pairs, no complex numbers), causal attention through
F.scaled_dot_product_attention, RMSNorm by hand, and a KV cache grown with torch.cat during greedy
generation; cached generation must equal generation that recomputes the whole prefix.

tolerance: rtol=1e-4 atol=1e-5
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def rope_cache(seq_len, head_dim, base=10000.0):
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    t = torch.arange(seq_len).float()
    freqs = torch.outer(t, inv_freq)  # (T, D/2)
    return freqs.cos(), freqs.sin()


def apply_rope(x, cos, sin):
    # x: (B, H, T, D); rotate interleaved pairs (x0, x1), (x2, x3), ...
    x1 = x[..., 0::2]
    x2 = x[..., 1::2]
    cos = cos[None, None]
    sin = sin[None, None]
    rotated = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    return rotated.flatten(-2)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = dim // n_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x, cos, sin, start_pos=0, cache=None):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=-1)
        q = q.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        k = k.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        v = v.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        pos_cos = cos[start_pos:start_pos + T]
        pos_sin = sin[start_pos:start_pos + T]
        q = apply_rope(q, pos_cos, pos_sin)
        k = apply_rope(k, pos_cos, pos_sin)
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        if T > 1:
            # causal mask that also works with a cached prefix
            L = k.size(2)
            mask = torch.ones(T, L, dtype=torch.bool).tril(diagonal=L - T)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            y = F.scaled_dot_product_attention(q, k, v)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.norm1 = RMSNorm(dim)
        self.attn = Attention(dim, n_heads)
        self.norm2 = RMSNorm(dim)
        self.w1 = nn.Linear(dim, 4 * dim, bias=False)
        self.w3 = nn.Linear(dim, 4 * dim, bias=False)
        self.w2 = nn.Linear(4 * dim, dim, bias=False)

    def forward(self, x, cos, sin, start_pos=0, cache=None):
        x = x + self.attn(self.norm1(x), cos, sin, start_pos, cache)
        h = self.norm2(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))  # SwiGLU


class TinyLM(nn.Module):
    def __init__(self, vocab=32, dim=32, n_heads=4, n_layers=2, max_len=64):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList([Block(dim, n_heads) for _ in range(n_layers)])
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.tok.weight  # weight tying
        cos, sin = rope_cache(max_len, dim // n_heads)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, idx, start_pos=0, caches=None):
        x = self.tok(idx)
        for i, layer in enumerate(self.layers):
            x = layer(x, self.cos, self.sin, start_pos, None if caches is None else caches[i])
        return self.lm_head(self.norm(x))


model = TinyLM()
n_params = sum(p.numel() for p in model.parameters())
print("params (tied)", n_params)
print("buffers in state_dict", [k for k in model.state_dict() if "cos" in k or "sin" in k])

# rope keeps norms and makes q.k depend only on relative position
q = torch.randn(1, 1, 1, 8)
k = torch.randn(1, 1, 1, 8)
cos, sin = rope_cache(16, 8)
qr = apply_rope(q.expand(1, 1, 16, 8), cos, sin)
kr = apply_rope(k.expand(1, 1, 16, 8), cos, sin)
print("norm preserved", torch.allclose(qr.norm(dim=-1), q.norm(dim=-1).expand(1, 1, 16), atol=1e-5))
s1 = (qr[0, 0, 5] * kr[0, 0, 3]).sum()
s2 = (qr[0, 0, 9] * kr[0, 0, 7]).sum()
print(f"relative {s1.item():.5f} {s2.item():.5f}")

# train a few steps on a repeating-pattern language
data = torch.tensor([[(i * 3 + j) % 32 for j in range(17)] for i in range(16)])
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
for step in range(25):
    logits = model(data[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), data[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 6 == 0:
        print(f"step {step:2d} loss {loss.item():.4f}")
print("tied grads share", model.lm_head.weight is model.tok.weight)

model.eval()


@torch.no_grad()
def generate_nocache(prompt, n):
    idx = prompt
    for _ in range(n):
        logits = model(idx)[:, -1]
        idx = torch.cat([idx, logits.argmax(-1, keepdim=True)], dim=1)
    return idx


@torch.no_grad()
def generate_cache(prompt, n):
    caches = [{} for _ in model.layers]
    logits = model(prompt, 0, caches)[:, -1]
    idx = prompt
    pos = prompt.size(1)
    last_logits = []
    for _ in range(n):
        nxt = logits.argmax(-1, keepdim=True)
        idx = torch.cat([idx, nxt], dim=1)
        logits = model(nxt, pos, caches)[:, -1]
        last_logits.append(logits)
        pos += 1
    return idx, caches, torch.stack(last_logits, 1)


prompt = data[:3, :4]
a = generate_nocache(prompt, 8)
b, caches, cached_logits = generate_cache(prompt, 8)
print(a)
print("cache == no cache", torch.equal(a, b))
print("cache shapes", [tuple(c["k"].shape) for c in caches])
full = model(b)[:, prompt.size(1):]
print("logits agree", torch.allclose(full, cached_logits, atol=1e-4))
print(f"max logit diff small {(full - cached_logits).abs().max().item() < 1e-4}")
print(cached_logits[0, -1, :6])
