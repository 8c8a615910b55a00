"""Metric learning: a shared embedding net, TripletMarginLoss, CosineEmbeddingLoss and
cosine-similarity retrieval.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
centers = torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.0]])
points = torch.cat([c + 0.3 * torch.randn(10, 2) for c in centers])
labels = torch.arange(3).repeat_interleave(10)
embed = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 4))
triplet = nn.TripletMarginLoss(margin=1.0, p=2)
cosine = nn.CosineEmbeddingLoss(margin=0.1)
opt = torch.optim.Adam(embed.parameters(), lr=0.01)
anchor_idx = torch.arange(30)
positive_idx = (anchor_idx // 10) * 10 + (anchor_idx + 1) % 10
negative_idx = (anchor_idx + 10) % 30
for step in range(40):
    e = embed(points)
    loss = triplet(e[anchor_idx], e[positive_idx], e[negative_idx])
    target = torch.where(labels[anchor_idx] == labels[negative_idx], 1.0, -1.0)
    loss = loss + cosine(e[anchor_idx], e[negative_idx], target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(step, f"{loss.item():.4f}")
with torch.no_grad():
    e = F.normalize(embed(points), dim=1)
    sims = e @ e.T
    sims.fill_diagonal_(-1)
    nearest = sims.argmax(1)
print("retrieval accuracy", (labels[nearest] == labels).float().mean().item())
