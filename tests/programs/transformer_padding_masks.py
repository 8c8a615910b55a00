"""Padding-aware transformer encoder for sequence classification: nn.MultiheadAttention with
key_padding_mask and per-head weights (average_attn_weights=False), a boolean causal mask from
nn.Transformer.generate_square_subsequent_mask, nn.TransformerEncoder with src_key_padding_mask and
norm_first layers, masked mean pooling, and a check that padded positions don't change the output.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# --- nn.MultiheadAttention directly ---
mha = nn.MultiheadAttention(embed_dim=8, num_heads=2, batch_first=True)
x = torch.randn(2, 5, 8)
lengths = torch.tensor([5, 3])
pad = torch.arange(5)[None, :] >= lengths[:, None]  # True where padded
print(pad)
out, w = mha(x, x, x, key_padding_mask=pad)
print(out.shape, w.shape, w.grad_fn is not None)
print(w[1])
print(f"{w[1, :, 3:].abs().max().item():.4f}", torch.allclose(w.sum(-1), torch.ones(2, 5)))
out_h, w_h = mha(x, x, x, key_padding_mask=pad, average_attn_weights=False)
print(w_h.shape, torch.allclose(w_h.mean(dim=1), w, atol=1e-6))

causal = nn.Transformer.generate_square_subsequent_mask(5)
print(causal)
out_c, w_c = mha(x, x, x, attn_mask=causal)
print(w_c[0])
bool_causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
out_b, _ = mha(x, x, x, attn_mask=bool_causal)
print(torch.allclose(out_b, out_c, atol=1e-6))
_, none_w = mha(x, x, x, need_weights=False)
print(none_w)

# --- a padded-sequence classifier with nn.TransformerEncoder ---
vocab, d_model, max_len = 20, 16, 8
PAD = 0


def make_data(n):
    seqs, labels = [], []
    for _ in range(n):
        length = torch.randint(2, max_len + 1, (1,)).item()
        s = torch.randint(1, vocab, (length,))
        seqs.append(s)
        labels.append(int((s > 10).sum().item() * 2 > length))  # majority of "big" tokens
    return nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=PAD), torch.tensor(labels)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model, padding_idx=PAD)
        self.pos = nn.Parameter(torch.randn(1, max_len, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=32, dropout=0.0,
                                           batch_first=True, norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 2)

    def forward(self, tokens):
        pad_mask = tokens == PAD
        h = self.embed(tokens) + self.pos[:, : tokens.size(1)]
        h = self.norm(self.encoder(h, src_key_padding_mask=pad_mask))
        keep = (~pad_mask).unsqueeze(-1).float()
        pooled = (h * keep).sum(1) / keep.sum(1)
        return self.head(pooled)


tokens, labels = make_data(64)
print(tokens.shape, tokens[:3], labels[:10], labels.float().mean().item())
model = Classifier()
print(model.encoder.layers[0])
print(len(model.state_dict()), [k for k in model.state_dict() if k.startswith("encoder.layers.0.self_attn")])
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(40):
    logits = model(tokens)
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 8 == 0:
        acc = (logits.argmax(1) == labels).float().mean()
        print(f"epoch {epoch:2d} loss {loss.item():.4f} acc {acc.item():.4f}")

model.eval()
with torch.no_grad():
    test_tokens, test_labels = make_data(32)
    acc = (model(test_tokens).argmax(1) == test_labels).float().mean()
    print(f"test acc {acc.item():.4f}")
    # changing what sits in padded positions must not change the prediction
    a = torch.tensor([[3, 15, 12, PAD, PAD, PAD]])
    b = a.clone()
    b[0, 3:] = PAD
    longer = torch.cat([a, torch.full((1, 2), PAD)], dim=1)
    print(model(a), torch.allclose(model(a), model(longer), atol=1e-5))
    print(model.embed.weight[PAD].abs().sum().item())
