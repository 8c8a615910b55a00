"""Imbalanced classification and metric learning: a focal loss module written by hand (gamma,
per-class alpha gathered by target, reduction), compared with cross entropy at gamma=0, then an
embedding net trained with nn.TripletMarginLoss using batch-hard mining -- pairwise distances from
torch.cdist, masks from label equality, masked_fill, hardest positive by max and hardest negatives
by topk -- plus a recall@1 retrieval metric.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class FocalLoss(nn.Module):
    def __init__(self, alpha=None, gamma=2.0, reduction="mean"):
        super().__init__()
        self.register_buffer("alpha", alpha if alpha is not None else None)
        self.gamma = gamma
        self.reduction = reduction

    def forward(self, logits, target):
        log_p = F.log_softmax(logits, dim=-1)
        log_pt = log_p.gather(1, target.unsqueeze(1)).squeeze(1)
        pt = log_pt.exp()
        loss = -((1 - pt) ** self.gamma) * log_pt
        if self.alpha is not None:
            loss = loss * self.alpha[target]
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss


logits = torch.randn(6, 4, requires_grad=True)
target = torch.tensor([0, 1, 2, 3, 0, 0])
fl0 = FocalLoss(gamma=0.0)(logits, target)
ce = F.cross_entropy(logits, target)
print(f"gamma=0 focal {fl0.item():.6f} ce {ce.item():.6f}")
fl2 = FocalLoss(gamma=2.0, reduction="none")(logits, target)
print("per-sample focal", fl2)
alpha = torch.tensor([0.25, 1.0, 1.0, 1.0])
fla = FocalLoss(alpha=alpha, gamma=2.0)(logits, target)
fla.backward()
print(f"alpha focal {fla.item():.6f}")
print("grad", logits.grad)
print("buffers", [n for n, _ in FocalLoss(alpha=alpha).named_buffers()], list(FocalLoss().named_buffers()))

# imbalanced 2-D problem: focal vs CE
n_major, n_minor = 300, 30
x = torch.cat([torch.randn(n_major, 2) * 1.2, torch.randn(n_minor, 2) * 0.5 + torch.tensor([1.5, 1.5])])
y = torch.cat([torch.zeros(n_major, dtype=torch.long), torch.ones(n_minor, dtype=torch.long)])
for name, crit in [("ce", nn.CrossEntropyLoss()), ("focal", FocalLoss(alpha=torch.tensor([0.25, 0.75])))]:
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for step in range(60):
        loss = crit(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = net(x).argmax(1)
    tp = ((pred == 1) & (y == 1)).sum().item()
    recall = tp / n_minor
    precision = tp / max((pred == 1).sum().item(), 1)
    print(f"{name}: loss {loss.item():.4f} minority recall {recall:.3f} precision {precision:.3f}")

# ---- triplet loss with batch-hard mining
torch.manual_seed(2)
n_classes, per_class = 5, 8
protos = torch.randn(n_classes, 10) * 2
feats = protos.repeat_interleave(per_class, 0) + torch.randn(n_classes * per_class, 10)
labels = torch.arange(n_classes).repeat_interleave(per_class)

embed = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 8))
triplet = nn.TripletMarginLoss(margin=0.5, p=2)
opt = torch.optim.SGD(embed.parameters(), lr=0.05, momentum=0.9)


def batch_hard(emb, labels, k=2):
    dist = torch.cdist(emb, emb)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool)
    pos_mask = same & ~eye
    hardest_pos = dist.masked_fill(~pos_mask, float("-inf")).argmax(1)
    neg_dist = dist.masked_fill(same, float("inf"))
    hardest_negs = neg_dist.topk(k, dim=1, largest=False).indices  # (N, k)
    anchors = torch.arange(len(labels)).repeat_interleave(k)
    positives = hardest_pos.repeat_interleave(k)
    negatives = hardest_negs.reshape(-1)
    return anchors, positives, negatives, dist


for step in range(30):
    perm = torch.randperm(len(labels))[:24]
    emb = F.normalize(embed(feats[perm]), dim=1)
    a, p, n, dist = batch_hard(emb.detach(), labels[perm])
    loss = triplet(emb[a], emb[p], emb[n])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 6 == 0:
        active = (dist[a, p] - dist[a, n] + 0.5 > 0).float().mean()
        print(f"step {step:2d} triplet {loss.item():.4f} active {active.item():.3f}")

# manual triplet equals the module
e = F.normalize(embed(feats[:12]), dim=1)
manual = F.relu(F.pairwise_distance(e[:4], e[4:8]) - F.pairwise_distance(e[:4], e[8:12]) + 0.5).mean()
print(f"manual {manual.item():.6f} module {triplet(e[:4], e[4:8], e[8:12]).item():.6f}")

with torch.no_grad():
    emb = F.normalize(embed(feats), dim=1)
    d = torch.cdist(emb, emb)
    d.fill_diagonal_(float("inf"))
    nn_idx = d.argmin(1)
    recall1 = (labels[nn_idx] == labels).float().mean()
print(f"recall@1 {recall1.item():.4f}")
print("cdist shape", d.shape, "min off-diagonal", round(d.min().item(), 4))
