"""A makemore-style MLP language model: embeddings of a context window, concatenated, tanh MLP.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
block_size = 3
X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + ".":
        ix = stoi[ch]
        X.append(context)
        Y.append(ix)
        context = context[1:] + [ix]
X = torch.tensor(X)
Y = torch.tensor(Y)
print(X.shape, X.dtype, Y.shape)
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((len(stoi), 5), generator=g)
W1 = torch.randn((15, 50), generator=g) * 0.2
b1 = torch.randn(50, generator=g) * 0.01
W2 = torch.randn((50, len(stoi)), generator=g) * 0.01
b2 = torch.zeros(len(stoi))
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))
for p in parameters:
    p.requires_grad = True
for i in range(100):
    emb = C[X]
    h = torch.tanh(emb.view(-1, 15) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Y)
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.5 if i < 50 else 0.05
    for p in parameters:
        p.data += -lr * p.grad
    if i % 20 == 0:
        print(i, f"{loss.item():.4f}")
print(f"final {loss.item():.4f}")
with torch.no_grad():
    context = [0] * block_size
    out = []
    for _ in range(8):
        emb = C[torch.tensor([context])]
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        ix = int((h @ W2 + b2).argmax())
        context = context[1:] + [ix]
        out.append(itos[ix])
        if ix == 0:
            break
print("".join(out))
