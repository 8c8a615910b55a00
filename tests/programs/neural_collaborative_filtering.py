"""Neural collaborative filtering (NeuMF-style) on implicit feedback: a GMF branch (elementwise
product of user/item embeddings) and an MLP branch (torch.cat of separate embeddings), fused into
one logit and trained with BCEWithLogitsLoss on positives plus sampled negatives; evaluation by
leave-one-out ranking of the held-out item among sampled negatives with topk, HR@5 and NDCG@5;
and recommendations that exclude already-seen items with masked_fill.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
N_USERS, N_ITEMS, DIM = 30, 40, 8

# users belong to 3 taste groups; each group prefers a block of items
group = torch.arange(N_USERS) % 3
pref = torch.zeros(N_USERS, N_ITEMS)
for g in range(3):
    pref[group == g, g * 12:(g + 1) * 12] = 1.0
noise = torch.rand(N_USERS, N_ITEMS)
interactions = ((pref > 0) & (noise < 0.6)) | (noise < 0.03)
print(interactions.shape, interactions.sum().item(), interactions.float().mean(1)[:5])

# leave one out: each user's highest-index positive is the test item
test_item = torch.stack([row.nonzero().max() for row in interactions]).squeeze()
train_mat = interactions.clone()
train_mat[torch.arange(N_USERS), test_item] = False
users, items = train_mat.nonzero(as_tuple=True)
print(len(users), test_item[:8])


class NeuMF(nn.Module):
    def __init__(self):
        super().__init__()
        self.gmf_user = nn.Embedding(N_USERS, DIM)
        self.gmf_item = nn.Embedding(N_ITEMS, DIM)
        self.mlp_user = nn.Embedding(N_USERS, DIM)
        self.mlp_item = nn.Embedding(N_ITEMS, DIM)
        self.mlp = nn.Sequential(nn.Linear(2 * DIM, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU())
        self.predict = nn.Linear(DIM + 8, 1)
        for emb in (self.gmf_user, self.gmf_item, self.mlp_user, self.mlp_item):
            nn.init.normal_(emb.weight, std=0.1)

    def forward(self, u, i):
        gmf = self.gmf_user(u) * self.gmf_item(i)
        mlp = self.mlp(torch.cat([self.mlp_user(u), self.mlp_item(i)], dim=-1))
        return self.predict(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)


model = NeuMF()
print(model)
loss_fn = nn.BCEWithLogitsLoss()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
n_neg = 3
for epoch in range(20):
    neg_items = torch.randint(0, N_ITEMS, (len(users) * n_neg,))
    neg_users = users.repeat_interleave(n_neg)
    keep = ~train_mat[neg_users, neg_items]
    u_all = torch.cat([users, neg_users[keep]])
    i_all = torch.cat([items, neg_items[keep]])
    y_all = torch.cat([torch.ones(len(users)), torch.zeros(int(keep.sum()))])
    perm = torch.randperm(len(u_all))
    total = 0.0
    for s in range(0, len(u_all), 128):
        idx = perm[s:s + 128]
        loss = loss_fn(model(u_all[idx], i_all[idx]), y_all[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    if epoch % 5 == 4:
        print(f"epoch {epoch:2d} samples {len(u_all)} bce {total / len(u_all):.4f}")


@torch.no_grad()
def evaluate(k=5, n_candidates=15):
    hits, ndcg = [], []
    for u in range(N_USERS):
        negatives = (~interactions[u]).nonzero().squeeze(1)
        negatives = negatives[torch.randperm(len(negatives))[: n_candidates - 1]]
        cands = torch.cat([test_item[u].view(1), negatives])
        scores = model(torch.full_like(cands, u), cands)
        top = torch.topk(scores, k).indices
        hit = (top == 0).nonzero()
        hits.append(1.0 if len(hit) else 0.0)
        ndcg.append(1.0 / math.log2(hit.item() + 2) if len(hit) else 0.0)
    return sum(hits) / N_USERS, sum(ndcg) / N_USERS


model.eval()
hr, nd = evaluate()
print(f"HR@5 {hr:.3f} NDCG@5 {nd:.3f}")
with torch.no_grad():
    all_scores = model(torch.arange(N_USERS).repeat_interleave(N_ITEMS), torch.arange(N_ITEMS).repeat(N_USERS))
    all_scores = all_scores.view(N_USERS, N_ITEMS).masked_fill(train_mat, float("-inf"))
    recs = all_scores.topk(3, dim=1).indices
print(recs[:6])
in_group = (recs // 12 == group.unsqueeze(1)).float().mean().item()
print(f"fraction of recommendations in the user's preferred block {in_group:.3f}")
print(torch.sigmoid(all_scores[0, :3]), all_scores.isinf().sum().item())
