"""word2vec skip-gram with negative sampling: a toy corpus, (center, context) pairs from a window,
unigram^0.75 noise via torch.multinomial, two nn.Embedding tables, bmm scores and logsigmoid loss,
then nearest neighbours by cosine similarity.

tolerance: rtol=2e-3 atol=1e-5
"""
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

corpus = (
    "the king rules the kingdom . the queen rules the kingdom . "
    "a man walks the dog . a woman walks the dog . "
    "the king and the queen live in the castle . "
    "the dog and the cat live in the house . "
    "a man and a woman live in the house . "
) * 4
tokens = corpus.split()
counts = Counter(tokens)
vocab = sorted(counts)
word_to_ix = {w: i for i, w in enumerate(vocab)}
ids = torch.tensor([word_to_ix[w] for w in tokens])
print(len(tokens), len(vocab), vocab[:6])

window = 2
centers, contexts = [], []
for i in range(len(tokens)):
    for j in range(max(0, i - window), min(len(tokens), i + window + 1)):
        if j != i:
            centers.append(ids[i].item())
            contexts.append(ids[j].item())
centers = torch.tensor(centers)
contexts = torch.tensor(contexts)
print(centers.shape, contexts[:8])

freq = torch.tensor([counts[w] for w in vocab], dtype=torch.float)
noise = freq.pow(0.75)
noise = noise / noise.sum()
print(noise.sum().item(), noise.argmax().item(), vocab[noise.argmax().item()])


class SkipGramNS(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim, sparse=False)
        self.out_embed = nn.Embedding(vocab_size, dim, sparse=False)
        init_range = 0.5 / dim
        self.in_embed.weight.data.uniform_(-init_range, init_range)
        self.out_embed.weight.data.zero_()

    def forward(self, center, context, negatives):
        v = self.in_embed(center).unsqueeze(2)           # (B, D, 1)
        u_pos = self.out_embed(context).unsqueeze(1)     # (B, 1, D)
        u_neg = self.out_embed(negatives)                # (B, K, D)
        pos = torch.bmm(u_pos, v).squeeze()              # (B,)
        neg = torch.bmm(u_neg, v).squeeze(2)             # (B, K)
        loss = -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(dim=1))
        return loss.mean()


model = SkipGramNS(len(vocab), 16)
print(model)
opt = torch.optim.SGD(model.parameters(), lr=1.0)
K, B = 5, 64
neg_table = torch.multinomial(noise, 300 * B * K, replacement=True)
for epoch in range(300):
    perm = torch.randperm(len(centers))[:B]
    negatives = neg_table[epoch * B * K:(epoch + 1) * B * K].view(B, K)
    loss = model(centers[perm], contexts[perm], negatives)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 50 == 0:
        print(f"epoch {epoch:2d} loss {loss.item():.4f}")

with torch.no_grad():
    emb = F.normalize(model.in_embed.weight, dim=1)
    sims = emb @ emb.T
    print(sims.shape, f"{sims.diagonal().mean().item():.4f}")
    for word in ["king", "dog", "man"]:
        row = sims[word_to_ix[word]].clone()
        row[word_to_ix[word]] = -1
        vals, idx = row.topk(3)
        print(word, [vocab[i] for i in idx.tolist()], [f"{v:.3f}" for v in vals.tolist()])
    print(model.in_embed.weight.grad is None, model.out_embed.weight.grad.abs().sum() > 0)
