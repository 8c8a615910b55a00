"""A tabular binary classifier end to end: missing values (isnan, nanmean, nan_to_num), robust
scaling with torch.quantile, binning a feature with torch.bucketize into an nn.Embedding, one_hot of
a categorical column, pos_weight for class imbalance in BCEWithLogitsLoss, a WeightedRandomSampler,
ROC-AUC and precision@k from sort/cumsum, and set_printoptions for the report.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

torch.manual_seed(0)

n = 400
age = torch.randint(18, 80, (n,)).float()
income = torch.exp(torch.randn(n) * 0.5 + 10)
score = torch.randn(n)
city = torch.randint(0, 4, (n,))
logit = 0.04 * (age - 50) + 0.8 * score + 0.5 * (city == 2).float() - 1.8
label = (torch.rand(n) < torch.sigmoid(logit)).float()
income[torch.randperm(n)[:40]] = float("nan")
score[torch.randperm(n)[:25]] = float("nan")
print(f"positives {int(label.sum().item())} / {n}", torch.isnan(income).sum().item(), torch.isnan(score).sum().item())

# imputation and scaling
income_log = torch.log(income)
med = torch.nanmedian(income_log)
income_log = torch.where(torch.isnan(income_log), med, income_log)
q25, q50, q75 = torch.quantile(income_log, torch.tensor([0.25, 0.5, 0.75]))
income_scaled = (income_log - q50) / (q75 - q25)
score_filled = torch.nan_to_num(score, nan=torch.nanmean(score).item())
print(f"median {med.item():.4f} iqr {(q75 - q25).item():.4f} nanmean {torch.nanmean(score).item():.4f}")
print(f"{income_scaled.mean().item():.4f} {income_scaled.std().item():.4f}", torch.isnan(score_filled).any().item())

boundaries = torch.tensor([30.0, 40.0, 50.0, 60.0, 70.0])
age_bin = torch.bucketize(age, boundaries)
print(boundaries.dtype, age_bin[:10], torch.bincount(age_bin, minlength=6))
print(torch.bucketize(torch.tensor([30.0, 29.9, 70.0]), boundaries, right=True))
print(torch.searchsorted(boundaries, torch.tensor([35.0, 80.0, 10.0])))
city_onehot = F.one_hot(city, num_classes=4).float()
print(city_onehot[:3], city_onehot.dtype)

numeric = torch.stack([income_scaled, score_filled, (age - age.mean()) / age.std()], dim=1)


class TabularNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.age_emb = nn.Embedding(6, 3)
        self.mlp = nn.Sequential(nn.Linear(3 + 4 + 3, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 1))

    def forward(self, numeric, onehot, age_bin):
        return self.mlp(torch.cat([numeric, onehot, self.age_emb(age_bin)], dim=1)).squeeze(1)


train_idx, test_idx = torch.arange(0, 300), torch.arange(300, n)
pos = label[train_idx].sum()
pos_weight = (len(train_idx) - pos) / pos
print(f"pos_weight {pos_weight.item():.4f}")
class_counts = torch.bincount(label[train_idx].long())
sample_weights = (1.0 / class_counts.float())[label[train_idx].long()]
sampler = WeightedRandomSampler(sample_weights, num_samples=len(train_idx), replacement=True)
ds = TensorDataset(numeric[train_idx], city_onehot[train_idx], age_bin[train_idx], label[train_idx])
print(class_counts, f"{sample_weights.sum().item():.4f}", len(ds))

model = TabularNet()
criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
full_loader = DataLoader(ds, batch_size=50, shuffle=True)
for epoch in range(12):
    model.train()
    total = 0.0
    for xb, ob, ab, yb in full_loader:
        loss = criterion(model(xb, ob, ab), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(yb)
    if epoch % 3 == 0:
        print(f"epoch {epoch:2d} loss {total / len(ds):.4f}")


def roc_auc(scores, labels):
    order = torch.argsort(scores, descending=True)
    y = labels[order]
    tps = torch.cumsum(y, 0)
    fps = torch.cumsum(1 - y, 0)
    tpr = torch.cat([torch.zeros(1), tps / tps[-1]])
    fpr = torch.cat([torch.zeros(1), fps / fps[-1]])
    return torch.trapezoid(tpr, fpr)


model.eval()
with torch.no_grad():
    logits = model(numeric[test_idx], city_onehot[test_idx], age_bin[test_idx])
    probs = torch.sigmoid(logits)
    y_test = label[test_idx]
    auc = roc_auc(probs, y_test)
    pred = (probs > 0.5).float()
    tp = (pred * y_test).sum()
    precision = tp / pred.sum().clamp(min=1)
    recall = tp / y_test.sum()
    topk = probs.topk(10).indices
    print(f"auc {auc.item():.4f} precision {precision.item():.4f} recall {recall.item():.4f} "
          f"p@10 {y_test[topk].mean().item():.4f}")
    torch.set_printoptions(precision=3, sci_mode=False)
    print(probs[:8])
    print(torch.histc(probs, bins=5, min=0, max=1))
    torch.set_printoptions(profile="default")
    print(probs[:3])

# a weighted sampler draw is a multinomial over the weights
loader = DataLoader(ds, batch_size=100, sampler=sampler)
labels_seen = torch.cat([yb for *_, yb in loader])
print(len(labels_seen), f"{labels_seen.mean().item():.4f}")
