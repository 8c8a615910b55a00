"""SimCLR-style contrastive learning on synthetic vectors: two random augmentations per sample
(noise, feature dropout, scaling), an encoder + projection head, the NT-Xent / InfoNCE loss built
from F.normalize, a masked similarity matrix and F.cross_entropy, then a linear probe.

tolerance: rtol=3e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

n_classes, dim, n = 4, 16, 128
prototypes = torch.randn(n_classes, dim) * 2
labels = torch.arange(n) % n_classes
data = prototypes[labels] + 0.5 * torch.randn(n, dim)
print(data.shape, labels.bincount())


def augment(x):
    x = x * (1 + 0.2 * torch.randn(x.size(0), 1))
    x = x + 0.3 * torch.randn_like(x)
    keep = torch.bernoulli(torch.full_like(x, 0.8))
    return x * keep


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(dim, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 32))
        self.projector = nn.Sequential(nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 16))

    def forward(self, x):
        h = self.backbone(x)
        return h, self.projector(h)


def nt_xent(z1, z2, temperature=0.5):
    b = z1.size(0)
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    sim = z @ z.t() / temperature
    sim = sim.masked_fill(torch.eye(2 * b, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)])
    return F.cross_entropy(sim, targets), sim, targets


z1 = torch.randn(4, 8)
loss, sim, targets = nt_xent(z1, z1 + 0.01)
print(f"sanity loss {loss.item():.4f}", targets, sim.shape, torch.isinf(sim).sum().item())

model = Encoder()
opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-6)
batch = 32
for epoch in range(6):
    perm = torch.randperm(n)
    total = 0.0
    for i in range(0, n, batch):
        x = data[perm[i:i + batch]]
        _, p1 = model(augment(x))
        _, p2 = model(augment(x))
        loss, sim, targets = nt_xent(p1, p2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
        with torch.no_grad():
            top1 = (sim.argmax(dim=1) == targets).float().mean()
    print(f"epoch {epoch} loss {total / (n // batch):.4f} pair top1 {top1.item():.4f}")

# linear probe on frozen features
model.eval()
with torch.no_grad():
    feats, _ = model(data)
feats = feats.detach()
print(feats.requires_grad, feats.shape)
probe = nn.Linear(32, n_classes)
probe_opt = torch.optim.SGD(probe.parameters(), lr=0.1, momentum=0.9)
for step in range(50):
    loss = F.cross_entropy(probe(feats), labels)
    probe_opt.zero_grad()
    loss.backward()
    probe_opt.step()
acc = (probe(feats).argmax(1) == labels).float().mean()
print(f"probe loss {loss.item():.4f} acc {acc.item():.4f}")
with torch.no_grad():
    f = F.normalize(feats, dim=1)
    cos = f @ f.T
    same = labels[:, None] == labels[None, :]
    print(f"mean cos same {cos[same].mean().item():.4f} different {cos[~same].mean().item():.4f}")
