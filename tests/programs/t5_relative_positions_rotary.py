"""Hugging Face-style position machinery, written by hand: T5's relative position buckets
(torch.log on float distances, integer truncation, torch.min with full_like, torch.where),
T5LayerNorm (RMS variance in float32, cast back for float16/bfloat16 weights), T5 attention with
the bias computed from buckets through an Embedding and a finfo-min padding mask, RoBERTa's
create_position_ids_from_input_ids (cumsum of an int mask with type_as), LLaMA-style rotary
embeddings (inv_freq buffer, autocast disabled, rotate_half), BERT's sinusoidal table filled by
strided slices, and ALiBi slopes.
"""
import math
import torch
import torch.nn as nn


def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    relative_position_if_large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    relative_position_if_large = torch.min(
        relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
    )
    relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
    return relative_buckets


class T5LayerNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        if self.weight.dtype in [torch.float16, torch.bfloat16]:
            hidden_states = hidden_states.to(self.weight.dtype)
        return self.weight * hidden_states


class T5Attention(nn.Module):
    def __init__(self, d_model=16, n_heads=2, d_kv=8, has_relative_attention_bias=True, is_decoder=False):
        super().__init__()
        self.is_decoder = is_decoder
        self.relative_attention_num_buckets = 32
        self.relative_attention_max_distance = 128
        self.n_heads = n_heads
        self.key_value_proj_dim = d_kv
        self.inner_dim = n_heads * d_kv
        self.q = nn.Linear(d_model, self.inner_dim, bias=False)
        self.k = nn.Linear(d_model, self.inner_dim, bias=False)
        self.v = nn.Linear(d_model, self.inner_dim, bias=False)
        self.o = nn.Linear(self.inner_dim, d_model, bias=False)
        self.relative_attention_bias = nn.Embedding(self.relative_attention_num_buckets, self.n_heads)

    def compute_bias(self, query_length, key_length, device=None):
        if device is None:
            device = self.relative_attention_bias.weight.device
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        relative_position = memory_position - context_position
        relative_position_bucket = _relative_position_bucket(
            relative_position,
            bidirectional=(not self.is_decoder),
            num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance,
        )
        values = self.relative_attention_bias(relative_position_bucket)
        values = values.permute([2, 0, 1]).unsqueeze(0)
        return values

    def forward(self, hidden_states, mask=None):
        batch_size, seq_length = hidden_states.shape[:2]
        def shape(states):
            return states.view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)
        def unshape(states):
            return states.transpose(1, 2).contiguous().view(batch_size, -1, self.inner_dim)
        q = shape(self.q(hidden_states))
        k = shape(self.k(hidden_states))
        v = shape(self.v(hidden_states))
        scores = torch.matmul(q, k.transpose(3, 2))
        position_bias = self.compute_bias(seq_length, seq_length)
        if mask is not None:
            position_bias = position_bias + mask
        scores += position_bias
        attn_weights = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        attn_output = unshape(torch.matmul(attn_weights, v))
        return self.o(attn_output), position_bias


torch.manual_seed(0)
rp = torch.arange(-200, 200, 37)[None, :] - torch.arange(0, 5)[:, None]
print(_relative_position_bucket(rp))
print(_relative_position_bucket(rp, bidirectional=False, num_buckets=16, max_distance=64))
print(_relative_position_bucket(rp).dtype)

ln = T5LayerNorm(8)
x = torch.randn(2, 3, 8)
print(ln(x).dtype, f"{ln(x).sum().item():.4f}")
ln.half()
xh = x.half()
y = ln(xh)
print(y.dtype, y[0, 0])
ln.bfloat16()
y = ln(x.bfloat16())
print(y.dtype, y[0, 0])

torch.manual_seed(0)
att = T5Attention()
hs = torch.randn(2, 5, 16)
mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
ext = (1.0 - mask[:, None, None, :].to(hs.dtype)) * torch.finfo(hs.dtype).min
out, pb = att(hs, ext)
print(out.shape, pb.shape, f"{out.sum().item():.4f}")
print(pb[1, 0, 0])

# RoBERTa position ids
def create_position_ids_from_input_ids(input_ids, padding_idx, past_key_values_length=0):
    mask = input_ids.ne(padding_idx).int()
    incremental_indices = (torch.cumsum(mask, dim=1).type_as(mask) + past_key_values_length) * mask
    return incremental_indices.long() + padding_idx

ids = torch.tensor([[0, 5, 6, 7, 2, 1, 1], [0, 8, 2, 1, 1, 1, 1]])
pos = create_position_ids_from_input_ids(ids, padding_idx=1)
print(pos, pos.dtype)
m = ids.ne(1).int()
print(m.dtype, torch.cumsum(m, dim=1).dtype, torch.cumsum(m, dim=1).type_as(m).dtype)
print(torch.cumsum(ids.ne(1), 1).dtype, ids.ne(1).sum(1).dtype, ids.ne(1).long().cumsum(-1))

# rotary embeddings (GPT-NeoX/LLaMA style)
def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)

class RotaryEmbedding(nn.Module):
    def __init__(self, dim, max_position_embeddings=32, base=10000):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.max_seq_len_cached = max_position_embeddings

    @torch.no_grad()
    def forward(self, x, position_ids):
        inv_freq_expanded = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        position_ids_expanded = position_ids[:, None, :].float()
        with torch.autocast(device_type="cpu", enabled=False):
            freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
            emb = torch.cat((freqs, freqs), dim=-1)
            cos = emb.cos()
            sin = emb.sin()
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)

def apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim=1):
    cos = cos.unsqueeze(unsqueeze_dim)
    sin = sin.unsqueeze(unsqueeze_dim)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed

torch.manual_seed(0)
rot = RotaryEmbedding(8)
q = torch.randn(2, 2, 6, 8)
k = torch.randn(2, 2, 6, 8)
position_ids = torch.arange(6).unsqueeze(0).expand(2, -1)
cos, sin = rot(q, position_ids)
print(cos.shape, sin.dtype, cos.requires_grad)
qe, ke = apply_rotary_pos_emb(q, k, cos, sin)
print(f"{qe.sum().item():.4f} {ke.norm().item():.4f}")
print(torch.allclose(qe.norm(dim=-1), q.norm(dim=-1), atol=1e-5))
print(rot.inv_freq)

# sinusoidal
def sinusoidal(n_pos, dim):
    position_enc = torch.tensor([[pos / (10000 ** (2 * (j // 2) / dim)) for j in range(dim)] for pos in range(n_pos)])
    out = torch.empty(n_pos, dim)
    out[:, 0::2] = torch.sin(position_enc[:, 0::2])
    out[:, 1::2] = torch.cos(position_enc[:, 1::2])
    out.requires_grad = False
    return out
s = sinusoidal(4, 6)
print(s, s.dtype)
# ALiBi slopes
def get_slopes(n):
    def p2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]
    return p2(n)
slopes = torch.tensor(get_slopes(4))
alibi = slopes[:, None, None] * torch.arange(5)[None, None, :]
print(alibi.dtype, alibi[1])
