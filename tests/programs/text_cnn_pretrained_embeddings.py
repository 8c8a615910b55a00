"""Kim-style text CNN for sentence classification: variable-length token sequences padded with
pad_sequence(batch_first=True, padding_value=PAD), a frozen nn.Embedding.from_pretrained table with
padding_idx next to a trainable copy (two channels), Conv1d over time with kernel sizes 2/3/4,
max-over-time pooling, dropout, a few Adam steps, accuracy, and checks that the frozen table did
not move and the padding row got no gradient.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(0)

PAD = 0
vocab, emb_dim, n_classes = 30, 12, 3
pretrained = torch.randn(vocab, emb_dim)
pretrained[PAD] = 0.0

# class c sentences contain "keywords" from a class-specific range
def make_sentence(label):
    length = int(torch.randint(4, 10, ()).item())
    words = torch.randint(1, vocab, (length,))
    key = 1 + label * 3 + torch.randint(0, 3, (2,))
    pos = torch.randperm(length)[:2]
    words[pos] = key
    return words


labels = torch.randint(0, n_classes, (48,))
sentences = [make_sentence(int(y)) for y in labels]
print("lengths", [len(s) for s in sentences[:8]])


class TextCNN(nn.Module):
    def __init__(self, kernel_sizes=(2, 3, 4), n_filters=8, dropout=0.5):
        super().__init__()
        self.static = nn.Embedding.from_pretrained(pretrained, freeze=True, padding_idx=PAD)
        self.tuned = nn.Embedding.from_pretrained(pretrained.clone(), freeze=False, padding_idx=PAD)
        self.convs = nn.ModuleList(
            [nn.Conv1d(2 * emb_dim, n_filters, k) for k in kernel_sizes]
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(n_filters * len(kernel_sizes), n_classes)

    def forward(self, tokens):
        x = torch.cat([self.static(tokens), self.tuned(tokens)], dim=-1)  # (B, T, 2E)
        x = x.transpose(1, 2)  # (B, 2E, T)
        pooled = [F.relu(conv(x)).max(dim=2).values for conv in self.convs]
        h = self.dropout(torch.cat(pooled, dim=1))
        return self.fc(h)


model = TextCNN()
print(model)
print("static requires_grad", model.static.weight.requires_grad, "tuned", model.tuned.weight.requires_grad)
print("trainable", sum(p.numel() for p in model.parameters() if p.requires_grad))
opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)

batch = pad_sequence(sentences[:4], batch_first=True, padding_value=PAD)
print("padded", tuple(batch.shape), batch[0].tolist())

for epoch in range(4):
    model.train()
    perm = torch.randperm(len(sentences))
    total = 0.0
    for i in range(0, len(sentences), 16):
        idx = perm[i:i + 16]
        tokens = pad_sequence([sentences[j] for j in idx], batch_first=True, padding_value=PAD)
        if tokens.size(1) < 4:
            tokens = F.pad(tokens, (0, 4 - tokens.size(1)), value=PAD)
        logits = model(tokens)
        loss = F.cross_entropy(logits, labels[idx])
        opt.zero_grad()
        loss.backward()
        if epoch == 0 and i == 0:
            print("pad row grad", model.tuned.weight.grad[PAD].abs().sum().item())
            print("static grad", model.static.weight.grad)
        opt.step()
        total += loss.item() * len(idx)
    print(f"epoch {epoch} loss {total / len(sentences):.4f}")

model.eval()
with torch.no_grad():
    tokens = pad_sequence(sentences, batch_first=True, padding_value=PAD)
    logits = model(tokens)
    acc = (logits.argmax(1) == labels).float().mean().item()
    print("eval logits", logits[:2])
    print(f"train accuracy {acc:.4f}")
print("static unchanged", torch.equal(model.static.weight, pretrained))
print("tuned moved", round((model.tuned.weight - pretrained).norm().item(), 4))
print("pad row still zero", model.tuned.weight[PAD].abs().sum().item())
