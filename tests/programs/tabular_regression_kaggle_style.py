"""A tabular regression notebook, Kaggle style: synthetic features made with torch ops (a
categorical column one-hot encoded), a train/validation/test split with randperm, standardisation
with statistics from the training rows only, TensorDataset + DataLoader, an MLP with BatchNorm1d
and Dropout (no bias before a BatchNorm), AdamW with OneCycleLR, early stopping on the validation loss with the best state
kept, a second run with StepLR, and final MSE / MAE / R^2 printed with f-strings.

tolerance: rtol=2e-3 atol=1e-4
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(42)
n = 600
size = torch.rand(n) * 150 + 30
rooms = torch.randint(1, 6, (n,)).float()
age = torch.rand(n) * 50
district = torch.randint(0, 4, (n,))
noise = torch.randn(n) * 8
price = 1.8 * size + 12 * rooms - 0.9 * age + torch.tensor([0.0, 25.0, -15.0, 40.0])[district] + 0.004 * size ** 2 + noise
X_num = torch.stack([size, rooms, age, torch.log1p(age), size / rooms], dim=1)
X = torch.cat([X_num, F.one_hot(district, 4).float()], dim=1)
y = price.unsqueeze(1)
print(X.shape, y.shape, X.dtype, f"{y.mean().item():.4f} {y.std().item():.4f}")
print(torch.bincount(district), f"{torch.corrcoef(torch.stack([size, price]))[0, 1].item():.4f}")

perm = torch.randperm(n)
tr, va, te = perm[:400], perm[400:500], perm[500:]
mu, sigma = X[tr, :5].mean(0), X[tr, :5].std(0)
y_mu, y_sigma = y[tr].mean(), y[tr].std()


def prepare(idx):
    xs = X[idx].clone()
    xs[:, :5] = (xs[:, :5] - mu) / sigma
    return xs, (y[idx] - y_mu) / y_sigma


Xtr, ytr = prepare(tr)
Xva, yva = prepare(va)
Xte, yte = prepare(te)
print(f"{Xtr[:, :5].mean().item():+.4f} {Xtr[:, :5].std(0).mean().item():.4f} {Xva[:, :5].mean().item():+.4f}")
print(Xtr[:2])
train_loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=32, shuffle=True, drop_last=True)
print(len(train_loader), len(train_loader.dataset))


class MLP(nn.Module):
    def __init__(self, d_in, hidden=(64, 32), p=0.1):
        super().__init__()
        layers, d = [], d_in
        for h in hidden:
            layers += [nn.Linear(d, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(p)]
            d = h
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def evaluate(model, xs, ys):
    model.eval()
    with torch.no_grad():
        pred = model(xs)
    return F.mse_loss(pred, ys).item(), pred


def fit(model, opt, sched, epochs, per_batch, patience=6):
    best, best_state, bad, history = float("inf"), None, 0, []
    for epoch in range(epochs):
        model.train()
        running = 0.0
        for xb, yb in train_loader:
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
            if per_batch:
                sched.step()
            running += loss.item() * xb.size(0)
        if not per_batch:
            sched.step()
        val_loss, _ = evaluate(model, Xva, yva)
        history.append(val_loss)
        if epoch % 5 == 0:
            print(f"epoch {epoch:3d} train {running / 384:.4f} val {val_loss:.4f} lr {opt.param_groups[0]['lr']:.6f}")
        if val_loss < best - 1e-4:
            best, best_state, bad = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= patience:
                print(f"early stop at epoch {epoch} (best val {best:.4f})")
                break
    model.load_state_dict(best_state)
    return best, history


def report(model, name):
    _, pred = evaluate(model, Xte, yte)
    pred = pred * y_sigma + y_mu
    true = yte * y_sigma + y_mu
    mse = F.mse_loss(pred, true).item()
    mae = F.l1_loss(pred, true).item()
    r2 = 1 - ((true - pred) ** 2).sum().item() / ((true - true.mean()) ** 2).sum().item()
    print(f"{name}: MSE {mse:.4f} | MAE {mae:.4f} | RMSE {mse ** 0.5:.4f} | R^2 {r2:.4f}")
    return pred


torch.manual_seed(0)
model = MLP(X.shape[1])
print(model)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
epochs = 40
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, epochs=epochs, steps_per_epoch=len(train_loader))
best, history = fit(model, opt, sched, epochs, per_batch=True)
print(f"best val {best:.4f} after {len(history)} epochs, min at {min(range(len(history)), key=history.__getitem__)}")
pred = report(model, "onecycle")
print(pred[:4].squeeze(1))
print(model.net[1].running_mean[:4], model.net[1].num_batches_tracked)

torch.manual_seed(1)
model2 = MLP(X.shape[1], hidden=(32,), p=0.2)
opt2 = torch.optim.AdamW(model2.parameters(), lr=5e-3)
sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=10, gamma=0.5)
best2, history2 = fit(model2, opt2, sched2, 30, per_batch=False, patience=5)
print(f"best val {best2:.4f}, lr now {sched2.get_last_lr()[0]:.6f}")
report(model2, "steplr")
residuals = (pred - (yte * y_sigma + y_mu)).squeeze(1)
print(f"residual mean {residuals.mean().item():+.4f} std {residuals.std().item():.4f} q90 {residuals.abs().quantile(0.9).item():.4f}")
