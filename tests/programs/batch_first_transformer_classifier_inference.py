"""A batch_first transformer text classifier, tokenized by hand with a Counter vocabulary: training
with dropout (the attention output is transposed in memory, so dropout's noise follows its layout),
a bool padding mask beside a float causal mask (the encoder's own warning, caught), then inference
under torch.no_grad and with frozen weights, where torch's encoder runs on nested tensors and the
padded positions come back as zeros; a ragged batch given to torch.tensor, caught.

tolerance: rtol=2e-3 atol=1e-5
"""
import math
import warnings
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)
data = [
    ("the movie was great and the acting superb", 1),
    ("a dull plot with terrible pacing", 0),
    ("great fun", 1),
    ("boring and far too long", 0),
    ("superb direction great cast", 1),
    ("terrible", 0),
]
counter = Counter(w for text, _ in data for w in text.split())
itos = ["<pad>", "<unk>"] + [w for w, _ in counter.most_common()]
stoi = {w: i for i, w in enumerate(itos)}


def encode(text):
    return torch.tensor([stoi.get(w, 1) for w in text.split()])


try:
    torch.tensor([[stoi[w] for w in text.split()] for text, _ in data[:2]])
except ValueError as e:
    print("ValueError:", e)

ids = pad_sequence([encode(t) for t, _ in data], batch_first=True)
pad = ids == 0
labels = torch.tensor([y for _, y in data])
print(ids.shape, pad.sum(1).tolist())


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=32):
        super().__init__()
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(1, max_len, d_model)
        pe[0, :, 0::2] = torch.sin(pos * div)
        pe[0, :, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class Classifier(nn.Module):
    def __init__(self, vocab, d_model=16, nhead=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, d_model, padding_idx=0)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, 32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(d_model, 2)

    def forward(self, ids, pad, mask=None):
        h = self.encoder(self.pos(self.emb(ids) * math.sqrt(self.emb.embedding_dim)), mask=mask,
                         src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return self.head((h * keep).sum(1) / keep.sum(1)), h


model = Classifier(len(itos))
opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
for step in range(30):
    logits, _ = model(ids, pad)
    loss = F.cross_entropy(logits, labels, label_smoothing=0.1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        print(f"step {step} loss {loss.item():.4f}")

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    causal = nn.Transformer.generate_square_subsequent_mask(ids.size(1))
    model.eval()
    logits, _ = model(ids, pad, mask=causal)
print([str(w.message) for w in caught])
print(logits.argmax(1).tolist())

model.eval()
with torch.no_grad():
    logits, h = model(ids, pad)
print(logits.softmax(-1))
print(h[5, :3])
print(f"{h.abs().sum().item():.4f}", (h.abs().sum(-1) == 0).sum().item())

model.requires_grad_(False)
logits2, h2 = model(ids, pad)
print(torch.allclose(logits, logits2, atol=1e-6), h2.requires_grad, (h2[2] == 0).all(-1).tolist())

test = ["great acting", "terrible boring plot", "unknown words here"]
batch = pad_sequence([encode(t) for t in test], batch_first=True)
with torch.no_grad():
    out, _ = model(batch, batch == 0)
print(out.argmax(1).tolist(), [f"{p:.4f}" for p in out.softmax(-1)[:, 1].tolist()])
