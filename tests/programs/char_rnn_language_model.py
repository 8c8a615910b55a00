"""A character-level language model with nn.Embedding + nn.GRU, trained on a short text, then
sampled greedily.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn

torch.manual_seed(1)
text = "hello world. hello kitty. hello torch. " * 4
chars = sorted(set(text))
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for ch, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
print(len(chars), data.shape)


class CharRNN(nn.Module):
    def __init__(self, vocab, hidden=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.rnn = nn.GRU(16, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, h=None):
        out, h = self.rnn(self.embed(idx), h)
        return self.head(out), h


model = CharRNN(len(chars))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
block = 16
for step in range(60):
    starts = torch.arange(0, len(data) - block - 1, 11)[:8]
    xb = torch.stack([data[s:s + block] for s in starts])
    yb = torch.stack([data[s + 1:s + block + 1] for s in starts])
    logits, _ = model(xb)
    loss = nn.functional.cross_entropy(logits.reshape(-1, len(chars)), yb.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.4f}")
model.eval()
idx = torch.tensor([[stoi["h"]]])
h = None
out = "h"
with torch.no_grad():
    for _ in range(20):
        logits, h = model(idx, h)
        idx = logits[:, -1].argmax(-1, keepdim=True)
        out += itos[int(idx)]
print(repr(out))
