"""A matrix-factorisation recommender with user/item biases: synthetic ratings from low-rank factors,
TensorDataset + random_split (with a seeded Generator) + DataLoader, OneCycleLR stepped per batch,
sparse-free nn.Embedding lookups, RMSE evaluation and top-N recommendations that exclude seen items.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

n_users, n_items, rank = 30, 40, 3
true_u = torch.randn(n_users, rank)
true_v = torch.randn(n_items, rank)
full = true_u @ true_v.T + 3.0
observed = torch.rand(n_users, n_items) < 0.3
users, items = observed.nonzero(as_tuple=True)
ratings = (full[users, items] + 0.1 * torch.randn(users.numel())).clamp(1, 5)
print(users.shape, items.dtype, f"{ratings.mean().item():.4f}", f"{ratings.min().item():.4f}", f"{ratings.max().item():.4f}")

dataset = TensorDataset(users, items, ratings)
n_val = len(dataset) // 5
train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val], generator=torch.Generator().manual_seed(42))
print(len(train_set), len(val_set), type(train_set).__name__, val_set.indices[:5])
u0, i0, r0 = train_set[0]
print(u0, i0, r0)

train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = DataLoader(val_set, batch_size=64)
print(len(train_loader), len(val_loader))


class MF(nn.Module):
    def __init__(self, n_users, n_items, dim=8):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        self.global_bias = nn.Parameter(torch.tensor(3.0))
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, u, i):
        dot = (self.user(u) * self.item(i)).sum(dim=1)
        return dot + self.user_bias(u).squeeze(1) + self.item_bias(i).squeeze(1) + self.global_bias


model = MF(n_users, n_items).to(device)
epochs = 15
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-5)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, epochs=epochs, steps_per_epoch=len(train_loader))
print(f"initial lr {opt.param_groups[0]['lr']:.6f}", sorted(k for k in opt.param_groups[0] if "lr" in k or "beta" in k))
loss_fn = nn.MSELoss()


def evaluate(loader):
    model.eval()
    se, count = 0.0, 0
    with torch.no_grad():
        for u, i, r in loader:
            pred = model(u.to(device), i.to(device)).clamp(1, 5)
            se += ((pred - r.to(device)) ** 2).sum().item()
            count += r.numel()
    return (se / count) ** 0.5


for epoch in range(epochs):
    model.train()
    total = 0.0
    for u, i, r in train_loader:
        loss = loss_fn(model(u, i), r)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item() * r.numel()
    if epoch % 3 == 0 or epoch == epochs - 1:
        print(f"epoch {epoch:2d} train mse {total / len(train_set):.4f} val rmse {evaluate(val_loader):.4f} "
              f"lr {sched.get_last_lr()[0]:.6f} beta1 {opt.param_groups[0]['betas'][0]:.4f}")

with torch.no_grad():
    scores = model.user.weight @ model.item.weight.T + model.user_bias.weight + model.item_bias.weight.T + model.global_bias
    print(scores.shape)
    scores = scores.masked_fill(observed, float("-inf"))
    top = scores.topk(3, dim=1)
    print(top.indices[:4])
    print(top.values[:4])
    unseen_rmse = ((scores[~observed].clamp(1, 5) - full.clamp(1, 5)[~observed]) ** 2).mean().sqrt()
    print(f"rmse on unobserved entries {unseen_rmse.item():.4f}")
