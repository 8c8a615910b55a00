"""TransE knowledge-graph embeddings on a small synthetic family/geography graph: entity and
relation nn.Embedding tables, scores -||h + r - t||, corrupted triples (random head or tail
replacement via torch.where), nn.MarginRankingLoss, entity renormalisation with
torch.renorm under no_grad, and filtered link-prediction ranks (MRR, Hits@k).

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn

torch.manual_seed(0)

# entities 0..19 are people in 4 "families", 20..23 are cities
N_ENT, N_REL = 24, 3
LIVES_IN, SIBLING, SAME_CITY = 0, 1, 2
triples = []
for fam in range(4):
    members = list(range(fam * 5, fam * 5 + 5))
    for m in members:
        triples.append((m, LIVES_IN, 20 + fam))
    for a in members:
        for b in members:
            if a != b:
                triples.append((a, SIBLING, b))
for c in range(20, 24):
    triples.append((c, SAME_CITY, c))
triples = torch.tensor(triples)
print(triples.shape, torch.bincount(triples[:, 1]))
perm = torch.randperm(len(triples))
test = triples[perm[:12]]
train = triples[perm[12:]]
known = {tuple(t) for t in triples.tolist()}


class TransE(nn.Module):
    def __init__(self, n_ent, n_rel, dim=16, p=1):
        super().__init__()
        self.ent = nn.Embedding(n_ent, dim)
        self.rel = nn.Embedding(n_rel, dim)
        bound = 6 / dim ** 0.5
        nn.init.uniform_(self.ent.weight, -bound, bound)
        nn.init.uniform_(self.rel.weight, -bound, bound)
        with torch.no_grad():
            self.rel.weight.div_(self.rel.weight.norm(p=2, dim=1, keepdim=True))
        self.p = p

    def forward(self, h, r, t):
        return -(self.ent(h) + self.rel(r) - self.ent(t)).norm(p=self.p, dim=-1)


def corrupt(batch):
    rand_ent = torch.randint(0, N_ENT, (len(batch),))
    head = torch.rand(len(batch)) < 0.5
    h = torch.where(head, rand_ent, batch[:, 0])
    t = torch.where(head, batch[:, 2], rand_ent)
    return h, batch[:, 1], t


model = TransE(N_ENT, N_REL)
print(model)
print(f"{model.rel.weight.norm(dim=1)}")
loss_fn = nn.MarginRankingLoss(margin=1.0)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
target = torch.ones(64)
for epoch in range(60):
    with torch.no_grad():
        model.ent.weight.data = torch.renorm(model.ent.weight.data, p=2, dim=0, maxnorm=1.0)
    order = torch.randperm(len(train))
    total = 0.0
    for i in range(0, len(train) - 63, 64):
        batch = train[order[i:i + 64]]
        pos = model(batch[:, 0], batch[:, 1], batch[:, 2])
        neg = model(*corrupt(batch))
        loss = loss_fn(pos, neg, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    if epoch % 15 == 0 or epoch == 59:
        print(f"epoch {epoch:2d} loss {total:.4f} max entity norm {model.ent.weight.norm(dim=1).max().item():.4f}")


@torch.no_grad()
def filtered_rank(h, r, t):
    scores = model(torch.full((N_ENT,), h), torch.full((N_ENT,), r), torch.arange(N_ENT))
    for cand in range(N_ENT):
        if cand != t and (h, r, cand) in known:
            scores[cand] = float("-inf")
    return int((scores > scores[t]).sum().item()) + 1


ranks = torch.tensor([filtered_rank(*trip) for trip in test.tolist()], dtype=torch.float)
print("ranks", ranks.int().tolist())
print(f"MRR {(1 / ranks).mean().item():.3f} hits@1 {(ranks <= 1).float().mean().item():.3f} "
      f"hits@3 {(ranks <= 3).float().mean().item():.3f}")
with torch.no_grad():
    scores = model(torch.arange(5), torch.full((5,), LIVES_IN), torch.full((5,), 20))
    print("family 0 lives in city 20:", scores.round(decimals=2))
    top = model(torch.full((4,), 7), torch.full((4,), LIVES_IN), torch.arange(20, 24)).topk(2)
    print(top.indices + 20, top.values.round(decimals=2))
