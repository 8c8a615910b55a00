"""A Kaggle-style tabular notebook mixing PyTorch with pandas and scikit-learn.

Exercises how tensors are made from pandas columns (a float64 Series stays float64, category codes
stay int8, strings and a Series whose index does not start at 0 are refused with torch's errors),
``from_numpy`` of pandas' read-only arrays with in-place standardisation written through,
``torch.FloatTensor``/``LongTensor`` of arrays, LabelEncoder and a stratified train_test_split on
arrays wrapped in TensorDataset, a WeightedRandomSampler from np.bincount weights, entity
embeddings (nn.ModuleList of nn.Embedding), early stopping with a deepcopy'd best state_dict,
StratifiedKFold, scikit-learn metrics fed tensors, and result frames built from tensors.

tolerance: rtol=2e-3 atol=1e-5
"""
import copy

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.preprocessing import LabelEncoder
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

rng = np.random.RandomState(0)
n = 240
df = pd.DataFrame({
    "age": rng.randint(18, 80, n),
    "income": rng.lognormal(10, 0.5, n),
    "city": rng.choice(["paris", "rome", "oslo"], n),
    "plan": pd.Categorical(rng.choice(["free", "pro", "team", "max"], n)),
    "score": rng.randn(n),
    "active": rng.rand(n) > 0.3,
})
df["target"] = ((df.age > 45) ^ (df.score > 0.8)).astype(int)
df["city_code"] = LabelEncoder().fit_transform(df.city)
df["plan_code"] = df.plan.cat.codes

# ---- tensors from columns -------------------------------------------------------------------
for col in ["age", "income", "active", "plan_code", "city_code"]:
    t = torch.tensor(df[col])
    print(col, t.dtype, t[:3].tolist())
print(torch.tensor(df.income, dtype=torch.float32).dtype, torch.as_tensor(df.score).dtype)
print(torch.tensor([df.age[:3], df.score[:3]]).dtype, torch.tensor(df[["age", "score"]].values).dtype)
for bad in [lambda: torch.tensor(df.city), lambda: torch.tensor(df.iloc[1:]["age"]),
            lambda: torch.tensor(df.city.values), lambda: torch.tensor([1.0, None])]:
    try:
        bad()
    except (TypeError, ValueError, RuntimeError) as e:
        print(type(e).__name__, e)
print(torch.FloatTensor(df.income.to_numpy(dtype=np.float32))[:2], torch.LongTensor(df.age.values).dtype)

num_cols = ["age", "income", "score"]
X_num = torch.from_numpy(df[num_cols].to_numpy())  # pandas' array: read-only, shared
mean, std = X_num.mean(0), X_num.std(0)
X_num -= mean
X_num /= std
print(X_num.dtype, X_num.mean(0).abs().max() < 1e-6, torch.allclose(X_num.std(0), torch.ones(3, dtype=torch.float64)))
X_num = X_num.float()
X_cat = torch.tensor(df[["city_code", "plan_code"]].values, dtype=torch.long)
y = torch.tensor(df.target.values, dtype=torch.float32)

# ---- split, sampler, model ------------------------------------------------------------------
idx_tr, idx_va = train_test_split(np.arange(n), test_size=0.25, random_state=42, stratify=df.target.values)
train_ds = TensorDataset(X_num[idx_tr], X_cat[idx_tr], y[idx_tr])
val_ds = TensorDataset(X_num[idx_va], X_cat[idx_va], y[idx_va])
print(len(train_ds), len(val_ds), [t.shape for t in train_ds[0]])
counts = np.bincount(df.target.values[idx_tr])
weights = (1.0 / counts)[df.target.values[idx_tr]]
sampler = WeightedRandomSampler(weights, num_samples=len(weights), replacement=True,
                                generator=torch.Generator().manual_seed(1))
print(counts, list(sampler)[:8])


class EntityNet(nn.Module):
    def __init__(self, cards, n_num):
        super().__init__()
        self.embs = nn.ModuleList([nn.Embedding(c, min(50, (c + 1) // 2)) for c in cards])
        width = sum(e.embedding_dim for e in self.embs) + n_num
        self.bn = nn.BatchNorm1d(n_num)
        self.mlp = nn.Sequential(nn.Linear(width, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))

    def forward(self, x_num, x_cat):
        embedded = [emb(x_cat[:, i]) for i, emb in enumerate(self.embs)]
        return self.mlp(torch.cat(embedded + [self.bn(x_num)], 1)).squeeze(1)


cards = [int(df[c].nunique()) for c in ["city_code", "plan_code"]]
torch.manual_seed(0)
model = EntityNet(cards, len(num_cols))
print(model.embs, sum(p.numel() for p in model.parameters()))
loader = DataLoader(train_ds, batch_size=32, sampler=sampler)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
best, best_state, bad_epochs, history = float("inf"), None, 0, []
for epoch in range(8):
    model.train()
    for xb, cb, yb in loader:
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(xb, cb), yb)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        xv, cv, yv = val_ds.tensors
        val_loss = F.binary_cross_entropy_with_logits(model(xv, cv), yv).item()
    history.append({"epoch": epoch, "train": loss.item(), "val": val_loss})
    if val_loss < best - 1e-4:
        best, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
    else:
        bad_epochs += 1
        if bad_epochs == 3:
            print("early stop at", epoch)
            break
print(pd.DataFrame(history).round(4).to_string(index=False))
model.load_state_dict(best_state)
with torch.no_grad():
    probs = torch.sigmoid(model(*val_ds.tensors[:2]))
preds = probs.detach().cpu().numpy().round()
y_val = val_ds.tensors[2]
print(preds[:8], preds.dtype)
print(f"acc {accuracy_score(y_val, preds):.4f} auc {roc_auc_score(y_val, probs):.4f} "
      f"f1 {f1_score(y_val.numpy(), (probs > 0.5).int()):.4f}")
print(confusion_matrix(y_val.long(), (probs > 0.5).long()))
res = pd.DataFrame({"prob": probs, "label": y_val.long()})
print(res.describe().round(3))
print(res.groupby("label")["prob"].mean().round(4).to_dict())

# ---- cross-validation -------------------------------------------------------------------------
scores = []
for fold, (tr, va) in enumerate(StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(X_num, y)):
    torch.manual_seed(fold)
    m = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    o = torch.optim.SGD(m.parameters(), lr=0.5)
    for _ in range(30):
        o.zero_grad()
        F.binary_cross_entropy_with_logits(m(X_num[tr]).squeeze(1), y[tr]).backward()
        o.step()
    with torch.no_grad():
        p = torch.sigmoid(m(X_num[torch.from_numpy(va)]).squeeze(1))
    scores.append(roc_auc_score(y[va].numpy(), p.numpy()))
    print(f"fold {fold} auc {scores[-1]:.4f}")
print(f"cv auc {np.mean(scores):.4f} +- {np.std(scores):.4f}", torch.tensor(scores).dtype)
submission = pd.DataFrame({"id": idx_va[:5], "target": (probs[:5] > 0.5).long().tolist()})
print(submission.to_csv(index=False).strip())
