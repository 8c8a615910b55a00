"""Tied weights and views through torch.save / torch.load: a small language model whose output
layer shares the embedding matrix, saved and loaded as a state_dict and as a checkpoint dict."""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyLM(nn.Module):
    def __init__(self, vocab=11, dim=8):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.wte.weight  # weight tying, as GPT-2 does

    def forward(self, idx):
        return self.head(torch.tanh(self.mix(self.wte(idx))))


torch.manual_seed(0)
model = TinyLM()
opt = torch.optim.SGD(model.parameters(), lr=0.5)
data = torch.randint(0, 11, (16, 5))
for step in range(20):
    logits = model(data[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 11), data[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"loss after training {loss.item():.4f}")
print("parameters:", [name for name, _ in model.named_parameters()])
print("state_dict keys:", list(model.state_dict()))

buf = io.BytesIO()
torch.save(model.state_dict(), buf)
buf.seek(0)
sd = torch.load(buf)
print("tied after load:", sd["wte.weight"].data_ptr() == sd["head.weight"].data_ptr())
print("same storage:", sd["wte.weight"].untyped_storage().data_ptr() == sd["head.weight"].untyped_storage().data_ptr())

fresh = TinyLM()
print(fresh.load_state_dict(sd))
print("still tied in the model:", fresh.head.weight is fresh.wte.weight)
with torch.no_grad():
    print("same logits:", torch.allclose(fresh(data[:2, :-1]), model(data[:2, :-1])))

# a checkpoint with views of one tensor: they come back sharing memory
torch.manual_seed(1)
table = torch.randn(4, 6)
ckpt = {"table": table, "first_row": table[0], "column": table[:, 2], "transposed": table.t()}
buf = io.BytesIO()
torch.save(ckpt, buf)
buf.seek(0)
back = torch.load(buf)
for name, t in back.items():
    print(name, tuple(t.shape), t.stride(), t.is_contiguous(), t.storage_offset())
back["table"][0, 2] = 100.0
print("first_row sees the write:", back["first_row"][2].item())
print("column sees the write:", back["column"][0].item())
print("transposed sees the write:", back["transposed"][2, 0].item())

# clone() before saving keeps only what it needs, as torch's docs recommend
buf_small, buf_view = io.BytesIO(), io.BytesIO()
big = torch.zeros(10_000)
torch.save(big[:10].clone(), buf_small)
torch.save(big[:10], buf_view)
print("a cloned slice is the smaller file:", len(buf_small.getvalue()) < len(buf_view.getvalue()))
